"""What the dbt frontend uses of dbt support, in one place (loaded only when a project is found)."""

from __future__ import annotations

from .context import DbtRenderer
from .diagnostics import disabled_summary
from .discovery import link_local_packages, load_installed_packages, load_project
from .models import ModelAnalyzer
from .nodes import DbtNode, DbtProject, StaticRef, build_root
from .profiles import read_profile_target, with_profile
from .project import (
    declare_seed,
    declare_sources,
    exposures,
    read_macro,
    render_config,
    render_source_names,
    resolve_duplicates,
)  # fmt: skip
from .relations import dataset_name
from .stars import StarModel, complete_star_columns

__all__ = [
    "DbtNode",
    "DbtProject",
    "DbtRenderer",
    "ModelAnalyzer",
    "StarModel",
    "StaticRef",
    "build_root",
    "complete_star_columns",
    "dataset_name",
    "declare_seed",
    "declare_sources",
    "disabled_summary",
    "exposures",
    "link_local_packages",
    "load_installed_packages",
    "load_project",
    "read_macro",
    "read_profile_target",
    "render_config",
    "render_source_names",
    "resolve_duplicates",
    "with_profile",
]  # fmt: skip
