"""Recording lineage into a ``LineageGraph``: SQL statements into a unit's fragment, fragments into the scan's graph.

Every frontend produces a fragment (see units.py); ``merge`` is the one place where fragments
meet, in the scan's global order, so the result does not depend on which process analysed what.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .graph import Job, JobColumnEdge, LineageGraph, TableEdge
from .model import ColumnEdge, ColumnRef, Diagnostic, Location, Subtype
from .sql.catalog import SchemaCatalog

if TYPE_CHECKING:  # the SQL analysis loads when a statement is recorded; merging needs none of it
    from .sql.statements import StatementLineage


def record_statement(
    graph: LineageGraph, statement: StatementLineage, path: str, catalog: SchemaCatalog, kind: str = "sql"
) -> str | None:
    """Record one statement's lineage as a job in ``graph``; returns the job name."""
    from .sql.statements import fingerprint

    for old, new in statement.renamed:
        # A rename moves the data: in the repository's graph the old name feeds the new one.
        job = graph.add_job(
            Job(f"{path}:{new}", kind, path, statement.location.line, attributes={"statement": "rename"})
        )
        graph.dataset(old)
        graph.dataset(new).add_columns(catalog.columns(new) or ())
        graph.add_flow(old, new, job.name)
        for column in catalog.columns(new) or ():
            text = f"{old}.{column}"
            edge = ColumnEdge(ColumnRef(old, column), ColumnRef(new, column), Subtype.IDENTITY, text, fingerprint(text),
                              statement.location)  # fmt: skip
            graph.add_column_edge(edge, job.name)
    if not statement.source_tables and not statement.target_tables:
        return None
    target = min(statement.target_tables) if statement.target_tables else "query"
    attributes: dict[str, object] = {"statement": statement.kind, "fingerprint": statement.fingerprint}
    if statement.modifiers:
        attributes["modifiers"] = dict(sorted(statement.modifiers.items()))
    job = graph.add_job(Job(f"{path}:{target}", kind, path, statement.location.line, attributes=attributes))
    for name in sorted(statement.datasets):
        ds = graph.dataset(name, statement.dataset_kinds.get(name))
        if name in statement.target_tables and ds.location is None:
            ds.location = Location(path, statement.location.line)
        columns = catalog.columns(name)
        if columns and name in statement.target_tables:
            ds.add_columns(columns)
    for name, columns in statement.target_columns.items():
        graph.dataset(name).add_columns(columns)
    for source in sorted(statement.source_tables):
        for target_name in sorted(statement.target_tables):
            graph.add_flow(source, target_name, job.name)
    if not statement.target_tables:
        for source in statement.source_tables:
            job.inputs.add(source)
    for edge in statement.column_edges:
        graph.add_column_edge(edge, job.name)
    return job.name


def merge(graph: LineageGraph, fragment: LineageGraph, seen: set[Diagnostic] | None = None) -> None:
    """Add ``fragment`` to ``graph``: datasets are united (the more specific kind wins), jobs keep
    their names unless taken (then ``#2`` …), diagnostics are kept once (``seen``)."""
    for name in sorted(fragment.datasets):
        part = fragment.datasets[name]
        ds = graph.dataset(name, part.kind, part.location)
        ds.add_columns(part.columns)
        for key, value in part.attributes.items():
            ds.attributes.setdefault(key, value)
    renamed: dict[str, str] = {}
    for name in sorted(fragment.jobs):
        job = fragment.jobs[name]
        copy = Job(job.name, job.kind, job.path, job.line, set(job.inputs), set(job.outputs), dict(job.attributes))
        added = graph.add_job(copy)
        if added.name != name:
            renamed[name] = added.name
    for e in sorted(fragment.edges):
        graph.edges.add(TableEdge(e.source, e.target, renamed.get(e.job, e.job)))
    if renamed:
        for je in fragment.column_edges:
            graph.column_edges.add(JobColumnEdge(je.edge, renamed[je.job]) if je.job in renamed else je)
    else:
        graph.column_edges |= fragment.column_edges  # a set union reuses the edges' hashes
    for d in fragment.diagnostics:
        if seen is None:
            graph.diagnostics.append(d)
        elif d not in seen:
            seen.add(d)
            graph.diagnostics.append(d)
