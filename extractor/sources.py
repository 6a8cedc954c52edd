"""The files a scan reads: one source-tree abstraction over the disk and over git revisions.

Every frontend sees the repository through a ``SourceTree``: root-relative POSIX paths, the bytes
of a file, and a digest per file. ``DiskTree`` walks the disk once (pruning virtualenvs, VCS and
build folders) and never reads outside the root: a symlink that leaves the repository is a
diagnostic, not a read. ``MemoryTree`` holds a git revision read from git objects.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import codes
from .config import Config
from .model import Diagnostic

#: Folders a scan never enters (their files are excluded by default anyway).
PRUNED_DIRS = frozenset(
    {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".datatrail-cache", ".mypy_cache",
     ".ruff_cache", ".pytest_cache", ".tox", ".nox", "dbt_packages", "target"}
)  # fmt: skip


@dataclass
class SourceFile:
    """A file of the scanned tree: ``path`` is relative to the config root, in POSIX form."""

    path: str
    text: str


def relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` in POSIX form (as given when it is outside the root)."""
    text, base = str(path), str(root)
    if path.is_absolute() and text.startswith(base + os.sep) and ".." not in path.parts:
        return text[len(base) + 1 :].replace(os.sep, "/")  # fast path, no filesystem access
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def digest_bytes(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class SourceTree:
    """Root-relative files of one revision of a repository (the disk, or git objects)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.diagnostics: list[Diagnostic] = []
        self._digests: dict[str, str] = {}

    def files(self) -> list[str]:
        """Every included, non-excluded file under the scanned roots, sorted."""
        raise NotImplementedError

    def read(self, rel: str) -> bytes | None:
        """The bytes of ``rel``, or None (with a diagnostic) when it cannot be read."""
        raise NotImplementedError

    def digest(self, rel: str) -> str:
        """A content digest of ``rel`` (memoised); ``"-"`` for an unreadable file."""
        found = self._digests.get(rel)
        if found is None:
            data = self.read(rel)
            found = "-" if data is None else digest_bytes(data)
            self._digests[rel] = found
        return found

    def source(self, rel: str) -> SourceFile | Diagnostic:
        """The decoded text of ``rel``, or the diagnostic that explains why it is skipped."""
        data = self.read(rel)
        if data is None:
            return _unreadable(rel, "cannot read file")
        return decode_source(data, rel)


class DiskTree(SourceTree):
    """Files on disk under ``roots`` (files or directories), confined to ``config.root``."""

    def __init__(self, config: Config, roots: Sequence[Path]) -> None:
        super().__init__(config.root.resolve())
        self.config = config
        self._files: dict[str, Path] = {}
        bases = [base if base.is_absolute() else Path.cwd() / base for base in roots]
        # What the user named is read even outside the config root; links found inside must stay inside.
        self._allowed = [self.root, *(b.resolve() for b in bases if b.exists())]
        for base in bases:
            self._add_root(base)

    def _add_root(self, base: Path) -> None:
        if base.is_file():
            self._files[relative(base, self.root)] = base
            return
        if not base.is_dir():
            return
        for directory, subdirs, names in os.walk(base, onerror=self._walk_error):
            # Never descend into virtualenvs, VCS folders, build output or installed packages.
            subdirs[:] = sorted(d for d in subdirs if d not in PRUNED_DIRS)
            kept = []
            for d in subdirs:
                full = Path(directory, d)
                if full.is_symlink() and self._inside(full) is None:
                    continue  # reported once by _inside; os.walk does not follow links anyway
                kept.append(d)
            subdirs[:] = kept
            for name in names:
                candidate = Path(directory, name)
                rel = relative(candidate, self.root)
                if self.config.is_excluded(rel) or not self.config.is_included(rel):
                    continue
                if candidate.is_symlink() and self._inside(candidate) is None:
                    continue
                self._files[rel] = candidate

    def _walk_error(self, error: OSError) -> None:
        where = relative(Path(error.filename), self.root) if error.filename else "."
        self.diagnostics.append(_unreadable(where, f"cannot list directory: {error.strerror}"))

    def _inside(self, path: Path) -> str | None:
        """The root-relative path when ``path`` (links followed) stays inside the root, else None."""
        try:
            target = path.resolve()
        except (OSError, RuntimeError):  # a symlink loop
            self.diagnostics.append(_unreadable(relative(path, self.root), "symbolic link loop; not read"))
            return None
        if not any(target == allowed or allowed in target.parents for allowed in self._allowed):
            self.diagnostics.append(
                _unreadable(relative(path, self.root), "symbolic link pointing outside the repository; not read")
            )
            return None
        return relative(path, self.root)

    def files(self) -> list[str]:
        return sorted(self._files)

    def path(self, rel: str) -> Path:
        return self._files.get(rel) or self.root / rel

    def read(self, rel: str) -> bytes | None:
        path = self._files.get(rel)
        if path is None:
            candidate = self.root / rel
            if self._inside(candidate) is None:
                return None
            path = candidate
        try:
            return path.read_bytes()
        except OSError:
            return None

    def source(self, rel: str) -> SourceFile | Diagnostic:
        path = self._files.get(rel) or self.root / rel
        try:
            data = path.read_bytes()
        except OSError as e:
            return _unreadable(rel, f"cannot read: {e.strerror}")
        self._digests.setdefault(rel, digest_bytes(data))
        return decode_source(data, rel)


class MemoryTree(SourceTree):
    """A revision held in memory: root-relative path -> content (e.g. read from git objects)."""

    def __init__(self, config: Config, files: Mapping[str, bytes], roots: Iterable[str]) -> None:
        super().__init__(config.root)
        self.config = config
        self._data = files
        prefixes = ["" if r in ("", ".") else r.strip("/") + "/" for r in roots]
        self._files = sorted(
            rel
            for rel in files
            if any(rel.startswith(p) or rel == p.rstrip("/") for p in prefixes)
            and not config.is_excluded(rel)
            and config.is_included(rel)
        )

    def files(self) -> list[str]:
        return list(self._files)

    def read(self, rel: str) -> bytes | None:
        return self._data.get(rel)


#: Largest file analysed: beyond it a file is generated or hostile, and parsing it would take
#: minutes (sqlglot and libcst are superlinear on some inputs).
MAX_FILE_BYTES = 10_000_000


def decode_source(data: bytes, rel: str) -> SourceFile | Diagnostic:
    """Decode a file's bytes as UTF-8 text, or explain why it is skipped."""
    if len(data) > MAX_FILE_BYTES:
        message = f"file of {len(data):,} bytes is over the {MAX_FILE_BYTES:,}-byte budget; skipped"
        return _unreadable(rel, message)
    if b"\0" in data:
        return _unreadable(rel, "binary file skipped")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        column = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        return Diagnostic(rel, line, column, codes.severity(codes.FILE_UNREADABLE), codes.FILE_UNREADABLE,
                          "not valid UTF-8; file skipped")  # fmt: skip
    if not text.strip() and not rel.endswith("__init__.py"):  # an empty package marker is normal
        return Diagnostic(rel, 1, 1, codes.severity(codes.FILE_EMPTY), codes.FILE_EMPTY, "empty file skipped")
    return SourceFile(rel, text)


def _unreadable(rel: str, message: str) -> Diagnostic:
    return Diagnostic(rel, 1, 1, codes.severity(codes.FILE_UNREADABLE), codes.FILE_UNREADABLE, message)
