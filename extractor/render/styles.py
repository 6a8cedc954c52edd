"""Shared look of datasets and edges, so DOT, Mermaid and HTML agree."""

from __future__ import annotations

from ..model import DatasetKind

#: kind -> (icon, header colour, description for the legend)
KIND_STYLE: dict[DatasetKind, tuple[str, str, str]] = {
    DatasetKind.TABLE: ("▦", "#dbeafe", "table"),
    DatasetKind.VIEW: ("◫", "#e0e7ff", "view"),
    DatasetKind.TEMPORARY: ("◌", "#f1f5f9", "temporary table"),
    DatasetKind.FILE: ("🗎", "#fef9c3", "file / path"),
    DatasetKind.DBT_MODEL: ("◆", "#ffedd5", "dbt model"),
    DatasetKind.DBT_SOURCE: ("◇", "#dcfce7", "dbt source"),
    DatasetKind.DBT_SEED: ("◇", "#ecfccb", "dbt seed"),
    DatasetKind.MODEL: ("✦", "#fae8ff", "ML model artifact"),
    DatasetKind.DASHBOARD: ("▣", "#cffafe", "dashboard"),
    DatasetKind.UNKNOWN: ("?", "#fee2e2", "unknown (unresolved)"),
}

#: change status -> (fill colour, border colour, label)
CHANGE_STYLE: dict[str, tuple[str, str, str]] = {
    "added": ("#dcfce7", "#15803d", "added"),
    "removed": ("#e5e7eb", "#4b5563", "removed"),
    "modified": ("#fecaca", "#dc2626", "changed transformation"),
    "impacted": ("#fef3c7", "#d97706", "impacted downstream"),
}


def schema_of(name: str) -> str:
    """The schema part of a dataset name: ``shop.orders`` -> ``shop``; paths -> ``files``."""
    if "://" in name or name.startswith(("/", ".")):
        return "files"
    if name.startswith("unknown:"):
        return "unknown"
    parts = name.split(".")
    return ".".join(parts[:-1]) if len(parts) > 1 else "(default)"
