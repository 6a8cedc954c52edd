"""Reading revisions straight from git objects: never a checkout, a stash or a touch of the work tree.

All git access lives here, in a few small functions over ``git`` plumbing commands
(``rev-parse``, ``ls-tree``, ``ls-files``, ``cat-file --batch``).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import GitError

WORKTREE = "WORKTREE"  # the working tree, uncommitted changes included
STAGED = "STAGED"  # the index


def _git(root: Path, *args: str, input_bytes: bytes | None = None) -> bytes:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args], input=input_bytes, capture_output=True, check=False, env=env
        )
    except OSError as e:
        raise GitError(f"cannot run git: {e}") from e
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise GitError(f"git {' '.join(args[:3])}: {message[-1] if message else 'failed'}")
    return done.stdout


def repo_root(path: Path) -> Path:
    """The top of the git work tree containing ``path``."""
    start = path if path.is_dir() else path.parent
    return Path(_git(start, "rev-parse", "--show-toplevel").decode().strip())


#: git's empty tree: the base of a repository that has no commit yet (everything is added).
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def resolve(root: Path, rev: str) -> str:
    """The commit id of ``rev``; a GitError naming ``rev`` when it names no commit."""
    if rev == EMPTY_TREE:
        return rev
    try:
        return _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}").decode().strip()
    except GitError as e:
        raise GitError(f"unknown revision {rev!r}: not a commit in {root}") from e


def has_commits(root: Path) -> bool:
    """Whether the repository has a HEAD commit (false before its first commit)."""
    try:
        _git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    except GitError:
        return False
    return True


def exists_in(root: Path, rev: str, path: str) -> bool:
    """Whether ``path`` (repo-relative, a file or a directory) exists in ``rev``."""
    path = path.strip("/")
    if rev == WORKTREE or path in ("", "."):
        return rev != WORKTREE or (root / path).exists()
    if rev == EMPTY_TREE:
        return False
    if rev == STAGED:
        out = _git(root, "ls-files", "--cached", "-z", "--", path)
        return bool(out.strip(b"\0"))
    try:
        _git(root, "cat-file", "-e", f"{rev}:{path}")
    except GitError:
        return False
    return True


def default_base(root: Path) -> str:
    """The merge-base with the default branch, else ``HEAD~1``."""
    candidates = []
    try:
        ref = _git(root, "symbolic-ref", "--quiet", "refs/remotes/origin/HEAD").decode().strip()
        candidates.append(ref)
    except GitError:
        pass
    candidates += ["origin/main", "origin/master", "main", "master"]
    head = resolve(root, "HEAD")
    for ref in candidates:
        try:
            base = _git(root, "merge-base", "HEAD", ref).decode().strip()
        except GitError:
            continue
        if base and base != head:
            return base
    return resolve(root, "HEAD~1")


def list_tree(root: Path, rev: str) -> dict[str, str]:
    """``{path: blob id}`` of every file in a commit, an index (STAGED) or the work tree (WORKTREE).

    For the work tree the ids are empty strings: read those files from disk."""
    if rev == STAGED:
        out = _git(root, "ls-files", "--stage", "-z")
        result = {}
        for entry in out.split(b"\0"):
            if not entry:
                continue
            meta, path = entry.split(b"\t", 1)
            mode, sha, _stage = meta.split(b" ")
            if mode.startswith(b"10"):
                result[path.decode()] = sha.decode()
        return result
    if rev == WORKTREE:
        out = _git(root, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
        return {p.decode(): "" for p in out.split(b"\0") if p and (root / p.decode()).is_file()}
    if rev == EMPTY_TREE:
        return {}
    out = _git(root, "ls-tree", "-r", "-z", "--full-tree", resolve(root, rev))
    result = {}
    for entry in out.split(b"\0"):
        if not entry:
            continue
        meta, path = entry.split(b"\t", 1)
        mode, kind, sha = meta.split(b" ")
        if kind == b"blob" and not mode.startswith(b"12"):  # skip symlinks
            result[path.decode()] = sha.decode()
    return result


def read_blobs(root: Path, ids: Iterable[str]) -> dict[str, bytes]:
    """Contents of many blobs through one ``git cat-file --batch``."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    out = _git(root, "cat-file", "--batch", input_bytes="".join(f"{i}\n" for i in wanted).encode())
    result: dict[str, bytes] = {}
    pos = 0
    for blob_id in wanted:
        header_end = out.index(b"\n", pos)
        header = out[pos:header_end].split(b" ")
        if len(header) < 3:
            raise GitError(f"cannot read object {blob_id}")
        size = int(header[2])
        start = header_end + 1
        result[blob_id] = out[start : start + size]
        pos = start + size + 1
    return result


