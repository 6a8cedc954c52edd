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


@pytest.mark.parametrize(
    ("template", "calls"),
    [
        ("{{ config(materialized='table') }} select * from {{ ref('orders') }}", True),
        ("select {{ dbt.datediff('a', dbt.current_timestamp(), 'day') }} from {{ ref('orders') }}", True),
        ("select {{ dbt_utils.generate_surrogate_key(['id', 'day']) }}, {{ m(k={'a': (1, 2)}) }}", True),
        ("select {{ var('x') }} from {{ ref(name) }}", True),
        ("select * from {{ ref('orders') | upper }}", False),
        ("select {{ a ~ b }}", False),
        ("select {{ 1 + 2 }}", False),
        ("select {{ a[0] }}", False),
        ("select * from {{ ref(*names) }}", False),
        ("select * from {{ ref(**names) }}", False),
        ("{% set x = 1 %} select {{ x }}", False),
        ("{% if is_incremental() %} select 1 {% endif %}", False),
        ("select {{ x if y else z }}", False),
    ],
)
def test_templates_of_calls_only(template: str, calls: bool) -> None:
    from extractor.dbt.static import only_calls

    assert only_calls(Environment().parse(template)) is calls


@pytest.mark.parametrize(
    "template",
    [
        "select {{ dbt.datediff('a', dbt.now(), 'day') }}\nfrom {{ ref('orders') }}\n",
        "{{ config(materialized='table', tags=['a', 'b']) }}\nselect {{ key(['id', 'day'], sep={'x': (1, 2)}) }}",
        "select {{ missing }}, {{ dbt.missing_attribute }} from x",
        "select {{ 'x' }}, {{ 1 }}, {{ none }}, {{ [1, 'a'] }}, {{ {'k': 2} }}{# c #}\n",
    ],
)
def test_a_template_of_calls_only_renders_as_jinja_renders_it(template: str) -> None:
    from jinja2.runtime import new_context

    from extractor.dbt.static import only_calls, render_calls
    from extractor.sandbox import Sandbox

    class Dbt:
        def datediff(self, a: str, b: str, part: str) -> str:
            return f"datediff({part}, {a}, {b})"

        def now(self) -> str:
            return "now()"

    def key(columns: list[str], sep: object = "-") -> str:
        return f"md5({'||'.join(columns)}{sep})"

    seen: list[object] = []
    env = Sandbox()
    env.globals.update(ref=_Relation, dbt=Dbt(), key=key, config=lambda **kw: seen.append(kw) or "")
    ast = env.parse(template)
    assert only_calls(ast)
    context = new_context(env, "t.sql", {}, None, False, env.make_globals(None))
    assert render_calls(ast, env, context, "t.sql") == env.from_string(template).render()
    assert seen[: len(seen) // 2] == seen[len(seen) // 2 :]  # the same calls, in the same order


@pytest.mark.parametrize("project", sorted(p.name for p in FIXTURES.iterdir() if (p / "dbt_project.yml").exists()))
def test_templates_of_calls_only_give_what_compiling_gives(project: str, monkeypatch: pytest.MonkeyPatch) -> None:
    root = FIXTURES / project
    evaluated: list[str] = []
    calls = DbtRenderer._calls

    def counting(self: DbtRenderer, node: object) -> object:
        found = calls(self, node)  # type: ignore[arg-type]
        if found is not None:
            evaluated.append(str(getattr(node, "path", "")))
        return found

    monkeypatch.setattr(DbtRenderer, "_calls", counting)
    fast = json_format.dumps(scan([root], load_config(root), jobs=1))
    assert evaluated or project not in ("automate_dv", "macro_semantics", "render_errors")  # they have such models
    monkeypatch.setattr(DbtRenderer, "_calls", lambda self, node: None)
    assert json_format.dumps(scan([root], load_config(root), jobs=1)) == fast
