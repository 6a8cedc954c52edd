"""Jinja, sandboxed and forgiving: the environment every template in datatrail renders in.

- Always a ``SandboxedEnvironment``: no attribute starting with ``_``, no unsafe callables; an
  escape attempt (``{{ ''.__class__ }}``) raises :class:`SandboxViolation` (DT205), never a value.
- An undefined variable renders as ``__name__`` and a call of an unknown macro as
  ``__name__(args)``: SQL that still parses, plus a DT202 / DT201 diagnostic with file and line.
- Rendering goes through line_markers.py, so an offset in the rendered SQL maps back to the
  template line it came from.

``render_templated_sql`` is the entry point for plain Jinja-templated SQL (Airflow style).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from jinja2 import TemplateSyntaxError, nodes
from jinja2.environment import Template
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context, Undefined
from jinja2.sandbox import SandboxedEnvironment

from .. import codes
from ..model import Diagnostic
from .extensions import DbtTagsExtension
from .line_markers import NOISE, TemplateLines, insert_line_markers, strip_line_markers

_MAX_SIZE = 5_000_000  # characters or items a template may build with * or **


class SandboxViolation(SecurityError):
    """A template tried something the sandbox forbids (DT205)."""


class MacroReturn(Exception):
    """``{{ return(x) }}``: ends the macro being called with the value ``x``."""

    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value


# -- diagnostics of one render ------------------------------------------------------------------


@dataclass
class RenderSession:
    """Collects the diagnostics of one render; a placeholder is reported once per name and line."""

    path: str
    line: int = 1
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: placeholder call -> the query it stands for where a query is expected (``with x as (…)``)
    stand_ins: dict[str, str] = field(default_factory=dict)
    _seen: set[tuple[str, str, str, int]] = field(default_factory=set)

    def report(self, code: str, message: str, where: tuple[str, int] | None = None, key: str = "") -> None:
        path, line = where or template_position() or (self.path, self.line)
        mark = (code, key or message, path, line)
        if mark in self._seen:
            return
        self._seen.add(mark)
        self.diagnostics.append(Diagnostic(path, line, 1, codes.severity(code), code, message))


_SESSION: ContextVar[RenderSession | None] = ContextVar("datatrail_render_session", default=None)


class session_scope:
    """``with session_scope(session):`` makes ``session`` the one placeholders report to."""

    def __init__(self, session: RenderSession) -> None:
        self.session = session
        self._token: Any = None

    def __enter__(self) -> RenderSession:
        self._token = _SESSION.set(self.session)
        return self.session

    def __exit__(self, *exc: object) -> None:
        _SESSION.reset(self._token)


def report(code: str, message: str, key: str = "") -> None:
    """Report to the active render session, at the template line being executed."""
    session = _SESSION.get()
    if session is not None:
        session.report(code, message, key=key)


def template_position() -> tuple[str, int] | None:
    """(template file, line) of the innermost template frame being executed, if any."""
    frame = sys._getframe(1)
    while frame is not None:
        template = frame.f_globals.get("__jinja_template__")
        if template is not None and template.filename:
            return str(template.filename), template.get_corresponding_lineno(frame.f_lineno)
        frame = frame.f_back  # type: ignore[assignment]
    return None


# -- placeholders --------------------------------------------------------------------------------

_IDENT_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)*$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
#: Strings that read as identifiers but name a date part or a type, not a column.
_NOT_COLUMNS = frozenset({
    "year", "quarter", "month", "week", "day", "hour", "minute", "second", "millisecond", "microsecond",
    "nanosecond", "dayofweek", "dayofyear", "isoweek", "date", "time", "timestamp", "datetime", "string", "varchar",
    "text", "int", "integer", "bigint", "float", "numeric", "boolean", "bool", "double", "decimal", "number", "true",
    "false", "null", "none", "asc", "desc",
})  # fmt: skip


def placeholder_name(name: str) -> str:
    """``params.table`` -> ``__params_table__``: an identifier that says it stands for something."""
    cleaned = re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_") or "undefined"
    return f"__{cleaned}__"


def _sql_argument(value: Any) -> list[str]:
    """How one argument of an unknown macro appears inside its placeholder call."""
    if value is None or isinstance(value, bool | Undefined | dict):
        return []
    if isinstance(value, int | float):
        return [repr(value)]
    if isinstance(value, list | tuple | set):
        return [a for v in value for a in _sql_argument(v)]
    if isinstance(value, Placeholder):
        return [str(value)]
    if isinstance(value, str):
        text = value.strip()
        if _NUMBER.match(text):
            return [text]
        if _IDENT_PATH.match(text):
            return [] if text.lower() in _NOT_COLUMNS else [text]
        if text.startswith("'") and text.endswith("'") and text.count("'") == 2:
            return [text]
        if text.count("(") == text.count(")") and ";" not in text and "'" not in text and text:
            return [f"({text})"]
        return []
    return []


class Placeholder:
    """The value of an unknown macro call: renders as ``__name__(args)``, iterates as empty."""

    __slots__ = ("_text",)

    def __init__(self, text: str) -> None:
        self._text = text

    def __str__(self) -> str:
        return self._text

    def __html__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"Placeholder({self._text})"

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __bool__(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return Placeholder(self._text)

    def __getitem__(self, key: Any) -> Placeholder:
        return Placeholder(self._text)

    def __call__(self, *args: Any, **kwargs: Any) -> Placeholder:
        return self

    def __add__(self, other: Any) -> str:
        return self._text + str(other)

    def __radd__(self, other: Any) -> str:
        return str(other) + self._text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Placeholder) and other._text == self._text

    def __hash__(self) -> int:
        return hash(self._text)


def _relations(values: Any) -> list[str]:
    """Relations among macro arguments (anything rendering as a name with a ``schema`` part)."""
    found: list[str] = []
    for value in values:
        if isinstance(value, list | tuple):
            found.extend(_relations(value))
        elif hasattr(value, "schema") and hasattr(value, "identifier") and not isinstance(value, Undefined):
            found.append(str(value))
    return found


def call_placeholder(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Placeholder:
    """Report an unknown macro (DT201) and return what its call renders as.

    Where SQL expects a query (``with x as ({{ unknown(ref('y')) }})``) the call later stands
    for ``select * from`` the relations it was given (see :func:`apply_stand_ins`)."""
    arguments = [a for v in (*args, *kwargs.values()) for a in _sql_argument(v)]
    text = f"{placeholder_name(name)}({', '.join(arguments)})"
    report("DT201", f"unknown macro {name}() rendered as the placeholder {text}", key=name)
    session = _SESSION.get()
    if session is not None:
        relations = _relations((*args, *kwargs.values()))
        query = " union all ".join(f"select * from {r}" for r in relations)
        session.stand_ins[text] = query or f"select null as {placeholder_name(name)}"
    return Placeholder(text)


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


class PlaceholderUndefined(Undefined):
    """An undefined name: falsy and empty in logic, a placeholder when rendered or called."""

    __slots__ = ()

    def _full_name(self) -> str:
        name = self._undefined_name
        if isinstance(self._undefined_obj, PlaceholderUndefined):
            return f"{self._undefined_obj._full_name()}.{name}"
        return str(name) if name is not None else "undefined"

    def __str__(self) -> str:
        if self._undefined_exception is SecurityError:  # pragma: no cover - unsafe_undefined raises first
            raise SandboxViolation(self._undefined_message)
        name = self._full_name()
        text = placeholder_name(name)
        report("DT202", f"undefined variable {name!r} rendered as the placeholder {text}", key=name)
        return text

    def __html__(self) -> str:
        return self.__str__()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.pop("caller", None)
        return call_placeholder(self._full_name(), args, kwargs)

    def __getattr__(self, name: str) -> Any:
        if name[:2] == "__" and name[-2:] == "__":
            raise AttributeError(name)
        return PlaceholderUndefined(obj=self, name=name)

    def __getitem__(self, key: Any) -> Any:
        return PlaceholderUndefined(obj=self, name=str(key))

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> Any:
        return self

    __add__ = __radd__ = __sub__ = __rsub__ = _fail_with_undefined_error
    __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _fail_with_undefined_error
    __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = _fail_with_undefined_error
    __pos__ = __neg__ = __pow__ = __rpow__ = _fail_with_undefined_error

    def _false(self, *args: Any, **kwargs: Any) -> Any:
        return False

    def _zero(self, *args: Any, **kwargs: Any) -> Any:
        return 0

    __lt__ = __le__ = __gt__ = __ge__ = _false
    __int__ = __float__ = _zero


# -- the sandbox ---------------------------------------------------------------------------------


def _as_bool(value: Any) -> Any:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
    return value


def _as_number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return value
    return value


def _as_native(value: Any) -> Any:
    return _as_number(_as_bool(value))


class DbtSandbox(SandboxedEnvironment):
    """The one Jinja environment class datatrail renders with: sandboxed, dbt's tags and filters."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, **options: Any) -> None:
        super().__init__(
            extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols", DbtTagsExtension],
            undefined=PlaceholderUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            cache_size=0,
            **options,
        )
        self.filters.update(as_bool=_as_bool, as_number=_as_number, as_native=_as_native, as_text=str)

    def unsafe_undefined(self, obj: Any, attribute: str) -> Undefined:
        raise SandboxViolation(f"access to attribute {attribute!r} of a {type(obj).__name__!r} object is unsafe")

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if not __self.is_safe_callable(__obj):
            raise SandboxViolation(f"{__obj!r} is not safely callable")
        return __context.call(__obj, *args, **kwargs)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > 1000:
            raise SandboxViolation("exponent too large")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(times, int) and len(seq) * times > _MAX_SIZE:
                    raise SandboxViolation("sequence repetition too large")
        return super().call_binop(context, operator, left, right)

    def compile_template(self, source: str | nodes.Template, path: str) -> Template:
        """Compile ``source`` (text or an already parsed AST) as the template of file ``path``."""
        code = self.compile(source, name=path, filename=path)
        return self.template_class.from_code(self, code, self.make_globals(None), None)


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

