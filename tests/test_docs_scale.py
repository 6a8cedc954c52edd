"""Diagrams and docs that stay readable on large repositories: wrapped layouts, the map of groups,
deterministic docs that do not churn on line shifts, and pages kept when a file stops parsing."""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from extractor.cli import EXIT_OK, main
from extractor.config import load_config
from extractor.docs_site import DocsOptions, build_docs
from extractor.errors import RenderError
from extractor.graph import Job, LineageGraph
from extractor.model import ColumnEdge, ColumnRef, Subtype
from extractor.render.explorer import column_trace, explorer_data
from extractor.render.groups import group_map
from extractor.render.layout import layered_layout, ranks
from extractor.render.mermaid import render_mermaid
from extractor.scan import scan

from .conftest import EXAMPLE, REPO, needs_dot

COLUMNS = ["id", "amount", "status"]


def chained_graph(schemas: int, tables: int) -> LineageGraph:
    """``schemas`` schemas of ``tables`` chained tables; each schema's head reads the previous tail."""
    g = LineageGraph()
    previous = None
    for s in range(schemas):
        for t in range(tables):
            name = f"s{s:02d}.t{t:03d}"
            g.dataset(name).add_columns(COLUMNS)
            if previous is not None:
                job = g.add_job(Job(f"models/s{s:02d}/t{t:03d}.sql:{name}", "sql", f"models/s{s:02d}/t{t:03d}.sql"))
                g.add_flow(previous, name, job.name)
                for c in COLUMNS:
                    edge = ColumnEdge(
                        ColumnRef(previous, c), ColumnRef(name, c), Subtype.IDENTITY, f"{previous}.{c}", c
                    )
                    g.add_column_edge(edge, job.name)
            previous = name
    return g


def svg_size(data: bytes) -> tuple[float, float]:
    root = ET.fromstring(data)
    return float(root.attrib["width"]), float(root.attrib["height"])


def test_ranks_share_a_rank_inside_a_cycle() -> None:
    assert ranks("abcd", [("a", "b"), ("b", "c"), ("c", "b"), ("c", "d")]) == {"a": 0, "b": 1, "c": 1, "d": 2}


def test_a_long_chain_wraps_into_bands_instead_of_one_strip() -> None:
    sizes = {f"n{i:03d}": (150.0, 30.0) for i in range(100)}
    layout = layered_layout(sizes, [(f"n{i:03d}", f"n{i + 1:03d}") for i in range(99)], max_width=1800)
    assert layout.width <= 1800
    assert 300 < layout.height < 1800  # several bands, not 100 ranks side by side or one tall column
    xs = {b.x for b in layout.boxes.values()}
    assert len(xs) > 5  # uses the width
    # Boxes never overlap.
    boxes = sorted(layout.boxes.values(), key=lambda b: (b.y, b.x))
    for a, b in itertools.pairwise(boxes):
        assert not (a.x < b.x + b.w and b.x < a.x + a.w and a.y < b.y + b.h and b.y < a.y + a.h)


def test_a_wide_rank_is_split_into_columns() -> None:
    sizes = {f"src{i:02d}": (120.0, 40.0) for i in range(60)}
    layout = layered_layout(sizes, [], max_width=1800, max_column_height=600)
    assert layout.height <= 600 + 2 * 16
    assert len({b.x for b in layout.boxes.values()}) >= 4


def test_group_map_counts_datasets_and_weighs_edges() -> None:
    gmap = group_map(chained_graph(3, 5), "schema")
    assert {g: len(m) for g, m in gmap.members.items()} == {"s00": 5, "s01": 5, "s02": 5}
    assert gmap.weights == {("s00", "s01"): 1, ("s01", "s02"): 1}


def test_large_docs_draw_a_map_and_every_svg_fits_a_screen() -> None:
    graph = chained_graph(12, 40)
    files = build_docs(graph, DocsOptions(images=True, max_datasets=100))
    index = files["index.md"].decode()
    assert "480 datasets in 12 groups (by schema)" in index
    assert "- [s03](schemas/s03.md): 40 datasets" in index
    assert "## Datasets" not in index  # 480 rows would not fit a screen; group pages list them
    overview = files["overview.svg"].decode()
    assert ">s05<" in overview and "40 datasets" in overview
    assert "../models/s00.t001.md" in files["schemas/s00.md"].decode()
    svgs = [p for p in files if p.endswith(".svg")]
    assert len(svgs) == 1 + 12 + 480  # overview, groups, every dataset (sources too)
    for path in svgs:
        width, height = svg_size(files[path])
        assert max(width, height) <= 4000, path
        if path.startswith("schemas/"):
            assert width <= 1900 and height <= 1200, (path, width, height)  # one screen at 100%
    source = files["models/s00.t000.md"].decode()
    assert "Upstream: none." in source and "| `amount` | — |" in source
    page = files["models/s01.t005.md"].decode()
    assert "Upstream: `s01.t004`." in page and "Downstream: `s01.t006`." in page
    assert not any(p.endswith(".dot") for p in files)  # no Graphviz needed at this size


