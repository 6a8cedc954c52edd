"""One constructor for the diagnostics dbt support reports (codes DT200-DT207 and the SQL ones)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import codes
from ..model import Diagnostic

if TYPE_CHECKING:
    from .nodes import DbtProject


def diagnostic(code: str, path: str, line: int, message: str, column: int = 1) -> Diagnostic:
    """``path:line:column: CODE message`` with the severity the code is registered with."""
    return Diagnostic(path, max(1, line), max(1, column), codes.severity(code), code, message)


def disabled_summary(project: DbtProject) -> Diagnostic | None:
    """DT207 on the project file: how many of its models are disabled, by which kind of config.

    A project that another one installs as a local package is built with that consumer's vars
    (see context.py), so the reasons name the consumer when there is one."""
    models = [n for n in project.nodes.values() if n.resource_type in ("model", "snapshot")]
    disabled = [n for n in models if not n.enabled]
    if not disabled:
        return None
    by_model = sum(1 for n in disabled if _set_in_model(n))
    reasons = []
    if len(disabled) - by_model:
        reasons.append(f"{len(disabled) - by_model} by `enabled` in dbt_project.yml or a property file")
    if by_model:
        reasons.append(f"{by_model} by config(enabled=...) in the model")
    vars_of = f"the vars of {project.consumer.name}" if project.consumer is not None else "its own vars"
    message = (
        f"{len(disabled)} of {len(models)} models of {project.name} are disabled and not analysed "
        f"({'; '.join(reasons)}), with {vars_of}; set [tool.datatrail.dbt] vars or include_disabled to change that"
    )
    return diagnostic("DT207", project.rel(project.root / "dbt_project.yml"), 1, message)


def _set_in_model(node: object) -> bool:
    rendered = getattr(node, "rendered_config", None) or {}
    static = getattr(node, "static_config", {}) or {}
    config = getattr(node, "config", {}) or {}
    return "enabled" in static or ("enabled" in rendered and rendered.get("enabled") != config.get("enabled"))
