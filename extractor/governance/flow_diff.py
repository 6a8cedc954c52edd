"""Tagged flows between two revisions: which tagged columns a change makes reachable or not, and
which denied flows it creates (what ``datatrail check`` and ``datatrail diff --fail-on`` fail on)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import codes
from ..check import Finding
from .policy_flows import FlowVerdict, new_denied_flows
from .propagate import Governance


@dataclass(frozen=True, order=True)
class TaggedFlow:
    """A tag reaching a column (or dataset) downstream of where it was declared."""

    dataset: str
    column: str
    tag: str
    status: str

    def __str__(self) -> str:
        name = f"{self.dataset}.{self.column}" if self.column else self.dataset
        return f"{name} [{self.tag}: {self.status}]"


@dataclass
class TaggedFlowDiff:
    added: list[TaggedFlow] = field(default_factory=list)
    removed: list[TaggedFlow] = field(default_factory=list)
    new_denied: list[FlowVerdict] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.new_denied)


def _flows(governance: Governance) -> set[TaggedFlow]:
    return {TaggedFlow(r.node[0], r.node[1] or "", r.tag, r.status) for r in governance.reaches_of() if r.path}


def tagged_flow_diff(
    base: Governance, head: Governance, base_verdicts: list[FlowVerdict], head_verdicts: list[FlowVerdict]
) -> TaggedFlowDiff:
    before, after = _flows(base), _flows(head)
    return TaggedFlowDiff(
        sorted(after - before), sorted(before - after), new_denied_flows(base_verdicts, head_verdicts)
    )


def _with_prefix(prefix: str, path: str) -> str:
    return f"{prefix}/{path}" if prefix and not path.startswith("/") else path


def flow_findings(denied: list[FlowVerdict], prefix: str = "") -> list[Finding]:
    """One failing DT601 finding per new denied flow, at the step where the data enters the sink."""
    findings = []
    for verdict in denied:
        location = next((s.location for s in reversed(verdict.reach.path) if s.location is not None), None)
        path = _with_prefix(prefix, location.path) if location else verdict.rule.source.path
        line, column = (location.line, location.column) if location else (verdict.rule.source.line, 1)
        findings.append(Finding(path, line, column, codes.FLOW_DENIED, verdict.message(), True))
    return sorted(findings)


def render_text(diff: TaggedFlowDiff, prefix: str = "") -> str:
    if not diff:
        return ""
    lines = [f"tagged flows: {len(diff.added)} new, {len(diff.removed)} removed, {len(diff.new_denied)} newly denied"]
    lines += [f"  + {flow}" for flow in diff.added]
    lines += [f"  - {flow}" for flow in diff.removed]
    lines += [f"  {finding}" for finding in flow_findings(diff.new_denied, prefix)]
    return "\n".join(lines) + "\n"


def render_markdown(diff: TaggedFlowDiff, prefix: str = "") -> str:
    if not diff:
        return ""
    lines = ["", "### Tagged data flows", ""]
    lines += [f"- ❌ **denied**: {f.message}" for f in flow_findings(diff.new_denied, prefix)]
    lines += [f"- ➕ `{flow}`" for flow in diff.added]
    lines += [f"- ➖ `{flow}`" for flow in diff.removed]
    return "\n".join(lines) + "\n"


def to_dict(diff: TaggedFlowDiff, prefix: str = "") -> dict[str, Any]:
    def item(flow: TaggedFlow) -> dict[str, Any]:
        return {"dataset": flow.dataset, "column": flow.column or None, "tag": flow.tag, "status": flow.status}

    return {
        "added": [item(f) for f in diff.added],
        "removed": [item(f) for f in diff.removed],
        "denied": [
            {"path": f.path, "line": f.line, "code": f.code, "message": f.message}
            for f in flow_findings(diff.new_denied, prefix)
        ],
    }
