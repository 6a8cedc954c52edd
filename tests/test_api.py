"""The public Python API contract: extractor.analyze_sql and its result objects."""

from __future__ import annotations

import extractor


def pairs(
    result: extractor.SqlResult, kind: str = "direct"
) -> set[tuple[str | None, str | None, str | None, str | None]]:
    return {
        (e.source.table, e.source.column, e.target.table, e.target.column)
        for e in result.column_edges
        if e.kind == kind
    }


def test_statement_tables_are_normalized_sets() -> None:
    result = extractor.analyze_sql("INSERT INTO Mart.Daily SELECT a FROM Raw.Events e JOIN raw.users u ON e.uid = u.id")
    statement = result.statements[0]
    assert statement.source_tables == {"raw.events", "raw.users"}
    assert statement.target_tables == {"mart.daily"}


def test_column_edge_attributes() -> None:
    result = extractor.analyze_sql("INSERT INTO t2 SELECT a + 1 AS b, c FROM t1")
    assert pairs(result) == {("t1", "a", "t2", "b"), ("t1", "c", "t2", "c")}
    by_target = {e.target.column: e for e in result.column_edges}
    assert by_target["b"].subtype is extractor.Subtype.TRANSFORMATION
    assert by_target["c"].subtype is extractor.Subtype.IDENTITY
    assert by_target["b"].kind == "direct"
    assert by_target["b"].location is not None and by_target["b"].location.line == 1


def test_schema_expands_star_and_resolves_unqualified_join_columns() -> None:
    schema = {"shop.orders": ["id", "customer_id", "amount"], "shop.customers": ["id", "country"]}
    sql = "INSERT INTO mart.x SELECT amount, country FROM shop.orders o JOIN shop.customers c ON o.customer_id = c.id"
    result = extractor.analyze_sql(sql, schema=schema)
    assert pairs(result) == {
        ("shop.orders", "amount", "mart.x", "amount"),
        ("shop.customers", "country", "mart.x", "country"),
    }
    star = extractor.analyze_sql("CREATE TABLE mart.y AS SELECT * FROM shop.customers", schema=schema)
    assert pairs(star) == {("shop.customers", "id", "mart.y", "id"), ("shop.customers", "country", "mart.y", "country")}


def test_without_schema_ambiguity_is_explicit_not_guessed() -> None:
    result = extractor.analyze_sql("INSERT INTO x SELECT amount FROM a JOIN b ON a.id = b.id")
    assert pairs(result) == {(None, "amount", "x", "amount")}
    assert [d.code for d in result.diagnostics] == ["DT110"]


def test_star_without_schema_is_an_all_columns_edge() -> None:
    result = extractor.analyze_sql("INSERT INTO x SELECT * FROM a")
    assert pairs(result) == {("a", "*", "x", "*")}
    assert {d.code for d in result.diagnostics} == {"DT112"}


def test_indirect_edges_are_dataset_wide() -> None:
    result = extractor.analyze_sql("INSERT INTO x SELECT a FROM t WHERE b > 1 ORDER BY c")
    assert pairs(result, "indirect") == {("t", "b", "x", None), ("t", "c", "x", None)}
    subtypes = {e.source.column: e.subtype.value for e in result.column_edges if e.kind == "indirect"}
    assert subtypes == {"b": "FILTER", "c": "SORT"}


def test_fingerprint_ignores_whitespace_comments_case_and_alias_renames() -> None:
    a = extractor.analyze_sql("WITH c AS (SELECT o.amount * 2 AS x FROM orders o) INSERT INTO t SELECT x AS y FROM c")
    b = extractor.analyze_sql(
        "with renamed as (\n  select ord.AMOUNT*2 as x -- doubled\n  from ORDERS ord)\n"
        "insert into T select x as y from renamed"
    )
    c = extractor.analyze_sql("WITH c AS (SELECT o.amount * 3 AS x FROM orders o) INSERT INTO t SELECT x AS y FROM c")
    fp = lambda r: {e.fingerprint for e in r.column_edges}  # noqa: E731
    assert fp(a) == fp(b)
    assert fp(a) != fp(c)


def test_script_level_tables_follow_drops_and_renames() -> None:
    result = extractor.analyze_sql(
        "CREATE TABLE tmp AS SELECT * FROM src; INSERT INTO dst SELECT * FROM tmp; DROP TABLE tmp;"
        "ALTER TABLE dst RENAME TO final"
    )
    assert result.source_tables == {"src"}
    assert result.target_tables == {"final"}
    assert result.intermediate_tables == {"tmp"}


def test_temp_table_carries_column_lineage_within_a_script() -> None:
    result = extractor.analyze_sql(
        "CREATE TEMPORARY TABLE t AS SELECT id, amount * 2 AS amt FROM orders;INSERT INTO report SELECT * FROM t"
    )
    assert ("t", "amt", "report", "amt") in pairs(result)
    assert ("orders", "amount", "t", "amt") in pairs(result)
