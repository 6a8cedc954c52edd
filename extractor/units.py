"""The frontend contract: analysis units, their plans and their pure, serialisable results.

A *frontend* (SQL files, dbt models, Python modules, a path convention …) claims files of a
``SourceTree`` and turns them into *units*. For each unit it gives a cheap *plan* (the tables it
reads and writes) and an *analysis* given the columns of its upstream tables. Results are plain
data: a fragment of lineage graph plus the schemas the unit leaves behind, so the orchestrator
(pipeline.py) can cache them, compute them in another process and merge them in one global
order. Frontends never import the orchestrator or each other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .cache import AnalysisCache
from .config import Config
from .graph import Dataset, Job, JobColumnEdge, LineageGraph, TableEdge
from .model import ColumnEdge, ColumnRef, DatasetKind, Diagnostic, Location, Severity, Subtype
from .sources import SourceFile, SourceTree

#: ``name -> columns`` of the tables a unit reads or writes, as known before it runs.
Upstream = Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class Unit:
    """One piece of analysis: ``key`` is unique in a scan, ``digest`` covers everything its result depends on
    except the upstream columns (its content, the config and files it uses, the frontend's version)."""

    frontend: str
    key: str
    path: str
    digest: str


@dataclass(frozen=True)
class Plan:
    """The tables a unit reads and writes (normalized names)."""

    reads: frozenset[str] = frozenset()
    writes: frozenset[str] = frozenset()
    #: the analysis with the upstream ``plan`` was given, when making the plan meant running it
    result: UnitResult | None = field(default=None, compare=False)


@dataclass
class UnitResult:
    """What a unit contributes: a graph fragment, the schemas it leaves, the paths whose jobs it supersedes."""

    graph: LineageGraph = field(default_factory=LineageGraph)
    #: columns of tables after the unit ran (None: dropped)
    schemas: dict[str, list[str] | None] = field(default_factory=dict)
    #: tables whose columns come from documentation only (property files): maybe incomplete
    declared: list[str] = field(default_factory=list)
    #: (path, job kind): jobs of that kind from that path are replaced by this unit's
    supersedes: list[tuple[str, str]] = field(default_factory=list)
    #: frontend-specific data for its ``finish`` pass (JSON-able)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Claim:
    """What a frontend takes from the tree: its units and the paths no other frontend should analyse."""

    units: list[Unit] = field(default_factory=list)
    paths: set[str] = field(default_factory=set)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def take(self, tree: SourceTree, rel: str) -> SourceFile | None:
        """Claim ``rel`` and read it; a file that cannot be read or decoded is a diagnostic (and None)."""
        self.paths.add(rel)
        source = tree.source(rel)
        if isinstance(source, Diagnostic):
            self.diagnostics.append(source)
            return None
        return source


class Frontend(Protocol):
    """One kind of pipeline source. ``claim`` runs first for every frontend in registry order;
    files claimed by an earlier frontend are not offered to later ones."""

    name: str
    version: str
    #: processes the frontend may use for work it does while claiming (``parallel.fork_map``)
    jobs: int

    def claim(self, tree: SourceTree, files: Sequence[str], config: Config, cache: AnalysisCache) -> Claim: ...

    def plan(self, unit: Unit, upstream: Upstream) -> Plan:
        """What ``unit`` reads and writes, which must not depend on ``upstream``: the columns its
        tables had when it was last analysed (empty when unknown). A frontend that finds the plan
        by running the analysis runs it with ``upstream`` and returns it as ``Plan.result``: used
        as the result when the unit's upstream turns out the same."""
        ...

    def analyse(self, unit: Unit, upstream: Upstream) -> UnitResult: ...

    def finish(self, graph: LineageGraph, results: Sequence[UnitResult]) -> None:
        """A pass over the merged graph once every unit is recorded (may do nothing)."""
        ...


# -- serialisation (cache and worker processes) ---------------------------------------------------


_SUBTYPES = {s.value: s for s in Subtype}
_KINDS = {k.value: k for k in DatasetKind}
_SEVERITIES = {s.value: s for s in Severity}


def _loc(loc: Location | None) -> list[Any] | None:
    return None if loc is None else [loc.path, loc.line, loc.column]


def _unloc(value: list[Any] | None) -> Location | None:
    return None if value is None else Location(value[0], value[1], value[2])


def result_to_dict(result: UnitResult) -> dict[str, Any]:
    g = result.graph
    return {
        "d": [
            [ds.name, ds.kind.value, list(ds.columns), _loc(ds.location), ds.attributes]
            for ds in (g.datasets[n] for n in sorted(g.datasets))
        ],
        "j": [
            [j.name, j.kind, j.path, j.line, sorted(j.inputs), sorted(j.outputs), j.attributes]
            for j in (g.jobs[n] for n in sorted(g.jobs))
        ],
        "e": [[e.source, e.target, e.job] for e in sorted(g.edges)],
        # Column edges decode into a set: their order here does not matter, and sorting 10,000s
        # of them cost more than encoding them.
        "c": [_column_edge(je) for je in g.column_edges],
        "g": [[d.path, d.line, d.column, d.severity.value, d.code, d.message] for d in g.diagnostics],
        "s": {k: v for k, v in sorted(result.schemas.items())},
        "dc": sorted(result.declared),
        "su": [list(p) for p in result.supersedes],
        "x": result.extra,
    }


def _column_edge(je: JobColumnEdge) -> list[Any]:
    e = je.edge
    return [e.source.table, e.source.column, e.target.table, e.target.column, e.subtype.value, e.transformation,
            e.fingerprint, _loc(e.location), je.job]  # fmt: skip


def result_from_dict(data: dict[str, Any]) -> UnitResult:
    g = LineageGraph()
    for name, kind, columns, loc, attributes in data["d"]:
        g.datasets[name] = Dataset(name, _KINDS[kind], list(columns), _unloc(loc), dict(attributes))
    for name, kind, path, line, inputs, outputs, attributes in data["j"]:
        g.jobs[name] = Job(name, kind, path, line, set(inputs), set(outputs), dict(attributes))
    g.edges = {TableEdge(s, t, j) for s, t, j in data["e"]}
    refs: dict[tuple[str | None, str | None], ColumnRef] = {}
    locations: dict[tuple[str, int, int], Location] = {}
    for st, sc, tt, tc, subtype, text, fp, loc, job in data["c"]:
        source = refs.get((st, sc)) or refs.setdefault((st, sc), ColumnRef(st, sc))
        target = refs.get((tt, tc)) or refs.setdefault((tt, tc), ColumnRef(tt, tc))
        where = None
        if loc is not None:
            key = (loc[0], loc[1], loc[2])
            where = locations.get(key) or locations.setdefault(key, Location(*key))
        g.column_edges.add(JobColumnEdge(ColumnEdge(source, target, _SUBTYPES[subtype], text, fp, where), job))
    g.diagnostics = [Diagnostic(p, ln, c, _SEVERITIES[s], code, m) for p, ln, c, s, code, m in data["g"]]
    return UnitResult(g, dict(data["s"]), list(data["dc"]), [(p, k) for p, k in data["su"]], dict(data.get("x") or {}))
