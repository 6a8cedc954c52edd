"""Work done in forked processes before units exist: same answer for every worker count."""

from __future__ import annotations

import os
from pathlib import Path

from extractor import json_format, parallel
from extractor.cache import AnalysisCache
from extractor.config import load_config
from extractor.scan import scan


def square_or_fail(n: int) -> object:
    if n == 7:
        raise ValueError("seven")
    if n == 11:
        return lambda: n  # does not pickle
    return n * n


def square_or_die(n: int) -> int:
    if n == 13:
        os._exit(1)  # the worker dies: what it had not sent back comes back to the caller
    return n * n


def test_fork_map_keeps_order_and_hands_back_what_failed() -> None:
    items = list(range(40))
    results = parallel.fork_map(square_or_fail, items, 2)
    assert results == [(False, None) if i in (7, 11) else (True, i * i) for i in items]
    assert parallel.fork_map(square_or_fail, items[:3], 2) == [(False, None)] * 3  # too few to fork
    assert parallel.fork_map(square_or_fail, items, 1) == [(False, None)] * 40


def test_a_dead_worker_costs_speed_not_answers() -> None:
    results = parallel.fork_map(square_or_die, list(range(40)), 2)
    assert len(results) == 40 and results[13] == (False, None)
    assert all(value == i * i for i, (ok, value) in enumerate(results) if ok)


def write_project(root: Path, models: int) -> Path:
    files = {
        "dbt_project.yml": "name: shop\nprofile: shop\nmodels:\n  shop:\n    +materialized: view\n",
        "models/sources.yml": "version: 2\nsources:\n  - name: raw\n    tables:\n"
        "      - name: orders\n        columns: [{name: id}, {name: amount}, {name: status}]\n",
        # A config() that moves the model: renders of its readers made before it was learnt are redone.
        "models/m000.sql": "{{ config(schema='moved', alias='first') }}\n"
        "select id, amount, status from {{ source('raw', 'orders') }}\n",
    }
    for i in range(1, models):
        files[f"models/m{i:03d}.sql"] = (
            f"{{{{ config(materialized='table', tags=['t{i % 3}']) }}}}\n"
            f"select id, amount * {i} as amount, status from {{{{ ref('m{i - 1:03d}') }}}}\n"
            "{% if var('only_paid', false) %} where status = 'paid' {% endif %}\n"
        )
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_dbt_configs_learnt_in_workers_give_the_serial_answer(tmp_path: Path) -> None:
    root = write_project(tmp_path / "project", parallel.MIN_ITEMS + 8)
    serial = json_format.dumps(scan([root], load_config(root), jobs=1))
    forked = json_format.dumps(scan([root], load_config(root), jobs=2))
    cache = AnalysisCache(tmp_path / "cache.sqlite")
    scan([root], load_config(root), jobs=2, cache=cache)
    warm = json_format.dumps(scan([root], load_config(root), jobs=2, cache=cache))
    cache.close()
    assert serial == forked == warm
    graph = json_format.loads(serial)
    assert "analytics_moved.first" in graph.datasets
    assert {e.source for e in graph.edges if e.target == "analytics.m001"} == {"analytics_moved.first"}
