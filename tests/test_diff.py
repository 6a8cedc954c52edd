"""Lineage diffs between git revisions, on real temporary repositories built by the tests."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from extractor.cli import EXIT_FINDINGS, EXIT_OK, main
from extractor.render.diff_report import MAX_COMMENT, STICKY_MARKER

from .conftest import EXAMPLE
from .gitrepo import GitRepo, committed_project


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    return committed_project(tmp_path, monkeypatch, EXAMPLE, "shop")


def run_diff(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["diff", *args, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def changes(report: dict) -> set[tuple[str, str | None, str, tuple[str, ...]]]:
    return {
        (c["dataset"], c["column"], c["category"], tuple(r["code"] for r in c["reasons"])) for c in report["changes"]
    }


STG_CUSTOMERS = "sql/staging/stg_customers.sql"
STG_ORDERS = "sql/staging/stg_orders.sql"


def test_age_in_months_reaches_the_training_input(shop: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    shop.replace(STG_CUSTOMERS, "DATE_PART('year', AGE(", "DATE_PART('month', AGE(")
    code, report = run_diff(capsys, "HEAD")
    assert code == EXIT_OK
    assert changes(report) == {("staging.stg_customers", "age_years", "column", ("TRANSFORMATION_CHANGED",))}
    (change,) = report["changes"]
    assert "YEAR" in change["before"] and "MONTH" in change["after"]
    assert change["location"] == {"path": STG_CUSTOMERS, "line": 6}
    impacted = {(i["dataset"], i["column"]) for i in report["impacted"]}
    assert ("ml.training_input", "age_years") in impacted
    assert ("features.customer_features", "age_years") in impacted
    path = next(
        i["via"] for i in report["impacted"] if (i["dataset"], i["column"]) == ("ml.training_input", "age_years")
    )
    assert path[0] == "staging.stg_customers.age_years" and path[-1] == "ml.training_input.age_years"


def test_impact_is_column_aware(shop: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    shop.replace(STG_ORDERS, "COALESCE(o.shipping_fee, 0)", "COALESCE(o.shipping_fee, 4.99)")
    _, report = run_diff(capsys, "HEAD")
    impacted = {(i["dataset"], i["column"]) for i in report["impacted"]}
    assert ("marts.fct_orders", "order_revenue") in impacted
    assert ("ml.training_input", "lifetime_revenue") in impacted
    assert ("ml.training_input", "avg_order_value") in impacted
    # Columns that do not derive from the shipping fee are not impacted.
    assert ("marts.fct_orders", "order_date") not in impacted
    assert ("ml.training_input", "sessions_90d") not in impacted
    assert ("ml.training_input", "age_years") not in impacted


def test_group_by_use_impacts_the_whole_downstream_dataset(shop: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    shop.replace(STG_CUSTOMERS, "DATE_PART('year', AGE(", "DATE_PART('month', AGE(")
    _, report = run_diff(capsys, "HEAD")
    impacted = {(i["dataset"], i["column"]) for i in report["impacted"]}
    # age_years is in dim_customers' GROUP BY, so every column of dim_customers is impacted.
    assert ("marts.dim_customers", "email") in impacted


def test_cosmetic_only_change_has_no_impact(shop: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    text = shop.read(STG_ORDERS)
    text = text.replace("FROM raw.orders AS o", "from RAW.ORDERS as src").replace("o.", "src.")
    text = text.replace("    src.order_id,", "    src.order_id,  -- the key\n")
    shop.write(STG_ORDERS, text)
    code, report = run_diff(capsys, "HEAD")
    assert code == EXIT_OK
    assert changes(report) == {("staging.stg_orders", None, "cosmetic", ("COSMETIC",))}
    assert report["impacted"] == []
    assert report["summary"]["verdict"] == "cosmetic"


def test_moving_a_statement_is_not_a_change(shop: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    shop.write(STG_ORDERS, "\n\n-- moved down\n\n" + shop.read(STG_ORDERS))
    _, report = run_diff(capsys, "HEAD")
    assert {c["category"] for c in report["changes"]} <= {"cosmetic"}
    assert report["impacted"] == []


def test_filter_change_is_breaking_and_fails_the_policy(shop: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    shop.replace(STG_ORDERS, "WHERE o.status <> 'test'", "WHERE o.status NOT IN ('test', 'fraud')")
    code = main(["diff", "HEAD", "--fail-on", "breaking"])
    out = capsys.readouterr().out
    assert code == EXIT_FINDINGS
    assert "[breaking] staging.stg_orders: FILTER_CHANGED" in out
    assert main(["diff", "HEAD", "--fail-on", "never"]) == EXIT_OK


def test_rename_is_detected(shop: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    shop.replace(STG_ORDERS, "AS used_coupon", "AS has_coupon")
    _, report = run_diff(capsys, "HEAD")
    renamed = [c for c in report["changes"] if c["reasons"][0]["code"] == "COLUMN_RENAMED"]
    assert [(c["dataset"], c["before"], c["after"]) for c in renamed] == [
        ("staging.stg_orders", "used_coupon", "has_coupon")
    ]
    # The downstream that read the old name now reads nothing: it is a removal there.
    assert ("marts.fct_orders", "used_coupon") in {(i["dataset"], i["column"]) for i in report["impacted"]}


def test_removed_and_added_columns_and_datasets(shop: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    shop.replace(
        STG_ORDERS,
        "    o.coupon_code IS NOT NULL AS used_coupon\n",
        "    o.coupon_code IS NOT NULL AS used_coupon,\n    o.coupon_code\n",
    )
    shop.write(
        "sql/marts/new_report.sql", "CREATE VIEW marts.coupon_report AS SELECT coupon_code FROM staging.stg_orders;\n"
    )
    (shop.root / "pipelines/train_churn.py").unlink()
    (shop.root / "sql/exports/export_training.sql").unlink()
    _, report = run_diff(capsys, "HEAD")
    found = changes(report)
    assert ("staging.stg_orders", "coupon_code", "additive", ("COLUMN_ADDED",)) in found
    assert ("marts.coupon_report", None, "additive", ("DATASET_ADDED",)) in found
    assert ("models/churn_model.joblib", None, "breaking", ("DATASET_REMOVED",)) in found
    assert ("/data/exports/training_input.csv", None, "breaking", ("DATASET_REMOVED",)) in found


def test_parse_error_is_unknown(shop: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    shop.write("sql/marts/broken.sql", "CREATE TABLE marts.x AS SELEC nothing FRM;\n")
    _, report = run_diff(capsys, "HEAD")
    assert any(c["category"] == "unknown" and c["reasons"][0]["code"] == "PARSE_ERROR" for c in report["changes"])


def test_staged_versus_work_tree(shop: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    shop.replace(STG_CUSTOMERS, "LOWER(TRIM(email))", "TRIM(email)")
    shop.git("add", STG_CUSTOMERS)
    shop.replace(STG_ORDERS, "COALESCE(o.shipping_fee, 0)", "COALESCE(o.shipping_fee, 5)")
    _, staged = run_diff(capsys, "HEAD", "--staged")
    _, worktree = run_diff(capsys, "HEAD")
    assert {c["dataset"] for c in staged["changes"]} == {"staging.stg_customers"}
    assert {c["dataset"] for c in worktree["changes"]} == {"staging.stg_customers", "staging.stg_orders"}


def test_two_commits_and_work_tree_untouched(shop: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    base = shop.git("rev-parse", "HEAD").strip()
    shop.replace(STG_CUSTOMERS, "UPPER(country_code)", "LOWER(country_code)")
    head = shop.commit("lower-case countries")
    shop.replace(STG_ORDERS, "COALESCE(o.shipping_fee, 0)", "o.shipping_fee")  # uncommitted, must not matter
    status_before = shop.git("status", "--porcelain")
    _, report = run_diff(capsys, base, head)
    assert {(c["dataset"], c["column"]) for c in report["changes"]} == {("staging.stg_customers", "country_code")}
    assert shop.git("status", "--porcelain") == status_before
    assert "lower-case countries" in shop.git("log", "-1", "--format=%s")


def test_markdown_report_is_a_sticky_comment_with_mermaid(shop: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    shop.replace(STG_CUSTOMERS, "DATE_PART('year', AGE(", "DATE_PART('month', AGE(")
    assert main(["diff", "HEAD", "--format", "markdown"]) == EXIT_OK
    text = capsys.readouterr().out
    assert text.startswith(STICKY_MARKER)
    # The example shop tags birth_date as pii (docs/governance.md): the changed column carries a badge.
    assert "| 🟠 | `staging.stg_customers.age_years` `⚑ pii` | `sql/staging/stg_customers.sql#L6` |" in text
    assert "<details>" in text and "```mermaid" in text and "class n" in text
    assert len(text) < MAX_COMMENT


def test_github_annotations(shop: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    shop.replace(STG_ORDERS, "WHERE o.status <> 'test'", "WHERE o.status <> 'demo'")
    assert main(["diff", "HEAD", "--format", "github"]) == EXIT_OK
    line = capsys.readouterr().out.strip()
    assert line.startswith("::error file=sql/staging/stg_orders.sql,line=")
    assert "FILTER_CHANGED" in line


def test_cache_makes_the_second_diff_reuse_analyses(shop: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    shop.replace(STG_CUSTOMERS, "UPPER(country_code)", "LOWER(country_code)")
    run_diff(capsys, "HEAD")
    cache_file = Path(os.environ["DATATRAIL_CACHE_DIR"]) / "analysis.sqlite"
    assert cache_file.exists() and cache_file.stat().st_size > 0
    _, again = run_diff(capsys, "HEAD")
    _, uncached = run_diff(capsys, "HEAD", "--no-cache")
    assert again == uncached


def test_upstream_sql_change_reaches_the_ml_model_through_python(
    shop: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    shop.replace(STG_CUSTOMERS, "DATE_PART('year', AGE(", "DATE_PART('month', AGE(")
    _, report = run_diff(capsys, "HEAD")
    model = [i for i in report["impacted"] if i["dataset"] == "models/churn_model.joblib"]
    assert {i["column"] for i in model} >= {"age_years", "orders_per_year"}
    assert all(i["kind"] == "model" for i in model)
    via = next(i["via"] for i in model if i["column"] == "orders_per_year")
    assert via[0] == "staging.stg_customers.age_years"
    assert "/data/exports/training_input.csv.age_years" in via
    assert report["summary"]["impacted_models"] == 1


def test_markdown_for_a_huge_change_stays_within_githubs_limit() -> None:
    from extractor.diff import COLUMN, Change, Impact, LineageDiff, Reason
    from extractor.graph import Job, LineageGraph
    from extractor.model import Location
    from extractor.render.diff_report import render_markdown

    changes = [
        Change(f"mart.table_{i:04d}", f"column_{j}", COLUMN,
               (Reason("TRANSFORMATION_CHANGED", "a" * 80, "b" * 80),), "a" * 80, "b" * 80,
               Location(f"sql/table_{i:04d}.sql", j + 1))
        for i in range(400) for j in range(5)
    ]  # fmt: skip
    impacted = [
        Impact(f"mart.down_{i:04d}", "c", (f"mart.table_{i:04d}.column_0", f"mart.down_{i:04d}.c")) for i in range(3000)
    ]
    head = LineageGraph()
    head.add_job(Job("j", "sql", "x.sql"))
    for i in range(400):
        head.dataset(f"mart.table_{i:04d}")
        head.dataset(f"mart.down_{i:04d}")
        head.add_flow(f"mart.table_{i:04d}", f"mart.down_{i:04d}", "j")
    text = render_markdown(LineageDiff("main", "HEAD", changes, impacted), head)
    assert len(text) < 60_000
    assert text.startswith(STICKY_MARKER)
    assert "COLUMN: 2000 column" in text
    assert "| 🟠 | `mart.table_0000` |" in text  # collapsed to one row per dataset, not to bare counts


def test_deep_upstream_change_reaches_the_model_through_sql_dbt_and_python(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepo(tmp_path / "mixed")
    repo.write("pyproject.toml", '[tool.datatrail]\ndialect = "postgres"\n')
    repo.write("warehouse/raw.sql", "CREATE TABLE raw.customers (id INT, birth_date DATE, plan VARCHAR);\n")
    repo.write("dbt/dbt_project.yml", "name: shop\nversion: '1.0'\nprofile: shop\nmodel-paths: [models]\n")
    repo.write(
        "dbt/models/sources.yml",
        "version: 2\nsources:\n  - name: raw\n    schema: raw\n    tables:\n      - name: customers\n",
    )
    repo.write(
        "dbt/models/stg_customers.sql",
        "select id, extract(year from age(current_date, birth_date)) as age_years, plan\n"
        "from {{ source('raw', 'customers') }}\n",
    )
    repo.write(
        "dbt/models/customer_features.sql",
        "select id, age_years, plan = 'pro' as is_pro\nfrom {{ ref('stg_customers') }}\n",
    )
    repo.write(
        "train.py",
        "import joblib\nimport pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n\n"
        "df = pd.read_sql('SELECT age_years, is_pro FROM analytics.customer_features', 'postgresql://warehouse')\n"
        "model = LogisticRegression().fit(df[['age_years']], df['is_pro'])\n"
        "joblib.dump(model, 'models/churn.joblib')\n",
    )
    repo.commit("base")
    monkeypatch.chdir(repo.root)
    repo.replace("dbt/models/stg_customers.sql", "extract(year from", "extract(month from")
    _, report = run_diff(capsys, "HEAD")
    assert {(c["dataset"], c["column"]) for c in report["changes"]} == {("analytics.stg_customers", "age_years")}
    model = {(i["dataset"], i["column"]) for i in report["impacted"] if i["kind"] == "model"}
    assert ("models/churn.joblib", "age_years") in model
    via = next(
        i["via"] for i in report["impacted"] if (i["dataset"], i["column"]) == ("models/churn.joblib", "age_years")
    )
    assert via == [
        "analytics.stg_customers.age_years",
        "analytics.customer_features.age_years",
        "models/churn.joblib.age_years",
    ]
