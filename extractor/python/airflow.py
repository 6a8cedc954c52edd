"""Airflow DAG files: SQL operators, BigQuery jobs, Python callables, transfers and task order.

An operator's SQL (inline, a list, or a ``.sql`` file found through ``template_searchpath``) is
rendered as a Jinja template with placeholders and analysed by the SQL engine. ``PythonOperator``
and ``@task`` functions are interpreted like any other function. Every job found inside a task is
tagged with the task and DAG ids, and the task order (``>>``, ``set_downstream``, ``chain``) is
attached to those jobs as ``airflow_upstream``; it is never mistaken for data lineage.
"""

from __future__ import annotations

import itertools
import posixpath
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..model import DatasetKind, Location
from .interpreter import REGISTRY, Args, Ctx, Interpreter, Site, Task
from .objects import ClassVal, FunctionVal, Obj
from .project import TEMPLATE_EXTENSIONS
from .sql_strings import run_sql
from .templating import Holes, render_template
from .values import NONE, DictVal, ListVal, QName, Str, Value, options

_SQL_DIALECTS = {
    "PostgresOperator": "postgres", "MySqlOperator": "mysql", "SnowflakeOperator": "snowflake",
    "SnowflakeSqlApiOperator": "snowflake", "BigQueryExecuteQueryOperator": "bigquery",
    "BigQueryOperator": "bigquery", "MsSqlOperator": "tsql", "OracleOperator": "oracle",
    "RedshiftSQLOperator": "redshift", "RedshiftDataOperator": "redshift", "TrinoOperator": "trino",
    "DatabricksSqlOperator": "databricks", "SqliteOperator": "sqlite", "HiveOperator": "hive",
    "SparkSqlOperator": "spark", "AthenaOperator": "athena", "ClickHouseOperator": "clickhouse",
    "PrestoOperator": "presto", "JdbcOperator": None, "SQLExecuteQueryOperator": None, "VerticaOperator": None,
    "DruidOperator": "druid", "ExasolOperator": None, "TeradataOperator": "teradata",
}  # fmt: skip
_SQL_KEYWORDS = ("sql", "hql", "query", "sql_statement", "statement")
_PYTHON_OPERATORS = frozenset(
    " ".join(
        [
            "PythonOperator BranchPythonOperator ShortCircuitOperator PythonVirtualenvOperator",
            "ExternalPythonOperator BranchExternalPythonOperator BranchPythonVirtualenvOperator",
            "DockerPythonOperator",
        ]
    ).split()
)


@dataclass
class Dag(Value):
    """A DAG: its id and where its SQL templates are looked up."""

    dag_id: str | None
    searchpath: list[str] = field(default_factory=list)
    params: DictVal | None = None

    def __hash__(self) -> int:
        return id(self)


@dataclass
class Operator(Value):
    """An Airflow task made from an operator (or a ``@task`` call)."""

    task: Task

    def __hash__(self) -> int:
        return id(self)


@dataclass
class TaskResult(Value):
    """The XCom result of a ``@task`` call: the task, and the value its function returned."""

    task: Task
    value: Value

    def __hash__(self) -> int:
        return id(self)


def _tasks(interp: Interpreter) -> list[Task]:
    tasks: list[Task] = interp.state.setdefault("airflow_tasks", [])
    return tasks


def _task_of(value: Value) -> list[Task]:
    found: list[Task] = []
    for option in options(value):
        if isinstance(option, Operator | TaskResult):
            found.append(option.task)
        elif isinstance(option, ListVal):
            for item in option.items:
                found.extend(_task_of(item))
    return found


def _is_airflow(name: str) -> bool:
    return name.startswith(("airflow.", "astronomer.", "cosmos."))


@REGISTRY.function("airflow.DAG", "airflow.models.DAG", "airflow.models.dag.DAG", "airflow.sdk.DAG")
def _dag(interp: Interpreter, site: Site) -> Value:
    dag_id = site.args.get(0, "dag_id")
    searchpath = site.args.kw.get("template_searchpath")
    paths: list[str] = []
    for option in options(searchpath) if searchpath is not None else []:
        items = option.items if isinstance(option, ListVal) else [option]
        paths.extend(i.text for i in items if isinstance(i, Str))
    params = site.args.kw.get("params")
    return Dag(dag_id.text if isinstance(dag_id, Str) else None, paths, params if isinstance(params, DictVal) else None)


@REGISTRY.on("with")
def _with_dag(interp: Interpreter, site: Site) -> Value | None:
    value = site.args.pos[0]
    if isinstance(value, Dag):
        site.ctx.dag = value
    return None


