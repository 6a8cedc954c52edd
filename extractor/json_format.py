"""The lineage JSON format: deterministic, sorted, versioned. Documented in docs/json-format.md.

``dumps`` is byte-identical for the same graph whatever the run or PYTHONHASHSEED: every
collection is sorted and keys are emitted in a fixed order. ``loads`` reads it back.
Governance tags travel in dataset ``attributes`` (``column_tags``, ``column_tag_status``,
``governance_tags``; docs/governance.md), which ``extractor.governance`` writes already sorted.
"""

from __future__ import annotations

import json
from typing import Any

from . import json_text
from .graph import Dataset, Job, JobColumnEdge, LineageGraph, TableEdge
from .model import ColumnEdge, ColumnRef, DatasetKind, Diagnostic, Location, Severity, Subtype

FORMAT_VERSION = 1


def _location(loc: Location | None) -> dict[str, Any] | None:
    return None if loc is None else {"path": loc.path, "line": loc.line}


def to_dict(graph: LineageGraph) -> dict[str, Any]:
    datasets = []
    for name in sorted(graph.datasets):
        ds = graph.datasets[name]
        item: dict[str, Any] = {"name": ds.name, "kind": ds.kind.value, "columns": list(ds.columns)}
        item["location"] = _location(ds.location)
        if ds.attributes:
            item["attributes"] = {k: ds.attributes[k] for k in sorted(ds.attributes)}
        datasets.append(item)
    jobs = []
    for name in sorted(graph.jobs):
        job = graph.jobs[name]
        item = {
            "name": job.name,
            "kind": job.kind,
            "path": job.path,
            "line": job.line,
            "inputs": sorted(job.inputs),
            "outputs": sorted(job.outputs),
        }
        if job.attributes:
            item["attributes"] = {k: job.attributes[k] for k in sorted(job.attributes)}
        jobs.append(item)
    column_edges = []
    for je in graph.sorted_column_edges():
        e = je.edge
        column_edges.append(
            {
                "source": {"dataset": e.source.table, "column": e.source.column},
                "target": {"dataset": e.target.table, "column": e.target.column},
                "kind": e.kind,
                "subtype": e.subtype.value,
                "transformation": e.transformation,
                "fingerprint": e.fingerprint,
                "job": je.job,
                "location": _location(e.location),
            }
        )
    return {
        "format_version": FORMAT_VERSION,
        "datasets": datasets,
        "edges": [{"source": e.source, "target": e.target, "job": e.job} for e in sorted(graph.edges)],
        "column_edges": column_edges,
        "jobs": jobs,
        "diagnostics": [
            {
                "path": d.path,
                "line": d.line,
                "column": d.column,
                "severity": d.severity.value,
                "code": d.code,
                "message": d.message,
            }
            for d in sorted(set(graph.diagnostics))
        ],
        "summary": graph.summary(),
    }


def dumps(graph: LineageGraph) -> str:
    """The graph as JSON text, ending with a newline."""
    return json_text.dumps(to_dict(graph)) + "\n"


def _loc(value: dict[str, Any] | None) -> Location | None:
    return None if not value else Location(value["path"], int(value.get("line", 0)))


def from_dict(data: dict[str, Any]) -> LineageGraph:
    if data.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"unsupported lineage format version {data.get('format_version')!r}")
    graph = LineageGraph()
    for item in data["datasets"]:
        graph.datasets[item["name"]] = Dataset(
            item["name"], DatasetKind(item["kind"]), list(item["columns"]), _loc(item.get("location")),
            dict(item.get("attributes") or {}),
        )  # fmt: skip
    for item in data["jobs"]:
        graph.jobs[item["name"]] = Job(
            item["name"], item["kind"], item["path"], int(item.get("line", 0)), set(item["inputs"]),
            set(item["outputs"]), dict(item.get("attributes") or {}),
        )  # fmt: skip
    graph.edges = {TableEdge(e["source"], e["target"], e["job"]) for e in data["edges"]}
    for item in data["column_edges"]:
        edge = ColumnEdge(
            ColumnRef(item["source"]["dataset"], item["source"]["column"]),
            ColumnRef(item["target"]["dataset"], item["target"]["column"]),
            Subtype(item["subtype"]),
            item["transformation"],
            item["fingerprint"],
            _loc(item.get("location")),
        )
        graph.column_edges.add(JobColumnEdge(edge, item["job"]))
    graph.diagnostics = [
        Diagnostic(d["path"], d["line"], d["column"], Severity(d["severity"]), d["code"], d["message"])
        for d in data["diagnostics"]
    ]
    return graph


def loads(text: str) -> LineageGraph:
    return from_dict(json.loads(text))
