"""Column paths through a lineage graph: where a column comes from and what it reaches.

``column_paths(graph, starts, direction)`` is the one walk behind ``datatrail trace``, ``history``
and ``blame`` (and the HTML page's click-to-highlight): a breadth-first walk over column edges,
any number of hops, that keeps *value flow* (chains of direct edges: IDENTITY, TRANSFORMATION,
AGGREGATION) apart from *indirect influences* (JOIN, FILTER, GROUP_BY, SORT, WINDOW, CONDITIONAL
edges, and everything reached through one).

Nodes are ``(dataset, column)``; a column of ``None`` stands for the whole dataset. A dataset-wide
edge (a WHERE or a JOIN of the statement that writes a table) influences every column of that
table, and a table flow without column detail (a Python job over a file whose columns are
unknown) links the two datasets as a whole.
"""

from __future__ import annotations

import difflib
import posixpath
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum

from .errors import DatatrailError
from .graph import UNKNOWN_PREFIX, JobColumnEdge, LineageGraph
from .model import DatasetKind, Location

Node = tuple[str, "str | None"]

VALUE = "value"
INDIRECT = "indirect"
#: The pseudo-subtype of a dataset flow without column detail.
DATASET_FLOW = "DATASET"
#: The source of a constant column's hop (its edge has no source: ``model.NO_SOURCE``). It is never
#: a node of a walk: one shared node would join every constant column to every other.
CONSTANT: Node = ("", None)


class Direction(str, Enum):
    UPSTREAM = "upstream"
    DOWNSTREAM = "downstream"


class TargetError(DatatrailError):
    """A trace target names nothing in the graph; ``suggestions`` are the closest names."""

    def __init__(self, message: str, suggestions: Sequence[str] = ()) -> None:
        self.suggestions = tuple(suggestions)
        hint = f" (did you mean {', '.join(self.suggestions)}?)" if self.suggestions else ""
        super().__init__(message + hint)


@dataclass(frozen=True)
class Target:
    """What the user asked about: a dataset, a column, a file's datasets or an ML model artifact."""

    text: str
    kind: str  # "dataset", "column", "file" or "model"
    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class Hop:
    """One column edge of a trace, oriented as data flows (``source`` feeds ``target``)."""

    source: Node
    target: Node
    kind: str  # "direct", "indirect" or "dataset"
    subtype: str
    transformation: str
    fingerprint: str
    job: str
    location: Location | None = field(compare=False)
    influence: str  # VALUE when the whole path from the start is direct edges, else INDIRECT

    def sort_key(self) -> tuple[str, str, str, str, str, str, str]:
        return (
            self.target[0],
            self.target[1] or "",
            self.source[0],
            self.source[1] or "",
            self.subtype,
            self.job,
            self.fingerprint,
        )


@dataclass
class ColumnPaths:
    """The result of a walk: every node reached (with its hop distance) and every edge among them.

    ``next_hop[node]`` is the neighbour one step closer to the start, so ``path_to_start`` can
    explain why a node was reached."""

    starts: tuple[Node, ...]
    direction: Direction
    depth: dict[Node, int]
    influence: dict[Node, str]
    hops: list[Hop]
    next_hop: dict[Node, Node]
    truncated: bool = False

    def path_to_start(self, node: Node) -> list[Node]:
        path = [node]
        while path[-1] in self.next_hop and len(path) <= len(self.depth):
            path.append(self.next_hop[path[-1]])
        return path

    def datasets(self) -> set[str]:
        return {d for d, _ in self.depth}

    def value_hops(self) -> list[Hop]:
        return [h for h in self.hops if h.influence == VALUE]

    def indirect_hops(self) -> list[Hop]:
        return [h for h in self.hops if h.influence == INDIRECT]


def label(node: Node) -> str:
    if node == CONSTANT:
        return "constant"
    dataset, column = node
    return dataset if column is None else f"{dataset}.{column}"


# -- the walk -------------------------------------------------------------------------------------


def hop_of(je: JobColumnEdge) -> Hop | None:
    """A graph's column edge as a hop (``*`` and unknown columns stand for the whole dataset)."""
    e = je.edge
    if e.constant and e.target.table:
        source: Node = CONSTANT
    elif not e.source.table or not e.target.table:
        return None
    else:
        source = (e.source.table, None if e.source.column in (None, "*") else e.source.column)
    target: Node = (e.target.table, e.target.column)
    return Hop(source, target, e.kind, e.subtype.value, e.transformation, e.fingerprint, je.job, e.location, VALUE)


