"""Point column edges at the template line that defines the column.

The engine locates an output at its projection in the outermost SELECT, which in dbt's usual style
(``with renamed as (select amount_cents / 100 as amount …) select * from renamed``) is the final
``*``. When that template line does not mention the column, the edge moves to the line of the last
``… as <column>`` in the rendered SQL (the definition nearest the output), or else of the column's
first mention. The rendered SQL and the template are each scanned once.
"""

from __future__ import annotations

import dataclasses
import re

from ..model import ColumnEdge, Location
from ..sql.parse import LineIndex

_WORD = re.compile(r"[A-Za-z_][\w$]*")
# ``as <name>`` not followed by a parenthesis: an alias, not ``cast(x as date)`` or ``varchar(3)``.
_ALIAS = re.compile(r"\bas\s+[\"`\[]?([A-Za-z_][\w$]*)[\"`\]]?(?![\w$])(?!\s*[()])", re.IGNORECASE)


class _Words:
    """Where names occur in a text: the last alias definition and the first mention of each."""

    def __init__(self, sql: str) -> None:
        self.aliases: dict[str, int] = {m.group(1).lower(): m.start() for m in _ALIAS.finditer(sql)}
        self.first: dict[str, int] = {}
        for m in _WORD.finditer(sql):
            self.first.setdefault(m.group(0).lower(), m.start())

    def definition(self, column: str) -> int | None:
        key = column.lower()
        return self.aliases.get(key, self.first.get(key))


def refine_locations(edges: list[ColumnEdge], sql: str, lines: LineIndex, template: str) -> list[ColumnEdge]:
    """``edges`` with the location of each output column moved to its defining template line."""
    template_lines = template.splitlines()
    line_words: dict[int, set[str]] = {}
    words: _Words | None = None
    refined = []
    for edge in edges:
        column, location = edge.target.column, edge.location
        if column is None or location is None:
            refined.append(edge)
            continue
        line = location.line
        if line not in line_words:
            text = template_lines[line - 1] if 0 < line <= len(template_lines) else ""
            line_words[line] = {w.lower() for w in _WORD.findall(text)}
        if column.lower() in line_words[line]:
            refined.append(edge)
            continue
        words = words or _Words(sql)
        offset = words.definition(column)
        if offset is None:
            refined.append(edge)
            continue
        new_line, new_column = lines.position(offset)
        refined.append(dataclasses.replace(edge, location=Location(location.path, new_line, new_column)))
    return refined
