"""Golden SQL fixtures: fixtures/sql/<dialect>/<case>.sql next to <case>.expected.json.

Regenerate with ``python -m tests.regen sql`` and read every diff before committing it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .golden import FIXTURES, expected_path, sql_case_result, sql_cases


@pytest.mark.parametrize("sql_path", sql_cases(), ids=lambda p: str(p.relative_to(FIXTURES / "sql")))
def test_sql_golden(sql_path: Path) -> None:
    expected = json.loads(expected_path(sql_path).read_text(encoding="utf-8"))
    actual = sql_case_result(sql_path)
    assert actual["statements"] == expected["statements"]
    assert actual["column_edges"] == sorted(expected["column_edges"])
    assert actual["diagnostics"] == sorted(expected.get("diagnostics", []))


def test_every_fixture_has_expectations() -> None:
    missing = [p for p in sql_cases() if not expected_path(p).exists()]
    assert not missing
    assert len(sql_cases()) >= 1
