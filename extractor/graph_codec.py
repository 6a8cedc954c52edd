"""A compact, JSON-able encoding of a whole ``LineageGraph``, for keeping one per commit in the cache.

Strings are stored once in a table and referred to by index, and a ``Decoder`` builds each
distinct (frozen) edge once however many graphs it decodes: consecutive commits share almost all
of their edges, so a history walk reading a hundred graphs pays for the edges that changed.
Datasets and jobs are mutable and are always built afresh.
"""

from __future__ import annotations

from typing import Any

from .graph import Dataset, Job, JobColumnEdge, LineageGraph, TableEdge
from .model import ColumnEdge, ColumnRef, DatasetKind, Diagnostic, Location, Severity, Subtype

VERSION = 1


class _Strings:
    def __init__(self) -> None:
        self.table: list[str | None] = []
        self.index: dict[str | None, int] = {}

    def __call__(self, text: str | None) -> int:
        found = self.index.get(text)
        if found is None:
            found = self.index[text] = len(self.table)
            self.table.append(text)
        return found


def _loc(loc: Location | None) -> list[Any] | None:
    return None if loc is None else [loc.path, loc.line, loc.column]


def encode(graph: LineageGraph) -> dict[str, Any]:
    s = _Strings()
    column_edges = []
    for je in graph.sorted_column_edges():
        e = je.edge
        loc = e.location
        column_edges.append([
            s(e.source.table), s(e.source.column), s(e.target.table), s(e.target.column), s(e.subtype.value),
            s(e.transformation), s(e.fingerprint), s(je.job),
            -1 if loc is None else s(loc.path), 0 if loc is None else loc.line, 0 if loc is None else loc.column,
        ])  # fmt: skip
    datasets = [
        [ds.name, ds.kind.value, list(ds.columns), _loc(ds.location), ds.attributes]
        for ds in (graph.datasets[n] for n in sorted(graph.datasets))
    ]
    jobs = [
        [j.name, j.kind, j.path, j.line, sorted(j.inputs), sorted(j.outputs), j.attributes]
        for j in (graph.jobs[n] for n in sorted(graph.jobs))
    ]
    return {
        "v": VERSION,
        "strings": s.table,
        "column_edges": column_edges,
        "edges": [[s(e.source), s(e.target), s(e.job)] for e in sorted(graph.edges)],
        "datasets": datasets,
        "jobs": jobs,
        "diagnostics": [[d.path, d.line, d.column, d.severity.value, d.code, d.message] for d in graph.diagnostics],
    }


class Decoder:
    """Decodes graphs, sharing every frozen edge it has built before."""

    def __init__(self) -> None:
        self._edges: dict[tuple[Any, ...], JobColumnEdge] = {}
        self._flows: dict[tuple[str, str, str], TableEdge] = {}

    def decode(self, data: dict[str, Any]) -> LineageGraph:
        if data.get("v") != VERSION:
            raise ValueError(f"unsupported graph encoding {data.get('v')!r}")
        strings = data["strings"]
        graph = LineageGraph()
        known = self._edges
        column_edges = set()
        for row in data["column_edges"]:
            a, b, c, d, e, f, g, h, path, line, col = row
            values = (strings[a], strings[b], strings[c], strings[d], strings[e], strings[f], strings[g],
                      strings[h], None if path < 0 else strings[path], line, col)  # fmt: skip
            je = known.get(values)
            if je is None:
                st, sc, tt, tc, subtype, text, fp, job, path, line, col = values
                where = None if path is None else Location(path, line, col)
                edge = ColumnEdge(ColumnRef(st, sc), ColumnRef(tt, tc), Subtype(subtype), text, fp, where)
                je = known[values] = JobColumnEdge(edge, job)
            column_edges.add(je)
        graph.column_edges = column_edges
        flows = set()
        for row in data["edges"]:
            key = (strings[row[0]], strings[row[1]], strings[row[2]])
            te = self._flows.get(key)
            if te is None:
                te = self._flows[key] = TableEdge(*key)
            flows.add(te)
        graph.edges = flows
        for name, kind, columns, loc, attributes in data["datasets"]:
            where = None if loc is None else Location(*loc)
            graph.datasets[name] = Dataset(name, DatasetKind(kind), list(columns), where, dict(attributes))
        for name, kind, path, line, inputs, outputs, attributes in data["jobs"]:
            graph.jobs[name] = Job(name, kind, path, line, set(inputs), set(outputs), dict(attributes))
        graph.diagnostics = [Diagnostic(p, ln, c, Severity(sev), code, msg) for p, ln, c, sev, code, msg in
                             data["diagnostics"]]  # fmt: skip
        return graph
