"""``modules`` in dbt templates: the pytz look-alike behaves like pytz where templates rely on it."""

from __future__ import annotations

from pathlib import Path

from extractor.config import config_from_mapping
from extractor.scan import scan

from .test_dbt_scan import write


def test_pytz_localize_and_timestamps_compare(tmp_path: Path) -> None:
    # dbt_date's compile-time comparisons: tz.localize(naive).timestamp() against run_started_at.
    model = (
        "{% set tz = modules.pytz.timezone('America/Los_Angeles') %}"
        "{% set then = tz.localize(modules.datetime.datetime(2000, 1, 1)) %}"
        "{{ config(enabled=then.timestamp() < run_started_at.timestamp()) }}"
        "select {{ then.utcoffset().total_seconds() | int }} as offset_seconds, '{{ tz.zone }}' as zone"
    )
    late = "{{ config(enabled=modules.pytz.utc.localize(modules.datetime.datetime(9999, 1, 1)).timestamp() < 0) }}"
    root = write(tmp_path, {
        "dbt_project.yml": "name: p\n",
        "models/m.sql": model,
        "models/never.sql": late + "select 1 as x",
    })  # fmt: skip
    graph = scan([root], config_from_mapping({}, root=root.resolve()))
    assert not [d for d in graph.diagnostics if d.code == "DT200"]
    assert set(graph.datasets) == {"analytics.m"}  # never.sql is disabled by its config(enabled=…)
    assert graph.datasets["analytics.m"].columns == ["offset_seconds", "zone"]
