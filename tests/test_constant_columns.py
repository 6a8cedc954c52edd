"""Constant columns (a literal, NULL, CURRENT_TIMESTAMP …) get one column edge with no source.

The fixture is the hand-written dbt project fixtures/dbt/constant_columns (its expected.json is
checked by test_dbt_golden); these tests follow its constants through every consumer.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from extractor import analyze_sql, json_format
from extractor.cli import EXIT_FINDINGS, EXIT_OK, main
from extractor.config import load_config
from extractor.graph import UNKNOWN_PREFIX, LineageGraph
from extractor.model import NO_SOURCE
from extractor.scan import scan

from .conftest import REPO
from .gitrepo import GitRepo, committed_project
from .test_openlineage import validate

FIXTURE = REPO / "fixtures" / "dbt" / "constant_columns"
STG = "models/stg_contacts.sql"


@pytest.fixture(scope="module")
def graph() -> LineageGraph:
    return scan([FIXTURE], load_config(FIXTURE))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    return committed_project(tmp_path, monkeypatch, FIXTURE, "project")


def _edges_into(data: dict[str, Any], dataset: str, column: str) -> list[dict[str, Any]]:
    return [e for e in data["column_edges"] if e["target"] == {"dataset": dataset, "column": column}]


def test_json_edge_has_no_source_and_the_expression(graph: LineageGraph) -> None:
    data = json.loads(json_format.dumps(graph))
    (edge,) = _edges_into(data, "main.stg_contacts", "phone")
    assert edge["source"] == {"dataset": None, "column": None}
    assert (edge["kind"], edge["subtype"]) == ("direct", "TRANSFORMATION")
    assert edge["transformation"] == "CAST(NULL AS TEXT)"
    assert edge["location"] == {"path": STG, "line": 5}
    assert edge["job"] and edge["fingerprint"]
    (loaded,) = _edges_into(data, "main.stg_contacts", "loaded_at")
    assert loaded["transformation"] == "CURRENT_TIMESTAMP"
    # A column reading a column and a literal keeps its own edge only.
    assert [e["source"] for e in _edges_into(data, "main.stg_contacts", "email")] == [
        {"dataset": "raw.contacts", "column": "email"}
    ]
    # An unknown macro's value is unknown, not a constant.
    assert _edges_into(data, "main.stg_contacts", "mystery") == []
    # No pseudo dataset, no unknown: dataset, no table edge for the constants.
    assert not [d for d in data["datasets"] if d["name"].startswith(UNKNOWN_PREFIX)]
    assert {e["source"] for e in data["edges"]} == {"raw.contacts", "raw.deals", "main.stg_contacts"}
    schema = json.loads(resources.files("extractor").joinpath("schemas/lineage.schema.json").read_text())
    jsonschema.validate(data, schema)


def test_json_round_trip_keeps_the_constant(graph: LineageGraph) -> None:
    text = json_format.dumps(graph)
    back = json_format.loads(text)
    assert json_format.dumps(back) == text
    assert any(je.edge.source == NO_SOURCE for je in back.column_edges)


def test_union_of_a_literal_and_a_column_is_not_a_constant(graph: LineageGraph) -> None:
    into = {(je.edge.target.column, str(je.edge.source)) for je in graph.column_edges
            if je.edge.target.table == "main.all_parties"}  # fmt: skip
    assert ("party_kind", "raw.deals.kind") in into
    assert ("source_relation", "main.stg_contacts.source_relation") in into
    assert not [c for c, s in into if s == "constant"]


def test_column_graph_has_no_shared_no_source_node(graph: LineageGraph) -> None:
    g = graph.column_graph()
    assert (None, None) not in g
    assert ("main.stg_contacts", "phone") in g
    assert g.in_degree(("main.stg_contacts", "phone")) == 0
    # Two constant columns are not connected to each other.
    assert not g.has_edge(("main.stg_contacts", "phone"), ("main.stg_contacts", "loaded_at"))


def test_trace_names_the_constant(project: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trace", "main.all_parties.source_relation"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "<- constant CAST('' AS TEXT)  (models/stg_contacts.sql:6)" in out
    assert main(["trace", "main.stg_contacts.phone", "--format", "json"]) == EXIT_OK
    data = json.loads(capsys.readouterr().out)
    (edge,) = data["edges"]
    assert edge["source"] == {"dataset": None, "column": None}
    assert edge["transformation"] == "CAST(NULL AS TEXT)"
    assert [(n["dataset"], n["column"]) for n in data["nodes"]] == [("main.stg_contacts", "phone")]
    schema = json.loads(resources.files("extractor").joinpath("schemas/trace.schema.json").read_text())
    jsonschema.validate(data, schema)
    # Downstream of a constant column is only what reads it (COUNT(1) over its rows), never the
    # other constant columns: the constants share no node.
    assert main(["trace", "main.stg_contacts.phone", "--downstream", "--format", "json"]) == EXIT_OK
    data = json.loads(capsys.readouterr().out)
    assert [(e["source"]["dataset"], e["target"]["column"]) for e in data["edges"]] == [
        ("main.stg_contacts", "contacts")
    ]


def _changes(capsys: pytest.CaptureFixture[str]) -> dict[tuple[str, str | None], dict[str, Any]]:
    assert main(["diff", "HEAD", "--format", "json"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    return {(c["dataset"], c["column"]): c for c in report["changes"]}


def test_diff_sees_a_changed_constant(project: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    project.replace(STG, "cast('' as varchar) as source_relation", "cast('x' as varchar) as source_relation")
    changes = _changes(capsys)
    change = changes[("main.stg_contacts", "source_relation")]
    assert [r["code"] for r in change["reasons"]] == ["TRANSFORMATION_CHANGED"]
    assert (change["before"], change["after"]) == ("CAST('' AS TEXT)", "CAST('x' AS TEXT)")
    assert change["location"] == {"path": STG, "line": 6}
    impacted = {(i["dataset"], i["column"]) for i in json.loads(_report_text(capsys))["impacted"]}
    assert ("main.all_parties", "source_relation") in impacted
    # ``check`` reports it too (the default policy fails no column change).
    assert main(["check", "--worktree"]) == EXIT_OK
    assert "datatrail check: 1 lineage changes, 0 failing (column)" in capsys.readouterr().out
    assert main(["diff", "HEAD", "--fail-on", "column"]) == EXIT_FINDINGS


def _report_text(capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["diff", "HEAD", "--format", "json"]) == EXIT_OK
    return capsys.readouterr().out


def test_diff_sees_a_column_becoming_a_constant(project: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    project.replace(STG, "coalesce(email, 'unknown') as email", "'redacted' as email")
    change = _changes(capsys)[("main.stg_contacts", "email")]
    assert [r["code"] for r in change["reasons"]] == ["TRANSFORMATION_CHANGED"]
    assert (change["before"], change["after"]) == ("COALESCE(raw.contacts.email, 'unknown')", "'redacted'")


def test_history_and_blame_name_the_commit_that_changed_a_constant(
    project: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    base = project.git("rev-parse", "HEAD").strip()
    project.replace(STG, "cast('' as varchar) as source_relation", "cast('eu' as varchar) as source_relation")
    changed = project.commit("source relation eu")
    target = "main.all_parties.source_relation"
    assert main(["history", target, "--format", "json"]) == EXIT_OK
    history = json.loads(capsys.readouterr().out)
    assert [c["sha"] for c in history["commits"]] == [changed]
    (change,) = history["commits"][0]["changes"]
    assert (change["dataset"], change["column"]) == ("main.stg_contacts", "source_relation")
    assert change["path"] == ["main.stg_contacts.source_relation", target]
    assert main(["blame", target, "--format", "json"]) == EXIT_OK
    edges = json.loads(capsys.readouterr().out)["edges"]
    (constant,) = [e for e in edges if e["source"] == {"dataset": None, "column": None}]
    assert constant["target"] == {"dataset": "main.stg_contacts", "column": "source_relation"}
    assert (constant["change"], constant["commit"]["sha"]) == ("changed", changed)
    assert (constant["before"], constant["transformation"]) == ("CAST('' AS TEXT)", "CAST('eu' AS TEXT)")
    assert constant["depth"] == 2  # one beyond its column, itself one beyond the target
    assert {e["commit"]["sha"] for e in edges if e is not constant} == {base}


def test_openlineage_writes_a_field_with_no_inputs(project: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "."]) == EXIT_OK
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert validate(events) == []
    (output,) = [o for e in events for o in e["outputs"] if o["name"].endswith("stg_contacts")]
    fields = output["facets"]["columnLineage"]["fields"]
    assert fields["phone"] == {"inputFields": [], "transformationDescription": "CAST(NULL AS TEXT)"}
    assert [f["field"] for f in fields["email"]["inputFields"]] == ["email"]
    assert "mystery" not in fields


PYTHON_JOB = """\
import pandas as pd
import polars as pl
from pyspark.sql import SparkSession, functions as F

