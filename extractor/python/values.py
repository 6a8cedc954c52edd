"""Abstract values of the Python interpreter: strings with holes, constants, containers, names.

Nothing here runs user code. A value is what the analyser can know statically about an
expression: ``Str`` is a string whose unresolved parts are named holes (``data/{run_date}/x``),
``Unknown`` is an expression that could not be resolved at all, ``QName`` is something imported
from outside the repository (``pandas.read_csv``). Framework values (DataFrames, sessions,
estimators …) live in their own modules and share the ``Value`` base class.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from ..model import Location

#: Most alternatives a value keeps before it becomes unknown (``if`` branches, loops).
MAX_ALTERNATIVES = 8


class Value:
    """Base class of every abstract value."""

    __slots__ = ()


@dataclass(frozen=True)
class Hole:
    """A part of a string that is not known statically; rendered as ``{name}``."""

    name: str


Part = str | Hole


def _merge_parts(parts: Iterable[Part]) -> tuple[Part, ...]:
    merged: list[Part] = []
    for part in parts:
        if isinstance(part, str):
            if not part:
                continue
            if merged and isinstance(merged[-1], str):
                merged[-1] = merged[-1] + part
                continue
        merged.append(part)
    return tuple(merged)


@dataclass(frozen=True)
class Str(Value):
    """A string, possibly with holes. ``anchored`` strings were built from ``__file__``."""

    parts: tuple[Part, ...]
    anchored: bool = False
    loc: Location | None = field(default=None, compare=False)

    @staticmethod
    def of(text: str, loc: Location | None = None, anchored: bool = False) -> Str:
        return Str((text,) if text else (), anchored, loc)

    @staticmethod
    def hole(name: str, loc: Location | None = None) -> Str:
        return Str((Hole(name),), False, loc)

    @property
    def exact(self) -> str | None:
        """The text when there is no hole, else None."""
        if not self.parts:
            return ""
        if len(self.parts) == 1 and isinstance(self.parts[0], str):
            return self.parts[0]
        return None

    @property
    def text(self) -> str:
        """The text with holes written as ``{name}``."""
        return "".join(p if isinstance(p, str) else "{" + p.name + "}" for p in self.parts)

    @property
    def literal_text(self) -> str:
        return "".join(p for p in self.parts if isinstance(p, str))

    def concat(self, other: Str) -> Str:
        return Str(_merge_parts(self.parts + other.parts), self.anchored or other.anchored, self.loc or other.loc)

    def map_text(self, func: object) -> Str:
        """Apply a str -> str function to the literal parts (``lower``, ``strip`` …)."""
        assert callable(func)
        return Str(tuple(func(p) if isinstance(p, str) else p for p in self.parts), self.anchored, self.loc)


@dataclass(frozen=True)
class Const(Value):
    """A non-string constant: number, bool, None, bytes."""

    value: object


NONE = Const(None)


@dataclass(frozen=True)
class Unknown(Value):
    """An expression that could not be resolved; ``name`` is its code, used as a hole name."""

    name: str
    reason: str = ""


@dataclass(frozen=True)
class QName(Value):
    """Something imported from outside the repository, by qualified name (``pandas.read_csv``)."""

    name: str

    def attr(self, name: str) -> QName:
        return QName(f"{self.name}.{name}")


@dataclass(frozen=True)
class Alt(Value):
    """One of several values (different ``if`` branches or loop iterations)."""

    options: tuple[Value, ...]


class ListVal(Value):
    """A list, tuple or set literal; mutable like the list it stands for."""

    __slots__ = ("items", "kind")

    def __init__(self, items: Iterable[Value] = (), kind: str = "list") -> None:
        self.items: list[Value] = list(items)
        self.kind = kind

    def __repr__(self) -> str:
        return f"ListVal({self.items!r})"


class DictVal(Value):
    """A dict whose keys are constants; ``partial`` when some keys were not known."""

    __slots__ = ("items", "partial")

    def __init__(self, items: dict[object, Value] | None = None, partial: bool = False) -> None:
        self.items: dict[object, Value] = dict(items or {})
        self.partial = partial

    def __repr__(self) -> str:
        return f"DictVal({self.items!r})"


def const_key(value: Value) -> object | None:
    """The Python key a value stands for in a dict, or None."""
    if isinstance(value, Str):
        return value.exact
    if isinstance(value, Const) and isinstance(value.value, str | int | float | bool):
        return value.value
    return None


def options(value: Value) -> Iterator[Value]:
    """The alternatives of a value (itself when it is not an ``Alt``)."""
    if isinstance(value, Alt):
        yield from value.options
    else:
        yield value


def alternatives(values: Iterable[Value]) -> Value:
    """One value standing for all of ``values``: equal ones collapse, too many become unknown."""
    unique: list[Value] = []
    for v in values:
        for o in options(v):
            if not any(o is u or o == u for u in unique):
                unique.append(o)
    if len(unique) == 1:
        return unique[0]
    if len(unique) > MAX_ALTERNATIVES:
        return Unknown("…", "too many alternatives")
    return Alt(tuple(unique))


def as_str(value: Value) -> Str | None:
    """A string view of a value: strings, numbers (in paths) and unknowns (as holes)."""
    if isinstance(value, Str):
        return value
    if isinstance(value, Const) and isinstance(value.value, int | float) and not isinstance(value.value, bool):
        return Str.of(str(value.value))
    if isinstance(value, Unknown):
        return Str.hole(value.name)
    return None


def join_path(parts: Iterable[Value]) -> Value:
    """``os.path.join`` / ``pathlib`` ``/`` over abstract values."""
    result: Str | None = None
    for value in parts:
        s = as_str(value)
        if s is None:
            return Unknown("path", "a path part is not a string")
        if result is None:
            result = s
            continue
        exact = s.exact
        if exact is not None and exact.startswith("/"):
            result = s
        elif result.parts and not (isinstance(result.parts[-1], str) and result.parts[-1].endswith("/")):
            result = result.concat(Str.of("/")).concat(s)
        else:
            result = result.concat(s)
    return result if result is not None else Str.of("")


def path_parent(value: Str) -> Str:
    exact = value.exact
    if exact is not None:
        return Str.of(posixpath.dirname(exact.rstrip("/")), value.loc, value.anchored)
    text = value.parts
    if text and isinstance(text[-1], str) and "/" in text[-1]:
        head = text[-1].rstrip("/").rsplit("/", 1)[0]
        return Str(_merge_parts((*text[:-1], head)), value.anchored, value.loc)
    return Str(_merge_parts(text[:-1]) if len(text) > 1 else (), value.anchored, value.loc)


def path_name(value: Str) -> Str:
    last = value.parts[-1] if value.parts else ""
    if isinstance(last, str):
        return Str.of(last.rstrip("/").rsplit("/", 1)[-1], value.loc)
    return Str((last,), False, value.loc)


def normalized_path(value: Str) -> str:
    """The dataset name of a path: as written, or normalized when built from ``__file__``."""
    text = value.text
    if value.anchored:
        text = posixpath.normpath(text) if text else "."
    return text


def format_string(template: Str, args: list[Value], kwargs: dict[str, Value]) -> Value:
    """``str.format`` over a template whose text is known."""
    import string

    exact = template.exact
    if exact is None:
        return Unknown("format", "format string is not constant")
    parts: list[Part] = []
    auto = 0
    try:
        parsed = list(string.Formatter().parse(exact))
    except ValueError:
        return Unknown("format", "invalid format string")
    for literal, field_name, _spec, _conv in parsed:
        parts.append(literal)
        if field_name is None:
            continue
        key = field_name.split(".", 1)[0].split("[", 1)[0]
        value: Value | None
        if key == "":
            value = args[auto] if auto < len(args) else None
            auto += 1
        elif key.isdigit():
            value = args[int(key)] if int(key) < len(args) else None
        else:
            value = kwargs.get(key)
        s = as_str(value) if value is not None and key == field_name else None
        parts.extend(s.parts if s is not None else (Hole(field_name or str(auto - 1)),))
    return Str(_merge_parts(parts), template.anchored, template.loc)


def percent_format(template: Str, arg: Value) -> Value:
    """``"…%s…" % value`` with ``%s``/``%d``/``%(name)s`` fields."""
    exact = template.exact
    if exact is None:
        return Unknown("format", "format string is not constant")
    if isinstance(arg, ListVal):
        positional: list[Value] = list(arg.items)
    elif isinstance(arg, DictVal):
        positional = []
    else:
        positional = [arg]
    parts: list[Part] = []
    i = 0
    n = 0
    buf = []
    while i < len(exact):
        ch = exact[i]
        if ch != "%" or i + 1 >= len(exact):
            buf.append(ch)
            i += 1
            continue
        nxt = exact[i + 1]
        if nxt == "%":
            buf.append("%")
            i += 2
            continue
        j = i + 1
        name = None
        if nxt == "(":
            close = exact.find(")", j)
            if close < 0:
                return Unknown("format", "invalid % format")
            name = exact[j + 1 : close]
            j = close + 1
        while j < len(exact) and exact[j] in "#0- +.0123456789":
            j += 1
        if j >= len(exact):
            return Unknown("format", "invalid % format")
        parts.append("".join(buf))
        buf = []
        if name is not None:
            value = arg.items.get(name) if isinstance(arg, DictVal) else None
        else:
            value = positional[n] if n < len(positional) else None
            n += 1
        s = as_str(value) if value is not None else None
        parts.extend(s.parts if s is not None else (Hole(name or str(n - 1)),))
        i = j + 1
    parts.append("".join(buf))
    return Str(_merge_parts(parts), template.anchored, template.loc)
