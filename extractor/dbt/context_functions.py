"""Small functions of dbt's Jinja context (``zip``, ``set``, ``fromjson`` …) and naming helpers."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import yaml

from .. import safe_yaml
from .jinja import MacroReturn, PlaceholderUndefined, template_position
from .runtime import CompilerError


def dbt_return(value: Any = "") -> None:
    raise MacroReturn(value)


def current_line() -> int:
    where = template_position()
    return where[1] if where else 1


def optional_text(value: Any) -> str | None:
    if value is None or isinstance(value, PlaceholderUndefined):
        return None
    text = str(value).strip()
    return text or None


def relation_type(config: dict[str, Any]) -> str:
    materialized = str(config.get("materialized") or "view")
    return {"view": "view", "ephemeral": "cte", "materialized_view": "materialized_view"}.get(materialized, "table")


def dbt_zip(*args: Any) -> list[tuple[Any, ...]]:
    return list(zip(*args, strict=False))


class StableSet(set[Any]):
    """dbt's ``set()``, iterated and printed in a fixed order: a Python set of strings iterates in
    an order that changes with the hash seed, and ``{% for t in set(tests) %}`` then gave another
    column order on every run (dbt-project-evaluator). Sorted by type, then text."""

    def __iter__(self) -> Iterator[Any]:
        return iter(sorted(super().__iter__(), key=lambda v: (type(v).__name__, repr(v))))

    def __repr__(self) -> str:
        return "{" + ", ".join(map(repr, self)) + "}" if self else "set()"

    __str__ = __repr__


def dbt_set(value: Any, default: Any = None) -> Any:
    try:
        return StableSet(value)
    except TypeError:
        return default


def fromjson(value: Any, default: Any = None) -> Any:
    try:
        return json.loads(str(value))
    except ValueError:
        return default


def tojson(value: Any, default: Any = None, sort_keys: bool = False) -> Any:
    try:
        return json.dumps(value, sort_keys=sort_keys, default=str)
    except (TypeError, ValueError):
        return default


def fromyaml(value: Any, default: Any = None) -> Any:
    try:
        return safe_yaml.load(str(value))
    except yaml.YAMLError:
        return default


def toyaml(value: Any, default: Any = None, sort_keys: bool = False) -> Any:
    try:
        return yaml.safe_dump(value, sort_keys=sort_keys)
    except yaml.YAMLError:
        return default


def local_md5(value: Any) -> str:
    return hashlib.md5(str(value).encode(), usedforsecurity=False).hexdigest()


def diff_of_two_dicts(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in (a or {}).items() if k not in (b or {})}


def try_or_compiler_error(message: Any, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return func(*args, **kwargs)
    except Exception as e:
        raise CompilerError(str(message)) from e