df = pd.read_csv("data/in.csv")
df["const"] = 0
df["label"] = "eu"
df["copy"] = df["a"]
df["unknown"] = compute()
df["run"] = f"run-{RUN_ID}"
df.to_csv("data/out.csv", index=False)

spark = SparkSession.builder.getOrCreate()
s = spark.read.parquet("s3://b/in/")
s = s.withColumn("src", F.lit("x")).withColumn("b2", F.col("b") + F.lit(1))
s.write.parquet("s3://b/out/")

p = pl.read_parquet("p/in.parquet")
p = p.with_columns(pl.lit(5).alias("five"), (pl.col("c") * 2).alias("c2"))
p.write_parquet("p/out.parquet")

t = spark.sql("select id, 'eu' as region from db.src")
t.write.saveAsTable("db.dst")
"""


def test_python_literal_columns_are_constants(tmp_path: Path) -> None:
    (tmp_path / "job.py").write_text(PYTHON_JOB, encoding="utf-8")
    graph = scan([tmp_path], load_config(tmp_path))
    constants = {(str(je.edge.target), je.edge.transformation) for je in graph.column_edges if je.edge.constant}
    assert constants == {
        ("data/out.csv.const", "0"),
        ("data/out.csv.label", '"eu"'),
        ("data/out.csv.run", 'f"run-{RUN_ID}"'),
        ("s3://b/out/.src", "'x'"),
        ("p/out.parquet.five", "5"),
        ("db.dst.region", "'eu'"),
    }
    # A value the analyser does not understand is not a constant; a column plus a literal is not one.
    targets = {str(je.edge.target) for je in graph.column_edges if je.edge.constant}
    assert not targets & {"data/out.csv.unknown", "s3://b/out/.b2", "p/out.parquet.c2", "data/out.csv.copy"}


@pytest.mark.parametrize(
    ("sql", "constant"),
    [
        ("create table o as select cast(null as varchar) as c from t", "CAST(NULL AS VARCHAR)"),
        ("create table o as select (select max(1)) as c from t", "(SELECT MAX(1))"),
        ("create table o as select case when 1 = 1 then 'a' end as c from t", "CASE WHEN 1 = 1 THEN 'a' END"),
        ("create table o as with d as (select 0 as c) select * from d", "0"),
        ("create table o as select 'a' as c union all select 'b'", "UNION('a', 'b')"),
        # Not constants: a column read, rows counted, a star of unknown columns, an unknown macro's
        # value, a recursion counter.
        ("create table o as select coalesce(x, 0) as c from t", None),
        ("create table o as select 'a' as c from t union all select x from u", None),
        ("create table o as select count(1) as c from t", None),
        ("create table o as select * from t", None),
        ("create table o as select __dbt_utils_foo__() as c from t", None),
        ("create table o as with recursive r as (select 1 as c union all select c + 1 from r where c < 9) "
         "select c from r", None),
    ],
)  # fmt: skip
def test_which_sql_columns_are_constants(sql: str, constant: str | None) -> None:
    result = analyze_sql(sql, dialect="postgres")
    found = [e.transformation for e in result.column_edges if e.constant]
    assert found == ([constant] if constant else [])
    if constant:
        assert all(e.source == NO_SOURCE for e in result.column_edges if e.target.column == "c")


def test_an_ordered_set_aggregate_aggregates_its_ordered_column() -> None:
    # PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY x) aggregates x: no row count, no constant, no mere SORT.
    result = analyze_sql(
        "create table o as select g, percentile_cont(0.5) within group (order by x) as med from t group by g",
        dialect="postgres",
    )
    into_med = {(str(e.source), e.subtype.value) for e in result.column_edges if e.target.column == "med"}
    assert into_med == {("t.x", "AGGREGATION")}
    # LISTAGG's WITHIN GROUP order only orders the values it aggregates.
    listagg = analyze_sql("create table o as select listagg(a, ',') within group (order by b) as l from t", "snowflake")
    assert {(str(e.source), e.subtype.value) for e in listagg.column_edges if e.target.column == "l"} == {
        ("t.a", "AGGREGATION"),
        ("t.b", "SORT"),
    }
