"""pandas: ``read_*`` and ``to_*``, and how DataFrame and Series methods move columns."""

from __future__ import annotations

from typing import cast

import libcst as cst

from ..model import DatasetKind, Subtype
from ..sql.query_lineage import Origin
from .dataframes import (
    AGGREGATES,
    GroupBy,
    agg_all,
    aggregate,
    call_text,
    combine,
    drop,
    frames_in,
    join,
    key_origins,
    names_of,
    opaque,
    rename,
    renamed,
    select,
    set_column,
    sorted_by,
    str_map,
    text_of,
    transformed,
)
from .frames import EMPTY, OPAQUE_COLUMN, Col, ColExpr, Frame, clip, step, union_frames
from .interpreter import REGISTRY, Args, Interpreter, Site
from .objects import FileHandle, FunctionVal, Obj
from .sql_strings import looks_like_sql, run_sql
from .values import NONE, Const, DictVal, ListVal, QName, Str, Unknown, Value

PANDAS_FLAVORS = ("pandas", "data", "rows")

_READERS = {
    "read_csv": ("filepath_or_buffer",), "read_table": ("filepath_or_buffer",), "read_fwf": ("filepath_or_buffer",),
    "read_parquet": ("path",), "read_json": ("path_or_buf",), "read_excel": ("io",), "read_feather": ("path",),
    "read_orc": ("path",), "read_pickle": ("filepath_or_buffer",), "read_hdf": ("path_or_buf",),
    "read_sas": ("filepath_or_buffer",), "read_stata": ("filepath_or_buffer",), "read_xml": ("path_or_buffer",),
    "read_spss": ("path",), "read_html": ("io",),
}  # fmt: skip

_WRITERS = {
    "to_csv": ("path_or_buf", DatasetKind.FILE), "to_parquet": ("path", DatasetKind.FILE),
    "to_json": ("path_or_buf", DatasetKind.FILE), "to_excel": ("excel_writer", DatasetKind.FILE),
    "to_feather": ("path", DatasetKind.FILE), "to_orc": ("path", DatasetKind.FILE),
    "to_pickle": ("path", DatasetKind.FILE), "to_hdf": ("path_or_buf", DatasetKind.FILE),
    "to_stata": ("path", DatasetKind.FILE), "to_xml": ("path_or_buffer", DatasetKind.FILE),
    "to_html": ("buf", DatasetKind.FILE), "to_markdown": ("buf", DatasetKind.FILE),
    "to_string": ("buf", DatasetKind.FILE), "to_latex": ("buf", DatasetKind.FILE),
}  # fmt: skip

#: Methods that return the frame with its columns and rows unchanged for lineage purposes.
_SAME = frozenset(
    " ".join(
        [
            "copy head tail sample reset_index set_index sort_index reindex infer_objects convert_dtypes",
            "drop_duplicates dropna to_frame squeeze bfill ffill interpolate asfreq tz_convert tz_localize",
            "explode swaplevel droplevel reorder_levels rename_axis set_axis truncate",
            "nlargest nsmallest to_dict to_records to_numpy tolist to_list iterrows itertuples items",
            "toarray todense to_pandas compute persist cache collect lazy",
        ]
    ).split()
)
_ELEMENTWISE = frozenset(
    " ".join(
        [
            "fillna astype clip round abs replace where mask applymap map transform ffill bfill isna",
            "notna isnull notnull cumsum cumprod cummax cummin diff pct_change shift rank",
        ]
    ).split()
)


def _path_arg(site: Site, names: tuple[str, ...]) -> tuple[Value | None, cst.BaseExpression | None]:
    for name in names:
        if name in site.args.kw:
            return site.args.kw[name], site.args.kw_nodes.get(name)
    return site.args.get(0), site.args.node(0)


