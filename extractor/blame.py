"""``git blame`` for lineage: which commit last changed each edge of a target's upstream.

Every edge of the target's upstream cone at REVISION (transitively, value flow and indirect
influences) is followed back along first parents until the commit where it appeared or where its
transformation fingerprint last changed. The walk stops as soon as every edge is explained.
An edge is identified by its source, target and subtype, never by file or line, so moving code
does not blame the move.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import git
from .cache import AnalysisCache
from .errors import GitError
from .graph import LineageGraph
from .history import config_relative
from .trace import DATASET_FLOW, Hop, Node, Target, hop_of, resolve_target, upstream_cone
from .walk import Note, RevisionWalk, WalkStats

EdgeKey = tuple[Node, Node, str]

INTRODUCED = "introduced"
CHANGED = "changed"


@dataclass(frozen=True)
class BlamedEdge:
    """An edge of the cone and the commit that last changed it (None when history ran out unreadable)."""

    hop: Hop
    depth: int
    commit: git.Commit | None
    change: str | None  # INTRODUCED or CHANGED
    before: str | None  # the transformation before a CHANGED commit


@dataclass
class Blame:
    target: Target
    revision: str
    edges: list[BlamedEdge]
    stats: WalkStats
    notes: list[Note] = field(default_factory=list)
    prefix: str = ""


def _key(hop: Hop) -> EdgeKey:
    return (hop.source, hop.target, hop.subtype)


def _signatures(graph: LineageGraph, keys: set[EdgeKey]) -> dict[EdgeKey, tuple[frozenset[str], str]]:
    """For each wanted key present in ``graph``: its fingerprints and one transformation text."""
    found: dict[EdgeKey, tuple[set[str], set[str]]] = {}
    flows = {k for k in keys if k[2] == DATASET_FLOW}
    for je in graph.column_edges:
        hop = hop_of(je)
        if hop is not None and _key(hop) in keys:
            fps, texts = found.setdefault(_key(hop), (set(), set()))
            fps.add(hop.fingerprint)
            texts.add(hop.transformation)
    for te in graph.edges:  # dataset flows without column detail: present or not
        key: EdgeKey = ((te.source, None), (te.target, None), DATASET_FLOW)
        if key in flows:
            found.setdefault(key, ({""}, {""}))
    return {k: (frozenset(fps), " | ".join(sorted(texts))) for k, (fps, texts) in found.items()}


def blame(
    repo: Path,
    target_text: str,
    revision: str = "HEAD",
    subpath: Path = Path("."),
    cache: AnalysisCache | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Blame:
    """The commit that introduced or last changed every edge upstream of the target at ``revision``."""
    try:
        head_id = git.resolve(repo, revision)
    except GitError:
        raise GitError(f"revision {revision!r} does not resolve") from None
    walk = RevisionWalk(repo, head_id, None, subpath, cache=cache, progress=progress)
    head = walk.head_snapshot()
    if head is None:
        raise GitError(f"{revision} cannot be read: {walk.errors[head_id]}")
    target = resolve_target(head.graph, target_text, config_relative(subpath, head.prefix))
    cone = upstream_cone(head.graph, target)
    hops = {_key(h): h for h in cone.hops}
    pending = set(hops)
    current = _signatures(head.graph, pending)
    found: dict[EdgeKey, tuple[git.Commit, str, str | None]] = {}
    for step in walk.steps():
        before = _signatures(step.base.graph, pending)
        for key in pending:
            if key not in before:
                found[key] = (step.commit, INTRODUCED, None)
            elif before[key][0] != current[key][0]:
                found[key] = (step.commit, CHANGED, before[key][1])
        pending -= set(found)
        if not pending:
            break
    edges = []
    for key, hop in hops.items():
        commit, change, old = found.get(key, (None, None, None))
        target_depth = cone.depth.get(hop.target, 0)
        depth = max(cone.depth.get(hop.source, target_depth + 1), target_depth)  # a constant: one beyond its column
        edges.append(BlamedEdge(hop, depth, commit, change, old))
    edges.sort(key=lambda b: (b.depth, b.hop.sort_key()))
    return Blame(target, revision, edges, walk.stats, sorted(set(walk.notes), key=str), head.prefix)
