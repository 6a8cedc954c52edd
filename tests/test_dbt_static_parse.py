"""Templates that are only constant refs are learnt without a render: the result must not change."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import Environment

from extractor import json_format
from extractor.config import load_config
from extractor.dbt.context import DbtRenderer
from extractor.dbt.static import only_refs
from extractor.frontends.dbt_models import DbtModels
from extractor.scan import scan

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "dbt"


@pytest.mark.parametrize(
    ("template", "static"),
    [
        ("select * from {{ ref('orders') }} join {{ source('shop', 'customers') }} using (id)", True),
        ("select * from {{ ref('orders', v=2) }}", True),
        ("select 1 as x", True),
        ("{{ config(materialized='table') }} select * from {{ ref('orders') }}", False),
        ("select * from {{ ref(name) }}", False),
        ("select * from {{ ref }}", False),
        ("select {{ var('x') }} from {{ ref('orders') }}", False),
        ("select * from {{ my_macro(ref('orders')) }}", False),
        ("{% if is_incremental() %} select 1 {% endif %}", False),
        ("select * from {{ ref('orders') | upper }}", False),
        ("select * from {{ ref(*names) }}", False),
    ],
)
def test_only_constant_refs_are_static(template: str, static: bool) -> None:
    assert only_refs(Environment().parse(template)) is static


@pytest.mark.parametrize("project", ["custom_schema", "layers", "incremental", "bad_input", "render_errors"])
def test_static_templates_give_what_a_render_gives(project: str, monkeypatch: pytest.MonkeyPatch) -> None:
    root = FIXTURES / project
    learnt: list[int] = []
    claim = DbtModels.claim

    def counting(self: DbtModels, *args: object, **kwargs: object) -> object:
        result = claim(self, *args, **kwargs)  # type: ignore[arg-type]
        learnt.append(len(self.static_nodes))
        return result

    monkeypatch.setattr(DbtModels, "claim", counting)
    fast = json_format.dumps(scan([root], load_config(root), jobs=1))
    assert learnt and learnt[0] > 0  # the fixture has templates of constant refs only

    monkeypatch.setattr(DbtRenderer, "parse_static", lambda self, node: False)
    assert json_format.dumps(scan([root], load_config(root), jobs=1)) == fast
