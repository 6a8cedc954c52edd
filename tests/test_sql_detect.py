"""Dialect detection for ``.sql`` scripts that no configuration names (extractor/sql/detect.py).

Each fixture under ``fixtures/sql_detect/<dialect>/`` is a script in that dialect (``default``:
none detected); its first line lists the tables its jobs must write.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.config import config_from_mapping
from extractor.scan import scan
from extractor.sql.detect import detect_dialect

from .golden import FIXTURES

CASES = sorted((FIXTURES / "sql_detect").glob("*/*.sql"))


def _expected_targets(path: Path) -> set[str]:
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("-- expect targets:"), path
    return {name.strip() for name in header.split(":", 1)[1].split(",")}


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_detected_dialect(path: Path) -> None:
    expected = None if path.parent.name == "default" else path.parent.name
    assert detect_dialect(path.read_text(encoding="utf-8")) == expected


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_detected_script_parses_and_writes_its_targets(path: Path, tmp_path: Path) -> None:
    (tmp_path / "script.sql").write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    graph = scan([tmp_path], config_from_mapping({}, root=tmp_path))
    assert not [d for d in graph.diagnostics if d.code.startswith("DT10")]
    written = {name for job in graph.jobs.values() for name in job.outputs}
    assert _expected_targets(path) <= written


def test_configured_dialect_wins_over_detection(tmp_path: Path) -> None:
    # Read as Postgres, the Hive script's "400" string is a name and 400_cnt does not parse.
    (tmp_path / "script.sql").write_text((FIXTURES / "sql_detect/hive/overwrite_partition.sql").read_text())
    graph = scan([tmp_path], config_from_mapping({"dialect": "postgres"}, root=tmp_path))
    assert any(d.code == "DT100" for d in graph.diagnostics)


def test_notebook_header_means_databricks() -> None:
    assert detect_dialect("-- Databricks notebook source\nSELECT 1\n") == "databricks"


def test_more_specific_family_wins() -> None:
    hive_and_delta = "INSERT OVERWRITE TABLE a SELECT * FROM b;\nCREATE TABLE c (x INT) USING DELTA;"
    assert detect_dialect(hive_and_delta) == "databricks"
    assert detect_dialect("SET hivevar:db=x;\nCREATE TABLE c USING parquet AS SELECT 1 AS x;") == "spark"


def test_words_in_names_and_settings_are_not_markers() -> None:
    assert detect_dialect("SELECT row, format, sort FROM t ORDER BY sort") is None
    assert detect_dialect("SET search_path = analytics; SELECT 1") is None
