"""Install instructions must work: no `pip install datatrail` (not on PyPI) and no `rev:` that names
a tag the repository does not have."""

from __future__ import annotations

import re
import subprocess

from .conftest import REPO

DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), *sorted((REPO / "examples").rglob("*.yml"))]


def test_no_install_from_pypi() -> None:
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"pip install (--\S+ )*datatrail\b(?!\s*@)", text), path
        if "pip install" in text and "datatrail @" in text:
            assert "git+https://" in text, path


def test_pre_commit_revs_are_shas_or_existing_tags() -> None:
    tags = set(subprocess.run(["git", "tag"], cwd=REPO, capture_output=True, text=True).stdout.split())
    for path in DOCS:
        for rev in re.findall(r"^\s*rev:\s*(\S+)", path.read_text(encoding="utf-8"), flags=re.MULTILINE):
            assert re.fullmatch(r"[0-9a-f]{40}", rev) or rev in tags, (path, rev)
