"""The one Jinja sandbox every template in datatrail renders in (dbt models and macros, Airflow
templates in SQL files and in Python DAGs).

- Always a ``SandboxedEnvironment``: no attribute starting with ``_``, no unsafe callables; an
  escape attempt (``{{ ''.__class__ }}``) raises :class:`SandboxViolation` (DT205), never a value.
- One placeholder convention: an unknown name renders as ``__name__`` (``{{ params.schema }}`` ->
  ``__params_schema__``) and a call of an unknown macro as ``__name__(args)``: SQL that still
  parses, plus a DT202 / DT201 diagnostic with file and line.
- Budgets, so a template cannot hang or exhaust memory: template steps (loop iterations,
  recursive macros, ``modules.itertools.count()``) and time per render, the size of any string or
  list a template builds (``*``, ``**``, ``%``, ``+`` and ``~`` doubling, padding filters and
  methods, list growth through method calls). An exhausted budget is a :class:`SandboxViolation`
  like any other blocked operation.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from types import CodeType, FrameType
from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.environment import Template
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context, Undefined
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import pass_environment

from . import codes
from .model import Diagnostic
from .placeholders import placeholder_name

#: Characters or items one value a template builds may have (``*``, ``**``, ``~``, padding).
MAX_SIZE = 5_000_000
#: Largest exponent ``**`` accepts.
MAX_EXPONENT = 1000
#: Template lines one render may execute (loop iterations, macro calls …).
MAX_STEPS = 2_000_000
#: Seconds one render may take.
MAX_SECONDS = 20.0


class SandboxViolation(SecurityError):
    """A template tried something the sandbox forbids (DT205)."""


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
    """``with session_scope(session):`` makes ``session`` the one placeholders report to, and puts
    the render under the step, time and size budget (the outermost scope of a thread owns it)."""

    def __init__(self, session: RenderSession) -> None:
        self.session = session
        self._token: Any = None
        self._budget: _Budget | None = None

    def __enter__(self) -> RenderSession:
        if _Budget.active is not None and _Budget.active.exhausted is not None:
            # A budget already spent (its violation caught by an enclosing render) stays spent.
            raise SandboxViolation(_Budget.active.exhausted)
        self._token = _SESSION.set(self.session)
        if _Budget.active is None:
            self._budget = _Budget()
            self._budget.start()
        return self.session

    def __exit__(self, *exc: object) -> None:
        _SESSION.reset(self._token)
        if self._budget is not None:
            self._budget.stop()


_TRACE_CHECK_EVERY = 256


class _Budget:
    """Counts the template lines a render executes (``sys.settrace``, template frames only) and
    the time it takes; raises SandboxViolation when over. (Sizes are checked where values are
    built: ``Sandbox.call``, ``call_binop`` and ``~``.)

    Template code is the only code traced: the global hook declines every other frame, so
    datatrail's own code runs untraced. Loops inside C (``count() | list``) cannot be traced:
    the values that could feed them are bounded instead (see ``runtime.dbt_modules``)."""

    active: _Budget | None = None  # one render at a time per process: the scan is single-threaded

    def __init__(self) -> None:
        self.steps = 0
        self.deadline = time.monotonic() + MAX_SECONDS
        self.exhausted: str | None = None
        self._previous: Any = None

    def start(self) -> None:
        _Budget.active = self
        self._previous = sys.gettrace()
        if self._previous is None:  # never displace a debugger's or coverage's tracer
            sys.settrace(self._global)

    def stop(self) -> None:
        if self._previous is None:
            sys.settrace(None)
        _Budget.active = None

    def _global(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "call" and "__jinja_template__" in frame.f_globals:
            return self._local
        return None

    def _local(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            self.steps += 1
            if self.steps % _TRACE_CHECK_EVERY == 0:
                if self.steps > MAX_STEPS:
                    self._exhaust(f"the template ran more than {MAX_STEPS:,} steps (a runaway loop?)")
                if time.monotonic() > self.deadline:
                    self._exhaust(f"the template ran for more than {MAX_SECONDS:g} s")
        return self._local

    def _exhaust(self, message: str) -> None:
        self.exhausted = message
        raise SandboxViolation(message)


_PADDING = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs", "format", "format_map"})


def _size(value: Any, depth: int = 0) -> int:
    """Items in ``value``, counting nested sequences (three levels) as their contents."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list | tuple) and depth < 3:
        return sum(max(1, _size(v, depth + 1)) for v in value[:1000]) * max(1, len(value) // 1000 or 1)
    return 1


def _check_sizes(*groups: Any) -> None:
    for group in groups:
        for value in group:
            if isinstance(value, int) and not isinstance(value, bool) and value > MAX_SIZE:
                raise SandboxViolation(f"a width or count of {value:,} is over the budget of {MAX_SIZE:,}")
            if isinstance(value, str) and "{" in value:
                for number in re.findall(r"\d{7,}", value):  # '{:>999999999}'
                    if int(number) > MAX_SIZE:
                        raise SandboxViolation(f"a format width over the budget of {MAX_SIZE:,}")


def _check_result(value: Any) -> Any:
    if type(value) in (str, list) and len(value) > MAX_SIZE:
        raise SandboxViolation(f"the template built a value of more than {MAX_SIZE:,} items")
    return value


def _bounded_filter(func: Any) -> Any:
    """A padding filter whose numeric arguments are checked against the size budget first."""

    def bounded(*args: Any, **kwargs: Any) -> Any:
        _check_sizes(args[1:], kwargs.values())
        return _check_result(func(*args, **kwargs))

    for attribute in ("jinja_pass_arg", "__name__", "__doc__"):
        if hasattr(func, attribute):
            setattr(bounded, attribute, getattr(func, attribute))
    return bounded


def report(code: str, message: str, key: str = "") -> None:
    """Report to the active render session, at the template line being executed."""
    session = _SESSION.get()
    if session is not None:
        session.report(code, message, key=key)


#: Code of functions that render a template from its syntax tree instead of compiling it (dbt's
#: ``static.render_calls``): such a frame keeps the (file, line) it is at in a local ``position``.
EVALUATORS: set[CodeType] = set()


def template_position() -> tuple[str, int] | None:
    """(template file, line) of the innermost template frame being executed, if any."""
    frame = sys._getframe(1)
    while frame is not None:
        template = frame.f_globals.get("__jinja_template__")
        if template is not None and template.filename:
            return str(template.filename), template.get_corresponding_lineno(frame.f_lineno)
        if frame.f_code in EVALUATORS:
            position: tuple[str, int] | None = frame.f_locals.get("position")
            if position is not None:
                return position
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


class _BudgetedCodeGenerator(CodeGenerator):
    """Compiles ``a ~ b`` through the size check: string doubling with ``~`` is otherwise a plain
    ``str.join`` the sandbox never sees."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.checked_value(")
        super().visit_Concat(node, frame)
        self.write(")")


@pass_environment
def _not_random(environment: SandboxedEnvironment, seq: Any) -> Any:
    """Jinja's ``random`` filter, made deterministic: the sequence's first item. Output must be the
    same on every run (``{% set days = range(60, 120) | random %}`` gave a different SQL text,
    and so a different fingerprint, each time), and which item a run would pick is unknowable."""
    try:
        return next(iter(seq))
    except StopIteration:
        return environment.undefined("No random item, sequence was empty.")


class Sandbox(SandboxedEnvironment):
    """The one Jinja environment class datatrail renders with: sandboxed, budgeted, forgiving."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})
    code_generator_class = _BudgetedCodeGenerator

    def __init__(self, extensions: tuple[Any, ...] = (), **options: Any) -> None:
        super().__init__(
            extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols", *extensions],
            undefined=PlaceholderUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            cache_size=0,
            **options,
        )
        self.filters.update(as_bool=_as_bool, as_number=_as_number, as_native=_as_native, as_text=str)
        self.filters["random"] = _not_random
        # Filters that pad to a width build strings as large as the width they are given.
        for name in ("center", "indent", "wordwrap", "format", "truncate", "filesizeformat"):
            if name in self.filters:
                self.filters[name] = _bounded_filter(self.filters[name])

    @staticmethod
    def checked_value(value: Any) -> Any:
        """``value`` when within the size budget (compiled into every ``~``)."""
        return _check_result(value)

    def unsafe_undefined(self, obj: Any, attribute: str) -> Undefined:
        raise SandboxViolation(f"access to attribute {attribute!r} of a {type(obj).__name__!r} object is unsafe")

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if not __self.is_safe_callable(__obj):
            raise SandboxViolation(f"a {type(__obj).__name__} is not safely callable")
        owner = getattr(__obj, "__self__", None)
        if getattr(__obj, "__name__", "") in _PADDING and isinstance(owner, str):
            _check_sizes((owner,), args, kwargs.values())  # ''.center(10**9), '{:>999999999}'.format(1) …
        result = _check_result(__context.call(__obj, *args, **kwargs))
        if isinstance(owner, list | dict | set) and len(owner) > MAX_SIZE:  # l.extend(l) doubling
            owner.clear()
            raise SandboxViolation(f"the template built a value of more than {MAX_SIZE:,} items")
        return result

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
            raise SandboxViolation(f"exponent {right} is over the budget of {MAX_EXPONENT}")
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(times, int) and _size(seq) * times > MAX_SIZE:
                    raise SandboxViolation(f"sequence repetition over the budget of {MAX_SIZE:,} items")
        if operator == "%" and isinstance(left, str):
            _check_sizes(right if isinstance(right, tuple) else (right,), ())
        return _check_result(super().call_binop(context, operator, left, right))

    def compile_template(self, source: str | nodes.Template, path: str) -> Template:
        """Compile ``source`` (text or an already parsed AST) as the template of file ``path``."""
        code = self.compile(source, name=path, filename=path)
        return self.template_class.from_code(self, code, self.make_globals(None), None)


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
