"""Compare two lineage graphs: what changed, how badly, and what it reaches downstream.

A *changed transformation* is the same output column with a different expression fingerprint.
Fingerprints come from inlined, normalized SQL, so whitespace, comments, keyword case and alias
or CTE renames are cosmetic, and moving code is no change at all (locations are not identity).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from .graph import UNKNOWN_PREFIX, JobColumnEdge, LineageGraph
from .model import DATASET_WIDE, Location, Severity, Subtype

BREAKING = "breaking"
COLUMN = "column"
ADDITIVE = "additive"
COSMETIC = "cosmetic"
UNKNOWN = "unknown"
#: Most severe first; a diff's verdict is its most severe change.
CATEGORIES = (BREAKING, COLUMN, UNKNOWN, ADDITIVE, COSMETIC)

#: Reason codes (docs/diff.md).
REASONS = {
    "DATASET_REMOVED": (BREAKING, "dataset removed"),
    "SOURCE_CHANGED": (BREAKING, "source tables changed"),
    "FILTER_CHANGED": (BREAKING, "WHERE/HAVING/QUALIFY changed"),
    "JOIN_CHANGED": (BREAKING, "join changed"),
    "GRAIN_CHANGED": (BREAKING, "aggregation grain (GROUP BY) changed"),
    "DISTINCT_CHANGED": (BREAKING, "DISTINCT changed"),
    "LIMIT_CHANGED": (BREAKING, "LIMIT/OFFSET changed"),
    "SET_OPERATION_CHANGED": (BREAKING, "UNION/INTERSECT/EXCEPT kind changed"),
    "COLUMN_REMOVED": (COLUMN, "column removed"),
    "TRANSFORMATION_CHANGED": (COLUMN, "column transformation changed"),
    "COLUMN_RENAMED": (COLUMN, "column renamed (same expression, new name)"),
    "SORT_CHANGED": (COSMETIC, "ORDER BY changed"),
    "DATASET_ADDED": (ADDITIVE, "dataset added"),
    "COLUMN_ADDED": (ADDITIVE, "column added"),
    "COSMETIC": (COSMETIC, "code changed, lineage identical"),
    "PARSE_ERROR": (UNKNOWN, "file no longer parses"),
    "UNRESOLVED": (UNKNOWN, "new unresolved columns or tables"),
}

_CLAUSE_REASON = {
    Subtype.FILTER: "FILTER_CHANGED",
    Subtype.JOIN: "JOIN_CHANGED",
    Subtype.GROUP_BY: "GRAIN_CHANGED",
    Subtype.SORT: "SORT_CHANGED",
}
_MODIFIER_REASON = {
    "distinct": "DISTINCT_CHANGED",
    "limit": "LIMIT_CHANGED",
    "offset": "LIMIT_CHANGED",
    "set_operation": "SET_OPERATION_CHANGED",
}


@dataclass(frozen=True, order=True)
class Reason:
    code: str
    before: str | None = None
    after: str | None = None

    @property
    def category(self) -> str:
        return REASONS[self.code][0]

    @property
    def message(self) -> str:
        return REASONS[self.code][1]


@dataclass(frozen=True)
class Change:
    """One change to a dataset (``column`` None) or to one of its columns."""

    dataset: str
    column: str | None
    category: str
    reasons: tuple[Reason, ...]
    before: str | None = None
    after: str | None = None
    location: Location | None = field(default=None, compare=False)

    @property
    def dataset_wide(self) -> bool:
        return self.column is None

    def sort_key(self) -> tuple[int, str, str]:
        return (CATEGORIES.index(self.category), self.dataset, self.column or "")


@dataclass(frozen=True)
class Impact:
    """A downstream dataset or column reached by a change; ``via`` is the path that explains it."""

    dataset: str
    column: str | None
    via: tuple[str, ...]
    kind: str = "table"

    @property
    def hops(self) -> int:
        return len(self.via) - 1


@dataclass
class LineageDiff:
    base: str
    head: str
    changes: list[Change]
    impacted: list[Impact]
    changed_files: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        if not self.changes:
            return "none"
        return min((c.category for c in self.changes), key=CATEGORIES.index)

    def counts(self) -> dict[str, int]:
        return {cat: sum(1 for c in self.changes if c.category == cat) for cat in CATEGORIES}

    def summary(self) -> dict[str, object]:
        impacted_datasets = sorted({i.dataset for i in self.impacted})
        return {
            "verdict": self.verdict,
            "changes": len(self.changes),
            **self.counts(),
            "impacted_datasets": len(impacted_datasets),
            "impacted_columns": sum(1 for i in self.impacted if i.column is not None),
            "impacted_models": sum(1 for i in self.impacted if i.kind == "model" and i.column is None),
            "changed_files": len(self.changed_files),
        }


# -- comparing ------------------------------------------------------------------------------------


def _real(name: str | None) -> bool:
    return bool(name) and not str(name).startswith(UNKNOWN_PREFIX)


class _Index:
    """One pass over a graph's column edges, grouped by the dataset they land in.

    Comparing two graphs of thousands of datasets where a change touches a few (a pre-commit
    check, a pull request) must not cost a detailed comparison of every column: a dataset whose
    incoming edges, columns, readers, sources and row modifiers are all equal on both sides has
    no change, so only the others are compared in detail."""

    def __init__(self, graph: LineageGraph) -> None:
        self.graph = graph
        self.incoming: dict[str, list[JobColumnEdge]] = {}
        self.read: dict[str, set[str]] = {}
        for je in graph.column_edges:
            e = je.edge
            if e.target.table:
                self.incoming.setdefault(e.target.table, []).append(je)
            if e.source.table and e.source.column:
                self.read.setdefault(e.source.table, set()).add(e.source.column)
        self.upstreams = _upstreams(graph)
        self.modifiers = _modifiers(graph)

    def profile(self, name: str) -> tuple[object, ...]:
        """Everything the comparison of dataset ``name`` looks at, as plain values."""
        edges = frozenset(
            (e.source.table, e.source.column, e.target.column, e.subtype._value_, e.fingerprint,
             e.transformation if e.target.column is None else None)
            for e in (je.edge for je in self.incoming.get(name, ()))
        )  # fmt: skip
        ds = self.graph.datasets.get(name)
        return (
            edges,
            tuple(ds.columns) if ds is not None else (),
            frozenset(self.read.get(name, ())),
            frozenset(self.upstreams.get(name, ())),
            tuple(sorted(self.modifiers.get(name, {}).items())),
        )

    def column_signatures(self, name: str) -> dict[str, dict[tuple[str | None, str | None, str], JobColumnEdge]]:
        """column -> {(source table, source column, subtype): edge} for the column-level edges into ``name``."""
        result: dict[str, dict[tuple[str | None, str | None, str], JobColumnEdge]] = {}
        for je in self.incoming.get(name, ()):
            e = je.edge
            if e.target.column is not None:
                result.setdefault(e.target.column, {})[(e.source.table, e.source.column, e.subtype.value)] = je
        return result

    def clause_signatures(self, name: str) -> dict[Subtype, set[str]]:
        """subtype -> set of clause texts, for the dataset-wide indirect edges into ``name``."""
        result: dict[Subtype, set[str]] = {}
        for je in self.incoming.get(name, ()):
            e = je.edge
            if e.target.column is None and e.subtype in DATASET_WIDE:
                result.setdefault(e.subtype, set()).add(e.transformation)
        return result

    def produced_columns(self, name: str) -> list[str]:
        """Columns ``name`` really has: those its producers write, else the declared ones.

        A dataset's ``columns`` also lists columns that downstream code merely references, so a
        column removed upstream but still read downstream would otherwise look unchanged."""
        ds = self.graph.datasets.get(name)
        if ds is None:
            return []
        written = {
            je.edge.target.column
            for je in self.incoming.get(name, ())
            if je.edge.target.column and je.edge.target.column != "*"
        }
        if not written:
            return list(ds.columns)
        # A column nothing writes and nothing reads came from its producer with no source at
        # all: a constant (``1 as y``) or a literal NULL. It is produced all the same.
        read = self.read.get(name, set())
        return [c for c in ds.columns if c in written or c not in read]


def _upstreams(graph: LineageGraph) -> dict[str, set[str]]:
    result: dict[str, set[str]] = {}
    for e in graph.edges:
        if _real(e.source):
            result.setdefault(e.target, set()).add(e.source)
    return result


def _modifiers(graph: LineageGraph) -> dict[str, dict[str, str]]:
    result: dict[str, dict[str, str]] = {}
    for job in graph.jobs.values():
        mods = job.attributes.get("modifiers")
        for out in job.outputs:
            merged = result.setdefault(out, {})
            if isinstance(mods, dict):
                merged.update({str(k): str(v) for k, v in mods.items()})
    return result


def _clause_location(
    head: _Index, name: str, before: dict[Subtype, set[str]], after: dict[Subtype, set[str]]
) -> Location | None:
    """Where the first changed clause (a new WHERE, JOIN …) of ``name`` is, in the head."""
    changed = {(st, text) for st, texts in after.items() for text in texts if text not in before.get(st, set())}
    locations = sorted(
        je.edge.location
        for je in head.incoming.get(name, ())
        if je.edge.target.column is None
        and (je.edge.subtype, je.edge.transformation) in changed
        and je.edge.location is not None
    )
    return locations[0] if locations else None


def _transformation(edges: Iterable[JobColumnEdge]) -> str | None:
    texts = sorted(
        {je.edge.transformation for je in edges if je.edge.kind == "direct"} or {je.edge.transformation for je in edges}
    )
    return " | ".join(texts) if texts else None


def _location(edges: Iterable[JobColumnEdge]) -> Location | None:
    locations = sorted(je.edge.location for je in edges if je.edge.location is not None)
    return locations[0] if locations else None


def _dataset_location(graph: LineageGraph, name: str) -> Location | None:
    ds = graph.datasets.get(name)
    return ds.location if ds is not None else None


def compare(base: LineageGraph, head: LineageGraph, changed_files: Iterable[str] = ()) -> list[Change]:
    """Every change between two graphs, classified, most severe first."""
    changes: list[Change] = []
    base_names = {n for n in base.datasets if _real(n)}
    head_names = {n for n in head.datasets if _real(n)}

    for name in sorted(base_names - head_names):
        changes.append(
            Change(name, None, BREAKING, (Reason("DATASET_REMOVED"),), location=_dataset_location(base, name))
        )
    for name in sorted(head_names - base_names):
        changes.append(Change(name, None, ADDITIVE, (Reason("DATASET_ADDED"),), location=_dataset_location(head, name)))

    base_index, head_index = _Index(base), _Index(head)
    common = sorted(n for n in base_names & head_names if base_index.profile(n) != head_index.profile(n))
    for name in common:
        base_cols, head_cols = base_index.column_signatures(name), head_index.column_signatures(name)
        before_cols = base_index.produced_columns(name)
        after_cols = head_index.produced_columns(name)
        removed = [c for c in before_cols if c not in after_cols]
        added = [c for c in after_cols if c not in before_cols]
        renamed: dict[str, str] = {}
        for old in removed:
            old_edges = base_cols.get(old, {})
            old_fps = {je.edge.fingerprint for je in old_edges.values()}
            for new in added:
                if new in renamed.values():
                    continue
                new_edges = head_cols.get(new, {})
                if old_fps and old_fps == {je.edge.fingerprint for je in new_edges.values()}:
                    renamed[old] = new
                    break
        for old, new in sorted(renamed.items()):
            changes.append(
                Change(
                    name,
                    new,
                    COLUMN,
                    (Reason("COLUMN_RENAMED", old, new),),
                    old,
                    new,
                    _location(head_cols.get(new, {}).values()),
                )
            )
        for old in removed:
            if old not in renamed:
                edges = base_cols.get(old, {}).values()
                changes.append(
                    Change(
                        name,
                        old,
                        COLUMN,
                        (Reason("COLUMN_REMOVED", old, None),),
                        _transformation(edges),
                        None,
                        _dataset_location(head, name),
                    )
                )
        for new in added:
            if new not in renamed.values():
                edges = head_cols.get(new, {}).values()
                changes.append(
                    Change(
                        name,
                        new,
                        ADDITIVE,
                        (Reason("COLUMN_ADDED", None, new),),
                        None,
                        _transformation(edges),
                        _location(edges),
                    )
                )
        for column in after_cols:
            if column not in before_cols:
                continue
            old_edges = base_cols.get(column, {})
            new_edges = head_cols.get(column, {})
            old_sig = {(k, je.edge.fingerprint) for k, je in old_edges.items()}
            new_sig = {(k, je.edge.fingerprint) for k, je in new_edges.items()}
            if old_sig != new_sig:
                before, after = _transformation(old_edges.values()), _transformation(new_edges.values())
                changes.append(
                    Change(
                        name,
                        column,
                        COLUMN,
                        (Reason("TRANSFORMATION_CHANGED", before, after),),
                        before,
                        after,
                        _location(new_edges.values()) or _dataset_location(head, name),
                    )
                )

    # Dataset-wide changes: clauses, sources, row modifiers.
    for name in common:
        reasons: list[Reason] = []
        old_up, new_up = base_index.upstreams.get(name, set()), head_index.upstreams.get(name, set())
        if old_up != new_up:
            reasons.append(
                Reason("SOURCE_CHANGED", ", ".join(sorted(old_up)) or None, ", ".join(sorted(new_up)) or None)
            )
        old_clauses, new_clauses = base_index.clause_signatures(name), head_index.clause_signatures(name)
        for subtype, code in _CLAUSE_REASON.items():
            before_set, after_set = old_clauses.get(subtype, set()), new_clauses.get(subtype, set())
            if before_set != after_set:
                reasons.append(
                    Reason(code, " AND ".join(sorted(before_set)) or None, " AND ".join(sorted(after_set)) or None)
                )
        old_mods, new_mods = base_index.modifiers.get(name, {}), head_index.modifiers.get(name, {})
        for key in sorted(set(old_mods) | set(new_mods)):
            if old_mods.get(key) != new_mods.get(key):
                reasons.append(
                    Reason(_MODIFIER_REASON.get(key, "SOURCE_CHANGED"), old_mods.get(key), new_mods.get(key))
                )
        if reasons:
            if any(r.code == "SORT_CHANGED" for r in reasons) and ("limit" in new_mods or "limit" in old_mods):
                reasons = [
                    Reason("LIMIT_CHANGED", r.before, r.after) if r.code == "SORT_CHANGED" else r for r in reasons
                ]
            category = min((r.category for r in reasons), key=CATEGORIES.index)
            where = _clause_location(head_index, name, old_clauses, new_clauses) or _dataset_location(head, name)
            changes.append(Change(name, None, category, tuple(sorted(set(reasons))), location=where))

    changes = _unknown_where_files_broke(base, head, changes)
    changes.extend(_unknown_changes(base, head))
    changes.extend(_cosmetic_changes(head, changed_files, changes))
    return sorted(set(changes), key=Change.sort_key)


#: Diagnostics after which a file's lineage is missing or partial: what vanished from such a file
#: is unknown, not removed.
_LINEAGE_LOST = frozenset({"DT001", "DT100", "DT102", "DT200", "DT205", "DT300", "DT304", "DT900"})


def _unknown_where_files_broke(base: LineageGraph, head: LineageGraph, changes: list[Change]) -> list[Change]:
    """Changes to datasets whose defining file no longer parses become one UNKNOWN change each.

    A file with a syntax error has no lineage in the head, so everything it defined looks
    removed; calling that breaking would blame the wrong thing (and a policy finding would point
    at the configuration). The change is unknown until the file parses again."""
    old = {(d.path, d.code, d.message) for d in base.diagnostics}
    broken: dict[str, Location] = {}
    for d in sorted(set(head.diagnostics)):
        if d.code in _LINEAGE_LOST and (d.path, d.code, d.message) not in old:
            broken.setdefault(d.path, Location(d.path, d.line, d.column))
    if not broken:
        return changes
    defined_in: dict[str, set[str]] = {}
    for job in base.jobs.values():
        for name in job.outputs:
            defined_in.setdefault(name, set()).add(job.path)
    for name, ds in base.datasets.items():
        if ds.location is not None:
            defined_in.setdefault(name, set()).add(ds.location.path)
    result: list[Change] = []
    unknown: dict[str, Change] = {}
    for change in changes:
        files = sorted(defined_in.get(change.dataset, set()) & set(broken))
        if not files or change.category not in (BREAKING, COLUMN):
            result.append(change)
            continue
        where = broken[files[0]]
        reason = Reason("PARSE_ERROR", None, f"{files[0]} no longer parses; its lineage is unknown")
        unknown.setdefault(change.dataset, Change(change.dataset, None, UNKNOWN, (reason,), location=where))
    return result + list(unknown.values())


def _unknown_changes(base: LineageGraph, head: LineageGraph) -> list[Change]:
    result = []
    old_errors = {(d.path, d.code, d.message) for d in base.diagnostics if d.severity is Severity.ERROR}
    for d in sorted(set(head.diagnostics)):
        if d.severity is Severity.ERROR and (d.path, d.code, d.message) not in old_errors:
            result.append(
                Change(
                    d.path,
                    None,
                    UNKNOWN,
                    (Reason("PARSE_ERROR", None, f"{d.code} {d.message}"),),
                    location=Location(d.path, d.line, d.column),
                )
            )
    old_unknown = {n for n in base.datasets if not _real(n)}
    for name in sorted(n for n in head.datasets if not _real(n) and n not in old_unknown):
        target = name[len(UNKNOWN_PREFIX) :]
        result.append(
            Change(target, None, UNKNOWN, (Reason("UNRESOLVED", None, name),), location=_dataset_location(head, target))
        )
    return result


def _cosmetic_changes(head: LineageGraph, changed_files: Iterable[str], changes: list[Change]) -> list[Change]:
    """Changed files whose outputs show no lineage change at all."""
    touched = {c.dataset for c in changes}
    result = []
    for path in sorted(set(changed_files)):
        outputs = sorted({o for job in head.jobs.values() if job.path == path for o in job.outputs})
        if outputs and not touched.intersection(outputs) and path not in touched:
            result.append(Change(outputs[0], None, COSMETIC, (Reason("COSMETIC"),), location=Location(path, 1)))
    return result


# -- impact ---------------------------------------------------------------------------------------


def impact(graph: LineageGraph, changes: Iterable[Change], base: LineageGraph | None = None) -> list[Impact]:
    """Datasets and columns downstream of the changes, column-aware.

    A changed column reaches only its descendants; a dataset-wide change (filter, join, grain,
    sources, removal) reaches every column of its dataset. A column used downstream in a filter,
    join or group-by makes that whole downstream dataset impacted. Dataset-level flows without
    column detail (files, Python jobs, models) are followed too."""
    changed = [c for c in changes if c.category not in (COSMETIC, ADDITIVE)]
    changed_nodes = {(c.dataset, c.column) for c in changed}
    found: dict[tuple[str, str | None], tuple[str, ...]] = {}
    # Successors are collected unordered and sorted only for the nodes the walk reaches: a
    # change touches a few columns of a graph of tens of thousands.
    forward: dict[tuple[str, str | None], list[tuple[str, str | None]]] = {}
    table_pairs: set[tuple[str, str]] = set()
    for je in graph.column_edges:
        e = je.edge
        if e.source.table and e.target.table:
            forward.setdefault((e.source.table, e.source.column), []).append((e.target.table, e.target.column))
            table_pairs.add((e.source.table, e.target.table))
    dataset_forward: dict[str, list[str]] = {}
    for te in sorted(graph.edges):
        dataset_forward.setdefault(te.source, []).append(te.target)

    queue: deque[tuple[tuple[str, str | None], tuple[str, ...]]] = deque()
    for change in changed:
        source_graph = graph if change.dataset in graph.datasets else (base or graph)
        if change.column is None:
            columns = source_graph.datasets[change.dataset].columns if change.dataset in source_graph.datasets else []
            starts: list[tuple[str, str | None]] = [(change.dataset, c) for c in columns] + [(change.dataset, None)]
        else:
            starts = [(change.dataset, change.column)]
            # Readers of a renamed or removed column's old name are broken by the change.
            starts += [(change.dataset, r.before) for r in change.reasons if r.code == "COLUMN_RENAMED" and r.before]
        for node in starts:
            queue.append((node, (change.dataset if change.column is None else _label(node),)))
    old_forward: dict[tuple[str, str | None], list[tuple[str, str | None]]] = {}
    if base is not None:
        # Removed datasets and columns: follow their old edges into the new graph.
        for je in base.column_edges:
            e = je.edge
            key = (e.source.table or "", e.source.column)
            if e.target.table in graph.datasets and (key in changed_nodes or (e.source.table, None) in changed_nodes):
                old_forward.setdefault(key, []).append((e.target.table, e.target.column))
        for te in sorted(base.edges):
            if (te.source, None) in changed_nodes and te.target in graph.datasets:
                dataset_forward.setdefault(te.source, []).append(te.target)

    def successors(node: tuple[str, str | None]) -> list[tuple[str, str | None]]:
        return sorted(forward.get(node, ()), key=_node_key) + sorted(old_forward.get(node, ()), key=_node_key)

    seen: set[tuple[str, str | None]] = set()
    while queue:
        node, path = queue.popleft()
        if node in seen:
            continue
        seen.add(node)
        if node not in changed_nodes and len(path) > 1:
            found.setdefault(node, path)
        dataset, column = node
        targets = successors(node)
        if column is None:
            targets += [(t, None) for t in dataset_forward.get(dataset, [])]
            if dataset in graph.datasets:
                targets += [(dataset, c) for c in graph.datasets[dataset].columns if len(path) > 1]
        else:
            # A column with no column-level consumers still reaches dataset-level consumers.
            if not targets:
                targets += [(t, None) for t in dataset_forward.get(dataset, []) if (dataset, t) not in table_pairs]
        for target in targets:
            if target not in seen:
                queue.append((target, (*path, _label(target))))

    result = []
    for (dataset, column), path in found.items():
        if dataset.startswith(UNKNOWN_PREFIX):
            continue
        kind = graph.datasets[dataset].kind.value if dataset in graph.datasets else "table"
        result.append(Impact(dataset, column, path, kind))
    return sorted(result, key=lambda i: (i.hops, i.dataset, i.column or ""))


def _node_key(node: tuple[str, str | None]) -> tuple[str, str]:
    return (node[0], node[1] or "")


def _label(node: tuple[str, str | None]) -> str:
    dataset, column = node
    return dataset if column is None else f"{dataset}.{column}"


def diff_graphs(
    base: LineageGraph,
    head: LineageGraph,
    base_label: str = "base",
    head_label: str = "head",
    changed_files: Iterable[str] = (),
) -> LineageDiff:
    files = sorted(set(changed_files))
    changes = compare(base, head, files)
    return LineageDiff(base_label, head_label, changes, impact(head, changes, base), files)
