"""Turning a lineage diff into diagram styling: which nodes and columns are changed or impacted."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..diff import ADDITIVE, COSMETIC, LineageDiff
from ..graph import LineageGraph


@dataclass
class Overlay:
    """Statuses (``added``, ``removed``, ``modified``, ``impacted``) and tooltips by name.

    Keys are dataset names and ``dataset.column`` names."""

    status: dict[str, str] = field(default_factory=dict)
    tooltips: dict[str, str] = field(default_factory=dict)


def overlay(diff: LineageDiff, head: LineageGraph, base: LineageGraph | None = None) -> Overlay:
    """Statuses for drawing ``diff`` on ``head``; removed datasets from ``base`` are added to ``head``."""
    result = Overlay()
    for change in diff.changes:
        if change.category == COSMETIC:
            continue
        codes = [r.code for r in change.reasons]
        if "DATASET_REMOVED" in codes:
            status = "removed"
            if base is not None and change.dataset in base.datasets and change.dataset not in head.datasets:
                head.datasets[change.dataset] = base.datasets[change.dataset]
        elif change.category == ADDITIVE:
            status = "added"
        else:
            status = "modified"
        key = change.dataset if change.column is None else f"{change.dataset}.{change.column}"
        result.status[key] = status
        if change.column is not None:
            result.status.setdefault(change.dataset, "modified" if status == "modified" else status)
        lines = [f"{key}: {change.category}"]
        for r in change.reasons:
            if r.before is not None or r.after is not None:
                lines.append(f"{r.code}: {r.before or '∅'} → {r.after or '∅'}")
            else:
                lines.append(f"{r.code} ({r.message})")
        result.tooltips[key] = "\n".join(lines)
    for item in diff.impacted:
        key = item.dataset if item.column is None else f"{item.dataset}.{item.column}"
        result.status.setdefault(key, "impacted")
        result.status.setdefault(item.dataset, "impacted")
        result.tooltips.setdefault(key, "impacted via " + " → ".join(item.via))
    return result
