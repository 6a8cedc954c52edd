"""The objects dbt puts in a template's context besides ``ref``/``source``/``config``: ``adapter``,
``api``, ``exceptions``, ``modules``, query results. Static stand-ins, safe to hand to the sandbox.

Python modules are never exposed as such (``modules.re.enum.sys`` would reach ``os``): each is a
:class:`SafeModule` listing the few names dbt documents.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any

from ..sandbox import MAX_SIZE
from .jinja import PlaceholderUndefined, report
from .relations import Relation, render_identifier

FIXED_NOW = datetime(2024, 1, 1, tzinfo=timezone.utc)


class CompilerError(Exception):
    """``exceptions.raise_compiler_error``: the template gave up, as dbt compile would."""


class SafeModule:
    """A read-only namespace of selected names of a Python module."""

    def __init__(self, name: str, members: dict[str, Any]) -> None:
        self._name = name
        self._members = members

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in self._members:
            raise AttributeError(name)
        return self._members[name]

    def __repr__(self) -> str:
        return f"<module {self._name}>"


class FrozenDatetime(datetime):
    """``datetime`` whose ``now()`` is fixed, so rendering is deterministic."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> FrozenDatetime:
        value = FIXED_NOW if tz is not None else FIXED_NOW.replace(tzinfo=None)
        return cls.fromtimestamp(value.timestamp(), tz) if tz is not None else cls(*value.timetuple()[:6])

    @classmethod
    def utcnow(cls) -> FrozenDatetime:
        return cls(*FIXED_NOW.timetuple()[:6])

    @classmethod
    def today(cls) -> FrozenDatetime:
        return cls.utcnow()


class FrozenDate(date):
    @classmethod
    def today(cls) -> FrozenDate:
        return cls(FIXED_NOW.year, FIXED_NOW.month, FIXED_NOW.day)


class PytzZone(tzinfo):
    """A pytz time zone as templates use one: a tzinfo with ``localize``, ``normalize`` and
    ``zone`` (dbt_date's ``tzinfo.localize(parsed)``), backed by zoneinfo."""

    def __init__(self, zone: tzinfo, name: str) -> None:
        self._zone = zone
        self.zone = name

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return self._zone.utcoffset(dt)

    def dst(self, dt: datetime | None) -> timedelta | None:
        return self._zone.dst(dt)

    def tzname(self, dt: datetime | None) -> str | None:
        return self._zone.tzname(dt)

    def fromutc(self, dt: datetime) -> datetime:
        return self._zone.fromutc(dt.replace(tzinfo=self._zone)).replace(tzinfo=self)

    def localize(self, dt: datetime, is_dst: bool | None = False) -> datetime:
        return dt.replace(tzinfo=self)

    def normalize(self, dt: datetime) -> datetime:
        return dt

    def __repr__(self) -> str:
        return f"<PytzZone {self.zone}>"


_UTC = PytzZone(timezone.utc, "UTC")


def _pytz_timezone(name: str) -> tzinfo:
    if str(name).upper() in ("UTC", "GMT", "ETC/UTC"):
        return _UTC
    try:
        from zoneinfo import ZoneInfo

        return PytzZone(ZoneInfo(str(name)), str(name))
    except Exception:
        return _UTC


