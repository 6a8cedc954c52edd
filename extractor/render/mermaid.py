"""Mermaid flowcharts (dataset or column level), safe for hostile names and within Mermaid's limits."""

from __future__ import annotations

from ..errors import RenderError
from ..graph import LineageGraph
from ..model import DATASET_WIDE
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


def render_mermaid(
    graph: LineageGraph, status: dict[str, str] | None = None, direction: str = "LR", level: str = "dataset"
) -> str:
    """A Mermaid flowchart of ``graph``: one node per dataset, or (``level="column"``) one
    subgraph per dataset with a node per column and the column edges between them."""
    if level == "column":
        return _column_mermaid(graph, status or {}, direction)
    status = status or {}
    names = sorted(graph.datasets)
    ids = {name: f"n{i}" for i, name in enumerate(names)}
    lines = [f"flowchart {direction}"]
    for name in names:
        ds = graph.datasets[name]
        open_, close = _SHAPES.get(ds.kind.value, _SHAPES["table"])
        icon = KIND_STYLE[ds.kind][0] if ds.kind in KIND_STYLE else ""
        badge = _badge(ds.attributes.get("governance_tags"))
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


def _badge(tags: object) -> str:
    """The governance-tag badge of a dataset or column (docs/governance.md), or ""."""
    return f" ⚑ {', '.join(str(t) for t in tags)}" if isinstance(tags, list) and tags else ""


def _column_mermaid(graph: LineageGraph, status: dict[str, str], direction: str) -> str:
    names = sorted(graph.datasets)
    ids = {name: f"n{i}" for i, name in enumerate(names)}
    columns = {name: {c: f"{ids[name]}c{j}" for j, c in enumerate(graph.datasets[name].columns)} for name in names}
    lines = [f"flowchart {direction}"]
    for name in names:
        ds = graph.datasets[name]
        icon = KIND_STYLE[ds.kind][0] if ds.kind in KIND_STYLE else ""
        lines.append(
            f'  subgraph {ids[name]}["{label(icon + " " + name + _badge(ds.attributes.get("governance_tags")))}"]'
        )
        lines.append("    direction TB")
        column_tags = ds.attributes.get("column_tags")
        tags_of = column_tags if isinstance(column_tags, dict) else {}
        lines += [f'    {columns[name][c]}["{label(c + _badge(tags_of.get(c)))}"]' for c in ds.columns]
        lines.append("  end")
    arrows: set[tuple[str, str, str]] = set()
    for je in graph.sorted_column_edges():
        e = je.edge
        src, dst = e.source.table or "", e.target.table or ""
        if src not in ids or dst not in ids:
            continue
        # A star or a dataset-wide edge (join, filter) attaches to the dataset's box.
        a = columns[src].get(e.source.column or "", ids[src])
        b = columns[dst].get(e.target.column or "", ids[dst])
        arrow = "-.->" if e.subtype in DATASET_WIDE or e.kind == "indirect" else "-->"
        arrows.add((a, arrow, b))
    covered = {(e.edge.source.table, e.edge.target.table) for e in graph.column_edges}
    for source, target in sorted({(e.source, e.target) for e in graph.edges}):
        if (source, target) not in covered and source in ids and target in ids:
            arrows.add((ids[source], "==>", ids[target]))
    if len(arrows) > MAX_EDGES:
        raise RenderError(
            f"column-level Mermaid would need {len(arrows)} edges, more than Mermaid's default maxEdges "
            f"({MAX_EDGES}), so it would not render; use --focus DATASET, --schema or --level dataset"
        )
    lines += [f"  {a} {arrow} {b}" for a, arrow, b in sorted(arrows)]
    for key in ("added", "removed", "modified", "impacted"):
        fill, border, _ = CHANGE_STYLE[key]
        lines.append(f"  classDef {key} fill:{fill},stroke:{border},stroke-width:2px")
    for name in names:
        for column, node in columns[name].items():
            if status.get(f"{name}.{column}") in CHANGE_STYLE:
                lines.append(f"  class {node} {status[f'{name}.{column}']}")
    text = "\n".join(lines) + "\n"
    if len(text) > MAX_TEXT:
        raise RenderError(
            f"column-level Mermaid would be {len(text):,} characters, more than Mermaid's default maxTextSize "
            f"({MAX_TEXT:,}); use --focus DATASET, --schema or --level dataset"
        )
    return text
