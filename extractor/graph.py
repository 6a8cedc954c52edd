"""The lineage graph: datasets, jobs and column flows over networkx.

``LineageGraph`` is the one structure every front end (SQL, dbt, Python) feeds and every back end
(JSON, diagrams, diff) reads. Datasets are keyed by normalized name and columns by dataset plus
name; jobs are keyed by file and target, never by line, so moving code changes no identity.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .model import ColumnEdge, ColumnRef, DatasetKind, Diagnostic, Location

if TYPE_CHECKING:  # networkx loads when an algorithm runs: importing it costs every command ~0.3 s
    import networkx as nx

UNKNOWN_PREFIX = "unknown:"


@dataclass
class Dataset:
    """A table, view, file, model artifact … with the columns known for it."""

    name: str
    kind: DatasetKind = DatasetKind.TABLE
    columns: list[str] = field(default_factory=list)
    location: Location | None = None
    attributes: dict[str, object] = field(default_factory=dict)

    def add_columns(self, columns: Iterable[str]) -> None:
        known = set(self.columns)
        for c in columns:
            if c and c != "*" and c not in known:
                self.columns.append(c)
                known.add(c)


@dataclass
class Job:
    """Something that transforms data: a SQL statement, a dbt model, a Python step."""

    name: str
    kind: str
    path: str
    line: int = 0
    inputs: set[str] = field(default_factory=set)
    outputs: set[str] = field(default_factory=set)
    attributes: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, order=True)
class TableEdge:
    source: str
    target: str
    job: str


@dataclass(frozen=True)
class JobColumnEdge:
    """A column edge together with the job that produced it."""

    edge: ColumnEdge
    job: str

    def sort_key(self) -> tuple[str, str, str, str, str, str, str]:
        e = self.edge
        return (
            e.target.table or "",
            e.target.column or "",
            e.source.table or "",
            e.source.column or "",
            e.subtype.value,
            self.job,
            e.fingerprint,
        )


# Ranking used when the same dataset is described by several producers.
_KIND_RANK = {
    DatasetKind.UNKNOWN: 0,
    DatasetKind.TABLE: 1,
    DatasetKind.FILE: 1,
    DatasetKind.TEMPORARY: 2,
    DatasetKind.VIEW: 3,
    DatasetKind.DBT_SOURCE: 4,
    DatasetKind.DBT_SEED: 4,
    DatasetKind.MODEL: 5,
    DatasetKind.DASHBOARD: 5,
    DatasetKind.DBT_MODEL: 6,
}


class LineageGraph:
    """Datasets, jobs, table edges and column edges, plus the diagnostics found on the way."""

    def __init__(self) -> None:
        self.datasets: dict[str, Dataset] = {}
        self.jobs: dict[str, Job] = {}
        self.edges: set[TableEdge] = set()
        self.column_edges: set[JobColumnEdge] = set()
        self.diagnostics: list[Diagnostic] = []
        self._next_suffix: dict[str, int] = {}

    # -- building -----------------------------------------------------------------------------

    def dataset(self, name: str, kind: DatasetKind | None = None, location: Location | None = None) -> Dataset:
        """Get or create a dataset; a more specific kind upgrades a generic one."""
        ds = self.datasets.get(name)
        if ds is None:
            ds = Dataset(name, kind or DatasetKind.TABLE, location=location)
            self.datasets[name] = ds
        elif kind is not None and _KIND_RANK.get(kind, 0) > _KIND_RANK.get(ds.kind, 0):
            ds.kind = kind
        if location is not None and ds.location is None:
            ds.location = location
        return ds

    def add_job(self, job: Job) -> Job:
        name = job.name
        # The next free suffix per base name: probing from #2 every time made 32,000 statements
        # writing one table quadratic (minutes).
        n = self._next_suffix.get(job.name, 2)
        while name in self.jobs:
            name = f"{job.name}#{n}"
            n += 1
        if name != job.name:
            self._next_suffix[job.name] = n
        job.name = name
        self.jobs[name] = job
        return job

    def add_flow(self, source: str, target: str, job: str) -> None:
        if source == target:
            return
        self.edges.add(TableEdge(source, target, job))
        self.jobs[job].inputs.add(source)
        self.jobs[job].outputs.add(target)

    def add_column_edge(self, edge: ColumnEdge, job: str) -> None:
        if edge.constant:
            pass  # no source at all (a constant): neither a dataset nor an ``unknown:`` one
        elif edge.source.table is None:
            unknown = f"{UNKNOWN_PREFIX}{edge.target.table}"
            ds = self.dataset(unknown, DatasetKind.UNKNOWN)
            ds.attributes["reason"] = "columns that could not be resolved to a source (see diagnostics)"
            edge = ColumnEdge(
                ColumnRef(unknown, edge.source.column), edge.target, edge.subtype,
                edge.transformation, edge.fingerprint, edge.location,
            )  # fmt: skip
            self.edges.add(TableEdge(unknown, edge.target.table or "", job))
        if edge.source.column and edge.source.column != "*" and edge.source.table:
            self.dataset(edge.source.table).add_columns([edge.source.column])
        if edge.target.column and edge.target.column != "*" and edge.target.table:
            self.dataset(edge.target.table).add_columns([edge.target.column])
        self.column_edges.add(JobColumnEdge(edge, job))

    # -- reading ------------------------------------------------------------------------------

    def to_networkx(self) -> nx.MultiDiGraph:
        """Dataset-level graph: one node per dataset, one edge per (source, target, job)."""
        import networkx as nx

        g = nx.MultiDiGraph()
        for name in sorted(self.datasets):
            ds = self.datasets[name]
            g.add_node(name, kind=ds.kind.value, columns=list(ds.columns))
        for e in sorted(self.edges):
            g.add_edge(e.source, e.target, key=e.job, job=e.job)
        return g

    def column_graph(self) -> nx.DiGraph:
        """Column-level graph over ``(dataset, column)`` nodes; column None is the whole dataset.

        A constant column is a node with no incoming edge: a shared "no source" node would join
        every constant column to every other."""
        import networkx as nx

        g = nx.DiGraph()
        for je in sorted(self.column_edges, key=JobColumnEdge.sort_key):
            e = je.edge
            if e.constant:
                g.add_node((e.target.table, e.target.column))
                continue
            src = (e.source.table, e.source.column)
            dst = (e.target.table, e.target.column)
            if g.has_edge(src, dst):
                g.edges[src, dst]["subtypes"].add(e.subtype.value)
            else:
                g.add_edge(src, dst, subtypes={e.subtype.value}, job=je.job, fingerprint=e.fingerprint)
        return g

    def upstream(self, name: str) -> set[str]:
        """Every dataset ``name`` is derived from."""
        import networkx as nx

        return set(nx.ancestors(self.to_networkx(), name)) if name in self.datasets else set()

    def downstream(self, name: str) -> set[str]:
        """Every dataset derived from ``name``."""
        import networkx as nx

        return set(nx.descendants(self.to_networkx(), name)) if name in self.datasets else set()

    def sorted_column_edges(self) -> list[JobColumnEdge]:
        return sorted(self.column_edges, key=JobColumnEdge.sort_key)

    def dataset_only_edges(self) -> list[TableEdge]:
        """Table edges (sorted) between two datasets that no column edge connects: flows known
        only at dataset level (files, Python jobs, models), which column walks follow whole."""
        with_columns = {(je.edge.source.table, je.edge.target.table) for je in self.column_edges}
        return [
            te for te in sorted(self.edges) if (te.source, te.target) not in with_columns and te.source != te.target
        ]

    def remove_jobs_of(self, paths: set[str], kind: str) -> None:
        """Forget what ``kind`` jobs found in ``paths`` (and the diagnostics of those paths).

        Used when a file was analysed again in a better context, e.g. an Airflow SQL template
        rendered with its DAG's parameters instead of placeholders."""
        gone = {name for name, job in self.jobs.items() if job.path in paths and job.kind == kind}
        if not gone:
            return
        cleared = {self.jobs[name].path for name in gone}  # a path with no such job keeps what it found
        for name in gone:
            del self.jobs[name]
        self.edges = {e for e in self.edges if e.job not in gone}
        self.column_edges = {je for je in self.column_edges if je.job not in gone}
        self.diagnostics = [d for d in self.diagnostics if d.path not in cleared]
        used = {n for e in self.edges for n in (e.source, e.target)}
        used |= {t for je in self.column_edges for t in (je.edge.source.table, je.edge.target.table) if t}
        for name in [
            n for n, ds in self.datasets.items() if n not in used and ds.location and ds.location.path in cleared
        ]:
            del self.datasets[name]

    def finish(self) -> None:
        """Make sure every dataset named by an edge exists."""
        for e in list(self.edges):
            self.dataset(e.source)
            self.dataset(e.target)

    def summary(self) -> dict[str, int]:
        direct = sum(1 for je in self.column_edges if je.edge.subtype.kind.value == "direct")
        return {
            "datasets": len(self.datasets),
            "columns": sum(len(d.columns) for d in self.datasets.values()),
            "jobs": len(self.jobs),
            "edges": len(self.edges),
            "column_edges": len(self.column_edges),
            "direct_column_edges": direct,
            "indirect_column_edges": len(self.column_edges) - direct,
            "unknown_datasets": sum(1 for d in self.datasets.values() if d.kind is DatasetKind.UNKNOWN),
            "diagnostics": len(self.diagnostics),
            "errors": sum(1 for d in self.diagnostics if d.severity.value == "error"),
            "warnings": sum(1 for d in self.diagnostics if d.severity.value == "warning"),
        }
