"""``[tool.datatrail]`` configuration from pyproject.toml. Documented in docs/config.md.

Unknown keys are warned about (DT003); a value of the wrong type is a ``ConfigError``, which the
CLI turns into a usage error (exit 2).
"""

from __future__ import annotations

import fnmatch
import functools
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

DEFAULT_EXCLUDE = [
    ".git/**", "**/.git/**", ".venv/**", "**/.venv/**", "venv/**", "**/node_modules/**",
    "**/dbt_packages/**", "**/target/**", "**/__pycache__/**", "**/.datatrail-cache/**",
]  # fmt: skip


#: File suffixes analysed as SQL scripts, and the dialect a suffix implies when none is configured.
SQL_SUFFIXES: dict[str, str | None] = {
    ".sql": None, ".ddl": None, ".hql": "hive", ".hive": "hive", ".psql": "postgres", ".sqlx": "bigquery",
}  # fmt: skip

DEFAULT_INCLUDE = [*(f"**/*{suffix}" for suffix in SQL_SUFFIXES), "**/*.py", "**/*.ipynb", "**/dbt_project.yml"]


def is_sql_file(relpath: str) -> bool:
    """Whether a file is a SQL script by its suffix (``.sql``, ``.hql``, ``.psql`` …)."""
    return relpath.lower().endswith(tuple(SQL_SUFFIXES))


@dataclass
class Config:
    """Settings for one scan. Paths in it are relative to ``root``."""

    root: Path = field(default_factory=Path.cwd)
    dialect: str | None = None
    dialects: dict[str, str] = field(default_factory=dict)
    paths: list[str] = field(default_factory=list)
    include: list[str] = field(default_factory=lambda: list(DEFAULT_INCLUDE))
    exclude: list[str] = field(default_factory=list)
    schema_files: list[str] = field(default_factory=list)
    default_database: str | None = None
    default_schema: str | None = None
    source: Path | None = None
    warnings: list[str] = field(default_factory=list)
    #: Raw ``[tool.datatrail.<name>]`` tables of the features that own them (dbt, python, policy …).
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: For a git revision scanned in memory: its files, relative to ``root``; None means the disk.
    files: Mapping[str, bytes] | None = None
    #: ``[tool.datatrail.variables]``: values of script variables (``${x}``, ``:x``, ``{{ x }}``).
    variables: dict[str, str] = field(default_factory=dict)

    def dialect_for(self, relpath: str) -> str | None:
        """The dialect of one file: the last matching per-path override, else the default, else
        the dialect its suffix implies (``.hql`` is Hive, ``.psql`` Postgres)."""
        chosen = self.dialect
        for pattern, dialect in self.dialects.items():
            if _match(relpath, pattern):
                chosen = dialect
        if chosen is None:
            suffix = relpath[relpath.rfind(".") :].lower() if "." in relpath else ""
            chosen = SQL_SUFFIXES.get(suffix)
        return chosen

    def is_excluded(self, relpath: str) -> bool:
        return _matcher((*DEFAULT_EXCLUDE, *self.exclude))(relpath) is not None

    def is_included(self, relpath: str) -> bool:
        return _matcher(tuple(self.include))(relpath) is not None


@functools.lru_cache(maxsize=64)
def _matcher(patterns: tuple[str, ...]) -> Callable[[str], object]:
    """One compiled regular expression matching like ``_match`` does for any of ``patterns``."""
    alternatives = []
    for pattern in patterns:
        alternatives.append(fnmatch.translate(pattern))
        if pattern.startswith("**/"):
            alternatives.append(fnmatch.translate(pattern[3:]))
        if pattern.endswith("/**"):
            alternatives.append(re.escape(pattern[:-3]) + r"(?:/.*)?\Z")
        if not any(ch in pattern for ch in "*?["):
            alternatives.append(re.escape(pattern.rstrip("/") + "/") + r".*\Z")
    if not alternatives:
        return lambda relpath: None
    return re.compile("|".join(f"(?:{a})" for a in alternatives), re.DOTALL).match


