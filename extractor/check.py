"""What ``datatrail check`` reports: new problems in the changed code and policy verdicts."""

from __future__ import annotations

from dataclasses import dataclass

from . import codes
from .diff import LineageDiff
from .graph import LineageGraph
from .model import Severity
from .policy import Policy, judge

#: Diagnostics a check reports when a change introduces them.
REPORTED = {"DT100", "DT101", "DT102", "DT110", "DT111", "DT200", "DT201", "DT202", "DT203", "DT205", "DT300", "DT301",
            "DT303", "DT304"}  # fmt: skip
#: Diagnostics that fail a check by themselves (the code no longer parses, is too deep to analyse, or is unsafe).
FAILING = {"DT100", "DT102", "DT200", "DT205", "DT300"}


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    column: int
    code: str
    message: str
    failing: bool

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.code} {self.message}"

    def github(self) -> str:
        level = "error" if self.failing else "warning" if codes.severity(self.code) is not Severity.INFO else "notice"
        message = self.message.replace("%", "%25").replace("\n", "%0A")
        return f"::{level} file={self.path},line={self.line},col={self.column},title={self.code}::{message}"


def _with_prefix(prefix: str, path: str) -> str:
    return f"{prefix}/{path}" if prefix and not path.startswith("/") else path


def check_findings(
    base: LineageGraph, head: LineageGraph, diff: LineageDiff, policy: Policy, prefix: str = ""
) -> list[Finding]:
    """New diagnostics in the head and the policy's verdict on every change, sorted."""
    findings: set[Finding] = set()
    old = {(d.path, d.code, d.message) for d in base.diagnostics}
    for d in head.diagnostics:
        if d.code in REPORTED and (d.path, d.code, d.message) not in old:
            findings.add(Finding(_with_prefix(prefix, d.path), d.line, d.column, d.code, d.message, d.code in FAILING))
    for verdict in judge(policy, diff, head):
        change = verdict.change
        if not verdict.failed and verdict.allowed_by is None:
            continue
        name = change.dataset if change.column is None else f"{change.dataset}.{change.column}"
        reasons = "; ".join(
            f"{r.code}: {r.before or '∅'} -> {r.after or '∅'}" if (r.before or r.after) else r.code
            for r in change.reasons
        )
        reach = [d for d in verdict.protected if d != change.dataset]
        models = [d for d in reach if d in head.datasets and head.datasets[d].kind.value == "model"]
        text = f"{change.category} change to {name}: {reasons}"
        if change.dataset in verdict.protected:
            text += f"; {change.dataset} is protected"
        if reach:
            text += f"; impacts protected {', '.join(reach)}"
        if models:
            text += f" (ML model{'s' if len(models) > 1 else ''}: {', '.join(models)})"
        loc = change.location
        path = _with_prefix(prefix, loc.path) if loc else "pyproject.toml"
        line, col = (loc.line, loc.column) if loc else (1, 1)
        if verdict.allowed_by is not None:
            text += f"; allowed: {verdict.allowed_by.reason}"
            findings.add(Finding(path, line, col, codes.POLICY_ALLOWED, text, False))
        else:
            findings.add(Finding(path, line, col, codes.POLICY_VIOLATION, text, True))
    return sorted(findings)
