"""The JSON format: schema-valid, round-trips, and keeps the contract's fields."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema

from extractor import json_format
from extractor.config import load_config
from extractor.scan import scan

from .conftest import EXAMPLE


def _example_json() -> dict:
    return json.loads(json_format.dumps(scan([EXAMPLE], load_config(EXAMPLE))))


def test_output_validates_against_the_published_schema() -> None:
    schema = json.loads(resources.files("extractor").joinpath("schemas/lineage.schema.json").read_text())
    jsonschema.validate(_example_json(), schema)


def test_round_trip_is_lossless() -> None:
    graph = scan([EXAMPLE], load_config(EXAMPLE))
    text = json_format.dumps(graph)
    assert json_format.dumps(json_format.loads(text)) == text


def test_contract_fields() -> None:
    data = _example_json()
    edge = data["column_edges"][0]
    assert set(edge) >= {"source", "target", "kind", "subtype", "transformation", "location"}
    assert set(edge["source"]) == {"dataset", "column"}
    assert set(edge["location"]) == {"path", "line"}
    assert set(data["edges"][0]) == {"source", "target", "job"}
    assert set(data["datasets"][0]) >= {"name", "kind", "columns"}
