"""Benchmark: `datatrail docs` and `render --format html` on a generated 5,000-dataset repository.

    python benchmarks/docs_scale.py [--schemas 50] [--tables 100] [--keep DIR]

Generates ``schemas`` schemas of ``tables`` chained tables (one SQL file per table, 6 columns,
each schema's first table reading the previous schema's last), then runs ``datatrail docs`` and
``datatrail render --format html`` as a user would and prints: wall time, the largest side of any
generated SVG, and the size of the HTML page. Needs Graphviz's ``dot`` only below the overview
threshold (not at this size).
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COLUMNS = ["id", "customer_id", "amount", "status", "created_at", "score"]


def generate(root: Path, schemas: int, tables: int) -> None:
    (root / "pyproject.toml").write_text('[tool.datatrail]\ndialect = "postgres"\n')
    cols = ", ".join(f"{c} VARCHAR" for c in COLUMNS)
    (root / "raw.sql").write_text(f"CREATE TABLE raw.orders ({cols});\n")
    for s in range(schemas):
        folder = root / "models" / f"s{s:02d}"
        folder.mkdir(parents=True)
        for t in range(tables):
            source = f"s{s:02d}.t{t - 1:03d}" if t else f"s{s - 1:02d}.t{tables - 1:03d}" if s else "raw.orders"
            select = ", ".join(c if k % 2 else f"COALESCE({c}, {c}) AS {c}" for k, c in enumerate(COLUMNS))
            sql = f"CREATE TABLE s{s:02d}.t{t:03d} AS\nSELECT {select}\nFROM {source}\nWHERE amount > 0;\n"
            (folder / f"t{t:03d}.sql").write_text(sql)


def max_svg_side(folder: Path) -> tuple[int, str]:
    worst, where = 0, ""
    for svg in folder.rglob("*.svg"):
        head = svg.read_text(encoding="utf-8", errors="replace")[:2000]
        found = re.search(r'width="([\d.]+)(?:pt|px)?" height="([\d.]+)(?:pt|px)?"', head)
        if found:
            side = int(max(float(found.group(1)), float(found.group(2))))
            if side > worst:
                worst, where = side, str(svg.relative_to(folder))
    return worst, where


def run(args: list[str], cwd: Path) -> str:
    """Wall time and CPU time (user + system) of one datatrail command; CPU time is what to compare
    on a shared machine, where wall time depends on the other load."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "extractor.cli", *args], cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return f"{wall:6.1f} s wall, {cpu:6.1f} s CPU"


PAN = """async () => { const t = [];
  for (let i = 0; i < 30; i++) { datatrail.panBy(9, 4);
    await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0))); t.push(datatrail.lastFrameMs); }
  return Math.max(...t); }"""


def browser_figures(page_path: Path) -> None:
    """Load time and the slowest pan frame in headless Chromium, when chromium and Playwright exist."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("explorer in a browser: skipped (no chromium binary)")
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1500, "height": 900})
        started = time.perf_counter()
        page.goto(page_path.as_uri())
        page.wait_for_selector("body[data-ready='1']", timeout=60_000)
        loaded = time.perf_counter() - started
        frames = {}
        for label, zoom in (
            ("fit", "datatrail.fit()"),
            ("zoom 1", "datatrail.zoomAt(1 / datatrail.view.scale, 700, 400)"),
        ):
            page.evaluate(zoom)
            frames[label] = page.evaluate(PAN)
        browser.close()
    slowest = ", ".join(f"{k} {v:.0f} ms" for k, v in frames.items())
    print(f"explorer in chromium:  loaded in {loaded:.2f} s; slowest of 30 pan frames: {slowest}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schemas", type=int, default=50)
    parser.add_argument("--tables", type=int, default=100)
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        generate(root, args.schemas, args.tables)
        print(f"repository: {args.schemas} schemas x {args.tables} chained tables, one file each")
        docs_s = run(["docs", "out/docs", ".", "--no-cache"], root)
        files = [p for p in (root / "out" / "docs").rglob("*") if p.is_file()]
        side, where = max_svg_side(root / "out" / "docs")
        print(f"docs (cold, no cache): {docs_s}, {len(files)} files, largest SVG side {side} px ({where})")
        html_s = run(["render", ".", "--format", "html", "-o", "out/lineage.html"], root)
        size = (root / "out" / "lineage.html").stat().st_size
        print(f"render --format html:  {html_s}, {size / 1e6:.2f} MB (fills the analysis cache)")
        docs_warm = run(["docs", "out/docs", "."], root)
        print(f"docs (warm cache):     {docs_warm}")
        browser_figures(root / "out" / "lineage.html")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
