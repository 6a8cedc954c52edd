"""Compare datatrail's static dbt lineage with a real dbt + DuckDB build of the same project.

    python benchmarks/dbt_duckdb_compare.py --project path/to/checkout [--target path/to/target] [-v]

Run ``dbt seed && dbt run && dbt docs generate`` (dbt-core 1.10, dbt-duckdb) in the checkout first:
the truth is what that build left in ``target/``:

- relations: every model, snapshot and seed of ``manifest.json`` that ``catalog.json`` (the
  warehouse's information schema) holds, named ``database.schema.identifier`` as dbt made it, with
  the catalog's columns;
- column edges: for every model, each output column's lineage through the compiled SQL
  (``compiled_code`` of the manifest), taken with sqlglot's ``lineage`` over the catalog's schema:
  the source columns whose values the output column is computed from (``select`` expressions,
  ``CASE`` conditions included; joins and filters excluded, as datatrail's dataset-wide edges are).

datatrail scans the checkout as a new user would, with no configuration, and is scored on:

- models found: truth relations that are a datatrail dataset under the same
  ``database.schema.identifier`` (and, more leniently, ``schema.identifier`` or ``identifier``);
- exact column set: found relations whose datatrail columns equal the catalog's (as sets);
- column-edge precision and recall: datatrail's column edges (``source column -> target column``,
  ``*`` sources and dataset-wide edges left out) between truth relations, against the truth edges.
  Edges through an ephemeral model (compiled into its readers' SQL as a CTE) are composed first.
  Only columns the compiled SQL outputs are scored (a snapshot's ``dbt_scd_id`` … are added by its
  materialization, not its SQL), and only edges between relations dbt built (a file read by
  ``read_csv`` has no relation to match).

Nothing is executed but sqlglot's parser; the script reads files only.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.lineage import Node, lineage
from sqlglot.schema import MappingSchema

from extractor.config import load_config
from extractor.json_format import to_dict
from extractor.scan import scan

Column = tuple[str, str]  # (relation, column)
#: Indirect edges to one column from inside its own expression (CASE conditions, OVER clauses), as
#: sqlglot's lineage reports them; JOIN/FILTER/GROUP_BY/SORT edges are not part of an expression.
_VALUE_SUBTYPES = ("CONDITIONAL", "WINDOW")
Edge = tuple[Column, Column]


def _relation(node: dict[str, Any]) -> str:
    parts = [node.get("database"), node.get("schema"), node.get("alias") or node.get("identifier") or node["name"]]
    return ".".join(str(p).lower() for p in parts if p)


def read_truth(target: Path) -> tuple[dict[str, dict[str, Any]], str]:
    """Relations built by dbt (manifest + catalog), keyed by ``database.schema.identifier``."""
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    catalog = json.loads((target / "catalog.json").read_text(encoding="utf-8"))
    built = {**catalog.get("nodes", {}), **catalog.get("sources", {})}
    relations: dict[str, dict[str, Any]] = {}
    nodes = {**manifest.get("nodes", {}), **manifest.get("sources", {})}
    # Models, seeds and snapshots before sources ("source." sorts after them).
    for uid, node in sorted(nodes.items()):
        kind = node.get("resource_type")
        if kind not in ("model", "seed", "snapshot", "source") or uid not in built:
            continue
        if kind == "source" and _relation(node) in relations:
            continue  # a seed loading the source's table: one relation
        columns = sorted(built[uid]["columns"].values(), key=lambda c: c["index"])
        relations[_relation(node)] = {
            "unique_id": uid,
            "kind": kind,
            "package": node.get("package_name"),
            "columns": [c["name"].lower() for c in columns],
            "compiled": node.get("compiled_code") or "",
            "path": node.get("original_file_path"),
        }
    return relations, str(manifest.get("metadata", {}).get("project_name", ""))


def _schema(relations: dict[str, dict[str, Any]]) -> dict[str, Any]:
    schema: dict[str, Any] = {}
    for name, rel in relations.items():
        db, sch, table = name.split(".")
        schema.setdefault(db, {}).setdefault(sch, {})[table] = {c: "VARCHAR" for c in rel["columns"]}
    return schema


def _leaves(node: Node) -> list[Node]:
    out, stack = [], [node]
    while stack:
        current = stack.pop()
        if current.downstream:
            stack.extend(current.downstream)
        else:
            out.append(current)
    return out


def truth_edges(relations: dict[str, dict[str, Any]], errors: list[str]) -> tuple[set[Edge], set[Column]]:
    """Column edges of every built model, from its compiled SQL (see the module docstring), and
    the columns they score: the compiled query's outputs (a snapshot's materialization adds
    columns of its own, which the compiled SQL does not show)."""
    schema = MappingSchema(_schema(relations), dialect="duckdb")
    edges: set[Edge] = set()
    scored: set[Column] = set()
    for name, rel in relations.items():
        if rel["kind"] not in ("model", "snapshot") or not rel["compiled"].strip():
            continue
        try:
            parsed = sqlglot.parse_one(rel["compiled"], dialect="duckdb")
        except SqlglotError as exc:
            errors.append(f"{name}: {type(exc).__name__}")
            continue
        try:
            roots = lineage(None, parsed, schema=schema, dialect="duckdb", copy=False)
        except (SqlglotError, KeyError, ValueError, IndexError) as exc:
            errors.append(f"{name}: {type(exc).__name__}: {exc}"[:200])
            continue
        for column, root in roots.items():
            column = column.lower()
            scored.add((name, column))
            for leaf in _leaves(root):
                if not isinstance(leaf.expression, exp.Table) or leaf.name.endswith("*"):
                    continue  # a literal, a column-less expression (count(*), now()), a file's star
                table = leaf.expression
                source = ".".join(p.lower() for p in (table.catalog, table.db, table.name) if p)
                col = exp.to_column(leaf.name).name.lower()  # `source_table."id"` is column id
                if source in relations and col in relations[source]["columns"]:
                    edges.add(((source, col), (name, column)))
    return edges, scored


def match_names(names: set[str], relations: dict[str, dict[str, Any]]) -> tuple[dict[str, str], dict[str, str]]:
    """datatrail dataset -> truth relation, by exact name, else ``schema.name``, else ``name``."""
    lowered = {n.lower().replace('"', ""): n for n in names}
    exact: dict[str, str] = {}
    loose: dict[str, str] = {}
    by_suffix: dict[str, list[str]] = collections.defaultdict(list)
    for low, original in lowered.items():
        parts = low.split(".")
        for k in (1, 2):
            if len(parts) >= k:
                by_suffix[".".join(parts[-k:])].append(original)
    for rel in relations:
        if rel in lowered:
            exact[lowered[rel]] = rel
            loose[lowered[rel]] = rel
            continue
        parts = rel.split(".")
        for k in (2, 1):
            candidates = by_suffix.get(".".join(parts[-k:]), [])
            if len(candidates) == 1 and candidates[0] not in loose:
                loose[candidates[0]] = rel
                break
    return exact, loose


def datatrail_edges(data: dict[str, Any], loose: dict[str, str]) -> set[Edge]:
    """datatrail's column edges between truth relations, composed through unmatched (ephemeral) models."""
    graph: dict[Column, set[Column]] = collections.defaultdict(set)
    for edge in data["column_edges"]:
        s, t = edge["source"], edge["target"]
        if t["column"] is None or s["column"] in (None, "*"):
            continue
        if edge["kind"] != "direct" and edge["subtype"] not in _VALUE_SUBTYPES:
            continue  # a join key or filter of an intermediate query: not in the column's expression
        graph[(t["dataset"], t["column"].lower())].add((s["dataset"], s["column"].lower()))
    out: set[Edge] = set()
    for (tds, tcol), sources in graph.items():
        if tds not in loose:
            continue
        seen: set[Column] = set()
        stack = list(sources)
        while stack:
            src = stack.pop()
            if src in seen:
                continue
            seen.add(src)
            if src[0] in loose:
                if loose[src[0]] != loose[tds]:
                    out.add(((loose[src[0]], src[1]), (loose[tds], tcol)))
            else:
                stack.extend(graph.get(src, ()))
    return out