@REGISTRY.prefix("airflow.", "astronomer.")
def _operator(interp: Interpreter, site: Site) -> Value | None:
    short = site.name.rsplit(".", 1)[-1]
    if short == "chain":
        values = site.args.pos
        for a, b in itertools.pairwise(values):
            _order(a, b)
        return NONE
    if not (short.endswith(("Operator", "Sensor")) or short in _SQL_DIALECTS):
        return None
    args = site.args
    task_id = args.kw.get("task_id")
    dag = args.kw.get("dag") or site.ctx.dag
    dag_value = dag if isinstance(dag, Dag) else None
    task = Task(task_id.text if isinstance(task_id, Str) else short, dag_value.dag_id if dag_value else None)
    _tasks(interp).append(task)
    ctx = replace(site.ctx, task=task)
    inner = Site(site.name, args, site.node, ctx)
    if short in _PYTHON_OPERATORS:
        _python_operator(interp, inner)
    elif short in ("BigQueryInsertJobOperator",):
        _bigquery_job(interp, inner, dag_value)
    elif short in _SQL_DIALECTS or any(k in args.kw for k in _SQL_KEYWORDS):
        _sql_operator(interp, inner, short, dag_value)
    else:
        _transfer(interp, inner, short)
    return Operator(task)


@REGISTRY.on("instantiate")
def _custom_operator(interp: Interpreter, site: Site) -> Value | None:
    """A repository operator class (a ``BaseOperator`` subclass) given SQL: analysed like a SQL operator."""
    cls = site.receiver
    if not isinstance(cls, ClassVal) or not any(_is_airflow(b) for b in cls.external_bases()):
        return None
    args = site.args
    task_id = args.kw.get("task_id")
    dag = args.kw.get("dag") or site.ctx.dag
    dag_value = dag if isinstance(dag, Dag) else None
    task = Task(task_id.text if isinstance(task_id, Str) else cls.name, dag_value.dag_id if dag_value else None)
    _tasks(interp).append(task)
    if any(k in args.kw for k in _SQL_KEYWORDS):
        _sql_operator(interp, Site(site.name, args, site.node, replace(site.ctx, task=task)), cls.name, dag_value)
    return Operator(task)


def _python_operator(interp: Interpreter, site: Site) -> None:
    func = site.args.kw.get("python_callable")
    if func is None:
        return
    op_args = site.args.kw.get("op_args")
    op_kwargs = site.args.kw.get("op_kwargs")
    # op_args and op_kwargs are templated fields: Airflow renders their Jinja before the call
    positional = [_render_name(v) for v in op_args.items] if isinstance(op_args, ListVal) else []
    keywords = (
        {k: _render_name(v) for k, v in op_kwargs.items.items() if isinstance(k, str)}
        if isinstance(op_kwargs, DictVal)
        else {}
    )
    call = Args(positional, keywords)
    interp.call_value(func, call, site.ctx, site.node)


def _sql_value(interp: Interpreter, site: Site, value: Value, dag: Dag | None) -> Value:
    """Inline SQL as it is; a ``.sql`` template name replaced by the file's text."""
    results: list[Value] = []
    for option in options(value):
        if isinstance(option, ListVal):
            results.append(ListVal([_sql_value(interp, site, i, dag) for i in option.items]))
            continue
        text = option.exact.strip() if isinstance(option, Str) and option.exact is not None else ""
        if text.endswith(TEMPLATE_EXTENSIONS) and not any(c.isspace() for c in text):
            loaded = _load_template(interp, site.ctx, text, dag)
            if loaded is None:
                interp.diag(site.ctx, site.node, "DT301", f"SQL template {text!r} not found in the repository")
                continue
            results.append(loaded)
        else:
            results.append(option)
    if not results:
        return NONE
    return results[0] if len(results) == 1 else ListVal(results)


