"""``datatrail history`` reports: text, JSON (docs/history.md) and Markdown for an incident ticket."""

from __future__ import annotations

from typing import Any

from .. import json_text
from ..diff import Change
from ..history import History, HistoryEntry
from ..walk import WalkStats
from .trace_report import location_dict, target_dict, where

FORMAT_VERSION = 1


def _name(change: Change) -> str:
    return change.dataset if change.column is None else f"{change.dataset}.{change.column}"


def _reasons(change: Change) -> str:
    parts = []
    for r in change.reasons:
        if r.before is None and r.after is None:
            parts.append(f"{r.code} ({r.message})")
        else:
            parts.append(f"{r.code}: {r.before or '∅'} -> {r.after or '∅'}")
    return "; ".join(parts)


def stats_dict(stats: WalkStats) -> dict[str, int]:
    return {
        "commits": stats.commits,
        "scanned": stats.scanned,
        "skipped": stats.skipped,
        "unreadable": stats.unreadable,
    }


def stats_text(stats: WalkStats) -> str:
    walked = f"{stats.commits} commit{'' if stats.commits == 1 else 's'} walked"
    unreadable = f", {stats.unreadable} unreadable" if stats.unreadable else ""
    return f"{walked}: {stats.scanned} scanned, {stats.skipped} without pipeline changes{unreadable}"


def commit_dict(commit: Any) -> dict[str, Any]:
    return {"sha": commit.sha, "date": commit.date, "author": commit.author, "subject": commit.subject}


def _entry_dict(entry: HistoryEntry) -> dict[str, Any]:
    return {
        **commit_dict(entry.commit),
        "compared_with": entry.compared_with,
        "spans_unreadable": list(entry.spans),
        "changes": [
            {
                "dataset": r.change.dataset,
                "column": r.change.column,
                "category": r.change.category,
                "reasons": [
                    {"code": x.code, "message": x.message, "before": x.before, "after": x.after}
                    for x in r.change.reasons
                ],
                "before": r.change.before,
                "after": r.change.after,
                "location": location_dict(r.location),
                "path": list(r.path),
            }
            for r in entry.changes
        ],
    }


def to_dict(result: History) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "target": target_dict(result.target),
        "revisions": result.revisions,
        "commits": [_entry_dict(e) for e in result.entries],
        "introduced": commit_dict(result.introduced) if result.introduced else None,
        "walk": stats_dict(result.stats),
        "diagnostics": [str(n) for n in result.notes],
    }


def render_json(result: History) -> str:
    return json_text.dumps(to_dict(result)) + "\n"


def render_text(result: History) -> str:
    n = len(result.entries)
    lines = [
        f"datatrail history {result.target.text} ({result.target.kind}) in {result.revisions}: "
        f"{n} commit{'s' if n != 1 else ''} changed its upstream"
    ]
    for entry in result.entries:
        c = entry.commit
        lines.append(f"{c.sha[:12]}  {c.date[:10]}  {c.author}  {c.subject}")
        if entry.spans:
            lines.append(
                f"  (compared with {(entry.compared_with or 'nothing')[:12]}: "
                f"{len(entry.spans)} commit(s) in between cannot be read)"
            )
        for r in entry.changes:
            place = where(r.location)
            lines.append(
                f"  [{r.change.category}] {_name(r.change)}: {_reasons(r.change)}" + (f"  ({place})" if place else "")
            )
            if len(r.path) > 1:
                lines.append(f"      reaches {r.path[-1]} via {' -> '.join(r.path)}")
    if result.introduced is not None:
        c = result.introduced
        lines.append(f"introduced by {c.sha[:12]}  {c.date[:10]}  {c.author}  {c.subject}")
    lines.append(stats_text(result.stats))
    lines += [str(note) for note in result.notes]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _old_new(change: Change) -> str:
    """Old → new expressions; for a dataset-wide change, each reason's old → new clause."""
    if change.before or change.after:
        return f"`{_cell(change.before or '∅')}` → `{_cell(change.after or '∅')}`"
    parts = [
        f"{r.code}: `{_cell(r.before or '∅')}` → `{_cell(r.after or '∅')}`"
        for r in change.reasons
        if r.before is not None or r.after is not None
    ]
    return "<br>".join(parts)


def render_markdown(result: History, link_base: str = "") -> str:
    """A section for an incident ticket or a PR: one table row per change, newest commit first."""
    lines = [f"### Upstream changes of `{result.target.text}` ({result.revisions})", ""]
    if not result.entries:
        lines.append("No commit in this range changed anything upstream of it.")
    else:
        lines += [
            "| commit | date | author | change | old → new | where | path to target |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for entry in result.entries:
            c = entry.commit
            for r in entry.changes:
                place = where(r.location)
                if place and link_base:
                    path, _, line = place.rpartition(":")
                    place = f"[{place}]({link_base.rstrip('/')}/{path}#L{line})"
                reasons = ", ".join(x.code for x in r.change.reasons)
                old_new = _old_new(r.change)
                lines.append(
                    f"| `{c.sha[:12]}` {_cell(c.subject)} | {c.date[:10]} | {_cell(c.author)} | "
                    f"`{_cell(_name(r.change))}` {reasons} | {old_new} | {_cell(place)} | "
                    f"{_cell(' → '.join(r.path))} |"
                )
    if result.introduced is not None:
        c = result.introduced
        lines += ["", f"Introduced by `{c.sha[:12]}` {_cell(c.subject)} ({c.date[:10]}, {_cell(c.author)})."]
    lines += ["", f"_{stats_text(result.stats)}._"]
    if result.notes:
        lines += ["", *[f"- {_cell(str(n))}" for n in result.notes]]
    return "\n".join(lines) + "\n"
