"""The target a project's own ``profiles.yml`` names: where dbt would build its relations.

dbt reads ``profiles.yml`` from the directory it runs in before ``~/.dbt`` (which datatrail never
reads: it is the user's, not the repository's, and holds credentials). A project that ships one
next to its ``dbt_project.yml`` (the usual DuckDB setup) says which database and schema its
relations get: the profile's default ``target``, its ``schema`` and database. Only those names are
read; nothing else of the file (passwords, hosts) is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from .settings import DbtSettings
from .yaml_config import load_yaml

#: Per adapter, the output keys that hold the database (the first one set wins) and the schema.
_DATABASE_KEYS = {
    "bigquery": ("project", "database"),
    "databricks": ("catalog", "database"),
    "spark": (),
    "postgres": ("dbname", "database"),
    "redshift": ("dbname", "database"),
    "trino": ("database", "catalog"),
    "athena": ("database",),
}
_SCHEMA_KEYS = {"bigquery": ("dataset", "schema"), "spark": ("schema", "database")}
#: dbt-duckdb's schema when the output sets none.
_DUCKDB_SCHEMA = "main"


@dataclass(frozen=True)
class ProfileTarget:
    """The names a profile's default target gives relations; values may still hold Jinja."""

    name: str
    adapter: str | None
    database: str | None
    schema: str | None
    database_is_path: bool = False  # dbt-duckdb: the database is the stem of this (templated) path


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _duckdb_database(output: dict[str, Any]) -> str | None:
    """dbt-duckdb names the database after the file: ``path: jaffle.duckdb`` is ``jaffle``."""
    explicit = _text(output.get("database"))
    if explicit:
        return explicit
    path = _text(output.get("path"))
    if path is None or path == ":memory:":
        return "memory"
    if path.startswith("md:"):
        return path[3:].split("?", 1)[0] or None
    return PurePosixPath(path.replace("\\", "/")).stem or None


def _profiles_file(root: Path, stop: Path | None) -> Path | None:
    """``profiles.yml`` next to the project, else in a directory above it within the scan (a
    repository that keeps it at its top and runs ``dbt --profiles-dir ..``)."""
    directory = root
    while True:
        if (directory / "profiles.yml").is_file():
            return directory / "profiles.yml"
        if stop is None or directory == stop or stop not in directory.parents:
            return None
        directory = directory.parent


def read_profile_target(
    root: Path, profile: str | None, render: Callable[[str], Any] | None = None, stop: Path | None = None
) -> ProfileTarget | None:
    """The default target of ``profile`` in the project's ``profiles.yml`` (see ``_profiles_file``),
    or None when there is none. ``render`` renders a templated target name
    (``{{ env_var('DBT_TARGET', 'dev') }}``)."""
    file = _profiles_file(root, stop)
    if profile is None or file is None:
        return None
    data = load_yaml(file, file.name, [])
    entry = data.get(profile) if isinstance(data, dict) else None
    outputs = entry.get("outputs") if isinstance(entry, dict) else None
    if not isinstance(outputs, dict) or not outputs:
        return None
    name = _plain(_text(entry.get("target")) if isinstance(entry, dict) else None, render) or "dev"
    output = outputs.get(name)
    if not isinstance(output, dict):
        return None
    adapter = _text(output.get("type"))
    kind = (adapter or "").lower()
    if kind == "duckdb":
        duckdb_schema = _text(output.get("schema")) or _DUCKDB_SCHEMA
        path = _text(output.get("path"))
        if not _text(output.get("database")) and path is not None and "{{" in path:
            return ProfileTarget(name, kind, path, duckdb_schema, database_is_path=True)
        return ProfileTarget(name, kind, _duckdb_database(output), duckdb_schema)
    database = next((v for k in _DATABASE_KEYS.get(kind, ("database",)) if (v := _text(output.get(k)))), None)
    schema = next((v for k in _SCHEMA_KEYS.get(kind, ("schema",)) if (v := _text(output.get(k)))), None)
    return ProfileTarget(name, kind or None, database, schema)


def _templated(value: str) -> bool:
    return "{{" in value or "{%" in value


def _plain(value: str | None, render: Callable[[str], Any] | None) -> str | None:
    """``value`` rendered when templated; None when it does not render to a plain name."""
    if value is None or not _templated(value):
        return value
    rendered = render(value) if render is not None else None
    text = str(rendered).strip() if isinstance(rendered, str | int) else ""
    # An unset env_var renders as a placeholder (``dbt___env_var_USER__``): not a name to use.
    return text if text and not _templated(text) and "__" not in text else None


def with_profile(
    settings: DbtSettings,
    target: ProfileTarget | None,
    render: Callable[[str], Any] | None = None,
    adapter: str | None = None,
) -> DbtSettings:
    """``settings`` for a project whose own profiles.yml names its target; what the configuration
    sets explicitly wins. ``render`` renders Jinja in a value (``{{ env_var('SCHEMA', 'dev') }}``);
    a value that does not render to a plain name is left out. Without a profile, a DuckDB project
    (``adapter``) gets dbt-duckdb's default schema, ``main``."""
    if target is None:
        if adapter == "duckdb" and "target_schema" not in settings.explicit:
            return replace(settings, target_schema=_DUCKDB_SCHEMA)
        return settings
    schema, database = _plain(target.schema, render), _plain(target.database, render)
    if target.database_is_path and database is not None:
        database = _duckdb_database({"path": database})
    changes: dict[str, Any] = {}
    if "target_name" not in settings.explicit:
        changes["target_name"] = target.name
    if schema and "target_schema" not in settings.explicit:
        changes["target_schema"] = schema
    if database and "target_database" not in settings.explicit:
        changes["target_database"] = database
    return replace(settings, **changes)
