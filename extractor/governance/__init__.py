"""Governance: personal-data tags through column lineage, flow policies, audit and provenance.

``apply_governance(graph, config)`` is the one entry point the CLI calls after a scan: it reads the
tag declarations (``[tool.datatrail.tags]``, dbt property files, schema files), propagates them over
the finished graph and stores the result on the datasets (``attributes["column_tags"]``,
``attributes["governance_tags"]``, ``attributes["column_tag_status"]``). Documented in
docs/governance.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import codes
from .propagate import Governance, propagate
from .tags import GovernanceConfig, load_governance_config, resolve_tags

if TYPE_CHECKING:
    from ..config import Config
    from ..graph import LineageGraph

__all__ = ["Governance", "GovernanceConfig", "apply_governance", "load_governance_config"]


def apply_governance(graph: LineageGraph, config: Config) -> Governance:
    """Read the declarations, propagate them over ``graph`` and record the tags on its datasets."""
    settings = load_governance_config(config)
    seeds, diagnostics = resolve_tags(graph, settings, config)
    result = propagate(graph, seeds, settings, config)
    # Idempotent: a graph governed again (audit after scan) keeps one copy of the warnings.
    graph.diagnostics = [d for d in graph.diagnostics if d.code != codes.TAG_UNMATCHED]
    graph.diagnostics.extend(diagnostics)
    result.record(graph)
    return result