@REGISTRY.prefix("pandas.read_", "modin.pandas.read_", "dask.dataframe.read_", "geopandas.read_")
def _read(interp: Interpreter, site: Site) -> Value | None:
    short = site.name.rsplit(".", 1)[-1]
    flavor = "pandas"
    if short in ("read_sql", "read_sql_query", "read_sql_table", "read_gbq"):
        return read_sql(interp, site, short)
    names = _READERS.get(short, ("path",))
    value, node = _path_arg(site, names)
    datasets = interp.sink.path_names(interp, site.ctx, node or site.node, value)
    columns = names_of(site.args.kw.get("usecols") or site.args.kw.get("columns"))
    if columns is None and isinstance(site.args.kw.get("names"), ListVal):
        columns = names_of(site.args.kw.get("names"))
    return interp.sink.read(interp, site.ctx, site.node, datasets, DatasetKind.FILE, flavor, columns)


def read_sql(interp: Interpreter, site: Site, short: str) -> Value:
    sql = site.args.get(0, "sql") or site.args.get(0, "table_name") or site.args.get(0, "query")
    dialect = "bigquery" if short == "read_gbq" else None
    if short == "read_sql_table" or (short in ("read_sql", "read_gbq") and _is_table_name(sql)):
        tables = interp.sink.table_names(interp, site.ctx, site.args.node(0) or site.node, sql,
                                         site.args.kw.get("schema"), dialect)  # fmt: skip
        columns = names_of(site.args.kw.get("columns"))
        return interp.sink.read(interp, site.ctx, site.node, tables, DatasetKind.TABLE, "pandas", columns)
    frame = run_sql(interp, site.ctx, site.args.node(0) or site.node, sql, dialect)
    return frame if frame is not None else Frame("pandas")


def _is_table_name(value: Value | None) -> bool:
    if isinstance(value, Str) and not looks_like_sql(value):
        text = value.literal_text.strip()
        return bool(text) and " " not in text and "\n" not in text
    return False


@REGISTRY.function("pandas.DataFrame", "modin.pandas.DataFrame", "polars.DataFrame", "polars.LazyFrame")
def _dataframe(interp: Interpreter, site: Site) -> Value:
    flavor = "polars" if site.name.startswith("polars") else "pandas"
    data = site.args.get(0, "data")
    loc = interp.loc(site.ctx, site.node)
    columns = names_of(site.args.kw.get("columns") or site.args.kw.get("schema"))
    if isinstance(data, DictVal):
        frame = Frame(flavor)
        for key, value in data.items.items():
            if isinstance(key, str):
                set_column(frame, key, value, loc, text_of(value))
        return frame
    if isinstance(data, Frame):
        frame = data.copy(flavor)
        if columns is not None:
            existing = [c for c in frame.columns if c != OPAQUE_COLUMN]
            if len(existing) == len(columns):
                frame.columns = {new: frame.columns[old] for old, new in zip(existing, columns, strict=True)}
            else:
                origins = frame.all_origins()
                frame.columns = {c: Col(origins, c, loc) for c in columns}
                frame.open = frozenset()
        return frame
    if isinstance(data, ColExpr):
        return interp.sink.to_frame(interp, data) or Frame(flavor)
    nested = frames_in(interp, [data]) if data is not None else []
    if nested:
        return union_frames(nested, flavor)
    frame = Frame(flavor)
    for c in columns or []:
        frame.columns[c] = Col(EMPTY, c, loc)
    return frame


@REGISTRY.function("pandas.Series")
def _series(interp: Interpreter, site: Site) -> Value:
    data = site.args.get(0, "data")
    name = site.args.get(3, "name")
    label = name.exact if isinstance(name, Str) else None
    if isinstance(data, ColExpr):
        return renamed(data, label or data.name)
    return ColExpr(EMPTY, frozenset(), text_of(data) if data is not None else "Series()", label, "pandas")


