"""Scan a git revision (a commit, the index or the work tree) into a lineage graph.

Committed and staged files are read from git objects and written to a scratch directory, never
to the user's work tree. Both sides of a diff share one analysis cache, so files that did not
change are not analysed again.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import git

try:
    import fcntl
except ImportError:  # not on Windows: every revision gets a temporary directory there
    fcntl = None  # type: ignore[assignment]
from .cache import AnalysisCache
from .cache import key as cache_key
from .config import Config, config_from_pyproject, load_config
from .graph import LineageGraph
from .scan import scan
from .units import UnitResult, result_from_dict, result_to_dict

CACHE_ENV = "DATATRAIL_CACHE_DIR"


def default_cache(root: Path, enabled: bool = True) -> AnalysisCache:
    """The analysis cache of a repository: ``$DATATRAIL_CACHE_DIR`` or ``<root>/.datatrail-cache``."""
    if not enabled:
        return AnalysisCache(None)
    directory = Path(os.environ.get(CACHE_ENV) or root / ".datatrail-cache")
    return AnalysisCache(directory / "analysis.sqlite")


@dataclass
class Snapshot:
    """A revision's graph, and where its paths are relative to."""

    label: str
    graph: LineageGraph
    config: Config
    prefix: str  # the config root relative to the repository root ("" when they are the same)


def scan_revision(
    repo: Path,
    rev: str,
    subpath: Path,
    paths: Sequence[str] = (),
    cache: AnalysisCache | None = None,
    idle: Callable[[], None] | None = None,
) -> Snapshot:
    """Scan ``rev`` of the repository at ``repo``; ``subpath`` is where the user ran (repo-relative).

    ``paths`` limit the scan (repo-relative); by default the config's ``paths`` or everything.
    A revision is read into memory from git objects; only a tree holding a dbt project (whose
    reader works on files) is written to a scratch directory. ``idle`` is called once, the first
    time the scan waits for a worker process."""
    stored = _stored(repo, rev, subpath, paths, cache)
    return _replay(repo, rev, stored, cache) or _scan(repo, rev, subpath, paths, cache, stored, idle)


def scan_pair(
    repo: Path, base: str, head: str, subpath: Path, paths: Sequence[str] = (), cache: AnalysisCache | None = None
) -> tuple[Snapshot, Snapshot]:
    """``scan_revision`` of ``base`` and of ``head``, what ``check`` and ``diff`` compare.

    The base of a check is usually a commit scanned before, whose graph is stored. Decoding it
    is done while the head's scan waits for its worker processes (to analyse what changed), so
    the two overlap on two cores; with nothing to wait for, it is done after. Each side is the
    same as scanning it alone."""
    stored = _stored(repo, base, subpath, paths, cache)
    replayed: list[Snapshot | None] = []

    def replay_base() -> None:
        if not replayed:
            replayed.append(_replay(repo, base, stored, cache))

    after = scan_revision(repo, head, subpath, paths, cache, idle=replay_base if stored.data is not None else None)
    replay_base()
    before = replayed[0] or _scan(repo, base, subpath, paths, cache, stored)
    return before, after


@dataclass
class _Stored:
    """What the cache holds for a revision: its tree, and its graph when it was scanned before."""

    tree: Mapping[str, str]
    installed: list[tuple[str, list[tuple[str, int]]]]
    memo: str
    data: bytes | None = None  # the stored graph and prefix, as the cache holds them (not decoded yet)


def _stored(repo: Path, rev: str, subpath: Path, paths: Sequence[str], cache: AnalysisCache | None) -> _Stored:
    if rev == git.WORKTREE:
        return _Stored({}, [], "")
    tree = git.list_tree(repo, rev)
    installed = _installed_packages(repo, tree)
    # A commit or an index is named by its blob ids: the same tree scanned again (the base of
    # every pre-commit check) is replayed without reading or analysing anything.
    memo = "revision:" + cache_key(sorted(tree.items()), subpath.as_posix(), sorted(paths), installed)
    return _Stored(tree, installed, memo, cache.read(memo) if cache is not None else None)


