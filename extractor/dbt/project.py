"""Entry point of dbt support: find dbt projects and add their models to the graph."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from ..config import Config
from ..graph import LineageGraph
from ..sql.catalog import SchemaCatalog


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
    return set()
