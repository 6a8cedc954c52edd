"""Project-level steps of dbt support: configs, duplicate nodes, sources, seeds and exposures.

The dbt frontend (extractor/frontends/dbt_models.py) reads each project (discovery.py), then
uses these to settle every node's config and to declare the datasets that are not models;
models and snapshots are rendered and analysed one by one (models.py).
"""

from __future__ import annotations

import re

from ..graph import Job, LineageGraph
from ..model import DatasetKind, Location
from ..sql.catalog import SchemaCatalog
from .context import DbtRenderer
from .diagnostics import diagnostic
from .nodes import DbtNode, DbtProject, MacroFile
from .relations import dataset_name

_EXPOSURE_DEPENDENCY = re.compile(r"""(ref|source)\(\s*['"]([^'"]+)['"]\s*(?:,\s*['"]([^'"]+)['"]\s*)?\)""")


def render_config(node: DbtNode, renderer: DbtRenderer, project: DbtProject) -> None:
    """Jinja in configs of dbt_project.yml and property files (``+enabled: "{{ var('x') }}"``)."""
    where = project.rel(project.root / "dbt_project.yml")
    for key, value in list(node.config.items()):
        if isinstance(value, str | list) and "{" in str(value):
            node.config[key] = renderer.render_value(value, where)


def resolve_duplicates(project: DbtProject, renderer: DbtRenderer, graph: LineageGraph) -> None:
    """Keep one of several files defining the same node: per-adapter variants disable the others
    (``{{ config(enabled=target.type == 'bigquery') }}``), so each is rendered to learn its config."""
    by_id: dict[str, list[DbtNode]] = {}
    for node in project.nodes.values():
        by_id.setdefault(node.unique_id, []).append(node)
    for group in by_id.values():
        if len(group) < 2:
            continue
        for node in group:
            if node.language == "sql" and node.rendered_config is None:
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


def read_macro(file: MacroFile) -> str | None:
    try:
        return file.file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None


def render_source_names(project: DbtProject, renderer: DbtRenderer) -> None:
    """Jinja in a source's database, schema or identifier (``"{{ env_var('RAW_DB') }}"``), rendered once."""
    for table in project.sources.values():
        if not table.enabled:
            continue
        templated = False
        for attribute in ("database", "schema", "identifier"):
            value = getattr(table, attribute)
            if isinstance(value, str) and ("{{" in value or "{%" in value):
                rendered = renderer.render_value(value, table.path, table.line)
                setattr(table, attribute, None if rendered is None else str(rendered))
                templated = True
        if templated:
            table.relation = None


def declare_sources(
    project: DbtProject, renderer: DbtRenderer, graph: LineageGraph, catalog: SchemaCatalog
) -> set[str]:
    """Source datasets (kind dbt_source); returns those whose columns the YAML declares."""
    declared: set[str] = set()
    render_source_names(project, renderer)
    for table in project.sources.values():
        if not table.enabled:
            continue
        name = dataset_name(renderer.source_relation(table))
        ds = graph.dataset(name, DatasetKind.DBT_SOURCE, Location(table.path, table.line))
        ds.attributes.update({"source": f"{table.source_name}.{table.name}", "path": table.path})
        if table.columns:
            ds.add_columns(table.columns)
            catalog.add(name, table.columns, replace=False)
            declared.add(name)
    return declared


def declare_seed(node: DbtNode, renderer: DbtRenderer, graph: LineageGraph, catalog: SchemaCatalog) -> None:
    name = dataset_name(renderer.relation_for(node))
    ds = graph.dataset(name, DatasetKind.DBT_SEED, Location(node.path, 1))
    ds.attributes.update({"path": node.path, "tags": sorted(str(t) for t in node.config.get("tags") or [])})
    ds.add_columns(node.columns)
    if node.columns:
        catalog.add(name, node.columns)


def exposures(project: DbtProject, renderer: DbtRenderer, graph: LineageGraph) -> None:
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
