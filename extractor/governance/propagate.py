"""Propagating tags over column lineage, with the rules documented in docs/governance.md.

- IDENTITY and TRANSFORMATION edges carry a tag with the status of their source.
- A hashing or tokenising function around every use of the source column (``SHA256(email)``,
  ``hashlib.sha256(...)``) keeps the tag but marks it ``pseudonymised``: pseudonymised data is
  still personal data.
- AGGREGATION edges carry the tag too, unless the target column is declared anonymising in
  ``[[tool.datatrail.governance.anonymising]]``; then it reaches it as ``anonymised``, with the
  reason, and stops being a tag of the column.
- Indirect edges (JOIN, FILTER, GROUP_BY, SORT, WINDOW, CONDITIONAL) and ``COUNT(*)`` record an
  *influence* on their target, not a copy.
- A dataset-level flow with no column detail (a Python job writing a file whose columns are not
  known) carries every tag of its source to the target dataset as a whole.

When a column is reached several ways the worst status wins (personal > pseudonymised >
anonymised), and the path kept is the first found in a deterministic breadth-first walk.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..graph import JobColumnEdge, LineageGraph
from ..model import Location, Subtype
from .pseudonymise import Pseudonymiser
from .tags import GovernanceConfig, Node, TagSource

if TYPE_CHECKING:
    from ..config import Config

PERSONAL = "personal"
PSEUDONYMISED = "pseudonymised"
ANONYMISED = "anonymised"
#: Worse statuses rank higher; the worst reaching a column wins.
RANK = {ANONYMISED: 0, PSEUDONYMISED: 1, PERSONAL: 2}
#: Statuses under which a tag still applies to a column (anonymised data is no longer personal).
TAGGED = (PERSONAL, PSEUDONYMISED)


@dataclass(frozen=True)
class Step:
    """One hop of a tag's path: an edge of the lineage and what it did to the tag."""

    source: Node
    target: Node
    subtype: str  # the edge subtype, or "DATASET" for a flow without column detail
    transformation: str
    fingerprint: str
    job: str
    location: Location | None
    effect: str  # "carried" | "pseudonymised" | "anonymised"

    @property
    def kind(self) -> str:
        return "dataset" if self.subtype == "DATASET" else Subtype(self.subtype).kind.value


@dataclass(frozen=True)
class Reach:
    """A tag reaching a node: its status, where it was declared and the path from there."""

    tag: str
    node: Node
    status: str
    origin: Node
    declared: TagSource
    path: tuple[Step, ...] = ()
    reason: str | None = None  # the declared reason when anonymised


@dataclass(frozen=True)
class Influence:
    """A tagged column that shapes a node without being copied into it (join key, filter …)."""

    tag: str
    target: Node
    source: Node
    subtype: str
    transformation: str
    location: Location | None = None


def _key(node: Node) -> tuple[str, str]:
    return (node[0], node[1] or "")


@dataclass
class Governance:
    """The propagated tags of one graph."""

    seeds: dict[Node, dict[str, TagSource]]
    reaches: dict[Node, dict[str, Reach]] = field(default_factory=dict)
    influences: list[Influence] = field(default_factory=list)

    def tags(self) -> list[str]:
        return sorted({tag for entry in self.reaches.values() for tag in entry})

    def reaches_of(self, tag: str | None = None) -> list[Reach]:
        """Every (node, tag) reached, sorted by dataset, column and tag."""
        found = [r for node in sorted(self.reaches, key=_key) for _, r in sorted(self.reaches[node].items())]
        return [r for r in found if tag is None or r.tag == tag]

    def column_tags(self, dataset: str, column: str | None) -> dict[str, str]:
        """tag -> status at one node."""
        return {tag: r.status for tag, r in sorted(self.reaches.get((dataset, column), {}).items())}

    def record(self, graph: LineageGraph) -> None:
        """Store the tags on the datasets (the contract other modules and the JSON read)."""
        per_dataset: dict[str, dict[str | None, dict[str, str]]] = {}
        for (dataset, column), entry in self.reaches.items():
            per_dataset.setdefault(dataset, {})[column] = {t: r.status for t, r in entry.items()}
        for name, ds in graph.datasets.items():
            ds.attributes.pop("column_tags", None)
            ds.attributes.pop("column_tag_status", None)
            ds.attributes.pop("governance_tags", None)
            columns = per_dataset.get(name)
            if not columns:
                continue
            tags = {c: sorted(t for t, s in st.items() if s in TAGGED) for c, st in columns.items() if c is not None}
            tags = {c: t for c, t in tags.items() if t}
            if tags:
                ds.attributes["column_tags"] = {c: tags[c] for c in sorted(tags)}
            status = {c: {t: st[t] for t in sorted(st)} for c, st in columns.items() if c is not None}
            if status:
                ds.attributes["column_tag_status"] = {c: status[c] for c in sorted(status)}
            dataset_tags = {t for st in columns.values() for t, s in st.items() if s in TAGGED}
            if dataset_tags:
                ds.attributes["governance_tags"] = sorted(dataset_tags)


