"""``datatrail trace`` and the column-path walk behind it (extractor/trace.py)."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest
from referencing import Registry, Resource

from extractor.cli import EXIT_OK, EXIT_USAGE, main
from extractor.graph import Job, LineageGraph
from extractor.model import ColumnEdge, ColumnRef, DatasetKind, Subtype
from extractor.trace import INDIRECT, VALUE, Direction, TargetError, column_paths, resolve_target

from .conftest import EXAMPLE

MODEL = "models/churn_model.joblib"


def _trace(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    capsys.readouterr()
    assert main(["trace", *args, str(EXAMPLE), "--format", "json"]) == EXIT_OK
    data = json.loads(capsys.readouterr().out)
    schemas = resources.files("extractor").joinpath("schemas")
    schema = json.loads(schemas.joinpath("trace.schema.json").read_text())
    registry: Registry = Registry().with_resource(schema["$id"], Resource.from_contents(schema))
    jsonschema.Draft202012Validator(schema, registry=registry).validate(data)
    return data


def _nodes(data: dict) -> dict[str, dict]:
    return {f"{n['dataset']}.{n['column']}" if n["column"] else n["dataset"]: n for n in data["nodes"]}


def test_upstream_of_the_models_age_feature(capsys: pytest.CaptureFixture[str]) -> None:
    data = _trace(capsys, f"{MODEL}.age_years")
    assert data["target"] == {
        "text": f"{MODEL}.age_years", "kind": "column", "nodes": [{"dataset": MODEL, "column": "age_years"}],
    }  # fmt: skip
    nodes = _nodes(data)
    # The value chain, hop by hop, down to the raw column.
    chain = [
        "/data/exports/training_input.csv.age_years", "ml.training_input.age_years",
        "features.customer_features.age_years", "marts.dim_customers.age_years",
        "staging.stg_customers.age_years", "raw.customers.birth_date",
    ]  # fmt: skip
    assert [nodes[c]["depth"] for c in chain] == [1, 2, 3, 4, 5, 6]
    assert {nodes[c]["influence"] for c in chain} == {VALUE}
    # Filters and join keys upstream are indirect influences, not value flow.
    assert nodes["raw.customers.email"]["influence"] == INDIRECT
    assert nodes["features.customer_features.lifetime_orders"]["influence"] == INDIRECT
    birth = next(e for e in data["edges"] if e["source"] == {"dataset": "raw.customers", "column": "birth_date"})
    assert birth["subtype"] == "TRANSFORMATION" and birth["kind"] == "direct" and birth["influence"] == VALUE
    assert "EXTRACT(YEAR FROM AGE(CURRENT_DATE, raw.customers.birth_date))" in birth["transformation"]
    assert birth["location"] == {"path": "sql/staging/stg_customers.sql", "line": 6}
    email = [e for e in data["edges"] if e["source"] == {"dataset": "raw.customers", "column": "email"}]
    assert any(e["subtype"] == "FILTER" and e["target"]["column"] is None for e in email)
    assert data["direction"] == "upstream" and data["truncated"] is False


def test_downstream_and_depth(capsys: pytest.CaptureFixture[str]) -> None:
    data = _trace(capsys, "raw.customers.birth_date", "--downstream")
    nodes = _nodes(data)
    assert nodes[f"{MODEL}.age_years"]["influence"] == VALUE
    assert nodes[f"{MODEL}.orders_per_year"]["influence"] == VALUE  # lifetime_orders / age_years in Python
    assert nodes["marts.dim_customers"]["influence"] == INDIRECT  # the GROUP BY over age_years
    short = _trace(capsys, "raw.customers.birth_date", "--downstream", "--depth", "1")
    assert set(_nodes(short)) == {"raw.customers.birth_date", "staging.stg_customers.age_years"}
    assert short["truncated"] is True and short["max_depth"] == 1


def test_text_tree_keeps_value_flow_and_indirect_influences_apart(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trace", "ml.training_input.age_years", str(EXAMPLE)]) == EXIT_OK
    out = capsys.readouterr().out
    value, indirect = out.split("\nindirect influences")
    assert "value flow:" in value
    assert "<- raw.customers.birth_date [TRANSFORMATION]  EXTRACT(YEAR FROM" in value
    assert "(sql/staging/stg_customers.sql:6)" in value
    assert "raw.customers.email" not in value
    assert "<- raw.customers.email [indirect FILTER]  WHERE raw.customers.email IS NOT NULL" in indirect


def test_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trace", "ml.training_input.age_years", str(EXAMPLE), "--format", "markdown"]) == EXIT_OK
    md = capsys.readouterr().out
    assert md.startswith("### Lineage upstream of `ml.training_input.age_years`")
    assert "#### Value flow" in md and "#### Indirect influences" in md
    assert "| 4 | `raw.customers.birth_date` | `staging.stg_customers.age_years` | direct TRANSFORMATION |" in md


def test_targets_files_models_and_suggestions(capsys: pytest.CaptureFixture[str]) -> None:
    by_file = _trace(capsys, "sql/staging/stg_customers.sql")
    assert by_file["target"]["kind"] == "file"
    assert by_file["target"]["nodes"] == [{"dataset": "staging.stg_customers", "column": None}]
    model = _trace(capsys, "churn_model.joblib")
    assert model["target"]["kind"] == "model" and model["target"]["nodes"][0]["dataset"] == MODEL
    assert "raw.customers.birth_date" in _nodes(model)
    assert main(["trace", "staging.stg_customer", str(EXAMPLE)]) == EXIT_USAGE
    assert "did you mean staging.stg_customers" in capsys.readouterr().err
    assert main(["trace", "staging.stg_customers.agee", str(EXAMPLE)]) == EXIT_USAGE
    assert "did you mean staging.stg_customers.age_years" in capsys.readouterr().err


def test_json_is_deterministic(capsys: pytest.CaptureFixture[str]) -> None:
    first = _trace(capsys, MODEL)
    assert _trace(capsys, MODEL, "--no-cache") == first


def _graph(*edges: tuple[str, str, str, str | None, Subtype]) -> LineageGraph:
    g = LineageGraph()
    g.add_job(Job("j", "sql", "x.sql"))
    for st, sc, tt, tc, subtype in edges:
        g.dataset(st)
        g.dataset(tt, DatasetKind.TABLE)
        g.add_flow(st, tt, "j")
        g.add_column_edge(ColumnEdge(ColumnRef(st, sc), ColumnRef(tt, tc), subtype, f"{st}.{sc}", f"{st}{sc}"), "j")
    return g


def test_a_node_reached_both_ways_is_value_flow() -> None:
    # a.x filters t (indirect) and is also copied into t.y (direct): it is value flow for t.y,
    # and so is everything upstream of it.
    g = _graph(
        ("a", "x", "t", None, Subtype.FILTER), ("a", "x", "t", "y", Subtype.IDENTITY),
        ("r", "x", "a", "x", Subtype.IDENTITY), ("f", "k", "t", None, Subtype.FILTER),
    )  # fmt: skip
    paths = column_paths(g, [("t", "y")])
    assert paths.influence[("a", "x")] == VALUE and paths.influence[("r", "x")] == VALUE
    assert paths.influence[("f", "k")] == INDIRECT
    assert paths.path_to_start(("r", "x")) == [("r", "x"), ("a", "x"), ("t", "y")]


def test_cycles_terminate_and_downstream_mirrors_upstream() -> None:
    g = _graph(("a", "x", "b", "x", Subtype.IDENTITY), ("b", "x", "a", "x", Subtype.TRANSFORMATION))
    up = column_paths(g, [("a", "x")])
    down = column_paths(g, [("a", "x")], Direction.DOWNSTREAM)
    assert set(up.depth) == set(down.depth) == {("a", "x"), ("b", "x")}


def test_ambiguous_short_name() -> None:
    g = _graph(("s1.orders", "id", "m.x", "id", Subtype.IDENTITY), ("s2.orders", "id", "m.x", "id", Subtype.IDENTITY))
    with pytest.raises(TargetError) as caught:
        resolve_target(g, "orders")
    assert caught.value.suggestions == ("s1.orders", "s2.orders")


def test_both_ways_gives_full_paths_not_one_hop() -> None:
    from extractor.trace import both_ways

    g = _graph(
        ("a", "x", "b", "x", Subtype.IDENTITY), ("b", "x", "c", "x", Subtype.TRANSFORMATION),
        ("c", "x", "d", "x", Subtype.IDENTITY), ("e", "k", "c", None, Subtype.FILTER),
    )  # fmt: skip
    up, down = both_ways(g, [("b", "x")])
    assert set(up.depth) == {("b", "x"), ("a", "x")}
    assert down.depth == {("b", "x"): 0, ("c", "x"): 1, ("d", "x"): 2}
    up_d, _ = both_ways(g, [("d", "x")])
    assert up_d.influence[("e", "k")] == INDIRECT and up_d.influence[("a", "x")] == VALUE


def test_dataset_and_file_targets_in_text(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    # A file named like dataset.column ("stg_customers" + "sql") is the file, relative to the cwd.
    monkeypatch.chdir(EXAMPLE / "sql" / "staging")
    assert main(["trace", "stg_customers.sql", str(EXAMPLE)]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith("datatrail trace stg_customers.sql (file, upstream)")
    # A whole dataset's tree names the column each hop feeds.
    assert "\n  staging.stg_customers\n" in out
    assert "    age_years <- raw.customers.birth_date [TRANSFORMATION]  EXTRACT(YEAR FROM" in out
