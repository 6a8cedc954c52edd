"""Jinja-templated SQL outside dbt (Airflow ``{{ ds }}``, ``{{ params.table }}``), rendered safely.

A small placeholder renderer: the template runs in Jinja's sandbox, and every name the context
does not define renders as a placeholder identifier (``dt_hole_3``) that the SQL parser accepts
anywhere an identifier or a literal can stand. ``Holes`` maps each placeholder back to the name it
stands for, so a table ``{{ params.schema }}.orders`` becomes the dataset ``{params.schema}.orders``
— the same pattern notation f-strings get. (``extractor.dbt.jinja.render_templated_sql`` is the
dbt-side renderer; the two are meant to be merged, see docs/python.md.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jinja2 import Undefined
from jinja2.exceptions import SecurityError, TemplateError
from jinja2.sandbox import SandboxedEnvironment

PLACEHOLDER = "dt_hole_"


class Holes:
    """Placeholders handed out while rendering one SQL string, and the names they stand for."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def placeholder(self, name: str) -> str:
        self.names.append(name)
        return f"{PLACEHOLDER}{len(self.names) - 1}"

    def restore(self, text: str) -> str:
        """Put ``{name}`` back where a placeholder ended up (in a table name, a path …)."""
        if PLACEHOLDER not in text:
            return text
        for index in range(len(self.names) - 1, -1, -1):
            text = text.replace(f"{PLACEHOLDER}{index}", "{" + self.names[index] + "}")
        return text


_current: list[Holes] = []


class _Placeholder(Undefined):
    """An undefined name: renders as a placeholder, and stays one through attributes and calls."""

    __slots__ = ()

    def _name(self) -> str:
        return str(self._undefined_name or "undefined")

    def __str__(self) -> str:
        holes = _current[-1] if _current else Holes()
        return holes.placeholder(self._name())

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Placeholder(name=f"{self._name()}.{name}")

    def __getitem__(self, key: object) -> Any:
        return _Placeholder(name=f"{self._name()}.{key}")

    def __call__(self, *args: object, **kwargs: object) -> Any:
        return _Placeholder(name=self._name())

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __bool__(self) -> bool:
        return False

    def __len__(self) -> int:
        return 0


class Scope(dict[str, Any]):
    """A context mapping (``params``) whose missing keys render as ``{params.key}`` holes."""

    def __init__(self, prefix: str, items: dict[str, Any]) -> None:
        super().__init__(items)
        self.prefix = prefix

    def __missing__(self, key: str) -> Any:
        return _Placeholder(name=f"{self.prefix}.{key}")


_ENV: SandboxedEnvironment | None = None


def _env() -> SandboxedEnvironment:
    global _ENV
    if _ENV is None:
        _ENV = SandboxedEnvironment(undefined=_Placeholder, autoescape=False, keep_trailing_newline=True)
    return _ENV


def is_templated(text: str) -> bool:
    return "{{" in text or "{%" in text


def render_template(text: str, holes: Holes, context: dict[str, Any] | None = None) -> tuple[str, str | None]:
    """Render ``text``; returns the SQL and an error message (None when it rendered).

    >>> holes = Holes()
    >>> render_template("select * from {{ params.s }}.t where d = '{{ ds }}'", holes)[0]
    "select * from dt_hole_0.t where d = 'dt_hole_1'"
    >>> holes.restore("dt_hole_0.t")
    '{params.s}.t'
    """
    if not is_templated(text):
        return text, None
    _current.append(holes)
    try:
        return _env().from_string(text).render(**(context or {})), None
    except SecurityError as e:
        return "", f"the Jinja sandbox blocked an unsafe operation: {e}"
    except TemplateError as e:
        return "", f"Jinja template error: {e}"
    except Exception as e:  # a template's own logic failing on placeholders is not our crash
        return "", f"Jinja template could not be rendered: {type(e).__name__}: {e}"
    finally:
        _current.pop()