def _bounded_iterator(func: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    """An itertools function whose iterator stops after ``MAX_SIZE`` items: ``count()``, ``cycle``
    or a huge ``product`` consumed by a C loop (``| list``) is beyond the sandbox's step budget."""

    def bounded(*args: Any, **kwargs: Any) -> Iterator[Any]:
        return itertools.islice(func(*args, **kwargs), MAX_SIZE)

    bounded.__name__ = func.__name__
    return bounded


def dbt_modules() -> SafeModule:
    """``modules``: datetime, re, itertools and a pytz look-alike."""
    re_names = ("compile", "match", "search", "sub", "subn", "findall", "finditer", "split", "fullmatch", "escape",
                "IGNORECASE", "I", "MULTILINE", "M", "DOTALL", "S", "VERBOSE", "X", "ASCII", "A")  # fmt: skip
    itertools_names = ("chain", "combinations", "count", "cycle", "groupby", "islice", "permutations", "product",
                       "repeat", "starmap", "tee", "zip_longest", "accumulate", "compress", "dropwhile",
                       "takewhile", "filterfalse")  # fmt: skip
    return SafeModule("modules", {
        "datetime": SafeModule("datetime", {"datetime": FrozenDatetime, "date": FrozenDate, "timedelta": timedelta,
                                            "timezone": timezone, "time": time, "MINYEAR": 1, "MAXYEAR": 9999}),
        "re": SafeModule("re", {n: getattr(re, n) for n in re_names}),
        "itertools": SafeModule("itertools", {n: _bounded_iterator(getattr(itertools, n)) for n in itertools_names}),
        "pytz": SafeModule("pytz", {"timezone": _pytz_timezone, "utc": _UTC, "UTC": _UTC}),
    })  # fmt: skip


# -- query results -----------------------------------------------------------------------------


class EmptyColumn:
    """A column of an empty result: no values."""

    name = ""

    def values(self) -> list[Any]:
        return []

    def values_distinct(self) -> list[Any]:
        return []

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __getitem__(self, key: Any) -> Any:
        raise IndexError(key)


class EmptyColumns:
    def __getitem__(self, key: Any) -> EmptyColumn:
        return EmptyColumn()

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def keys(self) -> list[str]:
        return []

    def values(self) -> list[Any]:
        return []


class EmptyTable:
    """What ``run_query`` returns without a warehouse: an agate-like table with no rows."""

    columns = EmptyColumns()
    rows: tuple[Any, ...] = ()
    column_names: tuple[str, ...] = ()
    column_types: tuple[Any, ...] = ()

    def print_table(self, *args: Any, **kwargs: Any) -> str:
        return ""

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __getitem__(self, key: Any) -> Any:
        raise IndexError(key)

    def select(self, *args: Any, **kwargs: Any) -> EmptyTable:
        return self

    where = order_by = limit = distinct = exclude = select


def empty_result() -> dict[str, Any]:
    return {"data": [], "table": EmptyTable(), "response": {"rows_affected": 0, "code": "", "_message": ""}}


# -- columns and relations -------------------------------------------------------------------------


class Column:
    """dbt's ``api.Column``: a name and a type."""

    def __init__(self, column: str, dtype: str = "text", char_size: int | None = None,
                 numeric_precision: int | None = None, numeric_scale: int | None = None, **_: Any) -> None:  # fmt: skip
        self.column = column
        self.dtype = dtype
        self.char_size = char_size
        self.numeric_precision = numeric_precision
        self.numeric_scale = numeric_scale

    @property
    def name(self) -> str:
        return self.column

    @property
    def data_type(self) -> str:
        return self.dtype

    @property
    def quoted(self) -> str:
        return f'"{self.column}"'

    def is_string(self) -> bool:
        return self.dtype.lower() in ("text", "string", "varchar", "character varying", "char")

    def is_number(self) -> bool:
        return self.is_integer() or self.is_float() or self.is_numeric()

    def is_integer(self) -> bool:
        return self.dtype.lower() in ("int", "integer", "bigint", "smallint", "int64")

    def is_float(self) -> bool:
        return self.dtype.lower() in ("float", "double", "real", "float64")

    def is_numeric(self) -> bool:
        return self.dtype.lower().startswith(("numeric", "decimal", "number"))

    @staticmethod
    def translate_type(dtype: Any) -> str:
        return str(dtype)

    @staticmethod
    def string_type(size: Any = None) -> str:
        return f"varchar({size})" if size else "varchar"

    @staticmethod
    def numeric_type(dtype: Any, precision: Any = None, scale: Any = None) -> str:
        return f"{dtype}({precision}, {scale})" if precision is not None and scale is not None else str(dtype)

    def string_size(self) -> int:
        return self.char_size or 256

    def literal(self, value: Any) -> str:
        return f"cast({value} as {self.dtype})"

    def __str__(self) -> str:
        return self.column

    def __repr__(self) -> str:
        return f"<Column {self.column} ({self.dtype})>"


class RelationFactory:
    """``api.Relation``: ``api.Relation.create(database=…, schema=…, identifier=…)``."""

    def __init__(self, dialect: str | None) -> None:
        self._dialect = dialect

    def create(self, database: str | None = None, schema: str | None = None, identifier: str | None = None,
               type: str | None = None, **_: Any) -> Relation:  # fmt: skip
        return Relation(database, schema, identifier, self._dialect, type)


class Api:
    def __init__(self, dialect: str | None) -> None:
        self.Relation = RelationFactory(dialect)
        self.Column = Column


class Exceptions:
    """``exceptions``: errors end the render (as in dbt), warnings are ignored."""

    def raise_compiler_error(self, message: Any = "", *args: Any, **kwargs: Any) -> None:
        raise CompilerError(str(message))

    def warn(self, *args: Any, **kwargs: Any) -> str:
        return ""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)

        def fail(*args: Any, **kwargs: Any) -> None:
            raise CompilerError(f"exceptions.{name}({', '.join(str(a) for a in args)})")

        return fail


