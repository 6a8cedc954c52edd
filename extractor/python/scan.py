"""Entry point of Python support: analyse Python files (and notebooks) into the graph."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ..config import Config
from ..graph import LineageGraph
from ..sql.catalog import SchemaCatalog

if TYPE_CHECKING:
    from ..scan import SourceFile


def scan_python(
    sources: Sequence[SourceFile],
    config: Config,
    graph: LineageGraph,
    catalog: SchemaCatalog,
    progress: Callable[[str], None] | None = None,
) -> None:
    """Analyse ``.py`` and ``.ipynb`` sources statically (nothing is imported or run)."""
    return None
