"""The sandboxed Jinja layer: placeholders, sandbox, line markers, plain templated SQL."""

from __future__ import annotations

import pytest

from extractor.dbt import render_templated_sql
from extractor.dbt.jinja import (
    DbtSandbox,
    SandboxViolation,
    apply_stand_ins,
    insert_line_markers,
    render_with_lines,
    strip_line_markers,
)
from extractor.sql.analyze import analyze_sql


def codes(diagnostics: list) -> list[str]:
    return [d.code for d in diagnostics]


def test_airflow_style_template_renders_with_placeholders() -> None:
    sql, diagnostics = render_templated_sql(
        "insert into {{ params.schema }}.daily\nselect * from raw.events where day = '{{ ds }}'", "dags/q.sql"
    )
    assert sql == "insert into __params_schema__.daily\nselect * from raw.events where day = '2024-01-01'"
    assert codes(diagnostics) == ["DT202"]
    assert diagnostics[0].path == "dags/q.sql" and diagnostics[0].line == 1
    # An unknown template variable in a table name is a placeholder of this file only.
    assert analyze_sql(sql, path="dags/q.sql").statements[0].target_tables == {"{{ params_schema }}@dags/q.sql.daily"}


def test_context_values_win_over_placeholders() -> None:
    sql, diagnostics = render_templated_sql("select {{ params.col }} from t", "q.sql", {"params": {"col": "amount"}})
    assert (sql, diagnostics) == ("select amount from t", [])


def test_text_without_jinja_is_returned_unchanged() -> None:
    assert render_templated_sql("select '{x}' from t", "q.sql") == ("select '{x}' from t", [])


def test_unknown_macro_keeps_column_arguments_and_reports_its_line() -> None:
    template = "create table s.x as\nselect\n  {{ to_eur('amount', 'day', 2) }} as eur\nfrom t"
    sql, diagnostics = render_templated_sql(template, "q.sql")
    assert "__to_eur__(amount, 2) as eur" in sql  # 'day' is a date part, not a column
    assert codes(diagnostics) == ["DT201"] and diagnostics[0].line == 3
    edges = analyze_sql(sql).column_edges
    found = [(str(e.source), str(e.target), e.subtype.value) for e in edges]
    assert found == [("t.amount", "s.x.eur", "TRANSFORMATION")]


def test_undefined_values_are_falsy_and_empty_in_logic() -> None:
    template = "{% if missing %}a{% else %}b{% endif %}{% for x in missing %}c{% endfor %}{{ missing | default('d') }}"
    sql, diagnostics = render_templated_sql(template, "q.sql")
    assert (sql, diagnostics) == ("bd", [])


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ (1).__class__.__base__ }}",
        "{{ 'x' * 100000000 }}",
    ],
)
def test_sandbox_escapes_are_blocked_with_dt205(template: str) -> None:
    sql, diagnostics = render_templated_sql(template, "evil.sql")
    assert sql == ""
    assert codes(diagnostics) == ["DT205"]


def test_sandbox_violation_is_an_exception_not_a_value() -> None:
    env = DbtSandbox()
    with pytest.raises(SandboxViolation):
        env.compile_template("{{ ''.__class__ }}", "x.sql").render()


def test_syntax_error_is_dt200_at_its_line() -> None:
    sql, diagnostics = render_templated_sql("select 1\n{% if %}\n", "bad.sql")
    assert sql == ""
    assert codes(diagnostics) == ["DT200"] and diagnostics[0].line == 2


def test_dbt_block_tags_compile() -> None:
    template = (
        "{% docs orders %}Some *docs*{% enddocs %}"
        "{% test positive(model, column_name) %}select 1{% endtest %}"
        "{% materialization table, adapter='snowflake' %}x{% endmaterialization %}"
        "select 1"
    )
    assert render_templated_sql(template, "m.sql") == ("select 1", [])


