"""Jinja for dbt: the shared sandbox (``extractor.sandbox``) with dbt's tags, and rendering helpers.

- The environment is :class:`extractor.sandbox.Sandbox` (sandboxed, budgeted, ``__name__``
  placeholders with DT202 / DT201 diagnostics) plus dbt's ``{% materialization %}``-style tags.
- Rendering goes through line_markers.py, so an offset in the rendered SQL maps back to the
  template line it came from.

``render_templated_sql`` is the entry point for plain Jinja-templated SQL (Airflow style).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jinja2 import TemplateSyntaxError
from jinja2.exceptions import SecurityError

from .. import codes
from ..model import Diagnostic
from ..placeholders import placeholder_name
from ..sandbox import (
    MAX_SIZE,
    Placeholder,
    PlaceholderUndefined,
    RenderSession,
    Sandbox,
    SandboxViolation,
    airflow_context,
    call_placeholder,
    report,
    session_scope,
    template_position,
)
from .extensions import DbtTagsExtension
from .line_markers import NOISE, TemplateLines, insert_line_markers, strip_line_markers

__all__ = [
    "MAX_SIZE", "DbtSandbox", "MacroReturn", "Placeholder", "PlaceholderUndefined", "RenderSession", "Rendered",
    "SandboxViolation", "airflow_context", "apply_stand_ins", "call_placeholder", "error_diagnostic",
    "insert_line_markers", "placeholder_name", "render_templated_sql", "render_with_lines", "report",
    "session_scope", "strip_line_markers", "template_position",
]  # fmt: skip


class MacroReturn(Exception):
    """``{{ return(x) }}``: ends the macro being called with the value ``x``."""

    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value


_BEFORE_QUERY = re.compile(r"(?:\(|\bunion(?:\s+all|\s+distinct)?|\bexcept|\bintersect)$", re.IGNORECASE)
_AFTER_QUERY = re.compile(r"^(?:$|\)|;|union\b|except\b|intersect\b)", re.IGNORECASE)


def apply_stand_ins(text: str, stand_ins: dict[str, str]) -> str:
    """Replace placeholder calls that stand where a query is expected by their stand-in query."""
    for placeholder, query in stand_ins.items():
        start = text.find(placeholder)
        while start >= 0:
            end = start + len(placeholder)
            before = NOISE.sub(" ", text[max(0, start - 40) : start]).rstrip()
            after = NOISE.sub(" ", text[end : end + 40]).lstrip()
            at_start = start < 200 and not NOISE.sub("", text[:start]).strip()
            if (at_start or _BEFORE_QUERY.search(before)) and _AFTER_QUERY.match(after):
                text = text[:start] + query + text[end:]
                end = start + len(query)
            start = text.find(placeholder, end)
    return text


class DbtSandbox(Sandbox):
    """The shared sandbox with dbt's tags (``{% materialization %}``, ``{% test %}`` …)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(extensions=(DbtTagsExtension,), **options)


# -- errors --------------------------------------------------------------------------------------


def error_position(error: BaseException, paths: set[str] | None = None) -> tuple[str, int] | None:
    """Where in a template an exception was raised: the innermost template frame of its traceback."""
    if isinstance(error, TemplateSyntaxError) and error.lineno:
        return (error.filename or error.name or "", error.lineno)
    found: tuple[str, int] | None = None
    tb = error.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if (paths is None and not filename.endswith(".py")) or (paths is not None and filename in paths):
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def error_diagnostic(error: BaseException, path: str, line: int = 1, paths: set[str] | None = None) -> Diagnostic:
    """DT205 for the sandbox, DT200 for any other template failure; located as well as possible."""
    where = error_position(error, paths) or (path, line)
    where_path = where[0] if where[0] and not where[0].startswith("<") else path
    if isinstance(error, SecurityError):
        code, message = "DT205", f"the sandbox blocked an unsafe operation: {error}"
    elif isinstance(error, TemplateSyntaxError):
        code, message = "DT200", f"Jinja syntax error: {error.message}"
    else:
        detail = str(error).splitlines()[0] if str(error) else ""
        code, message = "DT200", f"template error: {type(error).__name__}: {detail}".rstrip(": ")
    return Diagnostic(where_path, max(1, where[1]), 1, codes.severity(code), code, message)


# -- plain templated SQL -------------------------------------------------------------------------

_PLAIN_ENV: DbtSandbox | None = None


def _plain_env() -> DbtSandbox:
    global _PLAIN_ENV
    if _PLAIN_ENV is None:
        _PLAIN_ENV = DbtSandbox()
    return _PLAIN_ENV


@dataclass
class Rendered:
    """Rendered SQL with the map of its offsets back to template lines; ``failed`` on a DT200/DT205."""

    text: str
    lines: TemplateLines
    diagnostics: list[Diagnostic]
    failed: bool = False


def render_with_lines(
    text: str, path: str, context: dict[str, Any] | None = None, env: DbtSandbox | None = None
) -> Rendered:
    """Render ``text`` in the sandbox; a template that fails gives an empty, ``failed`` result."""
    env = env or _plain_env()
    session = RenderSession(path)
    try:
        with session_scope(session):
            template = env.compile_template(insert_line_markers(text), path)
            rendered = template.render(context or {})
    except MacroReturn as r:
        rendered = str(r.value)
    except Exception as e:  # any template failure is a diagnostic, never a crash
        session.diagnostics.append(error_diagnostic(e, path, paths={path}))
        return Rendered("", TemplateLines("", [(0, 1)]), session.diagnostics, failed=True)
    if session.stand_ins:
        rendered = apply_stand_ins(rendered, session.stand_ins)
    clean, lines = strip_line_markers(rendered)
    return Rendered(clean, lines, session.diagnostics)


def render_templated_sql(text: str, path: str, context: dict[str, Any] | None = None) -> tuple[str, list[Diagnostic]]:
    """Render Jinja-templated SQL outside dbt (Airflow ``{{ ds }}``, ``{{ params.x }}`` …).

    Unknown names become placeholders (``__params_table__``) with DT202/DT201 diagnostics; a
    template that does not compile gives DT200 and an empty string. Text without Jinja is
    returned unchanged.

    >>> render_templated_sql("select * from {{ params.schema }}.t where d = '{{ ds }}'", "q.sql")[0]
    "select * from __params_schema__.t where d = '2024-01-01'"
    """
    if "{{" not in text and "{%" not in text and "{#" not in text:
        return text, []
    merged = {**airflow_context(), **(context or {})}
    rendered = render_with_lines(text, path, merged)
    return rendered.text, rendered.diagnostics
