"""Size limits in reports are handled by summarising, never by silent truncation."""

from __future__ import annotations

import re

import yaml

from extractor.diff import COLUMN, UNKNOWN, Change, Impact, LineageDiff, Reason
from extractor.graph import Job, LineageGraph
from extractor.model import Location
from extractor.render.diff_report import MAX_MERMAID_EDGES, draw_mermaid_diff, render_markdown

from .conftest import REPO


def _wide_graph(fanout: int) -> tuple[LineageDiff, LineageGraph]:
    """One changed dataset feeding ``fanout`` marts, each feeding a report; plus noise upstream."""
    head = LineageGraph()
    head.add_job(Job("j", "sql", "x.sql"))
    head.add_flow("raw.orders", "staging.orders", "j")
    impacted = []
    for i in range(fanout):
        head.add_flow("staging.orders", f"mart.m{i:04d}", "j")
        head.add_flow(f"mart.m{i:04d}", f"report.r{i:04d}", "j")
        impacted.append(Impact(f"mart.m{i:04d}", None, ("staging.orders", f"mart.m{i:04d}")))
        impacted.append(Impact(f"report.r{i:04d}", None, ("staging.orders", f"mart.m{i:04d}", f"report.r{i:04d}")))
    change = Change("staging.orders", "amount", COLUMN, (Reason("TRANSFORMATION_CHANGED", "a", "b"),))
    return LineageDiff("main", "HEAD", [change], impacted), head


def _edges(text: str) -> list[tuple[str, str]]:
    return re.findall(r"^  (\w+) --> (\w+)$", text, flags=re.MULTILINE)


def test_a_small_graph_is_drawn_whole() -> None:
    diff, head = _wide_graph(10)
    drawing = draw_mermaid_diff(diff, head)
    assert drawing.note is None and drawing.text is not None
    assert len(_edges(drawing.text)) == 1 + 10 + 10


def test_a_graph_over_500_edges_is_summarised_around_the_change() -> None:
    diff, head = _wide_graph(400)  # 801 edges in full
    drawing = draw_mermaid_diff(diff, head)
    assert drawing.text is not None and drawing.note is not None
    assert len(_edges(drawing.text)) <= MAX_MERMAID_EDGES and len(drawing.text) <= 50_000
    assert '["staging.orders"]' in drawing.text  # the changed dataset keeps its node and its edges
    changed_id = re.search(r'^  (\w+)\["staging.orders"\]', drawing.text, flags=re.MULTILINE)
    assert changed_id is not None
    assert any(changed_id.group(1) in edge for edge in _edges(drawing.text))
    assert re.search(r'\[\["\d+ more impacted datasets in report"\]\]', drawing.text)
    assert "collapsed into counted groups" in drawing.note


def test_the_comment_says_the_graph_was_summarised() -> None:
    diff, head = _wide_graph(400)
    text = render_markdown(diff, head)
    assert "Graph summarised to fit a comment" in text
    assert "```mermaid" in text


def test_collapsed_markdown_never_hides_unknown_rows() -> None:
    changes = [
        Change(f"mart.t{i:04d}", f"c{j}", COLUMN, (Reason("TRANSFORMATION_CHANGED", "a" * 90, "b" * 90),),
               "a" * 90, "b" * 90, Location(f"sql/t{i:04d}.sql", 1))
        for i in range(400) for j in range(3)
    ] + [
        Change(f"zzz.broken{i}", None, UNKNOWN, (Reason("PARSE_ERROR", None, "DT100 bad"),),
               location=Location(f"sql/zzz{i}.sql", 3))
        for i in range(3)
    ]  # fmt: skip
    text = render_markdown(LineageDiff("main", "HEAD", changes, []), None)
    assert "more datasets not shown" in text
    for i in range(3):
        assert f"`zzz.broken{i}`" in text


def test_the_action_policy_step_prints_its_findings() -> None:
    action = yaml.safe_load((REPO / "action.yml").read_text())
    (policy,) = [step for step in action["runs"]["steps"] if step.get("name") == "Policy"]
    assert "datatrail diff" in policy["run"]
    assert "/dev/null" not in policy["run"]
