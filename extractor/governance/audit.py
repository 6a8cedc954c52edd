"""The personal-data audit: for each tag, where it was declared, everything it reaches (with status,
path and transformations), what it influences, and the flow-policy verdicts.

Written for a data protection officer (a GDPR Art. 30 record needs the categories of data, the
recipients and the transfers). ``audit_report`` builds a JSON-ready dict (schema:
extractor/schemas/audit.schema.json); the renderers are pure functions of it.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

from .. import json_text
from ..graph import LineageGraph
from ..model import Location
from .policy_flows import FlowRule, FlowVerdict
from .propagate import Governance, Reach, Step
from .tags import Node

FORMAT_VERSION = 1
_STATUS_TEXT = {
    "personal": "personal data",
    "pseudonymised": "pseudonymised (still personal data)",
    "anonymised": "declared anonymised",
}


def _label(node: Node) -> str:
    return node[0] if node[1] is None else f"{node[0]}.{node[1]}"


def _loc(location: Location | None) -> dict[str, Any] | None:
    return None if location is None else {"path": location.path, "line": location.line}


def _step(step: Step) -> dict[str, Any]:
    return {
        "source": _label(step.source),
        "target": _label(step.target),
        "kind": step.kind,
        "subtype": step.subtype,
        "effect": step.effect,
        "transformation": step.transformation,
        "location": _loc(step.location),
    }


def _rule(rule: FlowRule) -> dict[str, Any]:
    return {
        "tag": rule.tag,
        "deny": list(rule.deny),
        "unless": rule.unless,
        "reason": rule.reason,
        "location": {"path": rule.source.path, "line": rule.source.line},
    }


def audit_report(
    graph: LineageGraph, governance: Governance, rules: Iterable[FlowRule], verdicts: Iterable[FlowVerdict],
    only: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The audit as a dict; ``only`` restricts it to one tag."""
    rules, verdicts = list(rules), list(verdicts)
    tags = sorted({t for entry in governance.seeds.values() for t in entry} | set(governance.tags()))
    if only is not None:
        tags = [t for t in tags if t == only]
    sections = []
    for tag in tags:
        reaches = governance.reaches_of(tag)
        origins = [
            {"dataset": node[0], "column": node[1], "declared": {"path": src.path, "line": src.line,
                                                                  "origin": src.origin}}
            for node in sorted(governance.seeds, key=lambda n: (n[0], n[1] or ""))
            for t, src in sorted(governance.seeds[node].items()) if t == tag and node[0] in graph.datasets
        ]  # fmt: skip
        reached = [_reach(graph, r) for r in reaches if r.path]
        tag_verdicts = [v for v in verdicts if v.reach.tag == tag]
        kinds = {r["dataset"]: r["dataset_kind"] for r in reached}
        sections.append({
            "tag": tag,
            "origins": origins,
            "reaches": reached,
            "influences": [
                {"dataset": i.target[0], "column": i.target[1], "source": _label(i.source), "subtype": i.subtype,
                 "transformation": i.transformation, "location": _loc(i.location)}
                for i in governance.influences if i.tag == tag
            ],
            "verdicts": [
                {"dataset": v.reach.node[0], "column": v.reach.node[1], "status": v.reach.status,
                 "verdict": "denied" if v.denied else "allowed", "path": v.path_text(), "rule": _rule(v.rule)}
                for v in tag_verdicts
            ],
            "summary": {
                "datasets": len(kinds),
                "columns": sum(1 for r in reached if r["column"] is not None),
                "files": sum(1 for k in kinds.values() if k == "file"),
                "models": sum(1 for k in kinds.values() if k == "model"),
                "pseudonymised": sum(1 for r in reached if r["status"] == "pseudonymised"),
                "anonymised": sum(1 for r in reached if r["status"] == "anonymised"),
                "denied_flows": sum(1 for v in tag_verdicts if v.denied),
            },
        })  # fmt: skip
    shown = {s["tag"] for s in sections}
    return {
        "format_version": FORMAT_VERSION,
        "tags": sections,
        "policies": [_rule(r) for r in rules if only is None or r.tag == only],
        "summary": {
            "tags": len(sections),
            "denied_flows": sum(1 for v in verdicts if v.denied and v.reach.tag in shown),
            "allowed_flows": sum(1 for v in verdicts if not v.denied and v.reach.tag in shown),
        },
    }