def test_small_docs_keep_the_full_overview() -> None:
    files = build_docs(chained_graph(2, 3), DocsOptions(images=False, max_datasets=150))
    index = files["index.md"].decode()
    assert "## Datasets" in index and "```mermaid" in index and "groups (by" not in index


def test_model_pages_have_no_line_numbers_and_sorted_sources(tmp_path: Path) -> None:
    graph = scan([EXAMPLE / "sql", EXAMPLE / "pipelines"], load_config(EXAMPLE))
    files = build_docs(graph, DocsOptions(images=False))
    for path, data in files.items():
        if path.endswith(".md"):
            assert not re.search(r"\.(sql|py):\d", data.decode()), path
            assert " line " not in data.decode(), path
    page = files["models/features.customer_features.md"].decode()
    row = next(line for line in page.splitlines() if line.startswith("| `lifetime_orders` |"))
    sources = re.findall(r"`([^`]+)` \((\w+)\)", row.split("|")[2])
    assert sources == sorted(sources)


def _docs_bytes(root: Path, out: Path, seed: str, *extra: str) -> dict[str, bytes]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    subprocess.run(
        [sys.executable, "-m", "extractor.cli", "docs", str(out), str(root), "--no-cache", *extra],
        env=env, check=True, capture_output=True, cwd=REPO,
    )  # fmt: skip
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(
    "extra", [("--no-images",), ("--no-images", "--max-datasets", "5"), ("--images", "--max-datasets", "5")]
)
def test_docs_are_identical_under_different_hash_seeds(tmp_path: Path, extra: tuple[str, ...]) -> None:
    first = _docs_bytes(EXAMPLE, tmp_path / "a", "1", *extra)
    second = _docs_bytes(EXAMPLE, tmp_path / "b", "4242", *extra)
    assert len(first) >= 20
    assert first == second


