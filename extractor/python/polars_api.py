"""polars: ``read_*`` / ``scan_*``, ``write_*`` / ``sink_*`` and expression-based transformations.

A polars expression (``pl.col("a") * 2``) is a column template resolved against the frame it is
applied to; its output name is its alias or, as in polars, the name of its leftmost column.
``pl.col(["a", "b"])`` and ``pl.all()`` are templates applied to each column in turn.
"""

from __future__ import annotations

from dataclasses import replace

from ..model import DatasetKind, Subtype
from .dataframes import (
    AGGREGATES,
    GroupBy,
    aggregate,
    call_text,
    combine,
    drop,
    expand,
    filtered,
    join,
    names_of,
    rename,
    select_exprs,
    sorted_by,
    str_map,
    text_of,
    to_col,
)
from .frames import EMPTY, OPAQUE_COLUMN, Col, ColExpr, Frame
from .interpreter import REGISTRY, Args, Interpreter, Site
from .objects import FileHandle
from .sql_strings import run_sql
from .values import NONE, Const, ListVal, Str, Unknown, Value

_READ_KEYWORDS = ("source", "file", "path", "uri")


def pl_col(name: str) -> ColExpr:
    if name == "*":
        return ColExpr(EMPTY, frozenset({("*", Subtype.IDENTITY)}), "<col>", None, "polars", each=())
    return ColExpr(EMPTY, frozenset({(name, Subtype.IDENTITY)}), name, name, "polars")


def as_expr(value: Value) -> Value:
    if isinstance(value, Str) and value.exact is not None:
        return pl_col(value.exact)
    return value


@REGISTRY.prefix("polars.read_", "polars.scan_")
def _read(interp: Interpreter, site: Site) -> Value | None:
    short = site.name.rsplit(".", 1)[-1]
    args = site.args
    if short in ("read_database", "read_database_uri"):
        frame = run_sql(interp, site.ctx, args.node(0) or site.node, args.get(0, "query"), flavor="polars")
        return frame if frame is not None else Frame("polars")
    value = next((args.kw[k] for k in _READ_KEYWORDS if k in args.kw), args.get(0))
    node = next((args.kw_nodes[k] for k in _READ_KEYWORDS if k in args.kw_nodes), args.node(0))
    if isinstance(value, FileHandle):
        value = value.path
    names = interp.sink.path_names(interp, site.ctx, node or site.node, value)
    columns = names_of(args.kw.get("columns"))
    if columns is None:
        schema = args.kw.get("schema") or args.kw.get("new_columns")
        columns = names_of(schema)
    return interp.sink.read(interp, site.ctx, site.node, names, DatasetKind.FILE, "polars", columns)


@REGISTRY.prefix("polars.")
def _functions(interp: Interpreter, site: Site) -> Value | None:
    short = site.name.rsplit(".", 1)[-1]
    args = site.args
    loc = interp.loc(site.ctx, site.node)
    if short == "col":
        names = []
        for value in args.pos:
            if isinstance(value, Str) and value.exact is not None:
                names.append(value.exact)
            elif isinstance(value, ListVal):
                names.extend(names_of(value) or [])
        if len(names) == 1:
            return pl_col(names[0])
        return ColExpr(EMPTY, frozenset({("*", Subtype.IDENTITY)}), "<col>", None, "polars", each=tuple(names))
    if short == "all":
        return pl_col("*")
    if short == "lit":
        value = args.get(0) or NONE
        literal = isinstance(value, Const | Str)  # a string with holes is still no column
        return ColExpr(EMPTY, frozenset(), text_of(value), "literal", "polars", loc=loc, constant=literal)
    if short in ("count", "len") and not args.pos:
        return ColExpr(EMPTY, frozenset(), "count()", short, "polars", loc=loc, aggregated=True)
    if short == "when":
        cond = args.get(0)
        refs = frozenset((n, Subtype.CONDITIONAL) for n, _ in cond.refs) if isinstance(cond, ColExpr) else frozenset()
        return ColExpr(EMPTY, refs, f"WHEN {text_of(cond or NONE)}", None, "polars", loc=loc)
    if short in ("sql_expr",):
        from .pyspark_api import sql_fragment

        text = args.get(0)
        if isinstance(text, Str) and text.exact:
            return replace(sql_fragment(text.exact, "polars"), loc=loc)
    if short in ("DataFrame", "LazyFrame", "concat") or short.startswith(("read_", "scan_")):
        return None
    values = [as_expr(v) for v in [*args.pos, *args.kw.values()]]
    if isinstance(args.get(0), ListVal):
        first = args.get(0)
        assert isinstance(first, ListVal)
        values = [as_expr(v) for v in first.items] + values[1:]
    if not any(isinstance(v, ColExpr) for v in values):
        return None
    subtype = Subtype.AGGREGATION if short in AGGREGATES else Subtype.TRANSFORMATION
    return combine(values, call_text(short, Args(values)), loc, subtype)


