"""The hook definitions, the GitHub Action and the CI examples are valid and consistent."""

from __future__ import annotations

import yaml

from extractor.cli import cli

from .conftest import REPO


def test_hook_fields() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert {"datatrail-check", "datatrail-docs"} <= set(hooks)
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["pass_filenames"] is False and hook["require_serial"] is True
        assert "sql" in hook["types_or"] and "pre-commit" in hook["stages"]
        assert hook["minimum_pre_commit_version"] >= "3.2.0"
        command = hook["entry"].split()[1]
        assert command in cli.commands, command


def test_action_is_a_composite_action_using_real_commands() -> None:
    action = yaml.safe_load((REPO / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    scripts = "\n".join(step.get("run", "") for step in action["runs"]["steps"])
    for fragment in ("datatrail diff", "--format markdown", "--format github", "GITHUB_STEP_SUMMARY",
                     "datatrail render --diff", "<!-- datatrail-lineage-diff -->"):  # fmt: skip
        assert fragment in scripts, fragment
    assert any(step.get("uses", "").startswith("actions/upload-artifact") for step in action["runs"]["steps"])


def test_ci_examples_parse_and_fork_workflow_never_checks_out_code() -> None:
    for path in sorted((REPO / "examples").rglob("*.yml")):
        assert yaml.safe_load(path.read_text()), path
    comment = yaml.safe_load((REPO / "examples/github/lineage-fork-comment.yml").read_text())
    steps = comment["jobs"]["comment"]["steps"]
    assert not any("checkout" in step.get("uses", "") for step in steps)
    assert "workflow_run" in (REPO / "docs/ci.md").read_text()