_FIXED_NOW = datetime(2024, 1, 1, tzinfo=timezone.utc)


def _ds_add(ds: str, days: int) -> str:
    return (datetime.strptime(str(ds), "%Y-%m-%d") + timedelta(days=int(days))).strftime("%Y-%m-%d")


def _ds_format(ds: str, input_format: str, output_format: str) -> str:
    return datetime.strptime(str(ds), input_format).strftime(output_format)


def airflow_context() -> dict[str, Any]:
    """Airflow's template variables, with a fixed run date so output is deterministic."""
    now = _FIXED_NOW
    ds = now.strftime("%Y-%m-%d")

    class _Macros:
        ds_add = staticmethod(_ds_add)
        ds_format = staticmethod(_ds_format)
        datetime = datetime
        timedelta = timedelta

    return {
        "ds": ds, "ds_nodash": now.strftime("%Y%m%d"), "ts": now.isoformat(),
        "ts_nodash": now.strftime("%Y%m%dT%H%M%S"),
        "ts_nodash_with_tz": now.strftime("%Y%m%dT%H%M%S+0000"), "execution_date": now, "logical_date": now,
        "data_interval_start": now, "data_interval_end": now + timedelta(days=1),
        "prev_ds": _ds_add(ds, -1), "next_ds": _ds_add(ds, 1), "yesterday_ds": _ds_add(ds, -1),
        "tomorrow_ds": _ds_add(ds, 1), "prev_ds_nodash": (now - timedelta(days=1)).strftime("%Y%m%d"),
        "next_ds_nodash": (now + timedelta(days=1)).strftime("%Y%m%d"), "run_id": "datatrail", "macros": _Macros(),
    }  # fmt: skip


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
