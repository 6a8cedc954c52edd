"""The hooks, run through real pre-commit in temporary git repositories.

``try-repo`` installs datatrail from this repository the way users get it (a pre-commit managed
virtualenv built from .pre-commit-hooks.yaml); the local-config tests run the same hook
definitions with ``language: system`` against the datatrail under test, to stay fast.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import EXAMPLE, REPO
from .gitrepo import ENV, GitRepo

PRE_COMMIT = [sys.executable, "-m", "pre_commit"]
POLICY = """
[tool.datatrail.policy]
protected = ["ml.*"]

[tool.datatrail.docs]
outdir = "docs/lineage"
images = false
"""


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def hooks_as_local() -> dict:
    """Our published hooks, as a ``repo: local`` config running the datatrail under test."""
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    bindir = Path(sys.executable).parent
    for hook in hooks:
        hook["language"] = "system"
        hook["entry"] = str(bindir / hook["entry"].split()[0]) + " " + " ".join(hook["entry"].split()[1:])
    return {"repos": [{"repo": "local", "hooks": hooks}]}


@pytest.fixture
def shop(tmp_path: Path, pre_commit_home: Path) -> GitRepo:
    repo = GitRepo(tmp_path / "shop")
    repo.copy_tree(EXAMPLE)
    repo.write("pyproject.toml", repo.read("pyproject.toml") + POLICY)
    repo.write(".pre-commit-config.yaml", yaml.safe_dump(hooks_as_local(), sort_keys=False))
    repo.write(".gitignore", ".datatrail-cache/\n")
    datatrail = Path(sys.executable).parent / "datatrail"  # the venv's, even when it is not activated
    subprocess.run([str(datatrail), "docs"], cwd=repo.root, check=True, capture_output=True)
    repo.commit("base")
    return repo


def run_hook(repo: GitRepo, home: Path, hook: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        **ENV,
        "PRE_COMMIT_HOME": str(home),
        "DATATRAIL_CACHE_DIR": str(repo.root / ".datatrail-cache"),
    }
    return subprocess.run([*PRE_COMMIT, "run", hook], cwd=repo.root, env=env, capture_output=True, text=True)


def test_clean_change_passes(shop: GitRepo, pre_commit_home: Path) -> None:
    shop.replace("sql/marts/fct_orders.sql", "-- One row per completed order", "-- One row per completed order (paid)")
    shop.git("add", "-A")
    done = run_hook(shop, pre_commit_home, "datatrail-check")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Passed" in done.stdout


def test_breaking_change_to_training_input_fails_naming_column_and_dataset(
    shop: GitRepo, pre_commit_home: Path
) -> None:
    shop.replace("sql/staging/stg_customers.sql", "DATE_PART('year', AGE(", "DATE_PART('month', AGE(")
    shop.git("add", "-A")
    done = run_hook(shop, pre_commit_home, "datatrail-check")
    assert done.returncode == 1
    assert "sql/staging/stg_customers.sql:6:" in done.stdout
    assert "DT500 column change to staging.stg_customers.age_years" in done.stdout
    assert "impacts protected ml.training_input" in done.stdout


def test_unparseable_sql_fails(shop: GitRepo, pre_commit_home: Path) -> None:
    shop.write("sql/marts/oops.sql", "INSERT INTO marts.x SELEC 1 FRM y;\n")
    shop.git("add", "-A")
    done = run_hook(shop, pre_commit_home, "datatrail-check")
    assert done.returncode == 1
    assert "sql/marts/oops.sql:1:" in done.stdout and "DT100" in done.stdout


def test_stale_docs_fail_then_pass_once_regenerated(shop: GitRepo, pre_commit_home: Path) -> None:
    shop.replace("sql/staging/stg_orders.sql", "    o.status,\n", "    o.status,\n    o.coupon_code,\n")
    shop.git("add", "-A")
    first = run_hook(shop, pre_commit_home, "datatrail-docs")
    assert first.returncode == 1
    assert "docs/lineage/models/staging.stg_orders.md" in first.stdout
    shop.git("add", "-A")
    second = run_hook(shop, pre_commit_home, "datatrail-docs")
    assert second.returncode == 0, second.stdout


def test_try_repo_installs_and_runs_the_published_hook(shop: GitRepo, pre_commit_home: Path, tmp_path: Path) -> None:
    """Install datatrail from a clone of this repository exactly as pre-commit users do."""
    source = tmp_path / "datatrail-src"
    subprocess.run(["git", "clone", "-q", str(REPO), str(source)], check=True)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True).stdout
    if dirty.strip():
        # Test the code under test, not the last commit: copy the work tree over the clone.
        for name in ("extractor", "pyproject.toml", ".pre-commit-hooks.yaml", "README.md"):
            target = source / name
            if target.is_dir():
                shutil.rmtree(target)
            copy = shutil.copytree if (REPO / name).is_dir() else shutil.copy2
            copy(REPO / name, target)
        subprocess.run(["git", "add", "-A"], cwd=source, check=True)
        subprocess.run(
            ["git", "commit", "-q", "--allow-empty", "-m", "work tree"],
            cwd=source,
            check=True,
            env={**os.environ, **ENV},
        )
    shop.replace("sql/staging/stg_customers.sql", "DATE_PART('year', AGE(", "DATE_PART('month', AGE(")
    shop.git("add", "-A")
    env = {**os.environ, **ENV, "PRE_COMMIT_HOME": str(pre_commit_home)}
    done = subprocess.run(
        [*PRE_COMMIT, "try-repo", str(source), "datatrail-check"],
        cwd=shop.root,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "DT500 column change to staging.stg_customers.age_years" in done.stdout
