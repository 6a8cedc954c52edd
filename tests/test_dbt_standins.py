"""Built-in stand-ins of package macros render what the real macros render."""

from __future__ import annotations

from typing import Any

from extractor.dbt.builtins import Builtins, slugify

from .test_dbt_builtins import Host


class VarsHost(Host):
    def __init__(self, variables: dict[str, Any]) -> None:
        super().__init__("postgres")
        self.variables = variables

    def var(self, name: Any, default: Any = None) -> Any:
        return self.variables.get(str(name), default)


def test_pivot_quotes_aliases_or_slugifies_them_like_dbt_utils() -> None:
    b = Builtins(Host("postgres"))
    quoted = b.pivot("status", ["Paid Out", "open"])
    assert 'as "Paid Out"' in quoted and 'as "open"' in quoted
    plain = b.pivot("status", ["Paid Out", "2-day"], quote_identifiers=False)
    assert "as paid_out" in plain and "as _2_day" in plain


def test_slugify() -> None:
    assert slugify("Net Revenue - EUR (%)") == "net_revenue_eur_"
    assert slugify("3rd party") == "_3rd_party"


def test_partition_by_source_relation_is_empty_for_a_single_connection() -> None:
    single = Builtins(VarsHost({})).namespaces["fivetran_utils"]["partition_by_source_relation"]
    assert single("stripe") == ""
    assert single("stripe", has_other_partitions="no") == ""
    many = Builtins(VarsHost({"stripe_union_schemas": ["a", "b"]})).namespaces["fivetran_utils"]
    assert many["partition_by_source_relation"]("stripe") == ", source_relation"
    assert many["partition_by_source_relation"]("stripe", "no", "s") == "partition by s.source_relation"


def test_fivetran_string_agg_keeps_the_field_text_like_the_package() -> None:
    for adapter, expected in (
        ("postgres", "string_agg(distinct u.login, ', ')"),
        ("snowflake", "listagg(distinct u.login, ', ')"),
        ("duckdb", "string_agg(distinct u.login, ', ')"),
    ):
        string_agg = Builtins(Host(adapter)).namespaces["fivetran_utils"]["string_agg"]
        assert string_agg("distinct u.login", "', '") == expected
