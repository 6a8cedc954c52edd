"""Bad input never crashes a scan and never loses what was already found."""

from __future__ import annotations

from pathlib import Path

import extractor
from extractor.config import Config
from extractor.scan import scan


def test_unparseable_statement_is_a_diagnostic_and_others_survive() -> None:
    sql = "INSERT INTO a SELECT x FROM b;\nSELEC broken frm;\nINSERT INTO c SELECT y FROM d;"
    result = extractor.analyze_sql(sql, path="etl.sql")
    assert [sorted(s.target_tables) for s in result.statements] == [["a"], ["c"]]
    (diag,) = result.diagnostics
    assert (diag.path, diag.line, diag.code) == ("etl.sql", 2, "DT100")
    assert str(diag).startswith("etl.sql:2:")
    assert "SELEC broken frm" in diag.message


def test_tokenizer_error_is_reported() -> None:
    result = extractor.analyze_sql("SELECT 'unterminated FROM t", path="x.sql")
    assert [d.code for d in result.diagnostics] == ["DT100"]


def test_binary_non_utf8_and_empty_files_are_reported_and_skipped(tmp_path: Path) -> None:
    (tmp_path / "good.sql").write_text("INSERT INTO out_t SELECT a FROM in_t;")
    (tmp_path / "binary.sql").write_bytes(b"\x00\x01\x02SELECT")
    (tmp_path / "latin1.sql").write_bytes("SELECT 'caf\xe9'".encode("latin-1"))
    (tmp_path / "empty.sql").write_text("  \n")
    graph = scan([tmp_path], Config(root=tmp_path))
    codes = {(d.path, d.code) for d in graph.diagnostics}
    assert codes == {("binary.sql", "DT001"), ("latin1.sql", "DT001"), ("empty.sql", "DT002")}
    assert "out_t" in graph.datasets and "in_t" in graph.datasets


def test_unsupported_statement_is_reported_not_dropped_silently() -> None:
    result = extractor.analyze_sql("FROBNICATE TABLE t;", path="x.sql")
    assert {d.code for d in result.diagnostics} & {"DT100", "DT101"}


def test_every_known_dialect_handles_garbage() -> None:
    for dialect in [
        "postgres",
        "snowflake",
        "bigquery",
        "spark",
        "databricks",
        "hive",
        "tsql",
        "mysql",
        "redshift",
        "duckdb",
        "trino",
        None,
    ]:
        result = extractor.analyze_sql("SELECT (((;\nINSERT INTO a SELECT b FROM c;", dialect=dialect)
        assert any(s.target_tables == {"a"} for s in result.statements), dialect
