"""Builtin equivalents of dbt's cross-database macros and dbt_utils: SQL that parses, lineage that holds."""

from __future__ import annotations

from typing import Any

import pytest

from extractor.dbt.builtins import Builtins
from extractor.dbt.relations import Relation, default_alias_name, default_schema_name, render_identifier
from extractor.sql.analyze import analyze_sql

CATALOG = {"s.orders": ["id", "customer_id", "amount", "status"], "s.refunds": ["id", "amount", "reason"]}


class Host:
    """A renderer stand-in: a tiny catalog, recorded reports."""

    def __init__(self, dialect: str | None = None) -> None:
        self.dialect = dialect
        self.adapter_type = dialect or "postgres"
        self.reports: list[str] = []

    def columns_of(self, relation: Any) -> list[str] | None:
        return CATALOG.get(str(relation))

    def report(self, code: str, message: str, key: str = "") -> None:
        self.reports.append(code)

    def unknown_relation(self, name: str, reason: str) -> str:
        return name

    def var(self, name: Any, default: Any = None) -> Any:
        return default

    def source(self, *args: Any, **kwargs: Any) -> Any:
        return Relation(None, str(args[0]), str(args[1]))

    def ref(self, *args: Any, **kwargs: Any) -> Any:
        return Relation(None, "s", str(args[-1]))


def edges(sql: str, dialect: str | None = None) -> set[str]:
    result = analyze_sql(f"create table out.t as {sql}", dialect=dialect, schema=CATALOG)
    return {f"{e.source} -> {e.target.column} {e.subtype.value}" for e in result.column_edges}


ORDERS = Relation(None, "s", "orders")


def test_star_expands_from_the_catalog() -> None:
    b = Builtins(Host())
    assert b.star(ORDERS, **{"except": ["status"]}) == "id,\n  customer_id,\n  amount"
    assert b.star(**{"from": ORDERS, "relation_alias": "o", "prefix": "o_"}).startswith("o.id as o_id")
    assert b.star(Relation(None, "s", "unknown")) == "*"


def test_union_relations_aligns_columns() -> None:
    b = Builtins(Host())
    sql = b.union_relations([ORDERS, Relation(None, "s", "refunds")])
    assert edges(sql) >= {
        "s.orders.amount -> amount IDENTITY", "s.refunds.amount -> amount IDENTITY",
        "s.refunds.reason -> reason IDENTITY", "s.orders.status -> status IDENTITY",
    }  # fmt: skip
    assert "s.refunds.status -> status IDENTITY" not in edges(sql)


def test_surrogate_key_pivot_and_safe_arithmetic() -> None:
    b = Builtins(Host())
    sql = (
        f"select {b.surrogate_key(['id', 'customer_id'])} as k, "
        f"{b.pivot('status', ['paid', 'open'], agg='sum', then_value='amount')}, "
        f"{b.safe_divide('amount', 'id')} as ratio from s.orders"
    )
    assert edges(sql) >= {
        "s.orders.id -> k TRANSFORMATION", "s.orders.customer_id -> k TRANSFORMATION",
        "s.orders.amount -> paid AGGREGATION", "s.orders.status -> open CONDITIONAL",
        "s.orders.amount -> ratio TRANSFORMATION",
    }  # fmt: skip


def test_get_column_values_is_a_placeholder_with_dt204() -> None:
    host = Host()
    assert Builtins(host).get_column_values(ORDERS, "status") == ["__column_values__"]
    assert Builtins(host).get_column_values(ORDERS, "status", default=["a"]) == ["a"]
    assert host.reports == ["DT204", "DT204"]


@pytest.mark.parametrize("dialect", [None, "postgres", "snowflake", "bigquery", "redshift", "databricks", "duckdb",
                                     "trino", "tsql", "spark"])  # fmt: skip
def test_cross_database_macros_parse_in_every_dialect(dialect: str | None) -> None:
    b = Builtins(Host(dialect))
    expressions = {
        "a": b.datediff("created_at", b.namespaces["dbt"]["current_timestamp"](), "day"),
        "b": b.dateadd("month", 1, "created_at"),
        "c": b.date_trunc("week", "created_at"),
        "d": b.safe_cast("amount", b.namespaces["dbt"]["type_string"]()),
        "e": b.concat(["first_name", "' '", "last_name"]),
        "f": b.hash("email"),
        "g": b.split_part("email", "'@'", 2),
        "h": b.last_day("created_at", "month"),
        "i": b.listagg("first_name", "', '"),
    }
    sql = "select " + ", ".join(f"{expr} as {name}" for name, expr in expressions.items()) + " from s.people"
    found = edges(sql, dialect)
    for name, column in [("a", "created_at"), ("b", "created_at"), ("c", "created_at"), ("d", "amount"),
                         ("e", "last_name"), ("f", "email"), ("g", "email"), ("h", "created_at"),
                         ("i", "first_name")]:  # fmt: skip
        assert any(e.startswith(f"s.people.{column} -> {name} ") for e in found), (name, found)


