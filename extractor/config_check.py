"""Every section of ``[tool.datatrail]`` validated in one place, the same way for every command.

``config.py`` reads the top-level keys; the sections belong to the features that use them
(python, dbt, policy, docs). ``validate_config`` runs each feature's validation up front, so
``scan``, ``diff``, ``check``, ``render`` and ``docs`` accept and reject the same files: a wrong
value is a ``ConfigError`` (exit 2) naming the key and the file; an unknown key is a warning,
except in ``[tool.datatrail.policy]``, where a misspelt key would silently weaken a gate.
"""

from __future__ import annotations

from .config import Config
from .dbt.settings import load_settings as load_dbt_settings
from .errors import ConfigError
from .model import Diagnostic
from .policy import load_policy
from .python.settings import load_settings as load_python_settings

#: ``[tool.datatrail.docs]``: key -> (what it must be, test).
_DOCS = {
    "outdir": ("a string (a directory)", lambda v: isinstance(v, str) and bool(v)),
    "images": ('"auto", true or false', lambda v: v == "auto" or isinstance(v, bool)),
}


def validate_config(config: Config, scanned_on_disk: bool = False) -> list[str]:
    """Validate every section of ``config``; returns warnings, raises ConfigError on a wrong value.

    A scan of files on disk reports top-level, python and dbt warnings itself (DT003); with
    ``scanned_on_disk`` they are left out here so nothing is reported twice."""
    where = f"{config.source}: " if config.source else ""
    warnings = [] if scanned_on_disk else list(config.warnings)
    try:
        load_policy(config.sections.get("policy", {}))
    except ConfigError as e:
        raise ConfigError(where + str(e)) from e
    diagnostics: list[Diagnostic] = []
    load_python_settings(config, diagnostics)
    dbt_warnings = load_dbt_settings(config).warnings
    if not scanned_on_disk:
        warnings += [d.message for d in diagnostics] + list(dbt_warnings)
    for key, value in config.sections.get("docs", {}).items():
        if key not in _DOCS:
            warnings.append(f"{where}unknown key [tool.datatrail.docs] {key!r} is ignored")
            continue
        description, ok = _DOCS[key]
        if not ok(value):
            raise ConfigError(f"{where}[tool.datatrail.docs] {key} must be {description}, not {value!r}")
    return warnings