def _influence_order(i: Influence) -> tuple[str, tuple[str, str], tuple[str, str], str, str, tuple[str, int, int]]:
    where = (i.location.path, i.location.line, i.location.column) if i.location else ("", 0, 0)
    return (i.tag, _key(i.target), _key(i.source), i.subtype, i.transformation, where)


def _edge_status(status: str, effect: str) -> str:
    if effect == "anonymised":
        return ANONYMISED
    if effect == "pseudonymised" and status == PERSONAL:
        return PSEUDONYMISED
    return status


def propagate(
    graph: LineageGraph, seeds: dict[Node, dict[str, TagSource]], settings: GovernanceConfig, config: Config
) -> Governance:
    """Follow every seeded tag downstream over ``graph``."""
    result = Governance(seeds)
    if not seeds:
        return result  # nothing declared: nothing to follow (keeps a plain scan fast)
    pseudonymiser = Pseudonymiser(graph, config, settings.pseudonymising_functions)
    outgoing: dict[Node, list[JobColumnEdge]] = {}
    for je in graph.sorted_column_edges():
        e = je.edge
        if e.source.table and e.target.table:
            outgoing.setdefault((e.source.table, e.source.column), []).append(je)
    dataset_only: dict[str, list[tuple[str, str]]] = {}
    for te in graph.dataset_only_edges():
        dataset_only.setdefault(te.source, []).append((te.target, te.job))

    queue: deque[Node] = deque()
    for node in sorted(seeds, key=_key):
        if node[0] not in graph.datasets:
            continue
        for tag, source in sorted(seeds[node].items()):
            result.reaches.setdefault(node, {})[tag] = Reach(tag, node, PERSONAL, node, source)
            # A dataset-level tag marks every column of the dataset.
            if node[1] is None:
                for seeded in graph.datasets[node[0]].columns:
                    col_node = (node[0], seeded)
                    result.reaches.setdefault(col_node, {}).setdefault(
                        tag, Reach(tag, col_node, PERSONAL, node, source)
                    )
                    queue.append(col_node)
        queue.append(node)

    influences: set[Influence] = set()

    def offer(target: Node, reach: Reach, step: Step) -> None:
        status = _edge_status(reach.status, step.effect)
        current = result.reaches.get(target, {}).get(reach.tag)
        if current is not None and RANK[current.status] >= RANK[status]:
            return
        reason = None
        if step.effect == "anonymised":
            reason = next(
                (r.reason for r in settings.anonymising if target[1] and r.covers(target[0], target[1])), None
            )
        elif status == ANONYMISED:
            reason = reach.reason
        result.reaches.setdefault(target, {})[reach.tag] = Reach(
            reach.tag, target, status, reach.origin, reach.declared, (*reach.path, step), reason
        )
        queue.append(target)

    while queue:
        node = queue.popleft()
        entry = result.reaches.get(node, {})
        if not entry:
            continue
        dataset, column = node[0], node[1]
        edges = list(outgoing.get(node, []))
        if column is not None and column != "*":
            # Star edges (``t.*`` -> …) move every column of ``t``.
            edges += outgoing.get((dataset, "*"), [])
        for je in edges:
            e = je.edge
            target: Node = (e.target.table or "", e.target.column)
            is_count_star = e.source.column == "*" and e.subtype is Subtype.AGGREGATION
            if e.subtype.kind.value == "indirect" or target[1] is None or is_count_star:
                for tag, reach in entry.items():
                    if reach.status in TAGGED:
                        influences.add(Influence(tag, target, node, e.subtype.value, e.transformation, e.location))
                continue
            effect = "carried"
            if pseudonymiser.hashes(je, node):
                effect = "pseudonymised"
            if (
                e.subtype is Subtype.AGGREGATION
                and target[1] is not None
                and any(r.covers(target[0], target[1]) for r in settings.anonymising)
            ):
                effect = "anonymised"
            step = Step(node, target, e.subtype.value, e.transformation, e.fingerprint, je.job, e.location, effect)
            for _, reach in sorted(entry.items()):
                offer(target, reach, step)
        for target_dataset, job_name in dataset_only.get(dataset, []):
            job = graph.jobs.get(job_name)
            location = Location(job.path, job.line) if job is not None else None
            step = Step(node, (target_dataset, None), "DATASET", f"{dataset} -> {target_dataset}", "", job_name,
                        location, "carried")  # fmt: skip
            for _, reach in sorted(entry.items()):
                offer((target_dataset, None), reach, step)

    result.influences = sorted(influences, key=_influence_order)
    return result
