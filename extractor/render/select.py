"""Selecting and simplifying a graph before drawing it: focus, filters and collapsing.

Every function takes a graph and returns a new one; the input is never modified.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

from ..graph import Dataset, Job, JobColumnEdge, LineageGraph, TableEdge
from ..model import ColumnEdge, ColumnRef, DatasetKind
from .styles import schema_of


def subgraph(graph: LineageGraph, keep: Iterable[str]) -> LineageGraph:
    """The datasets in ``keep`` with the edges among them."""
    names = set(keep) & set(graph.datasets)
    result = LineageGraph()
    result.datasets = {n: graph.datasets[n] for n in names}
    result.edges = {e for e in graph.edges if e.source in names and e.target in names}
    result.column_edges = {  # a constant's edge (no source) belongs to its column's dataset
        je
        for je in graph.column_edges
        if (je.edge.source.table in names or je.edge.constant) and je.edge.target.table in names
    }
    used_jobs = {e.job for e in result.edges} | {je.job for je in result.column_edges}
    result.jobs = {n: j for n, j in graph.jobs.items() if n in used_jobs}
    result.diagnostics = [d for d in graph.diagnostics]
    return result


def resolve_node(graph: LineageGraph, node: str) -> str:
    """A dataset named exactly, or the one dataset whose name ends with ``node``."""
    if node in graph.datasets:
        return node
    matches = sorted(n for n in graph.datasets if n.endswith("." + node) or n.endswith("/" + node))
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise KeyError(f"no dataset named {node!r}")
    raise KeyError(f"{node!r} is ambiguous: {', '.join(matches[:5])}")


def focus(graph: LineageGraph, node: str, upstream: int | None, downstream: int | None) -> LineageGraph:
    """``node`` with its ancestors up to ``upstream`` hops and descendants up to ``downstream`` hops.

    ``None`` means unlimited; 0 means none."""
    import networkx as nx

    name = resolve_node(graph, node)
    g = nx.DiGraph()
    g.add_nodes_from(graph.datasets)
    g.add_edges_from((e.source, e.target) for e in graph.edges)
    keep = {name}
    if upstream != 0:
        keep |= set(nx.single_source_shortest_path_length(g.reverse(copy=False), name, cutoff=upstream))
    if downstream != 0:
        keep |= set(nx.single_source_shortest_path_length(g, name, cutoff=downstream))
    return subgraph(graph, keep)


def filter_datasets(
    graph: LineageGraph, paths: Iterable[str] = (), schemas: Iterable[str] = (), tags: Iterable[str] = ()
) -> LineageGraph:
    """Datasets defined in files matching ``paths`` globs, in ``schemas`` or carrying ``tags``."""
    paths, schemas, tags = list(paths), set(schemas), set(tags)
    if not (paths or schemas or tags):
        return graph
    keep = set()
    for name, ds in graph.datasets.items():
        if paths and not (ds.location and any(fnmatch.fnmatchcase(ds.location.path, p) for p in paths)):
            continue
        if schemas and schema_of(name) not in schemas:
            continue
        ds_tags = [*_as_list(ds.attributes.get("tags")), *_as_list(ds.attributes.get("governance_tags"))]
        if tags and not tags.intersection(ds_tags):
            continue
        keep.add(name)
    return subgraph(graph, keep)


def _as_list(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def collapse_schemas(graph: LineageGraph, schemas: Iterable[str] | None = None) -> LineageGraph:
    """Merge the datasets of each schema (all, or those listed) into one node named after it."""
    wanted = None if schemas is None else set(schemas)

    def group(name: str) -> str:
        schema = schema_of(name)
        return f"{schema}.*" if wanted is None or schema in wanted else name

    result = LineageGraph()
    for name in sorted(graph.datasets):
        ds = graph.datasets[name]
        new = group(name)
        if new not in result.datasets:
            kind = ds.kind if new == name else DatasetKind.TABLE
            result.datasets[new] = Dataset(new, kind, [] if new != name else list(ds.columns), ds.location)
            if new != name:
                result.datasets[new].attributes["members"] = []
        if new != name:
            members = result.datasets[new].attributes["members"]
            assert isinstance(members, list)
            members.append(name)
    for te in graph.edges:
        source, target = group(te.source), group(te.target)
        if source != target:
            result.edges.add(TableEdge(source, target, te.job))
    for je in graph.column_edges:
        ce = je.edge
        if ce.constant:
            continue  # a group's diagram draws flows between groups; a constant flows from none
        source, target = group(ce.source.table or ""), group(ce.target.table or "")
        if source == target or source.endswith(".*") or target.endswith(".*"):
            continue
        moved = ColumnEdge(
            ColumnRef(source, ce.source.column), ColumnRef(target, ce.target.column), ce.subtype,
            ce.transformation, ce.fingerprint, ce.location,
        )  # fmt: skip
        result.column_edges.add(JobColumnEdge(moved, je.job))
    result.jobs = {n: Job(j.name, j.kind, j.path, j.line) for n, j in graph.jobs.items()}
    return result
