"""The change policy of ``[tool.datatrail.policy]``: which lineage changes fail a check.

Example::

    [tool.datatrail.policy]
    fail_on = "breaking"                    # for any dataset
    protected = ["ml.*", "features.*"]      # globs of datasets that need more care
    protected_fail_on = "column"            # for changes on, or reaching, a protected dataset
    protect_models = true                   # ML model artifacts are protected

    [[tool.datatrail.policy.allow]]
    dataset = "staging.stg_customers"
    column = "age_years"                    # optional: the whole dataset when absent
    reason = "JIRA-123: age in months is intended, model retrained"
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any

from .diff import ADDITIVE, BREAKING, COLUMN, UNKNOWN, Change, LineageDiff
from .errors import ConfigError
from .graph import LineageGraph
from .model import DatasetKind

#: Which categories each ``fail_on`` value fails on.
LEVELS: dict[str, tuple[str, ...]] = {
    "breaking": (BREAKING,),
    "column": (BREAKING, COLUMN),
    "any": (BREAKING, COLUMN, UNKNOWN, ADDITIVE),
    "never": (),
}


@dataclass(frozen=True)
class Allowance:
    dataset: str
    column: str | None
    reason: str

    def covers(self, change: Change) -> bool:
        if not fnmatch.fnmatchcase(change.dataset, self.dataset):
            return False
        return self.column is None or self.column == change.column


@dataclass
class Policy:
    fail_on: str = "breaking"
    protected: list[str] = field(default_factory=list)
    protected_fail_on: str = "column"
    protect_models: bool = True
    allow: list[Allowance] = field(default_factory=list)

    def is_protected(self, graph: LineageGraph, dataset: str) -> bool:
        if any(fnmatch.fnmatchcase(dataset, p) for p in self.protected):
            return True
        ds = graph.datasets.get(dataset)
        return self.protect_models and ds is not None and ds.kind is DatasetKind.MODEL


@dataclass(frozen=True)
class Verdict:
    """One change judged by the policy."""

    change: Change
    failed: bool
    protected: tuple[str, ...]  # protected datasets it is on or reaches
    allowed_by: Allowance | None = None


def _level(section: dict[str, Any], key: str, default: str) -> str:
    value = section.get(key, default)
    if value not in LEVELS:
        raise ConfigError(f"[tool.datatrail.policy] {key} must be one of {', '.join(LEVELS)}, not {value!r}")
    return str(value)


def load_policy(section: dict[str, Any]) -> Policy:
    """Validate ``[tool.datatrail.policy]``; a wrong type or an allow without reason is a ConfigError."""
    known = {"fail_on", "protected", "protected_fail_on", "protect_models", "allow", "flows"}  # flows: governance
    unknown = set(section) - known
    if unknown:
        raise ConfigError(f"[tool.datatrail.policy] has unknown keys: {', '.join(sorted(unknown))}")
    protected = section.get("protected", [])
    if not isinstance(protected, list) or not all(isinstance(p, str) for p in protected):
        raise ConfigError("[tool.datatrail.policy] protected must be a list of dataset globs")
    protect_models = section.get("protect_models", True)
    if not isinstance(protect_models, bool):
        raise ConfigError("[tool.datatrail.policy] protect_models must be true or false")
    allow = []
    for entry in section.get("allow", []):
        if not isinstance(entry, dict) or not isinstance(entry.get("dataset"), str):
            raise ConfigError("[[tool.datatrail.policy.allow]] entries need a dataset")
        reason = entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise ConfigError(
                f"[[tool.datatrail.policy.allow]] for {entry['dataset']} needs a reason (the justification)"
            )
        column = entry.get("column")
        if column is not None and not isinstance(column, str):
            raise ConfigError("[[tool.datatrail.policy.allow]] column must be a string")
        allow.append(Allowance(entry["dataset"], column, reason.strip()))
    return Policy(
        _level(section, "fail_on", "breaking"), list(protected), _level(section, "protected_fail_on", "column"),
        protect_models, allow,
    )  # fmt: skip


def judge(policy: Policy, diff: LineageDiff, head: LineageGraph) -> list[Verdict]:
    """Every non-cosmetic change with whether it fails, and the protected datasets it touches."""
    reached: dict[str, set[str]] = {}
    for item in diff.impacted:
        if policy.is_protected(head, item.dataset):
            reached.setdefault(item.via[0], set()).add(item.dataset)
    verdicts = []
    for change in diff.changes:
        if change.category not in LEVELS["any"]:
            continue
        labels = [change.dataset if change.column is None else f"{change.dataset}.{change.column}"]
        labels += [f"{change.dataset}.{r.before}" for r in change.reasons if r.code == "COLUMN_RENAMED" and r.before]
        protected = {d for label in labels for d in reached.get(label, set())}
        if policy.is_protected(head, change.dataset):
            protected.add(change.dataset)
        level = policy.protected_fail_on if protected else policy.fail_on
        failed = change.category in LEVELS[level]
        allowance = next((a for a in policy.allow if a.covers(change)), None)
        verdicts.append(Verdict(change, failed and allowance is None, tuple(sorted(protected)), allowance))
    return verdicts
