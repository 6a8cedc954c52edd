"""Script pre-processing: variables, psql meta-commands, Spark directory writes (extractor/sql/preprocess.py)."""

from __future__ import annotations

from pathlib import Path

from extractor.config import config_from_mapping
from extractor.scan import scan
from extractor.sql.naming import get_dialect
from extractor.sql.preprocess import preprocess


def _pre(sql: str, dialect: str = "hive", variables: dict[str, str] | None = None) -> str:
    return preprocess(sql, get_dialect(dialect), "jobs/a.hql", variables)


def test_unknown_variable_in_a_table_name_is_a_per_file_placeholder() -> None:
    out = _pre("INSERT INTO ${hivevar:db}.daily SELECT x FROM ${src} WHERE d = ${hiveconf:ds}")
    assert "`${hivevar:db}@jobs/a.hql`.daily" in out
    assert "FROM `${src}@jobs/a.hql`" in out
    # Hive parses a parameter in a value position itself.
    assert "d = ${hiveconf:ds}" in out


def test_known_variables_come_from_config_and_from_set_statements() -> None:
    out = _pre("SET hivevar:db=mart;\nINSERT INTO ${hivevar:db}.t_${env} SELECT 1", variables={"env": "prod"})
    assert "INSERT INTO mart.t_prod SELECT 1" in out


def test_value_variables_outside_hive_become_constants() -> None:
    out = _pre("SELECT a FROM t WHERE d > ${start}", dialect="postgres")
    assert out.endswith("d > '${start}'")


def test_snowflake_path_colon_is_not_a_variable() -> None:
    sql = "SELECT v:field, x::int FROM t"
    assert _pre(sql, dialect="snowflake") == sql


def test_psql_meta_commands_keep_line_numbers() -> None:
    sql = "\\set s 'analytics'\n\\timing on\n\\copy t FROM 'x.csv' CSV\nINSERT INTO :s.o SELECT * FROM t;\n"
    out = _pre(sql, dialect="postgres")
    assert out.count("\n") == sql.count("\n")
    lines = out.split("\n")
    assert lines[0].strip() == "" and lines[1].strip() == ""
    assert lines[2] == " copy t FROM 'x.csv' CSV;"
    assert lines[3] == "INSERT INTO analytics.o SELECT * FROM t;"


def test_insert_overwrite_directory_using_options_takes_the_path_option() -> None:
    out = _pre("INSERT OVERWRITE DIRECTORY USING csv OPTIONS (path '/out/x', header 'true') SELECT 1", "spark")
    assert out.startswith("INSERT OVERWRITE DIRECTORY '/out/x' ")
    assert "USING" not in out and "OPTIONS" not in out


def test_scan_reads_hql_and_keeps_unknown_variables_apart_per_file(tmp_path: Path) -> None:
    (tmp_path / "a.hql").write_text("INSERT OVERWRITE TABLE ${db}.daily SELECT id FROM ${src}.events;\n")
    (tmp_path / "b.hql").write_text("INSERT OVERWRITE TABLE ${db}.weekly SELECT id FROM ${src}.events;\n")
    graph = scan([tmp_path], config_from_mapping({}, root=tmp_path))
    assert {"${db}@a.hql.daily", "${src}@a.hql.events", "${db}@b.hql.weekly", "${src}@b.hql.events"} <= set(
        graph.datasets
    )
    assert len(graph.jobs) == 2


def test_configured_variables_join_scripts_through_the_same_table(tmp_path: Path) -> None:
    (tmp_path / "a.hql").write_text("INSERT OVERWRITE TABLE ${db}.daily SELECT id FROM raw.events;\n")
    (tmp_path / "b.psql").write_text("INSERT INTO report.r SELECT id FROM :db.daily;\n")
    graph = scan([tmp_path], config_from_mapping({"variables": {"db": "mart"}}, root=tmp_path))
    assert {"raw.events", "mart.daily", "report.r"} <= set(graph.datasets)
    assert not any("@" in name for name in graph.datasets)


def test_backticks_become_quoted_names_where_the_tokenizer_does_not_know_them() -> None:
    assert _pre("SELECT col1 FROM `schema1`.`tab1`", "athena") == 'SELECT col1 FROM "schema1"."tab1"'
    assert _pre("SELECT col1 FROM `tab1`", "hive") == "SELECT col1 FROM `tab1`"


def test_dataform_sqlx_models_land_in_the_table_named_after_the_file(tmp_path: Path) -> None:
    (tmp_path / "definitions").mkdir()
    (tmp_path / "definitions" / "customer_orders.sqlx").write_text(
        'config {\n  type: "table",\n  schema: "mart",\n  assertions: { nonNull: ["id"] }\n}\n'
        'js {\n  const country = "NL";\n}\n'
        'SELECT o.id, c.name\nFROM ${ref("raw", "orders")} AS o\nJOIN ${ref("customers")} AS c ON c.id = o.id\n'
        "${ when(incremental(), `WHERE o.ts > (SELECT MAX(ts) FROM ${self()})`) }\n"
    )
    (tmp_path / "definitions" / "customers.sqlx").write_text('config { type: "view" }\nSELECT id, name FROM raw.c\n')
    graph = scan([tmp_path], config_from_mapping({}, root=tmp_path))
    assert {(e.source, e.target) for e in graph.edges} == {
        ("raw.orders", "mart.customer_orders"),
        ("customers", "mart.customer_orders"),
        ("raw.c", "customers"),
    }
    assert not [d for d in graph.diagnostics if d.severity.value == "error"]
    job = graph.jobs["definitions/customer_orders.sqlx:mart.customer_orders"]
    assert job.line == 9  # the SELECT's own line: blanked blocks keep line numbers