def test_line_markers_map_rendered_offsets_to_template_lines() -> None:
    template = "select\n  {{ cols }},\n  {% if true %}b{% endif %}\nfrom t\n"
    env = DbtSandbox()
    rendered = env.compile_template(insert_line_markers(template), "m.sql").render(cols="a,\nc")
    text, lines = strip_line_markers(rendered)
    assert text == "select\n  a,\nc,\n  b\nfrom t\n"
    assert lines.position(text.index("a,"))[0] == 2
    assert lines.position(text.index("c,"))[0] == 2  # produced by line 2's expression
    assert lines.position(text.index("b\n"))[0] == 3
    assert lines.position(text.index("from"))[0] == 4


def test_markers_skip_tags_comments_and_strings() -> None:
    template = "a\n{# one\ntwo #}\n{{ 'x\ny' }}\nb"
    marked = insert_line_markers(template)
    text, lines = strip_line_markers(DbtSandbox().compile_template(marked, "m.sql").render())
    assert text == "a\n\nx\ny\nb"
    assert lines.position(text.index("b"))[0] == 6  # the comment and the string span lines 2-5


def test_markers_stay_out_of_a_tag_whose_dict_closes_with_braces() -> None:
    # ``}}`` closing a nested dict is not the end of the tag (Jinja's lexer balances brackets);
    # a marker put there breaks the render with "unexpected char".
    template = "{{ config(\n  meta={'a': {'b': true}}\n) }}\nselect 1\n{% set d = {'x': {'y': 1}} %}\nfrom t"
    rendered = render_with_lines(template, "m.sql")
    assert not rendered.failed, rendered.diagnostics
    text, lines = strip_line_markers(
        DbtSandbox().compile_template(insert_line_markers(template), "m.sql").render(config=lambda **kw: "")
    )
    assert text.strip() == "select 1\n\nfrom t"
    assert lines.position(text.index("select"))[0] == 4
    assert lines.position(text.index("from"))[0] == 6


def test_set_blocks_capture_their_text_without_markers() -> None:
    # ``{% set meta %}…{% endset %}`` is often YAML read back with fromyaml: a line marker in it
    # would become part of its keys. Lines after the block still map to the template.
    template = "{%- set meta -%}\nsource_model: a\ncolumns: [x, y]\n{%- endset -%}\n{{ meta }}\nselect 1\nfrom t"
    marked = insert_line_markers(template)
    body = marked[marked.index("-%}") + 3 : marked.index("{%- endset")]
    assert body == "\nsource_model: a\ncolumns: [x, y]\n"
    text, lines = strip_line_markers(DbtSandbox().compile_template(marked, "m.sql").render())
    assert lines.position(text.index("select"))[0] == 6
    assert lines.position(text.index("from"))[0] == 7


def test_render_with_lines_reports_failure() -> None:
    rendered = render_with_lines("{{ 1 / 0 }}", "m.sql")
    assert rendered.failed and codes(rendered.diagnostics) == ["DT200"]
    assert "ZeroDivisionError" in rendered.diagnostics[0].message


def test_stand_in_replaces_placeholders_only_where_a_query_is_expected() -> None:
    stand_ins = {"__m__(x)": "select * from s.t"}
    assert apply_stand_ins("with a as (\n  __m__(x)\n) select * from a", stand_ins) == (
        "with a as (\n  select * from s.t\n) select * from a"
    )
    assert apply_stand_ins("select __m__(x) as y from t", stand_ins) == "select __m__(x) as y from t"
    assert apply_stand_ins("__m__(x)", stand_ins) == "select * from s.t"


def test_the_random_filter_is_deterministic() -> None:
    # A TPC-H style model (``interval '{{ range(60, 120) | random }} days'``) gave another SQL text,
    # and so another fingerprint, on every run: output must not depend on chance.
    from extractor.sandbox import Sandbox

    env = Sandbox()
    assert {env.from_string("{{ range(60, 120) | list | random }}").render() for _ in range(20)} == {"60"}
    assert env.from_string("{{ ([] | random) is undefined }}").render() == "True"