@REGISTRY.method(ColExpr)
def expr_method(interp: Interpreter, expr: Value, site: Site) -> Value | None:
    assert isinstance(expr, ColExpr)
    if expr.flavor != "polars":
        return None
    name = site.name
    args = site.args
    loc = interp.loc(site.ctx, site.node)
    if name == "alias":
        label = args.get(0, "name")
        return replace(expr, name=label.exact if isinstance(label, Str) else expr.name)
    if name in ("suffix", "prefix"):
        return expr
    if name == "then":
        then = as_expr(args.get(0) or NONE)
        result = combine([expr, then], f"{expr.text} THEN {text_of(then)}", loc)
        if isinstance(result, ColExpr):
            return replace(result, name=then.name if isinstance(then, ColExpr) else "literal")
        return result
    if name == "otherwise":
        value = as_expr(args.get(0) or NONE)
        result = combine([expr, value], f"{expr.text} OTHERWISE {text_of(value)}", loc)
        return replace(result, name=expr.name) if isinstance(result, ColExpr) else result
    if name == "when":
        cond = args.get(0)
        refs = frozenset((n, Subtype.CONDITIONAL) for n, _ in cond.refs) if isinstance(cond, ColExpr) else frozenset()
        return replace(expr, refs=expr.refs | refs)
    if name == "over":
        window: set[tuple[str, Subtype]] = set()
        for v in args.pos:
            for item in v.items if isinstance(v, ListVal) else [v]:
                item = as_expr(item)
                if isinstance(item, ColExpr):
                    window |= {(n, Subtype.WINDOW) for n, _ in item.refs}
        return replace(expr, refs=expr.refs | frozenset(window), text=f"{expr.text}.over(…)")
    subtype = Subtype.AGGREGATION if name in AGGREGATES else Subtype.TRANSFORMATION
    others = [as_expr(v) for v in args.values() if isinstance(v, ColExpr)]
    return combine([expr, *others], call_text(name, args, expr), loc, subtype, name=expr.name)


def _outputs(frame: Frame, values: list[Value], named: dict[str, Value]) -> list[tuple[str, Value]]:
    outputs: list[tuple[str, Value]] = []
    for value in values:
        if isinstance(value, ListVal):
            outputs.extend(_outputs(frame, value.items, {}))
            continue
        value = as_expr(value)
        if isinstance(value, ColExpr):
            outputs.extend(expand(frame, value))
    for key, value in named.items():
        value = as_expr(value)
        if isinstance(value, ColExpr):
            outputs.append((key, replace(value, name=key)))
        else:
            outputs.append((key, ColExpr(EMPTY, frozenset(), text_of(value), key, "polars")))
    return outputs


_WRITES = {
    "write_csv": DatasetKind.FILE, "write_parquet": DatasetKind.FILE, "write_json": DatasetKind.FILE,
    "write_ndjson": DatasetKind.FILE, "write_ipc": DatasetKind.FILE, "write_avro": DatasetKind.FILE,
    "write_excel": DatasetKind.FILE, "write_delta": DatasetKind.FILE, "sink_parquet": DatasetKind.FILE,
    "sink_csv": DatasetKind.FILE, "sink_ipc": DatasetKind.FILE, "sink_ndjson": DatasetKind.FILE,
    "write_ipc_stream": DatasetKind.FILE, "write_iceberg": DatasetKind.FILE,
}  # fmt: skip