class _Index:
    """Column edges of a graph indexed both ways, built once per graph.

    Edges are bucketed in one cheap pass; a bucket becomes sorted hops only when a walk visits it,
    so a walk over a small cone of a large graph costs little more than the pass."""

    def __init__(self, graph: LineageGraph) -> None:
        self._buckets: dict[tuple[int, str, str | None], list[JobColumnEdge | Hop]] = {}
        self._sorted: dict[tuple[int, str, str | None], list[Hop]] = {}
        with_columns: set[tuple[str, str]] = set()
        buckets = self._buckets
        for je in graph.column_edges:
            e = je.edge
            source_table, target_table = e.source.table, e.target.table
            if e.constant and target_table:  # found upstream of its column, never downstream of anything
                buckets.setdefault((0, target_table, e.target.column), []).append(je)
                buckets.setdefault((1, target_table, None), []).append(je)
                continue
            if not source_table or not target_table:
                continue
            source_column = None if e.source.column in (None, "*") else e.source.column
            for bucket in ((0, target_table, e.target.column), (1, target_table, None),
                           (2, source_table, source_column), (3, source_table, None)):  # fmt: skip
                buckets.setdefault(bucket, []).append(je)
            with_columns.add((source_table, target_table))
        jobs = graph.jobs
        for te in graph.edges:
            if (te.source, te.target) in with_columns:
                continue
            job = jobs.get(te.job)
            where = Location(job.path, job.line) if job is not None else None
            hop = Hop((te.source, None), (te.target, None), "dataset", DATASET_FLOW, "", "", te.job, where, VALUE)
            for bucket in ((0, te.target, None), (1, te.target, None), (2, te.source, None), (3, te.source, None)):
                buckets.setdefault(bucket, []).append(hop)

    def _hops(self, bucket: tuple[int, str, str | None]) -> list[Hop]:
        found = self._sorted.get(bucket)
        if found is None:
            hops = (item if isinstance(item, Hop) else hop_of(item) for item in self._buckets.get(bucket, []))
            found = sorted({h for h in hops if h is not None}, key=Hop.sort_key)
            self._sorted[bucket] = found
        return found

    def upstream_of(self, node: Node) -> list[Hop]:
        dataset, column = node
        if column is None:  # the whole dataset: everything that writes any of its columns
            return self._hops((1, dataset, None))
        # A column depends on its own edges and on what shapes the whole dataset (WHERE, JOIN …).
        return self._hops((0, dataset, column)) + self._hops((0, dataset, None))

    def downstream_of(self, node: Node) -> list[Hop]:
        dataset, column = node
        if column is None:
            return self._hops((3, dataset, None))
        # A column is also read by edges over its dataset as a whole (``*`` or unknown columns).
        return self._hops((2, dataset, column)) + self._hops((2, dataset, None))


_INDEX_CACHE: dict[int, tuple[LineageGraph, _Index]] = {}


def edge_index(graph: LineageGraph) -> _Index:
    """The column edges of ``graph`` indexed by target and by source (memoized per graph)."""
    cached = _INDEX_CACHE.get(id(graph))
    if cached is not None and cached[0] is graph:
        return cached[1]
    if len(_INDEX_CACHE) > 8:  # a history walk holds two graphs at a time
        _INDEX_CACHE.clear()
    index = _Index(graph)
    _INDEX_CACHE[id(graph)] = (graph, index)
    return index


def column_paths(
    graph: LineageGraph,
    starts: Iterable[Node],
    direction: Direction = Direction.UPSTREAM,
    max_depth: int | None = None,
) -> ColumnPaths:
    """Every node upstream (or downstream) of ``starts``, at any distance, and the edges among them.

    The walk is breadth-first and deterministic. A node reached only through a direct chain is
    ``value`` flow; one that needs an indirect edge (a join key, a filter column, a CASE
    condition) on every path is an ``indirect`` influence. Dataset flows without column detail
    carry values as a whole and count as value flow.

    >>> paths = column_paths(graph, [("ml.training_input", "age_years")])  # doctest: +SKIP
    """
    index = edge_index(graph)
    start_nodes = tuple(dict.fromkeys(starts))
    upstream = direction is Direction.UPSTREAM
    depth: dict[Node, int] = {n: 0 for n in start_nodes}
    influence: dict[Node, str] = {n: VALUE for n in start_nodes}
    next_hop: dict[Node, Node] = {}
    found: dict[tuple[Node, Node, str, str, str], Hop] = {}
    truncated = False
    # Breadth-first; a node first reached through an indirect edge is walked again when a direct
    # chain reaches it later, so a node reachable both ways ends up as value flow.
    queue: deque[Node] = deque(start_nodes)
    while queue:
        node = queue.popleft()
        if max_depth is not None and depth[node] >= max_depth:
            if index.upstream_of(node) if upstream else index.downstream_of(node):
                truncated = True
            continue
        node_influence = influence[node]
        for hop in index.upstream_of(node) if upstream else index.downstream_of(node):
            other = hop.source if upstream else hop.target
            indirect_edge = hop.kind == "indirect"
            hop_influence = INDIRECT if node_influence == INDIRECT or indirect_edge else VALUE
            key = (hop.source, hop.target, hop.subtype, hop.job, hop.fingerprint)
            previous = found.get(key)
            if previous is None or (previous.influence == INDIRECT and hop_influence == VALUE):
                found[key] = replace(hop, influence=hop_influence)
            if other == CONSTANT:
                continue  # where a constant column's value comes from: nowhere further
            if other not in depth:
                depth[other] = depth[node] + 1
                influence[other] = hop_influence
                next_hop[other] = node
                queue.append(other)
            elif influence[other] == INDIRECT and hop_influence == VALUE:
                # Found a direct chain to a node first reached through an indirect edge: upgrade it
                # and walk it again so what lies beyond becomes value flow too.
                influence[other] = VALUE
                next_hop[other] = node
                queue.append(other)
    hops = sorted(found.values(), key=Hop.sort_key)
    return ColumnPaths(start_nodes, direction, depth, influence, hops, next_hop, truncated)


