"""Script-level units: a procedure body split at its semicolons is still one unit."""

from __future__ import annotations

import pytest

import extractor

from .golden import FIXTURES


@pytest.mark.parametrize("dialect", ["tsql", "oracle"])
def test_split_procedure_body_is_one_unit(dialect: str) -> None:
    sql = (FIXTURES / "sql" / dialect / "procedure_body_split.sql").read_text(encoding="utf-8")
    result = extractor.analyze_sql(sql, dialect)
    groups = [s.group for s in result.statements]
    # The two statements of the body share the procedure's unit; the INSERT after END does not.
    assert groups[0] == groups[1] != groups[2]
    # Written and then read inside the unit: a source and a target of the script, like a
    # procedure parsed whole; mart.order_totals is written by the unit and read after it.
    assert result.source_tables == {"raw.orders", "stage.orders_clean"}
    assert result.target_tables == {"stage.orders_clean", "mart.order_audit"}
    assert result.intermediate_tables == {"mart.order_totals"}
    assert not result.diagnostics  # the closing END is not reported as a statement


def test_end_outside_a_procedure_is_still_reported() -> None:
    result = extractor.analyze_sql("INSERT INTO a SELECT x FROM b;\nEND;", "oracle")
    assert [d.code for d in result.diagnostics] == ["DT100"]
