"""datatrail's exception hierarchy. Library code raises these; only the CLI turns them into exits."""

from __future__ import annotations


class DatatrailError(Exception):
    """Base class of every error datatrail raises on purpose."""


class ConfigError(DatatrailError):
    """The configuration or the command line is wrong (exit code 2)."""


class GitError(DatatrailError):
    """A git revision or object could not be read."""


class RenderError(DatatrailError):
    """A diagram could not be produced (for example Graphviz's ``dot`` is missing)."""