class Blobs(Mapping[str, bytes]):
    """A revision's files as ``{path: content}``, read from git objects when first asked for.

    ``prefetch`` reads many in one ``git cat-file --batch``; a file nobody asks for (an image, a
    large CSV) is never read, so a missing object only matters to the scan that needs it."""

    def __init__(self, root: Path, ids: Mapping[str, str]) -> None:
        self.root = root
        self.ids = dict(ids)
        self._read: dict[str, bytes] = {}

    def prefetch(self, paths: Iterable[str]) -> None:
        wanted = {p: self.ids[p] for p in paths if p in self.ids and p not in self._read}
        blobs = read_blobs(self.root, wanted.values())
        self._read.update({p: blobs[sha] for p, sha in wanted.items() if sha in blobs})

    def __getitem__(self, path: str) -> bytes:
        if path not in self._read:
            if path not in self.ids:
                raise KeyError(path)
            self.prefetch([path])
        return self._read[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)


def materialize(root: Path, rev: str, target: Path, paths: dict[str, str] | None = None) -> dict[str, bytes]:
    """Write the files of ``rev`` under ``target`` (a scratch directory, never the work tree).

    Returns ``{path: content}``. For WORKTREE the files are copied from disk."""
    tree = paths if paths is not None else list_tree(root, rev)
    contents: dict[str, bytes] = {}
    if rev == WORKTREE:
        for path in tree:
            try:
                contents[path] = (root / path).read_bytes()
            except OSError:
                continue
    else:
        blobs = read_blobs(root, tree.values())
        contents = {path: blobs[sha] for path, sha in tree.items() if sha in blobs}
    for path, data in contents.items():
        dest = target / path
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
    return contents


def sync_checkout(root: Path, tree: Mapping[str, str], target: Path) -> None:
    """Make ``target`` hold exactly the files of ``tree`` (path -> blob id), rewriting only what differs.

    ``target`` is datatrail's own scratch checkout (kept in the cache directory so that the next
    revision costs only its changed files). A manifest records each written file's blob id, size
    and modification time; a file that does not match it, or that the manifest does not know, is
    rewritten or removed, so nothing but the revision's files is ever read from there. The
    manifest lives beside ``target`` (``<target>.json``), never inside it: a dbt project's digest
    covers every file of its folder."""
    manifest_path = target.with_name(target.name + ".json")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if not isinstance(manifest, dict):
            manifest = {}
    except (OSError, ValueError):
        manifest = {}
    target.mkdir(parents=True, exist_ok=True)
    current: dict[str, list[int | str]] = {}
    for directory, subdirs, names in os.walk(target):
        for name in names:
            full = os.path.join(directory, name)
            rel = os.path.relpath(full, target).replace(os.sep, "/")
            entry = manifest.get(rel)
            try:
                st = os.lstat(full)
                keep = (
                    rel in tree and isinstance(entry, list) and len(entry) == 3 and entry[0] == tree[rel]
                    and entry[1] == st.st_size and entry[2] == st.st_mtime_ns and not os.path.islink(full)
                )  # fmt: skip
                if keep:
                    current[rel] = [tree[rel], st.st_size, st.st_mtime_ns]
                else:
                    os.unlink(full)
            except OSError:
                continue
        for name in subdirs:
            if os.path.islink(os.path.join(directory, name)):
                os.unlink(os.path.join(directory, name))  # never followed: a link could lead out of the checkout
    for directory, subdirs, names in os.walk(target, topdown=False):
        if not subdirs and not names and directory != str(target):
            with contextlib.suppress(OSError):
                os.rmdir(directory)  # a folder may have become a file
    missing = {path: sha for path, sha in tree.items() if path not in current}
    blobs = read_blobs(root, missing.values())
    for path, sha in missing.items():
        if sha not in blobs:
            continue
        dest = target / path
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(blobs[sha])
        st = dest.stat()
        current[path] = [sha, st.st_size, st.st_mtime_ns]
    manifest_path.write_text(json.dumps(current, sort_keys=True), encoding="utf-8")


