"""Long fuzz run: generated and mutated SQL over 14 dialects through ``extractor.analyze_sql``.

    python benchmarks/fuzz.py [--cases 100000] [--seed 1] [--budget 2.0] [--report-every 10000]

Each case is a good statement, a generated or mutated one, and another good statement
(tests/fuzzing.py). Prints the figures the hardening work is measured by: cases run, uncaught
exceptions (by signature), files that lost a good statement's lineage, cases over the time
budget, DT900 internal errors, and the slowest cases. The short CI version is tests/test_fuzz.py.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fuzzing import DIALECTS, case, run_case, seed_statements


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--budget", type=float, default=2.0, help="seconds one case may take")
    parser.add_argument("--report-every", type=int, default=10_000)
    args = parser.parse_args(argv)
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


if __name__ == "__main__":
    raise SystemExit(main())
