"""dbt projects: one unit per model or snapshot, plus one for each project's sources and seeds
and one for its exposures.

A model's result depends on its own template, on the project's other files (macros, property
files, ``dbt_project.yml``, installed packages), on where every model lands (its relation) and on
the columns of what it reads. The first three make the unit's digest; the relations come from
each model's ``config()``, which is learned once per template text and cached, so a warm scan
renders nothing and a change to one model renders and analyses that model (and the models whose
upstream columns it changed) only.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from .. import codes, parallel
from ..cache import AnalysisCache
from ..cache import key as cache_key
from ..config import Config
from ..dbt.settings import DbtSettings, load_settings
from ..graph import LineageGraph
from ..model import Diagnostic, Location
from ..sources import PRUNED_DIRS, DiskTree, SourceTree, digest_bytes, relative
from ..sql.catalog import SchemaCatalog
from ..units import Claim, Plan, Unit, UnitResult, Upstream

if TYPE_CHECKING:  # jinja2 and dbt support load only when a project is found (see claim)
    from ..dbt.context import DbtRenderer
    from ..dbt.nodes import DbtNode, DbtProject, StaticRef
    from ..dbt.stars import StarModel

_DECLARATIONS = "!sources"
_EXPOSURES = "~exposures"
#: Folders of a dbt project that hold no input (dbt_packages holds installed macros: it counts).
_NOT_INPUT = (PRUNED_DIRS - {"dbt_packages"}) | {"logs"}


class DbtModels:
    """dbt models, snapshots, seeds, sources and exposures, rendered in a Jinja sandbox without dbt."""

    name = "dbt"
    version = "1"
    jobs = 1

    def __init__(self) -> None:
        self.config = Config()
        self.settings = DbtSettings()
        self.projects: dict[str, DbtProject] = {}
        self.renderers: dict[str, DbtRenderer] = {}
        self.nodes: dict[str, tuple[str, DbtNode]] = {}  # unit key -> (project key, node)
        self.declared: dict[str, tuple[str, ...]] = {}  # relation -> columns property files declare
        #: renders made while learning configs, reused by plan and analyse while still valid
        self.first_renders: dict[str, Any] = {}
        #: nodes whose templates are only constant refs (``static.only_refs``): learnt without a render
        self.static_nodes: set[str] = set()

    # -- claim ----------------------------------------------------------------------------------

    def claim(self, tree: SourceTree, files: Sequence[str], config: Config, cache: AnalysisCache) -> Claim:
        claim = Claim()
        project_files = [f for f in files if f == "dbt_project.yml" or f.endswith("/dbt_project.yml")]
        if not project_files:
            return claim
        dbt = _dbt()
        self.config = config
        self.settings = settings = load_settings(config)
        claim.diagnostics.extend(
            Diagnostic(str(config.source or "pyproject.toml"), 1, 1, codes.severity(codes.CONFIG), codes.CONFIG, w)
            for w in settings.warnings
        )
        root = tree.root
        for rel in project_files:
            path = tree.path(rel) if isinstance(tree, DiskTree) else root / rel
            try:
                project = dbt.load_project(path, config, settings, relative, claim.diagnostics)
            except Exception as e:  # one broken project must not stop the scan
                claim.diagnostics.append(_internal(rel, e))
                continue
            claim.paths |= project.claimed | {rel}
            key = project.name if project.name not in self.projects else f"{project.name}@{project.rel_root}"
            self.projects[key] = project
        dbt.link_local_packages(list(self.projects.values()))  # a local package builds with its consumer's vars
        for project in [p for p in self.projects.values() if p.consumer is None]:
            # dbt builds the models of installed packages too, inside the project that installs them.
            try:
                packages = dbt.load_installed_packages(project, list(self.projects.values()), config, settings,
                                                       relative, claim.diagnostics)  # fmt: skip
            except Exception as e:
                claim.diagnostics.append(_internal(project.rel(project.root / "dbt_project.yml"), e))
                continue
            for package in packages:
                key = package.name if package.name not in self.projects else f"{package.name}@{package.rel_root}"
                self.projects[key] = package
        # A project's models depend on its consumer's vars: every project's files are in every unit's digest.
        fingerprints = {key: _fingerprint(project) for key, project in self.projects.items()}
        every_project = cache_key(sorted(fingerprints.items()))
        probe = LineageGraph()
        for key, project in self.projects.items():
            renderer = dbt.DbtRenderer(project, self.projects, self._target(project), SchemaCatalog(), dbt.read_macro)
            self.renderers[key] = renderer
        by_project = {id(p): self.renderers[k] for k, p in self.projects.items()}
        for key, project in self.projects.items():
            # dbt names every node of a build with the root project's generate_*_name overrides.
            self.renderers[key].naming = by_project.get(id(dbt.build_root(project)), self.renderers[key])
        for key, project in self.projects.items():
            renderer = self.renderers[key]
            try:
                self._prepare(key, project, renderer, fingerprints[key], cache, probe)
            except Exception as e:
                claim.diagnostics.append(_internal(project.rel(project.root / "dbt_project.yml"), e))
            summary = dbt.disabled_summary(project)  # always say how many models were skipped, and why
            if summary is not None and not settings.include_disabled:
                claim.diagnostics.append(summary)
        claim.diagnostics.extend(probe.diagnostics)
        relations = sorted(
            (n.key, dbt.dataset_name(self.renderers[k].relation_for(n)), n.enabled)
            for k, p in self.projects.items()
            for n in p.nodes.values()
        )
        targets = sorted((k, r.settings) for k, r in self.renderers.items())
        shared = cache_key(relations, settings, targets, sorted(config.dialects.items()), config.dialect,
                           config.default_schema, config.default_database)  # fmt: skip
        for key, project in self.projects.items():
            base = project.rel_root + "/" if project.rel_root else ""
            context = cache_key(every_project, shared, project.rel_root, project.dialect, project.adapter,
                                project.dialect_known)  # fmt: skip
            project_file = project.rel(project.root / "dbt_project.yml")
            claim.units.append(Unit(self.name, base + _DECLARATIONS, project_file, cache_key(context, "sources")))
            claim.units.append(Unit(self.name, base + _EXPOSURES, project_file, cache_key(context, "exposures")))
            for node in project.nodes.values():
                if node.resource_type == "seed" or not (settings.include_disabled or node.enabled):
                    continue
                unit_key = f"{node.path}#{node.unique_id}"
                self.nodes[unit_key] = (key, node)
                digest = cache_key(context, node.key, node.path, digest_bytes(node.text.encode()))
                claim.units.append(Unit(self.name, unit_key, node.path, digest))
        return claim

    def _target(self, project: DbtProject) -> DbtSettings:
        """The settings a project renders with: its own (or its consumer's) profiles.yml target."""
        dbt = _dbt()
        owner = dbt.build_root(project)

        def render(value: str) -> Any:  # only for a templated value: most profiles have none
            renderer = dbt.DbtRenderer(owner, self.projects, self.settings, SchemaCatalog(), dbt.read_macro)
            return renderer.render_value(value, owner.rel(owner.root / "profiles.yml"))

        target = dbt.read_profile_target(owner.root, owner.spec.profile, render, stop=self.config.root.resolve())
        return dbt.with_profile(self.settings, target, render, adapter=owner.adapter)

    def _prepare(
        self, key: str, project: DbtProject, renderer: DbtRenderer, fingerprint: str, cache: AnalysisCache,
        probe: LineageGraph,
    ) -> None:  # fmt: skip
        """Configs of every node: from YAML, then from each template's ``config()`` (cached per text)."""
        dbt = _dbt()
        dbt.render_source_names(project, renderer)
        for node in project.nodes.values():
            dbt.render_config(node, renderer, project)
        pending: list[tuple[DbtNode, str]] = []
        for node in project.nodes.values():
            if node.resource_type == "seed" or node.language != "sql":
                continue
            if not (self.settings.include_disabled or node.enabled):
                continue
            memo = "dbt-config:" + cache_key(fingerprint, node.key, digest_bytes(node.text.encode()))
            known = cache.get(memo)
            if known is not None:
                node.static_refs = [dbt.StaticRef(k, tuple(a), v, ln) for k, a, v, ln in known["refs"]]
                node.static_config = dict(known["static"])
                node.rendered_config = known["rendered"]
            else:
                pending.append((node, memo))
        # Templates not seen before are learnt in worker processes when there are many: one of
        # constant refs only is read from its syntax tree (its config is the property files' one,
        # and its render, the costly part with the compile, waits for its analysis); the others
        # are rendered. Every render sees the configs known before any of them (in any process),
        # and what they learn is applied afterwards, in node order: the outcome does not depend on
        # the worker count. (A render that used a relation whose config changed since is redone
        # by plan/analyse.)
        outcomes = parallel.fork_map(partial(_discover, renderer), [n for n, _ in pending], self.jobs)
        learnt = [outcome if ok else _discover(renderer, node)
                  for (node, _), (ok, outcome) in zip(pending, outcomes, strict=True)]  # fmt: skip
        for (node, memo), (first, refs, static) in zip(pending, learnt, strict=True):
            node.static_refs, node.static_config = refs, static
            if first is None:
                node.rendered_config, node.relation = dict(node.effective_config()), None
                self.static_nodes.add(node.key)
            else:
                self.first_renders[node.key] = first
                if not first.failed:
                    node.rendered_config, node.relation = first.config, None
                elif "enabled" in first.config:  # a render that failed after config(enabled=…) still decided that
                    node.rendered_config = {**node.effective_config(), "enabled": first.config["enabled"]}
            self._remember(cache, memo, node)
        dbt.resolve_duplicates(project, renderer, probe)
        for node in project.nodes.values():  # columns property files declare for models and snapshots
            if node.resource_type != "seed" and node.columns:
                self.declared[dbt.dataset_name(renderer.relation_for(node))] = tuple(node.columns)
        for table in project.sources.values():
            if table.enabled and table.columns:
                self.declared[dbt.dataset_name(renderer.source_relation(table))] = tuple(table.columns)

    @staticmethod
    def _remember(cache: AnalysisCache, memo: str, node: DbtNode) -> None:
        entry = {
            "refs": [[r.kind, list(r.args), r.version, r.line] for r in node.static_refs],
            "static": node.static_config,
            "rendered": node.rendered_config,
        }
        with contextlib.suppress(TypeError, ValueError):  # a config JSON cannot hold is not cached
            cache.put(memo, entry)

    # -- plan and analyse -----------------------------------------------------------------------

    def plan(self, unit: Unit, upstream: Upstream) -> Plan:
        dbt = _dbt()
        project_key, kind = self._which(unit)
        project = self.projects[project_key]
        renderer = self.renderers[project_key]
        if kind == _DECLARATIONS:
            writes = {dbt.dataset_name(renderer.source_relation(t)) for t in project.sources.values() if t.enabled}
            writes |= {dbt.dataset_name(renderer.relation_for(n)) for n in project.nodes.values()
                       if n.resource_type == "seed"}  # fmt: skip
            return Plan(frozenset(), frozenset(writes))
        if kind == _EXPOSURES:
            graph = LineageGraph()
            dbt.exposures(project, renderer, graph)
            inputs = {e.source for e in graph.edges}
            return Plan(frozenset(inputs), frozenset(graph.datasets) - inputs)
        _, node = self.nodes[unit.key]
        target = dbt.dataset_name(renderer.relation_for(node))
        named = [self._static_relation(renderer, project, ref) for ref in node.static_refs]
        reads = {relation for relation in named if relation is not None}
        # A template of constant refs that all resolve reads what they name; any other is rendered.
        if node.language == "sql" and not (node.key in self.static_nodes and None not in named):
            first = self.first_renders.get(node.key)
            render = first if first is not None and renderer.still_valid(first) else renderer.render(node)
            if render is not first:  # its analysis reuses it when run in this process and still valid
                self.first_renders[node.key] = render
            reads |= set(render.reads)
        reads.discard(target)
        return Plan(frozenset(reads), frozenset({target}))

    def analyse(self, unit: Unit, upstream: Upstream) -> UnitResult:
        dbt = _dbt()
        project_key, kind = self._which(unit)
        project = self.projects[project_key]
        renderer = self.renderers[project_key]
        result = UnitResult()
        catalog = SchemaCatalog(upstream)
        before = catalog.as_dict()
        if kind == _DECLARATIONS:
            declared = dbt.declare_sources(project, renderer, result.graph, catalog)
            for node in project.nodes.values():
                if node.resource_type == "seed" and (self.settings.include_disabled or node.enabled):
                    dbt.declare_seed(node, renderer, result.graph, catalog)
            result.schemas = catalog.changes_since(before)
            result.declared = sorted(declared)
            return result
        if kind == _EXPOSURES:
            dbt.exposures(project, renderer, result.graph)
            return result
        _, node = self.nodes[unit.key]
        renderer.catalog = catalog
        target = dbt.dataset_name(renderer.relation_for(node))
        if target not in before and target in self.declared:
            catalog.add(target, self.declared[target], replace=False)
            before = catalog.as_dict()

        def dialect_of(n: DbtNode) -> str | None:
            chosen = self.config.dialect_for(n.path)
            return chosen if chosen != self.config.dialect and chosen is not None else project.dialect

        analyzer = dbt.ModelAnalyzer(renderer, self.config, result.graph, catalog, dialect_of)
        # Columns known only from property files may be incomplete: a column the SQL reads there is learned.
        analyzer.declared_only = {
            name for name, columns in before.items() if self.declared.get(name) == tuple(columns) and name != target
        }
        analyzer.dialect_known = project.dialect_known
        try:
            analyzer.analyse(node, self.first_renders.get(node.key))
        except RecursionError:
            message = "template error: macros call each other too deeply"
            result.graph.diagnostics.append(
                Diagnostic(node.path, node.line, 1, codes.severity("DT200"), "DT200", message)
            )
        columns = catalog.columns(target)
        result.schemas = {target: list(columns)} if columns else {}
        result.extra = {"stars": [_star_to_list(s) for s in analyzer.star_models]}
        return result

    def finish(self, graph: LineageGraph, results: Sequence[UnitResult]) -> None:
        stars = [_star_from_list(s) for r in results for s in r.extra.get("stars", ())]
        if stars:  # the dbt package (Jinja and all) loads only for a repository that has models
            _dbt().complete_star_columns(graph, stars)

    # -- helpers --------------------------------------------------------------------------------

    def _which(self, unit: Unit) -> tuple[str, str]:
        if unit.key in self.nodes:
            return self.nodes[unit.key][0], "model"
        base, _, kind = unit.key.rpartition("/") if "/" in unit.key else ("", "", unit.key)
        for key, project in self.projects.items():
            if project.rel_root == base:
                return key, kind
        raise KeyError(unit.key)

    @staticmethod
    def _static_relation(renderer: DbtRenderer, project: DbtProject, ref: StaticRef) -> str | None:
        dbt = _dbt()
        if ref.kind == "ref":
            package, name = (ref.args[0], ref.args[1]) if len(ref.args) == 2 else (None, ref.args[0])
            target = renderer.find_ref(package, name, ref.version)
            return None if target is None else dbt.dataset_name(renderer.relation_for(target))
        if len(ref.args) == 2:
            table = renderer.find_source(ref.args[0], ref.args[1])
            return None if table is None else dbt.dataset_name(renderer.source_relation(table))
        return None


def _discover(renderer: DbtRenderer, node: DbtNode) -> tuple[Any, list[StaticRef], dict[str, Any]]:
    """What a node's template says of its config: its render (None for a template of constant refs
    only, ``static.only_refs``), and the constant refs and config of its template."""
    if renderer.parse_static(node):
        return None, node.static_refs, node.static_config
    return renderer.render(node), node.static_refs, node.static_config


def _fingerprint(project: DbtProject) -> str:
    """A digest of every file of the project that is not a model or snapshot template."""
    templates = {str(n.file) for n in project.nodes.values() if n.resource_type != "seed"}
    parts: list[tuple[str, str]] = []
    roots = [project.root, *(p for p in project.packages.values() if project.root not in Path(p).resolve().parents)]
    for base in roots:
        for directory, subdirs, names in os.walk(base):
            subdirs[:] = sorted(d for d in subdirs if d not in _NOT_INPUT)
            for name in sorted(names):
                path = Path(directory, name)
                if str(path) in templates:
                    continue
                try:
                    with path.open("rb") as f:
                        data = f.read(1 << 20) if name.endswith(".csv") else f.read()  # a seed's header is what counts
                except OSError:
                    continue
                parts.append((relative(path, project.root), digest_bytes(data)))
    return cache_key(parts)


def _star_to_list(s: StarModel) -> list[Any]:
    loc = None if s.location is None else [s.location.path, s.location.line, s.location.column]
    return [s.target, s.source, s.job, sorted(s.named), list(s.declared), loc]


def _star_from_list(d: list[Any]) -> StarModel:
    dbt = _dbt()
    loc = None if d[5] is None else Location(d[5][0], d[5][1], d[5][2])
    return dbt.StarModel(d[0], d[1], d[2], frozenset(d[3]), tuple(d[4]), loc)


def _dbt() -> ModuleType:
    from ..dbt import api

    return api


def _internal(path: str, e: Exception) -> Diagnostic:
    return Diagnostic(path, 1, 1, codes.severity(codes.INTERNAL), codes.INTERNAL, f"{type(e).__name__}: {e}")