@REGISTRY.function("pandas.concat", "modin.pandas.concat", "polars.concat", "dask.dataframe.concat")
def _concat(interp: Interpreter, site: Site) -> Value:
    objs = site.args.get(0, "objs") or site.args.get(0, "items")
    flavor = "polars" if site.name.startswith("polars") else "pandas"
    items = objs.items if isinstance(objs, ListVal) else [objs] if objs is not None else []
    axis = site.args.kw.get("axis")
    how = site.args.kw.get("how")
    horizontal = (isinstance(axis, Const) and axis.value in (1, "columns")) or (
        isinstance(axis, Str) and axis.exact == "columns"
    )
    horizontal = horizontal or (isinstance(how, Str) and how.exact == "horizontal")
    frames: list[Frame] = []
    for item in items:
        if isinstance(item, Frame):
            frames.append(item)
        elif isinstance(item, ColExpr):
            f = interp.sink.to_frame(interp, item)
            if f is not None:
                frames.append(f)
        else:
            frames.extend(frames_in(interp, [item]))
    if not frames:
        return Frame(flavor)
    if horizontal:
        result = frames[0].copy(flavor)
        for other in frames[1:]:
            result.columns.update(other.columns)
            result.open |= other.open
            result.sources |= other.sources
            result.indirect.update(other.indirect)
        return result
    return union_frames(frames, flavor)


@REGISTRY.function("pandas.merge", "modin.pandas.merge", "pandas.merge_asof", "pandas.merge_ordered")
def _merge_fn(interp: Interpreter, site: Site) -> Value | None:
    left = site.args.get(0, "left")
    if not isinstance(left, Frame):
        return None
    return merge(interp, left, Site(site.name, Args(site.args.pos[1:], site.args.kw), site.node, site.ctx, left))


@REGISTRY.function("pandas.get_dummies")
def _get_dummies(interp: Interpreter, site: Site) -> Value | None:
    data = site.args.get(0, "data")
    loc = interp.loc(site.ctx, site.node)
    text = call_text("get_dummies", site.args)
    if isinstance(data, ColExpr):
        return Frame("pandas", {OPAQUE_COLUMN: Col(step(data.origins, Subtype.TRANSFORMATION), text, loc)}, (),
                     data.sources)  # fmt: skip
    if not isinstance(data, Frame):
        return None
    names = names_of(site.args.kw.get("columns"))
    if names is None:
        result = data.copy()
        result.columns[OPAQUE_COLUMN] = Col(step(data.all_origins(), Subtype.TRANSFORMATION), text, loc)
        return result
    result = drop(data, names)
    origins: set[Origin] = set()
    for n in names:
        c = data.column(n)
        if c is not None:
            origins |= step(c.origins, Subtype.TRANSFORMATION)
    result.columns[OPAQUE_COLUMN] = Col(frozenset(origins), text, loc)
    return result


@REGISTRY.function("pandas.NamedAgg")
def _named_agg(interp: Interpreter, site: Site) -> Value:
    return ListVal([site.args.get(0, "column") or NONE, site.args.get(1, "aggfunc") or NONE], "tuple")


# -- writes -------------------------------------------------------------------------------------


def write(interp: Interpreter, frame: Value, site: Site) -> Value | None:
    name = site.name
    if name == "to_sql":
        table = site.args.get(0, "name")
        tables = interp.sink.table_names(interp, site.ctx, site.args.node(0, "name") or site.node, table,
                                         site.args.kw.get("schema"))  # fmt: skip
        interp.sink.write(interp, site.ctx, site.node, frame, tables, DatasetKind.TABLE, "pandas.to_sql")
        return NONE
    if name == "to_gbq":
        table = site.args.get(0, "destination_table")
        tables = interp.sink.table_names(interp, site.ctx, site.args.node(0) or site.node, table, None, "bigquery")
        interp.sink.write(interp, site.ctx, site.node, frame, tables, DatasetKind.TABLE, "pandas.to_gbq")
        return NONE
    spec = _WRITERS.get(name)
    if spec is None:
        return None
    keyword, kind = spec
    target = site.args.get(0, keyword)
    if target is None or (isinstance(target, Const) and target.value is None):
        # Serialized to a string: it still carries the frame's data (``f.write(df.to_json())``).
        return frame.copy("data") if isinstance(frame, Frame) else Unknown(f"{name}()", "written to a string")
    if isinstance(target, Obj) and target.qname.startswith(("io.", "builtins.io")):
        return NONE
    node = site.args.node(0, keyword) or site.node
    if isinstance(target, FileHandle):
        target = target.path
    paths = interp.sink.path_names(interp, site.ctx, node, target)
    interp.sink.write(interp, site.ctx, site.node, frame, paths, kind, f"pandas.{name}")
    return NONE


