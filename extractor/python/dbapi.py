"""SQL run through connections: DB-API cursors, SQLAlchemy, DuckDB, and warehouse clients.

``execute(sql)`` on any connection-like object runs the SQL through the SQL engine (when the
string reads as SQL); a cursor remembers its last query so ``fetchall()`` returns its rows.
BigQuery's client, Snowflake's ``write_pandas`` and psycopg's ``copy_expert`` / ``copy_from``
are understood as the table and file transfers they are.
"""

from __future__ import annotations

from ..model import DatasetKind
from .connections import dialect_of_module, dialect_of_url
from .frames import Frame
from .interpreter import REGISTRY, Interpreter, Site
from .objects import FileHandle, Obj
from .sql_strings import looks_like_sql, run_sql
from .values import NONE, Str, Unknown, Value

_EXECUTE = frozenset(
    " ".join(
        [
            "execute executemany executescript exec_driver_sql sql query run run_query execute_string",
            "execute_stream execute_async read_sql raw_sql get_pandas_df get_records get_first get_df",
            "run_sql",
        ]
    ).split()
)
_FETCH = frozenset(
    " ".join(
        [
            "fetchall fetchone fetchmany fetch_pandas_all fetch_pandas_batches fetchdf fetch_df df pl",
            "arrow fetch_arrow_table to_dataframe result",
        ]
    ).split()
)


def _dialect(receiver: Obj) -> str | None:
    return receiver.dialect or dialect_of_module(receiver.qname)


@REGISTRY.function("sqlalchemy.text", "sqlalchemy.sql.text", "sqlalchemy.sql.expression.text")
def _text(interp: Interpreter, site: Site) -> Value:
    return site.args.get(0, "text") or Unknown("text()")


def execute(interp: Interpreter, receiver: Obj | None, site: Site, dialect: str | None) -> Value | None:
    sql = site.args.get(0) or site.args.kw.get("sql") or site.args.kw.get("query") or site.args.kw.get("statement")
    if sql is None:
        return None
    if isinstance(sql, Unknown):
        if receiver is None or receiver.kind not in ("cursor", "connection"):
            return None
        name = interp.sink.unknown(interp, site.ctx, site.args.node(0) or site.node, "DT303",
                                   "SQL built at run time could not be recovered")  # fmt: skip
        frame = Frame("pandas", {}, {name}, {name})
    elif not looks_like_sql(sql):
        return None
    else:
        params = site.args.get(1) if site.name in ("execute", "executemany") else None
        node = site.args.node(0) or site.node
        found = run_sql(interp, site.ctx, node, sql, dialect, data=params, dbapi=True)
        frame = found if found is not None else Frame("pandas")
    if receiver is not None:
        receiver.last_result = frame
        if receiver.kind == "object":
            receiver.kind = "cursor"
    return frame


@REGISTRY.on("adopt")
def _adopt_cursor(interp: Interpreter, site: Site) -> Value | None:
    if site.name in _EXECUTE and any(looks_like_sql(v) for v in site.args.pos[:1]):
        return Obj("connection", "cursor")
    return None


