"""Where a job's code lives: the repository, the commit, its time, and the SQL text of a job.

Everything here is derived from the commit, never from the clock, so exporting the same commit
twice gives the same bytes: the event time is the commit time and run ids hash the commit id.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from sqlglot.errors import SqlglotError

from .. import git
from ..errors import GitError
from ..sql.naming import get_dialect
from ..sql.parse import parse_script


@dataclass(frozen=True)
class Origin:
    """The repository a scan came from; every field is None outside a git repository."""

    repo_name: str
    commit: str | None = None
    commit_time: int | None = None
    remote: str | None = None
    #: The scan root relative to the repository root ("" at the top), to make job paths repo-relative.
    prefix: str = ""

    def repo_path(self, path: str) -> str:
        return str(PurePosixPath(self.prefix) / path) if self.prefix else path


def find_origin(root: Path) -> Origin:
    """The git facts of the repository containing ``root`` (a plain directory is fine too)."""
    try:
        top = git.repo_root(root)
        commit = git.resolve(top, "HEAD")
        when = git.commit_time(top, commit)
    except GitError:
        return Origin(repo_name=root.resolve().name)
    remote = git.remote_url(top)
    prefix = root.resolve().relative_to(top.resolve()).as_posix()
    # A hosted remote names the repository the same in every clone; a local path says nothing.
    name = (_repo_name(remote) if browse_url(remote) else None) or top.name
    return Origin(name, commit, when, remote, "" if prefix == "." else prefix)


def _repo_name(remote: str | None) -> str | None:
    if not remote:
        return None
    last = remote.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return last.removesuffix(".git") or None


def browse_url(remote: str | None) -> str | None:
    """A browsable https URL for a remote: ``git@github.com:o/r.git`` -> ``https://github.com/o/r``.

    Remotes that are local paths give None: there is nothing a lineage server could link to."""
    if not remote:
        return None
    scp = re.fullmatch(r"[\w.-]+@([\w.-]+):(?!//)(.+)", remote)  # the scp-like syntax git accepts
    if scp:
        remote = f"https://{scp.group(1)}/{scp.group(2)}"
    if remote.startswith("ssh://"):
        rest = remote[len("ssh://") :].split("@", 1)[-1]
        host, _, path = rest.partition("/")
        remote = f"https://{host.split(':', 1)[0]}/{path}"
    if not remote.startswith(("https://", "http://")):
        return None
    return remote.removesuffix("/").removesuffix(".git")


def event_time(origin: Origin) -> str:
    """ISO 8601 UTC: the commit time; else SOURCE_DATE_EPOCH (reproducible builds); else the epoch."""
    seconds = origin.commit_time
    if seconds is None:
        env = os.environ.get("SOURCE_DATE_EPOCH", "")
        seconds = int(env) if env.isdigit() else 0
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def run_id(origin: Origin, job_namespace: str, job_name: str) -> str:
    """A UUIDv7 made deterministic: its time part is the commit time, its random part a hash.

    The hash covers the commit id and the job, so every job of every commit gets its own run,
    and the same commit always gets the same runs."""
    millis = (origin.commit_time or 0) * 1000
    digest = hashlib.sha256(f"{origin.commit or ''}\0{job_namespace}\0{job_name}".encode()).digest()
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version 7
    value |= (int.from_bytes(digest[:2], "big") & 0x0FFF) << 64
    value |= 0b10 << 62  # RFC 4122 variant
    value |= int.from_bytes(digest[2:10], "big") & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


def statements_by_line(file: Path, dialect: str | None) -> dict[int, str]:
    """The text of every statement of a SQL file, by the line it starts on (empty when unreadable)."""
    text = read_text(file)
    if text is None:
        return {}
    try:
        statements, _ = parse_script(text, get_dialect(dialect), str(file))
    except (SqlglotError, ValueError):  # the scan already reported the file; the facet is left out
        return {}
    # reversed: of two statements on one line, the first is kept, as the scan names jobs by their start.
    return {s.line: text[s.start : s.end].strip() for s in reversed(statements)}


def read_text(file: Path) -> str | None:
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
