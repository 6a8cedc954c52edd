"""Graphviz DOT: datasets as HTML-like tables with one port per column.

``render_dot(graph, options) -> str`` is pure and deterministic: node ids come from sorted
names, and every list is sorted before it is written.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from ..graph import LineageGraph
from ..model import DATASET_WIDE, DatasetKind
from .styles import CHANGE_STYLE, KIND_STYLE, schema_of

MAX_LABEL = 60


@dataclass
class DotOptions:
    level: str = "column"  # or "dataset"
    cluster: str = "schema"  # "schema", "layer" (folder of the defining file), "file" or "none"
    legend: bool = True
    title: str | None = None
    #: dataset or "dataset.column" -> status in CHANGE_STYLE
    status: dict[str, str] = field(default_factory=dict)
    #: "dataset.column" or dataset -> tooltip text (old -> new expression and reasons)
    tooltips: dict[str, str] = field(default_factory=dict)


def esc(text: str, limit: int = MAX_LABEL) -> str:
    """Escape for an HTML-like label, shortening very long names in the middle."""
    if len(text) > limit:
        keep = (limit - 1) // 2
        text = text[:keep] + "…" + text[-keep:]
    return html.escape(text, quote=True)


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def render_dot(graph: LineageGraph, options: DotOptions | None = None) -> str:
    options = options or DotOptions()
    names = sorted(graph.datasets)
    ids = {name: f"d{i}" for i, name in enumerate(names)}
    out = [
        "digraph lineage {",
        '  graph [rankdir=LR, fontname="Helvetica", fontsize=11, nodesep=0.35, ranksep=1.1, '
        'bgcolor="white", newrank=true];',
        '  node [shape=plain, fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9, arrowsize=0.6, color="#475569"];',
    ]
    if options.title:
        out.append(f"  labelloc=t; label={quote(options.title)};")

    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(cluster_key(graph, name, options.cluster), []).append(name)
    for gi, group in enumerate(sorted(groups)):
        indent = "  "
        if group:
            out.append(f"  subgraph cluster_{gi} {{")
            out.append(f'    label={quote(group)}; style="rounded,dashed"; color="#94a3b8"; fontcolor="#334155";')
            indent = "    "
        for name in groups[group]:
            out.append(indent + _node(graph, name, ids[name], options))
        if group:
            out.append("  }")

    out.extend(_edges(graph, ids, options))
    if options.legend:
        out.extend(_legend(graph, options))
    out.append("}")
    return "\n".join(out) + "\n"


def cluster_key(graph: LineageGraph, name: str, how: str) -> str:
    """The cluster a dataset is drawn in: its schema, the folder or file defining it, or none."""
    if how == "none":
        return ""
    ds = graph.datasets[name]
    if how in ("file", "layer"):
        layer = ds.attributes.get("layer")
        if how == "layer" and isinstance(layer, str):
            return layer
        if ds.location is None:
            return "(external)"
        path = ds.location.path
        return path if how == "file" else (path.rsplit("/", 1)[0] if "/" in path else ".")
    return schema_of(name)


def _node(graph: LineageGraph, name: str, node_id: str, options: DotOptions) -> str:
    ds = graph.datasets[name]
    icon, colour, kind_label = KIND_STYLE.get(ds.kind, KIND_STYLE[DatasetKind.TABLE])
    status = options.status.get(name)
    border = "#64748b"
    header_colour = colour
    border_width = 1
    if status in CHANGE_STYLE:
        header_colour, border, _ = CHANGE_STYLE[status]
        border_width = 3 if status in ("modified", "removed", "added") else 2
    tooltip = options.tooltips.get(name, f"{kind_label}: {name}")
    if options.level == "dataset":
        return (
            f'{node_id} [label=<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="6" COLOR="{border}" '
            f'BGCOLOR="{header_colour}"><TR><TD>{esc(icon)} <B>{esc(name)}</B>'
            f"{_tag_badge({'': ds.attributes.get('governance_tags')}, '')}</TD></TR></TABLE>>, "
            f"tooltip={quote(tooltip)}];"
        )
    rows = [
        f'<TR><TD PORT="h" BGCOLOR="{header_colour}" ALIGN="LEFT">{esc(icon)} <B>{esc(name)}</B> '
        f'<FONT POINT-SIZE="8" COLOR="#475569">{esc(kind_label)}</FONT></TD></TR>'
    ]
    for i, column in enumerate(ds.columns):
        col_status = options.status.get(f"{name}.{column}")
        cell_colour = CHANGE_STYLE[col_status][0] if col_status in CHANGE_STYLE else "white"
        text = esc(column)
        if col_status == "modified":
            text = f"<B>{text}  ◀ changed</B>"
        elif col_status == "added":
            text = f"{text}  <I>(new)</I>"
        text += _tag_badge(ds.attributes.get("column_tags"), column)
        col_tip = options.tooltips.get(f"{name}.{column}")
        tip = f' TOOLTIP="{esc(col_tip, 400)}" HREF="#"' if col_tip else ""
        rows.append(f'<TR><TD PORT="c{i}" ALIGN="LEFT" BGCOLOR="{cell_colour}"{tip}>{text}</TD></TR>')
    label = (
        f'<<TABLE BORDER="{border_width}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="4" COLOR="{border}">'
        + "".join(rows)
        + "</TABLE>>"
    )
    return f"{node_id} [label={label}, tooltip={quote(tooltip)}];"


def _tag_badge(column_tags: object, column: str) -> str:
    """A small badge naming the governance tags of a column (docs/governance.md), or ""."""
    tags = column_tags.get(column) if isinstance(column_tags, dict) else None
    if not isinstance(tags, list) or not tags:
        return ""
    return f' <FONT POINT-SIZE="8" COLOR="#b91c1c">⚑ {esc(", ".join(str(t) for t in tags))}</FONT>'


def _edges(graph: LineageGraph, ids: dict[str, str], options: DotOptions) -> list[str]:
    lines: list[str] = []
    if options.level == "dataset":
        pairs = sorted({(e.source, e.target) for e in graph.edges if e.source in ids and e.target in ids})
        for source, target in pairs:
            style = _edge_style(options.status.get(target))
            lines.append(f"  {ids[source]} -> {ids[target]}{style};")
        return lines
    ports = {name: {c: f"c{i}" for i, c in enumerate(graph.datasets[name].columns)} for name in ids}
    seen: set[tuple[str, str, str]] = set()
    covered: set[tuple[str, str]] = set()
    for je in graph.sorted_column_edges():
        e = je.edge
        src_table, dst_table = e.source.table, e.target.table
        if src_table not in ids or dst_table not in ids:
            continue
        src = f"{ids[src_table]}:{ports[src_table].get(e.source.column or '', 'h')}:e"
        dst = f"{ids[dst_table]}:{ports[dst_table].get(e.target.column or '', 'h')}:w"
        if e.subtype in DATASET_WIDE:
            style = ' [style=dotted, color="#94a3b8", arrowhead=odot]'
        elif e.kind == "indirect":
            style = ' [style=dashed, color="#64748b"]'
        else:
            style = _edge_style(options.status.get(f"{dst_table}.{e.target.column}"))
        key = (src, dst, style)
        if key in seen:
            continue
        seen.add(key)
        covered.add((src_table, dst_table))
        lines.append(f"  {src} -> {dst}{style};")
    # Table edges without any column edge (e.g. COPY, LOAD) still show.
    for source, target in sorted({(e.source, e.target) for e in graph.edges}):
        if (source, target) not in covered and source in ids and target in ids:
            lines.append(f"  {ids[source]}:h:e -> {ids[target]}:h:w [penwidth=1.4];")
    return lines


def _edge_style(status: str | None) -> str:
    if status == "modified":
        return f' [color="{CHANGE_STYLE[status][1]}", penwidth=3]'
    if status == "impacted":
        return f' [color="{CHANGE_STYLE[status][1]}", penwidth=2]'
    if status == "added":
        return f' [color="{CHANGE_STYLE["added"][1]}", penwidth=1.8]'
    return ""


def _legend(graph: LineageGraph, options: DotOptions) -> list[str]:
    kinds = sorted({ds.kind for ds in graph.datasets.values()}, key=lambda k: k.value)
    rows = ['<TR><TD COLSPAN="2"><B>Legend</B></TD></TR>']
    for kind in kinds:
        icon, colour, label = KIND_STYLE.get(kind, KIND_STYLE[DatasetKind.TABLE])
        rows.append(f'<TR><TD BGCOLOR="{colour}">{esc(icon)}</TD><TD ALIGN="LEFT">{esc(label)}</TD></TR>')
    rows.append('<TR><TD>──</TD><TD ALIGN="LEFT">direct (identity, transformation, aggregation)</TD></TR>')
    rows.append('<TR><TD>- - -</TD><TD ALIGN="LEFT">indirect (conditional, window)</TD></TR>')
    rows.append('<TR><TD>· · ·</TD><TD ALIGN="LEFT">dataset-wide (join, filter, group by, sort)</TD></TR>')
    if options.status:
        for status in ("modified", "impacted", "added", "removed"):
            fill, border, label = CHANGE_STYLE[status]
            rows.append(
                f'<TR><TD BGCOLOR="{fill}"><FONT COLOR="{border}">■</FONT></TD><TD ALIGN="LEFT">{label}</TD></TR>'
            )
    label = (
        '<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" COLOR="#cbd5e1">'
        + "".join(rows)
        + "</TABLE>>"
    )
    return [
        "  subgraph cluster_legend {",
        '    label=""; style=invis;',
        f"    legend [label={label}];",
        "  }",
    ]
