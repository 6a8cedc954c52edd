"""dbt support inside a whole scan: claimed files, isolation, settings, naming, dialects, locations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractor import json_format
from extractor.cache import AnalysisCache
from extractor.config import Config, config_from_mapping, load_config
from extractor.dbt.discovery import detect_adapter, guess_adapter
from extractor.dbt.models import ModelAnalyzer
from extractor.dbt.settings import load_settings
from extractor.errors import ConfigError
from extractor.frontends.dbt_models import DbtModels
from extractor.graph import LineageGraph
from extractor.model import DatasetKind
from extractor.scan import scan
from extractor.sources import DiskTree

from .test_dbt_golden import FIXTURES, compact, scan_case


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def scan_tree(root: Path, **dbt: object) -> LineageGraph:
    config = config_from_mapping({"dbt": dbt} if dbt else {}, root=root.resolve())
    return scan([root], config)


PROJECT = {
    "dbt_project.yml": "name: p\nprofile: p\n",
    "models/sources.yml": "sources:\n  - name: raw\n    tables:\n      - name: t\n"
    "        columns: [{name: a}, {name: b}]\n",
    "models/m1.sql": "select a, b from {{ source('raw', 't') }}",
    "models/m2.sql": "select * from {{ ref('m1') }}",
}


def test_dbt_files_are_claimed_and_not_read_as_plain_sql(tmp_path: Path) -> None:
    root = write(tmp_path, {
        **PROJECT,
        "macros/m.sql": "{% macro m() %}{{ 1 }}{% endmacro %}",
        "analyses/a.sql": "select * from {{ ref('m1') }}",
        "tests/t.sql": "select * from {{ ref('m1') }} where a < 0",
        "snapshots/s.sql": "{% snapshot s %}{{ config(unique_key='a', strategy='check', check_cols='all') }}"
                           "select * from {{ ref('m1') }}{% endsnapshot %}",
        "other/plain.sql": "create table x.y as select 1 as c",
    })  # fmt: skip
    graph = scan_tree(root)
    assert not [d for d in graph.diagnostics if d.code == "DT100"]
    assert "x.y" in graph.datasets  # the plain SQL pass still runs on the rest
    assert graph.datasets["analytics.m2"].columns == ["a", "b"]
    assert graph.datasets["analytics.s"].kind is DatasetKind.DBT_MODEL  # snapshots are models
    config = Config(root=root.resolve())
    tree = DiskTree(config, [root])
    claimed = DbtModels().claim(tree, tree.files(), config, AnalysisCache(None)).paths
    assert claimed == {"dbt_project.yml", "macros/m.sql", "analyses/a.sql", "tests/t.sql", "snapshots/s.sql",
                       "models/m1.sql", "models/m2.sql"}  # fmt: skip


def test_one_failing_model_does_not_stop_the_others(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write(tmp_path, PROJECT)
    original = ModelAnalyzer.analyse

    def explode(self: ModelAnalyzer, node: object, *args: object) -> object:
        if getattr(node, "name", "") == "m1":
            raise RuntimeError("boom")
        return original(self, node, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(ModelAnalyzer, "analyse", explode)
    graph = scan_tree(root)
    assert [(d.path, d.code) for d in graph.diagnostics if d.code != "DT112"] == [("models/m1.sql", "DT900")]
    assert graph.jobs["models/m2.sql:analytics.m2"].attributes["column_lineage"] is True


def test_broken_project_file_is_a_diagnostic(tmp_path: Path) -> None:
    root = write(tmp_path, {**PROJECT, "dbt_project.yml": "- just\n- a list\n"})
    graph = scan_tree(root)
    assert {d.code for d in graph.diagnostics} == {"DT206"}
    assert "analytics.m2" in graph.datasets  # read with default paths and the directory's name


def test_several_projects_and_a_cross_project_ref(tmp_path: Path) -> None:
    root = write(tmp_path, {
        **{f"core/{k}": v for k, v in PROJECT.items()},
        "core/dbt_project.yml": "name: core\n",
        "finance/dbt_project.yml": "name: finance\nmodels:\n  finance:\n    +schema: fin\n",
        "finance/models/f.sql": "select a from {{ ref('core', 'm1') }}",
    })  # fmt: skip
    graph = scan_tree(root)
    assert "analytics.m1 -> analytics_fin.f" in compact(graph)["edges"]


def test_disabled_models_are_skipped_unless_asked(tmp_path: Path) -> None:
    root = write(tmp_path, {
        **PROJECT,
        "dbt_project.yml": "name: p\nvars:\n  use_m2: false\n"
                           "models:\n  p:\n    m2:\n      +enabled: \"{{ var('use_m2') }}\"\n",
        "models/m3.sql": "{{ config(enabled=false) }}\nselect 1 as x",
    })  # fmt: skip
    assert {"analytics.m2", "analytics.m3"}.isdisjoint(scan_tree(root).datasets)
    assert {"analytics.m2", "analytics.m3"} <= set(scan_tree(root, include_disabled=True).datasets)
    assert "analytics.m2" in scan_tree(root, vars={"use_m2": True}).datasets


def test_python_models_get_table_lineage(tmp_path: Path) -> None:
    root = write(tmp_path, {
        **PROJECT,
        "models/py_model.py": "def model(dbt, session):\n    df = dbt.ref('m1')\n    src = dbt.source('raw', 't')\n"
                              "    return df.join(src)\n",
    })  # fmt: skip
    graph = scan_tree(root)
    assert {"analytics.m1 -> analytics.py_model", "raw.t -> analytics.py_model"} <= set(compact(graph)["edges"])
    assert graph.datasets["analytics.py_model"].attributes["materialized"] == "table"


def test_exposures_are_downstream_datasets(tmp_path: Path) -> None:
    root = write(tmp_path, {
        **PROJECT,
        "models/exposures.yml": "exposures:\n  - name: revenue_dashboard\n    type: dashboard\n"
                                "    depends_on:\n      - ref('m2')\n      - source('raw', 't')\n",
    })  # fmt: skip
    graph = scan_tree(root)
    assert graph.datasets["exposure:revenue_dashboard"].kind is DatasetKind.DASHBOARD
    assert {"analytics.m2 -> exposure:revenue_dashboard", "raw.t -> exposure:revenue_dashboard"} <= set(
        compact(graph)["edges"]
    )


def test_yaml_columns_are_completed_from_the_sql(tmp_path: Path) -> None:
    # The property file documents two columns; the staging model reads a third one.
    root = write(tmp_path, {**PROJECT, "models/m1.sql": "with s as (select * from {{ source('raw', 't') }})\n"
                                                        "select a, b, c from s"})  # fmt: skip
    graph = scan_tree(root)
    assert graph.datasets["raw.t"].columns == ["a", "b", "c"]
    assert not [d for d in graph.diagnostics if d.code == "DT111"]
    assert "raw.t.c -> analytics.m1.c IDENTITY" in compact(graph)["column_edges"]


def test_unknown_macro_in_query_position_reads_its_relations(tmp_path: Path) -> None:
    model = "with x as (\n  {{ pkg.dedupe(ref('m1')) }}\n)\nselect a from x"
    root = write(tmp_path, {**PROJECT, "models/m2.sql": model})
    graph = scan_tree(root)
    assert "analytics.m1.a -> analytics.m2.a IDENTITY" in compact(graph)["column_edges"]
    assert [d.code for d in graph.diagnostics] == ["DT201"]


def test_edges_point_at_template_lines() -> None:
    graph = scan_case(FIXTURES / "layers")
    lines = {
        (e.edge.target.table, e.edge.target.column): e.edge.location.line
        for e in graph.column_edges
        if e.edge.location is not None and e.edge.target.column
    }
    assert lines[("analytics.stg_customers", "email")] == 4
    assert lines[("analytics.stg_orders", "amount")] == 4  # the macro call's line
    assert lines[("analytics_marts.dim_customers", "order_count")] == 12
    job = graph.jobs["models/marts/dim_customers.sql:analytics_marts.dim_customers"]
    assert (job.kind, job.line, job.attributes["column_lineage"]) == ("dbt", 1, True)


def test_package_dispatch_prefers_the_projects_implementation() -> None:
    graph = scan_case(FIXTURES / "packages")
    amount = next(e.edge for e in graph.column_edges if e.edge.target.column == "amount")
    assert amount.transformation.startswith("ROUND(")


def test_output_is_deterministic() -> None:
    first = json_format.dumps(scan_case(FIXTURES / "bad_input"))
    second = json_format.dumps(scan_case(FIXTURES / "bad_input"))
    assert first == second
    assert json.loads(first)["summary"]["errors"] == 3


# -- settings -------------------------------------------------------------------------------------


def test_settings_defaults_and_values(tmp_path: Path) -> None:
    assert load_settings(Config(root=tmp_path)).target_schema == "analytics"
    config = Config(root=tmp_path, default_schema="dw", default_database="prod_db")
    settings = load_settings(config)
    assert (settings.target_schema, settings.target_database, settings.target_name) == ("dw", "prod_db", "prod")
    config.sections["dbt"] = {"target_schema": "x", "vars": {"a": 1}, "env_vars": {"E": 2}, "unknown_key": 1}
    settings = load_settings(config)
    assert (settings.target_schema, settings.vars, settings.env_vars) == ("x", {"a": 1}, {"E": "2"})
    assert settings.warnings and "unknown_key" in settings.warnings[0]


@pytest.mark.parametrize(
    "section",
    [{"target_schema": 3}, {"vars": ["a"]}, {"dialect": "no-such-sql"}, {"include_disabled": "yes"},
     {"env_vars": {"A": [1]}}, {"target_name": ""}],
)  # fmt: skip
def test_wrong_settings_are_config_errors(tmp_path: Path, section: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        load_settings(Config(root=tmp_path, sections={"dbt": section}))


def test_settings_from_pyproject(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": '[tool.datatrail.dbt]\ntarget_schema = "dev"\ndialect = "bigquery"\n'})
    settings = load_settings(load_config(tmp_path))
    assert (settings.target_schema, settings.dialect) == ("dev", "bigquery")


# -- dialect detection ----------------------------------------------------------------------------


def test_adapter_from_profiles_prefers_production(tmp_path: Path) -> None:
    write(tmp_path, {"profiles.yml": "p:\n  outputs:\n    dev: {type: duckdb}\n    prod: {type: snowflake}\n"})
    assert detect_adapter(tmp_path, tmp_path, "p", []) == "snowflake"


def test_adapter_from_sqlfluff_above_the_project(tmp_path: Path) -> None:
    write(tmp_path, {".sqlfluff": "[sqlfluff]\ndialect = bigquery\n", "dbt/dbt_project.yml": "name: x\n"})
    assert detect_adapter(tmp_path / "dbt", tmp_path, None, []) == "bigquery"


def test_adapter_guessed_from_configs_and_sql() -> None:
    assert guess_adapter("models:\n  +snowflake_warehouse: big\n", []) == "snowflake"
    bigquery = ["select safe_cast(x as int64) from `p.d.t`", "select format_date('%Y', d) from t", "select 1"] * 2
    assert guess_adapter("", bigquery) == "bigquery"
    assert guess_adapter("", ["select 1"]) is None
    assert guess_adapter("", [], "packages:\n  - package: starburstdata/trino_utils\n") == "trino"


def test_dialect_setting_wins(tmp_path: Path) -> None:
    root = write(tmp_path, {**PROJECT, "models/m1.sql": "select `a`, b from {{ source('raw', 't') }}"})
    graph = scan_tree(root, dialect="bigquery")
    assert "raw.t.a -> analytics.m1.a IDENTITY" in compact(graph)["column_edges"]


def test_star_models_learn_columns_their_readers_use(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "dbt_project.yml": "name: p\n",
        "models/sources.yml": "sources:\n  - name: raw\n    tables:\n      - name: t\n",
        "models/stg.sql": "with s as (select * from {{ source('raw', 't') }}) select * from s",
        "models/mart.sql": "select a, sum(b) as total from {{ ref('stg') }} group by a",
    })  # fmt: skip
    edges = compact(scan_tree(root))["column_edges"]
    assert {"raw.t.a -> analytics.stg.a IDENTITY", "raw.t.b -> analytics.stg.b IDENTITY",
            "analytics.stg.b -> analytics.mart.total AGGREGATION"} <= set(edges)  # fmt: skip


def test_columns_yaml_forgot_are_learned_but_not_columns_of_another_relation(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "dbt_project.yml": "name: p\n",
        "models/sources.yml": "sources:\n  - name: raw\n    tables:\n      - name: t\n        columns: [{name: a}]\n",
        # ``b`` can only be t's (its YAML forgot it); ``u.z`` is a column the CTE u does not have.
        "models/m.sql": "with u as (select 1 as k)\n"
                        "select t.a, b, u.z from {{ source('raw', 't') }} as t cross join u",
    })  # fmt: skip
    graph = scan_tree(root)
    assert graph.datasets["raw.t"].columns == ["a", "b"]
    edges = compact(graph)["column_edges"]
    assert "raw.t.b -> analytics.m.b IDENTITY" in edges
    assert "unknown:analytics.m.z -> analytics.m.z IDENTITY" in edges


def test_hostile_project_gives_diagnostics_not_crashes(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "dbt_project.yml": "name: p\nmodels: [1, 2]\nvars: 3\nmodel-paths: models\n",
        "models/schema.yml": "models: {a: 1}\nsources:\n  - name: s\n    tables: nope\n  - 7\n",
        "models/not_yaml.yml": "\t- : :\n",
        "macros/broken.sql": "{% macro broken( %}",
        "macros/loop.sql": "{% macro loop(n) %}{{ loop(n + 1) }}{% endmacro %}",
        "models/calls_broken.sql": "select {{ broken() }} as x",
        "models/recursion.sql": "select {{ loop(0) }} as x",
        "models/big_range.sql": "{% for i in range(10000000) %}{{ i }}{% endfor %}",
        "models/raises.sql": "{{ exceptions.raise_compiler_error('no') }}select 1",
        "models/empty.sql": "",
        "models/comment_only.sql": "-- nothing here",
        "models/ok.sql": "select 1 as x",
    })  # fmt: skip
    (root / "models" / "binary.sql").write_bytes(b"select \x00\xff")
    graph = scan_tree(root)
    assert "DT900" not in {d.code for d in graph.diagnostics}
    assert graph.datasets["analytics.ok"].columns == ["x"]
    assert {"DT200", "DT206"} <= {d.code for d in graph.diagnostics}


def test_edges_of_a_final_star_point_at_the_defining_line(tmp_path: Path) -> None:
    model = (
        "with renamed as (\n"
        "    select\n"
        "        a as alpha,\n"
        "        cast(b as date) as b_date\n"
        "    from {{ source('raw', 't') }}\n"
        ")\n"
        "select * from renamed\n"
    )
    graph = scan_tree(write(tmp_path, {**PROJECT, "models/m1.sql": model}))
    lines = {
        e.edge.target.column: e.edge.location.line
        for e in graph.column_edges
        if e.edge.location and e.edge.target.table == "analytics.m1"
    }
    assert (lines["alpha"], lines["b_date"]) == (3, 4)


def test_benchmark_project_is_fully_traced(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("dbt_scan", FIXTURES.parent.parent / "benchmarks" / "dbt_scan.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    count = bench.generate_project(tmp_path, 60)
    coverage = bench.coverage(scan([tmp_path], load_config(tmp_path)), tmp_path)
    assert (coverage["models"], coverage["table_lineage"], coverage["complete_column_lineage"]) == (count,) * 3
    assert coverage["diagnostics"] == {}


def test_yaml_columns_and_contracts_feed_stars(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "dbt_project.yml": "name: p\n",
        "models/sources.yml": "sources:\n  - name: raw\n    tables:\n      - name: t\n",
        "models/schema.yml": "models:\n  - name: stg\n    config:\n      contract: {enforced: true}\n    columns:\n"
                             "      - {name: id, data_type: int}\n      - {name: amount, data_type: numeric}\n",
        "models/stg.sql": "select * from {{ source('raw', 't') }}",
        "models/mart.sql": "select {{ dbt_utils.star(ref('stg'), except=['id']) }} from {{ ref('stg') }}",
        "models/mart2.sql": "select * from {{ ref('stg') }}",
    })  # fmt: skip
    graph = scan_tree(root)
    edges = set(compact(graph)["column_edges"])
    assert graph.datasets["analytics.stg"].columns == ["id", "amount"]
    assert {"raw.t.id -> analytics.stg.id IDENTITY", "raw.t.amount -> analytics.stg.amount IDENTITY",
            "analytics.stg.amount -> analytics.mart.amount IDENTITY",
            "analytics.stg.id -> analytics.mart2.id IDENTITY"} <= edges  # fmt: skip
    assert "analytics.stg.id -> analytics.mart.id IDENTITY" not in edges


def test_sql_of_an_unknown_warehouse_is_tried_in_other_dialects(tmp_path: Path) -> None:
    model = "select `a`, b from {{ source('raw', 't') }} qualify row_number() over (partition by b order by a) = 1"
    graph = scan_tree(write(tmp_path, {**PROJECT, "models/m1.sql": model}))
    assert "raw.t.a -> analytics.m1.a IDENTITY" in compact(graph)["column_edges"]
    assert not [d for d in graph.diagnostics if d.code == "DT100"]


def test_an_unset_env_var_compared_with_text_takes_the_first_value(tmp_path: Path) -> None:
    # The branch the first comparison names is rendered (and only it, consistently): the model gets
    # an upstream instead of a FROM-less ``select``; DT202 says the variable was unset.
    branches = (
        "select a\n{% if env_var('FLAG') == 'S' %}from {{ source('raw', 't') }}{% endif %}\n"
        "{% if env_var('FLAG') == 'D' %}from {{ ref('m1') }}{% endif %}\n"
        "{% if env_var('FLAG') in ['S', 'X'] %}where b > 0{% endif %}"
    )
    root = write(tmp_path, {**PROJECT, "models/m3.sql": branches})
    graph = scan_tree(root)
    assert {e.source for e in graph.edges if e.target == "analytics.m3"} == {"raw.t"}
    found = {(e.edge.source.column, e.edge.target.column, e.edge.subtype.value) for e in graph.column_edges
             if e.edge.target.table == "analytics.m3"}  # fmt: skip
    assert found == {("a", "a", "IDENTITY"), ("b", None, "FILTER")}
    assert [d.code for d in graph.diagnostics if d.path == "models/m3.sql"] == ["DT202"] * 3
    # Set, the variable decides.
    graph = scan_tree(root, env_vars={"FLAG": "D"})
    assert {e.source for e in graph.edges if e.target == "analytics.m3"} == {"analytics.m1"}