def _replay(repo: Path, rev: str, stored: _Stored, cache: AnalysisCache | None) -> Snapshot | None:
    """The stored graph of a revision, or None when there is none (or it cannot be read)."""
    known = cache.decode(stored.data) if cache is not None and stored.data is not None else None
    if known is None:
        return None
    try:
        prefix, graph = known["prefix"], result_from_dict(known["graph"]).graph
    except (KeyError, TypeError, ValueError):
        return None
    return Snapshot(rev, graph, _config_of(repo, git.Blobs(repo, stored.tree), prefix), prefix)


def _scan(
    repo: Path,
    rev: str,
    subpath: Path,
    paths: Sequence[str],
    cache: AnalysisCache | None,
    stored: _Stored,
    idle: Callable[[], None] | None = None,
) -> Snapshot:
    if rev == git.WORKTREE:
        # The work tree changes under us: its graph is not stored for replay (``datatrail scan`` does that).
        return _scan_tree(repo, repo, subpath, paths, rev, cache, memo=False, idle=idle)
    tree, installed = stored.tree, stored.installed
    if any(p == "dbt_project.yml" or p.endswith("/dbt_project.yml") for p in tree):
        with _checkout(repo, tree, cache) as root:
            for folder, _ in installed:  # the work tree's installed dbt packages, as dbt would use them
                (root / folder).parent.mkdir(parents=True, exist_ok=True)
                if not (root / folder).exists():
                    (root / folder).symlink_to(repo / folder, target_is_directory=True)
            snapshot = _scan_tree(root, repo, subpath, paths, rev, cache, memo=False, idle=idle)
            snapshot.config = _config_of(repo, git.Blobs(repo, tree), snapshot.prefix)
    else:
        snapshot = _scan_files(git.Blobs(repo, tree), repo, subpath, paths, rev, cache, idle)
    if cache is not None and cache.stores and rev != git.STAGED:
        # A commit never changes: storing its graph makes it a single read as the base of every
        # later check. The index changes with every ``git add`` and is rarely scanned twice, and
        # encoding a large graph costs more than replaying its units, so it is not stored.
        cache.put(stored.memo, {"prefix": snapshot.prefix, "graph": result_to_dict(UnitResult(snapshot.graph))})
    return snapshot


@contextlib.contextmanager
def _checkout(repo: Path, tree: Mapping[str, str], cache: AnalysisCache | None) -> Iterator[Path]:
    """A directory holding the files of ``tree`` (dbt's reader works on files), never the work tree.

    With a cache, it is one scratch checkout kept beside the cache and updated by blob ids, so a
    revision costs only the files that differ from the last one; a second process running at the
    same time, or a checkout path that involves a symbolic link, gets a temporary directory."""
    directory = cache.path.parent / "checkout" if cache is not None and cache.path is not None else None
    lock = None
    if directory is not None and fcntl is not None:
        try:
            lock = open(directory.parent / "checkout.lock", "a+b")  # noqa: SIM115 - held until the scan ends
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            if lock is not None:
                lock.close()
            lock = None
    if lock is None or directory is None or os.path.realpath(directory) != os.path.abspath(directory):
        if lock is not None:
            lock.close()
        with tempfile.TemporaryDirectory(prefix="datatrail-") as scratch:
            git.materialize(repo, "", Path(scratch), dict(tree))
            yield Path(scratch)
        return
    try:
        git.sync_checkout(repo, tree, directory)
        yield directory
    finally:
        lock.close()  # closing releases the lock


