"""Python equivalents of the macros most dbt projects call, for when their package is not installed.

dbt's cross-database macros (``dbt.datediff``, ``dbt.type_string`` …, also reachable unqualified
and under their old ``dbt_utils.`` names) and the common ``dbt_utils`` ones (``star``,
``union_relations``, ``generate_surrogate_key``, ``pivot``, ``unpivot``, ``date_spine``,
``get_column_values`` …). They emit SQL that sqlglot parses back in the target dialect and that
keeps the column flows of the real macro; exact semantics (null handling, hashing) do not matter
for lineage. Column lists come from the schema catalog, as ``adapter.get_columns_in_relation``
would from the warehouse.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, Protocol

from sqlglot import exp

from .relations import Relation, render_identifier

MacroFunction = Callable[..., Any]

#: What ``get_column_values`` returns without a default: one value standing for all of them.
COLUMN_VALUES_PLACEHOLDER = "__column_values__"


class BuiltinHost(Protocol):
    """What builtins need from the renderer."""

    dialect: str | None
    adapter_type: str

    def columns_of(self, relation: Any) -> list[str] | None: ...

    def report(self, code: str, message: str, key: str = "") -> None: ...

    def unknown_relation(self, name: str, reason: str) -> str: ...

    def var(self, name: Any, default: Any = ...) -> Any: ...

    def source(self, *args: Any, **kwargs: Any) -> Any: ...

    def ref(self, *args: Any, **kwargs: Any) -> Any: ...


def bind(args: Sequence[Any], kwargs: dict[str, Any], names: Sequence[str], defaults: dict[str, Any]) -> dict[str, Any]:
    """Jinja call arguments by name (dbt's keyword names include ``from`` and ``except``)."""
    bound = dict(defaults)
    bound.update(zip(names, args, strict=False))
    bound.update({k: v for k, v in kwargs.items() if k != "caller"})
    return bound


def _text(value: Any) -> str:
    return str(value).strip() if value is not None else "null"


def _names(values: Any) -> list[str]:
    """Column names from a list of strings or Column objects (or one string)."""
    if values is None:
        return []
    if isinstance(values, str):
        return [values]
    names = []
    for v in values:
        name = getattr(v, "name", v)
        if isinstance(name, str):
            names.append(name)
    return names


@lru_cache(maxsize=4096)
def _generated(kind: str, unit: str, dialect: str | None, extra: str = "") -> str:
    """SQL of a date function over placeholder arguments, in ``dialect`` (cached per shape)."""
    a0, a1 = exp.column("__dt_arg0"), exp.column("__dt_arg1")
    unit_var = exp.var(unit.upper())
    node: exp.Expr
    if kind == "datediff":
        node = exp.DateDiff(this=a1, expression=a0, unit=unit_var)
    elif kind == "dateadd":
        node = exp.DateAdd(this=a1, expression=a0, unit=unit_var)
    elif kind == "date_trunc":
        node = exp.TimestampTrunc(this=a0, unit=unit_var)
    elif kind == "safe_cast":
        node = exp.TryCast(this=a0, to=exp.DataType.build(extra, dialect=dialect or None))
    else:  # pragma: no cover - programming error
        raise ValueError(kind)
    return node.sql(dialect=dialect or None)


_ATOM = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_$]*(?:\.[A-Za-z_][A-Za-z0-9_$]*)*|-?\d+(?:\.\d+)?|'[^']*'|\w+\(\))$")


def _fill(template: str, *args: Any) -> str:
    """Put SQL arguments in a generated template; compound expressions get parentheses."""
    for i, arg in enumerate(args):
        text = _text(arg)
        template = template.replace(f"__dt_arg{i}", text if _ATOM.match(text) else f"({text})")
    return template


def _unit(value: Any) -> str:
    text = _text(value).strip("'\" ")
    return text if re.fullmatch(r"[A-Za-z_]+", text) else "day"


def _length(value: Any) -> int:
    return len(value) if isinstance(value, list | tuple) else 0


def slugify(text: str) -> str:
    """dbt_utils' ``slugify``: lower case, spaces and dashes to ``_``, other characters dropped,
    a leading digit prefixed with ``_``."""
    out = []
    previous_sep = False
    for ch in text.lower():
        if ch in " -":
            if not previous_sep:
                out.append("_")
            previous_sep = True
            continue
        previous_sep = False
        if ch.isascii() and (ch.isalnum() or ch == "_"):
            out.append(ch)
    slug = "".join(out)
    return "_" + slug if slug[:1].isdigit() else slug


@lru_cache(maxsize=256)
def _type(name: str, dialect: str | None) -> str:
    try:
        return exp.DataType.build(name, dialect=dialect or None).sql(dialect=dialect or None).lower()
    except Exception:
        return name


