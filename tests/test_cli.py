"""The CLI, run in-process through main(argv) and, for determinism, as real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from extractor.cli import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, main

from .conftest import EXAMPLE, REPO, needs_dot


def test_scan_text_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(EXAMPLE)]) == EXIT_OK
    out = capsys.readouterr().out
    assert "datasets" in out and "column edges" in out
    assert "diagnostics   0" in out


def test_scan_json_to_file_and_dot_diagram(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "lineage.json"
    diagram = tmp_path / "lineage.dot"
    assert main(["scan", str(EXAMPLE), "-o", str(out), "--diagram", str(diagram)]) == EXIT_OK
    data = json.loads(out.read_text())
    assert data["format_version"] == 1
    assert {d["name"] for d in data["datasets"]} >= {"raw.customers", "ml.training_input"}
    assert diagram.read_text().startswith("digraph lineage {")
    assert f"wrote {out}" in capsys.readouterr().out


@needs_dot
def test_scan_svg_diagram(tmp_path: Path) -> None:
    svg = tmp_path / "lineage.svg"
    assert main(["scan", str(EXAMPLE), "-o", str(tmp_path / "l.json"), "--diagram", str(svg)]) == EXIT_OK
    text = svg.read_text()
    assert text.lstrip().startswith("<?xml") and "ml.training_input" in text


def test_mermaid_diagram(tmp_path: Path) -> None:
    target = tmp_path / "lineage.mmd"
    assert main(["scan", str(EXAMPLE), "-q", "--diagram", str(target)]) == EXIT_OK
    text = target.read_text()
    assert text.startswith("flowchart LR") and "-->" in text


def test_strict_exits_with_findings_on_syntax_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.sql").write_text("INSERT INTO a SELECT b FROM c;\nSELEC oops;\n")
    assert main(["scan", str(tmp_path)]) == EXIT_OK
    assert main(["scan", str(tmp_path), "--strict", "-q"]) == EXIT_FINDINGS
    out = capsys.readouterr().out
    assert "bad.sql:2:1: DT100" in out


def test_unknown_dialect_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(EXAMPLE), "--dialect", "nosuchsql"]) == EXIT_USAGE
    assert "nosuchsql" in capsys.readouterr().err


def test_config_type_error_is_usage_error_and_unknown_keys_warn(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.sql").write_text("INSERT INTO x SELECT y FROM z;")
    (tmp_path / "pyproject.toml").write_text("[tool.datatrail]\ndialect = 3\n")
    assert main(["scan", str(tmp_path)]) == EXIT_USAGE
    assert "dialect must be a string" in capsys.readouterr().err
    (tmp_path / "pyproject.toml").write_text('[tool.datatrail]\ndialect = "duckdb"\nfrobnicate = true\n')
    assert main(["scan", str(tmp_path)]) == EXIT_OK
    assert "unknown key [tool.datatrail] 'frobnicate'" in capsys.readouterr().out


def test_per_path_dialects_and_schema_files(tmp_path: Path) -> None:
    (tmp_path / "tsql").mkdir()
    (tmp_path / "tsql" / "load.sql").write_text("SELECT TOP 10 [order id] INTO #recent FROM dbo.orders;")
    (tmp_path / "star.sql").write_text("CREATE TABLE mart.copy AS SELECT * FROM raw.events;")
    (tmp_path / "schema.yml").write_text("tables:\n  raw.events: [event_id, payload]\n")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.datatrail]\nschema_files = ["schema.yml"]\n[tool.datatrail.dialects]\n"tsql/**" = "tsql"\n'
    )
    out = tmp_path / "l.json"
    assert main(["scan", str(tmp_path), "-o", str(out)]) == EXIT_OK
    data = json.loads(out.read_text())
    assert data["diagnostics"] == []
    edges = {(e["source"]["column"], e["target"]["dataset"], e["target"]["column"]) for e in data["column_edges"]}
    assert ("event_id", "mart.copy", "event_id") in edges
    assert ("order id", "#recent", "order id") in edges


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == EXIT_OK
    assert "datatrail" in capsys.readouterr().out
    assert main(["scan", "--help"]) == EXIT_OK
    assert "Examples:" in capsys.readouterr().out


def _run_scan(tmp_path: Path, seed: str, name: str) -> bytes:
    target = tmp_path / name
    env = {**os.environ, "PYTHONHASHSEED": seed}
    subprocess.run(
        [sys.executable, "-m", "extractor.cli", "scan", str(EXAMPLE), "-q", "-o", str(target), "--diagram",
         str(target.with_suffix(".mmd"))],
        check=True, env=env, cwd=REPO,
    )  # fmt: skip
    dot = subprocess.run(
        [sys.executable, "-m", "extractor.cli", "scan", str(EXAMPLE), "-q",
         "--diagram", str(target.with_suffix(".dot"))],
        check=True, env=env, cwd=REPO,
    )  # fmt: skip
    assert dot.returncode == 0
    return target.read_bytes() + target.with_suffix(".mmd").read_bytes() + target.with_suffix(".dot").read_bytes()


def test_output_is_byte_identical_across_hash_seeds(tmp_path: Path) -> None:
    assert _run_scan(tmp_path, "1", "a.json") == _run_scan(tmp_path, "4242", "b.json")
