"""Walk a first-parent line of commits and pair each commit's lineage graph with its parent's.

Everything is read from git objects through ``revisions.scan_revision`` (never a checkout), and
three things keep a long walk cheap:

- a commit whose changed files cannot affect a scan (a README, a CI workflow, an image) is not
  scanned: its parent's graph is the same graph;
- every scan shares one analysis cache, so unchanged files are not analysed again;
- each commit is scanned at most once, as the head of one comparison and the base of the next,
  and its graph is kept in the cache under the commit id, so a second walk scans nothing.

A commit whose objects are missing (a partial or shallow clone) becomes a note and the walk goes
on: the next readable ancestor is compared instead, and the comparison says which commits it spans.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from . import git, graph_codec
from .cache import AnalysisCache
from .cache import key as cache_key
from .codes import OBJECTS_MISSING
from .config import Config
from .errors import DatatrailError
from .graph import LineageGraph
from .revisions import Snapshot, scan_revision

#: Files a dbt project (or a schema file) may read besides the configured includes: YAML
#: properties and sources, seeds, profiles, a manifest, sqlfluff settings.
DATA_SUFFIXES = frozenset({".sql", ".py", ".ipynb", ".yml", ".yaml", ".csv", ".json", ".toml", ".jinja", ".j2"})
CONFIG_NAMES = frozenset({"pyproject.toml", ".sqlfluff", "profiles.yml", "dbt_project.yml"})


@dataclass(frozen=True)
class Note:
    """Something the walk could not do; prints as ``<sha>: CODE message``."""

    sha: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.sha[:12]}: {self.code} {self.message}"


@dataclass(frozen=True)
class Step:
    """``commit`` changed files that may change lineage: its graph and the graph it is compared with.

    ``base_sha`` is normally the first parent (None for a root commit, compared with nothing);
    ``spans`` lists the unreadable commits between them when the parent could not be read."""

    commit: git.Commit
    base: Snapshot
    head: Snapshot
    base_sha: str | None
    spans: tuple[str, ...] = ()


def _snapshot_to(snap: Snapshot) -> dict[str, Any]:
    c = snap.config
    settings = {"paths": c.paths, "include": c.include, "exclude": c.exclude, "schema_files": c.schema_files}
    return {"graph": graph_codec.encode(snap.graph), "prefix": snap.prefix, "config": settings}


def _snapshot_from(stored: dict[str, Any], sha: str, repo: Path, decoder: graph_codec.Decoder) -> Snapshot:
    prefix = str(stored["prefix"])
    config = Config(root=repo / prefix if prefix else repo, **stored["config"])
    return Snapshot(sha, decoder.decode(stored["graph"]), config, prefix)


@dataclass
class WalkStats:
    commits: int = 0
    scanned: int = 0
    skipped: int = 0  # commits whose files could not change lineage
    unreadable: int = 0


def can_change_lineage(path: str, snapshot: Snapshot) -> bool:
    """Whether a changed repository path could change the scan of ``snapshot``'s revision.

    Conservative: configuration files anywhere, the files the configuration includes, and the data
    and YAML files a dbt project reads (outside dot-folders such as ``.github/``)."""
    name = PurePosixPath(path).name
    if name in CONFIG_NAMES:
        return True
    config: Config = snapshot.config
    prefix = snapshot.prefix
    if prefix:
        if not path.startswith(prefix + "/"):
            return False
        path = path[len(prefix) + 1 :]
    if path in config.schema_files:
        return True
    if config.paths and not any(path == p.strip("/") or path.startswith(p.strip("/") + "/") for p in config.paths):
        return False
    if config.is_excluded(path):
        return False
    if config.is_included(path):
        return True
    parts = PurePosixPath(path).parts
    return PurePosixPath(path).suffix.lower() in DATA_SUFFIXES and not any(p.startswith(".") for p in parts[:-1])


class RevisionWalk:
    """The commits of ``head`` (not of ``exclude``) along first parents, newest first, in pairs.

    ``steps()`` yields one ``Step`` per commit whose changes may reach lineage; ``notes`` and
    ``stats`` describe the rest."""

    def __init__(
        self,
        repo: Path,
        head: str,
        exclude: str | None = None,
        subpath: Path = Path("."),
        paths: Sequence[str] = (),
        cache: AnalysisCache | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.repo = repo
        self.head = head
        self.subpath = subpath
        self.paths = tuple(paths)
        self.cache = cache
        self.progress = progress
        self.commits = git.first_parent_log(repo, head, exclude)
        self.notes: list[Note] = []
        self.errors: dict[str, str] = {}  # sha -> why it cannot be read
        self.stats = WalkStats(commits=len(self.commits))
        self._snapshots: dict[str, Snapshot | None] = {}
        self._decoder = graph_codec.Decoder()

    def snapshot(self, sha: str) -> Snapshot | None:
        """The scan of one commit, or None (and a note) when its objects cannot be read."""
        if sha in self._snapshots:
            return self._snapshots[sha]
        memo = self._memo_key(sha)
        stored = self.cache.get(memo) if self.cache is not None else None
        if stored is not None:
            try:
                snap: Snapshot | None = _snapshot_from(stored, sha, self.repo, self._decoder)
            except (ValueError, KeyError, TypeError):
                snap = None  # written by another datatrail: scan again
            if snap is not None:
                self.stats.scanned += 1
                self._snapshots[sha] = snap
                return snap
        try:
            snap = scan_revision(self.repo, sha, self.subpath, self.paths, self.cache)
            self.stats.scanned += 1
            if self.cache is not None:
                self.cache.put(memo, _snapshot_to(snap))
        except DatatrailError as e:
            snap = None
            self.stats.unreadable += 1
            self.notes.append(Note(sha, OBJECTS_MISSING, f"cannot be read ({e}); left out of the walk"))
            self.errors[sha] = str(e)
        self._snapshots[sha] = snap
        return snap

    def _memo_key(self, sha: str) -> str:
        # A commit id fixes every file of the revision, so its graph never goes stale (the key
        # also holds datatrail's version); warm walks read graphs instead of scanning again.
        return f"revision-graph{graph_codec.VERSION}:" + cache_key(sha, self.subpath.as_posix(), self.paths)

    def head_snapshot(self) -> Snapshot | None:
        return self.snapshot(self.head)

    def _empty(self, like: Snapshot) -> Snapshot:
        return Snapshot("empty", LineageGraph(), like.config, like.prefix)

    def steps(self) -> Iterator[Step]:
        commits = self.commits
        # points[i] is the commit whose graph commits[i] is compared with; the last is the
        # first parent of the oldest commit (None for a root commit).
        points: list[str | None] = [c.sha for c in commits[1:]]
        if commits:
            points.append(commits[-1].parents[0] if commits[-1].parents else None)
        i = 0
        head = None
        while i < len(commits) and head is None:
            head = self.snapshot(commits[i].sha)
            if head is None:
                i += 1  # the newest readable commit starts the walk; newer ones are notes
        while head is not None and i < len(commits):
            commit = commits[i]
            if self.progress:
                self.progress(i + 1, len(commits))
            if not any(can_change_lineage(p, head) for p in commit.changed):
                self.stats.skipped += 1
                i += 1
                continue
            j, spans = i, list[str]()  # compare commits[i] with points[j]
            while True:
                sha = points[j]
                base = self._empty(head) if sha is None else self.snapshot(sha)
                if base is not None or j + 1 >= len(commits):
                    break  # readable, or the unreadable parent of the oldest commit
                # points[j] is commits[j + 1] and cannot be read: compare with its parent instead.
                if sha is not None and any(can_change_lineage(p, head) for p in commits[j + 1].changed):
                    spans.append(sha)
                j += 1
            if base is None:
                break
            yield Step(commit, base, head, points[j], tuple(spans))
            head = base
            i = j + 1
