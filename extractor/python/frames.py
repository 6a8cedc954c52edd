"""DataFrames and column expressions as abstract values.

A ``Frame`` knows, for each of its columns, the source-dataset columns it is computed from
(``Origin``, with the OpenLineage subtype of the flow), plus the datasets that feed it as a whole.
Columns of a source whose schema is unknown pass through as an *open* source: any column name not
listed is assumed to come from it unchanged. A ``ColExpr`` is one column expression: a pandas
Series, a Spark Column or a polars expression, either bound (its origins are known) or still
referring to columns by name until it is applied to a frame (``F.col("a")``, ``pl.col("a")``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..model import Location, Subtype
from ..sql.query_lineage import Origin, compose
from .values import Value

Origins = frozenset[Origin]
EMPTY: Origins = frozenset()

#: Inlined transformation texts longer than this are cut (as in SQL: deeper steps are not inlined).
TEXT_LIMIT = 400


def clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def step(origins: Iterable[Origin], subtype: Subtype) -> Origins:
    """Origins seen through one more step of kind ``subtype``."""
    return frozenset(Origin(o.table, o.column, compose(subtype, o.subtype)) for o in origins)


def as_indirect(origins: Iterable[Origin], subtype: Subtype) -> Origins:
    return frozenset(Origin(o.table, o.column, subtype) for o in origins)


@dataclass(frozen=True)
class Col:
    """One known column of a frame: where it comes from and the expression that made it."""

    origins: Origins
    text: str
    loc: Location | None = field(default=None, compare=False)
    #: A literal (``df["x"] = 0``, ``F.lit("eu")``): it reads no column, and says so with an edge
    #: that has no source. False for a value that is merely unknown.
    constant: bool = False


@dataclass
class OpaqueStep:
    """An opaque step (UDF, apply …) applied on the way; reported when it reaches a dataset."""

    loc: Location
    what: str


class Frame(Value):
    """A DataFrame (pandas, Spark, polars) or array-like data with column lineage."""

    __slots__ = ("columns", "flavor", "indirect", "opaque", "open", "sources")

    def __init__(
        self,
        flavor: str,
        columns: Mapping[str, Col] | None = None,
        open: Iterable[str] = (),
        sources: Iterable[str] = (),
        indirect: Mapping[Origin, str] | None = None,
        opaque: Iterable[OpaqueStep] = (),
    ) -> None:
        self.flavor = flavor
        self.columns: dict[str, Col] = dict(columns or {})
        self.open: frozenset[str] = frozenset(open)
        self.sources: frozenset[str] = frozenset(sources) | self.open
        self.indirect: dict[Origin, str] = dict(indirect or {})
        self.opaque: list[OpaqueStep] = list(opaque)

    def __repr__(self) -> str:
        return f"Frame({self.flavor}, {list(self.columns)}, open={sorted(self.open)}, sources={sorted(self.sources)})"

    def copy(self, flavor: str | None = None, columns: Mapping[str, Col] | None = None) -> Frame:
        return Frame(
            flavor or self.flavor,
            self.columns if columns is None else columns,
            self.open,
            self.sources,
            self.indirect,
            self.opaque,
        )

    def column(self, name: str) -> Col | None:
        """A column by name: a known one, or one passing through from an open source."""
        col = self.columns.get(name)
        if col is not None:
            return col
        opaque = self.columns.get(OPAQUE_COLUMN)
        if opaque is not None:
            return opaque
        if self.open:
            return Col(frozenset(Origin(ds, name, Subtype.IDENTITY) for ds in self.open), name)
        return None

    def all_origins(self) -> Origins:
        """Every column origin of the frame; open sources count as all their columns."""
        result: set[Origin] = set()
        for col in self.columns.values():
            result.update(col.origins)
        result.update(Origin(ds, None, Subtype.IDENTITY) for ds in self.open)
        return frozenset(result)

    def add_indirect(self, origins: Iterable[Origin], subtype: Subtype, text: str) -> None:
        for o in origins:
            if o.table is not None and o.column is not None:
                self.indirect.setdefault(Origin(o.table, o.column, subtype), clip(text))


@dataclass(frozen=True)
class ColExpr(Value):
    """A column expression: bound origins, plus column names still to resolve against a frame."""

    origins: Origins = EMPTY
    refs: frozenset[tuple[str, Subtype]] = frozenset()
    text: str = ""
    name: str | None = None
    flavor: str = "pandas"
    sources: frozenset[str] = frozenset()
    #: A template applied to each of these columns (``pl.col(["a", "b"])``); ``()`` = all columns.
    each: tuple[str, ...] | None = None
    conditions: Origins = EMPTY  # CASE/when conditions, as CONDITIONAL origins
    loc: Location | None = field(default=None, compare=False)
    aggregated: bool = False
    constant: bool = False  # ``F.lit(0)``, ``pl.lit("eu")``: a literal, no column read

    def resolve(self, frame: Frame | None) -> Origins:
        """The origins once the names it refers to are looked up in ``frame``."""
        result = set(self.origins)
        if frame is not None:
            for name, subtype in self.refs:
                col = frame.column(name)
                if col is not None:
                    result.update(step(col.origins, subtype))
        result.update(self.conditions)
        return frozenset(result)


def union_frames(frames: list[Frame], flavor: str | None = None) -> Frame:
    """Rows of several frames stacked (concat, union): columns merge by name."""
    columns: dict[str, Col] = {}
    opened: set[str] = set()
    sources: set[str] = set()
    indirect: dict[Origin, str] = {}
    opaque: list[OpaqueStep] = []
    for f in frames:
        for name, col in f.columns.items():
            prev = columns.get(name)
            columns[name] = col if prev is None else Col(prev.origins | col.origins, prev.text, prev.loc)
        opened |= f.open
        sources |= f.sources
        indirect.update(f.indirect)
        opaque.extend(f.opaque)
    if opened:
        # a column known in one input and unknown in another also comes from the open sources
        for name, col in list(columns.items()):
            extra = frozenset(Origin(ds, name, Subtype.IDENTITY) for ds in opened)
            columns[name] = Col(col.origins | extra, col.text, col.loc)
    return Frame(flavor or (frames[0].flavor if frames else "pandas"), columns, opened, sources, indirect, opaque)


def opaque_frame(inputs: list[Frame], flavor: str, loc: Location, what: str) -> Frame:
    """The result of an opaque step: all input columns flow to all (unknown) outputs."""
    sources: set[str] = set()
    indirect: dict[Origin, str] = {}
    steps: list[OpaqueStep] = []
    origins: set[Origin] = set()
    for f in inputs:
        sources |= f.sources
        indirect.update(f.indirect)
        steps.extend(f.opaque)
        origins |= f.all_origins()
    frame = Frame(flavor, {}, (), sources, indirect, [*steps, OpaqueStep(loc, what)])
    frame.columns[OPAQUE_COLUMN] = Col(step(origins, Subtype.TRANSFORMATION), clip(what), loc)
    return frame


#: The pseudo column of an opaque frame: every output column (written as ``*``).
OPAQUE_COLUMN = "*"
