"""Split a SQL script into statements and parse them with sqlglot, isolating bad statements.

The whole script is parsed in one go first, so procedure and script bodies (BEGIN … END) keep
their structure. When that fails, each semicolon- or ``GO``-separated chunk is parsed on its own:
a chunk that does not parse becomes a diagnostic and the others are still analysed.

sqlglot raises more than ``ParseError`` on hostile input (ValueError, TypeError, IndexError,
OverflowError, AttributeError from its builders; RecursionError on deep nesting): every exception
out of sqlglot costs only the statement it came from. Statements nested deeper than
``MAX_NESTING`` brackets are refused before parsing, so the parser's recursion stays bounded.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import re
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


#: Deepest bracket nesting a statement may have: sqlglot's parser, optimizer and generator recurse
#: several frames per level, and beyond this depth they exhaust the interpreter's stack.
MAX_NESTING = 200
#: sqlglot's parser backtracks on ``JOIN`` without ``ON``/``USING`` (time doubles with every join
#: or two: 16 take 0.3-0.7 s, 20 take 11 s, 24 over 100 s); more than this is refused, not waited for.
MAX_BARE_JOINS = 12


def nesting_depth(tokens: list[Token]) -> int:
    """The deepest bracket nesting of a token list (parentheses, brackets and braces)."""
    depth = deepest = 0
    for token in tokens:
        if token.token_type in _OPENERS:
            depth += 1
            deepest = max(deepest, depth)
        elif token.token_type in _CLOSERS:
            depth = max(0, depth - 1)
    return deepest


_OPENERS = frozenset({TokenType.L_PAREN, TokenType.L_BRACKET, TokenType.L_BRACE})
_CLOSERS = frozenset({TokenType.R_PAREN, TokenType.R_BRACKET, TokenType.R_BRACE})


def _bare_joins(tokens: list[Token]) -> int:
    """``JOIN`` keywords with no ``ON``/``USING`` before the next ``JOIN`` at the same bracket depth
    (CROSS and NATURAL joins need none and do not count): sqlglot tries each as the start of a
    nested join and backtracks."""
    bare = 0
    open_join = [False]  # per bracket depth: a JOIN still waiting for its ON/USING
    previous: Token | None = None
    for token in tokens:
        kind = token.token_type
        if kind == TokenType.JOIN:
            bare += open_join[-1]
            open_join[-1] = previous is None or previous.token_type not in (TokenType.CROSS, TokenType.NATURAL)
        elif kind in (TokenType.ON, TokenType.USING):
            open_join[-1] = False
        elif kind in _OPENERS:
            open_join.append(False)
        elif kind in _CLOSERS and len(open_join) > 1:
            bare += open_join.pop()
        previous = token
    return bare + sum(open_join)


def refusal(tokens: list[Token], dialect: Dialect) -> str | None:
    """Why a statement is too big for the parser to handle in bounded time and stack, or None."""
    depth = nesting_depth(tokens)
    if depth > MAX_NESTING:
        return f"statement nested {depth} brackets deep (more than {MAX_NESTING}); not analysed"
    bare = _bare_joins(tokens)
    if bare > MAX_BARE_JOINS:
        return f"{bare} JOINs without ON or USING (more than {MAX_BARE_JOINS}); not analysed"
    return None


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
    tokenizer = dialect.tokenizer()
    try:
        tokens = tokenizer.tokenize(sql)
    except Exception as e:  # TokenError, and anything else sqlglot's tokenizer raises on bad input
        # Statements before the one that does not tokenize (an unterminated string, say) are kept.
        tokens = _complete_statements(getattr(getattr(tokenizer, "_core", None), "tokens", None))
        line, col = lines.position(tokens[-1].end + 1 if tokens else 0)
        detail = str(e) if isinstance(e, TokenError) else f"{type(e).__name__}: {e}"
        diagnostics.append(
            Diagnostic(path, line, col, codes.severity(codes.SQL_SYNTAX), codes.SQL_SYNTAX,
                       f"cannot tokenize: {_short(detail)}")
        )  # fmt: skip
    chunks = _chunks(tokens)
    if not chunks:
        return [], diagnostics

    # Fast path: the whole script at once (keeps BEGIN … END bodies together). Any statement
    # the parser must not see sends every chunk down the isolated path instead.
    expressions = None
    if not any(refusal(c, dialect) for c in chunks):
        no_go = [t for c in chunks for t in (*c, Token(TokenType.SEMICOLON, ";"))]
        try:
            expressions = dialect.parser().parse(no_go, sql)
        except Exception:  # ParseError or a sqlglot builder failing: retry statement by statement
            expressions = None
    if expressions is not None:
        parsed = [e for e in expressions if e is not None and not isinstance(e, exp.EndStatement)]
        if len(parsed) == len(chunks):
            return [_statement(e, c, lines) for e, c in zip(parsed, chunks, strict=True)], diagnostics
        located = _by_offset([e for e in expressions if e is not None], chunks, lines)
        if _covers(located, chunks):
            return located, diagnostics
        # sqlglot dropped a statement without an error (a chunk starting with ELSE or END can be
        # read as the end of a block): parse each chunk alone so none is lost silently.

    statements: list[ParsedStatement] = []
    for chunk in chunks:
        statements.extend(_parse_chunk(chunk, sql, dialect, path, lines, diagnostics))
    return statements, diagnostics


def _complete_statements(tokens: object) -> list[Token]:
    """The tokens a failed tokenizer produced, up to its last statement separator."""
    if not isinstance(tokens, list):
        return []
    for i in range(len(tokens) - 1, -1, -1):
        if isinstance(tokens[i], Token) and tokens[i].token_type == TokenType.SEMICOLON:
            return tokens[: i + 1]
    return []


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


def _covers(statements: list[ParsedStatement], chunks: list[list[Token]]) -> bool:
    """Whether every chunk has a statement starting inside it (or is inside a block's body)."""
    starts = sorted(s.start for s in statements)
    grouped = any(s.group != i for i, s in enumerate(statements))
    for chunk in chunks:
        i = bisect.bisect_left(starts, chunk[0].start)
        if not (i < len(starts) and starts[i] <= chunk[-1].end) and not grouped:
            return False
    return True


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
    refused = refusal(chunk, dialect)
    if refused is not None:
        diagnostics.append(_chunk_diagnostic(codes.SQL_TOO_COMPLEX, refused, chunk, sql, path, lines))
        return []
    try:
        expressions = dialect.parser().parse(chunk, sql)
    except RecursionError:
        message = "statement nested too deeply to parse"
        diagnostics.append(_chunk_diagnostic(codes.SQL_TOO_COMPLEX, message, chunk, sql, path, lines))
        return []
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
    except Exception as e:  # sqlglot's builders raise ValueError, TypeError, IndexError … on bad input
        message = f"sqlglot could not parse this statement ({type(e).__name__}: {_short(str(e))})"
        diagnostics.append(_chunk_diagnostic(codes.SQL_SYNTAX, message, chunk, sql, path, lines))
        return []
    found = [_statement(x, chunk, lines) for x in expressions if x is not None and not isinstance(x, exp.EndStatement)]
    if not found and not (len(chunk) == 1 and chunk[0].token_type == TokenType.END):
        # sqlglot returned nothing and raised nothing (a chunk starting with ELSE, say).
        message = "not a statement sqlglot can read; skipped"
        diagnostics.append(_chunk_diagnostic(codes.SQL_SYNTAX, message, chunk, sql, path, lines))
    return found


def _repair(chunk: list[Token]) -> list[Token] | None:
    """Token-level fixes for syntax sqlglot does not parse yet; None when nothing applies.

    - Spark ``INSERT OVERWRITE DIRECTORY 'path' USING parquet SELECT …``: the file format does not
      change lineage, so ``USING <format>`` is dropped.
    - A string alias without ``AS`` (``SELECT amount '金额', …``, as Impala and MySQL write it):
      ``AS`` is put before it, which every dialect reads as an alias. Only tried on a statement
      that did not parse, so a valid one never changes.
    - A keyword that is a column's name where its clause cannot start (Spark and Hive accept
      ``explode(values)``, ``t.values``, ``case when from = to``): it is read as a name.
    """
    for i in range(len(chunk) - 3):
        if (
            chunk[i].text.upper() == "DIRECTORY"
            and chunk[i + 1].token_type == TokenType.STRING
            and chunk[i + 2].text.upper() == "USING"
        ):
            return chunk[: i + 2] + chunk[i + 4 :]
    if not any(t.token_type == TokenType.SELECT for t in chunk):
        return None
    names = _keywords_as_names(chunk)
    if names:
        return [Token(TokenType.VAR, t.text, t.line, t.col, t.start, t.end) if i in names else t
                for i, t in enumerate(chunk)]  # fmt: skip
    for i in range(1, len(chunk)):
        token = chunk[i]
        after = chunk[i + 1].token_type if i + 1 < len(chunk) else TokenType.SEMICOLON
        if (
            token.token_type == TokenType.STRING
            and chunk[i - 1].token_type in _ALIASABLE
            and after in (TokenType.COMMA, TokenType.FROM, TokenType.SEMICOLON)
        ):
            alias = Token(TokenType.ALIAS, "AS", token.line, token.col, token.start, token.start - 1)
            return [*chunk[:i], alias, *chunk[i:]]
    return None


def _keywords_as_names(chunk: list[Token]) -> set[int]:
    """Positions of ``VALUES`` / ``FROM`` tokens that cannot start their clause: ``VALUES`` needs a
    row after it (not ``)``, ``,`` or ``.``, and not after a ``.``), ``FROM`` a relation (not a
    comparison)."""
    found: set[int] = set()
    for i, token in enumerate(chunk):
        after = chunk[i + 1].token_type if i + 1 < len(chunk) else TokenType.SEMICOLON
        before = chunk[i - 1].token_type if i > 0 else TokenType.SEMICOLON
        values_name = token.token_type == TokenType.VALUES and (
            after in (TokenType.R_PAREN, TokenType.COMMA, TokenType.DOT) or before == TokenType.DOT
        )
        from_name = token.token_type == TokenType.FROM and after in _COMPARISONS and before != TokenType.DOT
        if values_name or from_name:
            found.add(i)
    return found


_COMPARISONS = frozenset({TokenType.EQ, TokenType.NEQ, TokenType.LT, TokenType.LTE, TokenType.GT, TokenType.GTE})

#: Tokens a select item can end with, so that a string right after it is its alias.
_ALIASABLE = frozenset({TokenType.VAR, TokenType.IDENTIFIER, TokenType.R_PAREN, TokenType.NUMBER})


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
    detail = _stable(err.get("description") or str(e).splitlines()[0])
    msg = f"{detail}" + (f" near '{highlight}'" if highlight else "")
    msg += f" in: {_excerpt(sql, chunk[0].start, chunk[-1].end + 1)}"
    return Diagnostic(path, line, col, codes.severity(codes.SQL_SYNTAX), codes.SQL_SYNTAX, msg)


_MISSING = re.compile(r"Required keyword: '\w+' missing for <class '(?:\w+\.)*(\w+)'>")


def _stable(description: str) -> str:
    """sqlglot names the first missing argument of an incomplete expression in set order, which
    changes with the hash seed; the message keeps only the expression's kind, so it never varies."""
    return _MISSING.sub(lambda m: f"incomplete {m.group(1)} expression (a required part is missing)", description)


def _chunk_diagnostic(code: str, message: str, chunk: list[Token], sql: str, path: str, lines: LineIndex) -> Diagnostic:
    line, col = lines.position(chunk[0].start)
    message += f" in: {_excerpt(sql, chunk[0].start, chunk[-1].end + 1)}"
    return Diagnostic(path, line, col, codes.severity(code), code, message)


def _short(text: str, width: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _statement(expression: exp.Expr, chunk: list[Token], lines: LineIndex) -> ParsedStatement:
    line, col = lines.position(chunk[0].start)
    return ParsedStatement(expression, line, col, chunk[0].start, chunk[-1].end + 1, -1, token_fingerprint(chunk))


def token_fingerprint(tokens: list[Token]) -> str:
    """Hash of a statement's tokens; keywords and unquoted names are case-folded."""
    text = "\x1f".join(t.text if t.token_type in _CASED else t.text.lower() for t in tokens)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


_CASED = frozenset({TokenType.STRING, TokenType.IDENTIFIER, TokenType.NATIONAL_STRING})
