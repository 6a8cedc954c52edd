"""dbt-duckdb sources read from files: columns from a CSV header in the project, nothing outside it."""

from __future__ import annotations

from pathlib import Path

from extractor.config import config_from_mapping
from extractor.scan import scan

from .test_dbt_scan import write


def source_columns(root: Path) -> list[str]:
    graph = scan([root], config_from_mapping({}, root=root.resolve()))
    return list(graph.datasets["files.t"].columns)


def test_a_csv_outside_the_project_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "secret.csv").write_text("password,token\n", encoding="utf-8")
    project = tmp_path / "p"
    write(project, {
        "dbt_project.yml": "name: p\n",
        "models/s.yml": "sources:\n  - name: files\n    meta: {external_location: '../secret.csv'}\n"
                        "    tables: [{name: t}]\n",
        "models/m.sql": "select * from {{ source('files', 't') }}",
    })  # fmt: skip
    assert source_columns(project) == []


def test_yaml_columns_win_and_templated_or_remote_locations_are_skipped(tmp_path: Path) -> None:
    write(tmp_path, {
        "dbt_project.yml": "name: p\n",
        "data/t.csv": "a,b\n1,2\n",
        "models/s.yml": "sources:\n  - name: files\n    meta: {external_location: 'data/{name}.csv'}\n"
                        "    tables: [{name: t, columns: [{name: only}]}]\n",
        "models/m.sql": "select * from {{ source('files', 't') }}",
    })  # fmt: skip
    assert source_columns(tmp_path) == ["only"]
    write(tmp_path, {"models/s.yml": "sources:\n  - name: files\n    meta: {external_location: 's3://b/{name}.csv'}\n"
                                     "    tables: [{name: t}]\n"})  # fmt: skip
    assert source_columns(tmp_path) == []
    write(tmp_path, {"models/s.yml": "sources:\n  - name: files\n    meta: {external_location: 'data/{nope}.csv'}\n"
                                     "    tables: [{name: t}]\n"})  # fmt: skip
    assert source_columns(tmp_path) == []
