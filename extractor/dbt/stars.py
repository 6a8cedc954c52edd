"""Columns of ``select *`` models over inputs whose columns nobody declared, learned from their readers.

``stg_orders = select * from {{ source('shop', 'orders') }}`` has unknown columns when the source
YAML lists none. If a downstream model reads ``stg_orders.amount``, then ``amount`` is a column of
``stg_orders`` and, the star passing its input through, of the source too: the edge
``shop.orders.amount -> stg_orders.amount IDENTITY`` is certain. Models are visited downstream
first, so the knowledge flows up a chain of star models. Columns a model's YAML declares count as
read too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..graph import LineageGraph
from ..model import ColumnEdge, ColumnRef, Location, Subtype
from ..sql.statements import StatementLineage, fingerprint


@dataclass(frozen=True)
class StarModel:
    """A model whose output passes every column of one input through an unexpanded star."""

    target: str
    source: str
    job: str
    named: frozenset[str]  # the model's other, explicitly named outputs
    declared: tuple[str, ...]  # columns its property file declares
    location: Location | None


def star_model(target: str, job: str, statement: StatementLineage, declared: Sequence[str]) -> StarModel | None:
    """The star passthrough of a model's statement, if its output has exactly one unexpanded star."""
    stars = [o for o in statement.outputs if o.name == "*"]
    if len(stars) != 1:
        return None
    tables = {o.table for o in stars[0].origins if o.column is None and o.subtype is Subtype.IDENTITY}
    if len(tables) != 1 or len(stars[0].origins) != 1:
        return None
    source = next(iter(tables))
    if source is None or source == target:
        return None
    location = next((e.location for e in statement.column_edges if e.target.table == target), None)
    named = frozenset(o.name for o in statement.outputs if o.name != "*")
    return StarModel(target, source, job, named, tuple(declared), location)


def complete_star_columns(graph: LineageGraph, models: Sequence[StarModel]) -> None:
    """Add the identity edges of star columns that downstream models (or YAML) show to exist."""
    read: dict[str, set[str]] = {}
    for je in graph.column_edges:
        source = je.edge.source
        if source.table and source.column and source.column != "*":
            read.setdefault(source.table, set()).add(source.column)
    for model in reversed(models):
        columns = (read.get(model.target, set()) | set(model.declared)) - model.named
        for column in sorted(columns):
            text = f"{model.source}.{column}"
            edge = ColumnEdge(ColumnRef(model.source, column), ColumnRef(model.target, column), Subtype.IDENTITY,
                              text, fingerprint(text), model.location)  # fmt: skip
            graph.add_column_edge(edge, model.job)
            read.setdefault(model.source, set()).add(column)
