"""What the HTML explorer shows: a laid-out, compact JSON of the graph, and the column trace it runs.

``explorer_data`` lays datasets out group by group (each group a wrapped left-to-right block, the
blocks themselves laid out the same way, screen-shaped) and writes names, columns, tags, sources
and column edges with shared string tables, so a 5,000-dataset page stays a few megabytes.
``column_trace`` is the walk the page runs in JavaScript when a column is clicked, in Python, so
tests can compare the two.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..graph import LineageGraph
from ..model import ColumnEdge, DatasetKind
from .dot import cluster_key
from .layout import layered_layout
from .styles import CHANGE_STYLE, KIND_STYLE

HEADER = 22
ROW = 16
CHAR = 6.4
PAD = 14
GROUP_HEADER = 26

#: A column key: (dataset, column); column None stands for the dataset as a whole.
Key = tuple[str, "str | None"]


@dataclass
class Trace:
    """Columns upstream and downstream of a column, each ``direct`` or ``indirect``."""

    upstream: dict[Key, str] = field(default_factory=dict)
    downstream: dict[Key, str] = field(default_factory=dict)


def _node_size(name: str, columns: list[str]) -> tuple[float, float]:
    longest = max([len(name) + 3, *(len(c) for c in columns)])
    height = HEADER + ROW * len(columns) + (4 if columns else 0)
    return round(max(110.0, 20 + CHAR * min(longest, 64)), 1), float(height)


def _edge_columns(graph: LineageGraph, e: ColumnEdge) -> tuple[Key, Key]:
    src_col = e.source.column if e.source.column not in (None, "*") else None
    dst_col = e.target.column if e.target.column not in (None, "*") else None
    return (e.source.table or "", src_col), (e.target.table or "", dst_col)


def column_trace(graph: LineageGraph, dataset: str, column: str) -> Trace:
    """Every column ``dataset.column`` comes from and reaches, over the graph's column edges.

    A path made only of direct edges (identity, transformation, aggregation) is ``direct``; a path
    through any indirect edge (join, filter, window …) is ``indirect``. An edge into a whole
    dataset (``target.column`` None: a join or filter) influences every column of that dataset;
    an edge from a star (``*``) carries every column of its source."""
    into: dict[Key, list[tuple[Key, bool]]] = {}
    out: dict[Key, list[tuple[Key, bool]]] = {}
    for je in graph.column_edges:
        if je.edge.constant:
            continue  # no source: one shared "no source" key would join every constant column
        src, dst = _edge_columns(graph, je.edge)
        direct = je.edge.kind == "direct"
        into.setdefault(dst, []).append((src, direct))
        out.setdefault(src, []).append((dst, direct))

    def expand(key: Key) -> list[Key]:
        name, col = key
        ds = graph.datasets.get(name)
        if col is None and ds is not None and ds.columns:
            return [(name, c) for c in ds.columns]
        return [key]

    def walk(step: Mapping[Key, list[tuple[Key, bool]]]) -> dict[Key, str]:
        found: dict[Key, str] = {}
        queue: list[tuple[Key, bool]] = [((dataset, column), True)]
        while queue:
            (name, col), path_direct = queue.pop()
            # A column also depends on what feeds its whole dataset, and a star carries it too.
            for hop_from in ((name, col), (name, None)):
                for other, edge_direct in step.get(hop_from, ()):
                    direct = path_direct and edge_direct and hop_from[1] is not None
                    for key in expand(other):
                        if key == (dataset, column):
                            continue
                        if key not in found or (direct and found[key] == "indirect"):
                            found[key] = "direct" if direct else "indirect"
                            queue.append((key, direct))
        return found

    return Trace(upstream=walk(into), downstream=walk(out))


def _group_layout(
    graph: LineageGraph, group_of: Mapping[str, str]
) -> tuple[dict[str, tuple[float, float, float, float]], dict[str, tuple[float, float, float, float]]]:
    members: dict[str, list[str]] = {}
    for name in sorted(graph.datasets):
        members.setdefault(group_of[name], []).append(name)
    edges = sorted({(e.source, e.target) for e in graph.edges})
    inner: dict[str, dict[str, tuple[float, float, float, float]]] = {}
    block_size: dict[str, tuple[float, float]] = {}
    for group, names in members.items():
        sizes = {n: _node_size(n, graph.datasets[n].columns) for n in names}
        wanted = set(names)
        width = max(1200.0, math.sqrt(sum(w * h for w, h in sizes.values()) * 2.2))
        layout = layered_layout(
            sizes, [(s, t) for s, t in edges if s in wanted and t in wanted], max_width=width,
            max_column_height=max(900.0, width * 0.6), gap_x=70, gap_y=12, band_gap=36, margin=PAD,
        )  # fmt: skip
        inner[group] = {n: (b.x, b.y + GROUP_HEADER, b.w, b.h) for n, b in layout.boxes.items()}
        block_size[group] = (max(layout.width, 8 * len(group) + 40), layout.height + GROUP_HEADER)
    group_edges = {(group_of[s], group_of[t]) for s, t in edges if group_of[s] != group_of[t]}
    area = sum(w * h for w, h in block_size.values())
    width = max(max(w for w, _ in block_size.values()), 1800.0, math.sqrt(area * 16 / 9) * 1.4)
    tallest = max(h for _, h in block_size.values())
    outer = layered_layout(
        block_size, group_edges, max_width=width, max_column_height=max(tallest, width * 9 / 16),
        gap_x=120, gap_y=60, band_gap=90, margin=20,
    )  # fmt: skip
    groups = {g: (b.x, b.y, b.w, b.h) for g, b in outer.boxes.items()}
    boxes = {}
    for group, placed in inner.items():
        gx, gy, _, _ = groups[group]
        for name, (x, y, w, h) in placed.items():
            boxes[name] = (round(gx + x, 1), round(gy + y, 1), w, h)
    return groups, boxes


def explorer_data(
    graph: LineageGraph,
    title: str = "datatrail lineage",
    group_by: str = "schema",
    status: Mapping[str, str] | None = None,
    tooltips: Mapping[str, str] | None = None,
    source_prefix: str = "",
) -> dict[str, object]:
    """The JSON the explorer page reads; deterministic (sorted names, shared string tables)."""
    status = status or {}
    tooltips = tooltips or {}
    names = sorted(graph.datasets)
    index = {n: i for i, n in enumerate(names)}
    group_of = {n: cluster_key(graph, n, group_by) or "(none)" for n in names}
    groups, boxes = _group_layout(graph, group_of) if names else ({}, {})
    group_names = sorted(groups)
    group_index = {g: i for i, g in enumerate(group_names)}
    strings: dict[str, int] = {}

    def s(text: str) -> int:
        return strings.setdefault(text, len(strings))

    kinds = sorted({graph.datasets[n].kind for n in names}, key=lambda k: k.value)
    kind_index = {k: i for i, k in enumerate(kinds)}
    datasets = []
    for name in names:
        ds = graph.datasets[name]
        x, y, w, h = boxes[name]
        tags = ds.attributes.get("tags")
        column_tags = ds.attributes.get("column_tags")
        item: dict[str, object] = {
            "n": name, "k": kind_index[ds.kind], "g": group_index[group_of[name]], "b": [x, y, w, h],
            "c": list(ds.columns),
        }  # fmt: skip
        if ds.location is not None:
            item["src"] = f"{ds.location.path}:{ds.location.line}"
        if isinstance(tags, list) and tags:
            item["t"] = sorted(str(t) for t in tags)
        if isinstance(column_tags, dict) and column_tags:
            item["ct"] = {
                str(c): sorted(str(t) for t in v) for c, v in sorted(column_tags.items()) if isinstance(v, list)
            }
        marks = {c: status[f"{name}.{c}"] for c in ds.columns if f"{name}.{c}" in status}
        if name in status or marks:
            item["st"] = status.get(name, "")
            item["cst"] = marks
        tips = {c: tooltips[f"{name}.{c}"] for c in ds.columns if f"{name}.{c}" in tooltips}
        if tips:
            item["tip"] = tips
        datasets.append(item)

    columns = {n: {c: i for i, c in enumerate(graph.datasets[n].columns)} for n in names}
    edges = []
    for je in graph.sorted_column_edges():
        e = je.edge
        (src, src_col), (dst, dst_col) = _edge_columns(graph, e)
        if src not in index or dst not in index:
            continue
        a, b = index[src], index[dst]
        where = f"{e.location.path}:{e.location.line}" if e.location else ""
        edges.append([
            a, columns[src].get(src_col, -1) if src_col else -1, b, columns[dst].get(dst_col, -1) if dst_col else -1,
            s(e.subtype.value), s(e.transformation), s(where),
        ])  # fmt: skip
    table_edges = sorted(
        {(index[e.source], index[e.target]) for e in graph.edges if e.source in index and e.target in index}
    )
    width = max((x + w for x, _, w, _ in groups.values()), default=0.0) + 20
    height = max((y + h for _, y, _, h in groups.values()), default=0.0) + 20
    return {
        "title": title,
        "size": [round(width, 1), round(height, 1)],
        "kinds": [[k.value, *KIND_STYLE.get(k, KIND_STYLE[DatasetKind.TABLE])] for k in kinds],
        "status": {k: list(v) for k, v in CHANGE_STYLE.items()},
        "groups": [[g, *groups[g]] for g in group_names],
        "datasets": datasets,
        "edges": edges,
        "tableEdges": [list(p) for p in table_edges],
        "strings": list(strings),
        "sourcePrefix": source_prefix,
    }
