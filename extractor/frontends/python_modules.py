"""Python modules and notebooks: one unit per group of files connected by imports.

Files that import each other are interpreted together (a helper's constants and functions are
followed into its callers), so the unit is the import-connected group; a change to one helper
re-analyses the files that import it and nothing else. Import lists come from the stdlib ``ast``
module and are cached by content.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..cache import AnalysisCache
from ..cache import key as cache_key
from ..config import Config
from ..graph import LineageGraph
from ..model import Diagnostic
from ..sources import SourceFile, SourceTree
from ..units import Claim, Plan, Unit, UnitResult, Upstream

if TYPE_CHECKING:  # libcst loads only when there is Python to analyse
    from ..python.scan import Outcome

SUFFIXES = (".py", ".ipynb")


class PythonModules:
    """pandas, PySpark, polars, Glue, SQL strings, Airflow DAGs and ML training code, interpreted abstractly."""

    name = "python"
    version = "2"
    jobs = 1

    def __init__(self) -> None:
        self.config = Config()
        self.sources: dict[str, SourceFile] = {}
        self.groups: dict[str, list[str]] = {}

    def claim(self, tree: SourceTree, files: Sequence[str], config: Config, cache: AnalysisCache) -> Claim:
        self.config = config
        claim = Claim()
        for rel in files:
            if not rel.endswith(SUFFIXES):
                continue
            source = claim.take(tree, rel)
            if source is not None:
                self.sources[rel] = source
        if not self.sources:
            return claim
        # libcst and the interpreter load only when there is Python to analyse
        from ..python.project import TEMPLATE_EXTENSIONS, Project
        from ..python.settings import load_settings

        settings_problems: list[Diagnostic] = []
        load_settings(config, settings_problems)  # wrong types raise ConfigError before any analysis
        claim.diagnostics.extend(settings_problems)
        project = Project(list(self.sources.values()))
        parent = {path: path for path in self.sources}

        def find(path: str) -> str:
            while parent[path] != path:
                parent[path] = parent[parent[path]]
                path = parent[path]
            return path

        for path in sorted(self.sources):
            info = project.modules[path]
            memo = "pyimports:" + cache_key(tree.digest(path), path.endswith(".ipynb"))
            found = cache.get(memo)
            if found is None:
                found = _imports(self.sources[path].text, path.endswith(".ipynb"))
                cache.put(memo, found)
            for dotted, level, names in found:
                assert isinstance(dotted, str) and isinstance(level, int) and isinstance(names, list)
                targets = [project.resolve(info, dotted, level)[0]]
                targets += [project.resolve(info, f"{dotted}.{n}" if dotted else str(n), level)[0] for n in names]
                for target in targets:
                    if target is not None and target.path in parent:
                        a, b = find(path), find(target.path)
                        if a != b:
                            parent[max(a, b)] = min(a, b)
        for path in sorted(self.sources):
            self.groups.setdefault(find(path), []).append(path)
        templates = sorted(f for f in tree.files() if f.endswith(TEMPLATE_EXTENSIONS))
        shared = (
            sorted(config.sections.get("python", {}).items()), config.dialect, sorted(config.dialects.items()),
            config.default_schema, config.default_database,
        )  # fmt: skip
        for head, members in sorted(self.groups.items()):
            contents = [(m, tree.digest(m)) for m in members]
            if any("airflow" in self.sources[m].text for m in members):
                contents += [(t, tree.digest(t)) for t in templates]  # DAGs read SQL templates
            claim.units.append(Unit(self.name, head, head, cache_key(contents, shared)))
        return claim

    def plan(self, unit: Unit, upstream: Upstream) -> Plan:
        # What a module reads and writes is known once it is interpreted: with the upstream
        # columns it had last time, that interpretation is also the result, kept with the plan.
        outcome = self._interpret(unit, upstream)
        return Plan(frozenset(outcome.reads), frozenset(outcome.writes), _result(outcome))

    def analyse(self, unit: Unit, upstream: Upstream) -> UnitResult:
        return _result(self._interpret(unit, upstream))

    def finish(self, graph: LineageGraph, results: Sequence[UnitResult]) -> None:
        return None

    def _interpret(self, unit: Unit, upstream: Upstream) -> Outcome:
        from ..python.scan import analyse_modules

        return analyse_modules([self.sources[m] for m in self.groups[unit.key]], self.config, upstream)


def _result(outcome: Outcome) -> UnitResult:
    return UnitResult(outcome.graph, outcome.schemas, supersedes=[(t, "sql") for t in sorted(outcome.templates)])


def _imports(text: str, notebook: bool) -> list[list[object]]:
    """``(module, level, imported names)`` of every import statement, anywhere in the file."""
    from ..python.notebooks import databricks_source

    codes = [databricks_source(text)]
    if notebook:
        from ..python.notebooks import NotebookError, notebook_cells

        try:
            codes = [cell.code for cell in notebook_cells(text)]
        except NotebookError:
            return []
    found: list[list[object]] = []
    for code in codes:
        try:
            tree = ast.parse(code)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.extend([alias.name, 0, []] for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                found.append([node.module or "", node.level, [a.name for a in node.names if a.name != "*"]])
    return found
