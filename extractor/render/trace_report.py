"""``datatrail trace`` reports: a tree for terminals, JSON for tools, Markdown for tickets and PRs.

Pure functions of a ``ColumnPaths``; the JSON format is docs/trace.md
(schema ``extractor/schemas/trace.schema.json``).
"""

from __future__ import annotations

from typing import Any

from .. import json_text
from ..model import Location
from ..trace import CONSTANT, INDIRECT, VALUE, ColumnPaths, Direction, Hop, Node, Target, label

FORMAT_VERSION = 1


def where(location: Location | None, prefix: str = "") -> str:
    if location is None:
        return ""
    path = f"{prefix}/{location.path}" if prefix else location.path
    return f"{path}:{location.line}"


def location_dict(location: Location | None, prefix: str = "") -> dict[str, Any] | None:
    if location is None:
        return None
    return {"path": f"{prefix}/{location.path}" if prefix else location.path, "line": location.line}


def node_dict(node: Node) -> dict[str, Any]:
    if node == CONSTANT:
        return {"dataset": None, "column": None}  # as in the lineage JSON: an edge with no source
    return {"dataset": node[0], "column": node[1]}


def target_dict(target: Target) -> dict[str, Any]:
    return {"text": target.text, "kind": target.kind, "nodes": [node_dict(n) for n in target.nodes]}


def hop_dict(hop: Hop, prefix: str = "") -> dict[str, Any]:
    return {
        "source": node_dict(hop.source),
        "target": node_dict(hop.target),
        "kind": hop.kind,
        "subtype": hop.subtype,
        "transformation": hop.transformation,
        "fingerprint": hop.fingerprint,
        "job": hop.job,
        "location": location_dict(hop.location, prefix),
        "influence": hop.influence,
    }


def hop_text(hop: Hop, prefix: str = "") -> str:
    """``IDENTITY ml.x.age = marts.y.age (sql/x.sql:4)``: the edge kind, subtype, expression and place."""
    kind = hop.subtype if hop.kind != "indirect" else f"indirect {hop.subtype}"
    # A copy's expression is just its source's name: not worth repeating.
    text = f"  {hop.transformation}" if hop.transformation and hop.transformation != label(hop.source) else ""
    place = where(hop.location, prefix)
    return f"[{kind}]{text}" + (f"  ({place})" if place else "")


# -- json -----------------------------------------------------------------------------------------


def to_dict(target: Target, paths: ColumnPaths, max_depth: int | None, prefix: str = "") -> dict[str, Any]:
    nodes = sorted(paths.depth, key=lambda n: (paths.depth[n], n[0], n[1] or ""))
    return {
        "format_version": FORMAT_VERSION,
        "target": target_dict(target),
        "direction": paths.direction.value,
        "max_depth": max_depth,
        "truncated": paths.truncated,
        "nodes": [{**node_dict(n), "depth": paths.depth[n], "influence": paths.influence[n]} for n in nodes],
        "edges": [hop_dict(h, prefix) for h in paths.hops],
    }


def render_json(target: Target, paths: ColumnPaths, max_depth: int | None, prefix: str = "") -> str:
    return json_text.dumps(to_dict(target, paths, max_depth, prefix)) + "\n"


# -- text -----------------------------------------------------------------------------------------


