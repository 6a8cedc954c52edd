"""Reading revisions straight from git objects: never a checkout, a stash or a touch of the work tree.

All git access lives here, in a few small functions over ``git`` plumbing commands
(``rev-parse``, ``ls-tree``, ``ls-files``, ``cat-file --batch``).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
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