def _load_template(interp: Interpreter, ctx: Ctx, name: str, dag: Dag | None) -> Str | None:
    root = interp.sink.config.root
    candidates: list[str] = []
    bases = [*(dag.searchpath if dag else []), ctx.module.directory, ""]
    for base in bases:
        joined = posixpath.normpath(posixpath.join(base, name)) if base else name
        parts = joined.lstrip("/").split("/")
        candidates.extend("/".join(parts[i:]) for i in range(len(parts)))
    files = interp.sink.config.files  # a git revision read into memory
    for rel in dict.fromkeys(candidates):
        if files is not None:
            if rel in files:
                try:
                    interp.sink.templates.add(rel)
                    return Str.of(files[rel].decode("utf-8"), Location(rel, 1))
                except UnicodeDecodeError:
                    continue
            continue
        path = root / rel
        try:
            if path.is_file():
                interp.sink.templates.add(rel)
                return Str.of(path.read_text(encoding="utf-8"), Location(rel, 1))
        except (OSError, UnicodeDecodeError, ValueError):
            continue
    found = _sql_index(interp).get(posixpath.basename(name), [])
    matches = [p for p in found if p.endswith("/" + name.lstrip("/")) or p == name]
    if len(matches) > 1:
        # several DAG folders with the same template: the one nearest to this DAG file
        def shared(path: str) -> int:
            return len(posixpath.commonpath([path, ctx.module.path]).split("/"))

        best = max(shared(p) for p in matches)
        matches = [p for p in matches if shared(p) == best]
    if len(matches) == 1:
        try:
            interp.sink.templates.add(matches[0])
            if files is not None:
                data = files.get(matches[0])
                return None if data is None else Str.of(data.decode("utf-8"), Location(matches[0], 1))
            return Str.of((root / matches[0]).read_text(encoding="utf-8"), Location(matches[0], 1))
        except (OSError, UnicodeDecodeError):
            return None
    return None


def _sql_index(interp: Interpreter) -> dict[str, list[str]]:
    index: dict[str, list[str]] | None = interp.state.get("sql_index")
    if index is None:
        index = {}
        root: Path = interp.sink.config.root
        files = interp.sink.config.files
        if files is not None:
            for rel in sorted(files):
                name = rel.rsplit("/", 1)[-1]
                if name.endswith(TEMPLATE_EXTENSIONS) and not interp.sink.config.is_excluded(rel):
                    index.setdefault(name, []).append(rel)
            interp.state["sql_index"] = index
            return index
        try:
            for path in root.rglob("*"):
                if not path.name.endswith(TEMPLATE_EXTENSIONS):
                    continue
                rel = path.relative_to(root).as_posix()
                if not interp.sink.config.is_excluded(rel) and path.is_file():
                    index.setdefault(path.name, []).append(rel)
        except OSError:
            pass
        interp.state["sql_index"] = index
    return index


def _sql_operator(interp: Interpreter, site: Site, short: str, dag: Dag | None) -> None:
    args = site.args
    sql = next((args.kw[k] for k in _SQL_KEYWORDS if k in args.kw), None)
    if sql is None:
        return
    params = args.kw.get("params")
    merged = DictVal(dict(dag.params.items) if dag and dag.params else {})
    if isinstance(params, DictVal):
        merged.items.update(params.items)
    hiveconfs = args.kw.get("hiveconfs")
    if isinstance(hiveconfs, DictVal):  # HiveOperator: ``--hiveconf k=v`` -> ``${hiveconf:k}``
        merged.items.update(hiveconfs.items)
    dialect = _SQL_DIALECTS.get(short)
    value = _sql_value(interp, site, sql, dag)
    if value is NONE:
        return
    node = next((args.kw_nodes[k] for k in _SQL_KEYWORDS if k in args.kw_nodes), site.node)
    frame = run_sql(interp, site.ctx, node, value, dialect, params=merged, templated=True)
    destination = next((v for k, v in args.kw.items() if _is_destination(k)), None)
    if destination is not None and frame is not None:
        tables = interp.sink.table_names(interp, site.ctx, site.node, _render_name(destination), None, dialect)
        interp.sink.write(interp, site.ctx, site.node, frame, tables, DatasetKind.TABLE, short)


def _is_destination(keyword: str) -> bool:
    """``destination_dataset_table``, ``pg_table``, ``hive_table`` …: where a query's rows go."""
    return keyword.endswith("_table") and not keyword.startswith(("source", "src", "staging_"))


def _render_name(value: Value) -> Value:
    """A table name with Jinja in it (``address_{{ ts_nodash }}``) as a pattern with holes."""
    if isinstance(value, Str) and value.exact is not None and "{{" in value.exact:
        holes = Holes()
        rendered, error = render_template(value.exact, holes)
        if error is None:
            return Str.of(holes.restore(rendered), value.loc)
    return value