def compare(project: Path, target: Path, verbose: int) -> dict[str, Any]:
    relations, project_name = read_truth(target)
    errors: list[str] = []
    truth, scored = truth_edges(relations, errors)
    config = load_config(project)
    data = to_dict(scan([project], config))
    datasets = {d["name"]: d for d in data["datasets"]}
    exact, loose = match_names(set(datasets), relations)
    inverse = {rel: name for name, rel in loose.items()}
    nodes = {r: v for r, v in relations.items() if v["kind"] in ("model", "snapshot", "seed")}
    found_exact = [r for r in nodes if r in exact.values()]
    found = [r for r in nodes if r in inverse]
    same_columns = [
        r for r in found if {c.lower() for c in datasets[inverse[r]]["columns"]} == set(nodes[r]["columns"])
    ]
    predicted = datatrail_edges(data, loose)
    # Only edges into relations both sides know (a model datatrail missed is counted above).
    predicted = {e for e in predicted if e[1] in scored}
    truth_scored = {e for e in truth if e[1][0] in inverse}
    tp = predicted & truth_scored
    result = {
        "project": project_name,
        "relations": len(nodes),
        "models": sum(1 for v in nodes.values() if v["kind"] != "seed"),
        "package_relations": sum(1 for v in nodes.values() if v["package"] != project_name),
        "found_exact_name": len(found_exact),
        "found_any_name": len(found),
        "exact_columns": len(same_columns),
        "truth_edges": len(truth_scored),
        "predicted_edges": len(predicted),
        "true_positive": len(tp),
        "precision": len(tp) / len(predicted) if predicted else 1.0,
        "recall": len(tp) / len(truth_scored) if truth_scored else 1.0,
        "truth_errors": len(errors),
        "diagnostics": dict(collections.Counter(d["code"] for d in data["diagnostics"]).most_common()),
    }
    if verbose:
        result["missing_exact"] = sorted(set(nodes) - set(found_exact))
        result["missing"] = sorted(set(nodes) - set(found))
        result["wrong_columns"] = {
            r: {
                "only_dbt": sorted(set(nodes[r]["columns"]) - {c.lower() for c in datasets[inverse[r]]["columns"]}),
                "only_datatrail": sorted(
                    {c.lower() for c in datasets[inverse[r]]["columns"]} - set(nodes[r]["columns"])
                ),
            }
            for r in found
            if r not in same_columns
        }
        result["false_positive"] = sorted(f"{s[0]}.{s[1]} -> {t[0]}.{t[1]}" for s, t in predicted - truth_scored)
        result["false_negative"] = sorted(f"{s[0]}.{s[1]} -> {t[0]}.{t[1]}" for s, t in truth_scored - predicted)
        result["truth_error_list"] = errors[:50]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", type=Path, required=True, help="the dbt project checkout datatrail scans")
    parser.add_argument("--target", type=Path, help="dbt's target/ of the build (default: <project>/target)")
    parser.add_argument("-v", "--verbose", action="count", default=0)
    args = parser.parse_args(argv)
    project = args.project.resolve()
    result = compare(project, (args.target or project / "target").resolve(), args.verbose)
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
