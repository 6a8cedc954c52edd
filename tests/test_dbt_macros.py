"""dbt macro lookup: by name in the macro namespace, never as attributes; dunder names never resolve."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.config import config_from_mapping
from extractor.dbt.macros import Namespace
from extractor.scan import scan


def test_a_macro_named_like_a_python_dunder_never_resolves(tmp_path: Path) -> None:
    """A macro called ``__reduce_ex__`` must not hand templates Python's own method (copyreg)."""
    (tmp_path / "dbt_project.yml").write_text("name: p\nprofile: p\n")
    (tmp_path / "macros").mkdir()
    (tmp_path / "macros" / "m.sql").write_text("{% macro __reduce_ex__(p) %}x{% endmacro %}")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "m.sql").write_text("select * from {{ __reduce_ex__(2) }}")
    graph = scan([tmp_path], config_from_mapping({}, root=tmp_path))
    # Resolved, it would render ``(<function _reconstructor …>, …)``: a syntax error naming copyreg.
    assert [d.code for d in graph.diagnostics] == ["DT201"]
    assert "__reduce_ex__" in graph.diagnostics[0].message
    assert "analytics.m" in graph.datasets


def test_namespace_lookup_allows_private_macros_and_refuses_dunders() -> None:
    class Index:
        def resolve(self, namespace: str, name: str) -> str:
            return f"{namespace}.{name}"

    ns = Namespace(Index(), "dbt_utils")  # type: ignore[arg-type]
    assert ns["_is_relation"] == "dbt_utils._is_relation"
    with pytest.raises(KeyError):
        ns["__reduce_ex__"]
    with pytest.raises(AttributeError):
        ns.__getattr__("_is_relation")  # the sandbox then falls back to ns["_is_relation"]


def test_a_render_error_is_reported_on_the_model_naming_the_macro() -> None:
    root = Path(__file__).resolve().parent.parent / "fixtures" / "dbt" / "render_errors"
    graph = scan([root], config_from_mapping({"dbt": {"dialect": "postgres"}}, root=root))
    (error,) = [d for d in graph.diagnostics if d.code == "DT200"]
    assert (error.path, error.line) == ("models/orders.sql", 3)
    assert error.message.endswith("(raised in dbt_packages/pkg/macros/checks.sql:2)")


def test_the_scan_says_how_many_models_are_disabled_and_why() -> None:
    root = Path(__file__).resolve().parent.parent / "fixtures" / "dbt" / "render_errors"
    graph = scan([root], config_from_mapping({"dbt": {"dialect": "postgres"}}, root=root))
    (summary,) = [d for d in graph.diagnostics if d.code == "DT207"]
    assert summary.path == "dbt_project.yml"
    assert summary.message.startswith("1 of 3 models of shop are disabled and not analysed (1 by config(enabled=...)")


def test_text_around_macros_reports_nothing_whatever_process_loads_the_file(tmp_path: Path) -> None:
    # dbt reads only the macros of a macro file. An example call in a SQL comment around them used
    # to report a DT201 into whichever model's render loaded the file first, so the scan's
    # diagnostics changed with --jobs (dbt-ncl-analytics).
    from extractor import json_format
    from extractor.config import Config

    (tmp_path / "models").mkdir()
    (tmp_path / "macros").mkdir()
    (tmp_path / "dbt_project.yml").write_text("name: shop\nprofile: shop\n", encoding="utf-8")
    (tmp_path / "macros" / "dates.sql").write_text(
        "/* usage: where d <= {{ reference_date() }} */\n"
        "{% macro reference_date() %}{{ var('reference_date', '2025-01-01') }}{% endmacro %}\n",
        encoding="utf-8",
    )
    for i in range(20):
        (tmp_path / "models" / f"m{i}.sql").write_text(
            f"{{{{ config(materialized='table') }}}} select {i} as id where '{{{{ reference_date() }}}}' > ''",
            encoding="utf-8",
        )
    serial, parallel = (scan([tmp_path], Config(root=tmp_path.resolve()), jobs=jobs) for jobs in (1, 2))
    assert json_format.dumps(serial) == json_format.dumps(parallel)
    assert not [d for d in serial.diagnostics if d.path == "macros/dates.sql"]
