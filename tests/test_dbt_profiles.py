"""A project's own profiles.yml names its relations as dbt would (database, schema, target name)."""

from __future__ import annotations

from pathlib import Path

from extractor.config import config_from_mapping
from extractor.dbt.profiles import read_profile_target
from extractor.scan import scan

from .test_dbt_scan import write

PROJECT = {
    "dbt_project.yml": "name: p\nprofile: p\n",
    "models/sources.yml": "sources:\n  - name: raw\n    tables:\n      - name: t\n        columns: [{name: a}]\n",
    "models/m.sql": "{% if target.name == 'ci' %}select a as ci_a{% else %}select a{% endif %}"
    " from {{ source('raw', 't') }}",
}


def names(root: Path, **dbt: object) -> set[str]:
    config = config_from_mapping({"dbt": dbt} if dbt else {}, root=root.resolve())
    return set(scan([root], config).datasets)


def test_no_profile_keeps_the_configured_or_default_target(tmp_path: Path) -> None:
    assert names(write(tmp_path, PROJECT)) == {"analytics.m", "raw.t"}


def test_duckdb_profile_names_database_after_the_file_and_schema_main(tmp_path: Path) -> None:
    profile = "p:\n  target: local\n  outputs:\n    local:\n      type: duckdb\n      path: /data/warehouse.duckdb\n"
    root = write(tmp_path, {**PROJECT, "profiles.yml": profile})
    assert names(root) == {"warehouse.main.m", "warehouse.raw.t"}


def test_profile_target_name_and_templated_schema_are_rendered(tmp_path: Path) -> None:
    profile = (
        "p:\n  target: \"{{ env_var('DBT_TARGET', 'ci') }}\"\n  outputs:\n"
        "    dev:\n      type: postgres\n      dbname: devdb\n      schema: dev\n"
        "    ci:\n      type: postgres\n      dbname: cidb\n      schema: \"{{ env_var('CI_SCHEMA', 'ci_run') }}\"\n"
    )
    root = write(tmp_path, {**PROJECT, "profiles.yml": profile})
    graph = scan([root], config_from_mapping({}, root=root.resolve()))
    assert set(graph.datasets) == {"cidb.ci_run.m", "cidb.raw.t"}
    assert graph.datasets["cidb.ci_run.m"].columns == ["ci_a"]  # target.name is the profile's target


def test_configured_target_wins_over_the_profile(tmp_path: Path) -> None:
    profile = "p:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: x.duckdb\n      schema: s\n"
    root = write(tmp_path, {**PROJECT, "profiles.yml": profile})
    assert names(root, target_schema="prod_schema") == {"x.prod_schema.m", "x.raw.t"}
    assert names(root, target_database="wh") == {"wh.s.m", "wh.raw.t"}


def test_other_profiles_and_unknown_targets_are_ignored(tmp_path: Path) -> None:
    write(tmp_path, {"profiles.yml": "other:\n  target: dev\n  outputs:\n    dev: {type: duckdb}\n"})
    assert read_profile_target(tmp_path, "p") is None
    write(tmp_path, {"profiles.yml": "p:\n  target: missing\n  outputs:\n    dev: {type: duckdb}\n"})
    assert read_profile_target(tmp_path, "p") is None
    write(tmp_path, {"profiles.yml": "p:\n  outputs:\n    dev: {type: duckdb, path: ':memory:'}\n"})
    target = read_profile_target(tmp_path, "p")
    assert target is not None and (target.name, target.database, target.schema) == ("dev", "memory", "main")


def test_profile_above_the_project_within_the_scan(tmp_path: Path) -> None:
    profile = "p:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: top.duckdb\n"
    write(tmp_path, {"profiles.yml": profile, **{f"transform/{k}": v for k, v in PROJECT.items()}})
    assert names(tmp_path) == {"top.main.m", "top.raw.t"}
    # Outside the scanned tree nothing is read.
    assert names(tmp_path / "transform") == {"analytics.m", "raw.t"}


def test_duckdb_without_a_profile_uses_schema_main(tmp_path: Path) -> None:
    root = write(tmp_path, PROJECT)
    assert names(root, adapter="duckdb") == {"main.m", "raw.t"}
    assert names(root, adapter="duckdb", target_schema="x") == {"x.m", "raw.t"}


def test_a_value_from_an_unset_env_var_is_not_used(tmp_path: Path) -> None:
    profile = (
        "p:\n  target: dev\n  outputs:\n    dev:\n      type: snowflake\n"
        "      database: \"{{ env_var('SNOWFLAKE_DATABASE') }}\"\n      schema: \"dbt_{{ env_var('USER') }}\"\n"
    )
    root = write(tmp_path, {**PROJECT, "profiles.yml": profile})
    assert names(root) == {"analytics.m", "raw.t"}
