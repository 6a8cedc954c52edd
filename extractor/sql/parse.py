"""Split a SQL script into statements and parse them with sqlglot, isolating bad statements.

The whole script is parsed in one go first, so procedure and script bodies (BEGIN … END) keep
their structure. When that fails, each semicolon- or ``GO``-separated chunk is parsed on its own:
a chunk that does not parse becomes a diagnostic and the others are still analysed.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType

from .. import codes
from ..model import Diagnostic

# sqlglot logs a warning for every statement it falls back to parsing as a Command; we report
# those ourselves as diagnostics.
logging.getLogger("sqlglot").setLevel(logging.ERROR)


@dataclass(frozen=True)
class ParsedStatement:
    """One parsed statement and where it starts in its file."""

    expression: exp.Expr
    line: int
    column: int
    start: int
    end: int
    group: int = -1  # statements of one block (procedure body) share a group
    fingerprint: str = ""  # hash of the statement's tokens: blind to whitespace, comments and case


class LineIndex:
    """Maps character offsets of a text to 1-based line and column numbers."""

    def __init__(self, text: str, line_offset: int = 0) -> None:
        self._starts = [0]
        self._starts.extend(i + 1 for i, ch in enumerate(text) if ch == "\n")
        self._line_offset = line_offset

    def position(self, offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(self._starts, offset) - 1
        return i + 1 + self._line_offset, offset - self._starts[i] + 1


def first_offset(node: exp.Expr) -> int | None:
    """The smallest source offset recorded on any node of ``node`` (tokens carry positions)."""
    best: int | None = None
    for sub in node.walk():
        meta = sub._meta
        if meta and "start" in meta and (best is None or meta["start"] < best):
            best = int(meta["start"])
    return best


def _chunks(tokens: list[Token]) -> list[list[Token]]:
    chunks: list[list[Token]] = [[]]
    for token in tokens:
        is_go = token.token_type == TokenType.COMMAND and token.text.upper() == "GO"
        if token.token_type == TokenType.SEMICOLON or is_go:
            if chunks[-1]:
                chunks.append([])
        else:
            chunks[-1].append(token)
    return [c for c in chunks if c]


def _excerpt(sql: str, start: int, end: int, width: int = 60) -> str:
    text = " ".join(sql[start:end].split())
    return text if len(text) <= width else text[: width - 1] + "…"


def parse_script(
    sql: str,
    dialect: Dialect,
    path: str = "<string>",
    lines: LineIndex | None = None,
) -> tuple[list[ParsedStatement], list[Diagnostic]]:
    """Parse ``sql`` into statements; unparseable statements become DT100 diagnostics."""
    lines = lines or LineIndex(sql)
    diagnostics: list[Diagnostic] = []
    if type(dialect).__name__ == "TSQL":
        sql = _go_to_semicolons(sql)
    try:
        tokens = dialect.tokenize(sql)
    except TokenError as e:
        line, col = lines.position(0)
        diagnostics.append(
            Diagnostic(path, line, col, codes.severity(codes.SQL_SYNTAX), codes.SQL_SYNTAX, f"cannot tokenize: {e}")
        )
        return [], diagnostics
    chunks = _chunks(tokens)
    if not chunks:
        return [], diagnostics

    # Fast path: the whole script at once (keeps BEGIN … END bodies together).
    no_go = [t for c in chunks for t in (*c, Token(TokenType.SEMICOLON, ";"))]
    try:
        expressions = dialect.parser().parse(no_go, sql)
    except ParseError:
        expressions = None
    if expressions is not None:
        parsed = [e for e in expressions if e is not None and not isinstance(e, exp.EndStatement)]
        if len(parsed) == len(chunks):
            return [_statement(e, c, lines) for e, c in zip(parsed, chunks, strict=True)], diagnostics
        return _by_offset([e for e in expressions if e is not None], chunks, lines), diagnostics

    statements: list[ParsedStatement] = []
    for chunk in chunks:
        statements.extend(_parse_chunk(chunk, sql, dialect, path, lines, diagnostics))
    return statements, diagnostics


def _go_to_semicolons(sql: str) -> str:
    """T-SQL batch separators: a line holding only ``GO`` (sqlcmd's rule) becomes ``;``.

    sqlglot's tokenizer reads ``GO`` as a command that swallows the next line, so the separator
    is replaced before tokenizing, padded to keep every offset (and so every position) unchanged.
    """
    out = []
    for line in sql.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        if body.strip().upper() == "GO":
            line = ";" + " " * (len(body) - 1) + line[len(body) :]
        out.append(line)
    return "".join(out)


def _by_offset(expressions: list[exp.Expr], chunks: list[list[Token]], lines: LineIndex) -> list[ParsedStatement]:
    """Statements of a script whose blocks spanned several chunks, located by their tokens.

    sqlglot leaves an unterminated ``BEGIN`` body (BigQuery procedures) as a Command holding the
    first statement, the rest as separate statements, and an ``EndStatement`` marker; everything
    up to that marker is given the group of the statement that opened the block."""
    result: list[ParsedStatement] = []
    group: int | None = None
    for e in expressions:
        if isinstance(e, exp.EndStatement):
            group = None
            continue
        offset = first_offset(e)
        line, col = lines.position(offset if offset is not None else chunks[0][0].start)
        index = len(result)
        result.append(ParsedStatement(e, line, col, offset or 0, offset or 0, group if group is not None else index))
        if group is None and _opens_block(e):
            group = index
    return result


def _opens_block(e: exp.Expr) -> bool:
    body = e.expression if isinstance(e, exp.Create) else e
    return isinstance(body, exp.Command) and str(body.this).upper() == "BEGIN"


#: Keywords that start a statement: where T-SQL scripts without separators are split.
_STATEMENT_STARTS = frozenset({
    TokenType.INSERT, TokenType.UPDATE, TokenType.DELETE, TokenType.MERGE, TokenType.SELECT, TokenType.CREATE,
    TokenType.DROP, TokenType.WITH, TokenType.ALTER, TokenType.TRUNCATE, TokenType.DECLARE, TokenType.SET,
    TokenType.EXECUTE, TokenType.USE,
})  # fmt: skip


def _parse_chunk(
    chunk: list[Token], sql: str, dialect: Dialect, path: str, lines: LineIndex, diagnostics: list[Diagnostic],
    depth: int = 0,
) -> list[ParsedStatement]:  # fmt: skip
    try:
        expressions = dialect.parser().parse(chunk, sql)
    except ParseError as e:
        err = e.errors[0] if e.errors else {}
        repaired = _repair(chunk)
        if repaired is not None and depth < 50:
            return _parse_chunk(repaired, sql, dialect, path, lines, diagnostics, depth + 1)
        split = _split_point(chunk, err)
        if split is not None and depth < 50:
            # Two statements with no separator between them (common in T-SQL): parse each.
            return [
                *_parse_chunk(chunk[:split], sql, dialect, path, lines, diagnostics, depth + 1),
                *_parse_chunk(chunk[split:], sql, dialect, path, lines, diagnostics, depth + 1),
            ]
        diagnostics.append(_syntax_diagnostic(e, err, chunk, sql, path, lines))
        return []
    return [_statement(x, chunk, lines) for x in expressions if x is not None and not isinstance(x, exp.EndStatement)]


def _repair(chunk: list[Token]) -> list[Token] | None:
    """Token-level fixes for syntax sqlglot does not parse yet; None when nothing applies.

    - Spark ``INSERT OVERWRITE DIRECTORY 'path' USING parquet SELECT …``: the file format does not
      change lineage, so ``USING <format>`` is dropped.
    """
    for i in range(len(chunk) - 3):
        if (
            chunk[i].text.upper() == "DIRECTORY"
            and chunk[i + 1].token_type == TokenType.STRING
            and chunk[i + 2].text.upper() == "USING"
        ):
            return chunk[: i + 2] + chunk[i + 4 :]
    return None


def _split_point(chunk: list[Token], err: dict) -> int | None:
    line, col = err.get("line"), err.get("col")
    for i, token in enumerate(chunk):
        if i > 0 and token.line == line and token.col == col and token.token_type in _STATEMENT_STARTS:
            return i
    return None


def _syntax_diagnostic(
    e: ParseError, err: dict, chunk: list[Token], sql: str, path: str, lines: LineIndex
) -> Diagnostic:
    line, col = lines.position(chunk[0].start)
    highlight = err.get("highlight")
    if err.get("line"):
        # sqlglot reports the column where the offending token ends.
        col = max(1, int(err.get("col", 0)) - len(highlight or "") + 1)
        line = int(err["line"]) + (lines.position(0)[0] - 1)
    detail = err.get("description") or str(e).splitlines()[0]
    msg = f"{detail}" + (f" near '{highlight}'" if highlight else "")
    msg += f" in: {_excerpt(sql, chunk[0].start, chunk[-1].end + 1)}"
    return Diagnostic(path, line, col, codes.severity(codes.SQL_SYNTAX), codes.SQL_SYNTAX, msg)


def _statement(expression: exp.Expr, chunk: list[Token], lines: LineIndex) -> ParsedStatement:
    line, col = lines.position(chunk[0].start)
    return ParsedStatement(expression, line, col, chunk[0].start, chunk[-1].end + 1, -1, token_fingerprint(chunk))


def token_fingerprint(tokens: list[Token]) -> str:
    """Hash of a statement's tokens; keywords and unquoted names are case-folded."""
    text = "\x1f".join(t.text if t.token_type in _CASED else t.text.lower() for t in tokens)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


_CASED = frozenset({TokenType.STRING, TokenType.IDENTIFIER, TokenType.NATIONAL_STRING})