# -- DataFrame methods --------------------------------------------------------------------------


@REGISTRY.method(Frame)
def frame_method(interp: Interpreter, frame: Value, site: Site) -> Value | None:
    assert isinstance(frame, Frame)
    if frame.flavor not in PANDAS_FLAVORS:
        return None
    name = site.name
    args = site.args
    loc = interp.loc(site.ctx, site.node)
    text = interp.code(site.ctx, site.node)
    if name.startswith("to_") and (name in _WRITERS or name in ("to_sql", "to_gbq")):
        return write(interp, frame, site)
    if name in ("fetchall", "fetchone", "fetchmany", "all", "first", "one", "scalars", "mappings", "result",
                "to_dataframe", "to_arrow", "df", "fetchdf", "fetch_df", "fetch_pandas_all", "arrow", "pl",
                "fetch_arrow_table", "to_df", "one_or_none", "scalar_one", "fetchnumpy"):  # fmt: skip
        return frame.copy("pandas" if name in ("to_dataframe", "df", "fetchdf", "fetch_df", "fetch_pandas_all")
                          else frame.flavor)  # fmt: skip
    if name in _SAME:
        if name in ("to_dict", "to_records", "to_numpy", "tolist", "to_list", "toarray", "todense"):
            return frame.copy("data")
        return frame.copy()
    if name == "rename":
        mapping = str_map(args.kw.get("columns") or args.get(0, "mapper"))
        if mapping is None:
            if args.kw.get("columns") is not None or (args.pos and not isinstance(args.pos[0], DictVal)):
                return opaque(interp, site, [frame], text)
            return frame.copy()
        return rename(frame, mapping)
    if name == "drop":
        cols = args.kw.get("columns")
        if cols is None:
            axis = args.kw.get("axis")
            if (isinstance(axis, Const) and axis.value == 1) or (isinstance(axis, Str) and axis.exact == "columns"):
                cols = args.get(0, "labels")
        names = names_of(cols)
        return drop(frame, names) if names else frame.copy()
    if name == "assign":
        result = frame.copy()
        for key, value in args.kw.items():
            if isinstance(value, FunctionVal):
                value = interp.call_value(value, Args([result]), site.ctx, site.node)
            set_column(result, key, value, loc, interp.code(site.ctx, args.kw_nodes.get(key)))
        return result
    if name in ("merge", "join"):
        return merge(interp, frame, site)
    if name == "groupby":
        return group_by(frame, args.get(0, "by"), interp, site)
    if name in ("sort_values",):
        return sorted_by(frame, [args.get(0, "by") or NONE], text)
    if name == "query":
        return query(frame, args.get(0, "expr"), text, interp)
    if name == "eval":
        return eval_expr(frame, args.get(0, "expr"), text, interp, site)
    if name == "filter":
        names = names_of(args.get(0, "items"))
        return select(frame, names) if names is not None else frame.copy()
    if name == "select_dtypes":
        return frame.copy()
    if name == "apply":
        return apply(interp, frame, site)
    if name == "pipe":
        func = args.get(0, "func")
        if func is not None:
            return interp.call_value(func, Args([frame, *args.pos[1:]], dict(args.kw)), site.ctx, site.node)
    if name in _ELEMENTWISE:
        subtype = Subtype.TRANSFORMATION
        result = frame.copy()
        result.columns = {c: Col(step(col.origins, subtype), clip(f"{col.text}.{name}()"), loc)
                          for c, col in frame.columns.items()}  # fmt: skip
        return result
    if name in ("melt", "unpivot"):
        return melt(frame, site, loc)
    if name in ("pivot", "pivot_table"):
        index = names_of(args.kw.get("index")) or []
        result = select(frame, index)
        values = names_of(args.kw.get("values"))
        origins: set[Origin] = set()
        for v in values or []:
            c = frame.column(v)
            if c is not None:
                origins |= c.origins
        if values is None:
            origins = set(frame.all_origins())
        result.columns[OPAQUE_COLUMN] = Col(step(origins, Subtype.AGGREGATION), text, loc)
        result.add_indirect(key_origins(frame, args.kw.get("columns") or NONE), Subtype.GROUP_BY, text)
        return result
    if name in AGGREGATES:
        result = frame.copy()
        result.columns = {c: Col(step(col.origins, Subtype.AGGREGATION), f"{name}({col.text})", loc)
                          for c, col in frame.columns.items()}  # fmt: skip
        return result
    if name in ("isin", "corr", "cov", "describe"):
        return frame.copy()
    if name in ("predict", "predict_proba", "transform", "score"):
        return None
    return None


