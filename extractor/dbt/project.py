"""Entry point of dbt support: find dbt projects and add their models to the graph.

For each ``dbt_project.yml``: read the project (discovery.py), declare its sources and seeds
(columns from YAML and CSV headers go to the schema catalog), order its models and snapshots by
their ``ref()`` calls, then render and analyse them one by one (models.py). A problem in one
model is a diagnostic; the other models are still analysed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

import networkx as nx

from .. import codes
from ..config import Config
from ..graph import Job, LineageGraph
from ..model import DatasetKind, Diagnostic, Location
from ..sql.catalog import SchemaCatalog
from .context import DbtRenderer, RenderResult
from .diagnostics import diagnostic, disabled_summary
from .discovery import link_local_packages, load_project
from .models import ModelAnalyzer
from .nodes import DbtNode, DbtProject, MacroFile
from .relations import dataset_name
from .settings import DbtSettings, load_settings
from .stars import StarModel, complete_star_columns

_EXPOSURE_DEPENDENCY = re.compile(r"""(ref|source)\(\s*['"]([^'"]+)['"]\s*(?:,\s*['"]([^'"]+)['"]\s*)?\)""")


def scan_dbt_projects(
    project_files: Sequence[Path],
    config: Config,
    graph: LineageGraph,
    catalog: SchemaCatalog,
    progress: Callable[[str], None] | None = None,
) -> set[str]:
    """Analyse every dbt project whose ``dbt_project.yml`` is in ``project_files``.

    Returns the config-root-relative paths of the files it consumed, so the plain SQL pass
    skips them (a dbt model is Jinja, not SQL, until rendered).
    """
    from ..scan import relative  # scan imports this package: import at call time

    settings = load_settings(config)
    graph.diagnostics.extend(
        Diagnostic(str(config.source or "pyproject.toml"), 1, 1, codes.severity(codes.CONFIG), codes.CONFIG, w)
        for w in settings.warnings
    )
    projects: dict[str, DbtProject] = {}
    claimed: set[str] = set()
    for project_file in sorted(project_files, key=lambda p: relative(p, config.root)):
        try:
            project = load_project(project_file, config, settings, relative, graph.diagnostics)
        except Exception as e:  # one broken project must not stop the scan
            graph.diagnostics.append(_internal(relative(project_file, config.root), e))
            continue
        claimed |= project.claimed
        key = project.name if project.name not in projects else f"{project.name}@{project.rel_root}"
        projects[key] = project
    link_local_packages(list(projects.values()))  # (issue 12) a local package builds with its consumer's vars
    declared_only: set[str] = set()
    star_models: list[StarModel] = []
    for project in projects.values():
        try:
            star_models += analyse_project(project, projects, config, settings, graph, catalog, progress, declared_only)
        except Exception as e:  # one broken project must not stop the scan
            graph.diagnostics.append(_internal(project.rel(project.root / "dbt_project.yml"), e))
    complete_star_columns(graph, star_models)
    return claimed


def analyse_project(
    project: DbtProject,
    projects: dict[str, DbtProject],
    config: Config,
    settings: DbtSettings,
    graph: LineageGraph,
    catalog: SchemaCatalog,
    progress: Callable[[str], None] | None,
    declared_only: set[str],
) -> list[StarModel]:
    """Declare sources and seeds, then render and analyse the project's nodes in ref order.

    ``declared_only`` collects the datasets whose columns come from property files only; returns
    the models whose columns pass through an unexpanded star (see stars.py)."""
    renderer = DbtRenderer(project, projects, settings, catalog, _read_macro)
    declared_only.update(_declare_sources(project, renderer, graph, catalog))
    for node in project.nodes.values():
        _render_config(node, renderer, project)
    nodes = [n for n in project.nodes.values() if settings.include_disabled or n.enabled]
    for node in nodes:
        if node.language == "sql" and node.resource_type != "seed":
            renderer.template(node)  # compiles once; finds constant refs and config() values
    _resolve_duplicates(project, renderer, graph)
    nodes = [n for n in project.nodes.values() if settings.include_disabled or n.enabled]
    for node in nodes:
        if node.resource_type == "seed":
            _declare_seed(node, renderer, graph, catalog)
    for node in nodes:
        if node.resource_type != "seed" and node.columns:
            name = dataset_name(renderer.relation_for(node))
            catalog.add(name, node.columns, replace=False)
            declared_only.add(name)

    def dialect_of(node: DbtNode) -> str | None:
        chosen = config.dialect_for(node.path)
        return chosen if chosen != config.dialect and chosen is not None else project.dialect

    # Render every model once first: the refs it really makes (macros make refs too) order the
    # analysis, and a render that did not need the catalog is reused as is.
    buildable = [n for n in nodes if n.resource_type != "seed"]
    rendered = {n.key: renderer.render(n) for n in buildable if n.language == "sql"}
    for node in buildable:
        first = rendered.get(node.key)
        if first is not None and not first.failed:
            node.rendered_config, node.relation = first.config, None
    analyzer = ModelAnalyzer(renderer, config, graph, catalog, dialect_of)
    analyzer.declared_only = declared_only
    analyzer.dialect_known = project.dialect_known
    for node in _ref_order(project, buildable, renderer, rendered):
        if progress:
            progress(node.path)
        try:
            analyzer.analyse(node, rendered.pop(node.key, None))
        except RecursionError:
            graph.diagnostics.append(Diagnostic(node.path, node.line, 1, codes.severity("DT200"), "DT200",
                                                "template error: macros call each other too deeply"))  # fmt: skip
        except Exception as e:  # one bad model must not stop the project
            graph.diagnostics.append(_internal(node.path, e))
    _exposures(project, renderer, graph)
    summary = disabled_summary(project)  # (issue 12) always say how many models were skipped, and why
    if summary is not None and not settings.include_disabled:
        graph.diagnostics.append(summary)
    return analyzer.star_models


def _render_config(node: DbtNode, renderer: DbtRenderer, project: DbtProject) -> None:
    """Jinja in configs of dbt_project.yml and property files (``+enabled: "{{ var('x') }}"``)."""
    where = project.rel(project.root / "dbt_project.yml")
    for key, value in list(node.config.items()):
        if isinstance(value, str | list) and "{" in str(value):
            node.config[key] = renderer.render_value(value, where)


def _resolve_duplicates(project: DbtProject, renderer: DbtRenderer, graph: LineageGraph) -> None:
    """Keep one of several files defining the same node: per-adapter variants disable the others
    (``{{ config(enabled=target.type == 'bigquery') }}``), so each is rendered to learn its config."""
    by_id: dict[str, list[DbtNode]] = {}
    for node in project.nodes.values():
        by_id.setdefault(node.unique_id, []).append(node)
    for group in by_id.values():
        if len(group) < 2:
            continue
        for node in group:
            if node.language == "sql":
                probe = renderer.render(node)
                if not probe.failed:
                    node.rendered_config, node.relation = probe.config, None
        enabled = [n for n in group if n.enabled]
        keep = (enabled or group)[0]
        for node in group:
            if node is not keep:
                project.remove(node)
        if len(enabled) > 1:
            others = ", ".join(n.path for n in enabled[1:])
            message = f"{keep.resource_type} {keep.name!r} is defined more than once (also {others}); this file is used"
            graph.diagnostics.append(diagnostic("DT206", keep.path, 1, message))


def _read_macro(file: MacroFile) -> str | None:
    try:
        return file.file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None


def _declare_sources(
    project: DbtProject, renderer: DbtRenderer, graph: LineageGraph, catalog: SchemaCatalog
) -> set[str]:
    """Source datasets (kind dbt_source); returns those whose columns the YAML declares."""
    declared: set[str] = set()
    for table in project.sources.values():
        if not table.enabled:
            continue
        for attribute in ("database", "schema", "identifier"):
            value = getattr(table, attribute)
            if isinstance(value, str) and ("{{" in value or "{%" in value):
                rendered = renderer.render_value(value, table.path, table.line)
                setattr(table, attribute, None if rendered is None else str(rendered))
        table.relation = None
        name = dataset_name(renderer.source_relation(table))
        ds = graph.dataset(name, DatasetKind.DBT_SOURCE, Location(table.path, table.line))
        ds.attributes.update({"source": f"{table.source_name}.{table.name}", "path": table.path})
        if table.columns:
            ds.add_columns(table.columns)
            catalog.add(name, table.columns, replace=False)
            declared.add(name)
    return declared


def _declare_seed(node: DbtNode, renderer: DbtRenderer, graph: LineageGraph, catalog: SchemaCatalog) -> None:
    name = dataset_name(renderer.relation_for(node))
    ds = graph.dataset(name, DatasetKind.DBT_SEED, Location(node.path, 1))
    ds.attributes.update({"path": node.path, "tags": sorted(str(t) for t in node.config.get("tags") or [])})
    ds.add_columns(node.columns)
    if node.columns:
        catalog.add(name, node.columns)


def _ref_order(
    project: DbtProject, nodes: list[DbtNode], renderer: DbtRenderer, rendered: dict[str, RenderResult]
) -> list[DbtNode]:
    """Nodes after the nodes they read (rendered refs, else constant ``ref()`` calls); ties and
    cycles fall back to path order."""
    by_id = {n.key: n for n in nodes}
    by_relation = {dataset_name(renderer.relation_for(n)): n.key for n in nodes}
    order = sorted(by_id, key=lambda uid: (by_id[uid].path, uid))
    index = {uid: i for i, uid in enumerate(order)}
    g = nx.DiGraph()
    g.add_nodes_from(range(len(order)))
    for uid in order:
        for ref in by_id[uid].static_refs:
            if ref.kind != "ref":
                continue
            name = ref.args[-1]
            upstream = (
                project.find_node(name, ref.version) if len(ref.args) == 1 or ref.args[0] == project.name else None
            )
            if upstream is not None and upstream.key in index and upstream.key != uid:
                g.add_edge(index[upstream.key], index[uid])
        for name in rendered[uid].reads if uid in rendered else ():
            upstream_key = by_relation.get(name)
            if upstream_key is not None and upstream_key != uid:
                g.add_edge(index[upstream_key], index[uid])
    condensed = nx.condensation(g)
    result: list[DbtNode] = []
    for component in nx.lexicographical_topological_sort(condensed, key=lambda c: min(condensed.nodes[c]["members"])):
        result.extend(by_id[order[i]] for i in sorted(condensed.nodes[component]["members"]))
    return result


def _exposures(project: DbtProject, renderer: DbtRenderer, graph: LineageGraph) -> None:
    """``exposures:`` (dashboards, notebooks, ML) downstream of the models they depend on."""
    for exposure in project.exposures:
        name = f"exposure:{exposure['name']}"
        path, line = str(exposure["__path__"]), int(exposure["__line__"])
        kind = DatasetKind.MODEL if exposure.get("type") == "ml" else DatasetKind.DASHBOARD
        ds = graph.dataset(name, kind, Location(path, line))
        ds.attributes.update({"exposure_type": str(exposure.get("type", "")), "path": path})
        job = graph.add_job(Job(f"{path}:{name}", "dbt", path, line, attributes={"resource_type": "exposure"}))
        for dependency in exposure.get("depends_on") or []:
            match = _EXPOSURE_DEPENDENCY.search(str(dependency))
            if match is None:
                continue
            kind_name, first, second = match.groups()
            relation = None
            if kind_name == "ref":
                node = renderer.find_ref(first if second else None, second or first)
                relation = renderer.relation_for(node) if node is not None else None
            elif second:
                table = renderer.find_source(first, second)
                relation = renderer.source_relation(table) if table is not None else None
            if relation is None:
                message = f"exposure {exposure['name']}: {dependency} names nothing"
                graph.diagnostics.append(diagnostic("DT203", path, line, message))
                continue
            graph.add_flow(dataset_name(relation), name, job.name)


def _internal(path: str, e: Exception) -> Diagnostic:
    return Diagnostic(path, 1, 1, codes.severity(codes.INTERNAL), codes.INTERNAL, f"{type(e).__name__}: {e}")
