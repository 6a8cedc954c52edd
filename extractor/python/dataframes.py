"""Column algebra shared by pandas, PySpark and polars, and the interpreter hooks for data.

The operations here are the ones every DataFrame library has in some form: take a column,
compute a column from others, select, rename, drop, join, group and aggregate, stack. Each keeps
the origins of every output column, so a column written at the end can be traced to the source
columns it was computed from and to the subtype of that flow.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from ..model import Location, Subtype
from ..sql.query_lineage import Origin, compose
from .frames import EMPTY, OPAQUE_COLUMN, Col, ColExpr, Frame, Origins, as_indirect, clip, opaque_frame, step
from .interpreter import REGISTRY, Args, Interpreter, Site
from .objects import Obj
from .values import Const, DictVal, ListVal, QName, Str, Unknown, Value

OPERATORS = {
    "Add": "+", "Subtract": "-", "Multiply": "*", "Divide": "/", "FloorDivide": "//", "Modulo": "%",
    "Power": "**", "BitAnd": "&", "BitOr": "|", "BitXor": "^", "MatrixMultiply": "@",
    "LeftShift": "<<", "RightShift": ">>",
}  # fmt: skip

#: Function and method names that aggregate rows (numpy, pandas, Spark, polars).
AGGREGATES = frozenset(
    " ".join(
        [
            "sum mean avg average median min max count nunique size std var first last mode prod product",
            "quantile countDistinct count_distinct approx_count_distinct collect_list collect_set stddev",
            "stddev_samp stddev_pop variance var_samp var_pop sumDistinct sum_distinct skew skewness",
            "kurtosis kurt percentile_approx percentile any all agg aggregate n_unique len any_value max_by",
            "min_by bool_and bool_or every some corr covar_pop covar_samp nanmean nansum nanmax nanmin",
            "argmax argmin value_counts describe idxmax idxmin sem mad cumsum",
        ]
    ).split()
)
#: Qualified-name prefixes whose functions keep data as it is (arrays, tensors, matrices).
PASSTHROUGH = (
    "numpy.", "torch.", "tensorflow.", "scipy.", "xgboost.DMatrix", "lightgbm.Dataset", "catboost.Pool",
    "sklearn.utils.", "pandas.DataFrame", "builtins.", "jax.", "cupy.", "datasets.Dataset", "keras.ops",
)  # fmt: skip


@dataclass
class Indexer(Value):
    """``df.loc`` / ``df.iloc`` / ``df.at``: a frame indexed by rows and columns."""

    frame: Frame
    kind: str

    def __hash__(self) -> int:
        return id(self)


@dataclass
class GroupBy(Value):
    """``df.groupby(keys)`` (pandas), ``df.groupBy`` (Spark), ``df.group_by`` (polars)."""

    frame: Frame
    keys: list[tuple[str, Origins]]
    selection: list[str] | None = None
    pivot: ColExpr | None = None
    extra: dict[str, Value] = field(default_factory=dict)

    def __hash__(self) -> int:
        return id(self)


def text_of(value: Value) -> str:
    if isinstance(value, ColExpr):
        return value.text
    if isinstance(value, Str):
        return repr(value.exact) if value.exact is not None else repr(value.text)
    if isinstance(value, Const):
        return repr(value.value)
    if isinstance(value, ListVal):
        return "[" + ", ".join(text_of(i) for i in value.items[:8]) + "]"
    if isinstance(value, QName):
        return value.name.rsplit(".", 1)[-1]
    if isinstance(value, Frame):
        return "<frame>"
    return "…"


def call_text(name: str, args: Args, receiver: Value | None = None) -> str:
    parts = [text_of(a) for a in args.pos] + [f"{k}={text_of(v)}" for k, v in args.kw.items()]
    head = f"{text_of(receiver)}.{name}" if receiver is not None else name
    return clip(f"{head}({', '.join(parts)})")


def column(frame: Frame, name: str, loc: Location | None = None) -> ColExpr:
    """``df["name"]``: a bound column expression."""
    col = frame.column(name)
    if col is None:
        sources = sorted(s for s in frame.sources)
        origins: Origins = EMPTY
        if len(sources) == 1 and not frame.columns:
            origins = frozenset({Origin(sources[0], name, Subtype.IDENTITY)})
        return ColExpr(origins, frozenset(), name, name, frame.flavor, frame.sources, loc=loc)
    return ColExpr(col.origins, frozenset(), col.text, name, frame.flavor, frame.sources, loc=col.loc or loc)


def combine(
    values: Sequence[Value],
    text: str,
    loc: Location | None,
    subtype: Subtype = Subtype.TRANSFORMATION,
    name: str | None = None,
) -> Value:
    """A value computed from several: columns combine, a frame computes column by column."""
    frames = [v for v in values if isinstance(v, Frame)]
    exprs = [v for v in values if isinstance(v, ColExpr)]
    if frames and not exprs:
        result = frames[0].copy()
        others = frames[1:]
        cols: dict[str, Col] = {}
        for cname, col in result.columns.items():
            origins = set(step(col.origins, subtype))
            for other in others:
                oc = other.column(cname)
                if oc is not None:
                    origins |= step(oc.origins, subtype)
            cols[cname] = Col(frozenset(origins), clip(text), loc)
        result.columns = cols
        for other in others:
            result.sources |= other.sources
        return result
    all_origins: set[Origin] = set()
    refs: set[tuple[str, Subtype]] = set()
    conditions: set[Origin] = set()
    sources: set[str] = set()
    each: tuple[str, ...] | None = None
    first: ColExpr | None = None
    for v in values:
        if isinstance(v, ColExpr):
            first = first or v
            all_origins |= step(v.origins, subtype)
            refs |= {(n, compose(subtype, s)) for n, s in v.refs}
            conditions |= v.conditions
            sources |= v.sources
            if v.each is not None and each is None:
                each = v.each
        elif isinstance(v, Frame):
            all_origins |= step(v.all_origins(), subtype)
            sources |= v.sources
    flavor = first.flavor if first is not None else "pandas"
    out_name = name if name is not None else (first.name if first is not None else None)
    return ColExpr(
        frozenset(all_origins), frozenset(refs), clip(text), out_name, flavor, frozenset(sources), each,
        frozenset(conditions), loc, aggregated=any(e.aggregated for e in exprs) or subtype is Subtype.AGGREGATION,
    )  # fmt: skip


def transformed(
    expr: ColExpr, text: str, subtype: Subtype = Subtype.TRANSFORMATION, name: str | None = None
) -> ColExpr:
    value = combine([expr], text, expr.loc, subtype, name if name is not None else expr.name)
    assert isinstance(value, ColExpr)
    return value


def renamed(expr: ColExpr, name: str | None) -> ColExpr:
    return replace(expr, name=name)


def to_col(expr: ColExpr, frame: Frame | None, loc: Location | None = None) -> Col:
    origins = expr.resolve(frame)
    return Col(origins, expr.text, expr.loc or loc, constant=expr.constant and not origins)


def value_col(value: Value, frame: Frame | None, loc: Location | None, text: str) -> Col:
    """The column a value becomes when assigned into a frame."""
    if isinstance(value, ColExpr):
        return to_col(value, frame, loc)
    if isinstance(value, Frame):
        cols = [c for c in value.columns.values()]
        if len(cols) == 1:
            return cols[0]
        return Col(value.all_origins(), clip(text), loc)
    # A Python literal is a constant column; anything else not understood (a call, a name) is unknown.
    literal = isinstance(value, Const | Str)  # a string with holes is still no column
    return Col(EMPTY, clip(text), loc, constant=literal)


def set_column(frame: Frame, name: str, value: Value, loc: Location | None, text: str) -> None:
    """``df[name] = value`` in place."""
    col = value_col(value, frame, loc, text)
    frame.columns[name] = col
    if isinstance(value, ColExpr | Frame):
        frame.sources |= value.sources
        if isinstance(value, Frame):
            frame.indirect.update(value.indirect)


def select(frame: Frame, names: Iterable[str], flavor: str | None = None) -> Frame:
    cols: dict[str, Col] = {}
    for name in names:
        col = frame.column(name)
        cols[name] = col if col is not None else Col(EMPTY, name)
    result = frame.copy(flavor, cols)
    result.open = frozenset()
    return result


def select_exprs(frame: Frame, exprs: Sequence[tuple[str, Value]], flavor: str | None = None) -> Frame:
    """Spark ``select`` / polars ``select``: each output named and computed."""
    cols: dict[str, Col] = {}
    keep_open = False
    for name, value in exprs:
        if name == "*":
            cols.update(frame.columns)
            keep_open = True
            continue
        if isinstance(value, ColExpr):
            cols[name] = to_col(value, frame)
        elif isinstance(value, Frame):
            cols.update(value.columns)
        else:
            cols[name] = Col(EMPTY, text_of(value))
    result = frame.copy(flavor, cols)
    if not keep_open:
        result.open = frozenset()
    for _, value in exprs:
        if isinstance(value, ColExpr):
            result.sources |= value.sources
    return result


def expand(frame: Frame, expr: ColExpr) -> list[tuple[str, ColExpr]]:
    """A column template (``pl.col(["a", "b"]) * 2``, ``pl.all()``) applied to each column."""
    if expr.each is None:
        return [(expr.name or OPAQUE_COLUMN, expr)]
    names = list(expr.each) if expr.each else [c for c in frame.columns if c != OPAQUE_COLUMN]
    result: list[tuple[str, ColExpr]] = []
    for name in names:
        refs = frozenset((name if n == "*" else n, s) for n, s in expr.refs)
        out = expr.name if expr.name and len(names) == 1 else name
        text = expr.text.replace("<col>", name)
        result.append((out, replace(expr, refs=refs, each=None, name=out, text=text)))
    if not names and frame.open:
        refs = frozenset((n, s) for n, s in expr.refs if n != "*")
        origins = expr.origins | step(
            frozenset(Origin(ds, None, Subtype.IDENTITY) for ds in frame.open),
            next((s for n, s in expr.refs if n == "*"), Subtype.IDENTITY),
        )
        result.append((OPAQUE_COLUMN, replace(expr, refs=refs, origins=origins, each=None, name=OPAQUE_COLUMN)))
    return result


def rename(frame: Frame, mapping: dict[str, str]) -> Frame:
    cols: dict[str, Col] = {}
    for name, col in frame.columns.items():
        cols[mapping.get(name, name)] = col
    for old, new in mapping.items():
        if old not in frame.columns and frame.open:
            passing = frame.column(old)
            if passing is not None:
                cols[new] = passing
    return frame.copy(None, cols)


def drop(frame: Frame, names: Iterable[str]) -> Frame:
    dropped = set(names)
    return frame.copy(None, {n: c for n, c in frame.columns.items() if n not in dropped})


def join(
    left: Frame,
    right: Frame,
    left_keys: list[str],
    right_keys: list[str],
    text: str,
    suffixes: tuple[str, str] = ("_x", "_y"),
    merge_same_keys: bool = True,
    extra: Iterable[Origin] = (),
) -> Frame:
    """Columns of both sides; a key present on both sides under one name is one column."""
    cols: dict[str, Col] = {}
    # In the order the keys are given (Spark and pandas put them first, in that order), not a set's.
    shared_keys = dict.fromkeys(k for k, r in zip(left_keys, right_keys, strict=False) if k == r and merge_same_keys)
    right_names = set(right.columns)
    left_names = set(left.columns)
    for name in shared_keys:
        lc, rc = left.column(name), right.column(name)
        if lc is not None or rc is not None:
            origins = (lc.origins if lc else EMPTY) | (rc.origins if rc else EMPTY)
            cols[name] = Col(origins, (lc or rc).text, (lc or rc).loc)  # type: ignore[union-attr]
    for name, col in left.columns.items():
        if name in shared_keys:
            continue
        elif name in right_names and suffixes[0] is not None:
            cols[f"{name}{suffixes[0]}"] = col
        else:
            cols[name] = col
    for name, col in right.columns.items():
        if name in shared_keys:
            if name not in cols:
                cols[name] = col
            continue
        if name in left_names and suffixes[1] is not None:
            cols[f"{name}{suffixes[1]}"] = col
        else:
            cols.setdefault(name, col)
    result = Frame(left.flavor, cols, left.open | right.open, left.sources | right.sources,
                   {**left.indirect, **right.indirect}, [*left.opaque, *right.opaque])  # fmt: skip
    key_origins: set[Origin] = set(extra)
    for k in left_keys:
        c = left.column(k)
        if c is not None:
            key_origins |= c.origins
    for k in right_keys:
        c = right.column(k)
        if c is not None:
            key_origins |= c.origins
    result.add_indirect(key_origins, Subtype.JOIN, text)
    return result


def aggregate(group: GroupBy, outputs: Sequence[tuple[str, ColExpr]], text: str, with_keys: bool = True) -> Frame:
    """Group keys (identity) plus aggregated outputs; the keys group the whole result."""
    frame = group.frame
    cols: dict[str, Col] = {}
    if with_keys:
        for name, origins in group.keys:
            key_col = frame.column(name)
            cols[name] = key_col if key_col is not None else Col(origins, name)
    for name, expr in outputs:
        origins = expr.resolve(frame)
        cols[name] = Col(step(origins, Subtype.AGGREGATION) if not expr.aggregated else origins, expr.text, expr.loc)
    result = frame.copy(None, cols)
    result.open = frozenset()
    for _, expr in outputs:
        result.sources |= expr.sources
    key_origins: set[Origin] = set()
    for _, origins in group.keys:
        key_origins |= origins
    result.add_indirect(key_origins, Subtype.GROUP_BY, text)
    return result


def agg_all(group: GroupBy, func: str, loc: Location | None) -> Frame:
    """``groupby(k).sum()``: every non-key column (or the selection) aggregated."""
    frame = group.frame
    keys = {k for k, _ in group.keys}
    names = group.selection if group.selection is not None else [c for c in frame.columns if c not in keys]
    outputs: list[tuple[str, ColExpr]] = []
    for name in names:
        col = frame.column(name)
        if col is None:
            continue
        outputs.append((name, ColExpr(step(col.origins, Subtype.AGGREGATION), frozenset(), f"{func}({col.text})",
                                      name, frame.flavor, frame.sources, loc=loc, aggregated=True)))  # fmt: skip
    result = aggregate(group, outputs, f"GROUP BY {', '.join(k for k, _ in group.keys)}")
    if group.selection is None and frame.open:
        result.open = frame.open
        opened = frozenset(Origin(ds, None, Subtype.AGGREGATION) for ds in frame.open)
        result.columns[OPAQUE_COLUMN] = Col(opened, f"{func}(*)", loc)
    return result


def filtered(frame: Frame, condition: Value, text: str) -> Frame:
    result = frame.copy()
    if isinstance(condition, ColExpr):
        result.add_indirect(condition.resolve(frame), Subtype.FILTER, text)
        result.sources |= condition.sources
    elif isinstance(condition, Frame):
        result.add_indirect(condition.all_origins(), Subtype.FILTER, text)
    return result


def sorted_by(frame: Frame, keys: Iterable[Value], text: str) -> Frame:
    result = frame.copy()
    for key in keys:
        origins = key_origins(frame, key)
        result.add_indirect(origins, Subtype.SORT, text)
    return result


def key_origins(frame: Frame, key: Value) -> Origins:
    if isinstance(key, Str) and key.exact is not None:
        col = frame.column(key.exact)
        return col.origins if col is not None else EMPTY
    if isinstance(key, ColExpr):
        return key.resolve(frame)
    if isinstance(key, ListVal):
        result: set[Origin] = set()
        for item in key.items:
            result |= key_origins(frame, item)
        return frozenset(result)
    return EMPTY


def names_of(value: Value | None) -> list[str] | None:
    """Column names in an argument: ``"a"``, ``["a", "b"]``; None when not static."""
    if value is None:
        return None
    if isinstance(value, Str):
        return [value.exact] if value.exact is not None else None
    if isinstance(value, ListVal):
        names: list[str] = []
        for item in value.items:
            if isinstance(item, Str) and item.exact is not None:
                names.append(item.exact)
            elif isinstance(item, ColExpr) and item.name:
                names.append(item.name)
            else:
                return None
        return names
    if isinstance(value, ColExpr) and value.name:
        return [value.name]
    return None


def str_map(value: Value | None) -> dict[str, str] | None:
    if not isinstance(value, DictVal) or value.partial:
        return None
    mapping: dict[str, str] = {}
    for k, v in value.items.items():
        if isinstance(k, str) and isinstance(v, Str) and v.exact is not None:
            mapping[k] = v.exact
    return mapping


def frames_in(interp: Interpreter, values: Iterable[Value]) -> list[Frame]:
    result: list[Frame] = []
    for v in values:
        for d in interp.data_in(v):
            if isinstance(d, Frame):
                result.append(d)
            else:
                f = interp.sink.to_frame(interp, d)
                if f is not None:
                    result.append(f)
    return result


def opaque(interp: Interpreter, site: Site, inputs: list[Frame], what: str, flavor: str | None = None) -> Frame:
    loc = interp.loc(site.ctx, site.node)
    return opaque_frame(inputs, flavor or (inputs[0].flavor if inputs else "data"), loc, what)


# -- interpreter hooks --------------------------------------------------------------------------


@REGISTRY.on("binary")
def _binary(interp: Interpreter, site: Site) -> Value | None:
    left, right = site.args.pos
    symbol = OPERATORS.get(site.name, site.name)
    text = f"{text_of(left)} {symbol} {text_of(right)}"
    return combine([left, right], text, interp.loc(site.ctx, site.node))


@REGISTRY.on("combine")
def _combine(interp: Interpreter, site: Site) -> Value | None:
    return combine(site.args.pos, interp.code(site.ctx, site.node), interp.loc(site.ctx, site.node))


@REGISTRY.on("setitem")
def _setitem(interp: Interpreter, site: Site) -> Value | None:
    obj, index, value = site.args.pos
    loc = interp.loc(site.ctx, site.node)
    value_node = site.args.pos_nodes[2] if len(site.args.pos_nodes) > 2 else None
    text = interp.code(site.ctx, value_node) if value_node is not None else text_of(value)
    if isinstance(obj, Frame):
        assign_columns(obj, index, value, loc, text)
        return Const(None)
    if isinstance(obj, Indexer):
        rows: Value | None = None
        cols: Value = index
        if isinstance(index, ListVal) and index.kind == "tuple" and len(index.items) == 2:
            rows, cols = index.items
        frame = obj.frame
        names = names_of(cols)
        if names is None:
            return Const(None)
        condition = rows.resolve(frame) if isinstance(rows, ColExpr) else EMPTY
        for name in names:
            new = value_col(value, frame, loc, text)
            old = frame.column(name)
            origins = new.origins | as_indirect(condition, Subtype.CONDITIONAL)
            if old is not None and condition:
                origins |= old.origins
            frame.columns[name] = Col(origins, new.text, loc)
        if isinstance(value, ColExpr | Frame):
            frame.sources |= value.sources
        return Const(None)
    return None


def assign_columns(frame: Frame, index: Value, value: Value, loc: Location | None, text: str) -> None:
    if isinstance(index, Str) and index.exact is not None:
        set_column(frame, index.exact, value, loc, text)
        return
    names = names_of(index)
    if names is None:
        return
    if isinstance(value, Frame):
        source_cols = list(value.columns.items())
        for i, name in enumerate(names):
            col = value.column(name)
            if col is None and i < len(source_cols):
                col = source_cols[i][1]
            frame.columns[name] = col if col is not None else Col(value.all_origins(), clip(text), loc)
        frame.sources |= value.sources
        return
    for name in names:
        set_column(frame, name, value, loc, text)


@REGISTRY.on("getitem")
def _getitem(interp: Interpreter, site: Site) -> Value | None:
    base = site.receiver
    index = site.args.pos[0]
    loc = interp.loc(site.ctx, site.node)
    text = interp.code(site.ctx, site.node)
    if isinstance(base, Frame):
        return frame_getitem(base, index, loc, text)
    if isinstance(base, Indexer):
        frame = base.frame
        rows: Value = index
        cols: Value | None = None
        if isinstance(index, ListVal) and index.kind == "tuple" and len(index.items) == 2:
            rows, cols = index.items
        result: Value = frame
        if isinstance(rows, ColExpr):
            result = filtered(frame, rows, text)
        if cols is not None and isinstance(result, Frame):
            if base.kind in ("loc", "at"):
                return frame_getitem(result, cols, loc, text)
            return result.copy()
        return result if result is not frame else frame.copy()
    if isinstance(base, ColExpr):
        if isinstance(index, ColExpr):
            return base
        if isinstance(index, Const) and isinstance(index.value, int):
            return transformed(base, f"{base.text}[{index.value}]")
        return base
    if isinstance(base, GroupBy):
        if isinstance(index, Str) and index.exact is not None:
            return GroupBy(base.frame, base.keys, [index.exact], base.pivot, dict(base.extra))
        names = names_of(index)
        if names is not None:
            return GroupBy(base.frame, base.keys, names, base.pivot, dict(base.extra))
        return base
    return None


def frame_getitem(frame: Frame, index: Value, loc: Location | None, text: str) -> Value:
    if isinstance(index, Str):
        if index.exact is not None:
            return column(frame, index.exact, loc)
        return ColExpr(frame.all_origins(), frozenset(), text, None, frame.flavor, frame.sources, loc=loc)
    if isinstance(index, ListVal):
        names = names_of(index)
        if names is not None:
            return select(frame, names)
        return frame.copy()
    if isinstance(index, ColExpr):
        if index.name is not None and not index.origins and not index.refs and not index.conditions:
            return column(frame, index.name, loc)
        return filtered(frame, index, text)
    if isinstance(index, Frame):
        return frame.copy()
    return frame.copy()


#: Attributes of DataFrames that are never column names.
FRAME_ATTRS = frozenset(
    " ".join(
        [
            "columns index shape dtypes size ndim empty values T axes attrs flags schema rdd sparkSession",
            "sql_ctx isStreaming storageLevel write writeStream na stat height width dtypes plot style iloc",
            "loc at iat str dt cat array name",
        ]
    ).split()
)


@REGISTRY.on("getattr")
def _getattr(interp: Interpreter, site: Site) -> Value | None:
    base = site.receiver
    attr = site.name
    loc = interp.loc(site.ctx, site.node)
    if isinstance(base, Frame):
        if attr == "columns":
            if base.open or OPAQUE_COLUMN in base.columns:
                return Unknown(interp.code(site.ctx, site.node), "columns of a dataset whose schema is unknown")
            return ListVal([Str.of(c) for c in base.columns])
        if attr in ("loc", "iloc", "at", "iat"):
            return Indexer(base, attr)
        if attr in ("values", "T", "array", "data", "features"):
            return base.copy("data") if attr != "T" else base
        if attr in ("shape", "dtypes", "size", "ndim", "empty", "index", "schema", "height", "width"):
            return Unknown(interp.code(site.ctx, site.node), "frame property")
        if attr in base.columns or (
            (base.open or base.flavor == "data") and attr not in FRAME_ATTRS and not attr.startswith("_")
        ):
            return column(base, attr, loc)
        return None
    if isinstance(base, ColExpr):
        if attr in ("str", "dt", "cat", "list", "arr", "struct", "sparse", "values", "array", "name", "bin"):
            return base
        if attr in ("index", "shape", "size", "dtype", "empty"):
            return Unknown(interp.code(site.ctx, site.node), "series property")
        return transformed(base, f"{base.text}.{attr}")
    return None


@REGISTRY.on("generic")
def _generic(interp: Interpreter, site: Site) -> Value | None:
    """An unknown function given data: columns combine, frames pass through or become opaque."""
    values = list(site.args.values())
    exprs = [v for v in values if isinstance(v, ColExpr)]
    frames = [v for v in values if isinstance(v, Frame)]
    if not exprs and not frames:
        nested = frames_in(interp, values)
        if not nested:
            return None
        frames = nested
    name = site.name
    short = name.rsplit(".", 1)[-1]
    text = call_text(short, site.args)
    loc = interp.loc(site.ctx, site.node)
    if exprs and not frames:
        subtype = Subtype.AGGREGATION if short in AGGREGATES else Subtype.TRANSFORMATION
        return combine(values, text, loc, subtype)
    if name.startswith(PASSTHROUGH) or short in ("array", "asarray", "tensor", "from_numpy"):
        from .frames import union_frames

        columns = [interp.sink.to_frame(interp, e) for e in exprs]
        parts = frames + [f for f in columns if f is not None]
        return union_frames(parts, "data") if len(parts) > 1 else parts[0].copy("data")
    inputs = frames + [f for e in exprs if (f := interp.sink.to_frame(interp, e)) is not None]
    return opaque(interp, site, inputs, text)


@REGISTRY.on("call_object")
def _call_object(interp: Interpreter, site: Site) -> Value | None:
    callee = site.receiver
    if isinstance(callee, Obj) and callee.kind == "udf":
        exprs = [v for v in site.args.values() if isinstance(v, ColExpr | Str)]
        return udf_call(interp, site, callee, exprs)
    return None


def udf_call(interp: Interpreter, site: Site, udf: Obj, args: Sequence[Value]) -> ColExpr:
    """A UDF applied to columns: opaque, every argument column flows to the result."""
    refs: set[tuple[str, Subtype]] = set()
    origins: set[Origin] = set()
    sources: set[str] = set()
    for a in args:
        if isinstance(a, Str) and a.exact is not None:
            refs.add((a.exact, Subtype.TRANSFORMATION))
        elif isinstance(a, ColExpr):
            origins |= step(a.origins, Subtype.TRANSFORMATION)
            refs |= {(n, compose(Subtype.TRANSFORMATION, s)) for n, s in a.refs}
            sources |= a.sources
    text = call_text(udf.qname, Args(list(args)))
    interp.diag(site.ctx, site.node, "DT302", f"opaque step: all inputs flow to all outputs (UDF {udf.qname})")
    flavor = next((a.flavor for a in args if isinstance(a, ColExpr)), "spark")
    return ColExpr(frozenset(origins), frozenset(refs), text, None, flavor, frozenset(sources),
                   loc=interp.loc(site.ctx, site.node))  # fmt: skip
