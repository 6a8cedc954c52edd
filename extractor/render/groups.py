"""The map of a large graph: datasets grouped by schema or folder, with counts and weighted edges.

``group_map(graph, how)`` is pure: groups and members are sorted, and an edge between two groups
weighs the number of dataset edges between their members.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..graph import LineageGraph
from .dot import cluster_key, quote
from .mermaid import label
from .svg import Edge, Node

#: How datasets can be grouped: by schema, or by the folder (dbt layer) of the file defining them.
GROUPINGS = ("schema", "layer")


@dataclass(frozen=True)
class GroupMap:
    """Groups (name -> sorted member datasets) and weighted edges between groups."""

    members: dict[str, list[str]]
    weights: dict[tuple[str, str], int]

    def group_of(self) -> dict[str, str]:
        return {name: group for group, names in self.members.items() for name in names}


def group_map(graph: LineageGraph, how: str = "schema", names: Iterable[str] | None = None) -> GroupMap:
    """Group ``names`` (default: every dataset) by ``how`` ("schema" or "layer")."""
    wanted = sorted(graph.datasets if names is None else set(names) & set(graph.datasets))
    members: dict[str, list[str]] = {}
    for name in wanted:
        members.setdefault(cluster_key(graph, name, how) or "(none)", []).append(name)
    group = {name: g for g, names_ in members.items() for name in names_}
    weights: Counter[tuple[str, str]] = Counter()
    for source, target in {(e.source, e.target) for e in graph.edges}:
        if source in group and target in group and group[source] != group[target]:
            weights[(group[source], group[target])] += 1
    return GroupMap(dict(sorted(members.items())), dict(sorted(weights.items())))


def group_diagram(gmap: GroupMap, links: Mapping[str, str] | None = None) -> tuple[list[Node], list[Edge]]:
    """One box per group (its name and dataset count) and one labelled arrow per weighted edge."""
    links = links or {}
    ids = {g: f"g{i}" for i, g in enumerate(gmap.members)}
    nodes = [
        Node(
            ids[g],
            g,
            "#e2e8f0",
            f"{len(m)} dataset{'s' if len(m) != 1 else ''}",
            [],
            links.get(g),
            f"{g}: {len(m)} datasets",
        )
        for g, m in gmap.members.items()
    ]
    edges = [
        Edge(ids[s], ids[t], width=min(1.0 + w**0.5, 8.0), label=str(w), tooltip=f"{s} -> {t}: {w} dataset edges")
        for (s, t), w in gmap.weights.items()
    ]
    return nodes, edges


def render_group_mermaid(gmap: GroupMap) -> str:
    """The map as a Mermaid flowchart: one node per group (with its count), labelled edges."""
    ids = {g: f"g{i}" for i, g in enumerate(gmap.members)}
    lines = ["flowchart LR"]
    lines += [f'  {ids[g]}["{label(f"{g} ({len(m)})")}"]' for g, m in gmap.members.items()]
    lines += [f"  {ids[s]} -->|{w}| {ids[t]}" for (s, t), w in gmap.weights.items()]
    return "\n".join(lines) + "\n"


def render_group_dot(gmap: GroupMap) -> str:
    """The map as Graphviz DOT, for PNG and PDF output; edge width grows with the weight."""
    ids = {g: f"g{i}" for i, g in enumerate(gmap.members)}
    out = [
        "digraph groups {",
        '  graph [rankdir=LR, fontname="Helvetica", nodesep=0.3, ranksep=0.6, bgcolor="white"];',
        '  node [shape=box, style="rounded,filled", fillcolor="#e2e8f0", fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9, color="#475569"];',
    ]
    out += [f"  {ids[g]} [label={quote(f'{g} ({len(m)})')}];" for g, m in gmap.members.items()]
    out += [
        f'  {ids[s]} -> {ids[t]} [label="{w}", penwidth={min(1.0 + w**0.5, 8.0):.1f}];'
        for (s, t), w in gmap.weights.items()
    ]
    out.append("}")
    return "\n".join(out) + "\n"