def _match(relpath: str, pattern: str) -> bool:
    if fnmatch.fnmatchcase(relpath, pattern):
        return True
    if pattern.startswith("**/") and fnmatch.fnmatchcase(relpath, pattern[3:]):
        return True
    if pattern.endswith("/**") and (relpath == pattern[:-3] or relpath.startswith(pattern[:-2])):
        return True
    # A bare directory name matches everything below it.
    return not any(ch in pattern for ch in "*?[") and relpath.startswith(pattern.rstrip("/") + "/")


_STR = (str,)
_SCHEMA: dict[str, tuple[str, Any]] = {
    "dialect": ("a string", _STR),
    "dialects": ("a table of glob = dialect", dict),
    "paths": ("a list of strings", list),
    "include": ("a list of strings", list),
    "exclude": ("a list of strings", list),
    "schema_files": ("a list of strings", list),
    "default_database": ("a string", _STR),
    "default_schema": ("a string", _STR),
    "variables": ("a table of name = string", dict),
}
#: Sections that later features own; accepted here so they are not reported as unknown.
RESERVED_SECTIONS = {
    "dbt", "python", "policy", "render", "docs", "cache", "analysis", "path_convention", "tags", "governance",
    "openlineage",
}  # fmt: skip


def find_pyproject(start: Path) -> Path | None:
    start = start.resolve()
    for directory in [start, *start.parents] if start.is_dir() else [start.parent, *start.parent.parents]:
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_config(start: Path | None = None, explicit: Path | None = None) -> Config:
    """Read ``[tool.datatrail]`` from ``explicit`` or the nearest pyproject.toml above ``start``."""
    path = explicit or find_pyproject(start or Path.cwd())
    if path is None:
        return Config(root=(start or Path.cwd()).resolve() if (start or Path.cwd()).is_dir() else Path.cwd())
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{path}: cannot read configuration: {e}") from e
    section = data.get("tool", {}).get("datatrail", {})
    return config_from_mapping(section, root=path.parent.resolve(), source=path)


def config_from_pyproject(text: str, root: Path, source: Path | None = None) -> Config:
    """The configuration in a pyproject.toml's text (for revisions read from git objects)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{source or 'pyproject.toml'}: cannot read configuration: {e}") from e
    return config_from_mapping(data.get("tool", {}).get("datatrail", {}), root=root, source=source)


def config_from_mapping(section: dict[str, Any], root: Path, source: Path | None = None) -> Config:
    if not isinstance(section, dict):
        raise ConfigError("[tool.datatrail] must be a table")
    config = Config(root=root, source=source)
    where = f"{source}: " if source else ""
    for key, value in section.items():
        if key in RESERVED_SECTIONS:
            if not isinstance(value, dict):
                raise ConfigError(f"{where}[tool.datatrail.{key}] must be a table")
            config.sections[key] = value
            continue
        if key not in _SCHEMA:
            config.warnings.append(f"{where}unknown key [tool.datatrail] {key!r} is ignored")
            continue
        description, expected = _SCHEMA[key]
        if not isinstance(value, expected):
            raise ConfigError(f"{where}[tool.datatrail] {key} must be {description}, not {type(value).__name__}")
        if isinstance(value, list) and not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}[tool.datatrail] {key} must be {description}")
        if isinstance(value, dict) and not all(isinstance(v, str) for v in value.values()):
            raise ConfigError(f"{where}[tool.datatrail] {key} must be {description}")
        setattr(config, key, value)
    for dialect in [config.dialect, *config.dialects.values()]:
        if dialect is not None:
            check_dialect(dialect, where)
    return config


def check_dialect(name: str, where: str) -> None:
    from .sql.dialect_names import is_builtin_dialect

    if is_builtin_dialect(name):
        return
    from .sql.naming import get_dialect

    try:
        get_dialect(name)
    except ValueError as e:
        raise ConfigError(f"{where}unknown SQL dialect {name!r}") from e
