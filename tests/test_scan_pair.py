"""``scan_pair``: the base of a check decoded while the head's workers run, with the same result as
scanning each revision alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor import git, json_format, revisions
from extractor.cache import AnalysisCache
from extractor.config import Config
from extractor.revisions import scan_pair, scan_revision
from extractor.scan import scan

from .gitrepo import GitRepo

SQL = {
    "load.sql": "CREATE TABLE stage.orders AS SELECT id, amount FROM raw.orders;",
    "mart.sql": "CREATE TABLE mart.totals AS SELECT id, SUM(amount) AS total FROM stage.orders GROUP BY id;",
}


def _repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo(tmp_path / "repo")
    for path, text in SQL.items():
        repo.write(path, text)
    repo.commit("base")
    repo.replace("mart.sql", "SUM(amount)", "COUNT(amount)")
    repo.git("add", "-A")
    return repo


@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
def test_the_pair_is_what_each_revision_gives_alone(tmp_path: Path, warm: bool) -> None:
    repo = _repo(tmp_path)
    cache = AnalysisCache(tmp_path / "cache" / "analysis.sqlite")
    if warm:  # the base's graph is stored: the pair replays it while the head is analysed
        scan_revision(repo.root, "HEAD", Path("."), (), cache)
    before, after = scan_pair(repo.root, "HEAD", git.STAGED, Path("."), (), cache)
    cache.close()
    alone = [scan_revision(repo.root, rev, Path("."), ()) for rev in ("HEAD", git.STAGED)]
    assert json_format.dumps(before.graph) == json_format.dumps(alone[0].graph)
    assert json_format.dumps(after.graph) == json_format.dumps(alone[1].graph)
    edges = {je.edge.transformation for je in after.graph.column_edges if je.edge.target.column == "total"}
    assert edges == {"COUNT(stage.orders.amount)"}


def test_the_base_is_replayed_once_while_the_head_waits_for_its_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _repo(tmp_path)
    cache = AnalysisCache(tmp_path / "cache" / "analysis.sqlite")
    scan_revision(repo.root, "HEAD", Path("."), (), cache)
    calls: list[str] = []
    original = revisions._replay

    def replay(*args: object) -> object:
        calls.append("replay")
        return original(*args)  # type: ignore[arg-type]

    waits = []
    original_scan = revisions.scan

    def recording_scan(*args: object, **kwargs: object) -> object:
        waits.append(kwargs.get("idle") is not None)
        return original_scan(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(revisions, "_replay", replay)
    monkeypatch.setattr(revisions, "scan", recording_scan)
    before, _ = scan_pair(repo.root, "HEAD", git.STAGED, Path("."), (), cache)
    cache.close()
    # One replay for the head's own lookup (none stored for the index), one for the base.
    assert calls == ["replay", "replay"] and waits == [True]
    assert "mart.totals" in before.graph.datasets


def test_idle_runs_once_when_the_scan_first_waits_for_a_worker(tmp_path: Path) -> None:
    for path, text in SQL.items():
        (tmp_path / path).write_text(text, encoding="utf-8")
    calls: list[int] = []
    graph = scan([tmp_path], Config(root=tmp_path.resolve()), jobs=2, idle=lambda: calls.append(1))
    assert calls == [1]
    assert json_format.dumps(graph) == json_format.dumps(scan([tmp_path], Config(root=tmp_path.resolve()), jobs=1))