def changed_files(root: Path, base: str, head: str) -> list[str]:
    """Paths that differ between two revisions (either may be STAGED or WORKTREE)."""
    if head == WORKTREE:
        out = _git(root, "diff", "--name-only", "-z", base)
        untracked = _git(root, "ls-files", "--others", "--exclude-standard", "-z")
        names = {p.decode() for p in out.split(b"\0") + untracked.split(b"\0") if p}
    elif head == STAGED:
        out = _git(root, "diff", "--cached", "--name-only", "-z", base)
        names = {p.decode() for p in out.split(b"\0") if p}
    else:
        out = _git(root, "diff", "--name-only", "-z", base, head)
        names = {p.decode() for p in out.split(b"\0") if p}
    return sorted(names)


@dataclass(frozen=True)
class Commit:
    """One commit of a first-parent walk, with the files it changed against its first parent."""

    sha: str
    parents: tuple[str, ...]
    date: str  # author date, ISO 8601
    author: str
    subject: str
    changed: tuple[str, ...]  # renames count as a deletion plus an addition


def resolve_range(root: Path, spec: str) -> tuple[str, str | None]:
    """``A..B`` -> (B's id, A's id); a single revision -> (its id, None). Either end may be empty
    (``A..`` means ``A..HEAD``); a part that does not resolve raises ``GitError`` naming it."""
    if "..." in spec:
        raise GitError(f"revision range {spec!r}: use A..B (a symmetric difference has no first-parent line)")
    start, sep, end = spec.partition("..")
    head_spec = (end or "HEAD") if sep else start
    ids: list[str | None] = []
    for part in (head_spec, start if sep and start else None):
        if part is None:
            ids.append(None)
            continue
        try:
            ids.append(resolve(root, part))
        except GitError:
            raise GitError(f"revision {part!r} does not resolve" + (f" (in range {spec!r})" if sep else "")) from None
    head_id, base_id = ids
    assert head_id is not None
    return head_id, base_id


def first_parent_log(root: Path, head: str, exclude: str | None = None) -> list[Commit]:
    """Commits reachable from ``head`` along first parents (not from ``exclude``), newest first."""
    args = ["log", "-z", "--first-parent", "--no-renames", "--name-only", "--format=%x01%H%x00%P%x00%aI%x00%an%x00%s"]
    merges_listed = _supports_diff_merges(root)
    if merges_listed:
        args.append("--diff-merges=first-parent")  # a merge's changes against its first parent
    args.append(head)
    if exclude:
        args.append(f"^{exclude}")
    out = _git(root, *args, "--")
    commits = []
    for record in out.split(b"\x01"):
        if not record.strip(b"\0\n"):
            continue
        fields = record.split(b"\0")
        sha, parents, date, author, subject = (f.decode(errors="replace") for f in fields[:5])
        names = [f.decode(errors="surrogateescape").lstrip("\n") for f in fields[5:]]
        if not merges_listed and len(parents.split()) > 1:  # older git lists no files for merges
            names = changed_files(root, parents.split()[0], sha)
        commits.append(
            Commit(sha, tuple(parents.split()), date, author, subject, tuple(sorted({n for n in names if n})))
        )
    return commits


def _supports_diff_merges(root: Path) -> bool:
    version = _git(root, "version").decode().split()
    try:
        major, minor = (int(x) for x in version[2].split(".")[:2])
    except (IndexError, ValueError):
        return False
    return (major, minor) >= (2, 31)


def commit_time(root: Path, rev: str = "HEAD") -> int:
    """The committer time of ``rev`` in seconds since the epoch (stable for a commit, unlike "now")."""
    return int(_git(root, "show", "-s", "--format=%ct", resolve(root, rev)).decode().strip())


def remote_url(root: Path, remote: str = "origin") -> str | None:
    """The fetch URL of ``remote``, or None when the repository has no such remote."""
    try:
        url = _git(root, "config", "--get", f"remote.{remote}.url").decode().strip()
    except GitError:
        return None
    return url or None
