"""pyarrow: reading and writing files (``pyarrow.csv`` / ``json`` / ``parquet`` / ``feather`` / ``orc``),
and Arrow tables to and from pandas.

An Arrow table is a frame of flavor ``arrow``: ``pq.write_table(pv.read_csv(src), dst)`` is a flow
from ``src`` to ``dst`` with every column copied, ``Table.from_pandas(df)`` and ``table.to_pandas()``
carry the columns over, and column selection keeps only the selected ones.
"""

from __future__ import annotations

from ..model import DatasetKind, Subtype
from .dataframes import drop, names_of, rename, select_exprs
from .frames import EMPTY, ColExpr, Frame
from .interpreter import REGISTRY, Interpreter, Site
from .objects import FileHandle
from .values import NONE, Value

#: Readers: qualified name -> the keyword of the path argument (first positional otherwise).
_READS = {
    "pyarrow.csv.read_csv": "input_file", "pyarrow.csv.open_csv": "input_file", "pyarrow.json.read_json": "input_file",
    "pyarrow.parquet.read_table": "source", "pyarrow.parquet.read_pandas": "source",
    "pyarrow.parquet.ParquetDataset": "path_or_paths", "pyarrow.feather.read_table": "source",
    "pyarrow.feather.read_feather": "source", "pyarrow.orc.read_table": "source", "pyarrow.dataset.dataset": "source",
}  # fmt: skip
#: Writers: qualified name -> the keyword of the destination (second positional otherwise).
_WRITES = {
    "pyarrow.parquet.write_table": "where", "pyarrow.parquet.write_to_dataset": "root_path",
    "pyarrow.csv.write_csv": "output_file", "pyarrow.feather.write_feather": "dest", "pyarrow.orc.write_table": "where",
    "pyarrow.dataset.write_dataset": "base_dir",
}  # fmt: skip


_FROM_PANDAS = ("pyarrow.Table.from_pandas", "pyarrow.table", "pyarrow.Table.from_pylist")


@REGISTRY.function(*_READS, *_WRITES, *_FROM_PANDAS)
def _functions(interp: Interpreter, site: Site) -> Value | None:
    args = site.args
    if site.name in _READS:
        keyword = _READS[site.name]
        value = args.get(0, keyword)
        if isinstance(value, FileHandle):
            value = value.path
        names = interp.sink.path_names(interp, site.ctx, args.node(0, keyword) or site.node, value)
        columns = names_of(args.kw.get("columns"))
        frame = interp.sink.read(interp, site.ctx, site.node, names, DatasetKind.FILE, "arrow", columns)
        if site.name == "pyarrow.parquet.read_pandas":
            return frame.copy("pandas")
        return frame
    if site.name in _WRITES:
        keyword = _WRITES[site.name]
        target = args.get(1, keyword)
        if target is None:
            return None
        if isinstance(target, FileHandle):
            target = target.path
        node = args.node(1, keyword) or site.node
        names = interp.sink.path_names(interp, site.ctx, node, target)
        data = args.get(0, "table") or args.get(0, "df") or args.get(0, "data")
        interp.sink.write(interp, site.ctx, site.node, data, names, DatasetKind.FILE, site.name, args.node(0))
        return NONE
    if site.name in _FROM_PANDAS:
        data = args.get(0, "df")
        return data.copy("arrow") if isinstance(data, Frame) else None
    return None


@REGISTRY.method(Frame)
def table_method(interp: Interpreter, frame: Value, site: Site) -> Value | None:
    assert isinstance(frame, Frame)
    if frame.flavor != "arrow":
        return None
    name = site.name
    args = site.args
    if name == "to_pandas":
        return frame.copy("pandas")
    if name in ("read", "read_all", "to_table", "combine_chunks", "slice", "filter", "sort_by", "cast"):
        return frame.copy()
    if name == "select":
        selected = names_of(args.get(0, "columns")) or []
        return select_exprs(frame, [(c, _column(c)) for c in selected]) if selected else frame.copy()
    if name in ("drop", "drop_columns"):
        return drop(frame, names_of(args.get(0, "columns")) or [])
    if name == "rename_columns":
        new = names_of(args.get(0, "names"))
        old = [c for c in frame.columns if not c.startswith("<")]
        if new and len(new) == len(old):
            return rename(frame, dict(zip(old, new, strict=True)))
        return frame.copy()
    if name in ("to_pylist", "to_pydict", "column", "num_rows", "schema"):
        return frame.copy("data")
    return None


def _column(name: str) -> ColExpr:
    """A column of the table, copied as it is."""
    return ColExpr(EMPTY, frozenset({(name, Subtype.IDENTITY)}), name, name, "arrow")


__all__ = ["table_method"]
