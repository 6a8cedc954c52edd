"""Benchmark: render a 500-dataset lineage graph to SVG, column level and dataset level.

    python benchmarks/render_speed.py [--datasets 500]

Generates layered SQL (each table reads two earlier ones, 8 columns each), scans it, then times
``render_dot`` (pure Python) and the Graphviz layout to SVG. Needs Graphviz's ``dot``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from extractor.config import Config
from extractor.render.dot import DotOptions, render_dot
from extractor.render.image import render_image
from extractor.scan import scan

COLUMNS = ["id", "customer_id", "amount", "status", "country", "created_at", "score", "segment"]


def generate(root: Path, n: int) -> None:
    cols = ", ".join(f"{c} VARCHAR" for c in COLUMNS)
    lines = [f"CREATE TABLE raw.t{i} ({cols});" for i in range(10)]
    for i in range(10, n):
        a, b = f"t{(i * 7) % i}", f"t{(i * 3) % i}"
        sa = "raw" if (i * 7) % i < 10 else f"s{((i * 7) % i) // 50}"
        sb = "raw" if (i * 3) % i < 10 else f"s{((i * 3) % i) // 50}"
        select = ", ".join(f"x.{c}" if k % 2 else f"COALESCE(x.{c}, y.{c}) AS {c}" for k, c in enumerate(COLUMNS))
        lines.append(
            f"CREATE TABLE s{i // 50}.t{i} AS SELECT {select} FROM {sa}.{a} AS x JOIN {sb}.{b} AS y ON x.id = y.id;"
        )
    (root / "models.sql").write_text("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root, args.datasets)
        graph = scan([root], Config(root=root))
        print(f"graph: {len(graph.datasets)} datasets, {len(graph.column_edges)} column edges")
        for level in ("dataset", "column"):
            started = time.perf_counter()
            dot = render_dot(graph, DotOptions(level=level))
            dot_s = time.perf_counter() - started
            svg = render_image(dot, "svg")
            total = time.perf_counter() - started
            print(f"{level:>7} level: DOT {dot_s:6.2f} s, DOT+SVG {total:6.2f} s ({len(svg) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