def test_date_spine_is_a_query_with_the_date_column() -> None:
    sql = Builtins(Host("snowflake")).date_spine("day", "cast('2020-01-01' as date)", "current_date")
    result = analyze_sql(f"create table out.spine as {sql}", dialect="snowflake")
    assert result.statements[0].target_columns == {"out.spine": ("date_day",)}


def test_fivetran_fill_staging_columns_keeps_or_nulls_columns() -> None:
    b = Builtins(Host())
    staging = [{"name": "id", "datatype": "int"}, {"name": "missing", "datatype": "int"}, {"name": "x", "alias": "y"}]
    assert b.fill_staging_columns(source_columns=["id", "x"], staging_columns=staging).split(",\n    ") == [
        "id as id", "cast(null as int) as missing", "x as y",
    ]  # fmt: skip
    assert b.fill_staging_columns(source_columns=[], staging_columns=staging).startswith("id as id,\n    missing")


def test_automate_dv_stage_constants_null_columns_and_excluded_hashdiff() -> None:
    dv = Builtins(Host()).namespaces["automate_dv"]
    sql = dv["stage"](
        source_model="orders",
        derived_columns={"record_source": "!ERP", "status": "upper(status)"},
        null_columns={"required": "customer_id"},
        hashed_columns={"order_hashdiff": {"is_hashdiff": True, "exclude_columns": True, "columns": ["id"]}},
    )
    found = edges(sql)
    # ``!ERP`` is the constant 'ERP': no column flows into record_source, which is a constant.
    assert {e for e in found if " -> record_source " in e} == {"constant -> record_source TRANSFORMATION"}
    assert {"s.orders.status -> status TRANSFORMATION", "s.orders.customer_id -> customer_id_original IDENTITY",
            "s.orders.customer_id -> customer_id TRANSFORMATION"} <= found  # fmt: skip
    # Every column but ``id`` goes into the hashdiff, the derived ones as they are by then.
    hashdiff = {e.split(" -> ")[0] for e in found if " -> order_hashdiff " in e}
    assert hashdiff == {"s.orders.customer_id", "s.orders.amount", "s.orders.status"}
    assert dv["stage"](include_source_columns=False, source_model="orders", derived_columns={"a": "amount"})\
        .endswith("select a from derived_columns")  # fmt: skip


def test_automate_dv_hash_and_multi_source_hub() -> None:
    dv = Builtins(Host()).namespaces["dbtvault"]  # the package's former name
    assert edges("select " + dv["hash"](columns=["id", "customer_id"], alias="order_hk") + " from s.orders") == {
        "s.orders.id -> order_hk TRANSFORMATION", "s.orders.customer_id -> order_hk TRANSFORMATION",
    }  # fmt: skip
    hub = dv["hub"](src_pk="id", src_nk={"source_column": "customer_id", "alias": "customer_nk"},
                    src_ldts="amount", src_source="status", source_model=["orders", "refunds"])  # fmt: skip
    assert hub.count("select distinct") == 2 and "from s.refunds" in hub
    assert "customer_id as customer_nk" in hub


def test_relation_naming_rules() -> None:
    assert default_schema_name(None, "analytics") == "analytics"
    assert default_schema_name(" marts ", "analytics") == "analytics_marts"
    assert default_alias_name(None, "orders", 2) == "orders_v2"
    assert default_alias_name("o", "orders", 2) == "o"
    assert str(Relation("db", "order", "my-table", "bigquery")) == "db.`order`.`my-table`"
    assert str(Relation(None, "s", "t").include(schema=False)) == "t"
    assert render_identifier("select", "postgres") == '"select"'


@pytest.mark.parametrize("dialect", ["snowflake", "bigquery", "postgres", "redshift"])
def test_fivetran_percentile_is_a_median_of_its_field(dialect: str) -> None:
    sql = Builtins(Host(dialect)).namespaces["fivetran_utils"]["percentile"](
        percentile_field="amount", partition_field="customer_id", percent="0.5"
    )
    found = edges(f"select {sql} as median_amount from s.orders", dialect)
    # The value comes from ``amount`` (``WITHIN GROUP (ORDER BY amount)`` where the dialect writes it so).
    assert any(e.startswith("s.orders.amount -> median_amount ") for e in found)
    if dialect != "postgres":  # a window over the partition; Postgres aggregates (no windowed form)
        assert "s.orders.customer_id -> median_amount WINDOW" in found
