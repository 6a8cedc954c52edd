"""The scratch checkout that dbt revisions are read from: exactly the revision's files, updated by blob ids."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from extractor import git
from extractor.revisions import _checkout, default_cache, scan_revision

from .gitrepo import GitRepo


def files_under(root: Path) -> dict[str, str]:
    found = {}
    for directory, _, names in os.walk(root):
        for name in names:
            full = Path(directory, name)
            found[full.relative_to(root).as_posix()] = full.read_text(encoding="utf-8")
    return found


def test_checkout_follows_each_revision_and_removes_what_is_not_in_it(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.write("models/a.sql", "select 1 as a")
    repo.write("models/b.sql", "select 2 as b")
    repo.write("docs", "a file named like a folder")
    first = repo.commit("first")
    (repo.root / "docs").unlink()
    repo.write("docs/index.md", "now a folder")
    repo.replace("models/a.sql", "1", "10")
    (repo.root / "models/b.sql").unlink()
    second = repo.commit("second")
    target = tmp_path / "checkout"

    git.sync_checkout(repo.root, git.list_tree(repo.root, first), target)
    assert files_under(target) == {
        "models/a.sql": "select 1 as a",
        "models/b.sql": "select 2 as b",
        "docs": "a file named like a folder",
    }
    (target / "stray.sql").write_text("select 'not in any revision'", encoding="utf-8")
    (target / "models/a.sql").write_text("select 'edited behind our back'", encoding="utf-8")

    git.sync_checkout(repo.root, git.list_tree(repo.root, second), target)
    assert files_under(target) == {"models/a.sql": "select 10 as a", "docs/index.md": "now a folder"}

    git.sync_checkout(repo.root, git.list_tree(repo.root, first), target)
    assert files_under(target)["docs"] == "a file named like a folder"
    assert "docs/index.md" not in files_under(target)


def test_checkout_never_follows_a_link_out_of_it(tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.write("models/a.sql", "select 1 as a")
    tree = git.list_tree(repo.root, repo.commit())
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep me", encoding="utf-8")
    target = tmp_path / "checkout"
    target.mkdir()
    (target / "link").symlink_to(outside, target_is_directory=True)

    git.sync_checkout(repo.root, tree, target)
    assert (outside / "precious.txt").read_text(encoding="utf-8") == "keep me"
    assert not (target / "link").exists()
    assert files_under(target) == {"models/a.sql": "select 1 as a"}


def test_a_second_process_or_a_linked_cache_gets_its_own_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = GitRepo(tmp_path / "repo")
    repo.write("models/a.sql", "select 1 as a")
    tree = git.list_tree(repo.root, repo.commit())
    monkeypatch.setenv("DATATRAIL_CACHE_DIR", str(tmp_path / "cache"))
    cache = default_cache(repo.root)
    try:
        with _checkout(repo.root, tree, cache) as first:
            assert first == tmp_path / "cache" / "checkout"
            with _checkout(repo.root, tree, cache) as second:  # the first holds the lock
                assert second != first
                assert (second / "models/a.sql").read_text(encoding="utf-8") == "select 1 as a"
            assert (first / "models/a.sql").exists()
    finally:
        cache.close()

    real = tmp_path / "elsewhere"
    real.mkdir()
    (tmp_path / "linked").symlink_to(real, target_is_directory=True)
    monkeypatch.setenv("DATATRAIL_CACHE_DIR", str(tmp_path / "linked"))
    linked = default_cache(repo.root)
    with _checkout(repo.root, tree, linked) as directory:
        assert not str(directory).startswith(str(tmp_path / "linked"))
        assert (directory / "models/a.sql").exists()
    linked.close()
    assert not (real / "checkout").exists()


def test_a_staged_change_to_one_model_reanalyses_only_that_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Anything the checkout writes inside the project (a manifest once) would change every unit's digest.
    repo = GitRepo(tmp_path / "repo")
    repo.write("dbt_project.yml", "name: shop\nprofile: shop\n")
    repo.write("models/sources.yml", "version: 2\nsources:\n  - name: raw\n    tables:\n      - name: orders\n")
    repo.write("models/base.sql", "select id, amount from {{ source('raw', 'orders') }}")
    for i in range(6):
        repo.write(f"models/m{i}.sql", f"select id, amount * {i} as amount from {{{{ ref('base') }}}}")
    repo.commit()
    monkeypatch.setenv("DATATRAIL_CACHE_DIR", str(tmp_path / "cache"))
    cache = default_cache(repo.root)
    scan_revision(repo.root, "HEAD", Path("."), (), cache)
    repo.replace("models/m3.sql", "* 3", "* 30")
    repo.git("add", "models/m3.sql")
    scan_revision(repo.root, git.STAGED, Path("."), (), cache)
    repo.replace("models/m4.sql", "* 4", "* 40")
    repo.git("add", "models/m4.sql")
    missed: list[str] = []
    read = cache.read

    def recording(key: str) -> object:  # every lookup reads the entry (a revision's graph decodes later)
        value = read(key)
        if value is None:
            missed.append(key.split(":", 1)[0])
        return value

    monkeypatch.setattr(cache, "read", recording)
    after = scan_revision(repo.root, git.STAGED, Path("."), (), cache)
    cache.close()
    # m4's config, plan and result are new (and the new tree and unit set), and it has no upstream
    # from a plan made by analysing it (only Python modules have one); everything else replays.
    assert sorted(missed) == ["dbt-config", "plan", "revision", "scan", "unit", "upstream"]
    amounts = {e.edge.transformation for e in after.graph.column_edges
               if e.edge.target.table == "analytics.m4" and e.edge.target.column == "amount"}  # fmt: skip
    assert amounts == {"analytics.base.amount * 40"}
