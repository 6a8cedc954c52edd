"""Airflow SQL templates: their jobs and diagnostics point at the template file, at its own lines."""

from __future__ import annotations

from .test_python_golden import CASES, run_case


def test_template_jobs_point_at_the_sql_file_and_its_errors_are_reported() -> None:
    graph = run_case(CASES / "airflow" / "template_errors")
    daily = graph.jobs["dags/etl.py:mart.daily"]
    assert (daily.path, daily.line) == ("dags/sql/daily.sql", 3)
    kept = graph.jobs["dags/etl.py:mart.kept"]
    assert (kept.path, kept.line) == ("dags/sql/broken.sql", 5)
    assert [(d.path, d.line, d.code) for d in graph.diagnostics] == [("dags/sql/broken.sql", 4, "DT100")]
