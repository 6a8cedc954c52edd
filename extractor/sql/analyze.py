"""Analyse a SQL script statement by statement: the public ``analyze_sql`` entry point.

Statements run in order against one schema catalog, so a table created or filled early in a
script is known, with its columns, to the statements after it. DROP, ALTER … RENAME, SWAP and
USE take effect in order too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from .. import codes
from ..model import ColumnEdge, Diagnostic, Location
from .catalog import SchemaCatalog
from .naming import get_dialect, parse_qualified
from .parse import LineIndex, ParsedStatement, parse_script
from .preprocess import preprocess
from .statements import StatementAnalyzer, StatementLineage


@dataclass
class SqlResult:
    """The lineage of one SQL script."""

    statements: list[StatementLineage]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    catalog: SchemaCatalog = field(default_factory=SchemaCatalog)
    source_tables: frozenset[str] = frozenset()
    target_tables: frozenset[str] = frozenset()
    intermediate_tables: frozenset[str] = frozenset()

    @property
    def column_edges(self) -> list[ColumnEdge]:
        return [edge for statement in self.statements for edge in statement.column_edges]


def catalog_from_mapping(schema: Mapping[str, object] | SchemaCatalog | None, dialect: Dialect) -> SchemaCatalog:
    """Accept ``{"db.table": ["col", ...]}``, nested ``{"db": {"table": {...}}}`` or a catalog."""
    if isinstance(schema, SchemaCatalog):
        return schema
    catalog = SchemaCatalog()
    if not schema:
        return catalog

    def visit(prefix: list[str], value: object) -> None:
        if isinstance(value, Mapping):
            if value and all(not isinstance(v, Mapping) for v in value.values()) and prefix:
                # {"table": {"col": "type"}} - a column -> type mapping
                catalog.add(parse_qualified(".".join(prefix), dialect), [str(k).lower() for k in value])
                return
            for key, sub in value.items():
                visit([*prefix, str(key)], sub)
        elif isinstance(value, Iterable) and not isinstance(value, str | bytes):
            catalog.add(parse_qualified(".".join(prefix), dialect), [str(c).lower() for c in value])

    visit([], schema)
    return catalog


def analyze_sql(
    sql: str,
    dialect: str | None = None,
    schema: Mapping[str, object] | SchemaCatalog | None = None,
    *,
    path: str = "<string>",
    default_db: str | None = None,
    default_catalog: str | None = None,
    line_offset: int = 0,
    variables: Mapping[str, str] | None = None,
) -> SqlResult:
    """Table- and column-level lineage of a SQL script.

    >>> r = analyze_sql("INSERT INTO t2 SELECT a + 1 AS b FROM t1")
    >>> sorted(r.statements[0].source_tables), [str(e.source) for e in r.column_edges]
    (['t1'], ['t1.a'])
    """
    sqlglot_dialect = get_dialect(dialect)
    catalog = catalog_from_mapping(schema, sqlglot_dialect)
    sql = preprocess(sql, sqlglot_dialect, path, variables)
    lines = LineIndex(sql, line_offset)
    statements, diagnostics = parse_script(sql, sqlglot_dialect, path, lines)
    result = analyze_statements(
        statements, sql, sqlglot_dialect, catalog, path=path, lines=lines,
        default_db=default_db, default_catalog=default_catalog,
    )  # fmt: skip
    result.diagnostics = sorted(diagnostics + result.diagnostics)
    return result


def analyze_statements(
    statements: list[ParsedStatement],
    sql: str,
    dialect: Dialect,
    catalog: SchemaCatalog,
    *,
    path: str,
    lines: LineIndex,
    default_db: str | None = None,
    default_catalog: str | None = None,
) -> SqlResult:
    """Analyse already parsed statements of one script in order, updating ``catalog``."""
    analyzer = StatementAnalyzer(dialect, catalog, path, sql, lines, default_db, default_catalog)
    results: list[StatementLineage] = []
    created: set[str] = set()
    bodies = _procedure_bodies(statements)
    for index, statement in enumerate(statements):
        if bodies.get(index) == -1:
            continue  # the END that closes a procedure body split at its semicolons
        group = statement.group if statement.group >= 0 else bodies.get(index, index)
        try:
            produced = analyzer.analyze(statement)
            for lineage in produced:
                lineage.group = group
        except Exception as e:  # one statement's failure costs only that statement
            analyzer.diagnostics.append(statement_failure(e, path, statement.line, statement.column))
            continue
        for lineage in produced:
            _apply_effects(lineage, analyzer, catalog, created)
        results.extend(produced)
    result = SqlResult(results, sorted(analyzer.diagnostics), catalog)
    _script_tables(result)
    return result


def _procedure_bodies(statements: list[ParsedStatement]) -> dict[int, int]:
    """Statements of a ``CREATE PROCEDURE … AS BEGIN …; …; END`` that the script was split into
    at its semicolons: index -> the procedure's index (-1 for the closing ``END``), so the body
    counts as one unit, as it does when the procedure is parsed whole."""
    result: dict[int, int] = {}
    for start, statement in enumerate(statements):
        node = statement.expression
        if not (
            statement.group < 0
            and isinstance(node, exp.Create)
            and str(node.kind).upper() in ("PROCEDURE", "FUNCTION")
            and isinstance(node.expression, exp.Block)
        ):
            continue
        for end in range(start + 1, len(statements)):
            other = statements[end].expression
            if statements[end].group >= 0 or isinstance(other, exp.Create):
                break
            if _is_end_marker(other):
                result.update({i: start for i in range(start + 1, end)})
                result[end] = -1
                break
    return result


def _is_end_marker(node: exp.Expr) -> bool:
    """A bare ``END``: sqlglot reads it as a command, an end marker or (Oracle) a column."""
    if isinstance(node, exp.EndStatement):
        return True
    if isinstance(node, exp.Command):
        return str(node.this).upper() == "END" and not str(node.expression or "").strip()
    return isinstance(node, exp.Column) and not node.table and node.name.upper() == "END"


def statement_failure(error: BaseException, path: str, line: int, column: int) -> Diagnostic:
    """The diagnostic for a statement whose analysis raised ``error``.

    Too deep for the stack is DT102; an exception from inside sqlglot (its optimizer and builders
    reject some inputs with ValueError, TypeError …) is DT101, a statement not understood; only an
    exception from datatrail's own code is DT900, an internal error."""
    detail = " ".join(str(error).split())[:160]
    if isinstance(error, RecursionError):
        code, message = codes.SQL_TOO_COMPLEX, "statement nested too deeply to analyse; no lineage taken from it"
    elif _raised_in_sqlglot(error):
        code = codes.SQL_UNSUPPORTED
        message = (
            f"sqlglot could not analyse this statement ({type(error).__name__}: {detail}); no lineage taken from it"
        )
    else:
        code, message = codes.INTERNAL, f"{type(error).__name__}: {detail}"
    return Diagnostic(path, line, column, codes.severity(code), code, message.replace(": )", ")"))


