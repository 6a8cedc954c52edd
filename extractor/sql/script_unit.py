"""A parsed SQL script as an analysis unit: its plan and its result, shared by the SQL frontends."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from ..config import Config
from ..model import Diagnostic
from ..recorder import record_statement
from ..units import Plan, UnitResult, Upstream
from .analyze import analyze_statements
from .catalog import SchemaCatalog
from .dependencies import reads_and_writes
from .naming import table_name
from .parse import LineIndex, ParsedStatement


def script_plan(statements: Sequence[ParsedStatement], dialect: Dialect, config: Config) -> Plan:
    """The tables a script reads and writes, from its parsed statements."""
    reads, writes = reads_and_writes((s.expression for s in statements), partial(_name, dialect=dialect, config=config))
    return Plan(frozenset(reads), frozenset(writes))


def script_result(
    statements: list[ParsedStatement],
    sql: str,
    dialect: Dialect,
    lines: LineIndex,
    problems: list[Diagnostic],
    path: str,
    config: Config,
    upstream: Upstream,
) -> UnitResult:
    """Analyse a script's statements in order against ``upstream``: its lineage and the schemas it leaves."""
    catalog = SchemaCatalog(upstream)
    before = catalog.as_dict()
    analysed = analyze_statements(
        statements, sql, dialect, catalog, path=path, lines=lines,
        default_db=config.default_schema, default_catalog=config.default_database,
    )  # fmt: skip
    result = UnitResult()
    result.graph.diagnostics.extend(sorted(problems + analysed.diagnostics))
    for statement in analysed.statements:
        record_statement(result.graph, statement, path, catalog)
    result.schemas = catalog.changes_since(before)
    return result


def _name(table: exp.Table, dialect: Dialect, config: Config) -> str:
    return table_name(table, dialect, config.default_schema, config.default_database)
