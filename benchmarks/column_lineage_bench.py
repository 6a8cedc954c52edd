"""Accuracy against an execution-certified column-lineage benchmark (OmniMart, "lineage-bench").

    python benchmarks/column_lineage_bench.py PATH/TO/lineage-bench-checkout [--verbose]

The benchmark (github.com/amtechanalytics/lineage-bench) is a Snowflake warehouse of 14
transform models (projection, joins, aggregates, CTE chains, static and dynamic PIVOT, window
and CASE calculations, a no-referential-integrity UNION merge, a VARIANT flatten, wide rename
and calculation-heavy views) and a hand-authored gold set of column-to-column edges whose
shapes were certified by running the models. Nothing of it is copied here: pass a checkout.

The checkout's ``warehouse/`` is scanned as a user would (``datatrail scan`` with
``--dialect snowflake``); every column edge with a source and a target column is a prediction
``(target model, target column, source table, source column)``, names reduced to their last
part and lower-cased, the edge's type ignored (the gold's DIRECT/INDIRECT split is reported as
recall only). Scores, as the benchmark defines them:

- per-hop precision / recall / F1 over predictions into the scored models; a prediction into
  the dynamic-pivot model matches the gold's ``__PIVOTED__`` sentinel by its source alone (the
  output names of ``PIVOT … IN (ANY)`` come from the data);
- end-to-end trace F1: both edge sets closed transitively down to the raw tables (tables that
  are sources in the gold and never targets), compared as (model column, raw column) pairs.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

from extractor.config import load_config
from extractor.scan import scan

DYNAMIC_PIVOT_MODEL = "fct_category_pivot_dyn"
SENTINEL = "__pivoted__"

Edge = tuple[str, str, str, str]  # target model, target column, source table, source column


def _name(text: str | None) -> str:
    return (text or "").strip().strip('"').lower()


def predicted_edges(warehouse: Path) -> set[Edge]:
    config = load_config(warehouse)
    config.dialect = "snowflake"
    graph = scan([warehouse], config)
    edges = set()
    for je in graph.column_edges:
        e = je.edge
        if e.target.column is None or e.source.column is None or not e.target.table or not e.source.table:
            continue
        edges.add(
            (
                _name(e.target.table.split(".")[-1]),
                _name(e.target.column),
                _name(e.source.table.split(".")[-1]),
                _name(e.source.column),
            )
        )
    return edges


def gold_edges(checkout: Path) -> list[tuple[Edge, str]]:
    data = json.loads((checkout / "gold" / "gold_edges.json").read_text(encoding="utf-8"))
    return [
        (
            (_name(e["target_model"]), _name(e["target_column"]), _name(e["source_table"]), _name(e["source_column"])),
            str(e.get("type", "DIRECT")),
        )
        for e in data["edges"]
    ]


def _f1(tp: int, predicted: int, expected: int) -> tuple[float, float, float]:
    precision = tp / predicted if predicted else 0.0
    recall = tp / expected if expected else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def per_hop(predicted: set[Edge], gold: list[tuple[Edge, str]]) -> dict[str, object]:
    sentinel_sources = {(e[2], e[3]) for e, _ in gold if e[0] == DYNAMIC_PIVOT_MODEL and e[1] == SENTINEL}
    exact = {e for e, _ in gold if not (e[0] == DYNAMIC_PIVOT_MODEL and e[1] == SENTINEL)}
    into_pivot = {(p[2], p[3]) for p in predicted if p[0] == DYNAMIC_PIVOT_MODEL}
    models = {e[0] for e, _ in gold}
    scored = [p for p in predicted if p[0] in models]

    def correct(p: Edge) -> bool:
        return p in exact or (p[0] == DYNAMIC_PIVOT_MODEL and (p[2], p[3]) in sentinel_sources)

    def recalled(e: Edge) -> bool:
        if e in predicted:
            return True
        return e[0] == DYNAMIC_PIVOT_MODEL and e[1] == SENTINEL and (e[2], e[3]) in into_pivot

    tp = sum(1 for p in scored if correct(p))
    found = [recalled(e) for e, _ in gold]
    precision, _, _ = _f1(tp, len(scored), len(gold))
    recall = sum(found) / len(gold)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    by_type: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (_, kind), hit in zip(gold, found, strict=True):
        by_type[kind][0] += int(hit)
        by_type[kind][1] += 1
    return {
        "precision": precision, "recall": recall, "f1": f1, "tp": tp, "predicted": len(scored),
        "gold": len(gold), "recall_by_type": {k: f"{v[0]}/{v[1]}" for k, v in sorted(by_type.items())},
        "missed": sorted(e for (e, _), hit in zip(gold, found, strict=True) if not hit),
        "extra": sorted(p for p in scored if not correct(p)),
    }  # fmt: skip


def closure(edges: set[Edge] | list[Edge], raw: set[str]) -> set[Edge]:
    """(model, column, raw table, raw column) for every path down to a raw table."""
    upstream: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for model, column, table, source in edges:
        upstream[(model, column)].append((table, source))
    result: set[Edge] = set()
    for start in list(upstream):
        stack, seen = [start], {start}
        while stack:
            node = stack.pop()
            for table, column in upstream.get(node, []):
                if table in raw:
                    result.add((start[0], start[1], table, column))
                elif (table, column) not in seen:
                    seen.add((table, column))
                    stack.append((table, column))
    return result


def traces(predicted: set[Edge], gold: list[tuple[Edge, str]]) -> dict[str, object]:
    gold_set = [e for e, _ in gold]
    raw = {e[2] for e in gold_set} - {e[0] for e in gold_set}
    models = {e[0] for e in gold_set}
    expected = {t for t in closure(gold_set, raw) if t[0] in models}
    actual = {t for t in closure(predicted, raw) if t[0] in models}
    tp = len(expected & actual)
    precision, recall, f1 = _f1(tp, len(actual), len(expected))
    return {
        "precision": precision, "recall": recall, "f1": f1, "tp": tp, "predicted": len(actual),
        "gold": len(expected), "missed": sorted(expected - actual), "extra": sorted(actual - expected),
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkout", type=Path, help="a checkout of github.com/amtechanalytics/lineage-bench")
    parser.add_argument("--verbose", action="store_true", help="list missed and extra edges and traces")
    args = parser.parse_args(argv)
    predicted = predicted_edges(args.checkout / "warehouse")
    gold = gold_edges(args.checkout)
    for label, result in (("per-hop", per_hop(predicted, gold)), ("trace", traces(predicted, gold))):
        print(
            f"{label}: precision {result['precision']:.3f} ({result['tp']}/{result['predicted']}), "
            f"recall {result['recall']:.3f} (of {result['gold']}), F1 {result['f1']:.3f}"
        )
        if "recall_by_type" in result:
            print(f"  recall by gold type: {result['recall_by_type']}")
        if args.verbose:
            for key in ("missed", "extra"):
                for item in result[key]:  # type: ignore[attr-defined]
                    print(f"  {key}: {item}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
