"""Accuracy on sqllineage's own SQL test suite: datatrail's lineage against its expectations.

    python benchmarks/sqllineage_corpus.py PATH/TO/sqllineage-checkout [--verbose] [-k EXPR]

Runs the checkout's ``tests/sql/table`` and ``tests/sql/column`` tests with pytest, after
replacing its two assertion helpers (``assert_table_lineage_equal`` and
``assert_column_lineage_equal`` in ``tests/helpers.py``) by ones that call
``extractor.analyze_sql`` instead of sqllineage. Nothing of the checkout is copied here; the
checkout's own ``sqllineage`` package (and sqlalchemy, for its metadata providers) must import.

One case is one call of a helper, counted once per distinct (SQL, dialect, expectation, schema):
a test run with both of sqllineage's metadata providers (dummy and SQLAlchemy) asks the same
question twice and counts once.

- Table cases compare script-level sources and targets (``SqlResult.source_tables`` and
  ``target_tables``) with the expected sets; ``<default>.`` schemas are dropped, paths compared
  by their URI.
- Column cases compare sqllineage's end-to-end pairs (the first and last column of every path
  from a column nothing flows into to a column that flows nowhere, a self-loop counting as
  both) with the same pairs over datatrail's column edges. Edges counted: the direct ones plus
  the column-targeted indirect ``CONDITIONAL`` and ``WINDOW`` edges, which sqllineage counts as
  sources of the output column (``COUNT(*)``'s ``CONDITIONAL`` edge from ``table.*`` matches
  sqllineage's ``table.*`` source).
- Names compare lower-cased and without quotes: sqllineage names an unaliased expression by its
  lower-cased text (``max(col1)``), datatrail by its generated SQL (``MAX(col1)``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import networkx as nx

import extractor
from extractor.model import ColumnEdge, Subtype

#: The indirect subtypes sqllineage counts as a source of an output column.
COUNTED = frozenset(
    {Subtype.IDENTITY, Subtype.TRANSFORMATION, Subtype.AGGREGATION, Subtype.CONDITIONAL, Subtype.WINDOW}
)


def _table_key(table: Any) -> str:
    """A sqllineage Table or Path (or a string) as datatrail names it."""
    if hasattr(table, "uri"):
        return str(table.uri).lower()
    text = str(table).lower()
    return text.removeprefix("<default>.")


def _normalize_name(name: str) -> str:
    """Names compare without quotes and case: sqllineage keeps a quoted name's case and names an
    unaliased expression by its lower-cased text, datatrail folds names as the dialect does and
    names such an expression by its generated SQL (``MAX(col1)``)."""
    return name.strip("[]`\"'").lower()


def _expected_table_set(tables: Iterable[Any] | None) -> set[str]:
    result = set()
    for t in tables or ():
        if isinstance(t, str):
            result.add(".".join(_normalize_name(p) for p in t.split(".")).removeprefix("<default>."))
        else:
            result.add(_table_key(t))
    return result


def datatrail_pairs(edges: Iterable[ColumnEdge]) -> set[tuple[str | None, str, str, str]]:
    """End-to-end (source table, source column, target table, target column) pairs."""
    graph: nx.DiGraph = nx.DiGraph()
    for edge in edges:
        if edge.subtype not in COUNTED or edge.target.column is None or edge.source.column is None:
            continue
        source = (edge.source.table and edge.source.table.lower(), edge.source.column.lower())
        graph.add_edge(source, (edge.target.table and edge.target.table.lower(), edge.target.column.lower()))
    loops = {n for n in graph.nodes if graph.has_edge(n, n)}
    sources = {n for n in graph.nodes if graph.in_degree(n) == 0} | loops
    targets = {n for n in graph.nodes if graph.out_degree(n) == 0} | loops
    pairs = set()
    for s in sources:
        reach = nx.descendants(graph, s) | ({s} if s in loops else set())
        for t in reach & targets:
            pairs.add((s[0], s[1], t[0], t[1]))
    return pairs


def expected_pairs(column_lineages: Iterable[Any] | None) -> set[tuple[str | None, str, str, str]]:
    pairs = set()
    for src, tgt in column_lineages or ():
        src_table = None if src.qualifier is None else next(iter(_expected_table_set([src.qualifier])))
        tgt_table = next(iter(_expected_table_set([tgt.qualifier])))
        pairs.add((src_table, _normalize_name(src.column), tgt_table, _normalize_name(tgt.column)))
    return pairs


class Tally:
    def __init__(self) -> None:
        self.results: dict[tuple[str, Any], tuple[bool, str, str]] = {}
        self.current_test = ""

    def record(self, kind: str, key: Any, ok: bool, detail: str) -> None:
        if (kind, key) not in self.results:
            self.results[(kind, key)] = (ok, self.current_test, detail)


TALLY = Tally()


def _schema_of(provider: Any) -> dict[str, list[str]]:
    return dict(getattr(provider, "_datatrail_schema", None) or {})


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple | set | frozenset):
        items = [_freeze(v) for v in value]
        return tuple(sorted(items, key=repr)) if isinstance(value, set | frozenset) else tuple(items)
    return repr(value) if not isinstance(value, str) else value


def assert_table_lineage_equal(
    sql: str, source_tables: Any = None, target_tables: Any = None, dialect: str = "ansi", **_: Any
) -> None:
    result = extractor.analyze_sql(sql, dialect)
    actual = ({t.lower() for t in result.source_tables}, {t.lower() for t in result.target_tables})
    expected = (_expected_table_set(source_tables), _expected_table_set(target_tables))
    ok = actual == expected
    detail = f"expected sources={sorted(expected[0])} targets={sorted(expected[1])}\n" + (
        f"     actual   sources={sorted(actual[0])} targets={sorted(actual[1])}\n"
        f"     diagnostics={[str(d) for d in result.diagnostics]}"
    )
    TALLY.record("table", (sql, dialect, _freeze(expected)), ok, detail)


def assert_column_lineage_equal(
    sql: str, column_lineages: Any = None, dialect: str = "ansi", metadata_provider: Any = None, **_: Any
) -> None:
    schema = _schema_of(metadata_provider)
    result = extractor.analyze_sql(sql, dialect, schema)
    actual = datatrail_pairs(result.column_edges)
    expected = expected_pairs(column_lineages)
    ok = actual == expected
    detail = (
        f"missing={sorted(expected - actual, key=repr)}\n     extra={sorted(actual - expected, key=repr)}\n"
        f"     diagnostics={[str(d) for d in result.diagnostics]}"
    )
    TALLY.record("column", (sql, dialect, _freeze(expected), _freeze(schema)), ok, detail)


def _install(checkout: Path) -> None:
    """Swap the checkout's assertion helpers for datatrail's before pytest imports its tests."""
    sys.path.insert(0, str(checkout))
    import tests.helpers as helpers  # the checkout's package, first on sys.path

    original = helpers.generate_metadata_providers

    def generate_metadata_providers(test_schemas: dict[str, list[str]]) -> list[Any]:
        providers = original(test_schemas)
        for provider in providers:
            provider._datatrail_schema = dict(test_schemas)
        return providers

    helpers.generate_metadata_providers = generate_metadata_providers
    helpers.assert_table_lineage_equal = assert_table_lineage_equal
    helpers.assert_column_lineage_equal = assert_column_lineage_equal


class _Plugin:
    def pytest_runtest_setup(self, item: Any) -> None:
        TALLY.current_test = item.nodeid


def main(argv: list[str] | None = None) -> int:
    import pytest

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkout", type=Path, help="a checkout of github.com/reata/sqllineage")
    parser.add_argument("--verbose", action="store_true", help="print every failing case")
    parser.add_argument("-k", default=None, help="pytest -k expression")
    args = parser.parse_args(argv)
    checkout = args.checkout.resolve()
    _install(checkout)
    pytest_args = [
        str(checkout / "tests" / "sql" / "table"),
        str(checkout / "tests" / "sql" / "column"),
        "-q", "-p", "no:cacheprovider", "--rootdir", str(checkout), "-o", "addopts=", "--no-header", "-rN",
    ]  # fmt: skip
    if args.k:
        pytest_args += ["-k", args.k]
    pytest.main(pytest_args, plugins=[_Plugin()])
    for kind in ("table", "column"):
        cases = [(k, v) for k, v in TALLY.results.items() if k[0] == kind]
        passed = sum(1 for _, v in cases if v[0])
        print(f"{kind}: {passed} / {len(cases)}")
        if args.verbose:
            for key, (ok, test, detail) in sorted(cases, key=lambda kv: kv[1][1]):
                if not ok:
                    print(f"  FAIL {test} [{key[1][1]}]\n     sql: {' '.join(key[1][0].split())[:300]}\n     {detail}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