class Adapter:
    """``adapter``: dispatch and the catalog-backed introspection templates use."""

    def __init__(
        self,
        adapter_type: str,
        dialect: str | None,
        dispatch: Callable[..., Any],
        columns_of: Callable[[Any], list[str] | None],
    ) -> None:
        self._type = adapter_type
        self._dialect = dialect
        self._dispatch = dispatch
        self._columns_of = columns_of

    def dispatch(self, macro_name: str, macro_namespace: str | None = None, packages: Any = None) -> Any:
        return self._dispatch(macro_name, macro_namespace, packages)

    def type(self) -> str:
        return self._type

    def quote(self, identifier: Any) -> str:
        return render_identifier(str(identifier), self._dialect, force=True)

    def quote_as_configured(self, identifier: Any, quote_key: Any = None) -> str:
        return str(identifier)

    def quote_seed_column(self, column: Any, quote_config: Any = None) -> str:
        return str(column)

    def get_relation(self, database: Any = None, schema: Any = None, identifier: Any = None) -> Relation:
        return Relation(_str(database), _str(schema), _str(identifier), self._dialect)

    def load_relation(self, relation: Any) -> Any:
        return relation

    def get_columns_in_relation(self, relation: Any) -> list[Column]:
        columns = self._columns_of(relation)
        if columns is None:
            report("DT204", f"columns of {relation} are unknown without a warehouse; none returned",
                   key=f"columns:{relation}")  # fmt: skip
            return []
        return [Column(c) for c in columns]

    def get_missing_columns(self, *args: Any, **kwargs: Any) -> list[Column]:
        return []

    def already_exists(self, *args: Any, **kwargs: Any) -> bool:
        return True

    def check_schema_exists(self, *args: Any, **kwargs: Any) -> bool:
        return True

    def list_relations_without_caching(self, *args: Any, **kwargs: Any) -> list[Relation]:
        return []

    def list_schemas(self, *args: Any, **kwargs: Any) -> list[str]:
        return []

    def standardize_grants_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in ("expand_target_column_types", "drop_relation", "rename_relation", "truncate_relation",
                    "create_schema", "drop_schema", "cache_added", "cache_dropped", "cache_renamed", "commit",
                    "begin", "rollback_if_open"):  # fmt: skip
            return lambda *a, **k: ""
        return PlaceholderUndefined(name=f"adapter.{name}")


def _str(value: Any) -> str | None:
    return None if value is None or isinstance(value, PlaceholderUndefined) else str(value)