def merge(interp: Interpreter, left: Frame, site: Site) -> Value:
    args = site.args
    right = args.get(0, "right") or args.get(0, "other")
    text = interp.code(site.ctx, site.node)
    if isinstance(right, ColExpr):
        right = interp.sink.to_frame(interp, right)
    if not isinstance(right, Frame):
        return left.copy()
    on = names_of(args.kw.get("on"))
    left_on = names_of(args.kw.get("left_on"))
    right_on = names_of(args.kw.get("right_on"))
    if site.name == "join":
        suffixes = (_suffix(args.kw.get("lsuffix"), ""), _suffix(args.kw.get("rsuffix"), ""))
    else:
        sfx = args.kw.get("suffixes")
        suffixes = ("_x", "_y")
        if isinstance(sfx, ListVal) and len(sfx.items) == 2:
            suffixes = (_suffix(sfx.items[0], "_x"), _suffix(sfx.items[1], "_y"))
    if on is None and left_on is None:
        on = [] if site.name == "join" else [c for c in left.columns if c in right.columns and c != OPAQUE_COLUMN]
    lk = on if on is not None else (left_on or [])
    rk = on if on is not None else (right_on or [])
    return join(left, right, lk, rk, text, suffixes)


def _suffix(value: Value | None, default: str) -> str:
    if isinstance(value, Str) and value.exact is not None:
        return value.exact
    return default


def group_by(frame: Frame, by: Value | None, interp: Interpreter, site: Site) -> GroupBy:
    keys: list[tuple[str, frozenset[Origin]]] = []
    items = by.items if isinstance(by, ListVal) else [by] if by is not None else []
    for item in items:
        if isinstance(item, Str) and item.exact is not None:
            col = frame.column(item.exact)
            keys.append((item.exact, col.origins if col is not None else EMPTY))
        elif isinstance(item, ColExpr):
            keys.append((item.name or "key", item.resolve(frame)))
    return GroupBy(frame, keys)


