"""datatrail: static table- and column-level lineage for SQL, dbt and Python pipelines."""

from __future__ import annotations

from .model import ColumnEdge, ColumnRef, DatasetKind, Diagnostic, Location, Severity, Subtype
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
