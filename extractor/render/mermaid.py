"""Mermaid flowcharts (dataset level), safe for hostile names and within Mermaid's limits."""

from __future__ import annotations

from ..graph import LineageGraph
from .styles import CHANGE_STYLE, KIND_STYLE

#: Mermaid's own default limits (maxTextSize, maxEdges).
MAX_TEXT = 50_000
MAX_EDGES = 500

_SHAPES = {
    "table": ('["', '"]'),
    "view": ('[/"', '"/]'),
    "temporary": ('["', '"]'),
    "file": ('[("', '")]'),
    "dbt_model": ('{{"', '"}}'),
    "dbt_source": ('[("', '")]'),
    "dbt_seed": ('[("', '")]'),
    "model": ('(["', '"])'),
    "dashboard": ('[["', '"]]'),
    "unknown": ('{"', '"}'),
}


def label(text: str) -> str:
    """Escape a label for use inside Mermaid's ``"…"``: entity codes for quotes and brackets."""
    replacements = {"&": "#amp;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "#": "#35;", "|": "#124;"}
    escaped = "".join(replacements.get(ch, ch) for ch in text)
    return escaped.replace("#amp;#", "#amp;#")  # keep output stable for ampersands


def render_mermaid(graph: LineageGraph, status: dict[str, str] | None = None, direction: str = "LR") -> str:
    status = status or {}
    names = sorted(graph.datasets)
    ids = {name: f"n{i}" for i, name in enumerate(names)}
    lines = [f"flowchart {direction}"]
    for name in names:
        ds = graph.datasets[name]
        open_, close = _SHAPES.get(ds.kind.value, _SHAPES["table"])
        icon = KIND_STYLE[ds.kind][0] if ds.kind in KIND_STYLE else ""
        tags = ds.attributes.get("governance_tags")
        badge = f" ⚑ {', '.join(str(t) for t in tags)}" if isinstance(tags, list) and tags else ""
        lines.append(f"  {ids[name]}{open_}{label(icon + ' ' + name + badge)}{close}")
    pairs = sorted({(e.source, e.target) for e in graph.edges if e.source in ids and e.target in ids})
    for source, target in pairs:
        lines.append(f"  {ids[source]} --> {ids[target]}")
    for key in ("added", "removed", "modified", "impacted"):
        fill, border, _ = CHANGE_STYLE[key]
        lines.append(f"  classDef {key} fill:{fill},stroke:{border},stroke-width:2px")
    for name in names:
        if status.get(name) in CHANGE_STYLE:
            lines.append(f"  class {ids[name]} {status[name]}")
    return "\n".join(lines) + "\n"