class Builtins:
    """The builtin macros of each namespace, bound to one renderer."""

    def __init__(self, host: BuiltinHost) -> None:
        self.host = host
        cross_db = self._cross_database()
        self.namespaces: dict[str, dict[str, MacroFunction]] = {
            "dbt": {**cross_db, "date_spine": self.date_spine, "generate_series": self.generate_series},
            "dbt_utils": {**cross_db, **self._dbt_utils()},
            "dbt_date": self._dbt_date(),
            "fivetran_utils": self._fivetran_utils(),
        }
        from .automate_dv import AutomateDV  # a cycle otherwise: it builds on this module's helpers

        automate_dv = AutomateDV(self).macros()
        self.namespaces["automate_dv"] = self.namespaces["dbtvault"] = automate_dv

    def lookup(self, namespace: str, name: str) -> MacroFunction | None:
        return self.namespaces.get(namespace, {}).get(name)

    # -- helpers ------------------------------------------------------------------------------

    @property
    def dialect(self) -> str | None:
        return self.host.dialect

    def ident(self, name: str) -> str:
        return render_identifier(name, self.dialect)

    def string_type(self) -> str:
        return _type("varchar", self.dialect)

    def literal(self, value: Any) -> str:
        return "'" + str(value).replace("'", "''") + "'"

    # -- dbt's cross-database macros ----------------------------------------------------------

    def _cross_database(self) -> dict[str, MacroFunction]:
        def typed(name: str) -> MacroFunction:
            return lambda *a, **k: _type(name, self.dialect)

        def current_timestamp(*a: Any, **k: Any) -> str:
            return exp.CurrentTimestamp().sql(dialect=self.dialect or None)

        return {
            "type_string": typed("varchar"), "type_timestamp": typed("timestamp"), "type_float": typed("float"),
            "type_numeric": typed("numeric(28, 6)"), "type_bigint": typed("bigint"), "type_int": typed("int"),
            "type_boolean": typed("boolean"), "type_date": typed("date"),
            "current_timestamp": current_timestamp, "current_timestamp_backcompat": current_timestamp,
            "current_timestamp_in_utc_backcompat": current_timestamp, "current_timestamp_in_utc": current_timestamp,
            "date_trunc": self.date_trunc, "datediff": self.datediff, "dateadd": self.dateadd,
            "last_day": self.last_day, "concat": self.concat, "safe_cast": self.safe_cast, "cast": self.cast,
            "hash": self.hash, "cast_bool_to_text": self.cast_bool_to_text, "split_part": self.split_part,
            "replace": self.replace, "length": self.length, "position": self.position, "right": self.right,
            "escape_single_quotes": self.escape_single_quotes, "string_literal": self.string_literal,
            "any_value": self.any_value, "bool_or": self.bool_or, "listagg": self.listagg,
            "except": lambda *a, **k: "except distinct" if self.dialect == "bigquery" else "except",
            "intersect": lambda *a, **k: "intersect distinct" if self.dialect == "bigquery" else "intersect",
            "date": self.date, "array_construct": self.array_construct, "array_append": self.array_append,
            "array_concat": self.array_concat, "get_intervals_between": lambda *a, **k: 0,
        }  # fmt: skip

    def date_trunc(self, *args: Any, **kwargs: Any) -> str:
        a = bind(args, kwargs, ["datepart", "date"], {})
        return _fill(_generated("date_trunc", _unit(a.get("datepart")), self.dialect), a.get("date"))

    def datediff(self, *args: Any, **kwargs: Any) -> str:
        a = bind(args, kwargs, ["first_date", "second_date", "datepart"], {})
        template = _generated("datediff", _unit(a.get("datepart")), self.dialect)
        return _fill(template, a.get("first_date"), a.get("second_date"))

    def dateadd(self, *args: Any, **kwargs: Any) -> str:
        a = bind(args, kwargs, ["datepart", "interval", "from_date_or_timestamp"], {})
        template = _generated("dateadd", _unit(a.get("datepart")), self.dialect)
        return _fill(template, a.get("interval"), a.get("from_date_or_timestamp"))

    def last_day(self, *args: Any, **kwargs: Any) -> str:
        a = bind(args, kwargs, ["date", "datepart"], {"datepart": "month"})
        unit = _unit(a["datepart"])
        start = self.date_trunc(unit, a.get("date"))
        return self.dateadd("day", "-1", self.dateadd(unit, "1", start))

    def concat(self, *args: Any, **kwargs: Any) -> str:
        fields = bind(args, kwargs, ["fields"], {"fields": []})["fields"]
        items = [_text(f) for f in (fields if isinstance(fields, list | tuple) else [fields, *args[1:]])]
        return f"concat({', '.join(items)})" if items else "''"

    def safe_cast(self, *args: Any, **kwargs: Any) -> str:
        a = bind(args, kwargs, ["field", "type"], {"type": "varchar"})
        try:
            template = _generated("safe_cast", "day", self.dialect, _text(a["type"]))
        except Exception:  # a type sqlglot does not know: a plain cast keeps the lineage
            template = f"cast(__dt_arg0 as {_text(a['type'])})"
        return _fill(template, a.get("field"))

    def cast(self, *args: Any, **kwargs: Any) -> str:
        a = bind(args, kwargs, ["field", "type"], {"type": "varchar"})
        return f"cast({_text(a.get('field'))} as {_text(a['type'])})"

    def hash(self, *args: Any, **kwargs: Any) -> str:
        a = bind(args, kwargs, ["field"], {})
        return f"md5(cast({_text(a.get('field'))} as {self.string_type()}))"

    def cast_bool_to_text(self, *args: Any, **kwargs: Any) -> str:
        a = bind(args, kwargs, ["field"], {})
        return f"cast({_text(a.get('field'))} as {self.string_type()})"

    def split_part(self, *args: Any, **kwargs: Any) -> str:
        a = bind(args, kwargs, ["string_text", "delimiter_text", "part_number"], {})
        if self.dialect in ("bigquery",):
            return f"split({_text(a.get('string_text'))}, {_text(a.get('delimiter_text'))})[safe_offset({_text(a.get('part_number'))} - 1)]"  # noqa: E501
        return f"split_part({_text(a.get('string_text'))}, {_text(a.get('delimiter_text'))}, {_text(a.get('part_number'))})"  # noqa: E501

    def replace(self, *args: Any, **kwargs: Any) -> str:
        a = bind(args, kwargs, ["field", "old_chars", "new_chars"], {})
        return f"replace({_text(a.get('field'))}, {_text(a.get('old_chars'))}, {_text(a.get('new_chars'))})"

    def length(self, *args: Any, **kwargs: Any) -> str:
        return f"length({_text(bind(args, kwargs, ['expression'], {}).get('expression'))})"

    def position(self, *args: Any, **kwargs: Any) -> str:
        a = bind(args, kwargs, ["substring_text", "string_text"], {})
        return f"position({_text(a.get('substring_text'))} in {_text(a.get('string_text'))})"

    def right(self, *args: Any, **kwargs: Any) -> str:
        a = bind(args, kwargs, ["string_text", "length_expression"], {})
        return f"right({_text(a.get('string_text'))}, {_text(a.get('length_expression'))})"

    def escape_single_quotes(self, *args: Any, **kwargs: Any) -> str:
        return str(bind(args, kwargs, ["expression"], {"expression": ""})["expression"]).replace("'", "''")

    def string_literal(self, *args: Any, **kwargs: Any) -> str:
        return self.literal(bind(args, kwargs, ["value"], {"value": ""})["value"])

    def any_value(self, *args: Any, **kwargs: Any) -> str:
        expression = _text(bind(args, kwargs, ["expression"], {}).get("expression"))
        return f"min({expression})" if self.dialect in (None, "", "postgres") else f"any_value({expression})"

    def bool_or(self, *args: Any, **kwargs: Any) -> str:
        expression = _text(bind(args, kwargs, ["expression"], {}).get("expression"))
        return f"max(case when {expression} then 1 else 0 end) = 1"

    def string_agg(self, *args: Any, **kwargs: Any) -> str:
        """``fivetran_utils.string_agg`` as the package writes it: the field's text goes in as given,
        so ``string_agg('distinct login', "', '")`` keeps its ``distinct``."""
        a = bind(args, kwargs, ["field_to_agg", "delimiter"], {"delimiter": "','"})
        field, delimiter = _text(a.get("field_to_agg")), _text(a.get("delimiter"))
        adapter = self.host.adapter_type
        if adapter in ("snowflake", "redshift"):
            return f"listagg({field}, {delimiter})"
        if adapter in ("spark", "databricks"):
            return (
                f"replace(replace(replace(cast(collect_set({field}) as string), '[', ''), ']', ''), ', ', {delimiter})"
            )
        return f"string_agg({field}, {delimiter})"

    def listagg(self, *args: Any, **kwargs: Any) -> str:
        a = bind(args, kwargs, ["measure", "delimiter_text", "order_by_clause", "limit_num"], {"delimiter_text": "','"})
        node = exp.GroupConcat(this=exp.column("__dt_arg0"), separator=exp.column("__dt_arg1"))
        return _fill(node.sql(dialect=self.dialect or None), a.get("measure"), a.get("delimiter_text"))

    def date(self, *args: Any, **kwargs: Any) -> str:
        a = bind(args, kwargs, ["year", "month", "day"], {"year": 1970, "month": 1, "day": 1})
        try:
            return f"cast('{int(a['year']):04d}-{int(a['month']):02d}-{int(a['day']):02d}' as date)"
        except (TypeError, ValueError):
            return "cast(null as date)"

    def array_construct(self, *args: Any, **kwargs: Any) -> str:
        inputs = bind(args, kwargs, ["inputs", "data_type"], {"inputs": []})["inputs"]
        return f"array({', '.join(_text(i) for i in inputs or [])})"

    def array_append(self, *args: Any, **kwargs: Any) -> str:
        a = bind(args, kwargs, ["array", "new_element"], {})
        return f"array_append({_text(a.get('array'))}, {_text(a.get('new_element'))})"

    def array_concat(self, *args: Any, **kwargs: Any) -> str:
        a = bind(args, kwargs, ["array_1", "array_2"], {})
        return f"array_concat({_text(a.get('array_1'))}, {_text(a.get('array_2'))})"

    # -- dbt_utils ----------------------------------------------------------------------------

    def _dbt_utils(self) -> dict[str, MacroFunction]:
        def empty(*a: Any, **k: Any) -> str:
            return ""

        return {
            "star": self.star, "union_relations": self.union_relations,
            "generate_surrogate_key": self.surrogate_key, "surrogate_key": self.surrogate_key,
            "pivot": self.pivot, "unpivot": self.unpivot, "date_spine": self.date_spine,
            "get_column_values": self.get_column_values, "get_relations_by_pattern": self.no_relations,
            "get_relations_by_prefix": self.no_relations, "get_filtered_columns_in_relation": self.filtered_columns,
            "get_query_results_as_dict": self.query_results_as_dict, "get_single_value": self.get_single_value,
            "group_by": self.group_by, "safe_add": self.safe_add, "safe_subtract": self.safe_subtract,
            "safe_divide": self.safe_divide, "deduplicate": self.deduplicate, "generate_series": self.generate_series,
            "haversine_distance": self.haversine_distance, "width_bucket": self.width_bucket,
            "nullcheck": self.nullcheck, "nullcheck_table": self.nullcheck_table,
            "get_url_parameter": self.get_url_parameter, "get_url_host": self.get_url_host,
            "get_url_path": self.get_url_path, "pretty_time": lambda *a, **k: "00:00:00",
            "pretty_log_format": lambda *a, **k: str(a[0]) if a else "", "log_info": empty, "slugify": self.slugify,
        }  # fmt: skip

    def star(self, *args: Any, **kwargs: Any) -> str:
        a = bind(args, kwargs, ["from", "except", "relation_alias", "prefix", "suffix", "quote_identifiers"],
                 {"except": [], "relation_alias": False, "prefix": "", "suffix": ""})  # fmt: skip
        alias = a["relation_alias"]
        columns = self.host.columns_of(a.get("from"))
        if not columns:
            return f"{alias}.*" if alias else "*"
        excluded = {c.lower() for c in _names(a["except"])}
        parts = []
        for column in columns:
            if column.lower() in excluded:
                continue
            ref = f"{alias}.{self.ident(column)}" if alias else self.ident(column)
            if a["prefix"] or a["suffix"]:
                ref += f" as {self.ident(str(a['prefix']) + column + str(a['suffix']))}"
            parts.append(ref)
        return ",\n  ".join(parts) if parts else "*"

    def union_relations(self, *args: Any, **kwargs: Any) -> str:
        names = ["relations", "column_override", "include", "exclude", "source_column_name", "where"]
        defaults: dict[str, Any] = {
            "include": [],
            "exclude": [],
            "source_column_name": "_dbt_source_relation",
            "where": None,
        }
        a = bind(args, kwargs, names, defaults)
        relations = [r for r in (a.get("relations") or []) if r is not None]
        source_column = self.ident(str(a["source_column_name"] or "_dbt_source_relation"))
        if not relations:  # found at run time (get_relations_by_pattern …): an explicit unknown input
            unknown = self.host.unknown_relation(
                "__relations_found_at_run_time__", "union_relations() over relations listed at run time"
            )
            wanted = _names(a["include"])
            return f"select {', '.join(self.ident(c) for c in wanted) or '*'} from {unknown}"
        include = {c.lower() for c in _names(a["include"])}
        exclude = {c.lower() for c in _names(a["exclude"])}
        per_relation = [self.host.columns_of(r) for r in relations]
        where = f" where {a['where']}" if a.get("where") else ""
        string = self.string_type()
        if any(cols is None for cols in per_relation):
            branches = [
                f"select cast({self.literal(r)} as {string}) as {source_column}, * from {r}{where}" for r in relations
            ]
            return "\n\nunion all\n\n".join(f"({b})" for b in branches)
        ordered: list[str] = []
        for cols in per_relation:
            for c in cols or []:
                low = c.lower()
                if low not in (o.lower() for o in ordered) and (not include or low in include) and low not in exclude:
                    ordered.append(c)
        branches = []
        for relation, cols in zip(relations, per_relation, strict=True):
            have = {c.lower() for c in cols or []}
            items = [f"cast({self.literal(relation)} as {string}) as {source_column}"]
            for c in ordered:
                items.append(self.ident(c) if c.lower() in have else f"cast(null as {string}) as {self.ident(c)}")
            branches.append(f"select\n  {', '.join(items)}\nfrom {relation}{where}")
        return "\n\nunion all\n\n".join(f"({b})" for b in branches)

    def surrogate_key(self, *args: Any, **kwargs: Any) -> str:
        fields = args[0] if len(args) == 1 and isinstance(args[0], list | tuple) else list(args)
        fields = kwargs.get("field_list", fields)
        string = self.string_type()
        parts = []
        for i, field in enumerate(fields):
            if i:
                parts.append("'-'")
            parts.append(f"coalesce(cast({_text(field)} as {string}), '_dbt_utils_surrogate_key_null_')")
        return f"md5(cast(concat({', '.join(parts) or chr(39) * 2}) as {string}))"

    def pivot(self, *args: Any, **kwargs: Any) -> str:
        names = ["column", "values", "alias", "agg", "cmp", "prefix", "suffix", "then_value", "else_value",
                 "quote_identifiers", "distinct"]  # fmt: skip
        a = bind(args, kwargs, names, {"values": [], "alias": True, "agg": "sum", "cmp": "=", "prefix": "",
                                       "suffix": "", "then_value": 1, "else_value": 0, "distinct": False,
                                       "quote_identifiers": True})  # fmt: skip
        column, agg = _text(a.get("column")), _text(a["agg"])
        distinct = "distinct " if a["distinct"] else ""
        values = [v for v in (a["values"] or []) if v is not None]
        if not values:
            return (f"{agg}({distinct}case when {column} is not null then {a['then_value']} else {a['else_value']} end)"
                    f" as __pivot_values_unknown__")  # fmt: skip
        parts = []
        for value in values:
            text = f"{agg}({distinct}case when {column} {a['cmp']} {self.literal(value)} then {a['then_value']} else {a['else_value']} end)"  # noqa: E501
            if a["alias"]:
                label = str(a["prefix"]) + str(value) + str(a["suffix"])
                # As dbt_utils does: ``adapter.quote(label)``, or ``slugify(label)`` when not quoting.
                alias = render_identifier(label, self.dialect, force=True) if a["quote_identifiers"] else slugify(label)
                text += f" as {alias}"
            parts.append(text)
        return ",\n  ".join(parts)

    def unpivot(self, *args: Any, **kwargs: Any) -> str:
        names = ["relation", "cast_to", "exclude", "remove", "field_name", "value_name", "quote_identifiers"]
        a = bind(args, kwargs, names, {"cast_to": "varchar", "exclude": [], "remove": [], "field_name": "field_name",
                                       "value_name": "value"})  # fmt: skip
        relation = a.get("relation")
        exclude = _names(a["exclude"])
        skip = {c.lower() for c in exclude + _names(a["remove"])}
        field_name, value_name = self.ident(str(a["field_name"])), self.ident(str(a["value_name"]))
        kept = ", ".join(self.ident(c) for c in exclude)
        prefix = f"{kept}, " if kept else ""
        columns = self.host.columns_of(relation)
        string = self.string_type()
        if not columns:
            return f"select {prefix}cast(null as {string}) as {field_name}, cast(null as {a['cast_to']}) as {value_name} from {relation}"  # noqa: E501
        branches = [
            f"select {prefix}cast({self.literal(c)} as {string}) as {field_name}, "
            f"cast({self.ident(c)} as {a['cast_to']}) as {value_name} from {relation}"
            for c in columns
            if c.lower() not in skip
        ]
        return "\n\nunion all\n\n".join(branches) or f"select {prefix}null as {field_name} from {relation}"

    def date_spine(self, *args: Any, **kwargs: Any) -> str:
        a = bind(args, kwargs, ["datepart", "start_date", "end_date"], {})
        part = _unit(a.get("datepart"))
        day = self.dateadd(part, "spine.generated_number", a.get("start_date"))
        return (
            f"select {day} as {self.ident('date_' + part)}\n"
            f"from (select 0 as generated_number) as spine\nwhere {day} < {_text(a.get('end_date'))}"
        )

    def generate_series(self, *args: Any, **kwargs: Any) -> str:
        return "select 1 as generated_number"

    def get_column_values(self, *args: Any, **kwargs: Any) -> Any:
        """The default if given; else one placeholder value, so loops over the values (pivots) still
        render one branch and the SQL keeps its shape and its column flows."""
        names = ["table", "column", "order_by", "max_records", "default", "where"]
        a = bind(args, kwargs, names, {"default": None})
        default = a["default"]
        values = list(default) if isinstance(default, list | tuple) else [COLUMN_VALUES_PLACEHOLDER]
        self.host.report("DT204", f"get_column_values({a.get('column')}) has no values without a warehouse; "
                         f"rendered with {values!r}", key="get_column_values")  # fmt: skip
        return values

    def no_relations(self, *args: Any, **kwargs: Any) -> list[Relation]:
        self.host.report("DT204", "get_relations_by_pattern/prefix finds no relations without a warehouse",
                         key="get_relations")  # fmt: skip
        return []

    def filtered_columns(self, *args: Any, **kwargs: Any) -> list[str]:
        a = bind(args, kwargs, ["from", "except"], {"except": []})
        excluded = {c.lower() for c in _names(a["except"])}
        return [c for c in self.host.columns_of(a.get("from")) or [] if c.lower() not in excluded]

    def query_results_as_dict(self, *args: Any, **kwargs: Any) -> dict[str, list[Any]]:
        self.host.report("DT204", "get_query_results_as_dict has no results without a warehouse", key="results_dict")
        return {}

    def get_single_value(self, *args: Any, **kwargs: Any) -> Any:
        a = bind(args, kwargs, ["query", "default"], {"default": None})
        self.host.report("DT204", "get_single_value has no result without a warehouse", key="single_value")
        return a["default"] if a["default"] is not None else "null"

    def group_by(self, *args: Any, **kwargs: Any) -> str:
        n = bind(args, kwargs, ["n"], {"n": 1})["n"]
        try:
            count = int(n)
        except (TypeError, ValueError):
            count = 1
        return "group by " + ", ".join(str(i) for i in range(1, count + 1))

    def _fields(self, args: Sequence[Any], kwargs: dict[str, Any]) -> list[str]:
        fields = kwargs.get("field_list", args[0] if len(args) == 1 and isinstance(args[0], list | tuple) else args)
        return [_text(f) for f in fields]

    def safe_add(self, *args: Any, **kwargs: Any) -> str:
        return " +\n".join(f"coalesce({f}, 0)" for f in self._fields(args, kwargs)) or "0"

    def safe_subtract(self, *args: Any, **kwargs: Any) -> str:
        return " -\n".join(f"coalesce({f}, 0)" for f in self._fields(args, kwargs)) or "0"

    def safe_divide(self, *args: Any, **kwargs: Any) -> str:
        a = bind(args, kwargs, ["numerator", "denominator"], {})
        return f"({_text(a.get('numerator'))}) / nullif(({_text(a.get('denominator'))}), 0)"

    def deduplicate(self, *args: Any, **kwargs: Any) -> str:
        a = bind(args, kwargs, ["relation", "partition_by", "order_by"], {})
        window = f"row_number() over (partition by {_text(a.get('partition_by'))} order by {_text(a.get('order_by'))})"
        if not self.dialect:
            return f"select * from (select *, {window} as __dt_row_number from {a.get('relation')}) as deduped where __dt_row_number = 1"  # noqa: E501
        return f"select * from {a.get('relation')} qualify {window} = 1"

    def haversine_distance(self, *args: Any, **kwargs: Any) -> str:
        a = bind(args, kwargs, ["lat1", "lon1", "lat2", "lon2", "unit"], {})
        lat1, lon1, lat2, lon2 = (_text(a.get(k)) for k in ("lat1", "lon1", "lat2", "lon2"))
        return (f"2 * 3961 * asin(sqrt(power(sin(radians(({lat2} - {lat1}) / 2)), 2) + cos(radians({lat1}))"
                f" * cos(radians({lat2})) * power(sin(radians(({lon2} - {lon1}) / 2)), 2)))")  # fmt: skip

    def width_bucket(self, *args: Any, **kwargs: Any) -> str:
        a = bind(args, kwargs, ["expr", "min_value", "max_value", "num_buckets"], {})
        items = ", ".join(_text(a.get(k)) for k in ("expr", "min_value", "max_value", "num_buckets"))
        return f"width_bucket({items})"

    def nullcheck(self, *args: Any, **kwargs: Any) -> str:
        cols = _names(bind(args, kwargs, ["cols"], {"cols": []})["cols"])
        return ",\n".join(f"nullif({self.ident(c)}, '') as {self.ident(c)}" for c in cols)

    def nullcheck_table(self, *args: Any, **kwargs: Any) -> str:
        relation = bind(args, kwargs, ["relation"], {}).get("relation")
        columns = self.host.columns_of(relation)
        return f"select {self.nullcheck(columns) if columns else '*'} from {relation}"

    def get_url_parameter(self, *args: Any, **kwargs: Any) -> str:
        a = bind(args, kwargs, ["field", "url_parameter"], {})
        formatted = self.literal(f"{a.get('url_parameter')}=")
        return (
            f"nullif({self.split_part(self.split_part(a.get('field'), formatted, 2), chr(39) + '&' + chr(39), 1)}, '')"
        )

    def get_url_host(self, *args: Any, **kwargs: Any) -> str:
        field = _text(bind(args, kwargs, ["field"], {}).get("field"))
        stripped = f"replace(replace({field}, 'http://', ''), 'https://', '')"
        return f"cast({self.split_part(self.split_part(stripped, chr(39) + '/' + chr(39), 1), chr(39) + '?' + chr(39), 1)} as {self.string_type()})"  # noqa: E501

    def get_url_path(self, *args: Any, **kwargs: Any) -> str:
        field = _text(bind(args, kwargs, ["field"], {}).get("field"))
        return f"cast(split_part(replace(replace({field}, 'http://', ''), 'https://', ''), '?', 1) as {self.string_type()})"  # noqa: E501

    def slugify(self, *args: Any, **kwargs: Any) -> str:
        text = str(bind(args, kwargs, ["string"], {"string": ""})["string"]).lower()
        text = re.sub(r"[ -]+", "_", text)
        text = re.sub(r"[^a-z0-9_]+", "", text)
        return "_" + text if text[:1].isdigit() else text

    def base_dates(self, *args: Any, **kwargs: Any) -> str:
        a = bind(args, kwargs, ["start_date", "end_date", "n_dateparts", "datepart"], {"datepart": "day"})
        start = a.get("start_date") or self.dateadd(a["datepart"], f"-{a.get('n_dateparts') or 1}", "current_date")
        return self.date_spine(a["datepart"], start, a.get("end_date") or "current_date")

    # -- dbt_date -----------------------------------------------------------------------------

    def _dbt_date(self) -> dict[str, MacroFunction]:
        def now(*a: Any, **k: Any) -> str:
            return exp.CurrentTimestamp().sql(dialect=self.dialect or None)

        def passthrough(position: int, name: str) -> MacroFunction:
            return lambda *a, **k: _text(a[position] if len(a) > position else k.get(name))

        def date_part(*a: Any, **k: Any) -> str:
            b = bind(a, k, ["datepart", "date"], {})
            return f"extract({_unit(b.get('datepart'))} from {_text(b.get('date'))})"

        return {
            "now": now, "today": lambda *a, **k: "current_date", "convert_timezone": passthrough(0, "column"),
            "date_part": date_part, "day_of_week": lambda *a, **k: date_part("dayofweek", a[0] if a else k.get("date")),
            "day_of_month": lambda *a, **k: date_part("day", a[0] if a else k.get("date")),
            "day_of_year": lambda *a, **k: date_part("dayofyear", a[0] if a else k.get("date")),
            "n_days_ago": lambda *a, **k: self.dateadd("day", f"-{a[0] if a else k.get('n', 1)}", "current_date"),
            "n_days_away": lambda *a, **k: self.dateadd("day", str(a[0] if a else k.get("n", 1)), "current_date"),
            "to_unixtimestamp": lambda *a, **k: f"extract(epoch from {_text(a[0] if a else k.get('timestamp'))})",
            "from_unixtimestamp": passthrough(0, "epochs"),
            "date_spine": self.date_spine, "get_base_dates": self.base_dates,
        }  # fmt: skip

    # -- fivetran_utils (the single-connection behaviour of Fivetran's packages) ----------------

    def _fivetran_utils(self) -> dict[str, MacroFunction]:
        host = self.host

        def enabled_vars(*a: Any, **k: Any) -> bool:
            names = bind(a, k, ["vars"], {"vars": []})["vars"]
            return all(host.var(v, True) not in (False, "false", "False") for v in names)

        def enabled_vars_one_true(*a: Any, **k: Any) -> bool:
            names = bind(a, k, ["vars"], {"vars": []})["vars"]
            return any(host.var(v, False) not in (False, "false", "False", None) for v in names)

        def source_relation(*a: Any, **k: Any) -> str:
            return f", cast('' as {self.string_type()}) as source_relation"

        def nothing(*a: Any, **k: Any) -> str:
            return ""

        def first_value(*a: Any, **k: Any) -> str:
            b = bind(a, k, ["first_value_field", "partition_field", "order_by_field", "order"], {"order": "asc"})
            field, partition, order = (
                _text(b.get(n)) for n in ("first_value_field", "partition_field", "order_by_field")
            )
            return f"first_value({field}) over (partition by {partition} order by {order} {b['order']})"

        def timestamp_add(*a: Any, **k: Any) -> str:
            b = bind(a, k, ["datepart", "interval", "from_timestamp"], {})
            return self.dateadd(b.get("datepart"), b.get("interval"), b.get("from_timestamp"))

        def timestamp_diff(*a: Any, **k: Any) -> str:
            b = bind(a, k, ["first_date", "second_date", "datepart"], {})
            return self.datediff(b.get("first_date"), b.get("second_date"), b.get("datepart"))

        def partition_by_source_relation(*args: Any, **kwargs: Any) -> str:
            # fivetran_utils: ``[, | partition by ][alias.]source_relation`` only when the package
            # unions several connections (``<package>_union_schemas`` / ``_union_databases`` /
            # ``_sources`` vars); nothing for a single connection.
            b = bind(args, kwargs, ["package_name", "has_other_partitions", "alias", "package_prefix_union_variable"],
                     {"package_name": "", "has_other_partitions": "yes", "alias": None,
                      "package_prefix_union_variable": True})  # fmt: skip
            package = _text(b["package_name"])
            prefix = f"{package}_" if b["package_prefix_union_variable"] else ""
            names = [f"{prefix}union_schemas", f"{prefix}union_databases", f"{package}_sources"]
            unioning = any(_length(host.var(n, [])) > 1 for n in names)
            if not unioning:
                return ""
            column = f"{_text(b['alias'])}.source_relation" if b["alias"] is not None else "source_relation"
            return f"partition by {column}" if b["has_other_partitions"] == "no" else f", {column}"

        def percentile(*a: Any, **k: Any) -> str:
            # fivetran_utils.percentile: a windowed median (BigQuery's own form; Postgres has no
            # windowed percentile, so the package aggregates there).
            b = bind(a, k, ["percentile_field", "partition_field", "percent"], {"percent": 0.5})
            field, partition, percent = (_text(b.get(n)) for n in ("percentile_field", "partition_field", "percent"))
            if self.dialect == "bigquery":
                return f"percentile_cont({field}, {percent}) over (partition by {partition})"
            if self.dialect == "postgres":
                return f"percentile_cont({percent}) within group (order by {field})"
            return f"percentile_cont({percent}) within group (order by {field}) over (partition by {partition})"

        def one_field(template: str) -> MacroFunction:
            return lambda *a, **k: template.format(_text(a[0] if a else next(iter(k.values()), None)))

        return {
            "enabled_vars": enabled_vars, "enabled_vars_one_true": enabled_vars_one_true,
            "fill_staging_columns": self.fill_staging_columns, "union_connections": self.union_connections,
            "union_data": self.union_data, "source_relation": source_relation,
            "apply_source_relation": source_relation,
            "partition_by_source_relation": partition_by_source_relation,
            "fill_pass_through_columns": self.pass_through_columns, "calculated_fields": self.pass_through_columns,
            "persist_pass_through_columns": self.pass_through_columns, "add_pass_through_columns": nothing,
            "timestamp_add": timestamp_add, "timestamp_diff": timestamp_diff, "first_value": first_value,
            "percentile": percentile,
            "string_agg": self.string_agg, "array_agg": one_field("array_agg({})"),
            "max_bool": one_field("max(case when {} then 1 else 0 end) = 1"), "ceiling": one_field("ceil({})"),
            "try_cast": self.safe_cast, "json_extract": self.json_extract, "json_parse": self.json_extract,
            "pivot_json_extract": self.pivot_json_extract, "remove_prefix_from_columns": self.remove_prefix,
            "dummy_coalesce_value": lambda *a, **k: "'DUMMY_STRING'", "quote_column": lambda c, *a, **k: _column(c),
            "wrap_in_quotes": lambda *a, **k: '"' + str(a[0] if a else "") + '"',
            "seed_data_helper": lambda *a, **k: "", "collect_freshness": nothing,
        }  # fmt: skip

    def fill_staging_columns(self, *args: Any, **kwargs: Any) -> str:
        a = bind(args, kwargs, ["source_columns", "staging_columns"], {"source_columns": [], "staging_columns": []})
        present = {n.lower() for n in _names(a["source_columns"])}
        items = []
        for column in a["staging_columns"] or []:
            name = _column(column)
            if not name:
                continue
            alias = column.get("alias") if isinstance(column, dict) else None
            target = self.ident(str(alias or name))
            if present and name.lower() not in present:  # known columns, and not this one
                data_type = column.get("datatype") if isinstance(column, dict) else None
                items.append(f"cast(null as {_text(data_type) if data_type else self.string_type()}) as {target}")
            else:
                items.append(f"{self.ident(name)} as {target}")
        return ",\n    ".join(items) or "*"

    def union_connections(self, *args: Any, **kwargs: Any) -> str:
        names = ["connection_dictionary", "single_source_name", "single_table_name"]
        a = bind(args, kwargs, names, {})
        return f"select * from {self.host.source(a.get('single_source_name'), a.get('single_table_name'))}"

    def union_data(self, *args: Any, **kwargs: Any) -> str:
        names = ["table_identifier", "database_variable", "schema_variable", "default_database", "default_schema",
                 "default_variable"]  # fmt: skip
        a = bind(args, kwargs, names, {})
        return f"select * from {self.host.source(a.get('default_schema'), a.get('table_identifier'))}"

    def pass_through_columns(self, *args: Any, **kwargs: Any) -> str:
        variable = args[0] if args else next(iter(kwargs.values()), None)
        fields = self.host.var(str(variable), []) if variable else []
        items = []
        for field in fields if isinstance(fields, list) else []:
            if isinstance(field, dict) and field.get("name"):
                alias = field.get("alias") or field["name"]
                items.append(f", {field.get('transform_sql') or field['name']} as {alias}")
        return "\n".join(items)

    def json_extract(self, *args: Any, **kwargs: Any) -> str:
        a = bind(args, kwargs, ["string", "string_path"], {})
        path = a.get("string_path")
        path_text = ".".join(str(p) for p in path) if isinstance(path, list | tuple) else str(path)
        return f"json_extract_path_text({_text(a.get('string'))}, {self.literal(path_text)})"

    def pivot_json_extract(self, *args: Any, **kwargs: Any) -> str:
        a = bind(args, kwargs, ["string", "list_of_properties"], {"list_of_properties": []})
        items = []
        for prop in a["list_of_properties"] or []:
            name = prop.get("name") if isinstance(prop, dict) else prop
            alias = prop.get("alias", name) if isinstance(prop, dict) else name
            target = self.slugify(str(alias))
            items.append(f"{self.json_extract(a.get('string'), name)} as {self.ident(target)}")
        return ",\n".join(items)

    def remove_prefix(self, *args: Any, **kwargs: Any) -> str:
        a = bind(args, kwargs, ["columns", "prefix", "exclude"], {"prefix": "", "exclude": []})
        prefix, exclude = str(a["prefix"]), {c.lower() for c in _names(a["exclude"])}
        items = []
        for name in _names(a.get("columns")):
            if name.lower() in exclude:
                continue
            short = name[len(prefix) :] if prefix and name.lower().startswith(prefix.lower()) else name
            items.append(f"{self.ident(name)} as {self.ident(short)}")
        return ",\n".join(items)


def _column(column: Any) -> str:
    """The name of a column given as a dict (Fivetran's column lists), a Column or a string."""
    if isinstance(column, dict):
        return str(column.get("name") or "")
    return str(getattr(column, "name", column) or "")
