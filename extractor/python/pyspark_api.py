"""PySpark: sessions, readers and writers, DataFrame and Column operations, SQL fragments.

A Spark session is a variable assigned from ``SparkSession.builder…getOrCreate()`` (or a name in
``session_names``, ``spark`` by default, as in notebooks). ``F.col("a")`` is a column referred to
by name and resolved against the frame it is applied to; ``F.expr`` and ``selectExpr`` are SQL
fragments parsed with sqlglot; ``spark.sql`` goes through the SQL engine, and
``createOrReplaceTempView`` registers a named intermediate that later ``spark.sql`` can read.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sqlglot import exp, parse_one

from ..model import DatasetKind, Subtype
from ..sql.query_lineage import Origin
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
    opaque,
    rename,
    select_exprs,
    sorted_by,
    str_map,
    text_of,
    to_col,
    transformed,
    udf_call,
)
from .frames import EMPTY, OPAQUE_COLUMN, Col, ColExpr, Frame, clip, step, union_frames
from .interpreter import REGISTRY, Args, Interpreter, Site
from .objects import FunctionVal, Obj
from .sql_strings import run_sql
from .values import NONE, Const, DictVal, ListVal, QName, Str, Unknown, Value

REGISTRY.aliases.update(
    {
        "pyspark.sql.session.SparkSession": "pyspark.sql.SparkSession",
        "pyspark.sql.window.Window": "pyspark.sql.Window",
        "pyspark.sql.dataframe.DataFrame": "pyspark.sql.DataFrame",
        "pyspark.sql.column.Column": "pyspark.sql.Column",
        "databricks.connect.DatabricksSession": "pyspark.sql.SparkSession",
        "databricks.connect.session.DatabricksSession": "pyspark.sql.SparkSession",
    }
)
_FILE_FORMATS = frozenset(
    " ".join(
        [
            "csv parquet json orc text avro xml delta binaryFile image iceberg hudi libsvm",
        ]
    ).split()
)
_TABLE_FORMATS = frozenset(
    " ".join(
        [
            "jdbc bigquery snowflake net.snowflake.spark.snowflake redshift mongo cassandra",
        ]
    ).split()
)
#: Spark functions whose first string argument is not a column name.
_LITERAL_FIRST = frozenset(
    " ".join(
        [
            "lit expr concat_ws format_string when typedLit current_date current_timestamp",
        ]
    ).split()
)


class Session(Obj):
    """A SparkSession (or SQLContext / GlueContext's session)."""

    def __init__(self) -> None:
        super().__init__("pyspark.sql.SparkSession", "spark")


@dataclass
class Reader(Value):
    """``spark.read`` with its format and options so far."""

    fmt: str | None = None
    options: dict[str, Value] = field(default_factory=dict)
    columns: list[str] | None = None

    def __hash__(self) -> int:
        return id(self)


@dataclass
class Writer(Value):
    """``df.write`` / ``df.writeStream`` with its format and options so far."""

    frame: Frame
    fmt: str | None = None
    options: dict[str, Value] = field(default_factory=dict)
    table: Value | None = None  # writeTo(table)

    def __hash__(self) -> int:
        return id(self)


@dataclass(frozen=True)
class WindowSpec(Value):
    """``Window.partitionBy(…).orderBy(…)``: the columns that partition and order a window."""

    refs: frozenset[tuple[str, Subtype]] = frozenset()
    origins: frozenset = frozenset()


def spark_col(name: str) -> ColExpr:
    """``F.col("t.a")``: a column by name, resolved when applied to a frame."""
    short = name.rsplit(".", 1)[-1] if "." in name and not name.startswith("`") else name.strip("`")
    if short == "*":
        return ColExpr(EMPTY, frozenset({("*", Subtype.IDENTITY)}), "<col>", None, "spark", each=())
    return ColExpr(EMPTY, frozenset({(short, Subtype.IDENTITY)}), short, short, "spark")


def as_column(value: Value) -> Value:
    """A string argument where Spark expects a column is a column name."""
    if isinstance(value, Str) and value.exact is not None:
        return spark_col(value.exact)
    return value


def sql_fragment(text: str, flavor: str = "spark") -> ColExpr:
    """A SQL expression (``F.expr``, ``selectExpr``, ``filter("…")``) parsed with sqlglot."""
    try:
        node = parse_one(text, read="spark")
    except Exception:
        return ColExpr(EMPTY, frozenset(), clip(text), text, flavor)
    name = None
    inner = node
    if isinstance(node, exp.Alias):
        name = node.alias
        inner = node.this
    columns = list(inner.find_all(exp.Column))
    if isinstance(inner, exp.Column) and not isinstance(inner.this, exp.Star):
        subtype = Subtype.IDENTITY
        name = name or inner.name
    elif inner.find(exp.AggFunc) is not None:
        subtype = Subtype.AGGREGATION
    else:
        subtype = Subtype.TRANSFORMATION
    if isinstance(inner, exp.Star) or (isinstance(inner, exp.Column) and isinstance(inner.this, exp.Star)):
        return ColExpr(EMPTY, frozenset({("*", Subtype.IDENTITY)}), "<col>", None, flavor, each=())
    refs = frozenset((c.name, subtype) for c in columns if c.name)
    try:
        sql = inner.sql(dialect="spark")
    except Exception:
        sql = text
    return ColExpr(EMPTY, refs, clip(sql), name or sql, flavor, aggregated=subtype is Subtype.AGGREGATION)


# -- sessions -----------------------------------------------------------------------------------


@REGISTRY.prefix("pyspark.sql.SparkSession")
def _builder(interp: Interpreter, site: Site) -> Value:
    short = site.name.rsplit(".", 1)[-1]
    if short in ("getOrCreate", "create", "getActiveSession", "active", "newSession"):
        return Session()
    return QName("pyspark.sql.SparkSession.builder")


@REGISTRY.function(
    "pyspark.SparkContext", "pyspark.sql.SQLContext", "pyspark.sql.HiveContext", "pyspark.SparkContext.getOrCreate",
    "awsglue.context.GlueContext", "pyspark.context.SparkContext",
)  # fmt: skip
def _context(interp: Interpreter, site: Site) -> Value:
    return Session()


def _is_session_name(value: Value, interp: Interpreter) -> bool:
    if not isinstance(value, Unknown):
        return False
    last = value.name.rsplit(".", 1)[-1]
    return last in interp.sink.settings.session_names


@REGISTRY.on("getattr")
def _getattr(interp: Interpreter, site: Site) -> Value | None:
    base = site.receiver
    attr = site.name
    if base is None:
        return None
    if _is_session_name(base, interp) or isinstance(base, Session):
        if attr in ("read", "readStream"):
            return Reader()
        if attr in ("sparkContext", "spark_session", "sparkSession", "_jsparkSession"):
            return Session()
        if attr == "create_dynamic_frame":
            return Obj("awsglue.create_dynamic_frame", "glue_reader")
        if attr == "write_dynamic_frame":
            return Obj("awsglue.write_dynamic_frame", "glue_writer")
        return None
    if isinstance(base, Frame) and base.flavor == "spark" and attr in ("write", "writeStream"):
        return Writer(base)
    if isinstance(base, Unknown) and attr in ("write", "writeStream"):
        return Writer(_unknown_frame(interp, site))
    if isinstance(base, Frame) and base.flavor == "spark" and attr == "na":
        return base
    if isinstance(base, Frame) and base.flavor == "spark" and attr == "sparkSession":
        return Session()
    return None


def _unknown_frame(interp: Interpreter, site: Site) -> Frame:
    node = site.node.value if hasattr(site.node, "value") else site.node
    name = interp.sink.unknown(interp, site.ctx, node, "DT305", "the origin of the DataFrame written here is unknown")
    return Frame("spark", {}, {name}, {name})


@REGISTRY.method(Unknown)
def _unknown_session(interp: Interpreter, receiver: Value, site: Site) -> Value | None:
    if _is_session_name(receiver, interp):
        return session_method(interp, Session(), site)
    return None


@REGISTRY.method(Session)
def session_method(interp: Interpreter, session: Value, site: Site) -> Value | None:
    name = site.name
    args = site.args
    if name == "sql":
        frame = run_sql(interp, site.ctx, args.node(0) or site.node, args.get(0, "sqlQuery"), "spark", flavor="spark")
        return frame if frame is not None else Frame("spark")
    if name == "table":
        return _read_table(interp, site, args.get(0, "tableName"), args.node(0))
    if name == "createDataFrame":
        data = args.get(0, "data")
        schema = _schema_names(args.get(1, "schema"))
        frame = data.copy("spark") if isinstance(data, Frame) else Frame("spark")
        if schema is not None:
            existing = [c for c in frame.columns if c != OPAQUE_COLUMN]
            if len(existing) == len(schema):
                frame.columns = {new: frame.columns[old] for old, new in zip(existing, schema, strict=True)}
            elif not existing:
                origins = frame.all_origins()
                frame.columns = {c: Col(origins, c) for c in schema}
                frame.open = frozenset()
        return frame
    if name in ("range",):
        return Frame("spark", {"id": Col(EMPTY, "id")})
    if name in ("newSession", "getOrCreate"):
        return session
    if name == "stop":
        return NONE
    if name in ("create_dynamic_frame_from_catalog", "create_data_frame_from_catalog"):
        return _glue_read(interp, site)
    if name == "write_dynamic_frame_from_options":
        return _glue_write(interp, site)
    return None


def _schema_names(value: Value | None) -> list[str] | None:
    if isinstance(value, Str) and value.exact is not None:
        names = []
        depth = 0
        current = ""
        for ch in value.exact + ",":
            if ch in "<(":
                depth += 1
            elif ch in ">)":
                depth -= 1
            if ch == "," and depth == 0:
                field_ = current.strip().split()
                if field_:
                    names.append(field_[0].strip("`").rstrip(":"))
                current = ""
            else:
                current += ch
        return names or None
    return names_of(value)


@REGISTRY.function("pyspark.sql.types.StructType")
def _struct_type(interp: Interpreter, site: Site) -> Value:
    fields = site.args.get(0, "fields")
    return fields if isinstance(fields, ListVal) else ListVal()


@REGISTRY.function("pyspark.sql.types.StructField")
def _struct_field(interp: Interpreter, site: Site) -> Value:
    return site.args.get(0, "name") or Unknown("field")


def _read_table(interp: Interpreter, site: Site, table: Value | None, node: object) -> Frame:
    names = interp.sink.table_names(interp, site.ctx, node or site.node, table, None, "spark")  # type: ignore[arg-type]
    return interp.sink.read(interp, site.ctx, site.node, names, DatasetKind.TABLE, "spark")


# -- readers ------------------------------------------------------------------------------------


def _configure(obj: Reader | Writer, name: str, args: Args) -> Reader | Writer | None:
    """``.format()``, ``.option()`` and ``.options()``, shared by DataFrameReader and DataFrameWriter."""
    if name == "format":
        given = args.get(0, "source")
        return replace(obj, fmt=given.exact if isinstance(given, Str) else None, options=dict(obj.options))
    if name == "option":
        key = args.get(0, "key")
        opts = dict(obj.options)
        if isinstance(key, Str) and key.exact is not None:
            opts[key.exact.lower()] = args.get(1, "value") or NONE
        return replace(obj, options=opts)
    if name == "options":
        opts = dict(obj.options)
        opts.update({k.lower(): v for k, v in args.kw.items()})
        return replace(obj, options=opts)
    return None


@REGISTRY.method(Reader)
def reader_method(interp: Interpreter, reader: Value, site: Site) -> Value | None:
    assert isinstance(reader, Reader)
    name = site.name
    args = site.args
    configured = _configure(reader, name, args)
    if configured is not None:
        return configured
    if name == "schema":
        return replace(reader, columns=_schema_names(args.get(0, "schema")), options=dict(reader.options))
    if name == "table":
        return _read_table(interp, site, args.get(0, "tableName"), args.node(0))
    if name == "jdbc":
        table = args.get(1, "table")
        return _read_table(interp, site, table, args.node(1, "table"))
    if name == "load" and (reader.fmt or "").lower() == "kafka":
        names = _kafka_topics(interp, site, reader.options.get("subscribe") or reader.options.get("subscribepattern"))
        return interp.sink.read(interp, site.ctx, site.node, names, DatasetKind.FILE, "spark", list(KAFKA_COLUMNS))
    if name in _FILE_FORMATS or name == "load":
        fmt: str | None = reader.fmt if name == "load" else name
        opts = reader.options
        if fmt in _TABLE_FORMATS or (fmt is None and name == "load" and ("dbtable" in opts or "query" in opts)):
            query = opts.get("query")
            if query is not None:
                dialect = "bigquery" if fmt == "bigquery" else "snowflake" if fmt and "snowflake" in fmt else None
                frame = run_sql(interp, site.ctx, site.node, query, dialect, flavor="spark")
                return frame if frame is not None else Frame("spark")
            table = opts.get("dbtable") or opts.get("table") or args.get(0, "path")
            return _read_table(interp, site, table, None)
        paths: Value | None = args.get(0, "path") or opts.get("path")
        if len(args.pos) > 1:
            paths = ListVal(args.pos)
        names = interp.sink.path_names(interp, site.ctx, args.node(0, "path") or site.node, paths)
        return interp.sink.read(interp, site.ctx, site.node, names, DatasetKind.FILE, "spark", reader.columns)
    return reader


@REGISTRY.method(Obj)
def _glue(interp: Interpreter, obj: Value, site: Site) -> Value | None:
    assert isinstance(obj, Obj)
    if obj.kind == "glue_reader" and site.name in ("from_catalog", "from_options"):
        return _glue_read(interp, site)
    if obj.kind == "glue_writer" and site.name in ("from_options", "from_catalog", "from_jdbc_conf"):
        return _glue_write(interp, site)
    return None


def _glue_read(interp: Interpreter, site: Site) -> Value:
    args = site.args
    if "table_name" in args.kw:
        db = args.kw.get("database")
        table = args.kw["table_name"]
        value = Str.of(f"{db.text}.").concat(table) if isinstance(db, Str) and isinstance(table, Str) else table
        return _read_table(interp, site, value, None)
    opts = args.kw.get("connection_options")
    if isinstance(opts, DictVal) and "dbtable" in opts.items:
        # A JDBC source (``connection_type="postgresql"``, ``"mysql"`` …): the table it names.
        return _read_table(interp, site, opts.items["dbtable"], None)
    paths = opts.items.get("paths") or opts.items.get("path") if isinstance(opts, DictVal) else None
    names = interp.sink.path_names(interp, site.ctx, site.node, paths)
    return interp.sink.read(interp, site.ctx, site.node, names, DatasetKind.FILE, "spark")


def _glue_write(interp: Interpreter, site: Site) -> Value:
    args = site.args
    frame = args.kw.get("frame") or args.get(0)
    if "table_name" in args.kw:
        db = args.kw.get("database")
        table = args.kw["table_name"]
        value = Str.of(f"{db.text}.").concat(table) if isinstance(db, Str) and isinstance(table, Str) else table
        names = interp.sink.table_names(interp, site.ctx, site.node, value, None, "spark")
        interp.sink.write(interp, site.ctx, site.node, frame, names, DatasetKind.TABLE, "glue.write_dynamic_frame")
        return NONE
    opts = args.kw.get("connection_options")
    path = opts.items.get("path") if isinstance(opts, DictVal) else None
    if isinstance(opts, DictVal) and "dbtable" in opts.items:
        names = interp.sink.table_names(interp, site.ctx, site.node, opts.items["dbtable"], None)
        interp.sink.write(interp, site.ctx, site.node, frame, names, DatasetKind.TABLE, "glue.write_dynamic_frame")
        return NONE
    names = interp.sink.path_names(interp, site.ctx, site.node, path)
    interp.sink.write(interp, site.ctx, site.node, frame, names, DatasetKind.FILE, "glue.write_dynamic_frame")
    return NONE


@REGISTRY.function("awsglue.dynamicframe.DynamicFrame.fromDF")
def _from_df(interp: Interpreter, site: Site) -> Value:
    frame = site.args.get(0, "dataframe")
    return frame.copy("spark") if isinstance(frame, Frame) else Frame("spark")


@REGISTRY.function("awsglue.transforms.ApplyMapping.apply")
def _apply_mapping(interp: Interpreter, site: Site) -> Value:
    frame = site.args.kw.get("frame") or site.args.get(0)
    return apply_mapping(frame, site.args.kw.get("mappings"))


def apply_mapping(frame: Value | None, mappings: Value | None) -> Value:
    """Glue's ``ApplyMapping.apply(frame=…, mappings=[(src, type, dst, type), …])`` and
    ``DynamicFrame.apply_mapping(mappings)``: only the mapped columns, renamed."""
    if not isinstance(frame, Frame) or not isinstance(mappings, ListVal):
        return frame if frame is not None else Frame("spark")
    columns: dict[str, Col] = {}
    for m in mappings.items:
        if isinstance(m, ListVal) and len(m.items) >= 3:
            src, dst = m.items[0], m.items[2]
            if isinstance(src, Str) and isinstance(dst, Str) and src.exact and dst.exact:
                col = frame.column(src.exact)
                columns[dst.exact] = col if col is not None else Col(EMPTY, src.exact)
    result = frame.copy("spark", columns)
    result.open = frozenset()
    return result


#: The columns every Kafka source has (Spark's Kafka integration).
KAFKA_COLUMNS = ("key", "value", "topic", "partition", "offset", "timestamp", "timestampType")


def _kafka_topics(interp: Interpreter, site: Site, topics: Value | None) -> list[str]:
    """``kafka://<topic>`` for each topic of a ``subscribe`` / ``topic`` option (comma-separated)."""
    if isinstance(topics, Str) and topics.exact:
        value: Value = ListVal(Str.of(f"kafka://{t.strip()}") for t in topics.exact.split(",") if t.strip())
    else:
        value = topics if topics is not None else Unknown("topic", "Kafka topic option not given")
    return interp.sink.path_names(interp, site.ctx, site.node, value)


# -- writers ------------------------------------------------------------------------------------


@REGISTRY.method(Writer)
def writer_method(interp: Interpreter, writer: Value, site: Site) -> Value | None:
    assert isinstance(writer, Writer)
    name = site.name
    args = site.args
    sink = interp.sink
    configured = _configure(writer, name, args)
    if configured is not None:
        return configured
    if name in ("mode", "partitionBy", "bucketBy", "sortBy", "trigger", "outputMode", "queryName", "using",
                "partitionedBy", "tableProperty", "clusterBy", "checkpointLocation"):  # fmt: skip
        return writer
    v2 = ("create", "replace", "createOrReplace", "append", "overwrite", "overwritePartitions")
    if name in ("saveAsTable", "insertInto", "toTable") or (writer.table is not None and name in v2):
        table = writer.table if writer.table is not None else args.get(0, "name") or args.get(0, "tableName")
        names = sink.table_names(interp, site.ctx, args.node(0) or site.node, table, None, "spark")
        sink.write(interp, site.ctx, site.node, writer.frame, names, DatasetKind.TABLE, f"spark.{name}")
        return NONE
    if name == "jdbc":
        names = sink.table_names(interp, site.ctx, args.node(1, "table") or site.node, args.get(1, "table"))
        sink.write(interp, site.ctx, site.node, writer.frame, names, DatasetKind.TABLE, "spark.jdbc")
        return NONE
    if name == "foreachBatch":
        func = args.get(0, "func")
        if func is not None:
            interp.call_value(func, Args([writer.frame, Unknown("batch_id")]), site.ctx, site.node)
        return writer
    if name in ("save", "start") and (writer.fmt or "").lower() == "kafka":
        names = _kafka_topics(interp, site, writer.options.get("topic"))
        sink.write(interp, site.ctx, site.node, writer.frame, names, DatasetKind.FILE, "spark.kafka")
        return NONE
    if name in _FILE_FORMATS or name in ("save", "start"):
        out_fmt: str | None = writer.fmt if name in ("save", "start") else name
        opts = writer.options
        if out_fmt in _TABLE_FORMATS or "dbtable" in opts:
            table = opts.get("dbtable") or opts.get("table")
            names = sink.table_names(interp, site.ctx, site.node, table)
            sink.write(interp, site.ctx, site.node, writer.frame, names, DatasetKind.TABLE, f"spark.{out_fmt}")
            return NONE
        path = args.get(0, "path") or opts.get("path")
        if path is None and name == "start":
            return NONE
        names = sink.path_names(interp, site.ctx, args.node(0, "path") or site.node, path)
        sink.write(interp, site.ctx, site.node, writer.frame, names, DatasetKind.FILE, f"spark.{out_fmt or name}")
        return NONE
    return writer


# -- functions (F.*) and windows ------------------------------------------------------------------


@REGISTRY.prefix("pyspark.sql.functions.", "pyspark.sql.connect.functions.")
def _functions(interp: Interpreter, site: Site) -> Value | None:
    short = site.name.rsplit(".", 1)[-1]
    args = site.args
    loc = interp.loc(site.ctx, site.node)
    if short in ("col", "column"):
        value = args.get(0, "col")
        if isinstance(value, Str) and value.exact is not None:
            return spark_col(value.exact)
        return Unknown(interp.code(site.ctx, site.node), "column name not known statically")
    if short == "lit":
        value = args.get(0) or NONE
        literal = isinstance(value, Const | Str)  # a string with holes is still no column
        return ColExpr(EMPTY, frozenset(), text_of(value), None, "spark", loc=loc, constant=literal)
    if short == "expr":
        value = args.get(0, "str")
        if isinstance(value, Str) and value.exact is not None:
            return replace(sql_fragment(value.exact), loc=loc)
        return Unknown(interp.code(site.ctx, site.node), "SQL fragment not known statically")
    if short in ("udf", "pandas_udf"):
        func = args.get(0, "f")
        if isinstance(func, FunctionVal):
            return Obj(func.name, "udf")
        return Obj("udf", "udf_factory")
    if short == "broadcast":
        return args.get(0) or NONE
    if short == "when":
        cond, value = args.get(0, "condition"), args.get(1, "value")
        return _when(cond, value, loc)
    values = [as_column(v) if i == 0 and short not in _LITERAL_FIRST else v for i, v in enumerate(args.pos)]
    if short == "concat_ws":
        values = [values[0], *(as_column(v) for v in values[1:])]
    if short in ("struct", "array", "concat", "coalesce", "greatest", "least", "create_map", "named_struct"):
        values = [as_column(v) for v in values]
    values.extend(args.kw.values())
    subtype = Subtype.AGGREGATION if short in AGGREGATES else Subtype.TRANSFORMATION
    inner = [v.name for v in values if isinstance(v, ColExpr) and v.name]
    name = f"{short}({', '.join(inner)})" if inner else short
    if not any(isinstance(v, ColExpr) for v in values):
        return ColExpr(EMPTY, frozenset(), call_text(short, args), name, "spark", loc=loc)
    result = combine(values, call_text(short, Args(values)), loc, subtype, name)
    return result


def _when(cond: Value | None, value: Value | None, loc: object) -> Value:
    cond_origins = set()
    refs = set()
    if isinstance(cond, ColExpr):
        cond_origins |= {o for o in cond.origins}
        refs |= {(n, Subtype.CONDITIONAL) for n, _ in cond.refs}
    base = as_column(value) if isinstance(value, ColExpr) else value
    out = combine([base] if isinstance(base, ColExpr) else [], f"CASE WHEN … THEN {text_of(value or NONE)}", None)
    if not isinstance(out, ColExpr):
        out = ColExpr(EMPTY, frozenset(), f"CASE WHEN … THEN {text_of(value or NONE)}", None, "spark")
    conditions = frozenset(o.__class__(o.table, o.column, Subtype.CONDITIONAL) for o in cond_origins)
    return replace(out, refs=out.refs | frozenset(refs), conditions=out.conditions | conditions, name=None,
                   flavor="spark")  # fmt: skip


@REGISTRY.prefix("pyspark.sql.Window")
def _window(interp: Interpreter, site: Site) -> Value:
    return _window_add(WindowSpec(), site)


def _window_add(spec: WindowSpec, site: Site) -> WindowSpec:
    refs = set(spec.refs)
    short = site.name.rsplit(".", 1)[-1]
    if short in ("partitionBy", "orderBy"):
        for value in site.args.pos:
            items = value.items if isinstance(value, ListVal) else [value]
            for item in items:
                if isinstance(item, Str) and item.exact is not None:
                    refs.add((item.exact, Subtype.WINDOW))
                elif isinstance(item, ColExpr):
                    refs |= {(n, Subtype.WINDOW) for n, _ in item.refs}
    return WindowSpec(frozenset(refs), spec.origins)


@REGISTRY.method(WindowSpec)
def _window_method(interp: Interpreter, spec: Value, site: Site) -> Value:
    assert isinstance(spec, WindowSpec)
    return _window_add(spec, site)


@REGISTRY.method(ColExpr)
def column_method(interp: Interpreter, expr: Value, site: Site) -> Value | None:
    assert isinstance(expr, ColExpr)
    if expr.flavor != "spark":
        return None
    name = site.name
    args = site.args
    loc = interp.loc(site.ctx, site.node)
    if name in ("alias", "name", "as_"):
        label = args.get(0, "alias")
        return replace(expr, name=label.exact if isinstance(label, Str) else expr.name)
    if name == "over":
        spec = args.get(0, "window")
        if isinstance(spec, WindowSpec):
            return replace(expr, refs=expr.refs | spec.refs, text=f"{expr.text} OVER (…)")
        return expr
    if name == "otherwise":
        other = args.get(0, "value") or NONE
        result = combine([expr, other], f"{expr.text} ELSE {text_of(other)}", loc)
        return replace(result, name=None) if isinstance(result, ColExpr) else result
    if name == "when":
        added = _when(args.get(0, "condition"), args.get(1, "value"), loc)
        if isinstance(added, ColExpr):
            merged = combine([expr, added], f"{expr.text} WHEN …", loc)
            return replace(merged, name=None) if isinstance(merged, ColExpr) else merged
        return expr
    if name in ("asc", "desc", "asc_nulls_first", "asc_nulls_last", "desc_nulls_first", "desc_nulls_last"):
        return expr
    if name in ("cast", "astype"):
        return transformed(expr, f"CAST({expr.text} AS {text_of(args.get(0) or NONE)})", name=expr.name)
    others = [v for v in args.values() if isinstance(v, ColExpr)]
    return combine([expr, *others], call_text(name, args, expr), loc, name=expr.name)


# -- DataFrame methods --------------------------------------------------------------------------


def _outputs(frame: Frame, values: list[Value]) -> list[tuple[str, Value]]:
    outputs: list[tuple[str, Value]] = []
    for value in values:
        if isinstance(value, ListVal):
            outputs.extend(_outputs(frame, value.items))
            continue
        value = as_column(value)
        if isinstance(value, ColExpr):
            if value.each is not None:
                if value.each == () and not value.origins and value.text == "<col>":
                    outputs.append(("*", value))
                else:
                    outputs.extend(expand(frame, value))
            else:
                outputs.append((value.name or clip(value.text), value))
        elif isinstance(value, Unknown):
            outputs.append(("*", value))
    return outputs


@REGISTRY.method(Frame)
def frame_method(interp: Interpreter, frame: Value, site: Site) -> Value | None:
    assert isinstance(frame, Frame)
    if frame.flavor != "spark":
        return None
    name = site.name
    args = site.args
    text = interp.code(site.ctx, site.node)
    loc = interp.loc(site.ctx, site.node)
    if name == "apply_mapping":
        return apply_mapping(frame, args.get(0, "mappings"))
    if name == "select":
        return select_exprs(frame, _outputs(frame, args.pos))
    if name == "selectExpr":
        exprs: list[Value] = []
        for v in args.pos:
            items = v.items if isinstance(v, ListVal) else [v]
            for item in items:
                exprs.append(sql_fragment(item.exact) if isinstance(item, Str) and item.exact else item)
        return select_exprs(frame, _outputs(frame, exprs))
    if name == "withColumn":
        col_name = args.get(0, "colName")
        value = args.get(1, "col")
        result = frame.copy()
        if isinstance(col_name, Str) and col_name.exact is not None and value is not None:
            _set(result, col_name.exact, value)
        return result
    if name == "withColumns":
        mapping = args.get(0, "colsMap")
        result = frame.copy()
        if isinstance(mapping, DictVal):
            for key, value in mapping.items.items():
                if isinstance(key, str):
                    _set(result, key, value)
        return result
    if name == "withColumnRenamed":
        old, new = args.get(0, "existing"), args.get(1, "new")
        if isinstance(old, Str) and isinstance(new, Str) and old.exact and new.exact:
            return rename(frame, {old.exact: new.exact})
        return frame.copy()
    if name == "withColumnsRenamed":
        renames = str_map(args.get(0, "colsMap"))
        return rename(frame, renames) if renames else frame.copy()
    if name == "toDF":
        names = [a.exact for a in args.pos if isinstance(a, Str) and a.exact]
        existing = [c for c in frame.columns if c != OPAQUE_COLUMN]
        if names and len(existing) == len(names):
            return frame.copy(None, {n: frame.columns[o] for o, n in zip(existing, names, strict=True)})
        return frame.copy()
    if name == "drop":
        names = []
        for v in args.pos:
            names.extend(names_of(v) or [])
        return drop(frame, names)
    if name in ("filter", "where"):
        cond = args.get(0, "condition")
        if isinstance(cond, Str) and cond.exact is not None:
            cond = sql_fragment(cond.exact)
        return filtered(frame, cond or NONE, text)
    if name == "join":
        return _join(interp, frame, site, text)
    if name == "crossJoin":
        other = args.get(0)
        return join(frame, other, [], [], text) if isinstance(other, Frame) else frame.copy()
    if name in ("groupBy", "groupby", "rollup", "cube"):
        return _group(frame, args.pos)
    if name == "agg":
        return _agg(interp, GroupBy(frame, []), site)
    if name in ("orderBy", "sort", "sortWithinPartitions"):
        return sorted_by(frame, [as_column(v) for v in args.pos], text)
    if name in ("union", "unionAll", "unionByName", "intersect", "subtract", "exceptAll", "intersectAll"):
        other = args.get(0, "other")
        if isinstance(other, Frame):
            if name == "unionByName":
                return union_frames([frame, other], "spark")
            return _union_positional(frame, other)
        return frame.copy()
    if name in ("createOrReplaceTempView", "createTempView", "createOrReplaceGlobalTempView", "createGlobalTempView",
                "registerTempTable"):  # fmt: skip
        view = args.get(0, "name")
        names = interp.sink.table_names(interp, site.ctx, args.node(0) or site.node, view, None, "spark")
        interp.sink.write(interp, site.ctx, site.node, frame, names, DatasetKind.TEMPORARY, f"spark.{name}")
        return NONE
    if name == "writeTo":
        return Writer(frame, table=args.get(0, "table"))
    if name in ("toPandas", "to_pandas_on_spark", "pandas_api"):
        return frame.copy("pandas")
    if name in ("mapInPandas", "mapInArrow", "mapPartitions", "flatMap", "map", "foreachPartition"):
        interp.diag(site.ctx, site.node, "DT302", f"opaque step: all inputs flow to all outputs ({name})")
        return opaque(interp, site, [frame], text, "spark")
    if name == "transform":
        func = args.get(0, "func")
        if func is not None:
            return interp.call_value(func, Args([frame, *args.pos[1:]], dict(args.kw)), site.ctx, site.node)
    if name in ("fillna", "replace", "fill"):
        subset = names_of(args.get(1, "subset"))
        result = frame.copy()
        targets = subset if subset is not None else list(frame.columns)
        for c in targets:
            col = frame.columns.get(c)
            if col is not None:
                result.columns[c] = Col(step(col.origins, Subtype.TRANSFORMATION), f"coalesce({col.text}, …)", loc)
        return result
    if name in ("count", "collect", "show", "printSchema", "explain", "take", "first", "head", "isEmpty",
                "toLocalIterator", "foreach", "tail"):  # fmt: skip
        return frame.copy("data") if name in ("collect", "take", "head", "tail", "first") else NONE
    if name == "rdd":
        return frame
    return frame.copy()


def _set(frame: Frame, name: str, value: Value) -> None:
    if isinstance(value, ColExpr):
        frame.columns[name] = to_col(value, frame)
        frame.sources |= value.sources
    else:
        frame.columns[name] = Col(EMPTY, text_of(value))


def _union_positional(left: Frame, right: Frame) -> Frame:
    cols: dict[str, Col] = {}
    rcols = list(right.columns.values())
    for i, (name, col) in enumerate(left.columns.items()):
        other = rcols[i] if i < len(rcols) else None
        cols[name] = Col(col.origins | (other.origins if other else EMPTY), col.text, col.loc)
    result = Frame("spark", cols, left.open | right.open, left.sources | right.sources,
                   {**left.indirect, **right.indirect})  # fmt: skip
    return result


def _join(interp: Interpreter, frame: Frame, site: Site, text: str) -> Frame:
    other = site.args.get(0, "other")
    on = site.args.get(1, "on")
    if not isinstance(other, Frame):
        return frame.copy()
    if on is None:
        return join(frame, other, [], [], text)
    names = names_of(on) if isinstance(on, Str | ListVal) else None
    if names is not None and all(isinstance(i, Str) for i in (on.items if isinstance(on, ListVal) else [on])):
        return join(frame, other, names, names, text, (None, None))  # type: ignore[arg-type]
    extra: set[Origin] = set()
    for cond in on.items if isinstance(on, ListVal) else [on]:
        if isinstance(cond, ColExpr):
            extra |= cond.resolve(frame) | cond.resolve(other)
    return join(frame, other, [], [], text, (None, None), extra=extra)  # type: ignore[arg-type]


def _group(frame: Frame, values: list[Value]) -> GroupBy:
    keys: list[tuple[str, frozenset]] = []
    for value in values:
        items = value.items if isinstance(value, ListVal) else [value]
        for item in items:
            expr = as_column(item)
            if isinstance(expr, ColExpr):
                keys.append((expr.name or expr.text, expr.resolve(frame)))
    return GroupBy(frame, keys)


@REGISTRY.method(GroupBy)
def group_method(interp: Interpreter, group: Value, site: Site) -> Value | None:
    assert isinstance(group, GroupBy)
    if group.frame.flavor != "spark":
        return None
    name = site.name
    loc = interp.loc(site.ctx, site.node)
    if name == "agg":
        return _agg(interp, group, site)
    if name == "pivot":
        pivot = as_column(site.args.get(0, "pivot_col") or NONE)
        return GroupBy(group.frame, group.keys, group.selection, pivot if isinstance(pivot, ColExpr) else None)
    if name in ("applyInPandas", "apply", "applyInArrow", "flatMapGroupsWithState"):
        interp.diag(site.ctx, site.node, "DT302", f"opaque step: all inputs flow to all outputs ({name})")
        result = opaque(interp, site, [group.frame], interp.code(site.ctx, site.node), "spark")
        return result
    if name in AGGREGATES or name == "count":
        columns = [a.exact for a in site.args.pos if isinstance(a, Str) and a.exact]
        outputs = []
        if name == "count":
            result = aggregate(group, [], "GROUP BY")
            result.columns["count"] = Col(EMPTY, "count(1)", loc)
            return result
        for c in columns:
            outputs.append((f"{name}({c})", ColExpr(EMPTY, frozenset({(c, Subtype.AGGREGATION)}), f"{name}({c})",
                                                    f"{name}({c})", "spark", aggregated=True)))  # fmt: skip
        return aggregate(group, outputs, "GROUP BY " + ", ".join(k for k, _ in group.keys))
    return None


def _agg(interp: Interpreter, group: GroupBy, site: Site) -> Frame:
    outputs: list[tuple[str, ColExpr]] = []
    for value in site.args.pos:
        if isinstance(value, DictVal):
            for key, func in value.items.items():
                if isinstance(key, str) and isinstance(func, Str) and func.exact:
                    label = f"{func.exact}({key})"
                    outputs.append((label, ColExpr(EMPTY, frozenset({(key, Subtype.AGGREGATION)}), label, label,
                                                   "spark", aggregated=True)))  # fmt: skip
            continue
        items = value.items if isinstance(value, ListVal) else [value]
        for item in items:
            if isinstance(item, ColExpr):
                outputs.append((item.name or item.text, item))
    if group.pivot is not None:
        frame = aggregate(group, [], "GROUP BY")
        origins = frozenset(o for _, e in outputs for o in e.resolve(group.frame))
        frame.columns[OPAQUE_COLUMN] = Col(step(origins, Subtype.AGGREGATION), "pivot", interp.loc(site.ctx, site.node))
        return frame
    return aggregate(group, outputs, "GROUP BY " + ", ".join(k for k, _ in group.keys))


@REGISTRY.on("adopt")
def _adopt_session(interp: Interpreter, site: Site) -> Value | None:
    if site.receiver is not None and _is_session_name(site.receiver, interp):
        return Session()
    return None


@REGISTRY.method(Obj)
def _udf_factory(interp: Interpreter, obj: Value, site: Site) -> Value | None:
    assert isinstance(obj, Obj)
    if obj.kind == "udf" and site.name in ("asNondeterministic", "withReturnType"):
        return obj
    if obj.qname == "udf" and site.name == "register":
        return Obj("udf", "udf")
    return None


@REGISTRY.on("decorated")
def _udf_decorator(interp: Interpreter, site: Site) -> Value | None:
    fn = site.args.pos[0]
    if isinstance(fn, FunctionVal) and fn.has_decorator("udf", "pandas_udf"):
        return Obj(fn.name, "udf")
    return None


@REGISTRY.on("call_object", first=True)
def _call_udf(interp: Interpreter, site: Site) -> Value | None:
    callee = site.receiver
    if isinstance(callee, Obj) and callee.kind == "udf":
        return udf_call(interp, site, callee, [as_column(v) for v in site.args.values()])
    if isinstance(callee, Obj) and callee.kind == "udf_factory":
        fn = site.args.get(0)
        if isinstance(fn, FunctionVal):
            return Obj(fn.name, "udf")
    return None


__all__ = ["Reader", "Session", "Writer", "frame_method", "sql_fragment"]
