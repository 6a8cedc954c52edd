"""SQL files: one unit per file; a script's statements run in order against its upstream schemas."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from ..cache import AnalysisCache
from ..cache import key as cache_key
from ..config import Config, is_sql_file
from ..dbt.jinja import airflow_context, render_with_lines
from ..graph import LineageGraph
from ..model import Diagnostic
from ..recorder import record_statement
from ..sources import SourceFile, SourceTree
from ..sql.analyze import analyze_statements
from ..sql.catalog import SchemaCatalog
from ..sql.dependencies import reads_and_writes
from ..sql.naming import get_dialect, table_name
from ..sql.parse import LineIndex, ParsedStatement, parse_script
from ..sql.preprocess import preprocess
from ..units import Claim, Plan, Unit, UnitResult, Upstream


class SqlFiles:
    """Plain SQL scripts (any dialect); Airflow-style ``{{ … }}`` templates render with placeholders."""

    name = "sql"
    version = "1"

    def __init__(self) -> None:
        self.config = Config()
        self.sources: dict[str, SourceFile] = {}

    def claim(self, tree: SourceTree, files: Sequence[str], config: Config, cache: AnalysisCache) -> Claim:
        self.config = config
        claim = Claim()
        for rel in files:
            if not is_sql_file(rel):
                continue
            claim.paths.add(rel)
            source = tree.source(rel)
            if isinstance(source, Diagnostic):
                claim.diagnostics.append(source)
                continue
            self.sources[rel] = source
            digest = cache_key(rel, tree.digest(rel), config.dialect_for(rel), config.default_schema,
                               config.default_database, sorted(config.variables.items()))  # fmt: skip
            claim.units.append(Unit(self.name, rel, rel, digest))
        return claim

    def plan(self, unit: Unit) -> Plan:
        parsed = self._parse(unit.path)
        reads, writes = reads_and_writes(
            (s.expression for s in parsed.statements), partial(_name_table, dialect=parsed.dialect, config=self.config)
        )
        return Plan(frozenset(reads), frozenset(writes))

    def analyse(self, unit: Unit, upstream: Upstream) -> UnitResult:
        parsed = self._parse(unit.path)
        catalog = SchemaCatalog(upstream)
        before = catalog.as_dict()
        analysed = analyze_statements(
            parsed.statements, parsed.sql, parsed.dialect, catalog, path=unit.path, lines=parsed.lines,
            default_db=self.config.default_schema, default_catalog=self.config.default_database,
        )  # fmt: skip
        result = UnitResult()
        result.graph.diagnostics.extend(sorted(parsed.diagnostics + analysed.diagnostics))
        for statement in analysed.statements:
            record_statement(result.graph, statement, unit.path, catalog)
        result.schemas = catalog.changes_since(before)
        return result

    def finish(self, graph: LineageGraph, results: Sequence[UnitResult]) -> None:
        return None

    def _parse(self, path: str) -> _Parsed:
        source = self.sources[path]
        dialect = get_dialect(self.config.dialect_for(path))
        text = source.text
        diagnostics: list[Diagnostic] = []
        lines: LineIndex
        if "{{" in text or "{%" in text:
            # Airflow-style templated SQL ({{ ds }}, {{ params.x }}): rendered in the sandbox
            # with placeholders, lines mapped back to the template.
            rendered = render_with_lines(text, path, airflow_context())
            sql, lines, diagnostics = rendered.text, rendered.lines, list(rendered.diagnostics)
        else:
            sql, lines = text, LineIndex(text)
        sql = preprocess(sql, dialect, path, self.config.variables)
        statements, problems = parse_script(sql, dialect, path, lines)
        return _Parsed(sql, lines, dialect, statements, diagnostics + problems)


@dataclass
class _Parsed:
    sql: str
    lines: LineIndex
    dialect: Dialect
    statements: list[ParsedStatement]
    diagnostics: list[Diagnostic]


def _name_table(table: exp.Table, dialect: Dialect, config: Config) -> str:
    return table_name(table, dialect, config.default_schema, config.default_database)
