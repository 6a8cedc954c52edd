"""Flow policies: where tagged data may not go. ``[[tool.datatrail.policy.flows]]``::

    [[tool.datatrail.policy.flows]]
    tag = "pii"
    deny = ["s3://exports/*"]        # globs over dataset names (tables, files, models …)
    unless = "pseudonymised"         # optional: allow the flow when the data is pseudonymised
    reason = "partners receive no direct personal data"

A tagged column (or dataset) reaching a denied dataset with a status the rule does not excuse is
a denied flow. Declared-anonymised data is no longer personal data and is never denied.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import ConfigError
from .propagate import PSEUDONYMISED, TAGGED, Governance, Reach
from .tags import TagSource, _config_path, _config_text, array_entry_line

if TYPE_CHECKING:
    from ..config import Config

_KEYS = {"tag", "deny", "unless", "reason"}
#: What ``unless`` accepts: the statuses that excuse a flow.
UNLESS = (PSEUDONYMISED,)


@dataclass(frozen=True)
class FlowRule:
    tag: str
    deny: tuple[str, ...]
    unless: str | None
    reason: str
    source: TagSource

    def denies(self, dataset: str) -> bool:
        return any(fnmatch.fnmatchcase(dataset.lower(), p.lower()) for p in self.deny)

    def describe(self) -> str:
        unless = f" unless {self.unless}" if self.unless else ""
        return f"{self.tag} may not flow to {', '.join(self.deny)}{unless}"


@dataclass(frozen=True)
class FlowVerdict:
    """One tagged node in a denied place, with whether the rule lets it pass."""

    rule: FlowRule
    reach: Reach
    denied: bool

    @property
    def key(self) -> tuple[str, str, str, str]:
        """Identity across revisions: tag, sink dataset, column, rule."""
        return (self.reach.tag, self.reach.node[0], self.reach.node[1] or "", self.rule.describe())

    def sink(self) -> str:
        dataset, column = self.reach.node
        return dataset if column is None else f"{dataset}.{column}"

    def path_text(self) -> str:
        nodes = [self.reach.origin, *(s.target for s in self.reach.path)]
        return " -> ".join(d if c is None else f"{d}.{c}" for d, c in nodes)

    def message(self) -> str:
        origin = self.reach.origin
        source = origin[0] if origin[1] is None else f"{origin[0]}.{origin[1]}"
        verb = "denied" if self.denied else "allowed"
        text = (
            f"{verb} flow of {self.reach.tag} ({self.reach.status}): {source} reaches {self.sink()} "
            f"via {self.path_text()}; policy: {self.rule.describe()} ({self.rule.reason})"
        )
        return text


def load_flow_rules(config: Config) -> list[FlowRule]:
    """Validate ``[[tool.datatrail.policy.flows]]``; unknown keys and bad values are a ConfigError."""
    entries = config.sections.get("policy", {}).get("flows", [])
    if not isinstance(entries, list):
        raise ConfigError("[[tool.datatrail.policy.flows]] must be an array of tables")
    text, path = _config_text(config), _config_path(config)
    rules = []
    for index, entry in enumerate(entries):
        where = f"[[tool.datatrail.policy.flows]] #{index + 1}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where} must be a table")
        unknown = sorted(set(entry) - _KEYS)
        if unknown:
            raise ConfigError(f"{where} has unknown keys: {', '.join(unknown)}")
        tag, deny, unless, reason = entry.get("tag"), entry.get("deny"), entry.get("unless"), entry.get("reason")
        if not isinstance(tag, str) or not tag:
            raise ConfigError(f"{where} tag must be a tag name")
        if isinstance(deny, str):
            deny = [deny]
        if not isinstance(deny, list) or not deny or not all(isinstance(d, str) and d for d in deny):
            raise ConfigError(f"{where} deny must be a list of dataset globs")
        if unless is not None and unless not in UNLESS:
            raise ConfigError(f"{where} unless must be one of {', '.join(UNLESS)}, not {unless!r}")
        if not isinstance(reason, str) or not reason.strip():
            raise ConfigError(f"{where} needs a reason (shown in reports and findings)")
        line = array_entry_line(text, "tool.datatrail.policy.flows", index)
        rules.append(FlowRule(tag, tuple(deny), unless, reason.strip(), TagSource(path, line, "config")))
    return rules


def judge_flows(governance: Governance, rules: Iterable[FlowRule]) -> list[FlowVerdict]:
    """Every tagged node inside a rule's deny globs, judged; sorted by sink, tag and rule."""
    verdicts = []
    for rule in rules:
        for reach in governance.reaches_of(rule.tag):
            if reach.status not in TAGGED or not rule.denies(reach.node[0]):
                continue
            denied = not (rule.unless is not None and reach.status == rule.unless)
            verdicts.append(FlowVerdict(rule, reach, denied))
    return sorted(verdicts, key=lambda v: (v.reach.node[0], v.reach.node[1] or "", v.reach.tag, v.rule.describe()))


def new_denied_flows(base: list[FlowVerdict], head: list[FlowVerdict]) -> list[FlowVerdict]:
    """Denied flows of ``head`` that ``base`` did not have (what a change creates)."""
    old = {v.key for v in base if v.denied}
    return [v for v in head if v.denied and v.key not in old]
