"""Property-based fuzzing with a short budget (the long run is benchmarks/fuzz.py).

SQL over 14 dialects through ``analyze_sql``; mutated Python, Jinja-templated SQL, YAML and TOML
through a whole ``scan``. Properties: nothing raises, a good statement or file next to the bad
one keeps its lineage, and each case ends quickly (hypothesis' deadline is the per-case budget).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractor.config import load_config
from extractor.errors import ConfigError
from extractor.scan import scan

from .fuzzing import DIALECTS, VOCABULARY, mutate, random_statement, run_case, seed_statements

SEEDS = seed_statements()
BUDGET = settings(max_examples=60, deadline=5_000, suppress_health_check=[HealthCheck.too_slow], derandomize=True)

GOOD_SQL = "INSERT INTO mart.good SELECT id, amount FROM raw.orders;\n"
GOOD_PY = "import pandas as pd\npd.read_csv('in/good.csv').to_parquet('out/good.parquet')\n"
PY_SEED = (
    "import pandas as pd\nfrom pyspark.sql import functions as F\n\n"
    "def load(path):\n    df = pd.read_csv(path)\n    df['total'] = df['a'] + df['b']\n"
    "    return df[['id', 'total']]\n\n"
    "load('in/x.csv').to_parquet(f'out/{1 + 2}.parquet')\n"
)
JINJA_SEED = "insert into {{ params.schema }}.daily\nselect {% for c in ['a', 'b'] %}{{ c }}, {% endfor %}id from raw.t"
YAML_SEED = "tables:\n  raw.orders:\n    columns: [id, amount]\n  raw.customers: {columns: [id, email]}\n"
TOML_SEED = '[tool.datatrail]\ndialect = "postgres"\npaths = ["."]\n[tool.datatrail.python]\nmax_call_depth = 3\n'


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


def _scan_with(tmp: Path, files: dict[str, str]) -> tuple[set[str], set[str]]:
    for name, text in files.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        config = load_config(tmp)
    except ConfigError:
        return set(), {"config"}
    config.schema_files = ["schema.yml"] if "schema.yml" in files else []
    graph = scan([tmp], config)
    return {f"{e.source}->{e.target}" for e in graph.edges}, {d.code for d in graph.diagnostics}


GOOD_EDGES = {"raw.orders->mart.good", "in/good.csv->out/good.parquet"}


@pytest.mark.parametrize("kind", ["python", "jinja", "yaml", "toml"])
@settings(max_examples=15, deadline=20_000, suppress_health_check=list(HealthCheck), derandomize=True)
@given(rng=st.randoms(use_true_random=False))
def test_mutated_files_cost_only_themselves(kind: str, rng: random.Random, tmp_path_factory: pytest.TempPathFactory
                                           ) -> None:  # fmt: skip
    tmp = tmp_path_factory.mktemp("fuzz")
    files = {"good.sql": GOOD_SQL, "good.py": GOOD_PY}
    if kind == "python":
        files["bad.py"] = _mutate_text(rng, PY_SEED)
    elif kind == "jinja":
        files["bad.sql"] = _mutate_text(rng, JINJA_SEED)
    elif kind == "yaml":
        files["schema.yml"] = _mutate_text(rng, YAML_SEED)
    else:
        files["pyproject.toml"] = _mutate_text(rng, TOML_SEED)
    edges, diagnostics = _scan_with(tmp, files)
    assert "DT900" not in diagnostics
    if "config" not in diagnostics:
        assert edges >= GOOD_EDGES, (files, edges)


def _mutate_text(rng: random.Random, text: str) -> str:
    for _ in range(rng.randint(1, 4)):
        i = rng.randint(0, len(text))
        roll = rng.random()
        if roll < 0.4:
            text = text[:i] + rng.choice((*VOCABULARY, "\n", "    ", ":", "*", "&a", "[", "{{", "%}", "'''")) + text[i:]
        elif roll < 0.7:
            text = text[:i] + text[i + rng.randint(1, 20) :]
        else:
            j = rng.randint(i, len(text))
            text = text[:j] + text[i:j] + text[j:]
    return text
