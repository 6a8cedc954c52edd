"""Gates fail closed: `diff`/`check`/`scan` never pass because they compared nothing, and exit
codes tell findings (1), usage and configuration errors (2) and internal errors (3) apart."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from extractor.cli import EXIT_FINDINGS, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, main

from .conftest import EXAMPLE
from .gitrepo import GitRepo

POLICY = '\n[tool.datatrail.policy]\nprotected = ["ml.*"]\n'
STG_CUSTOMERS = "sql/staging/stg_customers.sql"


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    repo = GitRepo(tmp_path / "shop")
    repo.copy_tree(EXAMPLE)
    repo.write("pyproject.toml", repo.read("pyproject.toml") + POLICY)
    repo.commit("base")
    monkeypatch.chdir(repo.root)
    monkeypatch.setenv("DATATRAIL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("PRE_COMMIT_FROM_REF", raising=False)
    monkeypatch.delenv("PRE_COMMIT_TO_REF", raising=False)
    return repo


def test_a_misspelt_revision_is_an_error_naming_it(shop: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    shop.git("branch", "feature")
    shop.replace(STG_CUSTOMERS, "UPPER(country_code)", "LOWER(country_code)")
    assert main(["diff", "main", "featur", "--fail-on", "column"]) == EXIT_USAGE
    assert "'featur'" in capsys.readouterr().err


def test_a_missing_path_argument_is_an_error(shop: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    shop.git("branch", "feature")
    assert main(["diff", "main", "feature", "sqll"]) == EXIT_USAGE
    assert "'sqll'" in capsys.readouterr().err
    assert main(["check", "sqll"]) == EXIT_USAGE


def test_a_path_deleted_since_the_base_is_still_a_path(shop: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    shop.git("rm", "-q", "-r", "sql/exports")
    code = main(["diff", "HEAD", "sql/exports", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code == EXIT_OK
    assert {c["reasons"][0]["code"] for c in report["changes"]} == {"DATASET_REMOVED"}


def test_a_bad_base_revision_is_named(shop: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--base", "no-such-branch"]) == EXIT_USAGE
    assert "'no-such-branch'" in capsys.readouterr().err
    assert main(["diff", "no-such-branch", "HEAD"]) == EXIT_USAGE
    assert "'no-such-branch'" in capsys.readouterr().err


def test_configured_paths_must_exist(shop: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    shop.replace("pyproject.toml", 'paths = ["sql", "pipelines"]', 'paths = ["sqll"]')
    assert main(["scan", "--strict", "-q"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "'sqll'" in err and "pyproject.toml" in err
    assert main(["diff", "HEAD"]) == EXIT_USAGE
    assert main(["check", "--worktree"]) == EXIT_USAGE


def test_check_at_pre_push_checks_the_pushed_commits(
    shop: GitRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    base = shop.git("rev-parse", "HEAD").strip()
    shop.replace(STG_CUSTOMERS, "DATE_PART('year', AGE(", "DATE_PART('month', AGE(")
    head = shop.commit("age in months")
    assert main(["check"]) == EXIT_OK  # the index equals HEAD: nothing staged
    capsys.readouterr()
    monkeypatch.setenv("PRE_COMMIT_FROM_REF", base)
    monkeypatch.setenv("PRE_COMMIT_TO_REF", head)
    assert main(["check"]) == EXIT_FINDINGS
    assert "DT500 column change to staging.stg_customers.age_years" in capsys.readouterr().out


def test_check_in_a_repository_without_commits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    repo = GitRepo(tmp_path / "new")
    repo.copy_tree(EXAMPLE)
    repo.git("add", "-A")
    monkeypatch.chdir(repo.root)
    monkeypatch.setenv("DATATRAIL_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["check"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "0 failing" in out and "(additive)" in out
    repo.write("sql/marts/broken.sql", "CREATE TABLE marts.x AS SELEC nothing FRM;\n")
    repo.git("add", "-A")
    assert main(["check"]) == EXIT_FINDINGS
    assert "sql/marts/broken.sql:1:" in capsys.readouterr().out


def test_a_staged_file_that_no_longer_parses_is_unknown_not_breaking(
    shop: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    shop.replace(STG_CUSTOMERS, "SELECT", "SELEC")
    shop.git("add", STG_CUSTOMERS)
    assert main(["check"]) == EXIT_FINDINGS
    out = capsys.readouterr().out
    assert f"{STG_CUSTOMERS}:" in out and "DT100" in out
    assert "DT500" not in out and "pyproject.toml" not in out and "-> ∅" not in out
    assert main(["diff", "HEAD", "--staged", "--format", "json"]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    stg = [c for c in report["changes"] if c["dataset"] == "staging.stg_customers"]
    assert [(c["category"], c["reasons"][0]["code"]) for c in stg] == [("unknown", "PARSE_ERROR")]
    assert all(c["category"] != "breaking" for c in report["changes"])


def _break_the_analyser(monkeypatch: pytest.MonkeyPatch) -> None:
    from extractor.sql import statements

    def boom(self: object, statement: object) -> list:
        raise KeyError("analyser bug")

    monkeypatch.setattr(statements.StatementAnalyzer, "analyze", boom)


def test_internal_errors_exit_3_and_are_never_findings(
    shop: GitRepo, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _break_the_analyser(monkeypatch)
    assert main(["scan", "--strict", "-q", "--no-cache"]) == EXIT_INTERNAL
    assert "DT900 KeyError" in capsys.readouterr().err
    shop.replace(STG_CUSTOMERS, "UPPER(country_code)", "LOWER(country_code)")
    shop.git("add", STG_CUSTOMERS)
    assert main(["check", "--no-cache"]) == EXIT_INTERNAL
    captured = capsys.readouterr()
    assert "DT900 KeyError" in captured.out and "internal error" in captured.err
    assert main(["diff", "HEAD", "--no-cache", "--format", "json"]) == EXIT_INTERNAL


def test_an_output_path_under_a_regular_file_is_a_usage_error(
    shop: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    (shop.root / "afile").write_text("x")
    assert main(["scan", "-o", "afile/lineage.json"]) == EXIT_USAGE
    assert "cannot write afile/lineage.json" in capsys.readouterr().err
    assert main(["diff", "HEAD", "-o", "afile/diff.md"]) == EXIT_USAGE


def test_config_is_validated_alike_by_every_command(shop: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    shop.write("pyproject.toml", shop.read("pyproject.toml") + "fail_onn = 'column'\n")
    for command in (["check", "--worktree"], ["diff", "HEAD"], ["scan", "-q"]):
        assert main(command) == EXIT_USAGE, command
        err = capsys.readouterr().err
        assert "fail_onn" in err and "pyproject.toml" in err


def test_docs_images_must_be_auto_or_a_boolean(shop: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    shop.write("pyproject.toml", shop.read("pyproject.toml") + '\n[tool.datatrail.docs]\nimages = "sometimes"\n')
    assert main(["docs", "out"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "[tool.datatrail.docs] images" in err and "pyproject.toml" in err and "'sometimes'" in err
    assert main(["diff", "HEAD"]) == EXIT_USAGE


def test_config_outside_the_scanned_tree_terminates(tmp_path: Path) -> None:
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "pyproject.toml").write_text('[tool.datatrail]\ndialect = "postgres"\n')
    (tmp_path / "code" / "pkg").mkdir(parents=True)
    (tmp_path / "code" / "pkg" / "job.py").write_text("import pandas as pd\npd.read_csv('a.csv').to_parquet('b.pq')\n")
    done = subprocess.run(
        [sys.executable, "-m", "extractor.cli", "scan", str(tmp_path / "code"), "--config",
         str(tmp_path / "cfg" / "pyproject.toml"), "-o", str(tmp_path / "out.json"), "--no-cache"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == EXIT_OK, done.stderr
    names = {d["name"] for d in json.loads((tmp_path / "out.json").read_text())["datasets"]}
    assert {"a.csv", "b.pq"} <= {n.rsplit("/", 1)[-1] for n in names}


def test_a_constant_column_is_an_added_column(shop: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    shop.write("sql/marts/one.sql", "CREATE TABLE marts.one AS SELECT order_id FROM staging.stg_orders;\n")
    shop.commit("one")
    shop.replace("sql/marts/one.sql", "SELECT order_id", "SELECT order_id, 1 AS y")
    main(["diff", "HEAD", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    found = {(c["dataset"], c["column"], c["category"], c["reasons"][0]["code"]) for c in report["changes"]}
    assert found == {("marts.one", "y", "additive", "COLUMN_ADDED")}


def test_check_fails_on_a_staged_statement_too_deep_to_analyse(
    shop: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    shop.write("sql/marts/deep.sql", "CREATE TABLE marts.deep AS SELECT " + "(" * 500 + "1" + ")" * 500 + " AS x;\n")
    shop.git("add", "-A")
    assert main(["check"]) == EXIT_FINDINGS
    assert "sql/marts/deep.sql:1:1: DT102" in capsys.readouterr().out