@REGISTRY.method(Obj)
def _connection(interp: Interpreter, receiver: Value, site: Site) -> Value | None:
    assert isinstance(receiver, Obj)
    if receiver.kind in ("estimator", "loaded", "udf", "spark"):
        return None
    name = site.name
    args = site.args
    dialect = _dialect(receiver)
    if name in _EXECUTE:
        return execute(interp, receiver, site, dialect)
    if name in _FETCH and receiver.last_result is not None:
        return receiver.last_result
    if name in ("cursor", "connect", "begin", "raw_connection", "__enter__", "get_conn", "get_sqlalchemy_engine"):
        return Obj(receiver.qname, "connection", _dialect(receiver))
    if name == "load_table_from_dataframe":
        tables = interp.sink.table_names(interp, site.ctx, args.node(1) or site.node, args.get(1, "destination"),
                                         None, "bigquery")  # fmt: skip
        interp.sink.write(interp, site.ctx, site.node, args.get(0, "dataframe"), tables, DatasetKind.TABLE,
                          "bigquery.load_table_from_dataframe")  # fmt: skip
        return Obj("load_job")
    if name in ("load_table_from_uri", "load_table_from_file", "load_table_from_json"):
        source = args.get(0)
        tables = interp.sink.table_names(interp, site.ctx, args.node(1) or site.node, args.get(1, "destination"),
                                         None, "bigquery")  # fmt: skip
        if name == "load_table_from_json":
            data: Value = source or NONE
        else:
            paths = interp.sink.path_names(interp, site.ctx, args.node(0) or site.node, source)
            data = interp.sink.read(interp, site.ctx, site.node, paths, DatasetKind.FILE, "data")
        interp.sink.write(interp, site.ctx, site.node, data, tables, DatasetKind.TABLE, f"bigquery.{name}")
        return Obj("load_job")
    if name == "extract_table":
        tables = interp.sink.table_names(interp, site.ctx, args.node(0) or site.node, args.get(0), None, "bigquery")
        frame = interp.sink.read(interp, site.ctx, site.node, tables, DatasetKind.TABLE, "data")
        paths = interp.sink.path_names(interp, site.ctx, args.node(1) or site.node, args.get(1))
        interp.sink.write(interp, site.ctx, site.node, frame, paths, DatasetKind.FILE, "bigquery.extract_table")
        return Obj("extract_job")
    if name == "copy_table":
        sources = interp.sink.table_names(interp, site.ctx, args.node(0) or site.node, args.get(0), None, "bigquery")
        frame = interp.sink.read(interp, site.ctx, site.node, sources, DatasetKind.TABLE, "data")
        targets = interp.sink.table_names(interp, site.ctx, args.node(1) or site.node, args.get(1), None, "bigquery")
        interp.sink.write(interp, site.ctx, site.node, frame, targets, DatasetKind.TABLE, "bigquery.copy_table")
        return Obj("copy_job")
    if name in ("insert_rows", "insert_rows_json", "insert_rows_from_dataframe"):
        tables = interp.sink.table_names(interp, site.ctx, args.node(0) or site.node, args.get(0), None, "bigquery")
        interp.sink.write(interp, site.ctx, site.node, args.get(1) or NONE, tables, DatasetKind.TABLE,
                          f"bigquery.{name}")  # fmt: skip
        return NONE
    if name == "copy_expert":
        handle = args.get(1, "file") or args.get(1, "filename")
        path = None
        if isinstance(handle, FileHandle | Str):
            target = handle.path if isinstance(handle, FileHandle) else handle
            names = interp.sink.path_names(interp, site.ctx, args.node(1) or site.node, target)
            path = names[0] if names else None
        run_sql(interp, site.ctx, args.node(0) or site.node, args.get(0, "sql"), "postgres", stdio=path or "STDIN")
        return NONE
    if name in ("copy_from", "copy_to"):
        handle = args.get(0, "file")
        table = args.get(1, "table")
        tables = interp.sink.table_names(interp, site.ctx, args.node(1) or site.node, table, None, "postgres")
        file_value = handle.path if isinstance(handle, FileHandle) else handle
        paths = interp.sink.path_names(interp, site.ctx, args.node(0) or site.node, file_value)
        if name == "copy_from":
            data = interp.sink.read(interp, site.ctx, site.node, paths, DatasetKind.FILE, "data")
            interp.sink.write(interp, site.ctx, site.node, data, tables, DatasetKind.TABLE, "psycopg.copy_from")
        else:
            data = interp.sink.read(interp, site.ctx, site.node, tables, DatasetKind.TABLE, "data")
            interp.sink.write(interp, site.ctx, site.node, data, paths, DatasetKind.FILE, "psycopg.copy_to")
        return NONE
    return None


@REGISTRY.function(
    "duckdb.sql", "duckdb.query", "duckdb.execute", "pandasql.sqldf", "duckdb.query_df",
    "snowflake.snowpark.Session.sql",
)  # fmt: skip
def _module_sql(interp: Interpreter, site: Site) -> Value | None:
    sql = site.args.get(0)
    dialect = "duckdb" if site.name.startswith("duckdb") else "sqlite" if "pandasql" in site.name else None
    frame = run_sql(interp, site.ctx, site.args.node(0) or site.node, sql, dialect)
    return frame if frame is not None else Frame("pandas")


@REGISTRY.function(
    "snowflake.connector.pandas_tools.write_pandas", "snowflake.connector.pandas_tools.pd_writer",
)  # fmt: skip
def _write_pandas(interp: Interpreter, site: Site) -> Value:
    args = site.args
    table = args.get(2, "table_name")
    schema = args.kw.get("schema")
    database = args.kw.get("database")
    if isinstance(database, Str) and isinstance(schema, Str):
        schema = Str.of(f"{database.text}.{schema.text}")
    tables = interp.sink.table_names(interp, site.ctx, args.node(2, "table_name") or site.node, table, schema,
                                     "snowflake")  # fmt: skip
    interp.sink.write(interp, site.ctx, site.node, args.get(1, "df"), tables, DatasetKind.TABLE,
                      "snowflake.write_pandas")  # fmt: skip
    return NONE


@REGISTRY.function("pandas_gbq.read_gbq")
def _read_gbq(interp: Interpreter, site: Site) -> Value:
    from .pandas_api import read_sql

    return read_sql(interp, site, "read_gbq")


@REGISTRY.function("pandas_gbq.to_gbq")
def _to_gbq(interp: Interpreter, site: Site) -> Value:
    table = site.args.get(1, "destination_table")
    tables = interp.sink.table_names(interp, site.ctx, site.args.node(1) or site.node, table, None, "bigquery")
    interp.sink.write(interp, site.ctx, site.node, site.args.get(0, "dataframe"), tables, DatasetKind.TABLE,
                      "pandas_gbq.to_gbq")  # fmt: skip
    return NONE


@REGISTRY.on("generic")
def _connect(interp: Interpreter, site: Site) -> Value | None:
    """``create_engine(url)``, ``psycopg2.connect(…)``, ``bigquery.Client()``: connection objects."""
    short = site.name.rsplit(".", 1)[-1]
    connecting = short in _CONNECT or short.endswith("Hook")
    dialect = dialect_of_module(site.name)
    known = dialect or site.name.startswith(("sqlalchemy", "airflow", "google.cloud", "snowflake"))
    if not (connecting and known):
        return None
    url = site.args.get(0, "url")
    if isinstance(url, Str) and url.exact:
        dialect = dialect_of_url(url.exact) or dialect
    return Obj(site.name, "connection", dialect)


_CONNECT = frozenset(
    " ".join(["connect create_engine Client Connection Engine Session sessionmaker create_async_engine Hook"]).split()
)
