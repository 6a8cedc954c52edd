"""Where interpreted reads and writes meet the lineage graph.

The interpreter keeps data in memory as ``Frame`` values; only when data lands somewhere (a
file, a table, a model artifact) does the ``Sink`` record a job, dataset flows from every source
the data came from, and column edges from source columns to the written columns. Names are made
to agree with the SQL side: tables are normalized like SQL table references, paths are kept as
written. What cannot be resolved becomes an explicit ``unknown:`` dataset with its reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import libcst as cst
from sqlglot import exp

from .. import codes
from ..config import Config
from ..graph import Job, JobColumnEdge, LineageGraph
from ..model import NO_SOURCE, ColumnEdge, ColumnRef, DatasetKind, Diagnostic, Location, Subtype
from ..sql.catalog import SchemaCatalog
from ..sql.naming import get_dialect, table_name
from ..sql.query_lineage import Origin
from ..sql.statements import fingerprint
from .frames import OPAQUE_COLUMN, Col, ColExpr, Frame, step, union_frames
from .objects import FileHandle, Instance, Obj
from .settings import Settings
from .values import Alt, DictVal, ListVal, Str, Unknown, Value, normalized_path, options

if TYPE_CHECKING:
    from .interpreter import Ctx, Interpreter

UNKNOWN = "unknown:"


class Sink:
    """Records reads and writes of interpreted code as datasets, jobs and edges."""

    def __init__(self, graph: LineageGraph, catalog: SchemaCatalog, config: Config, settings: Settings) -> None:
        self.graph = graph
        self.catalog = catalog
        self.config = config
        self.settings = settings
        self.jobs: dict[tuple[str, str, str, int], str] = {}
        self.file_columns: dict[str, list[str]] = {}
        #: every dataset whose columns the code asked for: the unit's reads
        self.looked_up: set[str] = set()
        self.opaque_reported: set[tuple[str, int]] = set()
        #: SQL template files (Airflow ``template_searchpath``) analysed here with their parameters.
        self.templates: set[str] = set()

    # -- values ---------------------------------------------------------------------------------

    def env_value(self, name: str | None) -> Value | None:
        if name is not None and name in self.settings.env:
            return Str.of(self.settings.env[name])
        return None

    def sql_dialect(self, path: str, api_dialect: str | None) -> str | None:
        """Per-path configuration first, then the API's own dialect (Spark, BigQuery …), then the default."""
        chosen = self.config.dialect_for(path)
        if chosen != self.config.dialect:
            return chosen
        return api_dialect or self.config.dialect

    def table(self, text: str, dialect: str | None = None) -> str:
        """A table name written in Python, normalized like a SQL table reference."""
        text = text.strip().strip("`")
        if "{" in text:
            return text.lower()
        d = get_dialect(dialect if dialect is not None else self.config.dialect)
        try:
            parsed = exp.to_table(text, dialect=d)
        except Exception:
            return text.lower()
        if not isinstance(parsed, exp.Table) or not parsed.name:
            return text.lower()
        return table_name(parsed, d, self.config.default_schema, self.config.default_database)

    def unknown(
        self, interp: Interpreter, ctx: Ctx, node: cst.CSTNode | None, code: str, reason: str, label: str | None = None
    ) -> str:
        """An explicit unknown dataset standing for what could not be resolved at ``node``.

        It is named after ``label`` (the unresolved expression, e.g. a parameter name) or the code
        at ``node``, so it stays the same when the file's lines move.
        """
        text = label or (interp.code(ctx, node) if node is not None else "?")
        text = text if len(text) <= 60 else text[:59] + "…"
        name = f"{UNKNOWN}{ctx.path}:{text}"
        loc = interp.loc(ctx, node)
        ds = self.graph.dataset(name, DatasetKind.UNKNOWN, loc)
        ds.attributes.setdefault("reason", reason)
        interp.diag(ctx, node, code, f"{reason}: {text}")
        return name

    def path_names(self, interp: Interpreter, ctx: Ctx, node: cst.CSTNode | None, value: Value | None) -> list[str]:
        """Dataset names of a path argument (several when it is one of alternatives)."""
        names: list[str] = []
        for option in options(value if value is not None else Unknown("path")):
            if isinstance(option, FileHandle):
                option = option.path
            if isinstance(option, Str) and option.literal_text.strip("/{}. ") and option.exact != "":
                name = normalized_path(option)
                names.append(name)
                if option.exact is None:
                    self.graph.dataset(name, DatasetKind.FILE).attributes["pattern"] = True
            elif isinstance(option, ListVal):
                for item in option.items:
                    names.extend(self.path_names(interp, ctx, node, item))
            else:
                reason = option.reason if isinstance(option, Unknown) and option.reason else "path"
                label = option.name if isinstance(option, Unknown) and option.name not in ("path", "…") else None
                names.append(
                    self.unknown(interp, ctx, node, "DT301", f"path not resolvable statically ({reason})", label)
                )
        return list(dict.fromkeys(names))

    def table_names(
        self,
        interp: Interpreter,
        ctx: Ctx,
        node: cst.CSTNode | None,
        value: Value | None,
        schema: Value | None = None,
        dialect: str | None = None,
    ) -> list[str]:
        names: list[str] = []
        schema_text = schema.text if isinstance(schema, Str) else None
        for option in options(value if value is not None else Unknown("table")):
            if isinstance(option, Str) and option.literal_text.strip("{}. "):
                text = option.text
                if schema_text and "." not in text:
                    text = f"{schema_text}.{text}"
                names.append(self.table(text, dialect))
            else:
                reason = option.reason if isinstance(option, Unknown) and option.reason else "table"
                label = option.name if isinstance(option, Unknown) and option.name not in ("table", "…") else None
                names.append(
                    self.unknown(interp, ctx, node, "DT301", f"table name not resolvable statically ({reason})", label)
                )
        return list(dict.fromkeys(names))

    def known_columns(self, name: str) -> list[str] | None:
        self.looked_up.add(name)
        if name in self.file_columns:
            return self.file_columns[name]
        columns = self.catalog.columns(name)
        return list(columns) if columns else None

    # -- reads ----------------------------------------------------------------------------------

    def read(
        self,
        interp: Interpreter,
        ctx: Ctx,
        node: cst.CSTNode | None,
        names: Iterable[str],
        kind: DatasetKind,
        flavor: str,
        columns: list[str] | None = None,
    ) -> Frame:
        """A frame reading ``names``: known columns are listed, others pass through open."""
        loc = interp.loc(ctx, node)
        frames: list[Frame] = []
        for name in names:
            ds_kind = DatasetKind.UNKNOWN if name.startswith(UNKNOWN) else kind
            self.graph.dataset(name, ds_kind)
            known = columns if columns is not None else self.known_columns(name)
            if known:
                cols = {c: Col(frozenset({Origin(name, c, Subtype.IDENTITY)}), f"{name}.{c}", loc) for c in known}
                frames.append(Frame(flavor, cols, (), {name}))
            else:
                frames.append(Frame(flavor, {}, {name}, {name}))
        if not frames:
            return Frame(flavor)
        return frames[0] if len(frames) == 1 else union_frames(frames, flavor)

    # -- writes ---------------------------------------------------------------------------------

    def to_frame(self, interp: Interpreter, value: Value, depth: int = 0) -> Frame | None:
        """The data a value carries: frames, columns, containers of them, trained models."""
        if isinstance(value, Frame):
            return value
        if isinstance(value, ColExpr):
            name = value.name or OPAQUE_COLUMN
            col = Col(value.resolve(None), value.text, value.loc)
            return Frame(value.flavor, {name: col}, (), value.sources)
        if depth > 6:
            return None
        parts: list[Frame] = []
        if isinstance(value, ListVal | Alt):
            items = value.items if isinstance(value, ListVal) else list(value.options)
            parts = [f for i in items if (f := self.to_frame(interp, i, depth + 1)) is not None]
        elif isinstance(value, DictVal):
            parts = [f for i in value.items.values() if (f := self.to_frame(interp, i, depth + 1)) is not None]
        elif isinstance(value, Obj | Instance):
            trained = [f for i in value.trained if (f := self.to_frame(interp, i, depth + 1)) is not None]
            parts = [_trained(f) for f in trained]
            if value.loaded_from:
                parts.append(Frame("data", {}, value.loaded_from, value.loaded_from))
            if isinstance(value, Instance):
                for attr in value.attrs.values():
                    if isinstance(attr, Obj | Instance) and attr is not value:
                        f = self.to_frame(interp, attr, depth + 1)
                        if f is not None:
                            parts.append(f)
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else union_frames(parts, "data")

    def job(self, interp: Interpreter, ctx: Ctx, target: str, operation: str, loc: Location) -> str:
        root = ctx.root
        key = (root.path, target, loc.path, loc.line)
        existing = self.jobs.get(key)
        if existing is not None:
            return existing
        line = loc.line if loc.path == root.path else root.line
        job = self.graph.add_job(Job(f"{root.path}:{target}", "python", root.path, line))
        job.attributes["operation"] = operation
        if loc.path != root.path:
            job.attributes["via"] = f"{loc.path}:{loc.line}"
        self.tag(ctx, job.name)
        self.jobs[key] = job.name
        return job.name

    def tag(self, ctx: Ctx, job_name: str) -> None:
        """Attach the Airflow task being interpreted (if any) to a job."""
        task = ctx.task
        if task is None:
            return
        job = self.graph.jobs[job_name]
        job.attributes["airflow_task"] = task.task_id
        if task.dag_id:
            job.attributes["airflow_dag"] = task.dag_id
        task.jobs.add(job_name)

    def write(
        self,
        interp: Interpreter,
        ctx: Ctx,
        node: cst.CSTNode | None,
        data: Value | None,
        names: Iterable[str],
        kind: DatasetKind,
        operation: str,
        data_node: cst.CSTNode | None = None,
    ) -> None:
        """``data`` lands in each of ``names``: a job, flows from its sources, column edges."""
        names = list(names)
        if not names:
            return
        frame = self.to_frame(interp, data) if data is not None else None
        if frame is None:
            if data is None or isinstance(data, Unknown):
                source = self.unknown(
                    interp, ctx, data_node or node, "DT305", "the origin of the data written here is unknown"
                )
                frame = Frame("data", {}, {source}, {source})
            else:
                frame = Frame("data")
        loc = interp.loc(ctx, node)
        for opaque in frame.opaque:
            key = (opaque.loc.path, opaque.loc.line)
            if key not in self.opaque_reported:
                self.opaque_reported.add(key)
                self.graph.diagnostics.append(
                    _diagnostic(opaque.loc, "DT302", f"opaque step: all inputs flow to all outputs ({opaque.what})")
                )
        for name in names:
            self.emit(interp, ctx, frame, name, kind, operation, loc)

    def emit(
        self, interp: Interpreter, ctx: Ctx, frame: Frame, target: str, kind: DatasetKind, operation: str, loc: Location
    ) -> None:
        ds_kind = DatasetKind.UNKNOWN if target.startswith(UNKNOWN) else kind
        ds = self.graph.dataset(target, ds_kind, loc)
        job = self.job(interp, ctx, target, operation, loc)
        self.graph.jobs[job].outputs.add(target)
        for source in sorted(frame.sources):
            self.graph.dataset(source)
            self.graph.add_flow(source, target, job)
        columns = [c for c in frame.columns if c != OPAQUE_COLUMN]
        ds.add_columns(columns)
        for name, col in frame.columns.items():
            target_ref = ColumnRef(target, name)
            for origin in sorted(col.origins, key=_origin_key):
                if origin.table is None or (origin.table == target and origin.column == name):
                    continue
                source_ref = ColumnRef(origin.table, origin.column if origin.column is not None else "*")
                edge = ColumnEdge(
                    source_ref, target_ref, origin.subtype, col.text, fingerprint(col.text), col.loc or loc
                )
                self.graph.add_column_edge(edge, job)
            if col.constant and not col.origins:  # a literal: one edge with no source, as SQL writes it
                edge = ColumnEdge(NO_SOURCE, target_ref, Subtype.TRANSFORMATION, col.text, fingerprint(col.text),
                                  col.loc or loc)  # fmt: skip
                self.graph.add_column_edge(edge, job)
        for source in sorted(frame.open):
            if source == target:
                continue
            text = f"{source}.*"
            edge = ColumnEdge(
                ColumnRef(source, "*"), ColumnRef(target, "*"), Subtype.IDENTITY, text, fingerprint(text), loc
            )
            self.graph.add_column_edge(edge, job)
        for origin, text in sorted(frame.indirect.items(), key=lambda item: _origin_key(item[0])):
            if origin.table is None or origin.column is None:
                continue
            edge = ColumnEdge(ColumnRef(origin.table, origin.column), ColumnRef(target, None), origin.subtype, text,
                              fingerprint(text), loc)  # fmt: skip
            self.graph.add_column_edge(edge, job)
        if columns and not frame.open and OPAQUE_COLUMN not in frame.columns and not target.startswith(UNKNOWN):
            if kind in (DatasetKind.TABLE, DatasetKind.TEMPORARY, DatasetKind.VIEW):
                self.catalog.add(target, columns)
            else:
                self.file_columns[target] = columns


