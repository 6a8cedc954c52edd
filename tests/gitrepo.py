"""Real temporary git repositories for diff, check and hook tests."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ENV = {
    "GIT_AUTHOR_NAME": "datatrail tests",
    "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "datatrail tests",
    "GIT_COMMITTER_EMAIL": "tests@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "HOME": "/nonexistent",
}


class GitRepo:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        import os

        done = subprocess.run(
            ["git", *args], cwd=self.root, env={**os.environ, **ENV}, check=True, capture_output=True, text=True
        )
        return done.stdout

    def write(self, path: str, text: str) -> None:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def read(self, path: str) -> str:
        return (self.root / path).read_text(encoding="utf-8")

    def replace(self, path: str, old: str, new: str) -> None:
        text = self.read(path)
        assert old in text, f"{old!r} not in {path}"
        self.write(path, text.replace(old, new))

    def commit(self, message: str = "change") -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD").strip()

    def copy_tree(self, source: Path) -> None:
        shutil.copytree(source, self.root, dirs_exist_ok=True)


def committed_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: Path, name: str) -> GitRepo:
    """``source`` copied into a new repository and committed ("base"); the test runs inside it,
    with a cache of its own."""
    repo = GitRepo(tmp_path / name)
    repo.copy_tree(source)
    repo.commit("base")
    monkeypatch.chdir(repo.root)
    monkeypatch.setenv("DATATRAIL_CACHE_DIR", str(tmp_path / "cache"))
    return repo
