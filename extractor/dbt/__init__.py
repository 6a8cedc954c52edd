"""dbt projects, read statically: no ``dbt compile``, no warehouse, no user Python imported."""

from __future__ import annotations

from .jinja import render_templated_sql

__all__ = ["render_templated_sql"]
