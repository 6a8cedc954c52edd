"""SQL inside Python: strings built in code, run through the same SQL engine as ``.sql`` files.

A SQL string may be a literal, a constant from another module, a concatenation or a format with
holes. Holes become placeholder identifiers the SQL parser accepts (``dt_hole_0``) and are put
back as ``{name}`` in dataset names afterwards. Statements that write (INSERT, CTAS, MERGE …)
become jobs of the Python file; the rows a SELECT returns become a ``Frame`` whose columns carry
the SQL engine's per-output origins.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import libcst as cst
from sqlglot import tokens

from ..model import ColumnEdge, ColumnRef, DatasetKind, Diagnostic, Location
from ..placeholders import is_placeholder
from ..recorder import record_statement
from ..sql.analyze import analyze_sql
from ..sql.naming import get_dialect
from ..sql.preprocess import dbapi_parameters
from ..sql.query_lineage import Origin, OutputLineage
from ..sql.statements import StatementLineage
from .connections import dialect_of_url
from .frames import Col, Frame, union_frames
from .interpreter import REGISTRY, Site
from .templating import BLOCKED, PLACEHOLDER, Holes, Scope, is_templated, render_template
from .values import NONE, Const, DictVal, ListVal, Str, Unknown, Value, options

if TYPE_CHECKING:
    from .interpreter import Ctx, Interpreter

_SQL_STARTS = frozenset(
    " ".join(
        [
            "SELECT WITH INSERT CREATE UPDATE DELETE MERGE COPY REPLACE DROP TRUNCATE ALTER UNLOAD CALL",
            "VALUES EXPORT LOAD USE UPSERT OPTIMIZE VACUUM REFRESH CACHE SHOW DESCRIBE DECLARE BEGIN SET",
            "GRANT",
        ]
    ).split()
)


def looks_like_sql(value: Value) -> bool:
    """True when a string starts like a SQL statement (comments and parentheses skipped)."""
    for option in options(value):
        if isinstance(option, Str):
            text = option.literal_text if option.parts and isinstance(option.parts[0], str) else ""
            if _first_word(text) in _SQL_STARTS:
                return True
    return False


def _first_word(text: str) -> str:
    i = 0
    n = len(text)
    while i < n:
        if text[i].isspace() or text[i] == "(":
            i += 1
        elif text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        elif text.startswith("/*", i):
            end = text.find("*/", i)
            i = n if end < 0 else end + 2
        else:
            break
    j = i
    while j < n and (text[j].isalnum() or text[j] == "_"):
        j += 1
    return text[i:j].upper()


def render(value: Str, holes: Holes) -> str:
    parts: list[str] = []
    for part in value.parts:
        parts.append(part if isinstance(part, str) else holes.placeholder(part.name))
    return "".join(parts)


def python_value(value: Value, depth: int = 0) -> Any:
    """A plain Python value for a template context (``params={...}``)."""
    if isinstance(value, Str):
        return value.exact if value.exact is not None else value.text
    if isinstance(value, Const):
        return value.value
    if isinstance(value, ListVal) and depth < 5:
        return [python_value(v, depth + 1) for v in value.items]
    if isinstance(value, DictVal) and depth < 5:
        return {str(k): python_value(v, depth + 1) for k, v in value.items.items()}
    return None


def run_sql(
    interp: Interpreter,
    ctx: Ctx,
    node: cst.CSTNode | None,
    value: Value | None,
    dialect: str | None = None,
    *,
    flavor: str = "pandas",
    params: DictVal | None = None,
    templated: bool = False,
    stdio: str | None = None,
    data: Value | None = None,
    dbapi: bool = False,
) -> Frame | None:
    """Analyse SQL held by ``value``; record its writes; return the frame of its last SELECT.

    ``data`` is what the code passes as query parameters: rows inserted by ``INSERT … VALUES
    (%s, …)`` come from it. ``dbapi``: the SQL goes through a DB-API ``execute``, so ``%s`` and
    ``%(name)s`` are parameters.
    """
    frames: list[Frame] = []
    for option in options(value if value is not None else Unknown("sql")):
        if isinstance(option, ListVal):
            for item in option.items:
                frame = run_sql(interp, ctx, node, item, dialect, flavor=flavor, params=params, templated=templated,
                                data=data, dbapi=dbapi)  # fmt: skip
                if frame is not None:
                    frames.append(frame)
            continue
        if not isinstance(option, Str):
            label = option.name if isinstance(option, Unknown) and option.name != "sql" else None
            reason = "SQL built at run time could not be recovered"
            name = interp.sink.unknown(interp, ctx, node, "DT303", reason, label)
            frames.append(Frame(flavor, {}, {name}, {name}))
            continue
        frame = _run_one(interp, ctx, node, option, dialect, flavor, params, templated, stdio, data, dbapi)
        if frame is not None:
            frames.append(frame)
    if not frames:
        return None
    return frames[-1] if len(frames) == 1 else union_frames(frames, flavor)


def _run_one(
    interp: Interpreter,
    ctx: Ctx,
    node: cst.CSTNode | None,
    sql_value: Str,
    dialect: str | None,
    flavor: str,
    params: DictVal | None,
    templated: bool,
    stdio: str | None,
    data: Value | None,
    dbapi: bool = False,
) -> Frame | None:
    holes = Holes()
    sql = render(sql_value, holes)
    if templated or is_templated(sql):
        context: dict[str, Any] = {}
        if params is not None:
            context["params"] = Scope("params", python_value(params) or {})
        sql, error = render_template(sql, holes, context, ctx.path)
        if error is not None:
            interp.diag(ctx, node, "DT205" if error.startswith(BLOCKED) else "DT303", error)
            return None
    if stdio is not None:
        sql = _replace_stdio(sql, stdio, dialect)
    loc = sql_value.loc
    path = loc.path if loc is not None else ctx.path
    line_offset = max(loc.line - 1, 0) if loc is not None else max(interp.loc(ctx, node).line - 1, 0)
    name = interp.sink.sql_dialect(ctx.path, dialect)
    if dbapi:
        sql = dbapi_parameters(sql, get_dialect(name))
    config = interp.sink.config
    # Script variables (``${x}``, ``${hiveconf:x}``) take the values the caller passes (operator
    # params / hiveconfs), then the configured ones.
    variables = dict(config.variables)
    passed = python_value(params) if params is not None else None
    if isinstance(passed, dict):
        variables.update({str(k): str(v) for k, v in passed.items() if isinstance(v, str | int | float)})
    result = analyze_sql(sql, name, interp.sink.catalog, path=path, line_offset=line_offset,
                         default_db=config.default_schema, default_catalog=config.default_database,
                         variables=variables)  # fmt: skip
    graph = interp.sink.graph
    parse_failed = any(d.code == "DT100" for d in result.diagnostics)
    if holes.names and parse_failed:
        interp.diag(ctx, node, "DT303", "SQL built at run time could not be parsed with its placeholders")
    else:
        graph.diagnostics.extend(_restore_diagnostic(d, holes) for d in result.diagnostics)
    frame: Frame | None = None
    for statement in result.statements:
        statement = _restore(statement, holes) if holes.names else statement
        if statement.target_tables:
            _record(interp, ctx, statement)
            if data is not None and not statement.source_tables and interp.data_in(data):
                kind = DatasetKind.TABLE
                interp.sink.write(interp, ctx, node, data, sorted(statement.target_tables), kind, "execute")
        elif statement.outputs or statement.source_tables:
            frame = frame_from_select(statement, flavor, interp.loc(ctx, node))
    return frame


@REGISTRY.on("sql_magic")
def _sql_magic(interp: Interpreter, site: Site) -> Value | None:
    """A notebook ``%%sql`` cell or ``%sql`` line, in the dialect of its connection URL when known."""
    url = site.args.pos[1] if len(site.args.pos) > 1 else None
    dialect = dialect_of_url(url.exact or "") if isinstance(url, Str) else None
    frame = run_sql(interp, site.ctx, site.node, site.args.pos[0] if site.args.pos else None, dialect)
    return frame if frame is not None else NONE


def frame_from_select(statement: StatementLineage, flavor: str, loc: Location) -> Frame:
    """The rows of a SELECT as a frame: one column per output, with the engine's origins."""
    columns: dict[str, Col] = {}
    opened: set[str] = set()
    for output in statement.outputs:
        origins = frozenset(o for o in output.origins if o.table is not None)
        if (
            output.name == "*"
            or output.name.startswith(PLACEHOLDER)
            or "{" in output.name
            or is_placeholder(output.name)
        ):
            opened |= {o.table for o in origins if o.table is not None and o.column is None}
            if output.name != "*":
                opened |= set(statement.source_tables)
            continue
        columns[output.name] = Col(origins, output.transformation, loc, constant=output.constant)
    return Frame(flavor, columns, opened, statement.source_tables)


