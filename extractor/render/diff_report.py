"""Lineage diff reports: text for terminals, JSON for tools, Markdown for PR comments, GitHub annotations.

All are pure functions of a ``LineageDiff`` (and the head graph for diagrams).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .. import json_text
from ..diff import ADDITIVE, BREAKING, CATEGORIES, COLUMN, COSMETIC, UNKNOWN, Change, Impact, LineageDiff
from ..graph import LineageGraph
from .mermaid import label as mermaid_label

FORMAT_VERSION = 1
STICKY_MARKER = "<!-- datatrail-lineage-diff -->"
#: GitHub's comment limit is 65,536 characters; stay well under it.
MAX_COMMENT = 60_000
MAX_MERMAID_TEXT = 50_000
MAX_MERMAID_EDGES = 500
MAX_DATASET_ROWS = 150

_ICON = {BREAKING: "🔴", COLUMN: "🟠", UNKNOWN: "⚪", ADDITIVE: "🟢", COSMETIC: "⚫"}


def _where(change: Change, prefix: str = "") -> str:
    if change.location is None:
        return ""
    path = f"{prefix}/{change.location.path}" if prefix else change.location.path
    return f"{path}:{change.location.line}"


def _name(change: Change | Impact) -> str:
    return change.dataset if change.column is None else f"{change.dataset}.{change.column}"


# -- text -----------------------------------------------------------------------------------------


def render_text(diff: LineageDiff, prefix: str = "", head: LineageGraph | None = None) -> str:
    lines = [f"datatrail diff {diff.base}..{diff.head}: {verdict_line(diff)}"]
    for change in diff.changes:
        reasons = "; ".join(_reason_text(r.code, r.message, r.before, r.after) for r in change.reasons)
        where = _where(change, prefix)
        badge = _tag_badge(head, change).replace("`", "")
        lines.append(f"  [{change.category}] {_name(change)}{badge}: {reasons}" + (f"  ({where})" if where else ""))
    if diff.impacted:
        lines.append(f"impacted downstream ({len(diff.impacted)}):")
        for item in diff.impacted:
            lines.append(f"  {_name(item)}  via {' -> '.join(item.via)}")
    return "\n".join(lines) + "\n"


def _reason_text(code: str, message: str, before: str | None, after: str | None) -> str:
    if before is None and after is None:
        return f"{code} ({message})"
    return f"{code}: {before or '∅'} -> {after or '∅'}"


def verdict_line(diff: LineageDiff) -> str:
    if not diff.changes:
        return "no lineage changes"
    counts = diff.counts()
    parts = [f"{counts[c]} {c}" for c in CATEGORIES if counts[c]]
    impacted = diff.summary()
    return (
        f"{diff.verdict.upper()}: " + ", ".join(parts)
        + f"; {impacted['impacted_datasets']} downstream datasets and {impacted['impacted_columns']} columns impacted"
    )  # fmt: skip


# -- json -----------------------------------------------------------------------------------------


def to_dict(diff: LineageDiff, prefix: str = "") -> dict[str, Any]:
    def location(change: Change) -> dict[str, Any] | None:
        if change.location is None:
            return None
        path = f"{prefix}/{change.location.path}" if prefix else change.location.path
        return {"path": path, "line": change.location.line}

    return {
        "format_version": FORMAT_VERSION,
        "base": diff.base,
        "head": diff.head,
        "summary": diff.summary(),
        "changes": [
            {
                "dataset": c.dataset,
                "column": c.column,
                "category": c.category,
                "reasons": [
                    {"code": r.code, "message": r.message, "before": r.before, "after": r.after} for r in c.reasons
                ],
                "before": c.before,
                "after": c.after,
                "location": location(c),
            }
            for c in diff.changes
        ],
        "impacted": [
            {"dataset": i.dataset, "column": i.column, "kind": i.kind, "hops": i.hops, "via": list(i.via)}
            for i in diff.impacted
        ],
        "changed_files": [f"{prefix}/{f}" if prefix else f for f in diff.changed_files],
    }


def render_json(diff: LineageDiff, prefix: str = "") -> str:
    return json_text.dumps(to_dict(diff, prefix)) + "\n"


# -- github annotations ---------------------------------------------------------------------------


def render_github(diff: LineageDiff, prefix: str = "") -> str:
    lines = []
    for change in diff.changes:
        if change.location is None or change.category == COSMETIC:
            continue
        level = (
            "error" if change.category == BREAKING else "warning" if change.category in (COLUMN, UNKNOWN) else "notice"
        )
        path = f"{prefix}/{change.location.path}" if prefix else change.location.path
        reasons = "; ".join(_reason_text(r.code, r.message, r.before, r.after) for r in change.reasons)
        downstream = [i for i in diff.impacted if i.via and i.via[0] in (_name(change), change.dataset)]
        tail = f" Impacts {len(downstream)} downstream items." if downstream else ""
        message = _escape_annotation(f"{_name(change)} [{change.category}]: {reasons}.{tail}")
        title = _escape_property(f"datatrail: {change.category} lineage change")
        lines.append(f"::{level} file={_escape_property(path)},line={change.location.line},title={title}::{message}")
    return "\n".join(lines) + ("\n" if lines else "")


def _escape_annotation(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_annotation(text).replace(":", "%3A").replace(",", "%2C")


# -- markdown -------------------------------------------------------------------------------------


def render_markdown(
    diff: LineageDiff, head: LineageGraph | None = None, prefix: str = "", link_base: str = "", limit: int = MAX_COMMENT
) -> str:
    """A PR comment: verdict, changes table, impact by hop, and a Mermaid graph, under ``limit``."""
    for level in ("full", "dataset", "counts"):
        text = _markdown(diff, head, prefix, link_base, level)
        if len(text) <= limit:
            return text
    return text[: limit - 200] + "\n\n…(truncated)\n" + STICKY_MARKER + "\n"


def _link(change: Change, prefix: str, link_base: str) -> str:
    if change.location is None:
        return ""
    path = f"{prefix}/{change.location.path}" if prefix else change.location.path
    if link_base:
        return f"[`{path}:{change.location.line}`]({link_base.rstrip('/')}/{path}#L{change.location.line})"
    return f"`{path}#L{change.location.line}`"


def _cell(text: str | None, width: int = 160) -> str:
    if text is None:
        return "∅"
    text = " ".join(text.split())
    if len(text) > width:
        text = text[: width - 1] + "…"
    return "`" + text.replace("|", "\\|").replace("`", "'") + "`"


def _markdown(diff: LineageDiff, head: LineageGraph | None, prefix: str, link_base: str, level: str) -> str:
    out = [STICKY_MARKER, f"### {_ICON.get(diff.verdict, '✅')} datatrail lineage diff: {verdict_line(diff)}", ""]
    if not diff.changes:
        out.append("No table- or column-level lineage changed.")
        return "\n".join(out) + "\n"
    counts = diff.counts()
    out.append(" · ".join(f"{_ICON[c]} **{counts[c]}** {c}" for c in CATEGORIES if counts[c]))
    out.append("")
    if level == "counts":
        out += _counts_only(diff)
        return "\n".join(out) + "\n"
    out += ["| | change | where | before → after | reasons |", "|---|---|---|---|---|"]
    if level == "full":
        for change in diff.changes:
            reasons = ", ".join(f"`{r.code}`" for r in change.reasons)
            before = change.before if change.before is not None else _first(r.before for r in change.reasons)
            after = change.after if change.after is not None else _first(r.after for r in change.reasons)
            out.append(
                f"| {_ICON[change.category]} | `{_name(change)}`{_tag_badge(head, change)} | "
                f"{_link(change, prefix, link_base)} | "
                f"{_cell(before)} → {_cell(after)} | {reasons} |"
            )
    else:
        # Dataset level: one row per changed dataset, its changed columns counted.
        by_dataset: dict[str, list[Change]] = {}
        for change in diff.changes:
            by_dataset.setdefault(change.dataset, []).append(change)
        datasets = list(by_dataset.items())
        # Unknown lineage (a file that no longer parses, an unresolved table) is never hidden
        # behind "N more": those rows are always listed, whatever the row budget.
        shown_rows = [
            (d, items) for i, (d, items) in enumerate(datasets)
            if i < MAX_DATASET_ROWS or any(c.category == UNKNOWN for c in items)
        ]  # fmt: skip
        for dataset, items in shown_rows:
            worst = min((c.category for c in items), key=CATEGORIES.index)
            columns = sorted({c.column for c in items if c.column})
            codes = sorted({r.code for c in items for r in c.reasons})
            shown = ", ".join(columns[:5]) + (f" and {len(columns) - 5} more" if len(columns) > 5 else "")
            what = f"{len(columns)} columns: {shown}" if columns else "dataset-level change"
            out.append(
                f"| {_ICON[worst]} | `{dataset}` | {_link(items[0], prefix, link_base)} | {what} | "
                + ", ".join(f"`{c}`" for c in codes)
                + " |"
            )
        more = len(datasets) - len(shown_rows)
        tail = f" ({more} more datasets not shown)" if more > 0 else ""
        out.append(f"\n_Collapsed to one row per dataset{tail}; the JSON report has every change._")
    out.append("")
    if diff.impacted:
        out += _impact_section(diff, level)
    if head is not None:
        out += _mermaid_section(diff, head, level)
    return "\n".join(out) + "\n"


def _tag_badge(head: LineageGraph | None, change: Change) -> str:
    """A small badge with the governance tags of a changed column (docs/governance.md)."""
    ds = head.datasets.get(change.dataset) if head is not None else None
    tags = ds.attributes.get("column_tags") if ds is not None else None
    found = tags.get(change.column or "") if isinstance(tags, dict) else None
    return " " + " ".join(f"`⚑ {t}`" for t in found) if isinstance(found, list) and found else ""


def _first(values: Iterable[str | None]) -> str | None:
    for v in values:
        if v is not None:
            return v
    return None


def _counts_only(diff: LineageDiff) -> list[str]:
    datasets = sorted({c.dataset for c in diff.changes})
    impacted = sorted({i.dataset for i in diff.impacted})
    out = [
        f"{len(datasets)} datasets changed; {len(impacted)} downstream datasets impacted.",
        "The full list is too long for a comment: see the JSON report artifact.",
    ]
    unknown = [c for c in diff.changes if c.category == UNKNOWN]
    if unknown:
        out += ["", f"{_ICON[UNKNOWN]} **Unknown lineage** (files that no longer parse, unresolved names):"]
        out += [f"- `{_name(c)}` {_where(c)} {', '.join(r.code for r in c.reasons)}".rstrip() for c in unknown]
    return out


def _impact_section(diff: LineageDiff, level: str) -> list[str]:
    by_hop: dict[int, list[Impact]] = {}
    for item in diff.impacted:
        by_hop.setdefault(item.hops, []).append(item)
    models = sorted({i.dataset for i in diff.impacted if i.kind == "model"})
    datasets = len({i.dataset for i in diff.impacted})
    columns = sum(1 for i in diff.impacted if i.column)
    summary = f"Impact: {datasets} datasets, {columns} columns"
    if models:
        summary += f", ML models: {', '.join(f'`{m}`' for m in models)}"
    out = ["<details>", f"<summary>{summary}</summary>", ""]
    for hop in sorted(by_hop):
        items = by_hop[hop]
        if level != "full":
            names = sorted({i.dataset for i in items})
            listed = ", ".join(f"`{n}`" for n in names[:MAX_DATASET_ROWS])
            if len(names) > MAX_DATASET_ROWS:
                listed += f" and {len(names) - MAX_DATASET_ROWS} more"
            out.append(f"**{hop} hop{'s' if hop != 1 else ''}:** " + listed)
        else:
            out.append(f"**{hop} hop{'s' if hop != 1 else ''}:**")
            out += [f"- `{_name(i)}` ← {' → '.join(f'`{v}`' for v in i.via)}" for i in items]
        out.append("")
    out.append("</details>")
    out.append("")
    return out


def _mermaid_section(diff: LineageDiff, head: LineageGraph, level: str) -> list[str]:
    if level == "counts":
        return ["_The lineage graph of this change is too large to draw here; see the JSON report._", ""]
    drawing = draw_mermaid_diff(diff, head)
    if drawing.text is None:
        return ["_The lineage graph of this change is too large to draw here; see the JSON report._", ""]
    out = ["<details open>", "<summary>Lineage of the change</summary>", ""]
    if drawing.note:
        out += [f"_{drawing.note}_", ""]
    return [*out, "```mermaid", drawing.text.rstrip(), "```", "", "</details>", ""]


@dataclass(frozen=True)
class MermaidDrawing:
    """A Mermaid graph of a diff (None when even the summary does not fit) and what was summarised."""

    text: str | None
    note: str | None = None


def mermaid_diff(diff: LineageDiff, head: LineageGraph) -> str:
    """Changed datasets, their impacted descendants and one level of parents, coloured by status.

    Within ``MAX_MERMAID_EDGES`` edges and ``MAX_MERMAID_TEXT`` characters: a larger graph is
    summarised (see :func:`draw_mermaid_diff`), never cut."""
    return draw_mermaid_diff(diff, head).text or ""


def draw_mermaid_diff(
    diff: LineageDiff, head: LineageGraph, max_edges: int = MAX_MERMAID_EDGES, max_text: int = MAX_MERMAID_TEXT
) -> MermaidDrawing:
    """The diff's graph, summarised until it fits: first everything; then the changed datasets with
    their parents and impacted descendants up to 2, 1 and 0 hops, the rest collapsed into one
    counted node per status and schema; then fewer changed datasets, groups per status only."""
    status: dict[str, str] = {}
    for change in diff.changes:
        if change.category == COSMETIC:
            continue
        reason = change.reasons[0].code
        new = "added" if reason == "DATASET_ADDED" else "removed" if reason == "DATASET_REMOVED" else "modified"
        status.setdefault(change.dataset, new)
    hops: dict[str, int] = {}
    for item in diff.impacted:
        status.setdefault(item.dataset, "impacted")
        hops[item.dataset] = min(hops.get(item.dataset, item.hops), item.hops)
    changed = sorted(n for n, s in status.items() if s != "impacted")
    parents = {e.source for e in head.edges if e.target in status and e.source not in status}
    for name in parents:
        status.setdefault(name, "upstream")
    everything = set(status)
    edges = sorted({(e.source, e.target) for e in head.edges if e.source in everything and e.target in everything})
    changed_parents = {e.source for e in head.edges if e.target in changed and e.source in parents}

    def fits(text: str) -> bool:
        return len(text) <= max_text and text.count("-->") <= max_edges

    text = _draw(status, edges, everything, _by_schema)
    if fits(text):
        return MermaidDrawing(text)
    for max_hop in (2, 1, 0):
        kept = set(changed) | {n for n, h in hops.items() if h <= max_hop and n not in changed}
        kept |= changed_parents if max_hop >= 1 else set()
        text = _draw(status, edges, kept, _by_schema)
        if fits(text):
            return MermaidDrawing(text, _summary_note(kept, everything, max_hop))
    size = len(changed)
    while size >= 1:
        kept = set(changed[:size])
        text = _draw(status, edges, kept, _by_status)
        if fits(text):
            return MermaidDrawing(text, _summary_note(kept, everything, None))
        size //= 2
    return MermaidDrawing(None)


def _by_schema(name: str, status: str) -> tuple[str, str]:
    schema = name.rsplit(".", 1)[0] if "." in name and "/" not in name else "other"
    return status, schema


def _by_status(name: str, status: str) -> tuple[str, str]:
    return status, ""


def _summary_note(kept: set[str], everything: set[str], max_hop: int | None) -> str:
    hidden = len(everything - kept)
    scope = (
        f"changed datasets, their parents and impacted datasets up to {max_hop} hop{'s' if max_hop != 1 else ''}"
        if max_hop
        else "changed datasets only"
    )
    return (
        f"Graph summarised to fit a comment: {len(kept)} datasets drawn ({scope}); {hidden} more are collapsed "
        "into counted groups. The JSON report has every dataset."
    )


def _draw(
    status: dict[str, str], edges: list[tuple[str, str]], kept: set[str], group: Callable[[str, str], tuple[str, str]]
) -> str:
    """Mermaid of ``kept`` datasets; every other dataset is counted in its group's node."""
    members: dict[tuple[str, str], int] = {}
    node_of: dict[str, str] = {}
    for name in sorted(status):
        if name not in kept:
            members[group(name, status[name])] = members.get(group(name, status[name]), 0) + 1
    group_ids = {key: f"g{i}" for i, key in enumerate(sorted(members))}
    ids = {n: f"n{i}" for i, n in enumerate(sorted(kept))}
    for name in status:
        node_of[name] = ids[name] if name in kept else group_ids[group(name, status[name])]
    lines = ["flowchart LR"]
    for name in sorted(kept):
        lines.append(f'  {ids[name]}["{mermaid_label(name)}"]')
    for key in sorted(members):
        kind, where = key
        what = f"{members[key]} more {kind} dataset{'s' if members[key] != 1 else ''}" + (
            f" in {where}" if where else ""
        )
        lines.append(f'  {group_ids[key]}[["{mermaid_label(what)}"]]')
    pairs = sorted({(node_of[a], node_of[b]) for a, b in edges if node_of[a] != node_of[b]})
    for source, target in pairs:
        lines.append(f"  {source} --> {target}")
    from .styles import CHANGE_STYLE

    for style in ("added", "removed", "modified", "impacted"):
        fill, border, _ = CHANGE_STYLE[style]
        lines.append(f"  classDef {style} fill:{fill},stroke:{border},stroke-width:2px")
    for name in sorted(kept):
        if status[name] in CHANGE_STYLE:
            lines.append(f"  class {ids[name]} {status[name]}")
    for group_key in sorted(members):
        if group_key[0] in CHANGE_STYLE:
            lines.append(f"  class {group_ids[group_key]} {group_key[0]}")
    return "\n".join(lines) + "\n"