def _raised_in_sqlglot(error: BaseException) -> bool:
    tb = error.__traceback__
    last = None
    while tb is not None:
        last = tb.tb_frame.f_globals.get("__name__", "")
        tb = tb.tb_next
    return bool(last) and str(last).split(".")[0] == "sqlglot"


def replay_effects(statements: list[StatementLineage], catalog: SchemaCatalog) -> None:
    """Apply to ``catalog`` what analysing these statements did to it (for cached results)."""
    created: set[str] = set()
    for lineage in statements:
        _apply_effects(lineage, None, catalog, created)


def _apply_effects(
    lineage: StatementLineage, analyzer: StatementAnalyzer | None, catalog: SchemaCatalog, created: set[str]
) -> None:
    if lineage.use and analyzer is not None:
        analyzer.default_db = lineage.use
    for target, columns in lineage.target_columns.items():
        catalog.add(target, columns, replace=lineage.replaces_columns)
        created.add(target)
    for name in lineage.dropped:
        if name in created:
            catalog.remove(name)
    for old, new in lineage.renamed:
        catalog.rename(old, new)
    for a, b in lineage.swapped:
        cols_a, cols_b = catalog.columns(a), catalog.columns(b)
        if cols_a is not None:
            catalog.add(b, cols_a)
        if cols_b is not None:
            catalog.add(a, cols_b)


def _grouped(statements: list[StatementLineage]) -> list[StatementLineage]:
    """One entry per top-level statement: a procedure's body counts as one unit."""
    merged: list[StatementLineage] = []
    for s in statements:
        if merged and merged[-1].group == s.group:
            last = merged[-1]
            merged[-1] = StatementLineage(
                last.index, last.kind, last.location,
                source_tables=last.source_tables | s.source_tables,
                target_tables=last.target_tables | s.target_tables,
                dropped=last.dropped + s.dropped, renamed=last.renamed + s.renamed, group=last.group,
            )  # fmt: skip
        else:
            merged.append(s)
    return merged


def _script_tables(result: SqlResult) -> None:
    """Script-level sources, targets and intermediates, after drops, renames and swaps."""
    read: set[str] = set()
    written: set[str] = set()
    selfloop: set[str] = set()
    for s in _grouped(result.statements):
        loop = s.source_tables & s.target_tables
        selfloop |= loop - read - written
        read |= s.source_tables
        written |= s.target_tables
        for name in s.dropped:
            if name in written and name not in read:
                written.discard(name)
        for old, new in s.renamed:
            for group in (read, written, selfloop):
                if old in group:
                    group.discard(old)
                    group.add(new)
    result.source_tables = frozenset((read - written) | selfloop)
    result.target_tables = frozenset((written - read) | selfloop)
    result.intermediate_tables = frozenset((read & written) - selfloop)


__all__ = ["Location", "SqlResult", "analyze_sql", "catalog_from_mapping"]
