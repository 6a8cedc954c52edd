"""SQL files: one unit per file; a script's statements run in order against its upstream schemas."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..cache import AnalysisCache
from ..cache import key as cache_key
from ..config import Config, is_sql_file
from ..graph import LineageGraph
from ..model import Diagnostic
from ..sources import SourceFile, SourceTree
from ..units import Claim, Plan, Unit, UnitResult, Upstream

if TYPE_CHECKING:  # sqlglot, Jinja and the SQL core load when a file is analysed, not when it is listed
    from sqlglot.dialects.dialect import Dialect

    from ..sql.parse import LineIndex, ParsedStatement


class SqlFiles:
    """Plain SQL scripts (any dialect); Airflow-style ``{{ … }}`` templates render with placeholders."""

    name = "sql"
    version = "2"
    jobs = 1

    def __init__(self) -> None:
        self.config = Config()
        self.sources: dict[str, SourceFile] = {}

    def claim(self, tree: SourceTree, files: Sequence[str], config: Config, cache: AnalysisCache) -> Claim:
        self.config = config
        claim = Claim()
        for rel in files:
            if not is_sql_file(rel):
                continue
            source = claim.take(tree, rel)
            if source is None:
                continue
            self.sources[rel] = source
            digest = cache_key(rel, tree.digest(rel), config.dialect_for(rel), config.default_schema,
                               config.default_database, sorted(config.variables.items()))  # fmt: skip
            claim.units.append(Unit(self.name, rel, rel, digest))
        return claim

    def plan(self, unit: Unit, upstream: Upstream) -> Plan:
        from ..sql.script_unit import script_plan

        parsed = self._parse(unit.path)
        return script_plan(parsed.statements, parsed.dialect, self.config)

    def analyse(self, unit: Unit, upstream: Upstream) -> UnitResult:
        from ..sql.script_unit import script_result

        p = self._parse(unit.path)
        return script_result(p.statements, p.sql, p.dialect, p.lines, p.diagnostics, unit.path, self.config, upstream)

    def finish(self, graph: LineageGraph, results: Sequence[UnitResult]) -> None:
        return None

    def _parse(self, path: str) -> _Parsed:
        from ..dbt.jinja import airflow_context, render_with_lines
        from ..sql.detect import detect_dialect
        from ..sql.naming import get_dialect
        from ..sql.parse import LineIndex, parse_script
        from ..sql.preprocess import preprocess

        source = self.sources[path]
        text = source.text
        # No dialect configured for the file: the one its constructs show (Hive, Spark, Databricks).
        dialect = get_dialect(self.config.dialect_for(path) or detect_dialect(text))
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