def _record(interp: Interpreter, ctx: Ctx, statement: StatementLineage) -> None:
    sink = interp.sink
    job = record_statement(sink.graph, statement, ctx.root.path, sink.catalog, kind="python")
    if job is not None:
        sink.tag(ctx, job)
        where = statement.location
        if where.path and where.path != ctx.root.path:
            # SQL loaded from a template file: the job points at that file, at its own line.
            sink.graph.jobs[job].path = where.path
            sink.graph.jobs[job].line = where.line
        for name in statement.target_tables:
            if name.startswith("{") or "{" in name:
                sink.graph.dataset(name).attributes["pattern"] = True


def _replace_stdio(sql: str, path: str, dialect: str | None) -> str:
    """``COPY t FROM STDIN`` with the file the Python code hands over: ``COPY t FROM 'path'``."""
    try:
        toks = get_dialect(dialect).tokenize(sql)
    except Exception:
        return sql
    quoted = "'" + path.replace("'", "''") + "'"
    for tok in reversed(toks):
        if tok.token_type in (tokens.TokenType.VAR, tokens.TokenType.IDENTIFIER) and tok.text.upper() in (
            "STDIN",
            "STDOUT",
        ):
            sql = sql[: tok.start] + quoted + sql[tok.end + 1 :]
    return sql


