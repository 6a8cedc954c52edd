"""Benchmark: `datatrail history` and `datatrail blame` over a generated git history.

    python benchmarks/history_speed.py [--models 200] [--commits 160]

Builds a git repository of layered SQL models (each reads two earlier ones) and a history of
``--commits`` commits on top of the first: a third change one model's expression (some inside the
traced mart's upstream, most elsewhere), a third are cosmetic (comments and spacing in a model),
a third touch no pipeline file (docs, CI). Then times, in-process, ``datatrail history`` of the
last model's column with an empty cache and again warm, and ``datatrail blame`` warm, and checks
that the commits history names are exactly the generated changes that reach the column.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
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
RAW = 10


def sources(i: int) -> tuple[int, int]:
    return i - 1 - i % 5, (i * 7) % i


def model_sql(i: int, factor: int = 1) -> str:
    if i < RAW:
        return f"CREATE TABLE raw.t{i} (id INT, amount DECIMAL(10,2), status VARCHAR);\n"
    a, b = sources(i)
    return f"""-- model {i}
CREATE TABLE mart.t{i} AS
SELECT x.id, x.amount * {factor} AS amount, y.status
FROM {"raw" if a < RAW else "mart"}.t{a} AS x
LEFT JOIN {"raw" if b < RAW else "mart"}.t{b} AS y ON y.id = x.id;
"""


def amount_chain(last: int) -> set[int]:
    """The models whose ``amount`` flows into ``last``'s: the first source, hop by hop (the joined
    second source only contributes its id and status)."""
    chain, i = set(), last
    while i >= RAW:
        chain.add(i)
        i = sources(i)[0]
    return chain


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True, env={**os.environ, **GIT_ENV}
    )
    return done.stdout


def run(argv: list[str]) -> tuple[float, str]:
    from extractor.cli import main

    out = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out):
        code = main(argv)
    assert code == 0, code
    return time.perf_counter() - started, out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, default=200)
    parser.add_argument("--commits", type=int, default=160)
    parser.add_argument("--keep", metavar="DIR", help="build the repository in DIR and keep it (for profiling)")
    args = parser.parse_args()
    rng = random.Random(13)
    last = args.models - 1
    cone = sorted(amount_chain(last))
    with tempfile.TemporaryDirectory(prefix="datatrail-bench-") as scratch:
        tmp = args.keep or scratch
        root = Path(tmp) / "repo"
        (root / "models").mkdir(parents=True)
        factors = {i: 1 for i in range(args.models)}
        for i in range(args.models):
            (root / "models" / f"m{i:04d}.sql").write_text(model_sql(i))
        (root / "pyproject.toml").write_text('[tool.datatrail]\npaths = ["models"]\n')
        (root / "README.md").write_text("bench\n")
        git(root, "init", "-q", "-b", "main")
        git(root, "add", "-A")
        git(root, "commit", "-q", "-m", "base")
        expected = []
        for n in range(1, args.commits):
            kind = n % 3
            if kind == 0:  # an expression change, inside the cone one time in four
                i = rng.choice(cone) if rng.random() < 0.25 else rng.randrange(RAW, args.models)
                factors[i] += 1
                (root / "models" / f"m{i:04d}.sql").write_text(model_sql(i, factors[i]))
                message = f"change m{i}"
            elif kind == 1:  # cosmetic
                i = rng.randrange(RAW, args.models)
                path = root / "models" / f"m{i:04d}.sql"
                path.write_text(path.read_text().replace("\nFROM", f"\n-- note {n}\nFROM", 1))
                message = f"comment m{i}"
            else:  # no pipeline file
                (root / "README.md").write_text(f"bench {n}\n")
                message = f"docs {n}"
            git(root, "commit", "-q", "-am", message)
            if kind == 0 and i in cone:
                expected.append(git(root, "rev-parse", "HEAD").strip())
        os.environ["DATATRAIL_CACHE_DIR"] = str(Path(tmp) / "cache")
        cwd = os.getcwd()
        os.chdir(root)
        try:
            target = f"mart.t{last}.amount"
            cold, out = run(["history", target, "--format", "json"])
            warm, again = run(["history", target, "--format", "json"])
            blame_s, _ = run(["blame", target, "--format", "json"])
        finally:
            os.chdir(cwd)
        data = json.loads(out)
        named = [c["sha"] for c in data["commits"]]
        print(f"history: {args.commits} commits, {args.models} SQL models, target {target} "
              f"({len(cone)} models carry its value)")  # fmt: skip
        print(f"walk: {data['walk']}")
        print(f"datatrail history (cold cache)   {cold:7.2f} s")
        print(f"datatrail history (warm cache)   {warm:7.2f} s")
        print(f"datatrail blame (warm cache)     {blame_s:7.2f} s")
        print(f"commits named: {len(named)}; generated changes reaching the target: {len(expected)}; "
              f"exact match: {named == expected[::-1]}; warm output identical: {out == again}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
