"""Long fuzz run: generated and mutated SQL over 14 dialects through ``extractor.analyze_sql``.

    python benchmarks/fuzz.py [--cases 100000] [--seed 1] [--budget 2.0] [--report-every 10000]
    python benchmarks/fuzz.py --files 2000      # mutated Python, Jinja SQL, YAML, TOML through scan

Each case is a good statement, a generated or mutated one, and another good statement
(tests/fuzzing.py). Prints the figures the hardening work is measured by: cases run, uncaught
exceptions (by signature), files that lost a good statement's lineage, cases over the time
budget, DT900 internal errors, and the slowest cases. The short CI version is tests/test_fuzz.py.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fuzzing import DIALECTS, FILE_KINDS, GOOD_EDGES, case, file_case, run_case, scan_files, seed_statements


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--budget", type=float, default=2.0, help="seconds one case may take")
    parser.add_argument("--report-every", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=0, help="run this many whole-repository scan cases instead")
    args = parser.parse_args(argv)
    if args.files:
        return fuzz_files(args.files, args.seed, args.budget * 5)
    rng = random.Random(args.seed)
    seeds = seed_statements()
    uncaught: Counter[str] = Counter()
    examples: dict[str, tuple[str, str]] = {}
    lost: list[tuple[str, str]] = []
    over: list[tuple[float, str, str]] = []
    internal = 0
    per_dialect: Counter[str] = Counter()
    slowest: list[tuple[float, str, str]] = []
    started = time.perf_counter()
    for n in range(1, args.cases + 1):
        dialect, statement = case(rng, seeds)
        per_dialect[dialect] += 1
        outcome = run_case(dialect, statement)
        if outcome.uncaught:
            uncaught[outcome.uncaught] += 1
            examples.setdefault(outcome.uncaught, (dialect, statement))
        if outcome.lost:
            lost.append((dialect, statement))
        if outcome.seconds > args.budget:
            over.append((outcome.seconds, dialect, statement))
        internal += outcome.internal
        slowest = sorted([*slowest, (outcome.seconds, dialect, statement)], reverse=True)[:5]
        if n % args.report_every == 0 or n == args.cases:
            elapsed = time.perf_counter() - started
            print(
                f"{n} cases in {elapsed:.0f} s: {sum(uncaught.values())} uncaught ({len(uncaught)} signatures), "
                f"{len(lost)} files lost a good statement, {len(over)} over {args.budget:g} s, "
                f"{internal} DT900",
                flush=True,
            )
    print(f"dialects ({len(per_dialect)}): " + ", ".join(f"{d} {per_dialect[d]}" for d in DIALECTS))
    for signature, count in uncaught.most_common():
        dialect, statement = examples[signature]
        print(f"  uncaught {count}x {signature}: [{dialect}] {statement[:200]!r}")
    for dialect, statement in lost[:10]:
        print(f"  lost: [{dialect}] {statement[:200]!r}")
    for seconds, dialect, statement in slowest:
        print(f"  slow {seconds:.2f} s: [{dialect}] {statement[:160]!r}")
    return 1 if uncaught or lost or over else 0


def fuzz_files(cases: int, seed: int, budget: float) -> int:
    """Scan small repositories holding good files and one mutated file; print the figures."""
    rng = random.Random(seed)
    counts: Counter[str] = Counter()
    problems: list[tuple[str, str, dict[str, str]]] = []
    slowest = 0.0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="datatrail-fuzz-") as scratch:
        for n in range(1, cases + 1):
            kind = FILE_KINDS[n % len(FILE_KINDS)]
            files = file_case(rng, kind)
            counts[kind] += 1
            began = time.perf_counter()
            try:
                edges, diagnostics = scan_files(Path(scratch) / str(n), files)
            except Exception as e:  # the figure this run exists to measure
                problems.append(("uncaught", f"{type(e).__name__}: {e}"[:200], files))
                continue
            seconds = time.perf_counter() - began
            slowest = max(slowest, seconds)
            if seconds > budget:
                problems.append(("over budget", f"{seconds:.1f} s", files))
            if "DT900" in diagnostics:
                problems.append(("DT900", kind, files))
            if "config" not in diagnostics and not edges >= GOOD_EDGES:
                problems.append(("good file lost", kind, files))
    kinds = Counter(p[0] for p in problems)
    print(
        f"{cases} scan cases ({', '.join(f'{k} {counts[k]}' for k in FILE_KINDS)}) in "
        f"{time.perf_counter() - started:.0f} s: {kinds['uncaught']} uncaught, {kinds['DT900']} DT900, "
        f"{kinds['good file lost']} good files lost, {kinds['over budget']} over {budget:g} s; slowest {slowest:.2f} s"
    )
    for what, detail, files in problems[:10]:
        print(f"  {what}: {detail}: {json.dumps(files)[:300]}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