def _tree(paths: ColumnPaths, influence: str, prefix: str) -> list[str]:
    """The hops of one influence as a tree from the start nodes; a node already shown is not expanded."""
    upstream = paths.direction is Direction.UPSTREAM
    children: dict[Node, list[Hop]] = {}
    for hop in paths.hops:
        if hop.influence != influence:
            continue
        parent = hop.target if upstream else hop.source
        if parent not in paths.depth and (parent[0], None) in paths.depth:
            # A column of a dataset walked as a whole (a dataset target, or a dataset a JOIN or
            # WHERE reaches downstream): hang the hop under the dataset, naming the column.
            parent = (parent[0], None)
        children.setdefault(parent, []).append(hop)
    lines: list[str] = []
    shown: set[Node] = set()

    def visit(node: Node, indent: str) -> None:
        for hop in children.get(node, []):
            near, other = (hop.target, hop.source) if upstream else (hop.source, hop.target)
            column = f"{near[1]} " if near != node and near[1] is not None else ""
            if other == CONSTANT:
                place = where(hop.location, prefix)
                lines.append(f"{indent}{column}<- constant {hop.transformation}" + (f"  ({place})" if place else ""))
                continue
            again = other in shown
            lines.append(
                f"{indent}{column}{'<-' if upstream else '->'} {label(other)} {hop_text(hop, prefix)}"
                + ("  (see above)" if again and children.get(other) else "")
            )
            if not again:
                shown.add(other)
                visit(other, indent + "   ")

    roots = list(paths.starts)
    # Trees also start where a hop hangs off a node the walk did not visit as such: a column of a
    # whole-dataset target, or the dataset a WHERE/JOIN shapes; indirect trees start wherever an
    # indirect edge enters the cone.
    entries = {parent for parent in children if parent not in paths.depth}
    if influence == INDIRECT:
        entries |= {(h.target if upstream else h.source) for h in paths.hops if h.kind == "indirect"}
    roots += sorted(entries - set(roots), key=lambda n: (paths.depth.get(n, 0), n[0], n[1] or ""))
    for root in roots:
        if root in shown or not children.get(root):
            continue
        shown.add(root)
        lines.append(label(root))
        visit(root, "  ")
    return lines


def render_text(target: Target, paths: ColumnPaths, prefix: str = "") -> str:
    direction = paths.direction.value
    value = [h for h in paths.hops if h.influence == VALUE]
    indirect = [h for h in paths.hops if h.influence == INDIRECT]
    lines = [
        f"datatrail trace {target.text} ({target.kind}, {direction}): "
        f"{len(value)} value-flow edges, {len(indirect)} indirect influences"
    ]
    lines.append("value flow:")
    lines += ["  " + line for line in _tree(paths, VALUE, prefix)] or ["  (none)"]
    lines.append("indirect influences (joins, filters, group-bys, conditions):")
    lines += ["  " + line for line in _tree(paths, INDIRECT, prefix)] or ["  (none)"]
    if paths.truncated:
        lines.append("(stopped at --depth; more lies beyond)")
    return "\n".join(lines) + "\n"


# -- markdown -------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(hops: list[Hop], paths: ColumnPaths, prefix: str) -> list[str]:
    upstream = paths.direction is Direction.UPSTREAM
    lines = ["| hops | from | to | edge | transformation | where |", "| ---: | --- | --- | --- | --- | --- |"]
    ordered = sorted(hops, key=lambda h: (paths.depth.get(h.source if upstream else h.target, 0), h.sort_key()))
    for hop in ordered:
        near = hop.target if upstream else hop.source
        hops_away = paths.depth.get(hop.source if upstream else hop.target, paths.depth.get(near, 0) + 1)
        edge = f"{hop.kind} {hop.subtype}"
        lines.append(
            f"| {hops_away} | `{_cell(label(hop.source))}` | `{_cell(label(hop.target))}` | {edge} | "
            f"{'`' + _cell(hop.transformation) + '`' if hop.transformation else ''} | "
            f"{_cell(where(hop.location, prefix))} |"
        )
    return lines


def render_markdown(target: Target, paths: ColumnPaths, prefix: str = "") -> str:
    value = [h for h in paths.hops if h.influence == VALUE]
    indirect = [h for h in paths.hops if h.influence == INDIRECT]
    lines = [
        f"### Lineage {paths.direction.value} of `{target.text}`",
        "",
        f"{len(value)} value-flow edges and {len(indirect)} indirect influences"
        + (" (stopped at the depth limit)." if paths.truncated else "."),
        "",
        "#### Value flow",
        "",
    ]
    lines += _md_table(value, paths, prefix) if value else ["_none_"]
    lines += ["", "#### Indirect influences (joins, filters, group-bys, conditions)", ""]
    lines += _md_table(indirect, paths, prefix) if indirect else ["_none_"]
    return "\n".join(lines) + "\n"
