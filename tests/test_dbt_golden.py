"""Golden dbt projects: fixtures/dbt/<case>/ is a small dbt project next to its expected.json.

The expectations are written by hand from the SQL's meaning (not generated), in a compact form:
datasets with kind and columns (plus materialization and tags for models), table edges
``source -> target``, column edges ``source.column -> target.column SUBTYPE`` (``*`` as target
column is dataset-wide lineage; ``constant -> target.column TRANSFORMATION`` is a column whose value
reads no column) and diagnostics ``path:line CODE``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from extractor.config import load_config
from extractor.graph import LineageGraph
from extractor.model import DatasetKind
from extractor.scan import scan

from .conftest import REPO

FIXTURES = REPO / "fixtures" / "dbt"


def cases() -> list[Path]:
    return sorted(p.parent for p in FIXTURES.glob("*/expected.json"))


def compact(graph: LineageGraph) -> dict[str, Any]:
    datasets: dict[str, Any] = {}
    for name, ds in graph.datasets.items():
        item: dict[str, Any] = {"kind": ds.kind.value, "columns": list(ds.columns)}
        if ds.kind is DatasetKind.DBT_MODEL:
            item["materialized"] = ds.attributes.get("materialized")
            item["tags"] = ds.attributes.get("tags")
        datasets[name] = item
    column_edges = []
    for je in graph.column_edges:
        e = je.edge
        target = e.target.column if e.target.column is not None else "*"
        source = "constant" if e.constant else f"{e.source.table}.{e.source.column}"
        column_edges.append(f"{source} -> {e.target.table}.{target} {e.subtype.value}")
    return {
        "datasets": datasets,
        "edges": sorted({f"{e.source} -> {e.target}" for e in graph.edges}),
        "column_edges": sorted(set(column_edges)),
        "diagnostics": sorted({f"{d.path}:{d.line} {d.code}" for d in graph.diagnostics}),
    }


def scan_case(case: Path) -> LineageGraph:
    return scan([case], load_config(case))


@pytest.mark.parametrize("case", cases(), ids=lambda p: p.name)
def test_dbt_golden(case: Path) -> None:
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    actual = compact(scan_case(case))
    assert actual["datasets"] == expected["datasets"]
    assert actual["edges"] == sorted(expected["edges"])
    assert actual["column_edges"] == sorted(expected["column_edges"])
    assert actual["diagnostics"] == sorted(expected["diagnostics"])


def test_there_are_dbt_goldens() -> None:
    assert len(cases()) >= 5
