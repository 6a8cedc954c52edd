"""Analysers hardened against hostile and broken input: one bad statement costs only itself, depth
and time are bounded before the parsers recurse or backtrack, nothing crashes the process."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import extractor
from extractor.config import Config
from extractor.model import Diagnostic, Severity
from extractor.python.project import nesting_problem
from extractor.safe_yaml import YAMLBudgetError
from extractor.safe_yaml import load as load_yaml
from extractor.scan import scan

GOOD_BEFORE = "insert into good.a select x from src.a"
GOOD_AFTER = "insert into good.b select y from src.b"


def analyse(dialect: str, statement: str) -> tuple[list[frozenset[str]], list[str]]:
    result = extractor.analyze_sql(f"{GOOD_BEFORE};\n{statement};\n{GOOD_AFTER};", dialect=dialect)
    return [s.target_tables for s in result.statements], [d.code for d in result.diagnostics]


@pytest.mark.parametrize(
    ("dialect", "statement"),
    [
        ("spark", "select date_trunc("),  # ValueError from a sqlglot builder
        ("bigquery", "select DATE_SUB("),  # TypeError
        ("postgres", "select col1? from t"),
        ("duckdb", "select a -> from t"),
        ("redshift", "#>>END"),
        ("bigquery", "with w as (select REGEXP_EXTRACT(t.a) as c from t group by CODE_POINTS_TO_STRING()) select 1"),
    ],
)  # fmt: skip
def test_a_sqlglot_exception_costs_only_its_statement(dialect: str, statement: str) -> None:
    targets, found = analyse(dialect, statement)
    assert targets == [{"good.a"}, {"good.b"}]
    assert found and set(found) <= {"DT100", "DT101"}


@pytest.mark.parametrize(
    "statement",
    [
        "with "
        + ", ".join(["c0 as (select 1 as a)", *(f"c{i} as (select * from c{i - 1})" for i in range(1, 400))])
        + " select * from c399",
        " union ".join("select a from t" for _ in range(1000)),
        "select " + "(" * 10_000 + "1" + ")" * 10_000,
        "select * from a " + " ".join(f"join t{i}" for i in range(24)),  # parser backtracking: minutes
    ],
    ids=["400 chained CTEs", "1000 UNION branches", "10000 brackets", "24 bare JOINs"],
)
def test_depth_and_backtracking_limits_are_a_statement_diagnostic(statement: str) -> None:
    targets, found = analyse("mysql", statement)
    assert targets == [{"good.a"}, {"good.b"}]
    assert found == ["DT102"]


def test_a_statement_sqlglot_drops_silently_is_reported_and_the_next_kept() -> None:
    statement = "-- c\n  ELSE 'x'\n END AS band, (SELECT count(*) FROM o) AS n\nFROM c"
    targets, found = analyse("sqlite", statement)
    assert targets == [{"good.a"}, {"good.b"}] and found == ["DT100"]


def test_an_untokenizable_statement_keeps_the_statements_before_it() -> None:
    result = extractor.analyze_sql(f"{GOOD_BEFORE};\n{GOOD_AFTER};\nselect 'unterminated")
    assert [s.target_tables for s in result.statements] == [{"good.a"}, {"good.b"}]
    assert [(d.code, d.line) for d in result.diagnostics] == [("DT100", 2)]


def test_run_deep_really_runs_with_the_big_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stack size applies to threads started while it is set; libcst's native parser recurses on
    the C stack, and on a default-size stack Python nested ~1,300 deep segfaulted the whole scan."""
    from extractor.python import scan as python_scan

    sizes: list[int] = []
    real_start = threading.Thread.start

    def start(self: threading.Thread) -> None:
        sizes.append(threading.stack_size())
        real_start(self)

    monkeypatch.setattr(threading.Thread, "start", start)
    python_scan.run_deep(lambda: None)
    assert sizes == [python_scan.STACK_BYTES]
    assert threading.stack_size() != python_scan.STACK_BYTES  # restored afterwards


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("x = " + "(" * 1300 + "1" + ")" * 1300, "brackets"),
        ("x = " + "f(" * 1300 + ")" * 1300, "brackets"),
        ("x = " + "not " * 5000 + "1", "operators in a row"),
        ("df = a" + ".copy()" * 2000, "attributes, calls and subscripts"),
    ],
)
def test_python_nested_beyond_libcst_is_refused_before_parsing(code: str, why: str) -> None:
    problem = nesting_problem(code + "\n")
    assert problem is not None and why in problem[2]


