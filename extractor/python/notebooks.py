"""Jupyter notebooks: the code cells of an ``.ipynb`` file as Python source.

IPython syntax is rewritten so that the cells parse as Python: line magics and shell escapes
become ``pass``, ``%sql`` / ``%%sql`` become a call the interpreter treats as SQL, and other cell
magics are skipped. Line numbers count the lines of the code cells in order (as in a script
exported with jupytext), so ``notebook.ipynb:12`` is the 12th line of code.

A Databricks notebook exported as ``.py`` (``# Databricks notebook source``) is Python already;
its SQL cells are comments (``# MAGIC %sql`` then ``# MAGIC <line>``) and become the same SQL
call, in the Databricks dialect, on the cell's first line.

``%run ./other`` (IPython, or a ``# MAGIC %run`` cell) runs another notebook or script in the same
namespace: it becomes ``from .other import *``, so the names it defines (a config notebook's table
names) are known. Paths that are not relative, or whose parts are not Python names, stay ``pass``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

#: The pseudo function a ``%sql`` / ``%%sql`` magic is rewritten into.
SQL_MAGIC = "__datatrail_sql__"
_PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug"}


@dataclass(frozen=True)
class Cell:
    """One code cell: its Python text and the number of code lines before it."""

    index: int
    code: str
    line_offset: int


class NotebookError(ValueError):
    """The notebook is not valid JSON or not a notebook."""


def notebook_cells(text: str) -> list[Cell]:
    """The code cells of a notebook, rewritten into plain Python."""
    try:
        data = json.loads(text)
    except ValueError as e:
        raise NotebookError(f"not valid JSON: {e}") from e
    if not isinstance(data, dict) or not isinstance(data.get("cells", []), list):
        raise NotebookError("not a Jupyter notebook (no cell list)")
    cells: list[Cell] = []
    offset = 0
    connection: str | None = None  # the URL of the last ``%sql <url>`` / ``%%sql <url>``: later cells use it
    for index, cell in enumerate(data.get("cells", [])):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str):
            continue
        code, connection = rewrite_ipython_with_connection(source, connection)
        cells.append(Cell(index, code, offset))
        offset += code.count("\n") + (0 if code.endswith("\n") or not code else 1)
    return cells


DATABRICKS_HEADER = "# Databricks notebook source"
_DATABRICKS_CELL = "# COMMAND ----------"
_DATABRICKS_MAGIC = "# MAGIC"


def databricks_source(text: str) -> str:
    """``text`` with the ``# MAGIC %sql`` cells of a Databricks notebook as SQL calls (same lines);
    any other text unchanged."""
    if not text.startswith(DATABRICKS_HEADER):
        return text
    lines = text.split("\n")
    start = 1  # the header line is not part of the first cell
    for i in range(1, len(lines) + 1):
        if i == len(lines) or lines[i].strip() == _DATABRICKS_CELL:
            _databricks_sql_cell(lines, start, i)
            start = i + 1
    return "\n".join(lines)


def _databricks_sql_cell(lines: list[str], start: int, end: int) -> None:
    body = [k for k in range(start, end) if lines[k].strip()]
    if not body or not all(lines[k].startswith(_DATABRICKS_MAGIC) for k in body):
        return
    first = lines[body[0]][len(_DATABRICKS_MAGIC) :].strip()
    if first.split(None, 1)[:1] == ["%run"]:
        lines[body[0]] = run_import(first[len("%run") :]) or ""
        return
    if first.split(None, 1)[:1] != ["%sql"]:
        return
    sql = [first[len("%sql") :].strip()]
    for k in range(body[0] + 1, end):
        line = lines[k][len(_DATABRICKS_MAGIC) :] if lines[k].startswith(_DATABRICKS_MAGIC) else ""
        sql.append(line[1:] if line.startswith(" ") else line)
        lines[k] = ""
    lines[body[0]] = _magic_call("\n".join(sql), "databricks://")


def rewrite_ipython(source: str) -> str:
    """IPython cell text -> Python text with the same number of lines."""
    return rewrite_ipython_with_connection(source, None)[0]


def _magic_call(sql: str, connection: str | None) -> str:
    return f"{SQL_MAGIC}({sql!r}, {connection!r})" if connection else f"{SQL_MAGIC}({sql!r})"


def _connection_url(arguments: str) -> str | None:
    """The connection URL among a ``%sql`` / ``%%sql`` magic's arguments (``postgresql://…``)."""
    for word in arguments.split():
        if "://" in word:
            return word
    return None


def rewrite_ipython_with_connection(source: str, connection: str | None) -> tuple[str, str | None]:
    """IPython cell text -> Python text with the same number of lines, and the ``%sql`` connection
    URL in effect after the cell (``connection`` is the one before it)."""
    lines = source.split("\n")
    if not lines:
        return source, connection
    first = lines[0].strip()
    if first.startswith("%%"):
        magic = first[2:].split(None, 1)
        name = magic[0] if magic else ""
        if name == "sql":
            connection = _connection_url(magic[1] if len(magic) > 1 else "") or connection
            body = "\n".join(lines[1:])
            return _magic_call(body, connection) + "\n" * (len(lines) - 1), connection
        if name in _PYTHON_CELL_MAGICS:
            lines[0] = ""
        else:
            return "\n" * (len(lines) - 1), connection
    out: list[str] = []
    for line in lines:
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if stripped.startswith("%run "):
            # ``import *`` is only allowed at module level.
            out.append(f"{indent}pass" if indent else run_import(stripped[5:]) or "")
        elif stripped.startswith("%sql "):
            url = _connection_url(stripped[5:].split(None, 1)[0]) if stripped[5:].strip() else None
            if url is not None:
                connection = url
                stripped = "%sql " + stripped[5:].strip()[len(url) :]
            out.append(indent + _magic_call(stripped[5:], connection))
        elif stripped.startswith(("%", "!")) or (stripped.endswith("?") and not stripped.startswith("#")):
            out.append(f"{indent}pass" if indent else "")
        elif _is_shell_assignment(stripped):
            out.append(f"{indent}pass")
        else:
            out.append(line)
    return "\n".join(out), connection


def run_import(arguments: str) -> str | None:
    """``%run ./config`` -> ``from .config import *`` (``../lib/setup.py`` -> ``from ..lib.setup import *``);
    None for an absolute path or one whose parts are not Python names."""
    words = arguments.split()
    if not words:
        return None
    path = words[0].strip("\"'")
    level = 0
    while path.startswith(("./", "../")):
        if path.startswith("../"):
            level += 1
            path = path[3:]
        else:
            path = path[2:]
    if not words[0].strip("\"'").startswith("."):
        return None
    for suffix in (".py", ".ipynb"):
        path = path.removesuffix(suffix)
    parts = path.split("/")
    if not parts or not all(p.isidentifier() for p in parts):
        return None
    return f"from {'.' * (level + 1)}{'.'.join(parts)} import *"


def _is_shell_assignment(line: str) -> bool:
    """``files = !ls`` or ``t = %timeit …``."""
    target, sep, rest = line.partition("=")
    return bool(sep) and target.strip().isidentifier() and rest.lstrip().startswith(("!", "%"))
