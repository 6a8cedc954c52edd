"""Training-data provenance of an ML model or any dataset (EU AI Act Art. 10(2), Annex IV 2(d)).

The record lists every origin, every preparation step (path:line, normalized transformation, edge
kind), the tags reaching each feature, the git commit, and a ``digest`` of the data recipe: a
SHA-256 over the upstream column edges' endpoints, subtypes and fingerprints (normalized
expressions), never over paths or line numbers. Equal digests mean the same data recipe; any
upstream transformation change changes it. Documented in docs/governance.md; JSON Schema in
extractor/schemas/provenance.schema.json.
"""

from __future__ import annotations

import hashlib
import json
from collections import deque
from typing import Any

from .. import json_text
from ..graph import JobColumnEdge, LineageGraph
from ..model import Location, Subtype
from .propagate import Governance
from .tags import Node

FORMAT_VERSION = 1
#: What a step does to the data, in datasheet words.
ROLE = {
    "IDENTITY": "copy",
    "TRANSFORMATION": "derivation",
    "AGGREGATION": "aggregation",
    "FILTER": "selection (filter)",
    "JOIN": "enrichment (join)",
    "GROUP_BY": "aggregation grain",
    "SORT": "ordering",
    "WINDOW": "window",
    "CONDITIONAL": "condition",
    "DATASET": "dataset flow (no column detail)",
}
_ARTIFACT = "<artifact>"


def _label(node: Node) -> str:
    dataset, column = node
    return dataset if column is None else f"{dataset}.{column}"


def _loc(location: Location | None) -> dict[str, Any] | None:
    return None if location is None else {"path": location.path, "line": location.line}


def upstream_edges(
    graph: LineageGraph, artifact: str
) -> tuple[list[JobColumnEdge], list[tuple[str, str, str]], set[Node]]:
    """The column edges, dataset-only flows (source, target, job) and nodes upstream of ``artifact``."""
    incoming: dict[Node, list[JobColumnEdge]] = {}
    for je in graph.sorted_column_edges():
        e = je.edge
        if e.source.table and e.target.table:
            incoming.setdefault((e.target.table, e.target.column), []).append(je)
    dataset_only: dict[str, list[tuple[str, str, str]]] = {}
    for te in graph.dataset_only_edges():
        dataset_only.setdefault(te.target, []).append((te.source, te.target, te.job))

    row_sources: dict[str, list[str]] = {}
    for te in sorted(graph.edges):
        if te.source != te.target:
            row_sources.setdefault(te.target, []).append(te.source)

    def whole(dataset: str) -> list[Node]:
        columns = graph.datasets[dataset].columns if dataset in graph.datasets else []
        return [(dataset, None), *((dataset, c) for c in columns)]

    edges: dict[JobColumnEdge, None] = {}
    flows: dict[tuple[str, str, str], None] = {}
    seen: set[Node] = set()
    queue: deque[Node] = deque(whole(artifact))
    while queue:
        node = queue.popleft()
        if node in seen:
            continue
        seen.add(node)
        dataset, column = node
        found = list(incoming.get((dataset, None), []))
        if column is not None:
            found += incoming.get(node, []) + (incoming.get((dataset, "*"), []) if column != "*" else [])
        else:
            for flow in dataset_only.get(dataset, []):
                flows[flow] = None
                queue.extend(whole(flow[0]))
            # The rows of a dataset come from the datasets it is built from.
            queue.extend((source, None) for source in row_sources.get(dataset, []))
        for je in found:
            edges[je] = None
            source = (je.edge.source.table or "", je.edge.source.column)
            if source[1] != "*":
                queue.append(source)
            elif je.edge.subtype is Subtype.AGGREGATION or je.edge.kind == "indirect":
                queue.append((source[0], None))  # COUNT(*) counts rows, it reads no column
            else:
                queue.extend(whole(source[0]))
    return sorted(edges, key=JobColumnEdge.sort_key), sorted(flows), seen


