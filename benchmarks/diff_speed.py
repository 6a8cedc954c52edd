"""Benchmark: `datatrail diff` and `datatrail check` on a generated 1,000-file SQL repository.

    python benchmarks/diff_speed.py [--files 1000] [--changed 10]

Builds a git repository of layered SQL models (each reads two earlier ones), commits it, edits
``--changed`` files in the work tree, then times ``datatrail diff HEAD`` cold (empty cache) and
warm (second run), ``datatrail scan`` cold for reference, and ``datatrail check`` (what the
pre-commit hook runs) with one staged file, cold and warm. Runs the CLI in-process.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
}


def model_sql(i: int) -> str:
    if i < 20:
        return (
            f"CREATE TABLE raw.t{i} (id INT, customer_id INT, amount DECIMAL(10,2), status VARCHAR, created_at DATE);\n"
        )
    a, b = (i * 7) % i, (i * 13) % i
    return f"""-- model {i}
CREATE TABLE mart.t{i} AS
WITH base AS (
    SELECT x.id, x.customer_id, x.amount * {1 + i % 5} AS amount, x.status, x.created_at
    FROM {"raw" if a < 20 else "mart"}.t{a} AS x
    WHERE x.status <> 'void'
)
SELECT b.id, b.customer_id, SUM(b.amount) AS amount, MAX(y.status) AS status, MIN(b.created_at) AS created_at
FROM base AS b
LEFT JOIN {"raw" if b < 20 else "mart"}.t{b} AS y ON y.id = b.id
GROUP BY b.id, b.customer_id;
"""


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, env={**os.environ, **GIT_ENV})


def timed(argv: list[str]) -> float:
    from extractor.cli import main

    started = time.perf_counter()
    with open(os.devnull, "w") as sink:
        import contextlib

        with contextlib.redirect_stdout(sink):
            code = main(argv)
    assert code in (0, 1), code
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--changed", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="datatrail-bench-") as tmp:
        root = Path(tmp) / "repo"
        (root / "models").mkdir(parents=True)
        for i in range(args.files):
            (root / "models" / f"m{i:04d}.sql").write_text(model_sql(i))
        (root / "pyproject.toml").write_text('[tool.datatrail]\npaths = ["models"]\n')
        git(root, "init", "-q", "-b", "main")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "base")
        step = max(1, args.files // max(1, args.changed))
        for n in range(args.changed):
            path = root / "models" / f"m{(20 + n * step) % args.files:04d}.sql"
            path.write_text(path.read_text().replace("x.status <> 'void'", "x.status NOT IN ('void', 'test')"))
        os.environ["DATATRAIL_CACHE_DIR"] = str(Path(tmp) / "cache")
        cwd = os.getcwd()
        os.chdir(root)
        try:
            scan_s = timed(["scan", "-q", "--no-cache", "--format", "json", "-o", str(Path(tmp) / "out.json")])
            cold = timed(["diff", "HEAD", "--format", "json", "-o", str(Path(tmp) / "diff.json")])
            warm = timed(["diff", "HEAD", "--format", "json", "-o", str(Path(tmp) / "diff.json")])
            git(root, "checkout", "-q", ".")
            one = root / "models" / "m0500.sql"
            one.write_text(one.read_text().replace("'void'", "'cancelled'"))
            git(root, "add", str(one))
            check_cold = timed(["check"])
            one.write_text(one.read_text().replace("'cancelled'", "'voided'"))
            git(root, "add", str(one))
            check_warm = timed(["check"])
        finally:
            os.chdir(cwd)
        print(f"repository: {args.files} SQL files, {args.changed} changed in the work tree")
        print(f"datatrail scan (cold, no cache)        {scan_s:7.2f} s")
        print(f"datatrail diff HEAD (cold cache)        {cold:7.2f} s")
        print(f"datatrail diff HEAD (warm cache)        {warm:7.2f} s")
        print(f"datatrail check, 1 staged file (cold)   {check_cold:7.2f} s")
        print(f"datatrail check, 1 staged file (warm)   {check_warm:7.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
