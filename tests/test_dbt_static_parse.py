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


class _Relation:
    def __init__(self, *parts: object, **kwargs: object) -> None:
        self.text = ".".join(map(str, parts)) + "".join(f"@{k}={v}" for k, v in sorted(kwargs.items()))

    def __str__(self) -> str:
        return f'"{self.text}"'


@pytest.mark.parametrize(
    "template",
    [
        "select * from {{ ref('orders') }} join {{ source('shop', 'customers') }} using (id)\n",
        "select *\nfrom {{- ref('orders', v=2) -}}\n  where 1 = 1\n\n",
        "{# a comment #}select {{ 'x' }}, {{ 1 }}, {{ none }} from {{ref('a')}}{{ ref('pkg', 'b') }}",
        "  {{ ref('a') }}  \n",
        "select 1 as x",
        "",
    ],
)
def test_a_template_of_constant_refs_renders_as_jinja_renders_it(template: str) -> None:
    from extractor.dbt.static import render_plain
    from extractor.sandbox import Sandbox

    env = Sandbox()
    env.globals.update(ref=_Relation, source=_Relation)
    ast = env.parse(template)
    assert only_refs(ast)
    assert render_plain(ast, env.globals) == env.from_string(template).render()


def test_a_project_that_overrides_ref_is_rendered_by_jinja(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "macros").mkdir()
    (tmp_path / "dbt_project.yml").write_text("name: shop\nprofile: shop\n", encoding="utf-8")
    (tmp_path / "models" / "a.sql").write_text("select 1 as id", encoding="utf-8")
    (tmp_path / "models" / "b.sql").write_text("select id from {{ ref('a') }}", encoding="utf-8")
    (tmp_path / "macros" / "ref.sql").write_text(
        "{% macro ref(name) %}{{ return(builtins.ref(name).include(schema=False)) }}{% endmacro %}",
        encoding="utf-8",
    )
    graph = scan([tmp_path], load_config(tmp_path))
    # The macro decides the relation the SQL names (here without its schema): the shortcut for
    # templates of constant refs must not bypass it. (builtins.ref still declares the dependency.)
    assert {(e.source, e.target) for e in graph.edges} == {("a", "analytics.b"), ("analytics.a", "analytics.b")}
