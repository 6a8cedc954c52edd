"""The columnLineage dataset facet (1-2-0) of one output dataset, from datatrail's column edges.

datatrail already speaks OpenLineage's taxonomy: an edge's subtype is OpenLineage's
transformation subtype and its kind the transformation type. An edge to a column becomes an
``inputFields`` entry of that column; an edge to the whole dataset (a JOIN, FILTER, GROUP BY or
SORT key) becomes an entry of the facet's ``dataset`` list. The description is the normalized
expression, the same text whose hash is the edge fingerprint that diffs compare. A constant column
(an edge with no source) is a field with an empty ``inputFields`` list (the spec requires the list,
not that it has entries) and its expression as the description: evaluated from no input.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from openlineage.client.generated.column_lineage_dataset import (
    ColumnLineageDatasetFacet,
    Fields,
    InputField,
    Transformation,
)

from ..model import ColumnEdge, EdgeKind
from .masking import is_masking
from .namespaces import DatasetId

#: An edge whose source column is unknown (``SELECT *`` over a table of unknown columns, COUNT(*)).
ALL_COLUMNS = "*"

_Key = tuple[str, str, str]  # namespace, name, field


def column_lineage(
    edges: Iterable[ColumnEdge],
    identify: Callable[[str], DatasetId],
    target: DatasetId,
    producer: str,
    dialect: str | None = None,
) -> ColumnLineageDatasetFacet | None:
    """The facet for the edges that land in dataset ``target``, or None when there are none."""
    by_field: dict[str, dict[_Key, set[tuple[str, str, str, bool]]]] = defaultdict(lambda: defaultdict(set))
    dataset_wide: dict[_Key, set[tuple[str, str, str, bool]]] = defaultdict(set)
    constants: dict[str, set[str]] = defaultdict(set)
    for edge in edges:
        if edge.constant and edge.target.column is not None:
            constants[target.column(edge.target.column)].add(edge.transformation)
            continue
        if edge.source.table is None:
            continue
        source = identify(edge.source.table)
        key = (source.namespace, source.name, source.column(edge.source.column or ALL_COLUMNS))
        kind = edge.subtype.kind
        masking = kind is EdgeKind.DIRECT and is_masking(edge.transformation, edge.source.column, dialect)
        transformation = (kind.value.upper(), edge.subtype.value, edge.transformation, masking)
        if edge.target.column is None:
            dataset_wide[key].add(transformation)
        else:
            by_field[target.column(edge.target.column)][key].add(transformation)
    if not by_field and not dataset_wide and not constants:
        return None
    fields = {column: _fields(sources) for column, sources in by_field.items()}
    for column, descriptions in constants.items():
        if column not in fields:
            only = sorted(descriptions)
            fields[column] = Fields(inputFields=[], transformationDescription=only[0] if len(only) == 1 else None)
    return ColumnLineageDatasetFacet(
        fields=dict(sorted(fields.items())),
        dataset=_input_fields(dataset_wide),
        producer=producer,
    )


def _fields(sources: dict[_Key, set[tuple[str, str, str, bool]]]) -> Fields:
    """One output column, with the deprecated field-level summary that older consumers still read.

    Marquez stores only ``transformationDescription`` and ``transformationType`` (IDENTITY or
    MASKED); they are filled in only when they say something true of every direct input."""
    direct = [t for transformations in sources.values() for t in transformations if t[0] == "DIRECT"]
    descriptions = {description for _, _, description, _ in direct}
    kind = None
    if direct and all(masking for *_, masking in direct):
        kind = "MASKED"
    elif direct and all(subtype == "IDENTITY" for _, subtype, _, _ in direct):
        kind = "IDENTITY"
    return Fields(
        inputFields=_input_fields(sources),
        transformationDescription=descriptions.pop() if len(descriptions) == 1 else None,
        transformationType=kind,
    )


def _input_fields(sources: dict[_Key, set[tuple[str, str, str, bool]]]) -> list[InputField]:
    return [
        InputField(
            namespace=namespace,
            name=name,
            field=field,
            transformations=[
                Transformation(type=kind, subtype=subtype, description=description, masking=masking)
                for kind, subtype, description, masking in sorted(transformations)
            ],
        )
        for (namespace, name, field), transformations in sorted(sources.items())
    ]
