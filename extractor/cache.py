"""A content-addressed analysis cache shared by scan, diff and check.

Entries are keyed by a hash of everything an analysis depends on: the file's text, its dialect,
datatrail's version and the columns known for the tables it reads. An unchanged file is therefore
never re-analysed, whichever command or revision asks. Storage is one SQLite file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import zlib
from pathlib import Path
from typing import Any

from . import __version__
from .model import ColumnEdge, ColumnRef, DatasetKind, Diagnostic, Location, Severity, Subtype
from .sql.statements import StatementLineage

SCHEMA_VERSION = 1


def key(*parts: object) -> str:
    """A stable hash of ``parts`` plus datatrail's version."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (__version__, SCHEMA_VERSION, *parts):
        digest.update(repr(part).encode())
        digest.update(b"\x1f")
    return digest.hexdigest()


class AnalysisCache:
    """Get and put JSON-able values by key; a cache opened with ``path=None`` stores nothing."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.hits = 0
        self.misses = 0
        self._db: sqlite3.Connection | None = None
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(str(path), timeout=10, isolation_level=None)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=OFF")
                self._db.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value BLOB)")
            except (OSError, sqlite3.Error):
                self._db = None  # an unusable cache only costs speed

    def get(self, k: str) -> Any | None:
        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT value FROM entries WHERE key = ?", (k,)).fetchone()
        except sqlite3.Error:
            return None
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        return json.loads(zlib.decompress(row[0]))

    def put(self, k: str, value: Any) -> None:
        if self._db is None:
            return
        data = zlib.compress(json.dumps(value, separators=(",", ":")).encode(), 1)
        with contextlib.suppress(sqlite3.Error):
            self._db.execute("INSERT OR REPLACE INTO entries (key, value) VALUES (?, ?)", (k, data))

    def begin(self) -> None:
        if self._db is not None:
            self._db.execute("BEGIN")

    def commit(self) -> None:
        if self._db is not None and self._db.in_transaction:
            self._db.execute("COMMIT")

    def close(self) -> None:
        if self._db is not None:
            self.commit()
            self._db.close()
            self._db = None


def edge_to_dict(e: ColumnEdge) -> list[Any]:
    loc = e.location
    return [
        e.source.table, e.source.column, e.target.table, e.target.column, e.subtype.value,
        e.transformation, e.fingerprint, None if loc is None else [loc.path, loc.line, loc.column],
    ]  # fmt: skip


def edge_from_dict(d: list[Any]) -> ColumnEdge:
    loc = None if d[7] is None else Location(d[7][0], d[7][1], d[7][2])
    return ColumnEdge(ColumnRef(d[0], d[1]), ColumnRef(d[2], d[3]), Subtype(d[4]), d[5], d[6], loc)


def statement_to_dict(s: StatementLineage) -> dict[str, Any]:
    return {
        "i": s.index, "k": s.kind, "l": [s.location.path, s.location.line, s.location.column],
        "src": sorted(s.source_tables), "tgt": sorted(s.target_tables),
        "e": [edge_to_dict(e) for e in s.column_edges],
        "tc": {k: list(v) for k, v in s.target_columns.items()},
        "dk": {k: v.value for k, v in s.dataset_kinds.items()},
        "fp": s.fingerprint, "dr": list(s.dropped), "rn": [list(p) for p in s.renamed],
        "sw": [list(p) for p in s.swapped], "use": s.use, "rc": s.replaces_columns, "g": s.group,
        "m": s.modifiers,
    }  # fmt: skip


def statement_from_dict(d: dict[str, Any]) -> StatementLineage:
    return StatementLineage(
        d["i"], d["k"], Location(*d["l"]), frozenset(d["src"]), frozenset(d["tgt"]),
        [edge_from_dict(e) for e in d["e"]], [], {k: tuple(v) for k, v in d["tc"].items()},
        {k: DatasetKind(v) for k, v in d["dk"].items()}, d["fp"], tuple(d["dr"]),
        tuple((a, b) for a, b in d["rn"]), tuple((a, b) for a, b in d["sw"]), d["use"], d["rc"], d["g"],
        dict(d.get("m") or {}),
    )  # fmt: skip


def diagnostic_to_list(d: Diagnostic) -> list[Any]:
    return [d.path, d.line, d.column, d.severity.value, d.code, d.message]


def diagnostic_from_list(d: list[Any]) -> Diagnostic:
    return Diagnostic(d[0], d[1], d[2], Severity(d[3]), d[4], d[5])