def _bigquery_job(interp: Interpreter, site: Site, dag: Dag | None) -> None:
    config = site.args.kw.get("configuration")
    if not isinstance(config, DictVal):
        return
    query = config.items.get("query")
    if isinstance(query, DictVal):
        sql = _sql_value(interp, site, query.items.get("query") or NONE, dag)
        params = site.args.kw.get("params")
        frame = run_sql(interp, site.ctx, site.node, sql, "bigquery",
                        params=params if isinstance(params, DictVal) else None, templated=True)  # fmt: skip
        destination = query.items.get("destinationTable")
        if isinstance(destination, DictVal) and frame is not None:
            parts = [destination.items.get(k) for k in ("projectId", "datasetId", "tableId")]
            texts = [p.text for p in parts if isinstance(p, Str)]
            if texts:
                tables = interp.sink.table_names(interp, site.ctx, site.node, Str.of(".".join(texts)), None,
                                                 "bigquery")  # fmt: skip
                interp.sink.write(interp, site.ctx, site.node, frame, tables, DatasetKind.TABLE,
                                  "BigQueryInsertJobOperator")  # fmt: skip
    load = config.items.get("load")
    if isinstance(load, DictVal):
        uris = load.items.get("sourceUris")
        destination = load.items.get("destinationTable")
        if isinstance(destination, DictVal):
            parts = [destination.items.get(k) for k in ("projectId", "datasetId", "tableId")]
            texts = [p.text for p in parts if isinstance(p, Str)]
            paths = interp.sink.path_names(interp, site.ctx, site.node, uris)
            frame = interp.sink.read(interp, site.ctx, site.node, paths, DatasetKind.FILE, "data")
            tables = interp.sink.table_names(interp, site.ctx, site.node, Str.of(".".join(texts)), None, "bigquery")
            interp.sink.write(interp, site.ctx, site.node, frame, tables, DatasetKind.TABLE, "bigquery load")


def _uri(bucket: Value | None, key: Value | None, scheme: str) -> Value | None:
    if not isinstance(bucket, Str):
        return key
    prefix = Str.of(f"{scheme}://").concat(bucket)
    if isinstance(key, Str):
        return prefix.concat(Str.of("/")).concat(key)
    if isinstance(key, ListVal):
        return ListVal([prefix.concat(Str.of("/")).concat(k) for k in key.items if isinstance(k, Str)])
    return prefix


def _transfer(interp: Interpreter, site: Site, short: str) -> None:
    """File <-> table transfer operators (S3, GCS, Redshift, BigQuery, Snowflake)."""
    kw = site.args.kw
    sink = interp.sink
    ctx = site.ctx
    source: list[str] = []
    target: list[str] = []
    source_kind = target_kind = DatasetKind.TABLE
    if short in ("S3ToRedshiftOperator", "S3ToSnowflakeOperator"):
        source = sink.path_names(interp, ctx, site.node, _uri(kw.get("s3_bucket"), kw.get("s3_key"), "s3"))
        table = kw.get("table")
        target = sink.table_names(interp, ctx, site.node, table, kw.get("schema"))
        source_kind = DatasetKind.FILE
    elif short == "RedshiftToS3Operator":
        source = sink.table_names(interp, ctx, site.node, kw.get("table"), kw.get("schema"))
        target = sink.path_names(interp, ctx, site.node, _uri(kw.get("s3_bucket"), kw.get("s3_key"), "s3"))
        target_kind = DatasetKind.FILE
    elif short == "GCSToBigQueryOperator":
        source = sink.path_names(interp, ctx, site.node, _uri(kw.get("bucket"), kw.get("source_objects"), "gs"))
        target = sink.table_names(interp, ctx, site.node, kw.get("destination_project_dataset_table"), None,
                                  "bigquery")  # fmt: skip
        source_kind = DatasetKind.FILE
    elif short == "BigQueryToGCSOperator":
        source = sink.table_names(interp, ctx, site.node, kw.get("source_project_dataset_table"), None, "bigquery")
        target = sink.path_names(interp, ctx, site.node, kw.get("destination_cloud_storage_uris"))
        target_kind = DatasetKind.FILE
    elif short == "CopyFromExternalStageToSnowflakeOperator":
        stage = kw.get("stage")
        prefix = kw.get("prefix")
        location: Value | None = stage
        if isinstance(stage, Str) and isinstance(prefix, Str):
            location = Str.of("@").concat(stage).concat(Str.of("/")).concat(prefix)
        source = sink.path_names(interp, ctx, site.node, location)
        target = sink.table_names(interp, ctx, site.node, kw.get("table"), kw.get("schema"), "snowflake")
        source_kind = DatasetKind.FILE
    elif short in ("LocalFilesystemToS3Operator", "LocalFilesystemToGCSOperator"):
        source = sink.path_names(interp, ctx, site.node, kw.get("filename") or kw.get("src"))
        bucket = kw.get("dest_bucket") or kw.get("bucket")
        key = kw.get("dest_key") or kw.get("dst")
        scheme = "s3" if "S3" in short else "gs"
        target = sink.path_names(interp, ctx, site.node, _uri(bucket, key, scheme))
        source_kind = target_kind = DatasetKind.FILE
    elif short in ("PostgresToGCSOperator", "MySQLToGCSOperator", "SqlToS3Operator", "BigQueryToSqlOperator"):
        sql = kw.get("sql") or kw.get("query")
        frame = run_sql(interp, ctx, site.node, sql) if sql is not None else None
        bucket = kw.get("bucket") or kw.get("s3_bucket")
        key = kw.get("filename") or kw.get("s3_key")
        target = sink.path_names(interp, ctx, site.node, _uri(bucket, key, "s3" if "S3" in short else "gs"))
        if frame is not None:
            sink.write(interp, ctx, site.node, frame, target, DatasetKind.FILE, short)
        return
    else:
        return
    frame = sink.read(interp, ctx, site.node, source, source_kind, "data")
    sink.write(interp, ctx, site.node, frame, target, target_kind, short)


