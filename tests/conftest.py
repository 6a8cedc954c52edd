from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "fixtures" / "example_shop"

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed")


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    """A private copy of the example shop, safe to modify."""
    target = tmp_path / "example_shop"
    shutil.copytree(EXAMPLE, target)
    return target


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never share (or write into the repository's) analysis cache."""
    monkeypatch.setenv("DATATRAIL_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
