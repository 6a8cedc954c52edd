"""Property-based fuzzing with a short budget (the long run is benchmarks/fuzz.py).

SQL over 14 dialects through ``analyze_sql``; mutated Python, Jinja-templated SQL, YAML and TOML
through a whole ``scan``. Properties: nothing raises, a good statement or file next to the bad
one keeps its lineage, and each case ends quickly (hypothesis' deadline is the per-case budget).
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .fuzzing import (
    DIALECTS,
    GOOD_EDGES,
    file_case,
    mutate,
    random_statement,
    run_case,
    scan_files,
    seed_statements,
)  # fmt: skip

SEEDS = seed_statements()
BUDGET = settings(max_examples=60, deadline=5_000, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


@BUDGET
@given(st.sampled_from(DIALECTS), st.randoms(use_true_random=False), st.integers(0, 2))
def test_random_and_mutated_sql_never_raises_and_keeps_good_statements(
    dialect: str, rng: random.Random, kind: int
) -> None:
    if kind == 0:
        statement = random_statement(rng)
    elif kind == 1:
        statement = mutate(rng, random_statement(rng))
    else:
        statement = mutate(rng, rng.choice(SEEDS))
    outcome = run_case(dialect, statement)
    assert outcome.uncaught is None, (dialect, statement)
    assert not outcome.lost, (dialect, statement)
    assert outcome.internal == 0, (dialect, statement)


@BUDGET
@given(st.sampled_from(DIALECTS), st.text(max_size=300))
def test_arbitrary_text_as_sql_never_raises(dialect: str, text: str) -> None:
    outcome = run_case(dialect, text)
    assert outcome.uncaught is None and not outcome.lost, (dialect, text)


@pytest.mark.parametrize("kind", ["python", "jinja", "yaml", "toml"])
@settings(max_examples=15, deadline=20_000, suppress_health_check=list(HealthCheck), derandomize=True)
@given(rng=st.randoms(use_true_random=False))
def test_mutated_files_cost_only_themselves(kind: str, rng: random.Random, tmp_path_factory: pytest.TempPathFactory
                                           ) -> None:  # fmt: skip
    files = file_case(rng, kind)
    edges, diagnostics = scan_files(tmp_path_factory.mktemp("fuzz"), files)
    assert "DT900" not in diagnostics
    if "config" not in diagnostics:
        assert edges >= GOOD_EDGES, (files, edges)