@REGISTRY.method(GroupBy)
def group_method(interp: Interpreter, group: Value, site: Site) -> Value | None:
    assert isinstance(group, GroupBy)
    if group.frame.flavor not in PANDAS_FLAVORS:
        return None
    name = site.name
    args = site.args
    loc = interp.loc(site.ctx, site.node)
    key_text = "GROUP BY " + ", ".join(k for k, _ in group.keys)
    frame = group.frame
    if name in ("agg", "aggregate"):
        outputs: list[tuple[str, ColExpr]] = []
        spec = args.get(0, "func")
        if args.kw and spec is None:
            for out, how in args.kw.items():
                if isinstance(how, ListVal) and len(how.items) == 2:
                    src, func = how.items
                    if isinstance(src, Str) and src.exact is not None:
                        outputs.append((out, _agg_expr(frame, src.exact, text_of(func), loc)))
        elif isinstance(spec, DictVal):
            for key, funcs in spec.items.items():
                if not isinstance(key, str):
                    continue
                if isinstance(funcs, ListVal) and len(funcs.items) > 1:
                    for f in funcs.items:
                        outputs.append((f"{key}_{_func_name(f)}", _agg_expr(frame, key, _func_name(f), loc)))
                else:
                    outputs.append((key, _agg_expr(frame, key, text_of(funcs), loc)))
        else:
            return agg_all(group, text_of(spec) if spec is not None else "agg", loc)
        return aggregate(group, outputs, key_text)
    if name in AGGREGATES or name in ("size", "count", "nunique", "ohlc"):
        if name == "size":
            result = aggregate(group, [], key_text)
            result.columns["size"] = Col(EMPTY, "COUNT(*)", loc)
            return result
        return agg_all(group, name, loc)
    if name == "transform" or name == "rank" or name in ("cumsum", "cumcount", "shift", "diff", "pct_change"):
        names = group.selection or [c for c in frame.columns if c not in {k for k, _ in group.keys}]
        key_origins_ = frozenset(o for _, os in group.keys for o in os)
        func_text = text_of(args.get(0, "func") or NONE) if name == "transform" else name
        exprs = []
        for n in names:
            col = frame.column(n)
            if col is None:
                continue
            origins = step(col.origins, Subtype.AGGREGATION) | frozenset(
                Origin(o.table, o.column, Subtype.WINDOW) for o in key_origins_
            )
            exprs.append((n, ColExpr(origins, frozenset(), f"{func_text}({col.text}) OVER (PARTITION BY ...)", n,
                                     frame.flavor, frame.sources, loc=loc)))  # fmt: skip
        if group.selection is not None and len(group.selection) == 1 and exprs:
            return exprs[0][1]
        result = frame.copy(None, {n: Col(e.origins, e.text, loc) for n, e in exprs})
        return result
    if name == "apply":
        inputs = [frame]
        result = opaque(interp, site, inputs, interp.code(site.ctx, site.node))
        for k, origins in group.keys:
            result.columns[k] = Col(origins, k, loc)
        return result
    if name in ("filter",):
        return frame.copy()
    if name in ("first", "last", "head", "tail", "nth"):
        return frame.copy()
    return None


def _func_name(value: Value) -> str:
    if isinstance(value, Str) and value.exact is not None:
        return value.exact
    if isinstance(value, QName):
        return value.name.rsplit(".", 1)[-1]
    return "agg"


def _agg_expr(frame: Frame, source: str, func: str, loc: object) -> ColExpr:
    col = frame.column(source)
    origins = step(col.origins, Subtype.AGGREGATION) if col is not None else EMPTY
    text = f"{func}({col.text if col is not None else source})"
    return ColExpr(origins, frozenset(), text, source, frame.flavor, frame.sources, aggregated=True)


def apply(interp: Interpreter, frame: Frame, site: Site) -> Value:
    axis = site.args.kw.get("axis")
    text = interp.code(site.ctx, site.node)
    loc = interp.loc(site.ctx, site.node)
    if (isinstance(axis, Const) and axis.value == 1) or (isinstance(axis, Str) and axis.exact == "columns"):
        interp.diag(site.ctx, site.node, "DT302", "opaque step: all inputs flow to all outputs (DataFrame.apply)")
        return ColExpr(step(frame.all_origins(), Subtype.TRANSFORMATION), frozenset(), clip(text), None,
                       frame.flavor, frame.sources, loc=loc)  # fmt: skip
    result = frame.copy()
    result.columns = {c: Col(step(col.origins, Subtype.TRANSFORMATION), clip(f"{col.text}.apply(...)"), loc)
                      for c, col in frame.columns.items()}  # fmt: skip
    return result


def query(frame: Frame, expr: Value | None, text: str, interp: Interpreter) -> Frame:
    result = frame.copy()
    if isinstance(expr, Str) and expr.exact is not None:
        for name in _names_in(expr.exact):
            col = frame.column(name)
            if col is not None and (name in frame.columns or frame.open):
                result.add_indirect(col.origins, Subtype.FILTER, text)
    return result


def eval_expr(frame: Frame, expr: Value | None, text: str, interp: Interpreter, site: Site) -> Value:
    if not isinstance(expr, Str) or expr.exact is None:
        return frame.copy()
    source = expr.exact
    target, sep, rhs = source.partition("=")
    if sep and target.strip().isidentifier() and not rhs.startswith("="):
        result = frame.copy()
        origins: set[Origin] = set()
        for name in _names_in(rhs):
            col = frame.column(name)
            if col is not None:
                origins |= step(col.origins, Subtype.TRANSFORMATION)
        result.columns[target.strip()] = Col(frozenset(origins), clip(rhs), interp.loc(site.ctx, site.node))
        return result
    origins2: set[Origin] = set()
    for name in _names_in(source):
        col = frame.column(name)
        if col is not None:
            origins2 |= step(col.origins, Subtype.TRANSFORMATION)
    return ColExpr(frozenset(origins2), frozenset(), clip(source), None, frame.flavor, frame.sources)


