"""The fast indented JSON writer gives exactly ``json.dumps(indent=2, ensure_ascii=False)``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extractor import json_format, json_text
from extractor.config import load_config
from extractor.scan import scan

SHOP = Path(__file__).resolve().parent.parent / "fixtures" / "example_shop"

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text()
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text() | st.integers() | st.booleans() | st.none(), inner, max_size=4)
    ),
    max_leaves=30,
)


@given(values)
def test_same_text_as_json_dumps(value: Any) -> None:
    assert json_text.dumps(value) == json.dumps(value, indent=2, ensure_ascii=False)


@pytest.mark.parametrize("value", [{"a": ("x", 1.5)}, [float("inf"), -0.0, 10**30], {1: {}, None: []}, "é\u2028\x00"])
def test_edge_cases(value: Any) -> None:
    assert json_text.dumps(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_lineage_json_is_unchanged() -> None:
    graph = scan([SHOP], load_config(SHOP))
    assert json_format.dumps(graph) == json.dumps(json_format.to_dict(graph), indent=2, ensure_ascii=False) + "\n"


def test_what_json_refuses_is_refused() -> None:
    with pytest.raises(TypeError):
        json_text.dumps({"a": object()})
