"""A content-addressed analysis cache shared by scan, diff and check.

Entries are keyed by a hash of everything an analysis depends on: the file's text, its dialect,
datatrail's version and code, and the columns known for the tables it reads. An unchanged file is therefore
never re-analysed, whichever command or revision asks. Storage is one SQLite file.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import sqlite3
import zlib
from pathlib import Path
from typing import Any

from . import __version__

SCHEMA_VERSION = 2


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """A digest of datatrail's own code: an upgrade (even one keeping the version number) never
    reuses results an older analysis produced."""
    digest = hashlib.blake2b(digest_size=16)
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".json") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def key(*parts: object) -> str:
    """A stable hash of ``parts`` plus datatrail's version and code."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (__version__, SCHEMA_VERSION, code_digest(), *parts):
        digest.update(repr(part).encode())
        digest.update(b"\x1f")
    return digest.hexdigest()


class AnalysisCache:
    """Get and put JSON-able values by key; a cache opened with ``path=None`` stores nothing.

    The file is datatrail's alone: one that is corrupt or not in this format is replaced, and a
    value that does not decode is a miss. Several processes may share it (SQLite WAL); a write
    that loses a race is dropped, which only costs speed."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.hits = 0
        self.misses = 0
        self._db: sqlite3.Connection | None = None
        if path is not None:
            self._db = _open(path) or (_open(path, fresh=True) if _discard(path) else None)

    @property
    def stores(self) -> bool:
        """Whether ``put`` keeps anything (False with no path, or a file that could not be opened)."""
        return self._db is not None

    def get(self, k: str) -> Any | None:
        return self.decode(self.read(k))

    def read(self, k: str) -> bytes | None:
        """The entry's stored bytes, to ``decode`` later (a large entry's decoding can then wait
        for a moment when the process would otherwise wait)."""
        if self._db is None:
            return None
        try:
            row = self._db.execute("SELECT value FROM entries WHERE key = ?", (k,)).fetchone()
        except sqlite3.Error:
            row = None
        return None if row is None else row[0]

    def decode(self, data: bytes | None) -> Any | None:
        """The value ``read`` returned the bytes of; None (a miss) when absent or unreadable."""
        try:
            value = None if data is None else json.loads(zlib.decompress(data))
        except (zlib.error, ValueError, TypeError):
            value = None
        if value is None:
            self.misses += 1
            return None
        self.hits += 1
        return value

    def put(self, k: str, value: Any) -> None:
        if self._db is None:
            return
        data = zlib.compress(json.dumps(value, separators=(",", ":")).encode(), 1)
        with contextlib.suppress(sqlite3.Error):
            self._db.execute("INSERT OR REPLACE INTO entries (key, value) VALUES (?, ?)", (k, data))

    def begin(self) -> None:
        if self._db is not None and not self._db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("BEGIN")

    def commit(self) -> None:
        if self._db is not None and self._db.in_transaction:
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error:  # another process holds the lock: these entries are dropped
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")

    def close(self) -> None:
        if self._db is not None:
            self.commit()
            self._db.close()
            self._db = None


_MARKER = "datatrail-analysis-cache"


def _open(path: Path, fresh: bool = False) -> sqlite3.Connection | None:
    """Open (or create) the cache database; None when it is unusable or not datatrail's."""
    db = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        ignore = path.parent / ".gitignore"
        if not ignore.exists():  # like ruff's and pytest's caches: never committed
            ignore.write_text("# created by datatrail\n*\n", encoding="utf-8")
        db = sqlite3.connect(str(path), timeout=10, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        db.execute("CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value BLOB)")
        row = db.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        if row is None:
            if not fresh and db.execute("SELECT 1 FROM entries LIMIT 1").fetchone() is not None:
                raise sqlite3.DatabaseError("entries without a format marker")
            db.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?)", (f"{_MARKER} {SCHEMA_VERSION}",))
        elif row[0] != f"{_MARKER} {SCHEMA_VERSION}":
            raise sqlite3.DatabaseError(f"foreign cache format {row[0]!r}")
        return db
    except (OSError, sqlite3.Error):
        if db is not None:
            db.close()
        return None


def _discard(path: Path) -> bool:
    """Remove an unusable cache file (and its WAL) so it can be rebuilt."""
    try:
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return True
    except OSError:
        return False