@REGISTRY.method(Frame)
def frame_method(interp: Interpreter, frame: Value, site: Site) -> Value | None:
    assert isinstance(frame, Frame)
    name = site.name
    args = site.args
    if frame.flavor != "polars" and not (name in _WRITES or name == "write_database"):
        return None
    text = interp.code(site.ctx, site.node)
    if name in _WRITES:
        target = args.get(0, "file") or args.get(0, "path") or args.get(0, "target") or args.get(0, "workbook")
        if target is None:
            return Unknown(f"{name}()", "written to a string")
        if isinstance(target, FileHandle):
            target = target.path
        node = args.node(0, "file") or args.node(0, "path") or args.node(0, "target") or site.node
        names = interp.sink.path_names(interp, site.ctx, node, target)
        interp.sink.write(interp, site.ctx, site.node, frame, names, _WRITES[name], f"polars.{name}")
        return NONE
    if name == "write_database":
        table = args.get(0, "table_name")
        names = interp.sink.table_names(interp, site.ctx, args.node(0, "table_name") or site.node, table)
        interp.sink.write(interp, site.ctx, site.node, frame, names, DatasetKind.TABLE, "polars.write_database")
        return NONE
    if name == "with_columns":
        result = frame.copy()
        for out, value in _outputs(frame, args.pos, args.kw):
            if isinstance(value, ColExpr):
                result.columns[out] = to_col(value, frame)
        return result
    if name == "select":
        return select_exprs(frame, _outputs(frame, args.pos, args.kw))
    if name == "rename":
        mapping = str_map(args.get(0, "mapping"))
        return rename(frame, mapping) if mapping else frame.copy()
    if name == "drop":
        names = []
        for v in args.pos:
            names.extend(names_of(v) or [])
        return drop(frame, names)
    if name == "filter":
        result = frame
        for cond in args.pos:
            result = filtered(result, as_expr(cond), text)
        return result if result is not frame else frame.copy()
    if name in ("join", "join_asof"):
        other = args.get(0, "other")
        if not isinstance(other, Frame):
            return frame.copy()
        on = names_of(args.kw.get("on") or args.get(1, "on"))
        left_on = names_of(args.kw.get("left_on")) or on or []
        right_on = names_of(args.kw.get("right_on")) or on or []
        suffix = args.kw.get("suffix")
        sfx = suffix.exact if isinstance(suffix, Str) and suffix.exact else "_right"
        return join(frame, other, left_on, right_on, text, ("", sfx))
    if name in ("group_by", "groupby", "group_by_dynamic", "rolling"):
        keys: list[tuple[str, frozenset]] = []
        for v in args.pos:
            for item in v.items if isinstance(v, ListVal) else [v]:
                expr = as_expr(item)
                if isinstance(expr, ColExpr):
                    keys.append((expr.name or expr.text, expr.resolve(frame)))
        return GroupBy(frame, keys)
    if name in ("sort", "top_k", "bottom_k"):
        return sorted_by(frame, [as_expr(v) for v in args.pos], text)
    if name in ("to_pandas",):
        return frame.copy("pandas")
    if name in ("to_numpy", "to_dicts", "rows", "to_dict", "to_arrow", "to_torch"):
        return frame.copy("data")
    if name in ("collect", "lazy", "head", "tail", "limit", "slice", "sample", "unique", "clone", "cache",
                "fill_null", "fill_nan", "drop_nulls", "with_row_index", "with_row_count", "explode",
                "collect_async", "sort_by", "shrink_to_fit", "rechunk", "fetch", "interpolate"):  # fmt: skip
        return frame.copy()
    if name in ("melt", "unpivot", "pivot"):
        result = frame.copy()
        result.columns = {OPAQUE_COLUMN: Col(frame.all_origins(), text, interp.loc(site.ctx, site.node))}
        result.open = frozenset()
        return result
    if name == "pipe":
        func = args.get(0, "function")
        if func is not None:
            return interp.call_value(func, Args([frame, *args.pos[1:]], dict(args.kw)), site.ctx, site.node)
    return None


@REGISTRY.method(GroupBy)
def group_method(interp: Interpreter, group: Value, site: Site) -> Value | None:
    assert isinstance(group, GroupBy)
    if group.frame.flavor != "polars":
        return None
    if site.name == "agg":
        outputs: list[tuple[str, ColExpr]] = []
        for out, value in _outputs(group.frame, site.args.pos, site.args.kw):
            if isinstance(value, ColExpr):
                outputs.append((out, value))
        return aggregate(group, outputs, "GROUP BY " + ", ".join(k for k, _ in group.keys))
    if site.name in AGGREGATES or site.name in ("len", "count"):
        from .dataframes import agg_all

        return agg_all(group, site.name, interp.loc(site.ctx, site.node))
    return None


__all__ = ["frame_method", "group_method", "pl_col"]
