"""SVG drawn directly from a wrapped layered layout, for diagrams too large for Graphviz's one strip.

``draw_svg(nodes, edges)`` is pure: boxes come from :func:`layout.layered_layout`, text widths are
estimated from character counts (no font metrics, so output is the same on every machine), and
every list is written in sorted order. ``dataset_diagram`` turns a lineage graph into nodes and
edges at dataset or column level.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..graph import LineageGraph
from ..model import DATASET_WIDE, DatasetKind
from .layout import Layout, layered_layout, ranks
from .styles import CHANGE_STYLE, KIND_STYLE

HEADER = 24
ROW = 18
CHAR = 6.6  # average advance of an 11 px sans-serif character
MAX_TEXT = 56
MAX_ROWS = 40
MIN_WIDTH = 110
MAX_SIDE = 4000


@dataclass
class Node:
    """A box: a header line and optional rows (columns), with an optional link."""

    id: str
    title: str
    fill: str = "#dbeafe"
    subtitle: str = ""
    rows: list[str] = field(default_factory=list)
    href: str | None = None
    tooltip: str = ""
    group: str = ""
    border: str = "#64748b"
    #: row index -> (background colour, tooltip) for changed or impacted columns
    marks: dict[int, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Edge:
    """An arrow from a node (row) to a node (row); ``row`` None attaches to the header."""

    source: str
    target: str
    source_row: int | None = None
    target_row: int | None = None
    style: str = "solid"  # "solid", "dashed" or "dotted"
    width: float = 1.2
    label: str = ""
    tooltip: str = ""
    colour: str = ""


def shorten(text: str, limit: int = MAX_TEXT) -> str:
    """Shorten a long name in the middle so boxes keep a readable width."""
    if len(text) <= limit:
        return text
    keep = (limit - 1) // 2
    return text[:keep] + "…" + text[-keep:]


def _size(node: Node) -> tuple[float, float]:
    texts = [shorten(node.title) + "  " + node.subtitle, *(shorten(r) for r in node.rows[:MAX_ROWS])]
    width = max(MIN_WIDTH, 24 + CHAR * max(len(t) for t in texts))
    rows = min(len(node.rows), MAX_ROWS + 1)
    return round(width, 1), HEADER + ROW * rows + (4 if rows else 0)


def _row_y(node: Node, box_y: float, row: int | None) -> float:
    if row is None or row >= MAX_ROWS:
        return box_y + HEADER / 2
    return box_y + HEADER + ROW * row + ROW / 2


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def layout_nodes(nodes: Sequence[Node], edges: Sequence[Edge], max_width: float = 1800) -> Layout:
    sizes = {n.id: _size(n) for n in nodes}
    order = {n.id: f"{n.group}\0{n.title}" for n in nodes}
    return layered_layout(sizes, [(e.source, e.target) for e in edges], max_width=max_width, order_key=order)


def draw_svg(nodes: Sequence[Node], edges: Sequence[Edge], title: str | None = None, max_width: float = 1800) -> str:
    """The SVG text of ``nodes`` and ``edges`` laid out left to right in wrapped bands."""
    by_id = {n.id: n for n in nodes}
    layout = layout_nodes(nodes, edges, max_width)
    top = 30 if title else 0
    width, height = math.ceil(layout.width), math.ceil(layout.height + top)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="Helvetica, Arial, sans-serif" font-size="11">',
        '<defs><marker id="a" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7" '
        'orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#475569"/></marker></defs>',
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    if title:
        out.append(f'<text x="16" y="21" font-size="15" font-weight="bold" fill="#0f172a">{_e(title)}</text>')
    out.append(f'<g transform="translate(0,{top})">')
    for edge in sorted(edges, key=lambda e: (e.source, e.target, e.source_row or -1, e.target_row or -1, e.style)):
        out.append(_edge(edge, by_id, layout))
    for node in sorted(nodes, key=lambda n: n.id):
        out.append(_node(node, layout))
    out.append("</g></svg>")
    return "\n".join(out) + "\n"


def _edge(edge: Edge, by_id: Mapping[str, Node], layout: Layout) -> str:
    a, b = layout.boxes[edge.source], layout.boxes[edge.target]
    x1, y1 = a.x + a.w, _row_y(by_id[edge.source], a.y, edge.source_row)
    x2, y2 = b.x, _row_y(by_id[edge.target], b.y, edge.target_row)
    dash = {"dashed": ' stroke-dasharray="5,3"', "dotted": ' stroke-dasharray="1.5,3"'}.get(edge.style, "")
    colour = edge.colour or ("#94a3b8" if edge.style == "dotted" else "#475569")
    if x2 > x1:
        bend = max(40.0, (x2 - x1) / 2)
        path = f"M{x1:.1f},{y1:.1f} C{x1 + bend:.1f},{y1:.1f} {x2 - bend:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
    else:
        # An edge to an earlier column (the flow wrapped to the next band, or a cycle) goes round
        # like a carriage return: out to the right, along the gap above the target, back in.
        gy = b.y - 8 if b.y > a.y else min(a.y, b.y) - 8
        path = (
            f"M{x1:.1f},{y1:.1f} L{x1 + 14:.1f},{y1:.1f} L{x1 + 14:.1f},{gy:.1f} "
            f"L{x2 - 14:.1f},{gy:.1f} L{x2 - 14:.1f},{y2:.1f} L{x2:.1f},{y2:.1f}"
        )
    tip = f"<title>{_e(edge.tooltip)}</title>" if edge.tooltip else ""
    parts = [
        f'<g class="edge">{tip}<path d="{path}" fill="none" stroke="{colour}" stroke-width="{edge.width:.1f}"'
        f'{dash} marker-end="url(#a)"/>'
    ]
    if edge.label:
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        parts.append(
            f'<text x="{mx:.1f}" y="{my - 3:.1f}" text-anchor="middle" font-size="10" fill="#334155" '
            f'paint-order="stroke" stroke="white" stroke-width="3">{_e(edge.label)}</text>'
        )
    parts.append("</g>")
    return "".join(parts)


def _node(node: Node, layout: Layout) -> str:
    box = layout.boxes[node.id]
    x, y, w, h = box.x, box.y, box.w, box.h
    tip = f"<title>{_e(node.tooltip or node.title)}</title>"
    thick = ' stroke-width="2.5"' if node.border != "#64748b" else ""
    parts = [
        f'<g class="node">{tip}<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="4" fill="white" '
        f'stroke="{node.border}"{thick}/>',
        f'<rect x="{x}" y="{y}" width="{w}" height="{HEADER}" rx="4" fill="{node.fill}" stroke="{node.border}"/>',
        f'<text x="{x + 8}" y="{y + 16}"><tspan font-weight="bold">{_e(shorten(node.title))}</tspan>'
        + (f'<tspan fill="#475569" font-size="9">  {_e(node.subtitle)}</tspan>' if node.subtitle else "")
        + "</text>",
    ]
    for i, row in enumerate(node.rows[:MAX_ROWS]):
        top = y + HEADER + ROW * i
        if i in node.marks:
            fill, note = node.marks[i]
            parts.append(
                f'<g><title>{_e(note)}</title><rect x="{x + 1}" y="{top}" width="{w - 2}" height="{ROW}" '
                f'fill="{fill}"/></g>'
            )
        parts.append(f'<text x="{x + 8}" y="{top + 13}">{_e(shorten(row))}</text>')
    if len(node.rows) > MAX_ROWS:
        more = len(node.rows) - MAX_ROWS
        parts.append(
            f'<text x="{x + 8}" y="{y + HEADER + ROW * MAX_ROWS + 13}" fill="#64748b" font-style="italic">'
            f"… {more} more</text>"
        )
    parts.append("</g>")
    text = "".join(parts)
    if node.href:
        return f'<a href="{_e(node.href)}" xlink:href="{_e(node.href)}">{text}</a>'
    return text


def dataset_diagram(
    graph: LineageGraph, level: str = "dataset", links: Mapping[str, str] | None = None,
    group_of: Mapping[str, str] | None = None, status: Mapping[str, str] | None = None,
    tooltips: Mapping[str, str] | None = None,
) -> tuple[list[Node], list[Edge]]:  # fmt: skip
    """Nodes and edges for the datasets of ``graph``: names only, or with their columns.

    ``status`` and ``tooltips`` (by dataset or ``dataset.column``, as in ``DotOptions``) colour
    changed and impacted datasets and columns."""
    links = links or {}
    status = status or {}
    tooltips = tooltips or {}
    names = sorted(graph.datasets)
    ids = {name: f"d{i}" for i, name in enumerate(names)}
    nodes = []
    for name in names:
        ds = graph.datasets[name]
        icon, fill, kind_label = KIND_STYLE.get(ds.kind, KIND_STYLE[DatasetKind.TABLE])
        border = "#64748b"
        if status.get(name) in CHANGE_STYLE:
            fill, border, _ = CHANGE_STYLE[status[name]]
        marks = {
            i: (CHANGE_STYLE[status[f"{name}.{c}"]][0], tooltips.get(f"{name}.{c}", status[f"{name}.{c}"]))
            for i, c in enumerate(ds.columns)
            if level == "column" and status.get(f"{name}.{c}") in CHANGE_STYLE
        }
        shown = list(ds.columns) if level == "column" else []
        tip = tooltips.get(name, f"{kind_label}: {name}")
        group = (group_of or {}).get(name, "")
        nodes.append(
            Node(ids[name], f"{icon} {name}", fill, kind_label, shown, links.get(name), tip, group, border, marks)
        )
    edges: list[Edge] = []
    covered: set[tuple[str, str]] = set()
    if level == "column":
        rows = {name: {c: i for i, c in enumerate(graph.datasets[name].columns)} for name in names}
        seen: set[tuple[str, str, int | None, int | None, str]] = set()
        for je in graph.sorted_column_edges():
            e = je.edge
            s, t = e.source.table or "", e.target.table or ""
            if s not in ids or t not in ids:
                continue
            style = "dotted" if e.subtype in DATASET_WIDE else ("dashed" if e.kind == "indirect" else "solid")
            key = (s, t, rows[s].get(e.source.column or ""), rows[t].get(e.target.column or ""), style)
            if key in seen:
                continue
            seen.add(key)
            covered.add((s, t))
            tip = f"{e.source} -> {e.target}: {e.kind} {e.subtype.value}: {e.transformation}"
            changed = status.get(f"{t}.{e.target.column}") if style == "solid" else None
            colour = CHANGE_STYLE[changed][1] if changed in ("modified", "impacted", "added") else ""
            width = {"modified": 3.0, "impacted": 2.0, "added": 1.8}.get(changed or "", 1.0)
            edges.append(Edge(ids[s], ids[t], key[2], key[3], style, width, "", tip, colour))
    for source, target in sorted({(e.source, e.target) for e in graph.edges}):
        if (source, target) not in covered and source in ids and target in ids:
            edges.append(Edge(ids[source], ids[target], width=1.4, tooltip=f"{source} -> {target}"))
    return nodes, edges


def graphviz_extent(graph: LineageGraph, level: str = "column") -> tuple[float, float]:
    """About how wide and tall Graphviz's one-strip left-to-right layout of ``graph`` would be (px).

    Used to choose the wrapped layout before paying for a Graphviz run that would be unreadable."""
    rank = ranks(graph.datasets, [(e.source, e.target) for e in graph.edges])
    widths: dict[int, float] = {}
    heights: dict[int, float] = {}
    for name, r in rank.items():
        ds = graph.datasets[name]
        w, h = _size(Node(name, name, rows=list(ds.columns) if level == "column" else []))
        widths[r] = max(widths.get(r, 0.0), w)
        heights[r] = heights.get(r, 0.0) + h + 20
    return sum(w + 80 for w in widths.values()), max(heights.values(), default=0.0)