def test_moving_code_does_not_churn_docs(example_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "docs"
    assert main(["docs", str(out), str(example_copy), "--no-images"]) == EXIT_OK
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    for sql in (example_copy / "sql").rglob("*.sql"):
        sql.write_text("-- moved down\n\n\n" + sql.read_text())
    assert main(["docs", str(out), str(example_copy), "--no-images", "--check"]) == EXIT_OK
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_a_file_that_stops_parsing_keeps_its_pages(
    example_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "docs"
    assert main(["docs", str(out), str(example_copy), "--no-images"]) == EXIT_OK
    page = out / "models" / "marts.dim_customers.md"
    kept = page.read_bytes()
    broken = example_copy / "sql" / "marts" / "dim_customers.sql"
    good = broken.read_text()
    broken.write_text("CREATE TABLE marts.dim_customers AS SELECT ( FROM WHERE ;;\n")
    main(["docs", str(out), str(example_copy), "--no-images"])
    assert page.read_bytes() == kept
    assert "models/marts.dim_customers.md\tsql/marts/dim_customers.sql" in (out / ".datatrail-docs").read_text()
    capsys.readouterr()
    main(["docs", str(out), str(example_copy), "--no-images", "--check"])
    assert "marts.dim_customers.md" not in capsys.readouterr().out
    # Fixed again: regenerated normally; deleted for real: the page goes.
    broken.write_text(good)
    assert main(["docs", str(out), str(example_copy), "--no-images"]) == EXIT_OK
    assert page.read_bytes() == kept
    broken.unlink()
    assert main(["docs", str(out), str(example_copy), "--no-images"]) == EXIT_OK
    assert not page.exists()


def test_docs_link_sources_inside_the_repository(example_copy: Path) -> None:
    out = example_copy / "docs" / "lineage"
    assert main(["docs", str(out), str(example_copy), "--no-images"]) == EXIT_OK
    page = (out / "models" / "marts.dim_customers.md").read_text()
    assert "Defined in [`sql/marts/dim_customers.sql`](../../../sql/marts/dim_customers.sql)." in page
    assert (out / "models" / "../../../sql/marts/dim_customers.sql").resolve().exists()


def test_column_trace_of_the_training_input_age() -> None:
    graph = scan([EXAMPLE / "sql", EXAMPLE / "pipelines"], load_config(EXAMPLE))
    trace = column_trace(graph, "ml.training_input", "age_years")
    direct_up = {k for k, v in trace.upstream.items() if v == "direct"}
    assert direct_up == {
        ("features.customer_features", "age_years"), ("marts.dim_customers", "age_years"),
        ("staging.stg_customers", "age_years"), ("raw.customers", "birth_date"),
    }  # fmt: skip
    # Joins and filters on the way are indirect influences, kept apart from the value flow.
    assert trace.upstream[("marts.fct_orders", "customer_id")] == "indirect"
    assert trace.downstream[("/data/exports/training_input.csv", "age_years")] == "direct"
    assert trace.downstream[("models/churn_model.joblib", "age_years")] == "direct"


def test_column_level_mermaid_draws_columns_or_says_why_not() -> None:
    text = render_mermaid(chained_graph(1, 3), level="column")
    assert 'subgraph n0["▦ s00.t000"]' in text
    assert '    n0c1["amount"]' in text
    assert "  n0c1 --> n1c1" in text
    assert text != render_mermaid(chained_graph(1, 3))
    with pytest.raises(RenderError, match="maxEdges"):
        render_mermaid(chained_graph(1, 200), level="column")


def test_render_draws_the_map_above_max_datasets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "map.mmd"
    assert main(["render", str(EXAMPLE), "-o", str(out), "--max-datasets", "5"]) == EXIT_OK
    assert "drew the map of 8 groups" in capsys.readouterr().err
    text = out.read_text()
    assert text.startswith("flowchart LR") and '["raw (5)"]' in text and "-->|4|" in text


def test_explorer_page_is_self_contained_and_small(tmp_path: Path) -> None:
    out = tmp_path / "shop.html"
    assert main(["render", str(EXAMPLE), "-o", str(out)]) == EXIT_OK
    page = out.read_text()
    assert "<script src" not in page and "<link" not in page and "@import" not in page
    assert not re.search(r"(src|href)=\"https?:", page)
    assert 'id="datatrail-data"' in page and "window.datatrail" in page
    data = explorer_data(chained_graph(50, 100))
    assert len(data["datasets"]) == 5000  # type: ignore[arg-type]
    import json

    assert len(json.dumps(data, separators=(",", ":"))) < 10_000_000


def test_progress_is_silent_off_a_terminal_unless_asked(tmp_path: Path) -> None:
    env = {**os.environ}
    args = [sys.executable, "-m", "extractor.cli", "render", str(EXAMPLE), "-o", str(tmp_path / "x.dot")]
    quiet = subprocess.run(args, env=env, capture_output=True, text=True, check=True)
    assert quiet.stderr == ""
    loud = subprocess.run([*args, "--progress"], env=env, capture_output=True, text=True, check=True)
    assert "datatrail: scanning: 10/10 (" in loud.stderr and "\x1b[" not in loud.stderr
    assert "datatrail: drawing 15 datasets: 1/1" in loud.stderr


def test_docs_settings_from_config(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(EXAMPLE, root)
    (root / "pyproject.toml").write_text(
        (EXAMPLE / "pyproject.toml").read_text() + '\n[tool.datatrail.docs]\nmax_datasets = 4\ngroup_by = "layer"\n'
    )
    out = tmp_path / "docs"
    assert main(["docs", str(out), str(root), "--no-images"]) == EXIT_OK
    assert "groups (by layer)" in (out / "index.md").read_text()
    assert (out / "groups" / "sql_staging.md").exists()
    (root / "pyproject.toml").write_text(
        (EXAMPLE / "pyproject.toml").read_text() + "\n[tool.datatrail.docs]\nmax_datasets = -1\n"
    )
    assert main(["docs", str(out), str(root), "--no-images"]) == 2


def test_explorer_page_is_identical_under_different_hash_seeds(tmp_path: Path) -> None:
    pages = []
    for seed in ("3", "977"):
        out = tmp_path / f"{seed}.html"
        subprocess.run(
            [sys.executable, "-m", "extractor.cli", "render", str(EXAMPLE), "-o", str(out), "--no-cache"],
            env={**os.environ, "PYTHONHASHSEED": seed}, check=True, capture_output=True,
        )  # fmt: skip
        pages.append(out.read_bytes())
    assert pages[0] == pages[1]


def test_explorer_shows_the_diff_overlay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from .gitrepo import GitRepo

    repo = GitRepo(tmp_path / "shop")
    repo.copy_tree(EXAMPLE)
    repo.commit("base")
    repo.replace("sql/staging/stg_customers.sql", "DATE_PART('year', AGE(", "DATE_PART('month', AGE(")
    monkeypatch.chdir(repo.root)
    out = tmp_path / "diff.html"
    assert main(["render", "--diff", "HEAD", "-o", str(out)]) == EXIT_OK
    page = out.read_text()
    start = page.index('id="datatrail-data">') + len('id="datatrail-data">')
    import json

    data = json.loads(page[start : page.index("</script>", start)])
    stg = next(d for d in data["datasets"] if d["n"] == "staging.stg_customers")
    assert stg["st"] == "modified" and stg["cst"] == {"age_years": "modified"}
    assert "TRANSFORMATION_CHANGED" in stg["tip"]["age_years"]
    training = next(d for d in data["datasets"] if d["n"] == "ml.training_input")
    assert training["cst"]["age_years"] == "impacted"


def test_a_group_larger_than_the_limit_is_drawn_in_parts_that_fit() -> None:
    files = build_docs(chained_graph(2, 400), DocsOptions(images=True, max_datasets=150))
    page = files["schemas/s00.md"].decode()
    assert "![s00](s00.svg)" in page and "![s00-3](s00-3.svg)" in page and "s00-4.svg" not in page
    assert "part 2 of 3" in files["schemas/s00-2.svg"].decode()
    for path in ("schemas/s00.svg", "schemas/s00-2.svg", "schemas/s00-3.svg"):
        width, height = svg_size(files[path])
        assert width <= 1900 and height <= 1200, (path, width, height)
    assert "s00.t150" in files["schemas/s00-2.svg"].decode()  # parts follow the flow


def test_render_wraps_a_graph_graphviz_would_draw_as_one_strip(tmp_path: Path) -> None:
    lines = ["CREATE TABLE raw.t000 (id INT, amount INT);"]
    lines += [f"CREATE TABLE chain.t{i:03d} AS SELECT id, amount FROM chain.t{i - 1:03d};" for i in range(2, 61)]
    lines.insert(1, "CREATE TABLE chain.t001 AS SELECT id, amount FROM raw.t000;")
    (tmp_path / "chain.sql").write_text("\n".join(lines) + "\n")
    out = tmp_path / "chain.svg"
    assert main(["render", str(tmp_path / "chain.sql"), "-o", str(out)]) == EXIT_OK
    width, height = svg_size(out.read_bytes())
    assert width <= 1900 and height <= 4000
    assert "chain.t060" in out.read_text() and "Graphviz" not in out.read_text()


def test_wrapped_svg_shows_changed_and_impacted_columns() -> None:
    from extractor.render.svg import dataset_diagram, draw_svg

    graph = chained_graph(1, 3)
    status = {"s00.t001": "modified", "s00.t001.amount": "modified", "s00.t002.amount": "impacted"}
    tips = {"s00.t001.amount": "TRANSFORMATION_CHANGED: a -> b"}
    svg = draw_svg(*dataset_diagram(graph, "column", status=status, tooltips=tips))
    ET.fromstring(svg)
    assert "<title>TRANSFORMATION_CHANGED: a -&gt; b</title>" in svg
    assert svg.count('fill="#fecaca"') >= 2 and 'fill="#fef3c7"' in svg  # header + row changed, row impacted
    assert 'stroke="#dc2626" stroke-width="3.0"' in svg  # the edge into the changed column


def test_progress_reporter_lines() -> None:
    import io

    from extractor.progress import progress, wanted

    stream = io.StringIO()
    assert wanted(None, stream) is False and wanted(True, stream) is True
    with progress(True, stream) as reporter:
        reporter.step("scanning", 2)
        for path in ("a.sql", "b.sql", "c.sql"):  # one more than announced: counted without a total
            reporter.advance(path)
        reporter.step("writing pages", 4)
        reporter.update(4, 4)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("datatrail: scanning: 0/2 (")
    assert any(line.startswith("datatrail: scanning: 3 (") for line in lines)
    assert lines[-1].startswith("datatrail: writing pages: 4/4 (")
    silent = io.StringIO()
    with progress(False, silent) as reporter:
        reporter.step("scanning", 1)
        reporter.advance()
    assert silent.getvalue() == ""


@needs_dot
def test_small_docs_wrap_a_chain_graphviz_would_draw_as_one_strip(tmp_path: Path) -> None:
    files = build_docs(chained_graph(1, 60), DocsOptions(images=True, max_datasets=150))
    assert "## Datasets" in files["index.md"].decode()  # below the limit: the full overview
    for path in ("overview.svg", "schemas/s00.svg"):
        width, height = svg_size(files[path])
        assert max(width, height) <= 4000, (path, width, height)
    assert b"<!-- Title" not in files["overview.svg"]  # drawn wrapped, not by Graphviz
    assert b"<!-- Title" in files["models/s00.t030.svg"]  # a small neighbourhood: still Graphviz


def test_render_map_svg_fits_a_screen(tmp_path: Path) -> None:
    out = tmp_path / "map.svg"
    assert main(["render", str(EXAMPLE), "-o", str(out), "--max-datasets", "5"]) == EXIT_OK
    width, height = svg_size(out.read_bytes())
    assert width <= 1900 and height <= 1200
    assert ">raw<" in out.read_text() and "5 datasets" in out.read_text()
