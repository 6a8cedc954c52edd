"""``datatrail blame`` reports: text like ``git blame`` and JSON (docs/blame.md)."""

from __future__ import annotations

from typing import Any

from .. import json_text
from ..blame import Blame
from ..trace import label
from .history_report import commit_dict, stats_dict, stats_text
from .trace_report import hop_dict, target_dict, where

FORMAT_VERSION = 1


def to_dict(result: Blame) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "target": target_dict(result.target),
        "revision": result.revision,
        "edges": [
            {
                **hop_dict(b.hop, result.prefix),
                "depth": b.depth,
                "commit": commit_dict(b.commit) if b.commit else None,
                "change": b.change,
                "before": b.before,
            }
            for b in result.edges
        ],
        "walk": stats_dict(result.stats),
        "diagnostics": [str(n) for n in result.notes],
    }


def render_json(result: Blame) -> str:
    return json_text.dumps(to_dict(result)) + "\n"


def render_text(result: Blame) -> str:
    lines = [
        f"datatrail blame {result.target.text} ({result.target.kind}) at {result.revision}: "
        f"{len(result.edges)} upstream edges"
    ]
    for b in result.edges:
        c = b.commit
        who = f"{c.sha[:12]} ({c.author} {c.date[:10]})" if c else "?" * 12 + " (unreadable history)"
        edge = f"{label(b.hop.target)} <- {label(b.hop.source)}"
        kind = b.hop.subtype if b.hop.kind != "indirect" else f"indirect {b.hop.subtype}"
        text = f"  {b.hop.transformation}" if b.hop.transformation else ""
        place = where(b.hop.location, result.prefix)
        lines.append(f"{who} {b.change or '':10} {edge}  [{kind}]{text}" + (f"  ({place})" if place else ""))
        if b.before is not None:
            lines.append(f"{'':>13}was: {b.before}")
    lines.append(stats_text(result.stats))
    lines += [str(note) for note in result.notes]
    return "\n".join(lines) + "\n"
