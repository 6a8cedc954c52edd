"""``[tool.datatrail.python]``: the Python frontend's settings, validated.

Kept apart from the interpreter so that validating a configuration (every command does) does not
import libcst and the framework models.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import codes
from ..config import Config
from ..errors import ConfigError
from ..model import Diagnostic

_KEYS = {
    "max_call_depth": "an integer >= 1",
    "follow_uncalled": "a boolean",
    "session_names": "a list of strings",
    "env": "a table of strings",
}


@dataclass
class Settings:
    """``[tool.datatrail.python]``, validated (see docs/python.md)."""

    max_call_depth: int = 8
    follow_uncalled: bool = True
    session_names: list[str] = field(default_factory=lambda: ["spark"])
    env: dict[str, str] = field(default_factory=dict)


def load_settings(config: Config, diagnostics: list[Diagnostic] | None = None) -> Settings:
    """``[tool.datatrail.python]`` validated; wrong types raise ``ConfigError``."""
    raw: dict[str, Any] = config.sections.get("python", {})
    settings = Settings()
    where = f"{config.source}: " if config.source else ""
    for key, value in raw.items():
        if key not in _KEYS:
            if diagnostics is not None:
                diagnostics.append(
                    Diagnostic(str(config.source or "pyproject.toml"), 1, 1, codes.severity(codes.CONFIG), codes.CONFIG,
                               f"{where}unknown key [tool.datatrail.python] {key!r} is ignored")
                )  # fmt: skip
            continue
        ok = (
            (key == "max_call_depth" and isinstance(value, int) and not isinstance(value, bool) and value >= 1)
            or (key == "follow_uncalled" and isinstance(value, bool))
            or (key == "session_names" and isinstance(value, list) and all(isinstance(v, str) for v in value))
            or (key == "env" and isinstance(value, dict) and all(isinstance(v, str) for v in value.values()))
        )
        if not ok:
            raise ConfigError(f"{where}[tool.datatrail.python] {key} must be {_KEYS[key]}")
        setattr(settings, key, value)
    return settings