def recipe_digest(edges: list[JobColumnEdge], flows: list[tuple[str, str, str]], artifact: str) -> str:
    """SHA-256 over the recipe: edge endpoints, subtypes and fingerprints; the artifact's own name
    is replaced so two models trained on the same data share a digest."""

    def name(dataset: str | None) -> str:
        return _ARTIFACT if dataset == artifact else dataset or ""

    items = sorted(
        {(name(je.edge.source.table), je.edge.source.column or "", name(je.edge.target.table),
          je.edge.target.column or "", je.edge.subtype.value, je.edge.fingerprint) for je in edges}
        | {(name(s), "", name(t), "", "DATASET", "") for s, t, _ in flows}
    )  # fmt: skip
    payload = json.dumps(items, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return "sha256:" + hashlib.sha256(payload).hexdigest()


def provenance(graph: LineageGraph, governance: Governance, artifact: str, commit: str | None) -> dict[str, Any]:
    """The provenance record of ``artifact`` (an exact dataset name) as a JSON-ready dict."""
    ds = graph.datasets[artifact]
    edges, flows, nodes = upstream_edges(graph, artifact)
    targets = {(je.edge.target.table, je.edge.target.column) for je in edges}
    fed = {je.edge.target.table for je in edges if je.edge.target.column is None} | {t for _, t, _ in flows}
    origin_columns: dict[str, set[str]] = {}
    for dataset, column in sorted(nodes, key=lambda n: (n[0], n[1] or "")):
        if dataset == artifact or dataset in fed or (dataset, column) in targets:
            continue
        if column is None:
            origin_columns.setdefault(dataset, set())
        elif column != "*":
            origin_columns.setdefault(dataset, set()).add(column)
    # A dataset some of whose used columns are produced upstream is not an origin.
    produced = {t for t, _ in targets if t}
    origins: list[dict[str, Any]] = []
    for name in sorted(origin_columns):
        if name in produced:
            continue
        origin = graph.datasets.get(name)
        columns = sorted(origin_columns[name])
        origins.append({
            "dataset": name,
            "kind": origin.kind.value if origin else "unknown",
            "location": _loc(origin.location if origin else None),
            "columns": columns,
            "tags": {c: _tags(governance, name, c) for c in columns if _tags(governance, name, c)},
        })  # fmt: skip
    steps = [
        {
            "source": {"dataset": je.edge.source.table, "column": je.edge.source.column},
            "target": {"dataset": je.edge.target.table, "column": je.edge.target.column},
            "kind": je.edge.kind,
            "subtype": je.edge.subtype.value,
            "role": ROLE[je.edge.subtype.value],
            "transformation": je.edge.transformation,
            "fingerprint": je.edge.fingerprint,
            "job": je.job,
            "location": _loc(je.edge.location),
        }
        for je in sorted(edges, key=_step_order)
    ]
    for source, target, job_name in flows:
        job = graph.jobs.get(job_name)
        steps.append({
            "source": {"dataset": source, "column": None}, "target": {"dataset": target, "column": None},
            "kind": "dataset", "subtype": "DATASET", "role": ROLE["DATASET"], "transformation": f"{source} -> {target}",
            "fingerprint": "", "job": job_name, "location": _loc(Location(job.path, job.line) if job else None),
        })  # fmt: skip
    features: list[dict[str, Any]] = []
    for column in ds.columns:
        reached = governance.reaches.get((artifact, column), {})
        influences = [i for i in governance.influences if i.target in ((artifact, column), (artifact, None))]
        features.append({
            "name": column,
            "tags": [
                {"tag": tag, "status": r.status, "origin": _label(r.origin), "reason": r.reason}
                for tag, r in sorted(reached.items())
            ],
            "influenced_by": sorted({f"{i.tag}: {_label(i.source)} ({i.subtype})" for i in influences}),
        })  # fmt: skip
    return {
        "format_version": FORMAT_VERSION,
        "artifact": {"name": artifact, "kind": ds.kind.value, "location": _loc(ds.location)},
        "commit": commit,
        "digest": recipe_digest(edges, flows, artifact),
        "origins": origins,
        "datasets": sorted({d for d, _ in nodes if d != artifact} - {o["dataset"] for o in origins}),
        "steps": steps,
        "features": features,
        "tags": sorted({t["tag"] for f in features for t in f["tags"]}),
    }


def _tags(governance: Governance, dataset: str, column: str) -> list[str]:
    return sorted(governance.reaches.get((dataset, column), {}))


def _step_order(je: JobColumnEdge) -> tuple[str, int, str, str, str, str]:
    loc = je.edge.location
    return (
        loc.path if loc else "",
        loc.line if loc else 0,
        je.edge.target.table or "",
        je.edge.target.column or "",
        je.edge.source.table or "",
        je.edge.source.column or "",
    )


def dumps(record: dict[str, Any]) -> str:
    return json_text.dumps(record) + "\n"


def render_markdown(record: dict[str, Any]) -> str:
    """The record as a datasheet section ("Training data provenance")."""
    art = record["artifact"]
    lines = [
        f"## Training data provenance: `{art['name']}`",
        "",
        f"- **Artifact:** `{art['name']}` ({art['kind']})"
        + (f", defined at `{_where(art['location'])}`" if art["location"] else ""),
        f"- **Code revision:** `{record['commit'] or 'not a git checkout'}`",
        f"- **Data recipe digest:** `{record['digest']}` (equal digests mean the same data recipe)",
        f"- **Tags reaching the features:** {', '.join(f'`{t}`' for t in record['tags']) or 'none'}",
        "",
        "### Origins",
        "",
        "| Dataset | Kind | Columns used | Tags |",
        "|---|---|---|---|",
    ]
    for o in record["origins"]:
        tags = "; ".join(f"{c}: {', '.join(t)}" for c, t in o["tags"].items()) or "—"
        lines.append(f"| `{o['dataset']}` | {o['kind']} | {', '.join(o['columns']) or '(whole dataset)'} | {tags} |")
    lines += [
        "",
        "### Preparation steps",
        "",
        "| Where | Step | Target | Source | Transformation |",
        "|---|---|---|---|---|",
    ]
    for s in record["steps"]:
        target = _ref(s["target"])
        lines.append(
            f"| `{_where(s['location'])}` | {s['role']} ({s['kind']} {s['subtype']}) | `{target}` | "
            f"`{_ref(s['source'])}` | `{_cell(s['transformation'])}` |"
        )
    lines += ["", "### Features", "", "| Feature | Personal-data tags | Influenced by |", "|---|---|---|"]
    for f in record["features"]:
        tags = (
            "; ".join(
                f"{t['tag']} ({t['status']}, from {t['origin']}" + (f": {t['reason']}" if t["reason"] else "") + ")"
                for t in f["tags"]
            )
            or "—"
        )
        lines.append(f"| `{f['name']}` | {tags} | {'; '.join(f['influenced_by']) or '—'} |")
    return "\n".join(lines) + "\n"


def _ref(ref: dict[str, Any]) -> str:
    return ref["dataset"] if ref["column"] is None else f"{ref['dataset']}.{ref['column']}"


def _where(location: dict[str, Any] | None) -> str:
    return "?" if not location else f"{location['path']}:{location['line']}"


def _cell(text: str, width: int = 120) -> str:
    text = " ".join(text.split()).replace("|", "\\|").replace("`", "'")
    return text if len(text) <= width else text[: width - 1] + "…"
