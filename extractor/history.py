"""Which commits changed something that reaches a target: ``datatrail history``.

For every commit of a first-parent walk (newest first) whose files may change lineage, the graph
is compared with its parent's (``diff.compare``) and a change is kept only when it lies in the
target's upstream cone, column-aware (``trace.upstream_cone``), in the commit or in its parent.
Cosmetic changes (whitespace, comments, alias renames, moved files) are never listed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import git
from .cache import AnalysisCache
from .diff import COSMETIC, Change, compare
from .errors import GitError
from .graph import LineageGraph
from .model import Location
from .revisions import Snapshot
from .trace import ColumnPaths, Node, Target, label, resolve_target, upstream_cone
from .walk import Note, RevisionWalk, Step, WalkStats


@dataclass(frozen=True)
class ReachingChange:
    """A change of one commit and the path from it to the target (``path[-1]`` is the target).

    ``location`` is the change's place relative to the repository root, as of that commit."""

    change: Change
    path: tuple[str, ...]
    location: Location | None = None


@dataclass(frozen=True)
class HistoryEntry:
    """A commit that changed the target's upstream; ``compared_with`` is normally its first parent."""

    commit: git.Commit
    compared_with: str | None
    spans: tuple[str, ...]
    changes: tuple[ReachingChange, ...]


@dataclass
class History:
    target: Target
    revisions: str
    entries: list[HistoryEntry]
    introduced: git.Commit | None
    stats: WalkStats
    notes: list[Note] = field(default_factory=list)


def _repo_relative(snapshot: Snapshot, changed: tuple[str, ...]) -> list[str]:
    prefix = snapshot.prefix
    if not prefix:
        return list(changed)
    return [p[len(prefix) + 1 :] for p in changed if p.startswith(prefix + "/")]


def _match(change: Change, cone: ColumnPaths, graph: LineageGraph) -> Node | None:
    """The node of the cone a change touches (nearest the target), or None when it does not reach it."""
    depth = cone.depth
    candidates: list[Node] = []
    if change.column is not None:
        # A whole-dataset node (the target itself, or a flow without column detail) takes every column.
        candidates += [(change.dataset, change.column), (change.dataset, None)]
        candidates += [(change.dataset, r.before) for r in change.reasons if r.code == "COLUMN_RENAMED" and r.before]
    elif any(r.code == "PARSE_ERROR" for r in change.reasons):
        # The dataset of a parse error is the file: what that file writes is what changed.
        written = {o for job in graph.jobs.values() if job.path == change.dataset for o in job.outputs}
        candidates += [n for n in depth if n[0] in written]
    else:
        # A dataset-wide change (filter, join, grain, sources, removal) changes every column of it.
        candidates += [n for n in depth if n[0] == change.dataset]
    found = [n for n in candidates if n in depth]
    return min(found, key=lambda n: (depth[n], n[0], n[1] or "")) if found else None


def reaching_changes(step: Step, target: Target) -> list[ReachingChange]:
    """The changes of one step that reach ``target`` (in the head's or the base's cone)."""
    head, base = step.head.graph, step.base.graph
    cones = [(upstream_cone(head, target), head), (upstream_cone(base, target), base)]
    if not any(cone.depth for cone, _ in cones):
        return []
    keep = cones[0][0].datasets() | cones[1][0].datasets()
    result = []
    changed = _repo_relative(step.head, step.commit.changed)
    for change in compare(_restrict(base, keep), _restrict(head, keep), changed):
        if change.category == COSMETIC:
            continue
        for cone, graph in cones:
            node = _match(change, cone, graph)
            if node is not None:
                path = [label(n) for n in cone.path_to_start(node)]
                if change.column is not None and node[1] is None:
                    path[0] = f"{change.dataset}.{change.column}"  # a column of a whole-dataset node
                result.append(ReachingChange(change, tuple(path), _in_repository(change.location, step.head.prefix)))
                break
    return result


def _in_repository(location: Location | None, prefix: str) -> Location | None:
    if location is None or not prefix:
        return location
    return Location(f"{prefix}/{location.path}", location.line, location.column)


def _restrict(graph: LineageGraph, keep: set[str]) -> LineageGraph:
    """The datasets of the cones with the edges among them.

    Comparing only these is exact for the changes that can reach the target: every edge into a
    column of a cone, and every dataset-wide edge into a dataset of it, starts inside it."""
    result = LineageGraph()
    result.datasets = {n: ds for n, ds in graph.datasets.items() if n in keep}
    result.edges = {e for e in graph.edges if e.source in keep and e.target in keep}
    result.column_edges = {  # a constant's edge (no source) belongs to its column's dataset
        je
        for je in graph.column_edges
        if (je.edge.source.table in keep or je.edge.constant) and je.edge.target.table in keep
    }
    used = {e.job for e in result.edges} | {je.job for je in result.column_edges}
    result.jobs = {n: j for n, j in graph.jobs.items() if n in used}
    result.diagnostics = list(graph.diagnostics)
    return result


def _introduces(step: Step, target: Target) -> bool:
    """Whether the target exists in the commit but not in its parent."""

    def exists(graph: LineageGraph) -> bool:
        for dataset, column in target.nodes:
            ds = graph.datasets.get(dataset)
            if ds is None or (column is not None and column not in ds.columns):
                return False
        return True

    return exists(step.head.graph) and not exists(step.base.graph)


def history(
    repo: Path,
    target_text: str,
    revisions: str = "HEAD",
    subpath: Path = Path("."),
    cache: AnalysisCache | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> History:
    """The commits of ``revisions`` (``A..B`` or one revision) whose lineage changes reach the target.

    The target is resolved in the newest commit of the range; a target that names nothing raises
    ``TargetError`` with suggestions, a range that does not resolve raises ``GitError``."""
    head_id, exclude = git.resolve_range(repo, revisions)
    walk = RevisionWalk(repo, head_id, exclude, subpath, cache=cache, progress=progress)
    head = walk.head_snapshot()
    if head is None:
        raise GitError(f"{revisions}: the newest commit {head_id[:12]} cannot be read: {walk.errors[head_id]}")
    target = resolve_target(head.graph, target_text, config_relative(subpath, head.prefix))
    entries: list[HistoryEntry] = []
    introduced: git.Commit | None = None
    for step in walk.steps():
        if _introduces(step, target):
            introduced = step.commit
            continue
        changes = reaching_changes(step, target)
        if changes:
            ordered = sorted(changes, key=lambda r: (r.change.sort_key(), r.path))
            entries.append(HistoryEntry(step.commit, step.base_sha, step.spans, tuple(ordered)))
    return History(target, revisions, entries, introduced, walk.stats, sorted(set(walk.notes), key=str))


def config_relative(subpath: Path, prefix: str) -> str:
    """The user's directory (``subpath``, repository-relative) relative to the config root."""
    sub = subpath.as_posix().strip("/")
    sub = "" if sub == "." else sub
    if prefix and (sub == prefix or sub.startswith(prefix + "/")):
        return sub[len(prefix) :].strip("/")
    return "" if prefix else sub
