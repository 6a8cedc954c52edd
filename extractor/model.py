"""The typed lineage model: small frozen dataclasses that everything else passes around.

Identity is the name, never the place: every ``location`` field is excluded from equality and
hashing, so moving a statement inside a file does not change the lineage.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field


class EdgeKind(str, enum.Enum):
    """OpenLineage column-lineage transformation type."""

    DIRECT = "direct"
    INDIRECT = "indirect"


class Subtype(str, enum.Enum):
    """OpenLineage column-lineage transformation subtype."""

    IDENTITY = "IDENTITY"
    TRANSFORMATION = "TRANSFORMATION"
    AGGREGATION = "AGGREGATION"
    JOIN = "JOIN"
    FILTER = "FILTER"
    GROUP_BY = "GROUP_BY"
    SORT = "SORT"
    WINDOW = "WINDOW"
    CONDITIONAL = "CONDITIONAL"

    @property
    def kind(self) -> EdgeKind:
        return EdgeKind.DIRECT if self in _DIRECT else EdgeKind.INDIRECT


_DIRECT = frozenset({Subtype.IDENTITY, Subtype.TRANSFORMATION, Subtype.AGGREGATION})

#: Indirect subtypes that make a whole dataset depend on a column (OpenLineage's dataset-level lineage).
DATASET_WIDE = frozenset({Subtype.JOIN, Subtype.FILTER, Subtype.GROUP_BY, Subtype.SORT})


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class DatasetKind(str, enum.Enum):
    TABLE = "table"
    VIEW = "view"
    TEMPORARY = "temporary"
    FILE = "file"
    DBT_MODEL = "dbt_model"
    DBT_SOURCE = "dbt_source"
    DBT_SEED = "dbt_seed"
    MODEL = "model"
    DASHBOARD = "dashboard"
    UNKNOWN = "unknown"


@dataclass(frozen=True, order=True)
class Location:
    """A place in a source file; 1-based line and column (0 when unknown)."""

    path: str
    line: int
    column: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True, order=True)
class ColumnRef:
    """A column of a dataset; ``table`` is None when the dataset could not be resolved (both None:
    :data:`NO_SOURCE`, the source of a constant)."""

    table: str | None
    column: str | None

    @property
    def dataset(self) -> str | None:
        return self.table

    def __str__(self) -> str:
        if self.table is None and self.column is None:
            return "constant"
        return f"{self.table or '?'}.{self.column if self.column is not None else '*'}"


#: The source of a column edge into a column whose value reads no column at all (a literal, NULL,
#: ``CURRENT_TIMESTAMP``, a CASE over literals …): DataHub's upstreamType NONE. Such an edge says
#: "this column is a constant" explicitly, where no edge would say nothing. It is never a graph
#: node: every consumer checks ``ColumnEdge.constant`` before using an edge's source.
#: Unresolved columns are ``ColumnRef(None, name)`` and unknown stars ``ColumnRef(table, "*")``,
#: so nothing else has both parts None.
NO_SOURCE = ColumnRef(None, None)


@dataclass(frozen=True)
class ColumnEdge:
    """One column-to-column flow; ``target.column`` is None for dataset-wide indirect lineage."""

    source: ColumnRef
    target: ColumnRef
    subtype: Subtype
    transformation: str = field(compare=False)
    fingerprint: str
    location: Location | None = field(default=None, compare=False)

    @property
    def kind(self) -> str:
        return self.subtype.kind.value

    @property
    def constant(self) -> bool:
        """Whether this edge says its target is a constant (it has no source, :data:`NO_SOURCE`)."""
        return self.source.table is None and self.source.column is None


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


@dataclass(frozen=True, order=True)
class Diagnostic:
    """A problem found while analysing; prints as ``path:line:col: CODE message``."""

    path: str
    line: int
    column: int
    severity: Severity
    code: str
    message: str

    def __post_init__(self) -> None:
        # Exception texts can carry reprs such as ``<Foo object at 0x7f…>``: the address differs
        # between runs and would make output nondeterministic, so it never reaches a message.
        if " at 0x" in self.message:
            object.__setattr__(self, "message", _ADDRESS.sub("", self.message))

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.code} {self.message}"