def test_dotted_variable_names_and_set_values() -> None:
    sql = "set hex.db=exp;\nuse ${hiveconf:hex.db};\ninsert overwrite table ${hiveconf:hex.db}.t select 1"
    out = _pre(sql)
    assert "use exp;" in out and "table exp.t select" in out


def test_tsql_compound_assignments_in_set_clauses() -> None:
    sql = "UPDATE sr SET sr.Name += ' - x', n -= 1 FROM a AS sr;\nSET @c *= 2;\nSELECT a FROM t WHERE b *= c"
    out = _pre(sql, "tsql")
    assert out == "UPDATE sr SET sr.Name = sr.Name + ' - x', n = n - 1 FROM a AS sr;\nSET @c = @c * 2;\n" + (
        "SELECT a FROM t WHERE b *= c"
    )


def test_variables_in_strings_known_anywhere_unknown_scoped_where_they_name_a_path() -> None:
    sql = (
        "create table t (a int) location '${hiveconf:root}/t';\n"
        "insert into t select a from s where dt = '${hivevar:dt}' and src = '${feed}'"
    )
    out = _pre(sql, variables={"dt": "2024-01-01"})
    assert "location '${hiveconf:root@jobs/a.hql}/t'" in out
    assert "dt = '2024-01-01'" in out
    assert "src = '${feed}'" in out  # a value, not a path: left as written
    assert _pre("SELECT * FROM json.`${dir}/x.json`", "spark") == "SELECT * FROM json.`${dir@jobs/a.hql}/x.json`"


def test_unknown_location_roots_of_two_scripts_are_different_directories(tmp_path: Path) -> None:
    for name in ("a.hql", "b.hql"):
        (tmp_path / name).write_text(f"LOAD DATA INPATH '${{landing}}/orders' INTO TABLE orders_{name[0]};\n")
    graph = scan([tmp_path], config_from_mapping({}, root=tmp_path))
    assert {"${landing@a.hql}/orders", "${landing@b.hql}/orders"} <= set(graph.datasets)


def test_hive_cli_quit_and_exit_are_blanked() -> None:
    sql = "insert into t select 1;\nquit;\nexit;\n"
    out = _pre(sql)
    assert out.splitlines()[1:] == ["    ;", "    ;"]


def test_databricks_notebook_cells_end_statements_and_keep_lines() -> None:
    sql = "-- Databricks notebook source\nSELECT 1\n\n-- COMMAND ----------\n\nSELECT 2\n"
    out = _pre(sql, "databricks")
    assert out.count("\n") == sql.count("\n")
    assert out.splitlines()[3] == ";" + " " * 20
    # Without the notebook header a comment line is only a comment.
    assert _pre(sql.split("\n", 1)[1], "databricks") == sql.split("\n", 1)[1]


def test_delta_live_tables_become_plain_create_or_replace() -> None:
    sql = (
        "CREATE OR REFRESH STREAMING LIVE TABLE b (\n"
        "  CONSTRAINT ok EXPECT (id IS NOT NULL) ON VIOLATION DROP ROW,\n  id BIGINT\n)\n"
        "AS SELECT id FROM STREAM(LIVE.a) JOIN LIVE.c USING (id)"
    )
    out = _pre(sql, "databricks")
    assert " ".join(out.split()) == "CREATE OR REPLACE TABLE b ( id BIGINT ) AS SELECT id FROM a JOIN c USING (id)"
    # Outside a pipeline ``live`` is an ordinary schema name.
    assert _pre("SELECT * FROM live.a", "databricks") == "SELECT * FROM live.a"


def test_apply_changes_into_reads_as_an_insert_of_the_named_columns() -> None:
    sql = "APPLY CHANGES INTO LIVE.t FROM STREAM(LIVE.s) KEYS (id) SEQUENCE BY ts COLUMNS id, name"
    out = _pre(sql, "databricks")
    assert " ".join(out.split()) == "INSERT INTO t SELECT id, name FROM s"


def test_shell_variables_without_braces() -> None:
    sql = "insert into $APP.t select a from $APP.s where dt = '$do_date' and j = get_json_object(x, '$.a')"
    out = _pre(sql, variables={"do_date": "2024-01-01"})
    assert out == (
        "insert into `$APP@jobs/a.hql`.t select a from `$APP@jobs/a.hql`.s where dt = '2024-01-01'"
        " and j = get_json_object(x, '$.a')"
    )
    # Positional parameters and dollar-quoted bodies are not shell variables.
    assert _pre("select $1, $2 from @stage", "snowflake") == "select $1, $2 from @stage"
    body = "create function f() returns int as $$ select 1 $$ language sql"
    assert _pre(body, "postgres") == body


def test_a_dollar_inside_a_quoted_name_is_part_of_it() -> None:
    sql = "SELECT * FROM `proj.ds.t$__PARTITIONS_SUMMARY__`"
    assert _pre(sql, "bigquery") == sql
