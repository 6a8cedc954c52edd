"""A layered left-to-right layout that wraps, so a large graph fills a screen instead of a strip.

``layered_layout(sizes, edges, ...)`` ranks nodes by longest path (cycles share a rank), orders
each rank by the barycentre of its predecessors, splits a rank taller than ``max_column_height``
into several side-by-side columns, and wraps the sequence of columns into horizontal bands no
wider than ``max_width``. It is pure and deterministic: ties are broken by node name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Box:
    """Where a node is drawn: top-left corner and size, in pixels."""

    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class Layout:
    boxes: dict[str, Box]
    width: float
    height: float


def ranks(nodes: Iterable[str], edges: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Longest-path rank of every node; the members of a cycle share one rank."""
    import networkx as nx

    g = nx.DiGraph()
    g.add_nodes_from(sorted(nodes))
    g.add_edges_from(sorted((s, t) for s, t in edges if s != t and s in g and t in g))
    condensed = nx.condensation(g)
    members = nx.get_node_attributes(condensed, "members")
    rank_of: dict[int, int] = {}
    for component in nx.lexicographical_topological_sort(condensed, key=lambda c: min(members[c])):
        preds = list(condensed.predecessors(component))
        rank_of[component] = max((rank_of[p] + 1 for p in preds), default=0)
    mapping = condensed.graph["mapping"]
    return {name: rank_of[mapping[name]] for name in g.nodes}


def layered_layout(
    sizes: Mapping[str, tuple[float, float]],
    edges: Iterable[tuple[str, str]],
    *,
    max_width: float = 1800,
    max_column_height: float = 900,
    gap_x: float = 60,
    gap_y: float = 14,
    band_gap: float = 40,
    margin: float = 16,
    order_key: Mapping[str, str] | None = None,
) -> Layout:
    """Positions for every node of ``sizes`` (name -> (width, height)); see the module docstring."""
    edge_list = sorted({(s, t) for s, t in edges if s in sizes and t in sizes and s != t})
    rank = ranks(sizes, edge_list)
    key = order_key or {}
    by_rank: dict[int, list[str]] = {}
    for name in sorted(sizes, key=lambda n: (key.get(n, ""), n)):
        by_rank.setdefault(rank[name], []).append(name)
    preds: dict[str, list[str]] = {n: [] for n in sizes}
    for s, t in edge_list:
        if rank[s] < rank[t]:
            preds[t].append(s)
    # One barycentre sweep: a node sits near the mean position of what feeds it, which keeps
    # chains straight and groups readable. Ties keep the group/name order.
    position: dict[str, float] = {}
    for r in sorted(by_rank):
        names = by_rank[r]
        for i, name in enumerate(names):
            feeding = [position[p] for p in preds[name] if p in position]
            position[name] = sum(feeding) / len(feeding) if feeding else float(i)
        names.sort(key=lambda n: (position[n], key.get(n, ""), n))
        for i, name in enumerate(names):
            position[name] = float(i)

    # Ranks -> columns no taller than max_column_height.
    columns: list[list[str]] = []
    for r in sorted(by_rank):
        current: list[str] = []
        height = 0.0
        for name in by_rank[r]:
            h = sizes[name][1]
            if current and height + gap_y + h > max_column_height:
                columns.append(current)
                current, height = [], 0.0
            height += (gap_y if current else 0) + h
            current.append(name)
        columns.append(current)

    # Columns -> bands no wider than max_width.
    bands: list[list[list[str]]] = []
    band: list[list[str]] = []
    band_width = 0.0
    for column in columns:
        w = max(sizes[n][0] for n in column)
        if band and band_width + gap_x + w > max_width:
            bands.append(band)
            band, band_width = [], 0.0
        band_width += (gap_x if band else 0) + w
        band.append(column)
    if band:
        bands.append(band)

    boxes: dict[str, Box] = {}
    y = margin
    width = 0.0
    for band in bands:
        heights = [sum(sizes[n][1] for n in column) + gap_y * (len(column) - 1) for column in band]
        band_height = max(heights)
        x = margin
        for column, column_height in zip(band, heights, strict=True):
            w = max(sizes[n][0] for n in column)
            top = y + (band_height - column_height) / 2
            for name in column:
                nw, nh = sizes[name]
                boxes[name] = Box(round(x, 1), round(top, 1), nw, nh)
                top += nh + gap_y
            x += w + gap_x
        width = max(width, x - gap_x + margin)
        y += band_height + band_gap
    height = y - band_gap + margin if bands else 2 * margin
    return Layout(boxes, round(max(width, 2 * margin), 1), round(height, 1))