def _reach(graph: LineageGraph, reach: Reach) -> dict[str, Any]:
    ds = graph.datasets.get(reach.node[0])
    return {
        "dataset": reach.node[0],
        "column": reach.node[1],
        "dataset_kind": ds.kind.value if ds else "unknown",
        "status": reach.status,
        "reason": reach.reason,
        "origin": _label(reach.origin),
        "path": [_step(s) for s in reach.path],
    }


def dumps(report: dict[str, Any]) -> str:
    return json_text.dumps(report) + "\n"


def _where(location: dict[str, Any] | None) -> str:
    return "?" if not location else f"{location['path']}:{location['line']}"


def _name(item: dict[str, Any]) -> str:
    return item["dataset"] if item["column"] is None else f"{item['dataset']}.{item['column']}"


def _kind(kind: str) -> str:
    return {"model": "ML model", "file": "file", "view": "view", "dbt_model": "dbt model"}.get(kind, kind)


# -- text -----------------------------------------------------------------------------------------


def render_text(report: dict[str, Any]) -> str:
    s = report["summary"]
    lines = [f"datatrail audit: {s['tags']} tag(s), {s['denied_flows']} denied flow(s), {s['allowed_flows']} allowed"]
    if not report["tags"]:
        lines.append("  no tags declared: see [tool.datatrail.tags] in docs/governance.md")
    for section in report["tags"]:
        t = section["summary"]
        lines += ["", f"Tag {section['tag']}", "  Declared on:"]
        for o in section["origins"]:
            lines.append(f"    {_name(o)}  ({o['declared']['origin']} {_where(o['declared'])})")
        lines.append(
            f"  Reaches {t['columns']} column(s) in {t['datasets']} dataset(s), {t['files']} file(s) and "
            f"{t['models']} ML model(s):"
        )
        for r in section["reaches"]:
            status = _STATUS_TEXT[r["status"]] + (f": {r['reason']}" if r["reason"] else "")
            lines.append(f"    {_name(r)}  [{_kind(r['dataset_kind'])}]  {status}")
            for step in r["path"]:
                lines.append(
                    f"        {step['source']} -> {step['target']}  {step['subtype']}"
                    + (f" ({step['effect']})" if step["effect"] != "carried" else "")
                    + f": {_short(step['transformation'])}  ({_where(step['location'])})"
                )
        if section["influences"]:
            lines.append("  Used without being copied (joins, filters, groupings):")
            for i in section["influences"]:
                lines.append(f"    {_name(i)}  {i['subtype']} on {i['source']}  ({_where(i['location'])})")
        if section["verdicts"]:
            lines.append("  Policy verdicts:")
            for v in section["verdicts"]:
                rule = v["rule"]
                lines.append(
                    f"    {v['verdict'].upper()}  {_name(v)} ({v['status']}): {_policy(rule)}; {rule['reason']}"
                    f"  ({_where(rule['location'])})"
                )
                lines.append(f"        path: {v['path']}")
    return "\n".join(lines) + "\n"


def _policy(rule: dict[str, Any]) -> str:
    unless = f" unless {rule['unless']}" if rule["unless"] else ""
    return f"{rule['tag']} may not flow to {', '.join(rule['deny'])}{unless}"