def test_real_python_is_not_refused() -> None:
    chain = "".join(f"    .withColumn('c{i}', F.col('c{i - 1}') + 1)\n" for i in range(1, 400))
    assert nesting_problem(f"(spark.read.parquet('in/')\n{chain}).write.parquet('out/')\n") is None
    assert nesting_problem("def f():\n    if a:\n        return [x for x in (1, 2)]\n") is None


def test_deep_python_and_sql_in_python_do_not_crash_the_scan(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text("import pandas as pd\npd.read_csv('in.csv').to_parquet('out.parquet')\n")
    (tmp_path / "deep.py").write_text("x = " + "[" * 10_000 + "]" * 10_000 + "\n")
    (tmp_path / "deep_sql.py").write_text("import duckdb\nduckdb.sql('select " + "(" * 4500 + "1" + ")" * 4500 + "')\n")
    (tmp_path / "doubling.py").write_text("s = 'a'\n" + "s = s + s\n" * 40 + "open(s).read()\n")
    graph = scan([tmp_path], Config(root=tmp_path))
    assert {(e.source, e.target) for e in graph.edges} == {("in.csv", "out.parquet")}
    codes = {(d.path, d.code) for d in graph.diagnostics}
    assert {("deep.py", "DT300"), ("deep_sql.py", "DT102")} <= codes
    assert not [d for d in graph.diagnostics if d.code == "DT900"]
    assert all(len(name) < 1000 for name in graph.datasets)


def test_yaml_alias_bomb_is_refused_before_it_expands() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(9)
    )
    with pytest.raises(YAMLBudgetError):
        load_yaml(bomb)
    assert load_yaml("a: &x [1, 2]\nb: *x\n") == {"a": [1, 2], "b": [1, 2]}


def test_diagnostics_never_carry_object_addresses() -> None:
    d = Diagnostic("a.sql", 1, 1, Severity.ERROR, "DT900", "TypeError: <x.EmptyTable object at 0x7f3a2b1c> is bad")
    assert d.message == "TypeError: <x.EmptyTable object> is bad"


def test_a_blocked_attribute_in_a_dag_template_is_a_diagnostic(tmp_path: Path) -> None:
    dag = (
        "from airflow import DAG\nfrom airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator\n"
        "with DAG(dag_id='d') as dag:\n"
        "    SQLExecuteQueryOperator(task_id='t', sql='insert into {{ params.schema }}.x select {{ params.__class__ }} "
        "from raw.y', params={'schema': 'mart'})\n"
        "    SQLExecuteQueryOperator(task_id='u', sql='insert into {{ params.schema }}.z select a from raw.y')\n"
    )
    (tmp_path / "dag.py").write_text(dag)
    graph = scan([tmp_path], Config(root=tmp_path))
    assert [(d.code, d.line) for d in graph.diagnostics if d.code == "DT205"] == [("DT205", 4)]
    # One placeholder convention: the sandbox renders an unknown name as __params_schema__, which
    # becomes a placeholder named after the variable and the file (docs/config.md), as in a .sql file.
    assert "{{ params_schema }}@dag.py.z" in graph.datasets and "mart.x" not in graph.datasets


def test_code_libcst_rejects_after_parsing_is_a_syntax_error_not_an_internal_one(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_text("import pandas as pd\npd.read_csv('in.csv').to_parquet('out.parquet')\n")
    (tmp_path / "bad.py").write_text("def load(path):\n    return* df[['total']]\n")  # found by benchmarks/fuzz.py
    graph = scan([tmp_path], Config(root=tmp_path))
    assert {(d.path, d.code) for d in graph.diagnostics} == {("bad.py", "DT300")}
    assert {(e.source, e.target) for e in graph.edges} == {("in.csv", "out.parquet")}


def test_many_joins_with_conditions_are_not_refused() -> None:
    query = "insert into mart.wide select a.x from a " + " ".join(
        f"join (select b{i}.x from b{i} join c{i} on b{i}.x = c{i}.x) s{i} on s{i}.x = a.x" for i in range(20)
    )
    result = extractor.analyze_sql(query + ";\n" + "select * from a " + " ".join(f"cross join t{i}" for i in range(20)))
    assert [d.code for d in result.diagnostics] == []
    assert result.statements[0].target_tables == {"mart.wide"}
