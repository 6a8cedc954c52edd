"""Dialect names, without loading sqlglot: a command that reads no SQL (a Python-only check)
should not pay for importing the parser just to validate its configuration."""

from __future__ import annotations

import importlib.util
import re
from functools import lru_cache
from pathlib import Path

#: Names users (and sqlfluff / sqllineage) give dialects that sqlglot knows under another name, or
#: reads closely enough: MariaDB is MySQL; Greenplum, Materialize and Vertica speak Postgres SQL.
DIALECT_ALIASES = {
    "ansi": "", "sparksql": "spark", "sqlserver": "tsql", "mariadb": "mysql", "greenplum": "postgres",
    "materialize": "postgres", "vertica": "postgres", "db2": "",
}  # fmt: skip

_PLAIN = re.compile(r"[a-z][a-z0-9_]*")


def sqlglot_name(name: str | None) -> str:
    """The sqlglot name of a user-facing dialect name ("" for sqlglot's default)."""
    key = (name or "").lower()
    return DIALECT_ALIASES.get(key, key)


def is_builtin_dialect(name: str | None) -> bool:
    """Whether ``name`` surely names one of sqlglot's own dialects (False: ask sqlglot itself,
    which also knows plugin dialects and settings such as ``mysql, normalization_strategy = …``)."""
    key = sqlglot_name(name)
    return key == "" or (_PLAIN.fullmatch(key) is not None and key in _builtin_dialects())


@lru_cache(maxsize=1)
def _builtin_dialects() -> frozenset[str]:
    spec = importlib.util.find_spec("sqlglot")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    folder = Path(next(iter(spec.submodule_search_locations))) / "dialects"
    try:
        return frozenset(p.stem for p in folder.glob("*.py") if p.stem not in ("__init__", "dialect"))
    except OSError:
        return frozenset()
