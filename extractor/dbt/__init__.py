"""dbt projects, read statically: no ``dbt compile``, no warehouse, no user Python imported."""

from __future__ import annotations

from .project import scan_dbt_projects

__all__ = ["scan_dbt_projects"]