def _short(text: str, width: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


# -- markdown -------------------------------------------------------------------------------------


def _md(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|").replace("`", "'")


def render_markdown(report: dict[str, Any]) -> str:
    s = report["summary"]
    lines = [
        "# Personal data audit",
        "",
        f"{s['tags']} tag(s); **{s['denied_flows']} denied flow(s)**, {s['allowed_flows']} allowed by policy.",
    ]
    for section in report["tags"]:
        t = section["summary"]
        lines += [
            "", f"## Tag `{section['tag']}`", "",
            f"Reaches {t['columns']} column(s) in {t['datasets']} dataset(s), {t['files']} file(s) and "
            f"{t['models']} ML model(s); {t['pseudonymised']} pseudonymised, {t['anonymised']} declared anonymised.",
            "", "### Where it is declared", "", "| Column | Declared in |", "|---|---|",
        ]  # fmt: skip
        lines += [
            f"| `{_name(o)}` | `{_where(o['declared'])}` ({o['declared']['origin']}) |" for o in section["origins"]
        ]
        lines += [
            "",
            "### Where it goes",
            "",
            "| Reaches | Kind | Status | Path and transformations |",
            "|---|---|---|---|",
        ]
        for r in section["reaches"]:
            status = _STATUS_TEXT[r["status"]] + (f": {_md(r['reason'])}" if r["reason"] else "")
            path = "<br>".join(
                f"`{_md(st['subtype'])}` `{_md(_short(st['transformation'], 80))}` at `{_where(st['location'])}`"
                for st in r["path"]
            )
            lines.append(f"| `{_name(r)}` | {_kind(r['dataset_kind'])} | {status} | {path} |")
        if section["influences"]:
            lines += ["", "### Used without being copied", "", "| Dataset | How | Where |", "|---|---|---|"]
            lines += [
                f"| `{_name(i)}` | {i['subtype']} on `{i['source']}` | `{_where(i['location'])}` |"
                for i in section["influences"]
            ]
        if section["verdicts"]:
            lines += [
                "",
                "### Policy verdicts",
                "",
                "| Verdict | Sink | Status | Policy | Path |",
                "|---|---|---|---|---|",
            ]
            for v in section["verdicts"]:
                mark = "❌ denied" if v["verdict"] == "denied" else "✅ allowed"
                lines.append(
                    f"| {mark} | `{_name(v)}` | {v['status']} | "
                    f"{_md(_policy(v['rule']))}: {_md(v['rule']['reason'])} | {_md(v['path'])} |"
                )
    return "\n".join(lines) + "\n"


# -- html -----------------------------------------------------------------------------------------


def render_html(report: dict[str, Any]) -> str:
    """A self-contained page (no scripts, no external resources)."""
    e = html.escape
    s = report["summary"]
    out = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8"><title>Personal data audit</title>',
        "<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;"
        "margin:1em 0}td,th{border:1px solid #cbd5e1;padding:4px 8px;text-align:left;vertical-align:top}"
        "code{font-size:90%}.denied{color:#b91c1c;font-weight:bold}.allowed{color:#15803d}</style></head><body>",
        "<h1>Personal data audit</h1>",
        f"<p>{s['tags']} tag(s); <span class=\"denied\">{s['denied_flows']} denied flow(s)</span>, "
        f"{s['allowed_flows']} allowed by policy.</p>",
    ]  # fmt: skip
    for section in report["tags"]:
        t = section["summary"]
        out.append(f"<h2>Tag <code>{e(section['tag'])}</code></h2>")
        out.append(
            f"<p>Reaches {t['columns']} column(s) in {t['datasets']} dataset(s), {t['files']} file(s) and "
            f"{t['models']} ML model(s).</p>"
        )
        out.append("<h3>Where it is declared</h3><table><tr><th>Column</th><th>Declared in</th></tr>")
        for o in section["origins"]:
            out.append(f"<tr><td><code>{e(_name(o))}</code></td><td><code>{e(_where(o['declared']))}</code> "
                       f"({e(o['declared']['origin'])})</td></tr>")  # fmt: skip
        out.append("</table><h3>Where it goes</h3><table><tr><th>Reaches</th><th>Kind</th><th>Status</th>"
                   "<th>Path and transformations</th></tr>")  # fmt: skip
        for r in section["reaches"]:
            status = _STATUS_TEXT[r["status"]] + (f": {r['reason']}" if r["reason"] else "")
            path = "<br>".join(
                f"{e(st['subtype'])} <code>{e(_short(st['transformation'], 80))}</code> at "
                f"<code>{e(_where(st['location']))}</code>"
                for st in r["path"]
            )
            out.append(f"<tr><td><code>{e(_name(r))}</code></td><td>{e(_kind(r['dataset_kind']))}</td>"
                       f"<td>{e(status)}</td><td>{path}</td></tr>")  # fmt: skip
        out.append("</table>")
        if section["influences"]:
            out.append("<h3>Used without being copied</h3><table><tr><th>Dataset</th><th>How</th><th>Where</th></tr>")
            for i in section["influences"]:
                out.append(
                    f"<tr><td><code>{e(_name(i))}</code></td><td>{e(i['subtype'])} on <code>{e(i['source'])}</code>"
                    f"</td><td><code>{e(_where(i['location']))}</code></td></tr>"
                )
            out.append("</table>")
        if section["verdicts"]:
            out.append("<h3>Policy verdicts</h3><table><tr><th>Verdict</th><th>Sink</th><th>Status</th>"
                       "<th>Policy</th><th>Path</th></tr>")  # fmt: skip
            for v in section["verdicts"]:
                out.append(
                    f'<tr><td class="{v["verdict"]}">{v["verdict"]}</td><td><code>{e(_name(v))}</code></td>'
                    f"<td>{e(v['status'])}</td><td>{e(_policy(v['rule']))}: {e(v['rule']['reason'])}</td>"
                    f"<td>{e(v['path'])}</td></tr>"
                )
            out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


RENDERERS = {"text": render_text, "json": dumps, "markdown": render_markdown, "html": render_html}
