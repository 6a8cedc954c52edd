"""Choosing how to draw a selection for ``datatrail render``: explorer, map of groups, wrapped
SVG or Graphviz, by format and size. Returns the data and the notes the CLI prints on stderr."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..graph import LineageGraph
from .dot import DotOptions, cluster_key, render_dot
from .explorer import explorer_data
from .groups import group_diagram, group_map, render_group_dot, render_group_mermaid
from .html import render_explorer
from .image import render_image
from .mermaid import render_mermaid
from .overlay import Overlay
from .svg import MAX_SIDE, dataset_diagram, draw_svg, graphviz_extent


@dataclass
class Drawing:
    """What to draw and how; see ``datatrail render --help``."""

    fmt: str
    level: str = "column"
    cluster: str = "schema"
    overlay: Overlay | None = None
    max_datasets: int = 0  # 0: no limit
    group_by: str = "schema"
    source_prefix: str = ""  # from the HTML page to the scanned sources
    notes: list[str] = field(default_factory=list)


def draw(graph: LineageGraph, how: Drawing) -> str | bytes:
    """The diagram of ``graph`` in ``how.fmt``; above ``how.max_datasets``, the map of groups.

    Notes for the user (the map was drawn instead, Graphviz would draw a strip) go to ``how.notes``."""
    status = how.overlay.status if how.overlay else {}
    tooltips = how.overlay.tooltips if how.overlay else {}
    if how.fmt == "html":
        data = explorer_data(graph, "datatrail lineage", how.group_by, status, tooltips, how.source_prefix)
        return render_explorer(data)
    if how.max_datasets and len(graph.datasets) > how.max_datasets:
        gmap = group_map(graph, how.group_by)
        how.notes.append(
            f"{len(graph.datasets)} datasets is more than --max-datasets {how.max_datasets}: drew the map of "
            f"{len(gmap.members)} groups (by {how.group_by}); narrow with --focus, --schema or --path, "
            "or use --format html"
        )
        if how.fmt == "mermaid":
            return render_group_mermaid(gmap)
        if how.fmt == "svg":
            return draw_svg(*group_diagram(gmap), title="datatrail lineage: map of groups")
        dot_source = render_group_dot(gmap)
        return dot_source if how.fmt == "dot" else render_image(dot_source, how.fmt)
    if how.fmt == "mermaid":
        return render_mermaid(graph, status or None, level=how.level)
    width, height = graphviz_extent(graph, how.level)
    if max(width, height) > MAX_SIDE and how.fmt in ("svg", "png", "pdf"):
        if how.fmt == "svg":
            # Graphviz would draw one unreadable strip: lay it out in wrapped bands instead.
            groups = {n: cluster_key(graph, n, how.cluster) for n in graph.datasets}
            nodes, edges = dataset_diagram(graph, how.level, None, groups, status, tooltips)
            return draw_svg(nodes, edges, title="datatrail lineage")
        how.notes.append(
            f"Graphviz lays this graph out in one strip of about {width:,.0f} x {height:,.0f} px; "
            "for a wrapped layout use .svg or --format html"
        )
    options = DotOptions(level=how.level, cluster=how.cluster, status=dict(status), tooltips=dict(tooltips))
    dot_source = render_dot(graph, options)
    return dot_source if how.fmt == "dot" else render_image(dot_source, how.fmt)