def _names_in(expression: str) -> list[str]:
    """Identifiers used in a ``query``/``eval`` expression (parsed as Python, not matched)."""
    try:
        node = cst.parse_expression(expression.replace("`", ""))
    except Exception:
        return []
    names: list[str] = []

    class Collect(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            if n.value not in ("and", "or", "not", "in", "True", "False", "None"):
                names.append(n.value)

        def visit_Attribute(self, n: cst.Attribute) -> bool:
            n.value.visit(self)
            return False

    node.visit(Collect())
    return names


def melt(frame: Frame, site: Site, loc: object) -> Frame:
    ids = names_of(site.args.kw.get("id_vars") or site.args.get(0)) or []
    values = names_of(site.args.kw.get("value_vars"))
    var_name = site.args.kw.get("var_name")
    value_name = site.args.kw.get("value_name")
    result = select(frame, ids)
    origins: set[Origin] = set()
    for v in values if values is not None else [c for c in frame.columns if c not in ids]:
        c = frame.column(v)
        if c is not None:
            origins |= c.origins
    vname = var_name.exact if isinstance(var_name, Str) and var_name.exact else "variable"
    valname = value_name.exact if isinstance(value_name, Str) and value_name.exact else "value"
    result.columns[vname] = Col(EMPTY, vname)
    result.columns[valname] = Col(frozenset(origins), valname)
    return result


# -- Series methods -----------------------------------------------------------------------------


@REGISTRY.method(ColExpr)
def series_method(interp: Interpreter, expr: Value, site: Site) -> Value | None:
    assert isinstance(expr, ColExpr)
    if expr.flavor not in PANDAS_FLAVORS:
        return None
    name = site.name
    args = site.args
    text = call_text(name, args, expr)
    if name.startswith("to_") and name in _WRITERS:
        return write(interp, expr, site)
    if name == "rename" and args.pos and isinstance(args.pos[0], Str):
        return renamed(expr, cast(Str, args.pos[0]).exact)
    if name == "to_frame":
        label = args.get(0, "name")
        named = renamed(expr, label.exact if isinstance(label, Str) else expr.name)
        return interp.sink.to_frame(interp, named)
    if name in ("reset_index",):
        return interp.sink.to_frame(interp, expr)
    if name in ("copy", "head", "tail", "sort_values", "sort_index", "dropna", "drop_duplicates", "unique",
                "to_numpy", "tolist", "to_list", "values", "ravel", "reshape", "flatten", "item", "squeeze",
                "sample", "reindex", "set_axis", "numpy", "cpu", "detach", "float", "long", "double",
                "to", "view", "cuda", "int", "alias", "keys"):  # fmt: skip
        if name == "alias" and args.pos and isinstance(args.pos[0], Str):
            return renamed(expr, cast(Str, args.pos[0]).exact)
        return expr
    if name in ("groupby",):
        frame = interp.sink.to_frame(interp, expr)
        if frame is not None:
            return group_by(frame, args.get(0, "by"), interp, site)
    if name in AGGREGATES:
        return transformed(expr, text, Subtype.AGGREGATION)
    if name in ("apply", "map", "transform", "applymap", "pipe"):
        func = args.get(0)
        if isinstance(func, FunctionVal):
            result = interp.call_value(func, Args([expr]), site.ctx, site.node)
            if isinstance(result, ColExpr):
                return renamed(result, expr.name)
        extra = [v for v in args.values() if isinstance(v, ColExpr | Frame)]
        return combine([expr, *extra], text, expr.loc, name=expr.name)
    others = [v for v in args.values() if isinstance(v, ColExpr | Frame)]
    return combine([expr, *others], text, interp.loc(site.ctx, site.node), name=expr.name)
