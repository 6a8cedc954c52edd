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
