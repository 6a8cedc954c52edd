"""``[tool.datatrail.openlineage]``: namespaces, links and HTTP settings. Documented in docs/config.md.

Unlike the top-level table, an unknown key here is a configuration error: a misspelt namespace
key would silently put datasets in the wrong namespace of a shared lineage server.

Example::

    [tool.datatrail.openlineage]
    namespace = "shop-pipelines"                       # job namespace; default the repository name
    repo_url = "https://github.com/acme/shop"          # for sourceCodeLocation links
    tables = "postgres://warehouse.internal:5432"      # tables, views, dbt models, sources, seeds
    files = "s3://acme-exports"                        # file paths that are not URIs already

    [tool.datatrail.openlineage.datasets]              # per-dataset overrides; the last match wins
    "analytics.*" = "snowflake://acme-eu1"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError

SECTION = "[tool.datatrail.openlineage]"
DEFAULT_SOURCE_URL = "{repo_url}/blob/{sha}/{path}"
DEFAULT_ENDPOINT = "api/v1/lineage"


@dataclass(frozen=True)
class Settings:
    """The export settings; None means "derive a default" (see ``events.ExportContext``)."""

    namespace: str | None = None
    producer: str | None = None
    repo_url: str | None = None
    source_url: str = DEFAULT_SOURCE_URL
    tables: str | None = None
    files: str = "file"
    models: str = "model"
    dashboards: str = "dashboard"
    datasets: dict[str, str] = field(default_factory=dict)
    name_case: str = "keep"
    endpoint: str = DEFAULT_ENDPOINT
    timeout: float = 5.0
    retries: int = 5


_STRINGS = ("namespace", "producer", "repo_url", "source_url", "tables", "files", "models", "dashboards", "endpoint")
NAME_CASES = ("keep", "upper", "lower")
#: Every key with what it must be; docs/config.md documents each (tests/test_openlineage.py checks).
KEYS: dict[str, str] = {
    **{key: "a string" for key in _STRINGS},
    "datasets": "a table of glob = namespace",
    "name_case": 'one of "keep", "upper", "lower"',
    "timeout": "a positive number of seconds",
    "retries": "a non-negative integer",
}


def load_settings(section: dict[str, Any], where: str = "") -> Settings:
    """Validate the raw table; an unknown key or a wrong type raises ``ConfigError``."""
    values: dict[str, Any] = {}
    for key, value in section.items():
        if key not in KEYS:
            known = ", ".join(sorted(KEYS))
            raise ConfigError(f"{where}{SECTION} unknown key {key!r} (known keys: {known})")
        if key in _STRINGS:
            ok = isinstance(value, str) and value.strip() != ""
        elif key == "name_case":
            ok = value in NAME_CASES
        elif key == "datasets":
            ok = isinstance(value, dict) and all(isinstance(v, str) and v for v in value.values())
        elif key == "timeout":
            ok = isinstance(value, int | float) and not isinstance(value, bool) and value > 0
        else:  # retries
            ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        if not ok:
            raise ConfigError(f"{where}{SECTION} {key} must be {KEYS[key]}, not {value!r}")
        values[key] = dict(value) if key == "datasets" else value
    if "timeout" in values:
        values["timeout"] = float(values["timeout"])
    return Settings(**values)
