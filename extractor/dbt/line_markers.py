"""Line markers: map rendered SQL back to the template lines that produced it.

Before compiling, every template line's data (text outside ``{{ }}``, ``{% %}`` and ``{# #}``) gets
an invisible marker with its line number; after rendering the markers are stripped and
remembered. Text a ``{{ … }}`` or a macro produced maps to the line of the call.
"""

from __future__ import annotations

import bisect
import re

from ..sql.parse import LineIndex

MARK_OPEN = "\ue000"
MARK_CLOSE = "\ue001"
_MARKER = re.compile(f"{MARK_OPEN}(\\d+){MARK_CLOSE}")
_TAG_START = re.compile(r"\{[{%#]")
#: ``{% set name %}`` (no ``=``): a block assignment, ended by ``{% endset %}``.
_SET_BLOCK = re.compile(r"\{%-?\s*set\s+[\w., ]+?\s*(?:\|[^=%]*)?-?%\}$")
_END_SET = re.compile(r"\{%-?\s*endset\s*-?%\}")
#: Markers and whitespace: what separates two tokens of rendered SQL.
NOISE = re.compile(f"\\s+|{MARK_OPEN}\\d+{MARK_CLOSE}")


def _tag_end(source: str, start: int) -> int:
    """Index just past the Jinja tag opening at ``start``; strings inside the tag are skipped.

    Like Jinja's lexer, the tag ends only at a ``}}`` / ``%}`` outside brackets: in
    ``{{ config(meta={'a': {'b': 1}}) }}`` the dict's own ``}}`` does not close it."""
    kind = source[start + 1]
    if kind == "#":
        end = source.find("#}", start + 2)
        return len(source) if end < 0 else end + 2
    closing = "}}" if kind == "{" else "%}"
    i = start + 2
    n = len(source)
    depth = 0
    while i < n:
        ch = source[i]
        if ch in "'\"":
            j = source.find(ch, i + 1)
            while j > 0 and source[j - 1] == "\\":
                j = source.find(ch, j + 1)
            if j < 0:
                return n
            i = j + 1
            continue
        if depth == 0 and source.startswith(closing, i):
            return i + 2
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        i += 1
    return n


def _mark_data(data: str, line: int) -> tuple[str, int]:
    if "\n" not in data:
        return data, line
    out = []
    for piece in data.split("\n")[:-1]:
        line += 1
        out.append(f"{piece}\n{MARK_OPEN}{line}{MARK_CLOSE}")
    return "".join(out) + data.rsplit("\n", 1)[1], line


def insert_line_markers(source: str) -> str:
    """Mark the start of every template line in data (outside tags) with its line number."""
    out: list[str] = []
    pos = 0
    line = 1
    n = len(source)
    while pos < n:
        match = _TAG_START.search(source, pos)
        stop = match.start() if match else n
        marked, line = _mark_data(source[pos:stop], line)
        out.append(marked)
        if match is None:
            break
        end = _tag_end(source, stop)
        tag = source[stop:end]
        out.append(tag)
        line += tag.count("\n")
        if re.match(r"\{%-?\s*raw\s*-?%\}", tag):
            raw_end = re.compile(r"\{%-?\s*endraw\s*-?%\}").search(source, end)
            stop_raw = raw_end.start() if raw_end else n
            marked, line = _mark_data(source[end:stop_raw], line)
            out.append(marked)
            end = stop_raw
        elif _SET_BLOCK.match(tag):
            # ``{% set x %}…{% endset %}`` captures text that is often data, not SQL
            # (``fromyaml(x)``, ``x.split(',')``): it is left unmarked, tags and all.
            block_end = _END_SET.search(source, end)
            stop_block = block_end.start() if block_end else n
            out.append(source[end:stop_block])
            line += source.count("\n", end, stop_block)
            end = stop_block
        pos = end
    return "".join(out)


class TemplateLines(LineIndex):
    """Maps offsets of rendered text to lines of the template that produced them."""

    def __init__(self, text: str, anchors: list[tuple[int, int]]) -> None:
        super().__init__(text)
        self._anchor_offsets = [a[0] for a in anchors]
        self._anchor_lines = [a[1] for a in anchors]

    def position(self, offset: int) -> tuple[int, int]:
        _, column = super().position(offset)
        i = bisect.bisect_right(self._anchor_offsets, offset) - 1
        return (self._anchor_lines[i] if i >= 0 else 1), column


def strip_line_markers(rendered: str) -> tuple[str, TemplateLines]:
    """The rendered text without markers, and the map from its offsets to template lines."""
    anchors: list[tuple[int, int]] = [(0, 1)]
    parts: list[str] = []
    length = 0
    pos = 0
    for match in _MARKER.finditer(rendered):
        chunk = rendered[pos : match.start()]
        parts.append(chunk)
        length += len(chunk)
        anchors.append((length, int(match.group(1))))
        pos = match.end()
    parts.append(rendered[pos:])
    text = "".join(parts).replace(MARK_OPEN, "").replace(MARK_CLOSE, "")
    return text, TemplateLines(text, anchors)
