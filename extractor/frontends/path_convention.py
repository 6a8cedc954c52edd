"""Repositories where a file's path names the table it builds: ``sql/<project>/<dataset>/<table>/query.sql``.

The file holds the SELECT (``query.sql``) or the view definition (``view.sql``) of the table its
folders name, as in BigQuery ETL repositories. Patterns are configurable in
``[tool.datatrail.path_convention]`` (docs/config.md); ``patterns = []`` turns the convention off.
A bare query lands in the named table; a file that already says where its rows go (CREATE,
INSERT, MERGE …) is analysed as written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..cache import AnalysisCache
from ..cache import key as cache_key
from ..config import Config
from ..errors import ConfigError
from ..graph import LineageGraph
from ..model import Diagnostic
from ..sources import SourceFile, SourceTree
from ..units import Claim, Plan, Unit, UnitResult, Upstream

if TYPE_CHECKING:  # sqlglot and the SQL core load when a matching file is claimed
    from sqlglot import exp
    from sqlglot.dialects.dialect import Dialect

    from ..sql.parse import LineIndex, ParsedStatement

#: ``{project}`` (or ``{database}``), ``{dataset}`` (or ``{schema}``) and ``{table}`` are one folder each.
DEFAULT_PATTERNS = (
    "sql/{project}/{dataset}/{table}/query.sql",
    "sql/{project}/{dataset}/{table}/view.sql",
)
_FIELD = re.compile(r"\{(project|database|dataset|schema|table)\}")
_KEYS = {"patterns"}


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """A path pattern as a regular expression over root-relative POSIX paths (fields match one folder)."""
    if "{table}" not in pattern:
        raise ConfigError(f"[tool.datatrail.path_convention] pattern {pattern!r} must contain {{table}}")
    out, pos = [], 0
    for match in _FIELD.finditer(pattern):
        out.append(re.escape(pattern[pos : match.start()]))
        name = {"database": "project", "schema": "dataset"}.get(match.group(1), match.group(1))
        out.append(f"(?P<{name}>[^/]+)")
        pos = match.end()
    out.append(re.escape(pattern[pos:]))
    return re.compile("(?:.*/)?" + "".join(out) + r"\Z")


def load_patterns(config: Config) -> list[re.Pattern[str]]:
    section = config.sections.get("path_convention", {})
    unknown = sorted(set(section) - _KEYS)
    if unknown:
        raise ConfigError(
            f"{config.source or 'pyproject.toml'}: unknown key [tool.datatrail.path_convention] {unknown[0]!r}"
        )
    patterns = section.get("patterns", list(DEFAULT_PATTERNS))
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise ConfigError("[tool.datatrail.path_convention] patterns must be a list of strings")
    return [compile_pattern(p) for p in patterns]


class PathConvention:
    """SQL files whose target table is their folder path."""

    name = "path-convention"
    version = "2"
    jobs = 1

    def __init__(self) -> None:
        self.config = Config()
        self.sources: dict[str, SourceFile] = {}
        self.targets: dict[str, tuple[exp.Table, bool]] = {}  # path -> (target table, is a view)

    def claim(self, tree: SourceTree, files: Sequence[str], config: Config, cache: AnalysisCache) -> Claim:
        self.config = config
        claim = Claim()
        patterns = load_patterns(config)
        if not patterns:
            return claim
        for rel in files:
            match = next((m for p in patterns if (m := p.match(rel))), None)
            if match is None:
                continue
            source = claim.take(tree, rel)
            if source is None:
                continue
            from sqlglot import exp

            from ..sql.naming import get_dialect, table_name

            fields = match.groupdict()
            parts = [fields.get("project"), fields.get("dataset"), fields["table"]]
            dialect = get_dialect(config.dialect_for(rel))
            target = exp.table_(parts[2], db=parts[1], catalog=parts[0], quoted=True)
            name = table_name(target, dialect, config.default_schema, config.default_database)
            self.sources[rel] = source
            self.targets[rel] = (target, rel.endswith("view.sql"))
            digest = cache_key(rel, tree.digest(rel), config.dialect_for(rel), name, config.default_schema,
                               config.default_database)  # fmt: skip
            claim.units.append(Unit(self.name, rel, rel, digest))
        return claim

    def plan(self, unit: Unit, upstream: Upstream) -> Plan:
        from ..sql.script_unit import script_plan

        statements, _, _, dialect = self._statements(unit.path)
        return script_plan(statements, dialect, self.config)

    def analyse(self, unit: Unit, upstream: Upstream) -> UnitResult:
        from ..sql.script_unit import script_result

        statements, lines, problems, dialect = self._statements(unit.path)
        text = self.sources[unit.path].text
        return script_result(statements, text, dialect, lines, problems, unit.path, self.config, upstream)

    def finish(self, graph: LineageGraph, results: Sequence[UnitResult]) -> None:
        return None

    def _statements(self, path: str) -> tuple[list[ParsedStatement], LineIndex, list[Diagnostic], Dialect]:
        from sqlglot import exp

        from ..sql.naming import get_dialect
        from ..sql.parse import LineIndex, ParsedStatement, parse_script

        text = self.sources[path].text
        dialect = get_dialect(self.config.dialect_for(path))
        lines = LineIndex(text)
        statements, problems = parse_script(text, dialect, path, lines)
        target, is_view = self.targets[path]
        if statements and not any(_writes(s.expression) for s in statements):
            queries = [i for i, s in enumerate(statements) if isinstance(s.expression, exp.Query)]
            if queries:
                i = queries[-1]
                main = statements[i]
                kind = "VIEW" if is_view else "TABLE"
                create = exp.Create(this=target.copy(), kind=kind, expression=main.expression)
                statements[i] = ParsedStatement(create, main.line, main.column, main.start, main.end, main.group,
                                                main.fingerprint)  # fmt: skip
        return statements, lines, problems, dialect


def _writes(expression: exp.Expr) -> bool:
    from sqlglot import exp

    if isinstance(expression, exp.Insert | exp.Create | exp.Merge | exp.Update | exp.Copy):
        return True
    return isinstance(expression, exp.Query) and expression.args.get("into") is not None