def _installed_packages(repo: Path, tree: Mapping[str, str]) -> list[tuple[str, list[tuple[str, int]]]]:
    """dbt packages installed in the work tree next to a revision's dbt projects (``dbt_packages/``
    is environment, not revision content: ``dbt deps`` writes it and git usually ignores it), with
    what identifies their state: each package's ``dbt_project.yml`` and its modification time.
    Both sides of a diff then build the same packages."""
    found = []
    for path in sorted(tree):
        if path != "dbt_project.yml" and not path.endswith("/dbt_project.yml"):
            continue
        base = path[: -len("dbt_project.yml")]
        for name in ("dbt_packages", "dbt_modules"):
            folder = repo / base / name
            if not folder.is_dir() or any(p.startswith(f"{base}{name}/") for p in tree):
                continue  # none installed, or committed: then the revision's own are used
            state = sorted(
                (p.relative_to(folder).as_posix(), p.stat().st_mtime_ns) for p in folder.glob("*/dbt_project.yml")
            )
            found.append((f"{base}{name}", state))
    return found


def _config_of(repo: Path, files: git.Blobs, prefix: str) -> Config:
    """The configuration a revision's pyproject.toml at ``prefix`` gives (rooted in the repository)."""
    pyproject = f"{prefix}/pyproject.toml" if prefix else "pyproject.toml"
    root = repo / prefix if prefix else repo
    if pyproject in files:
        config = config_from_pyproject(files[pyproject].decode("utf-8"), root, Path(pyproject))
    else:
        config = Config(root=root)
    inside = {p[len(prefix) + 1 :]: sha for p, sha in files.ids.items() if p.startswith(prefix + "/")}
    config.files = git.Blobs(repo, inside if prefix else files.ids)  # what later readers see is the revision
    return config


def _find_pyproject(files: Mapping[str, bytes], subpath: Path) -> str | None:
    parts = [p for p in subpath.as_posix().split("/") if p and p != "."]
    for i in range(len(parts), -1, -1):
        candidate = "/".join([*parts[:i], "pyproject.toml"])
        if candidate in files:
            return candidate
    return None


def _scan_files(
    files: git.Blobs,
    repo: Path,
    subpath: Path,
    paths: Sequence[str],
    label: str,
    cache: AnalysisCache | None,
    idle: Callable[[], None] | None = None,
) -> Snapshot:
    pyproject = _find_pyproject(files, subpath)
    prefix = pyproject.rsplit("/", 1)[0] if pyproject and "/" in pyproject else ""
    root = repo / prefix if prefix else repo
    if pyproject is not None:
        config = config_from_pyproject(files[pyproject].decode("utf-8"), root, Path(pyproject))
    else:
        config = Config(root=root)
    if prefix:
        files = git.Blobs(
            repo, {p[len(prefix) + 1 :]: sha for p, sha in files.ids.items() if p.startswith(prefix + "/")}
        )
    # Read in one batch what the scan will read; anything else only if a frontend asks for it.
    files.prefetch(
        p
        for p in files.ids
        if (config.is_included(p) and not config.is_excluded(p))
        or p in config.schema_files
        or p.endswith((".yml", ".yaml", "pyproject.toml"))  # property and schema files
    )
    local: Mapping[str, bytes] = files
    config.files = local
    rel_paths = [p[len(prefix) + 1 :] if prefix and p.startswith(prefix + "/") else p for p in paths]
    graph = scan(rel_paths or None, config, cache=cache, files=local, memo=False, idle=idle)
    return Snapshot(label, graph, config, prefix)


def _scan_tree(
    tree: Path,
    repo: Path,
    subpath: Path,
    paths: Sequence[str],
    label: str,
    cache: AnalysisCache | None,
    memo: bool = True,
    idle: Callable[[], None] | None = None,
) -> Snapshot:
    start = tree / subpath
    config = load_config(start if start.exists() else tree)
    if not (config.root == tree.resolve() or tree.resolve() in config.root.parents):
        config = Config(root=tree.resolve())  # a pyproject outside the repository is not this revision's
    roots = [tree / p for p in paths] if paths else [config.root / p for p in config.paths] or [config.root]
    roots = [r for r in roots if r.exists()]
    graph = scan(roots, config, cache=cache, memo=memo, idle=idle) if roots else LineageGraph()
    prefix = config.root.relative_to(tree.resolve()).as_posix()
    return Snapshot(label, graph, config, "" if prefix == "." else prefix)
