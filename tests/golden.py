"""Compact, hand-writable form of lineage results, shared by the golden tests and the regen script.

An edge is written ``"<source table>.<column> -> <target table>.<column> SUBTYPE"``; a target
column ``*`` is dataset-wide lineage, an unresolved source table is ``?``, and a constant column's
edge (no source) is ``"constant -> <target table>.<column> TRANSFORMATION"``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

import extractor

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def edge_text(edge: extractor.ColumnEdge) -> str:
    source = "constant" if edge.constant else f"{edge.source.table or '?'}.{edge.source.column}"
    target = f"{edge.target.table}.{edge.target.column if edge.target.column is not None else '*'}"
    return f"{source} -> {target} {edge.subtype.value}"


def sql_case_result(sql_path: Path) -> dict[str, Any]:
    """Analyse one fixture and return its compact result."""
    dialect = sql_path.parent.name
    schema_path = sql_path.with_suffix(".schema.yml")
    schema = yaml.safe_load(schema_path.read_text()) if schema_path.exists() else None
    result = extractor.analyze_sql(
        sql_path.read_text(encoding="utf-8"),
        dialect=None if dialect == "ansi" else dialect,
        schema=schema,
        path=sql_path.name,
    )
    return {
        "statements": [
            {"kind": s.kind, "sources": sorted(s.source_tables), "targets": sorted(s.target_tables)}
            for s in result.statements
        ],
        "column_edges": sorted({edge_text(e) for e in result.column_edges}),
        "diagnostics": sorted({d.code for d in result.diagnostics}),
    }


def expected_path(sql_path: Path) -> Path:
    return sql_path.with_name(sql_path.stem + ".expected.json")


def write_expected(sql_path: Path, data: dict[str, Any]) -> None:
    expected_path(sql_path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def sql_cases() -> list[Path]:
    return sorted(p for p in (FIXTURES / "sql").rglob("*.sql"))
