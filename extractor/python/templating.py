"""Jinja-templated SQL in Python pipelines (Airflow ``{{ ds }}``, ``{{ params.table }}``), rendered safely.

Templates render in the one sandbox (``extractor.sandbox``) with the same context and the same
placeholder convention as templated SQL files: Airflow's date variables fixed at 2024-01-01, the
task's ``params`` known, and every other name a ``__name__`` placeholder, so
``{{ params.schema }}.orders`` is ``__params_schema__.orders`` whether the template sits in a
``.sql`` file or in a DAG. ``Holes`` is for Python values unknown at analysis time (f-string
parts): they become ``dt_hole_N`` identifiers while the SQL is parsed and ``{name}`` patterns after.
"""

from __future__ import annotations

from typing import Any

from jinja2.exceptions import SecurityError, TemplateError

from ..sandbox import PlaceholderUndefined, RenderSession, Sandbox, airflow_context, session_scope

PLACEHOLDER = "dt_hole_"
#: How a render error blocked by the sandbox starts (reported as DT205, not DT303).
BLOCKED = "the Jinja sandbox blocked an unsafe operation"


class Holes:
    """Placeholders handed out for unknown Python values in one SQL string, and the names they stand for."""

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


class Scope(dict[str, Any]):
    """A context mapping (``params``) whose missing keys render as ``__params_key__`` placeholders."""

    def __init__(self, prefix: str, items: dict[str, Any]) -> None:
        super().__init__(items)
        self.prefix = prefix

    def __missing__(self, key: str) -> Any:
        return PlaceholderUndefined(name=f"{self.prefix}.{key}")


_ENV: Sandbox | None = None


def _env() -> Sandbox:
    global _ENV
    if _ENV is None:
        _ENV = Sandbox()
    return _ENV


def is_templated(text: str) -> bool:
    return "{{" in text or "{%" in text


def render_template(
    text: str, holes: Holes, context: dict[str, Any] | None = None, path: str = "<template>"
) -> tuple[str, str | None]:
    """Render ``text``; returns the SQL and an error message (None when it rendered).

    >>> render_template("select * from {{ params.s }}.t where d = '{{ ds }}'", Holes())[0]
    "select * from __params_s__.t where d = '2024-01-01'"
    """
    if not is_templated(text):
        return text, None
    try:
        with session_scope(RenderSession(path)):
            return _env().from_string(text).render(**{**airflow_context(), **(context or {})}), None
    except SecurityError as e:
        return "", f"{BLOCKED}: {e}"
    except TemplateError as e:
        return "", f"Jinja template error: {e}"
    except Exception as e:  # a template's own logic failing on placeholders is not our crash
        return "", f"Jinja template could not be rendered: {type(e).__name__}: {e}"
