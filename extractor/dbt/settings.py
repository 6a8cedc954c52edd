"""``[tool.datatrail.dbt]``: the dbt target datatrail pretends to compile for. Documented in docs/dbt.md.

A value of the wrong type is a ``ConfigError``; an unknown key is a DT003 warning, like the rest
of the configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..config import Config, check_dialect
from ..errors import ConfigError

DEFAULT_TARGET_SCHEMA = "analytics"
DEFAULT_TARGET_NAME = "prod"


@dataclass(frozen=True)
class DbtSettings:
    """The validated ``[tool.datatrail.dbt]`` table, with defaults filled in."""

    dialect: str | None = None
    adapter: str | None = None
    target_name: str = DEFAULT_TARGET_NAME
    target_schema: str = DEFAULT_TARGET_SCHEMA
    target_database: str | None = None
    vars: dict[str, Any] = field(default_factory=dict)
    env_vars: dict[str, str] = field(default_factory=dict)
    include_disabled: bool = False
    warnings: tuple[str, ...] = ()
    #: target keys the configuration sets (sorted): a project's profiles.yml does not override them
    explicit: tuple[str, ...] = ()


_STRING_KEYS = ("dialect", "adapter", "target_name", "target_schema", "target_database")
_KNOWN = {*_STRING_KEYS, "vars", "env_vars", "include_disabled"}


def load_settings(config: Config) -> DbtSettings:
    """Validate ``config.sections["dbt"]``; defaults come from ``[tool.datatrail]`` where they exist."""
    raw = config.sections.get("dbt", {})
    where = f"{config.source}: " if config.source else ""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}[tool.datatrail.dbt] must be a table")
    values: dict[str, Any] = {}
    warnings = [f"{where}unknown key [tool.datatrail.dbt] {key!r} is ignored" for key in raw if key not in _KNOWN]
    for key in _STRING_KEYS:
        if key in raw:
            if not isinstance(raw[key], str) or not raw[key]:
                raise ConfigError(f"{where}[tool.datatrail.dbt] {key} must be a non-empty string")
            values[key] = raw[key]
    if "dialect" in values:
        check_dialect(values["dialect"], where)
    for key in ("vars", "env_vars"):
        if key in raw and not isinstance(raw[key], dict):
            raise ConfigError(f"{where}[tool.datatrail.dbt] {key} must be a table")
    env_vars = raw.get("env_vars", {})
    if not all(isinstance(v, str | int | float | bool) for v in env_vars.values()):
        raise ConfigError(f"{where}[tool.datatrail.dbt] env_vars values must be strings, numbers or booleans")
    if "include_disabled" in raw and not isinstance(raw["include_disabled"], bool):
        raise ConfigError(f"{where}[tool.datatrail.dbt] include_disabled must be a boolean")
    return DbtSettings(
        dialect=values.get("dialect"),
        adapter=values.get("adapter"),
        target_name=values.get("target_name", DEFAULT_TARGET_NAME),
        target_schema=values.get("target_schema", config.default_schema or DEFAULT_TARGET_SCHEMA),
        target_database=values.get("target_database", config.default_database),
        vars=dict(raw.get("vars", {})),
        env_vars={k: str(v) for k, v in env_vars.items()},
        include_disabled=bool(raw.get("include_disabled", False)),
        warnings=tuple(warnings),
        explicit=tuple(
            sorted(
                {k for k in _STRING_KEYS if k in values}
                | ({"target_schema"} if config.default_schema else set())
                | ({"target_database"} if config.default_database else set())
            )
        ),
    )
