"""datatrail: static table- and column-level lineage for SQL, dbt and Python pipelines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .model import ColumnEdge, ColumnRef, DatasetKind, Diagnostic, Location, Severity, Subtype

if TYPE_CHECKING:
    from .sql.analyze import SqlResult, analyze_sql
    from .sql.catalog import SchemaCatalog

__version__ = "0.1.0"

__all__ = [
    "ColumnEdge",
    "ColumnRef",
    "DatasetKind",
    "Diagnostic",
    "Location",
    "SchemaCatalog",
    "Severity",
    "SqlResult",
    "Subtype",
    "__version__",
    "analyze_sql",
]

#: The SQL API loads sqlglot; it is imported on first use, so that commands answered from the
#: analysis cache (a pre-commit ``check`` with nothing new to analyse) do not pay for it.
_LAZY = {"SqlResult": ".sql.analyze", "analyze_sql": ".sql.analyze", "SchemaCatalog": ".sql.catalog"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
