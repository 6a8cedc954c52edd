"""Jupyter notebooks: the code cells of an ``.ipynb`` file as Python source.

IPython syntax is rewritten so that the cells parse as Python: line magics and shell escapes
become ``pass``, ``%sql`` / ``%%sql`` become a call the interpreter treats as SQL, and other cell
magics are skipped. Line numbers count the lines of the code cells in order (as in a script
exported with jupytext), so ``notebook.ipynb:12`` is the 12th line of code.
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
    for index, cell in enumerate(data.get("cells", [])):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str):
            continue
        code = rewrite_ipython(source)
        cells.append(Cell(index, code, offset))
        offset += code.count("\n") + (0 if code.endswith("\n") or not code else 1)
    return cells


def rewrite_ipython(source: str) -> str:
    """IPython cell text -> Python text with the same number of lines."""
    lines = source.split("\n")
    if not lines:
        return source
    first = lines[0].strip()
    if first.startswith("%%"):
        magic = first[2:].split(None, 1)
        name = magic[0] if magic else ""
        if name == "sql":
            body = "\n".join(lines[1:])
            return f"{SQL_MAGIC}({body!r})" + "\n" * (len(lines) - 1)
        if name in _PYTHON_CELL_MAGICS:
            lines[0] = ""
        else:
            return "\n" * (len(lines) - 1)
    out: list[str] = []
    for line in lines:
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if stripped.startswith("%sql "):
            out.append(f"{indent}{SQL_MAGIC}({stripped[5:]!r})")
        elif stripped.startswith(("%", "!")) or (stripped.endswith("?") and not stripped.startswith("#")):
            out.append(f"{indent}pass" if indent else "")
        elif _is_shell_assignment(stripped):
            out.append(f"{indent}pass")
        else:
            out.append(line)
    return "\n".join(out)


def _is_shell_assignment(line: str) -> bool:
    """``files = !ls`` or ``t = %timeit …``."""
    target, sep, rest = line.partition("=")
    return bool(sep) and target.strip().isidentifier() and rest.lstrip().startswith(("!", "%"))