def both_ways(graph: LineageGraph, starts: Iterable[Node]) -> tuple[ColumnPaths, ColumnPaths]:
    """The full upstream and downstream paths of ``starts`` (what a click on a column highlights)."""
    nodes = list(starts)
    return column_paths(graph, nodes, Direction.UPSTREAM), column_paths(graph, nodes, Direction.DOWNSTREAM)


def upstream_cone(graph: LineageGraph, target: Target) -> ColumnPaths:
    """Everything ``target`` depends on, values and indirect influences, at any distance."""
    return column_paths(graph, [n for n in target.nodes if n[0] in graph.datasets], Direction.UPSTREAM)


# -- resolving what the user typed ----------------------------------------------------------------


def resolve_target(graph: LineageGraph, text: str, cwd: str = "") -> Target:
    """A dataset, ``dataset.column``, a file path (its datasets) or an ML model artifact.

    Names match exactly, then case-insensitively, then by a unique suffix (``stg_customers`` for
    ``staging.stg_customers``). A file path is taken relative to ``cwd`` (where the user is,
    relative to the config root) or to the config root. Raises ``TargetError`` with the closest
    names when nothing or several things match."""
    text = text.strip()
    if not text:
        raise TargetError("empty target")
    names = sorted(n for n in graph.datasets if not n.startswith(UNKNOWN_PREFIX))

    dataset = _match_dataset(names, text)
    if dataset is not None:
        kind = "model" if graph.datasets[dataset].kind is DatasetKind.MODEL else "dataset"
        return Target(text, kind, ((dataset, None),))

    by_file = _datasets_of_file(graph, text, cwd)  # before dataset.column: "revenue.sql" is a file
    if by_file:
        return Target(text, "file", tuple((d, None) for d in by_file))

    # dataset.column: a dataset name may itself contain dots (schema.table, a/file.csv).
    for cut in _dot_positions(text):
        head, column = text[:cut], text[cut + 1 :]
        dataset = _match_dataset(names, head)
        if dataset is None or not column:
            continue
        columns = _all_columns(graph, dataset)
        exact = [c for c in columns if c == column] or [c for c in columns if c.lower() == column.lower()]
        if exact:
            return Target(text, "column", ((dataset, exact[0]),))
        raise TargetError(
            f"{dataset!r} has no column {column!r}",
            [f"{dataset}.{c}" for c in difflib.get_close_matches(column, columns, n=3, cutoff=0.5)],
        )

    candidates = names + [f"{n}.{c}" for n in names for c in _all_columns(graph, n)]
    short = {n.rsplit(".", 1)[-1]: n for n in names}
    # Short names first: "stg_customer" most likely meant staging.stg_customers.
    close = [short[s] for s in difflib.get_close_matches(text, sorted(short), n=3, cutoff=0.6)]
    close += difflib.get_close_matches(text, candidates, n=3, cutoff=0.6)
    raise TargetError(f"no dataset, column, file or model named {text!r}", list(dict.fromkeys(close))[:3])


def _dot_positions(text: str) -> list[int]:
    """Where ``text`` may split into dataset and column, the longest dataset name first."""
    return [i for i in range(len(text) - 1, 0, -1) if text[i] == "."]


def _all_columns(graph: LineageGraph, dataset: str) -> list[str]:
    columns = list(graph.datasets[dataset].columns)
    for je in graph.column_edges:  # columns only named by edges (e.g. read from a file)
        for ref in (je.edge.source, je.edge.target):
            if ref.table == dataset and ref.column and ref.column != "*" and ref.column not in columns:
                columns.append(ref.column)
    return columns


def _match_dataset(names: Sequence[str], text: str) -> str | None:
    if text in names:
        return text
    folded = [n for n in names if n.lower() == text.lower()]
    if len(folded) == 1:
        return folded[0]
    ends = [n for n in names if n.lower().endswith(("." + text.lower(), "/" + text.lower()))]
    if len(ends) == 1:
        return ends[0]
    if len(ends) > 1:
        raise TargetError(f"{text!r} is ambiguous", ends[:5])
    return None


def _datasets_of_file(graph: LineageGraph, text: str, cwd: str) -> list[str]:
    """Datasets written by the jobs of one source file (or defined in it)."""
    path = text.replace("\\", "/")
    wanted = {posixpath.normpath(path), posixpath.normpath(posixpath.join(cwd or ".", path))}
    found = {out for job in graph.jobs.values() if job.path in wanted for out in job.outputs}
    found |= {n for n, ds in graph.datasets.items() if ds.location is not None and ds.location.path in wanted}
    return sorted(n for n in found if not n.startswith(UNKNOWN_PREFIX))
