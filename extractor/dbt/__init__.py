"""dbt projects, read statically: no ``dbt compile``, no warehouse, no user Python imported."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .jinja import render_templated_sql

__all__ = ["render_templated_sql"]


def __getattr__(name: str) -> Any:
    # Jinja loads when a template is rendered, not when a submodule (settings, discovery) is imported.
    if name == "render_templated_sql":
        from .jinja import render_templated_sql

        return render_templated_sql
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