def expand_stars(sink: Sink, rounds: int = 5) -> None:
    """``source.* -> target.*`` edges of Python jobs, once the source's columns are known.

    A file read before the job that writes it was interpreted (files run in path order) first
    passes through as all-columns; when a later job wrote it with known columns, the star edge
    becomes one identity edge per column, and the target learns those columns in turn.
    """
    graph = sink.graph
    for _ in range(rounds):
        changed = False
        for je in sorted(graph.column_edges, key=JobColumnEdge.sort_key):
            edge = je.edge
            if edge.source.column != "*" or edge.target.column != "*" or edge.subtype is not Subtype.IDENTITY:
                continue
            job = graph.jobs.get(je.job)
            source, target = edge.source.table, edge.target.table
            if job is None or job.kind != "python" or source is None or target is None:
                continue
            columns = sink.known_columns(source)
            if not columns:
                continue
            graph.column_edges.discard(je)
            for column in columns:
                text = f"{source}.{column}"
                graph.add_column_edge(
                    ColumnEdge(ColumnRef(source, column), ColumnRef(target, column), Subtype.IDENTITY, text,
                               fingerprint(text), edge.location),
                    je.job,
                )  # fmt: skip
            if not target.startswith(UNKNOWN) and target not in sink.file_columns:
                known = sink.known_columns(target)
                sink.file_columns[target] = list(dict.fromkeys([*(known or []), *columns]))
            changed = True
        if not changed:
            return


def _trained(frame: Frame) -> Frame:
    """What a model keeps of its training data: every column, through a TRANSFORMATION step."""
    columns = {
        name: Col(step(col.origins, Subtype.TRANSFORMATION), col.text, col.loc) for name, col in frame.columns.items()
    }
    if frame.open:
        star = frozenset(Origin(ds, None, Subtype.TRANSFORMATION) for ds in frame.open)
        previous = columns.get(OPAQUE_COLUMN)
        columns[OPAQUE_COLUMN] = Col(star | (previous.origins if previous else frozenset()), "fit(*)", None)
    return Frame(frame.flavor, columns, (), frame.sources, frame.indirect, frame.opaque)


def _origin_key(origin: Origin) -> tuple[str, str, str]:
    return (origin.table or "", origin.column or "", origin.subtype.value)


def _diagnostic(loc: Location, code: str, message: str) -> Diagnostic:
    return Diagnostic(loc.path, loc.line, max(loc.column, 1), codes.severity(code), code, message)