# -- task order ----------------------------------------------------------------------------------


def _order(upstream: Value, downstream: Value) -> None:
    for up in _task_of(upstream):
        for down in _task_of(downstream):
            down.upstream.add(up.task_id)


@REGISTRY.on("shift")
def _shift(interp: Interpreter, site: Site) -> Value | None:
    left, right = site.args.pos
    if not _task_of(left) and not _task_of(right):
        return None
    if site.name == "RightShift":
        _order(left, right)
    else:
        _order(right, left)
    return right if site.name == "RightShift" else left


@REGISTRY.method(Operator)
def _operator_method(interp: Interpreter, op: Value, site: Site) -> Value | None:
    if site.name in ("set_downstream", "set_upstream"):
        other = site.args.get(0) or NONE
        if site.name == "set_downstream":
            _order(op, other)
        else:
            _order(other, op)
        return NONE
    if site.name in ("override", "expand", "partial", "expand_kwargs"):
        return op
    return NONE


@REGISTRY.method(TaskResult)
def _result_method(interp: Interpreter, result: Value, site: Site) -> Value | None:
    assert isinstance(result, TaskResult)
    if site.name in ("set_downstream", "set_upstream"):
        return _operator_method(interp, Operator(result.task), site)
    return interp.call_method(result.value, site.name, site.args, site.ctx, site.node)


# -- @task and @dag ------------------------------------------------------------------------------


def _from_airflow(fn: FunctionVal) -> bool:
    for d in fn.decorators:
        name = d.name if isinstance(d, QName) else d.qname if isinstance(d, Obj) else ""
        if _is_airflow(name):
            return True
    return False


@REGISTRY.on("invoke")
def _invoke_task(interp: Interpreter, site: Site) -> Value | None:
    fn = site.receiver
    if not isinstance(fn, FunctionVal):
        return None
    if fn.has_decorator("task", "task.python", "task.virtualenv", "task.external_python", "task.docker",
                        "task.kubernetes", "task.branch", "task.short_circuit"):  # fmt: skip
        if not _from_airflow(fn):
            return None
        dag = site.ctx.dag
        task = Task(fn.name, dag.dag_id if isinstance(dag, Dag) else None)
        _tasks(interp).append(task)
        args = Args([_unwrap(v, task) for v in site.args.pos], {k: _unwrap(v, task) for k, v in site.args.kw.items()})
        ctx = replace(site.ctx, task=task)
        value = interp.invoke(fn, args, ctx, site.node, entry=True)
        return TaskResult(task, value)
    if fn.has_decorator("dag") and _from_airflow(fn):
        dag = Dag(fn.name)
        ctx = replace(site.ctx, dag=dag)
        interp.invoke(fn, site.args, ctx, site.node, entry=True)
        return dag
    return None


def _unwrap(value: Value, task: Task) -> Value:
    if isinstance(value, TaskResult):
        task.upstream.add(value.task.task_id)
        return value.value
    return value


def finish(interp: Interpreter) -> None:
    """Attach task ids and upstream task order to the jobs found inside tasks."""
    for task in _tasks(interp):
        for job_name in task.jobs:
            job = interp.sink.graph.jobs.get(job_name)
            if job is None:
                continue
            job.attributes["airflow_task"] = task.task_id
            if task.dag_id:
                job.attributes["airflow_dag"] = task.dag_id
            if task.upstream:
                job.attributes["airflow_upstream"] = sorted(task.upstream)
    interp.state["airflow_tasks"] = []
