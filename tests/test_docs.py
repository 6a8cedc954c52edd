"""The docs cannot drift from the code: every command, option, config key and code is documented."""

from __future__ import annotations

import re

import click

from extractor.cli import cli
from extractor.codes import CODES
from extractor.config import _SCHEMA

from .conftest import REPO

DOCS = REPO / "docs"


def _commands() -> dict[str, click.Command]:
    return dict(cli.commands)


def test_every_command_and_option_is_documented_in_cli_md() -> None:
    text = (DOCS / "cli.md").read_text()
    for name, command in _commands().items():
        assert f"## `datatrail {name}`" in text, name
        assert command.help, f"{name} has no help"
        for param in command.params:
            if isinstance(param, click.Option):
                for opt in param.opts:
                    if opt.startswith("--"):
                        assert opt in text, f"{name} {opt} is not documented"


def test_global_options_are_documented_in_cli_md() -> None:
    text = (DOCS / "cli.md").read_text()
    for param in cli.params:
        if isinstance(param, click.Option) and param.name not in ("version", "help"):
            for opt in param.opts:
                assert opt in text, opt


def test_every_config_key_is_documented() -> None:
    text = (DOCS / "config.md").read_text()
    for key in _SCHEMA:
        assert f"`{key}`" in text, key
    for key in ("jobs", "unit_timeout", "unit_memory_mb", "patterns"):  # [tool.datatrail.analysis] / path_convention
        assert f"`{key}`" in text, key


def test_every_diagnostic_code_is_documented() -> None:
    text = (DOCS / "diagnostics.md").read_text()
    documented = set(re.findall(r"`(DT\d{3})`", text))
    assert documented == set(CODES)


def test_exit_codes_are_documented() -> None:
    from extractor import cli as cli_module

    text = (DOCS / "cli.md").read_text()
    for name in ("EXIT_OK", "EXIT_FINDINGS", "EXIT_USAGE", "EXIT_INTERNAL"):
        assert f"| {getattr(cli_module, name)} | `{name}` |" in text


def test_readme_commands_exist() -> None:
    readme = (REPO / "README.md").read_text()
    for script in ("scripts/example.sh", "scripts/test.sh"):
        assert f"bash {script}" in readme
        assert (REPO / script).exists()
    ci = (REPO / ".ci" / "run").read_text()
    assert "scripts/test.sh" in ci


def test_every_diff_reason_is_documented() -> None:
    from extractor.diff import REASONS

    text = (DOCS / "diff.md").read_text()
    for code in REASONS:
        assert f"`{code}`" in text, code
