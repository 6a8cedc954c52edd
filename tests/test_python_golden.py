"""Golden Python fixtures: fixtures/python/<family>/<case>.py (or .ipynb, or a <case>/ directory)
next to <case>.expected.json, written by hand from what the code does.

An expectation lists dataset edges ``"source -> target"``, direct column edges
``"source.column -> target.column SUBTYPE"`` (``constant -> …`` for a literal column), and the
diagnostic codes; optionally indirect column edges (``*`` = the whole target), dataset kinds and
job attributes (Airflow task ids and order).

    python -m tests.test_python_golden            # precision / recall over all cases
    python -m tests.test_python_golden --regen    # rewrite expectations; read every diff!
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from extractor.config import Config
from extractor.graph import LineageGraph
from extractor.model import ColumnEdge
from extractor.scan import scan

from .conftest import REPO

CASES = REPO / "fixtures" / "python"
EXTENSIONS = (".py", ".ipynb")


def python_cases() -> list[Path]:
    """Every case: a file or directory with a sibling ``<case>.expected.json``."""
    cases = []
    for expected in sorted(CASES.glob("*/*.expected.json")):
        stem = expected.name[: -len(".expected.json")]
        for candidate in [expected.with_name(stem + ext) for ext in EXTENSIONS] + [expected.with_name(stem)]:
            if candidate.exists():
                cases.append(candidate)
                break
    return cases


def expected_path(case: Path) -> Path:
    stem = case.name.rsplit(".", 1)[0] if case.is_file() else case.name
    return case.with_name(stem + ".expected.json")


def run_case(case: Path) -> LineageGraph:
    root = case if case.is_dir() else case.parent
    return scan([case], Config(root=root))


def edge_text(edge: ColumnEdge) -> str:
    target = edge.target.column if edge.target.column is not None else "*"
    source = "constant" if edge.constant else f"{edge.source.table}.{edge.source.column}"
    return f"{source} -> {edge.target.table}.{target} {edge.subtype.value}"


def case_result(graph: LineageGraph) -> dict[str, Any]:
    return {
        "edges": sorted({f"{e.source} -> {e.target}" for e in graph.edges}),
        "column_edges": sorted({edge_text(je.edge) for je in graph.column_edges if je.edge.kind == "direct"}),
        "indirect_column_edges": sorted(
            {edge_text(je.edge) for je in graph.column_edges if je.edge.kind == "indirect"}
        ),
        "diagnostics": sorted({d.code for d in graph.diagnostics}),
    }


@pytest.mark.parametrize("case", python_cases(), ids=lambda p: str(p.relative_to(CASES)))
def test_python_golden(case: Path) -> None:
    expected = json.loads(expected_path(case).read_text(encoding="utf-8"))
    graph = run_case(case)
    actual = case_result(graph)
    assert actual["edges"] == sorted(expected["edges"])
    assert actual["column_edges"] == sorted(expected["column_edges"])
    if "indirect_column_edges" in expected:
        assert actual["indirect_column_edges"] == sorted(expected["indirect_column_edges"])
    assert actual["diagnostics"] == sorted(expected["diagnostics"])
    for name, kind in expected.get("kinds", {}).items():
        assert graph.datasets[name].kind.value == kind, name
    for name, attributes in expected.get("jobs", {}).items():
        job = graph.jobs[name]
        assert {k: job.attributes.get(k) for k in attributes} == attributes, name
    for line in expected.get("diagnostic_lines", []):
        assert line in {f"{d.path}:{d.line}:{d.column} {d.code}" for d in graph.diagnostics}


def test_every_family_has_cases() -> None:
    families = {p.relative_to(CASES).parts[0] for p in python_cases()}
    assert families >= {"pandas", "pyspark", "polars", "sql_in_python", "ml", "values", "cross_module", "airflow"}


def scores() -> dict[str, tuple[float, float]]:
    """Precision and recall of dataset edges and direct column edges over all cases."""
    totals = {"edges": [0, 0, 0], "column_edges": [0, 0, 0]}  # true positives, found, expected
    for case in python_cases():
        expected = json.loads(expected_path(case).read_text(encoding="utf-8"))
        actual = case_result(run_case(case))
        for key, counts in totals.items():
            want, got = set(expected[key]), set(actual[key])
            counts[0] += len(want & got)
            counts[1] += len(got)
            counts[2] += len(want)
    return {k: (tp / found if found else 1.0, tp / want if want else 1.0) for k, (tp, found, want) in totals.items()}


def regen() -> None:
    for case in python_cases():
        path = expected_path(case)
        expected = json.loads(path.read_text(encoding="utf-8"))
        actual = case_result(run_case(case))
        for key in ("edges", "column_edges", "diagnostics"):
            expected[key] = actual[key]
        if "indirect_column_edges" in expected:
            expected["indirect_column_edges"] = actual["indirect_column_edges"]
        path.write_text(json.dumps(expected, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    if "--regen" in sys.argv:
        regen()
    for key, (precision, recall) in scores().items():
        print(f"{key:14s} precision {precision:.1%}  recall {recall:.1%}")
