"""history and blame on the seed story: which upstream change made the churn model worse?

A real git repository whose history has the pipeline's first commit, a cosmetic commit, an
unrelated commit (revenue in cents), a docs commit and the commit that turns an age from years
into months. The age flows through SQL views, a feature table and a CSV export into a Python
training job that saves the model artifact.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from referencing import Registry, Resource

from extractor.cli import EXIT_OK, EXIT_USAGE, main

from .gitrepo import GitRepo

MODEL = "models/churn.joblib"

PYPROJECT = '[tool.datatrail]\ndialect = "postgres"\npaths = ["sql", "pipelines"]\n'
RAW = """CREATE TABLE raw.customers (customer_id INT, birth_date DATE, email TEXT, country TEXT);
CREATE TABLE raw.orders (order_id INT, customer_id INT, amount NUMERIC);
"""
STG_CUSTOMERS = """CREATE VIEW staging.stg_customers AS
SELECT
    customer_id,
    EXTRACT(YEAR FROM AGE(CURRENT_DATE, birth_date)) AS age,
    country
FROM raw.customers
WHERE email IS NOT NULL;
"""
FEATURES = """CREATE TABLE ml.features AS
SELECT c.customer_id, c.age, COUNT(o.order_id) AS orders
FROM staging.stg_customers AS c
JOIN raw.orders AS o ON o.customer_id = c.customer_id
GROUP BY c.customer_id, c.age;
"""
EXPORT = "COPY (SELECT * FROM ml.features) TO '/data/features.csv' WITH (FORMAT csv, HEADER);\n"
REVENUE = """CREATE TABLE marts.revenue AS
SELECT customer_id, SUM(amount) AS revenue
FROM raw.orders
GROUP BY customer_id;
"""
TRAIN = '''"""Train the churn model on the exported features."""

import joblib
import pandas as pd
from sklearn.linear_model import LogisticRegression

FEATURES = ["age", "orders"]


def main() -> None:
    df = pd.read_csv("/data/features.csv")
    model = LogisticRegression()
    model.fit(df[FEATURES], df["orders"] > 3)
    joblib.dump(model, "models/churn.joblib")
'''


@dataclass
class Story:
    repo: GitRepo
    initial: str
    cosmetic: str
    revenue: str
    docs: str
    age: str


def _story(root: Path) -> Story:
    r = GitRepo(root)
    for path, text in {
        "pyproject.toml": PYPROJECT, "sql/raw.sql": RAW, "sql/stg_customers.sql": STG_CUSTOMERS,
        "sql/features.sql": FEATURES, "sql/export.sql": EXPORT, "sql/revenue.sql": REVENUE,
        "pipelines/train.py": TRAIN, "README.md": "# shop\n",
    }.items():  # fmt: skip
        r.write(path, text)
    initial = r.commit("Initial pipeline")
    r.replace("sql/stg_customers.sql", "    customer_id,\n", "    -- the customer key\n    customer_id ,\n")
    cosmetic = r.commit("Comment the customer key")
    r.replace("sql/revenue.sql", "SUM(amount)", "SUM(amount) * 100")
    revenue = r.commit("Revenue in cents")
    r.replace("README.md", "# shop", "# shop\n\nHow the pipeline works.")
    docs = r.commit("Docs")
    r.replace("sql/stg_customers.sql", "EXTRACT(YEAR FROM", "EXTRACT(MONTH FROM")
    age = r.commit("Age in months")
    return Story(r, initial, cosmetic, revenue, docs, age)


@pytest.fixture
def story(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Story:
    s = _story(tmp_path / "shop")
    monkeypatch.chdir(s.repo.root)
    return s


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    capsys.readouterr()
    assert main(list(args)) == EXIT_OK
    return json.loads(capsys.readouterr().out)


def _validate(data: dict, name: str) -> None:
    schemas = resources.files("extractor").joinpath("schemas")
    registry: Registry = Registry()
    for file in ("trace", "history", "blame"):
        schema = json.loads(schemas.joinpath(f"{file}.schema.json").read_text())
        registry = registry.with_resource(schema["$id"], Resource.from_contents(schema))
    schema = json.loads(schemas.joinpath(f"{name}.schema.json").read_text())
    jsonschema.Draft202012Validator(schema, registry=registry).validate(data)


def test_history_of_the_model_lists_exactly_the_age_commit(story: Story, capsys: pytest.CaptureFixture[str]) -> None:
    data = _json(capsys, "history", MODEL, "--format", "json")
    _validate(data, "history")
    assert [c["sha"] for c in data["commits"]] == [story.age]
    (entry,) = data["commits"]
    assert entry["subject"] == "Age in months" and entry["compared_with"] == story.docs
    (change,) = entry["changes"]
    assert (change["dataset"], change["column"]) == ("staging.stg_customers", "age")
    assert change["reasons"][0]["code"] == "TRANSFORMATION_CHANGED"
    assert "EXTRACT(YEAR FROM" in change["before"] and "EXTRACT(MONTH FROM" in change["after"]
    assert change["location"] == {"path": "sql/stg_customers.sql", "line": 5}
    assert change["path"][0] == "staging.stg_customers.age" and change["path"][-1] == MODEL
    assert "/data/features.csv.age" in change["path"]
    assert data["introduced"]["sha"] == story.initial
    # The docs commit cannot change lineage: it is not even scanned.
    assert data["walk"] == {"commits": 5, "scanned": 4, "skipped": 1, "unreadable": 0}


def test_history_is_column_aware(story: Story, capsys: pytest.CaptureFixture[str]) -> None:
    revenue = _json(capsys, "history", "marts.revenue.revenue", "--format", "json")
    assert [c["sha"] for c in revenue["commits"]] == [story.revenue]
    # The country column does not depend on the age: the age commit is not its history.
    country = _json(capsys, "history", "staging.stg_customers.country", "--format", "json")
    assert country["commits"] == []
    assert country["introduced"]["sha"] == story.initial


def test_history_text_and_markdown(story: Story, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", f"{MODEL}.age"]) == EXIT_OK
    text = capsys.readouterr().out
    assert f"{story.age[:12]}  " in text and "Age in months" in text
    assert "TRANSFORMATION_CHANGED: EXTRACT(YEAR FROM" in text and "(sql/stg_customers.sql:5)" in text
    assert "Revenue in cents" not in text and "Comment the customer key" not in text
    assert main(["history", MODEL, "--format", "markdown", "--link-base", "https://example.com/blob/x"]) == EXIT_OK
    md = capsys.readouterr().out
    assert md.startswith(f"### Upstream changes of `{MODEL}`")
    assert "[sql/stg_customers.sql:5](https://example.com/blob/x/sql/stg_customers.sql#L5)" in md


def test_history_ranges(story: Story, capsys: pytest.CaptureFixture[str]) -> None:
    recent = _json(capsys, "history", MODEL, f"{story.revenue}..HEAD", "--format", "json")
    assert [c["sha"] for c in recent["commits"]] == [story.age]
    assert recent["walk"]["commits"] == 2 and recent["introduced"] is None
    older = _json(capsys, "history", MODEL, f"{story.initial}..{story.docs}", "--format", "json")
    assert older["commits"] == [] and older["walk"]["commits"] == 3


def test_unresolvable_range_is_a_usage_error_naming_it(story: Story, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", MODEL, "nosuchbranch..HEAD"]) == EXIT_USAGE
    assert "'nosuchbranch'" in capsys.readouterr().err
    assert main(["blame", MODEL, "v9.9"]) == EXIT_USAGE
    assert "'v9.9'" in capsys.readouterr().err


def test_unknown_target_suggests(story: Story, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", "staging.stg_customer"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "did you mean staging.stg_customers" in err
    assert main(["blame", "staging.stg_customers.agge"]) == EXIT_USAGE
    assert "did you mean staging.stg_customers.age" in capsys.readouterr().err


def test_blame_names_the_age_commit_for_the_models_age_feature(
    story: Story, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _json(capsys, "blame", f"{MODEL}.age", "--format", "json")
    _validate(data, "blame")
    by_edge = {
        (e["source"]["dataset"], e["source"]["column"], e["target"]["dataset"], e["target"]["column"], e["subtype"]): e
        for e in data["edges"]
    }
    age = by_edge[("raw.customers", "birth_date", "staging.stg_customers", "age", "TRANSFORMATION")]
    assert age["commit"]["sha"] == story.age and age["change"] == "changed"
    assert "EXTRACT(YEAR FROM" in age["before"] and "EXTRACT(MONTH FROM" in age["transformation"]
    # Everything else in the cone was introduced by the first commit: the cosmetic commit
    # (comment, spacing) and the move of code within the file are not blamed.
    others = [e for key, e in by_edge.items() if e is not age]
    assert others and {e["commit"]["sha"] for e in others} == {story.initial}
    assert {e["change"] for e in others} == {"introduced"}
    # The cone is transitive and keeps indirect influences (the join and grain of ml.features).
    assert ("raw.orders", "customer_id", "ml.features", None, "JOIN") in by_edge
    assert ("/data/features.csv", "age", MODEL, "age", "TRANSFORMATION") in by_edge


def test_blame_text_and_earlier_revision(story: Story, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["blame", f"{MODEL}.age"]) == EXIT_OK
    text = capsys.readouterr().out
    line = next(x for x in text.splitlines() if "staging.stg_customers.age <- raw.customers.birth_date" in x)
    assert line.startswith(story.age[:12]) and "changed" in line
    before = _json(capsys, "blame", f"{MODEL}.age", story.docs, "--format", "json")
    assert {e["commit"]["sha"] for e in before["edges"]} == {story.initial}


def test_output_is_deterministic_across_cache_state_and_hash_seed(story: Story, tmp_path: Path) -> None:
    def run(*args: str, seed: str, cache: Path) -> str:
        env = {**os.environ, "PYTHONHASHSEED": seed, "DATATRAIL_CACHE_DIR": str(cache)}
        done = subprocess.run(
            [sys.executable, "-m", "extractor.cli", *args], capture_output=True, text=True, env=env, check=True,
            cwd=story.repo.root,
        )  # fmt: skip
        return done.stdout

    for args in (("history", MODEL, "--format", "json"), ("blame", f"{MODEL}.age", "--format", "json")):
        cold = run(*args, seed="1", cache=tmp_path / "c1")
        warm = run(*args, seed="2", cache=tmp_path / "c1")
        other = run(*args, seed="3", cache=tmp_path / "c2")
        assert cold == warm == other
        assert json.loads(cold)["format_version"] == 1


def _tree_state(root: Path) -> dict[str, tuple[int, bytes]]:
    return {
        str(p.relative_to(root)): (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_no_work_tree_writes(story: Story, capsys: pytest.CaptureFixture[str]) -> None:
    root = story.repo.root
    story.repo.write("sql/stg_customers.sql", "-- uncommitted edit\n" + story.repo.read("sql/stg_customers.sql"))
    status = story.repo.git("status", "--porcelain", "--ignored")  # refreshes the index first
    before = _tree_state(root)
    assert main(["history", MODEL]) == EXIT_OK
    assert main(["blame", f"{MODEL}.age"]) == EXIT_OK
    assert main(["history", MODEL, f"{story.initial}..{story.revenue}"]) == EXIT_OK
    assert _tree_state(root) == before  # .git included: no checkout, no index refresh, no new refs
    assert story.repo.git("status", "--porcelain", "--ignored") == status


def test_missing_objects_are_diagnostics_and_the_walk_goes_on(story: Story, capsys: pytest.CaptureFixture[str]) -> None:
    # The cosmetic version of stg_customers.sql lives in the cosmetic, revenue and docs commits
    # only; delete its blob as a partial clone that never fetched it would lack it.
    blob = story.repo.git("rev-parse", f"{story.cosmetic}:sql/stg_customers.sql").strip()
    (story.repo.root / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    data = _json(capsys, "history", MODEL, "--format", "json")
    assert [c["sha"] for c in data["commits"]] == [story.age]
    (entry,) = data["commits"]
    # The age commit is compared with the newest readable ancestor; the unreadable commits that
    # could change lineage in between are named.
    assert entry["compared_with"] == story.initial
    assert entry["spans_unreadable"] == [story.revenue, story.cosmetic]
    assert data["walk"]["unreadable"] == 3
    assert len(data["diagnostics"]) == 3
    assert all(" DT010 " in d and "cannot be read" in d for d in data["diagnostics"])
    assert {d[:12] for d in data["diagnostics"]} == {s[:12] for s in (story.cosmetic, story.revenue, story.docs)}
    # blame goes on too: the age edge changed between the age commit and the readable ancestor.
    blamed = _json(capsys, "blame", f"{MODEL}.age", "--format", "json")
    age = next(e for e in blamed["edges"] if e["source"] == {"dataset": "raw.customers", "column": "birth_date"})
    assert age["commit"]["sha"] == story.age and len(blamed["diagnostics"]) == 3


def test_graph_codec_round_trip_shares_edges() -> None:
    from extractor import json_format
    from extractor.config import load_config
    from extractor.graph_codec import Decoder, encode
    from extractor.scan import scan

    from .conftest import EXAMPLE

    config = load_config(EXAMPLE)
    graph = scan([config.root / p for p in config.paths], config)
    decoder = Decoder()
    first = decoder.decode(json.loads(json.dumps(encode(graph))))
    second = decoder.decode(json.loads(json.dumps(encode(graph))))
    assert json_format.dumps(first) == json_format.dumps(graph)
    assert {id(je) for je in first.column_edges} == {id(je) for je in second.column_edges}
    assert first.datasets is not second.datasets


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("sql/stg_customers.sql", True),
        ("pipelines/train.py", True),
        ("pyproject.toml", True),
        ("README.md", False),
        ("docs/notes.txt", False),
        ("other/job.sql", False),  # outside [tool.datatrail] paths
        (".github/workflows/ci.yml", False),
        ("sql/schema.yml", True),  # dbt properties, sources, schema files
        ("sql/seeds/customers.csv", True),
    ],
)
def test_which_changed_files_can_change_lineage(path: str, expected: bool, tmp_path: Path) -> None:
    from extractor.config import config_from_pyproject
    from extractor.graph import LineageGraph
    from extractor.revisions import Snapshot
    from extractor.walk import can_change_lineage

    config = config_from_pyproject(PYPROJECT, tmp_path)
    assert can_change_lineage(path, Snapshot("x", LineageGraph(), config, "")) is expected


def test_docs_examples_match_the_schemas() -> None:
    import re

    from .conftest import REPO

    for name in ("trace", "history", "blame"):
        text = (REPO / "docs" / f"{name}.md").read_text()
        (example,) = re.findall(r"```json\n(.*?)```", text, re.DOTALL)
        _validate(json.loads(example), name)


def test_moving_files_is_not_a_lineage_change(
    story: Story, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    r = story.repo
    r.git("mv", "sql/stg_customers.sql", "sql/staging_customers.sql")
    r.commit("Rename a model file")
    (r.root / "sub").mkdir()
    for path in ("sql", "pipelines", "pyproject.toml"):
        r.git("mv", path, f"sub/{path}")
    moved = r.commit("Move the project into sub/")
    monkeypatch.chdir(r.root / "sub")
    data = _json(capsys, "history", MODEL, "--format", "json")
    assert [c["sha"] for c in data["commits"]] == [story.age]
    # Locations are repository-relative as of the listed commit, before the moves.
    assert data["commits"][0]["changes"][0]["location"]["path"] == "sql/stg_customers.sql"
    blamed = _json(capsys, "blame", f"{MODEL}.age", "--format", "json")
    assert moved not in {e["commit"]["sha"] for e in blamed["edges"]}
    assert {e["commit"]["sha"] for e in blamed["edges"]} == {story.initial, story.age}


def test_indirect_influences_count_and_unrelated_columns_do_not(
    story: Story, capsys: pytest.CaptureFixture[str]
) -> None:
    r = story.repo
    r.replace("sql/stg_customers.sql", "    country\n", "    UPPER(country) AS country\n")
    country = r.commit("Upper-case countries")  # stg_customers changes, but not what the model reads
    r.replace("sql/stg_customers.sql", "WHERE email IS NOT NULL", "WHERE email IS NOT NULL AND country <> 'XX'")
    where = r.commit("Drop test customers")  # a filter: every row of stg_customers, so the age too
    data = _json(capsys, "history", MODEL, f"{story.age}..HEAD", "--format", "json")
    assert [c["sha"] for c in data["commits"]] == [where]
    (change,) = data["commits"][0]["changes"]
    assert change["column"] is None and change["reasons"][0]["code"] == "FILTER_CHANGED"
    assert change["reasons"][0]["after"] == "WHERE raw.customers.email IS NOT NULL AND raw.customers.country <> 'XX'"
    assert change["path"][-1] == MODEL
    country_history = _json(capsys, "history", "staging.stg_customers.country", "--format", "json")
    assert [c["sha"] for c in country_history["commits"]] == [where, country]
    assert main(["history", MODEL, f"{story.age}..HEAD", "--format", "markdown"]) == EXIT_OK
    md = capsys.readouterr().out
    assert "FILTER_CHANGED: `WHERE raw.customers.email IS NOT NULL` → `WHERE raw.customers.email IS NOT NULL AND" in md


def test_history_through_a_dbt_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """dbt revisions are scanned from a scratch copy; YAML-only and README commits list nothing."""
    r = GitRepo(tmp_path / "dbt_shop")
    r.write("dbt_project.yml", "name: shop\nversion: '1.0'\nprofile: shop\nmodel-paths: [models]\n")
    r.write(
        "models/sources.yml",
        "version: 2\nsources:\n  - name: raw\n    schema: raw\n    tables:\n      - name: customers\n",
    )
    r.write(
        "models/stg_customers.sql",
        "select id, extract(year from age(current_date, birth_date)) as age_years, plan\n"
        "from {{ source('raw', 'customers') }}\n",
    )
    r.write("models/features.sql", "select id, age_years, plan = 'pro' as is_pro\nfrom {{ ref('stg_customers') }}\n")
    r.write("README.md", "shop\n")
    initial = r.commit("Initial dbt project")
    r.write("models/features.yml", "version: 2\nmodels:\n  - name: features\n    description: Customer features\n")
    r.commit("Describe the features model")  # YAML: scanned, no lineage change
    r.replace("README.md", "shop", "shop, with dbt")
    r.commit("Docs")  # not scanned
    r.replace("models/stg_customers.sql", "extract(year from", "extract(month from")
    age = r.commit("Age in months")
    monkeypatch.chdir(r.root)
    data = _json(capsys, "history", "features.age_years", "--format", "json")
    assert [c["sha"] for c in data["commits"]] == [age]
    (change,) = data["commits"][0]["changes"]
    assert (change["dataset"], change["column"]) == ("analytics.stg_customers", "age_years")
    assert change["path"] == ["analytics.stg_customers.age_years", "analytics.features.age_years"]
    assert data["introduced"]["sha"] == initial
    assert data["walk"] == {"commits": 4, "scanned": 3, "skipped": 1, "unreadable": 0}
    assert _json(capsys, "history", "features.is_pro", "--format", "json")["commits"] == []