def _restore_name(name: str | None, holes: Holes) -> str | None:
    return holes.restore(name) if name is not None else None


def _restore_diagnostic(d: Diagnostic, holes: Holes) -> Diagnostic:
    return replace(d, message=holes.restore(d.message)) if holes.names else d


def _restore(statement: StatementLineage, holes: Holes) -> StatementLineage:
    def n(name: str) -> str:
        return holes.restore(name)

    def origin(o: Origin) -> Origin:
        return Origin(_restore_name(o.table, holes), o.column, o.subtype)

    def ref(r: ColumnRef) -> ColumnRef:
        return ColumnRef(_restore_name(r.table, holes), r.column)

    return replace(
        statement,
        source_tables=frozenset(n(t) for t in statement.source_tables),
        target_tables=frozenset(n(t) for t in statement.target_tables),
        column_edges=[
            ColumnEdge(
                ref(e.source), ref(e.target), e.subtype, holes.restore(e.transformation), e.fingerprint, e.location
            )
            for e in statement.column_edges
        ],
        outputs=[
            OutputLineage(o.name, {origin(x) for x in o.origins}, holes.restore(o.transformation), o.offset, o.constant)
            for o in statement.outputs
        ],
        target_columns={n(k): v for k, v in statement.target_columns.items()},
        dataset_kinds={n(k): v for k, v in statement.dataset_kinds.items()},
        dropped=tuple(n(t) for t in statement.dropped),
        renamed=tuple((n(a), n(b)) for a, b in statement.renamed),
    )
