"""Diagrams: golden DOT and Mermaid, valid SVG with the flagged change, hostile names, docs --check."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from extractor.cli import EXIT_FINDINGS, EXIT_OK, main
from extractor.config import Config
from extractor.graph import Dataset, Job, LineageGraph
from extractor.model import ColumnEdge, ColumnRef, DatasetKind, Subtype
from extractor.render.dot import DotOptions, render_dot
from extractor.render.mermaid import render_mermaid
from extractor.render.select import collapse_schemas, focus
from extractor.scan import scan

from .conftest import EXAMPLE, REPO, needs_dot
from .gitrepo import GitRepo

FIXTURES = REPO / "fixtures" / "render"


def small_graph() -> LineageGraph:
    return scan([FIXTURES / "small.sql"], Config(root=FIXTURES))


def test_golden_dot() -> None:
    assert render_dot(small_graph(), DotOptions(legend=False)) == (FIXTURES / "small.expected.dot").read_text()


def test_golden_mermaid() -> None:
    assert render_mermaid(small_graph()) == (FIXTURES / "small.expected.mmd").read_text()


def hostile_graph() -> LineageGraph:
    g = LineageGraph()
    names = ['s."quoted"', "s.a<b>&c", "s.end", "x" * 300]
    for n in names:
        g.datasets[n] = Dataset(n, DatasetKind.TABLE, ["end", 'col"q', "<tag>", "graph"])
    g.add_job(Job("j", "sql", "f.sql"))
    g.add_flow(names[0], names[1], "j")
    g.add_flow(names[1], names[2], "j")
    g.add_flow(names[2], names[3], "j")
    g.add_column_edge(
        ColumnEdge(ColumnRef(names[0], "end"), ColumnRef(names[1], "<tag>"), Subtype.IDENTITY, "t", "f"), "j"
    )
    return g


def test_hostile_names_are_escaped_in_dot() -> None:
    dot = render_dot(hostile_graph())
    assert "<B>s.a&lt;b&gt;&amp;c</B>" in dot  # HTML-like labels are escaped
    assert 'tooltip="table: s.a<b>&c"' in dot  # quoted DOT strings need no HTML escaping
    assert "&lt;tag&gt;" in dot and "col&quot;q" in dot
    assert f"<B>{'x' * 300}</B>" not in dot and "…" in dot  # very long names are shortened in labels


def test_hostile_names_are_safe_in_mermaid() -> None:
    text = render_mermaid(hostile_graph())
    node_lines = [line for line in text.splitlines() if line.strip().startswith("n") and "[" in line]
    for line in node_lines:
        label = line.split("[", 1)[1]
        assert '"' not in label.strip('[]/"()') or "#quot;" in label
        assert "<" not in label and ">" not in label.replace("-->", "")
    # Node ids are generated, so a dataset called ``end`` can never close a block.
    assert all(line.split("[")[0].strip().startswith("n") for line in node_lines)


@needs_dot
def test_hostile_names_render_to_valid_svg(tmp_path: Path) -> None:
    from extractor.render.image import render_image

    svg = render_image(render_dot(hostile_graph()), "svg")
    ET.fromstring(svg)


def test_focus_and_collapse() -> None:
    graph = scan([EXAMPLE], Config(root=EXAMPLE))
    near = focus(graph, "features.customer_features", 1, 1)
    assert set(near.datasets) == {
        "features.customer_features", "marts.dim_customers", "marts.fct_orders", "raw.web_sessions", "labels",
        "ml.training_input",
    }  # fmt: skip
    collapsed = collapse_schemas(graph, ["raw", "staging"])
    assert "raw.*" in collapsed.datasets and "staging.*" in collapsed.datasets
    assert "raw.orders" not in collapsed.datasets
    assert ("raw.*", "staging.*") in {(e.source, e.target) for e in collapsed.edges}


def test_render_is_deterministic(tmp_path: Path) -> None:
    a, b = tmp_path / "a.dot", tmp_path / "b.dot"
    assert main(["render", str(EXAMPLE), "-o", str(a)]) == EXIT_OK
    assert main(["render", str(EXAMPLE), "-o", str(b)]) == EXIT_OK
    assert a.read_bytes() == b.read_bytes()


@needs_dot
def test_diff_overlay_svg_shows_the_changed_transformation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepo(tmp_path / "shop")
    repo.copy_tree(EXAMPLE)
    repo.commit("base")
    repo.replace("sql/staging/stg_customers.sql", "DATE_PART('year', AGE(", "DATE_PART('month', AGE(")
    monkeypatch.chdir(repo.root)
    out = tmp_path / "diff.svg"
    assert main(["render", "--diff", "HEAD", "-o", str(out)]) == EXIT_OK
    svg = out.read_text()
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert ">age_years &#160;◀ changed<" in svg
    assert "TRANSFORMATION_CHANGED" in svg  # the tooltip names the reason, old and new expressions
    assert "#fef3c7" in svg  # impacted downstream shading


def test_docs_and_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "docs"
    assert main(["docs", str(out), str(EXAMPLE), "--no-images"]) == EXIT_OK
    index = (out / "index.md").read_text()
    assert "# Data architecture" in index and "```mermaid" in index
    assert "[`ml.training_input`](models/ml.training_input.md)" in index
    page = (out / "models" / "ml.training_input.md").read_text()
    assert "| `age_years` | `features.customer_features.age_years` (identity)" in page
    assert main(["docs", str(out), str(EXAMPLE), "--no-images", "--check"]) == EXIT_OK
    (out / "index.md").write_text(index + "\nedited by hand\n")
    (out / "overview.dot").unlink()
    capsys.readouterr()
    assert main(["docs", str(out), str(EXAMPLE), "--no-images", "--check"]) == EXIT_FINDINGS
    stale = capsys.readouterr().out
    assert "index.md: stale" in stale and "overview.dot: stale" in stale


@needs_dot
def test_docs_embed_svgs(tmp_path: Path) -> None:
    out = tmp_path / "docs"
    assert main(["docs", str(out), str(EXAMPLE), "--images"]) == EXIT_OK
    assert "![overview](overview.svg)" in (out / "index.md").read_text()
    ET.fromstring((out / "overview.svg").read_bytes())
