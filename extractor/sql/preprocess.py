"""Script-level constructs that sqlglot does not parse, rewritten before parsing.

Every rewrite works on the dialect's own tokens (never on raw SQL text), replaces only the
tokens it understands and keeps line breaks, so line numbers stay exact:

- **Script variables** — ``${x}``, ``${hivevar:x}``, ``${hiveconf:x}``, shell ``$x`` (scripts run as
  ``hive -e "…"``), psql ``:x`` / ``:'x'`` and
  the ``__x__`` placeholders that rendering ``{{ x }}`` leaves — take their value when it is known
  (``[tool.datatrail.variables]``, a ``SET hivevar:x = …`` or psql ``\\set x …`` earlier in the same
  file). Unknown ones that stand in a table name become a quoted placeholder named after the
  variable *and the file* (``"${db}@jobs/daily.hql".orders``): two scripts that both write
  ``${db}.orders`` are not assumed to write the same table. Unknown ones in a value position
  become a string constant (or stay as sqlglot's Hive parameter).
- **psql meta-commands** — ``\\copy`` becomes the server-side ``COPY`` it mirrors (ended at the
  end of its line, as psql ends it); ``\\set`` defines a variable; any other meta-command
  (``\\echo``, ``\\timing``, ``\\connect`` …) is blanked out.
- **Variables inside quoted text** — in any string, a known ``${x}`` takes its value (Hive substitutes
  text before parsing); an unknown one in a string or quoted name that names a path or table
  (``LOCATION '${root}/x'``, ``parquet.`${dir}/y```, ``cloud_files('${src}')``) becomes
  ``${x@<file>}``, so two scripts' unknown roots are not taken for one directory.
- **Hive CLI commands** — ``!shell command;``, ``source file.hql;``, ``quit;``, ``exit;``, ``reset;``,
  ``dfs …;``, ``reload functions;``, ``list|delete jar …;`` run no SQL and are blanked.
- **Hive ``INSERT OVERWRITE TABLE t PARTITION (…) IF NOT EXISTS``** — the condition is blanked.
- **Databricks notebooks** exported as ``.sql`` (``-- Databricks notebook source``): each
  ``-- COMMAND ----------`` cell separator ends a statement, as running the cell does.
- **Delta Live Tables** — ``CREATE OR REFRESH [STREAMING|LIVE] TABLE`` / ``… VIEW`` becomes ``CREATE OR
  REPLACE TABLE`` / ``VIEW``; ``CONSTRAINT … EXPECT (…) [ON VIOLATION …]`` expectations are dropped
  from the column list; ``LIVE.t`` is the pipeline's table ``t``; ``STREAM(t)`` / ``STREAM t`` read
  ``t``; ``APPLY CHANGES INTO t FROM s … COLUMNS …`` becomes ``INSERT INTO t SELECT <columns> FROM s``.
- **Dataform ``.sqlx``** — ``config { … }`` / ``js { … }`` blocks are blanked, ``${ref("t")}`` becomes
  the table, and a ``table``/``view``/``incremental`` becomes ``CREATE TABLE <schema>.<file name> AS …``.
- **Delta Lake utilities** — ``DESCRIBE DETAIL``, ``RESTORE``, ``FSCK``, ``CONVERT TO DELTA`` and notebook
  widgets move no data and are blanked; ``CREATE TABLE a DEEP|SHALLOW CLONE b`` is ``… AS SELECT * FROM b``.
- **Hive 3 constraint modes** — ``PRIMARY KEY (id) DISABLE NOVALIDATE [RELY]`` keeps the key, the
  modes (which sqlglot does not read) are blanked.
- **T-SQL compound assignments** — ``SET col += x`` becomes ``SET col = col + x``.
- **Backtick-quoted names** in a dialect whose tokenizer does not know backticks (Athena's DML,
  which Athena accepts) become the dialect's quoted identifier.
- **Teradata data attributes** — ``expr (TITLE 'heading')`` only sets a report heading and is
  blanked; ``expr (NAMED n)`` names the column and becomes ``expr AS n``; a ``FORMAT 'x'`` in the
  same list is kept as the ``(FORMAT 'x')`` phrase sqlglot parses.
- **Spark ``INSERT OVERWRITE DIRECTORY … USING fmt OPTIONS (…)``** — rewritten to the Hive form
  sqlglot parses (``INSERT OVERWRITE DIRECTORY 'path' SELECT …``); a ``path`` option names the
  directory when no path literal is written.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass

from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import TokenError
from sqlglot.tokens import Token, TokenType

from ..placeholders import is_placeholder
from .detect import NOTEBOOK_HEADER

#: Tokens after which a name (not a value) follows: ``FROM ${db}.t``, ``INSERT INTO ${t}``.
_NAME_CONTEXT = frozenset({
    TokenType.FROM, TokenType.JOIN, TokenType.TABLE, TokenType.INTO, TokenType.UPDATE, TokenType.VIEW,
    TokenType.EXISTS, TokenType.USING, TokenType.MERGE, TokenType.DATABASE, TokenType.SCHEMA, TokenType.USE,
})  # fmt: skip
#: Dialects whose parser reads ``${x}`` itself (as a parameter) in a value position.
_NATIVE_PARAMETERS = frozenset({"hive", "spark", "spark2", "databricks"})
_NAME_TOKENS = frozenset({TokenType.VAR, TokenType.IDENTIFIER})


@dataclass(frozen=True)
class _Variable:
    """One variable reference: tokens ``first``..``last`` (indexes), its name and how it is written."""

    first: int
    last: int
    name: str
    written: str


def preprocess(sql: str, dialect: Dialect, path: str, variables: Mapping[str, str] | None = None) -> str:
    """``sql`` with the constructs above rewritten; text it does not understand is unchanged."""
    teradata = type(dialect).__name__.lower() == "teradata"
    if not _may_need(sql, path) and not (teradata and _may_have_attributes(sql)):
        return sql  # most scripts: no tokenizing twice
    try:
        tokens = dialect.tokenize(sql)
    except TokenError:
        # ``t_${env}`` reads as the start of a dollar-quoted string in Postgres: find the variables
        # with Hive's tokenizer, which knows ``${…}``; what it cannot read the parser reports.
        try:
            tokens = Dialect.get_or_raise("hive").tokenize(sql)
        except TokenError:
            return sql
    if not tokens:
        return sql
    known = dict(variables or {})
    edits: list[tuple[int, int, str]] = []  # (start, end exclusive, replacement)
    if path.lower().endswith(".sqlx"):
        _dataform(sql, tokens, dialect, path, edits)
    starts = _statement_starts(tokens, _notebook_cells(sql, edits))
    _meta_commands(sql, tokens, known, edits)
    _cli_commands(sql, tokens, edits)
    _utility_statements(sql, tokens, starts, edits)
    _clones(tokens, edits)
    _constraint_modes(sql, tokens, edits)
    _partition_if_not_exists(sql, tokens, edits)
    _delta_live_tables(sql, tokens, edits)
    _insert_directory_using(sql, tokens, edits)
    _set_statements(sql, tokens, known)
    _compound_assignments(sql, tokens, edits)
    _backtick_names(sql, tokens, dialect, edits)
    if teradata:
        _teradata_attributes(sql, tokens, edits)
    _variables(sql, tokens, dialect, path, known, edits)
    _quoted_variables(sql, tokens, dialect, path, known, edits)
    if not edits:
        return sql
    out: list[str] = []
    position = 0
    for start, end, text in sorted(edits):
        if start < position:
            continue  # overlapping rewrites: the first wins
        out.append(sql[position:start])
        out.append(text)
        position = end
    out.append(sql[position:])
    return "".join(out)


#: Lower-case text the token-level rewrites below need (DLT, Delta utilities, constraint modes …).
_CLUES = (
    "directory", "refresh", "streaming", "live table", "live view", "live.", "apply changes", "clone", "widget",
    "describe detail", "desc detail", "restore", "fsck", "convert to", "disable", "enable",
)  # fmt: skip


def _may_need(sql: str, path: str) -> bool:
    """A cheap look for the characters every construct above needs (a false positive only costs a
    tokenizer pass; the rewrites themselves are decided on tokens)."""
    if path.lower().endswith(".sqlx") or any(ch in sql for ch in "$\\`") or "__" in sql:
        return True
    if sql.lstrip().startswith(NOTEBOOK_HEADER):
        return True
    if any(op in sql for op in ("+=", "-=", "*=", "/=", "%=")):
        return True
    if ":" in sql.replace("::", ""):
        return True
    lowered = sql.lower()
    if any(word in lowered for word in _CLUES):
        return True
    if "if not exists" in lowered and "partition" in lowered:
        return True
    starts = ("!", "source ", "quit", "exit", "reset", "dfs ", "reload ", "list ", "delete jar", "delete file")
    return any(line.lstrip().startswith(starts) for line in lowered.splitlines())


def _blank(sql: str, start: int, end: int) -> str:
    """Spaces for ``sql[start:end]``, keeping its line breaks."""
    return "".join(ch if ch in "\r\n" else " " for ch in sql[start:end])


# -- Dataform SQLX ---------------------------------------------------------------------------------

_SQLX_BLOCKS = frozenset({"config", "js", "pre_operations", "post_operations"})
_SQLX_TABLES = frozenset({"table", "view", "incremental"})


def _dataform(sql: str, tokens: list[Token], dialect: Dialect, path: str, edits: list[tuple[int, int, str]]) -> None:
    """A Dataform ``.sqlx`` file: its ``config { … }`` (and ``js``/``*_operations``) blocks are
    not SQL; ``${ref("t")}`` names a table; a ``table``/``view``/``incremental`` is the SELECT
    landing in the table named after the file (in the config's ``schema``)."""
    config: dict[str, str] = {}
    select_at: int | None = None
    i = 0
    while i < len(tokens):
        t = tokens[i]
        if t.text.lower() in _SQLX_BLOCKS and i + 1 < len(tokens) and tokens[i + 1].token_type is TokenType.L_BRACE:
            close = _matching(tokens, i + 1, TokenType.L_BRACE, TokenType.R_BRACE)
            if close is None:
                return
            if t.text.lower() == "config":
                config = _options(tokens[i + 2 : close])
            edits.append((t.start, tokens[close].end + 1, _blank(sql, t.start, tokens[close].end + 1)))
            i = close + 1
            continue
        if t.text == "$" and i + 1 < len(tokens) and tokens[i + 1].token_type is TokenType.L_BRACE:
            close = _matching(tokens, i + 1, TokenType.L_BRACE, TokenType.R_BRACE)
            if close is None:
                return
            edits.append((t.start, tokens[close].end + 1, _sqlx_expression(tokens[i + 2 : close], dialect, path)))
            i = close + 1
            continue
        if select_at is None and t.token_type in (TokenType.SELECT, TokenType.WITH):
            select_at = t.start
        i += 1
    kind = config.get("type", "").lower()
    if select_at is not None and kind in _SQLX_TABLES:
        name = config.get("name") or posixpath.splitext(posixpath.basename(path))[0]
        target = ".".join(_quoted(p, dialect) for p in (config.get("schema"), name) if p)
        ddl = "CREATE VIEW" if kind == "view" else "CREATE TABLE"
        edits.append((select_at, select_at, f"{ddl} {target} AS "))


def _sqlx_expression(tokens: list[Token], dialect: Dialect, path: str) -> str:
    """``ref("t")`` / ``ref("schema", "t")`` / ``resolve(…)`` as the table; anything else (``self()``,
    ``when(…)``) as nothing."""
    if (
        tokens
        and tokens[0].text in ("ref", "resolve")
        and all(
            t.token_type in (TokenType.STRING, TokenType.COMMA, TokenType.L_PAREN, TokenType.R_PAREN)
            for t in tokens[1:]
        )
    ):
        parts = [t.text for t in tokens if t.token_type is TokenType.STRING]
        if parts:
            return ".".join(_quoted(p, dialect) for p in parts)
    if tokens and tokens[0].text == "self":
        return _quoted(posixpath.splitext(posixpath.basename(path))[0], dialect)
    return ""


def _matching(tokens: list[Token], start: int, opening: TokenType, closing: TokenType) -> int | None:
    depth = 0
    for k in range(start, len(tokens)):
        if tokens[k].token_type is opening:
            depth += 1
        elif tokens[k].token_type is closing:
            depth -= 1
            if depth == 0:
                return k
    return None


# -- psql meta-commands -------------------------------------------------------------------------


def _meta_commands(sql: str, tokens: list[Token], known: dict[str, str], edits: list[tuple[int, int, str]]) -> None:
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.token_type is not TokenType.BACKSLASH or i + 1 >= len(tokens):
            i += 1
            continue
        # A meta-command runs to the end of its line.
        j = i + 1
        while j + 1 < len(tokens) and tokens[j + 1].line == token.line:
            j += 1
        command = tokens[i + 1].text.lower()
        if command == "copy":
            edits.append((token.start, token.end + 1, " "))
            edits.append((tokens[j].end + 1, tokens[j].end + 1, ";"))
        else:
            if command == "set" and j >= i + 2:
                name = tokens[i + 2].text
                value = sql[tokens[i + 3].start : tokens[j].end + 1] if j >= i + 3 else ""
                if tokens[i + 3 : j + 1] and all(t.token_type is TokenType.STRING for t in tokens[i + 3 : j + 1]):
                    value = "".join(t.text for t in tokens[i + 3 : j + 1])
                known.setdefault(name, value)
            edits.append((token.start, tokens[j].end + 1, _blank(sql, token.start, tokens[j].end + 1)))
        i = j + 1


def _cli_commands(sql: str, tokens: list[Token], edits: list[tuple[int, int, str]]) -> None:
    """Hive CLI commands run no SQL: ``!shell command;``, ``source other.hql;`` (the sourced
    file is scanned on its own), ``quit;``, ``exit;``, ``reset …;``, ``dfs …;``, ``reload functions;``
    and ``list|delete jar|file|archive …;``. Blanked, up to their ``;``."""
    starts = [0] + [k + 1 for k, t in enumerate(tokens) if t.token_type is TokenType.SEMICOLON]
    for start in starts:
        if start >= len(tokens):
            continue
        first = tokens[start]
        word = first.text.lower()
        second = tokens[start + 1].text.lower() if start + 1 < len(tokens) else ";"
        shell = first.token_type is TokenType.NOT and first.text == "!"
        source = word == "source" and first.token_type is TokenType.VAR
        alone = second == ";"
        command = (
            (word in ("quit", "exit") and alone)
            or word in ("dfs", "reset")
            or (word == "reload" and second in ("function", "functions"))
            or (word in ("list", "delete") and second.rstrip("s") in ("jar", "file", "archive"))
        )
        if not (shell or source or command):
            continue
        end = start
        while end + 1 < len(tokens) and tokens[end + 1].token_type is not TokenType.SEMICOLON:
            end += 1
        edits.append((first.start, tokens[end].end + 1, _blank(sql, first.start, tokens[end].end + 1)))


# -- Databricks notebooks ---------------------------------------------------------------------------

_CELL_SEPARATOR = "-- COMMAND ----------"


def _notebook_cells(sql: str, edits: list[tuple[int, int, str]]) -> list[int]:
    """An exported Databricks notebook runs each cell on its own, and a cell's last statement needs
    no ``;``: each separator line (a comment line the export writes between cells) becomes ``;``.
    Returns the separators' offsets."""
    if not sql.lstrip().startswith(NOTEBOOK_HEADER):
        return []
    breaks: list[int] = []
    offset = 0
    for line in sql.splitlines(keepends=True):
        body = line.strip()
        if body == _CELL_SEPARATOR:
            start = offset + line.index(body)
            edits.append((start, start + len(body), ";" + " " * (len(body) - 1)))
            breaks.append(start)
        offset += len(line)
    return breaks


def _statement_starts(tokens: list[Token], breaks: list[int]) -> list[int]:
    """Indexes of the tokens that start a statement: the first, those after a ``;`` and the first
    of each notebook cell."""
    starts = [0]
    b = 0
    for k in range(1, len(tokens)):
        crossed = False
        while b < len(breaks) and breaks[b] < tokens[k].start:
            crossed = crossed or breaks[b] > tokens[k - 1].end
            b += 1
        if crossed or tokens[k - 1].token_type is TokenType.SEMICOLON:
            starts.append(k)
    return starts


#: Delta Lake and notebook utility statements that move no data and that sqlglot does not parse:
#: their leading words. Blanked like the Hive CLI commands.
_UTILITY = (("DESCRIBE", "DETAIL"), ("DESC", "DETAIL"), ("RESTORE",), ("FSCK",), ("CONVERT", "TO", "DELTA"),
            ("CREATE", "WIDGET"), ("REMOVE", "WIDGET"))  # fmt: skip


def _utility_statements(sql: str, tokens: list[Token], starts: list[int], edits: list[tuple[int, int, str]]) -> None:
    boundaries = set(starts)
    for start in starts:
        words = tuple(t.text.upper() for t in tokens[start : start + 3])
        if not any(words[: len(u)] == u for u in _UTILITY):
            continue
        end = start
        while (
            end + 1 < len(tokens)
            and tokens[end + 1].token_type is not TokenType.SEMICOLON
            and end + 1 not in boundaries
        ):
            end += 1
        edits.append((tokens[start].start, tokens[end].end + 1, _blank(sql, tokens[start].start, tokens[end].end + 1)))


#: Hive 3 constraint modes (``PRIMARY KEY (id) DISABLE NOVALIDATE RELY``): the constraint is not
#: enforced, and sqlglot does not read the words; blanked.
_CONSTRAINT_MODES = frozenset({"DISABLE", "ENABLE", "NOVALIDATE", "VALIDATE", "RELY", "NORELY", "ENFORCED"})


def _constraint_modes(sql: str, tokens: list[Token], edits: list[tuple[int, int, str]]) -> None:
    for k in range(1, len(tokens)):
        if tokens[k].text.upper() not in ("DISABLE", "ENABLE") or tokens[k - 1].token_type is not TokenType.R_PAREN:
            continue
        end = k
        while end + 1 < len(tokens) and tokens[end + 1].text.upper() in _CONSTRAINT_MODES:
            end += 1
        after = tokens[end + 1].token_type if end + 1 < len(tokens) else TokenType.SEMICOLON
        if end > k or after in (TokenType.COMMA, TokenType.R_PAREN, TokenType.SEMICOLON):
            edits.append((tokens[k].start, tokens[end].end + 1, _blank(sql, tokens[k].start, tokens[end].end + 1)))


def _partition_if_not_exists(sql: str, tokens: list[Token], edits: list[tuple[int, int, str]]) -> None:
    """Hive ``INSERT OVERWRITE TABLE t PARTITION (…) IF NOT EXISTS SELECT …`` skips the write when
    the partition exists; the rows it writes come from the same query, so the condition is blanked."""
    for k in range(len(tokens) - 3):
        if tokens[k].token_type is not TokenType.PARTITION:
            continue
        close = _closing_paren(tokens, k + 1)
        if close is None or close + 3 >= len(tokens):
            continue
        words = [t.text.upper() for t in tokens[close + 1 : close + 4]]
        if words == ["IF", "NOT", "EXISTS"] and any(
            t.token_type is TokenType.INSERT for t in tokens[max(0, k - 8) : k]
        ):
            first, last = tokens[close + 1], tokens[close + 3]
            edits.append((first.start, last.end + 1, _blank(sql, first.start, last.end + 1)))


def _clones(tokens: list[Token], edits: list[tuple[int, int, str]]) -> None:
    """Delta ``CREATE TABLE a [DEEP|SHALLOW] CLONE b``: ``a`` gets ``b``'s columns and rows, as
    ``CREATE TABLE a AS SELECT * FROM b`` says."""
    for k in range(1, len(tokens) - 2):
        if (
            tokens[k].text.upper() in ("DEEP", "SHALLOW")
            and tokens[k + 1].text.upper() == "CLONE"
            and tokens[k - 1].token_type in _NAME_TOKENS
        ):
            edits.append((tokens[k].start, tokens[k + 1].end + 1, "AS SELECT * FROM"))


# -- Delta Live Tables ------------------------------------------------------------------------------

#: Words between ``CREATE [OR REFRESH]`` and ``TABLE``/``VIEW`` that DLT adds; blanked.
_DLT_WORDS = frozenset({"STREAMING", "LIVE", "PRIVATE"})
_DLT_KEPT = frozenset({"TEMPORARY", "MATERIALIZED"})
#: Clauses of ``APPLY CHANGES INTO`` after its source: none of them changes which columns land.
_APPLY_CLAUSES = frozenset({"KEYS", "APPLY", "SEQUENCE", "COLUMNS", "STORED", "TRACK", "IGNORE", "WHERE"})


def _delta_live_tables(sql: str, tokens: list[Token], edits: list[tuple[int, int, str]]) -> None:
    # Every CREATE, not only those after a ``;``: notebook cells end statements without one.
    dlt = False
    for i, token in enumerate(tokens):
        if token.token_type is TokenType.CREATE:
            dlt = _dlt_create(sql, tokens, i, edits) or dlt
        elif i + 2 < len(tokens) and token.text.upper() == "APPLY" and tokens[i + 1].text.upper() == "CHANGES":
            dlt = _apply_changes(sql, tokens, i, edits) or dlt
    if not dlt:
        return  # ``LIVE.`` and ``STREAM`` mean something else outside a pipeline
    for k, token in enumerate(tokens):
        nxt = tokens[k + 1] if k + 1 < len(tokens) else None
        previous = tokens[k - 1] if k > 0 else None
        if nxt is None or (previous is not None and previous.token_type is TokenType.DOT):
            continue
        upper = token.text.upper()
        if upper == "LIVE" and nxt.token_type is TokenType.DOT:
            edits.append((token.start, nxt.end + 1, _blank(sql, token.start, nxt.end + 1)))
        elif upper == "STREAM" and previous is not None and previous.token_type in (TokenType.FROM, TokenType.JOIN):
            if nxt.token_type is TokenType.L_PAREN:
                close = _closing_paren(tokens, k + 1)
                if close is not None:
                    edits.append((token.start, nxt.end + 1, _blank(sql, token.start, nxt.end + 1)))
                    edits.append((tokens[close].start, tokens[close].end + 1, " "))
            elif nxt.token_type in _NAME_TOKENS:
                edits.append((token.start, token.end + 1, _blank(sql, token.start, token.end + 1)))


def _dlt_create(sql: str, tokens: list[Token], i: int, edits: list[tuple[int, int, str]]) -> bool:
    """``CREATE OR REFRESH STREAMING TABLE t (CONSTRAINT c EXPECT (…), …) AS …``: a CREATE OR REPLACE."""
    j = i + 1
    refresh: Token | None = None
    if j + 1 < len(tokens) and tokens[j].token_type is TokenType.OR and tokens[j + 1].text.upper() == "REFRESH":
        refresh = tokens[j + 1]
        j += 2
    words: list[Token] = []
    while j < len(tokens) and tokens[j].text.upper() in _DLT_WORDS | _DLT_KEPT:
        words.append(tokens[j])
        j += 1
    if j >= len(tokens) or tokens[j].token_type not in (TokenType.TABLE, TokenType.VIEW):
        return False
    if refresh is None and not any(w.text.upper() in _DLT_WORDS for w in words):
        return False
    if refresh is not None:
        edits.append((refresh.start, refresh.end + 1, "REPLACE"))
    for word in words:
        if word.text.upper() in _DLT_WORDS:
            edits.append((word.start, word.end + 1, _blank(sql, word.start, word.end + 1)))
    # The column list after the name: expectations are not columns.
    k = j + 1
    while k < len(tokens) and (
        tokens[k].token_type in (*_NAME_TOKENS, TokenType.DOT) or tokens[k].text.upper() == "LIVE"
    ):
        k += 1
    close = _closing_paren(tokens, k)
    if close is not None:
        _drop_expectations(sql, tokens, k, close, edits)
    return True


def _drop_expectations(
    sql: str, tokens: list[Token], open_: int, close: int, edits: list[tuple[int, int, str]]
) -> None:
    """Blank ``CONSTRAINT name EXPECT (…) [ON VIOLATION …]`` items of a column list (and the list
    itself when nothing else is in it)."""
    items: list[tuple[int, int]] = []  # token ranges of the items, inclusive
    depth, first = 0, open_ + 1
    for k in range(open_ + 1, close):
        kind = tokens[k].token_type
        if kind is TokenType.L_PAREN:
            depth += 1
        elif kind is TokenType.R_PAREN:
            depth -= 1
        elif kind is TokenType.COMMA and depth == 0:
            items.append((first, k - 1))
            first = k + 1
    items.append((first, close - 1))
    expectations = [(a, b) for a, b in items if a <= b and _is_expectation(tokens[a : b + 1])]
    if not expectations:
        return
    if len(expectations) == len(items):
        edits.append(
            (tokens[open_].start, tokens[close].end + 1, _blank(sql, tokens[open_].start, tokens[close].end + 1))
        )
        return
    kept_before = False
    for a, b in items:
        if (a, b) not in expectations:
            kept_before = True
            continue
        # With its separating comma: the one before it, or after it when it comes first.
        start = tokens[a - 1].start if kept_before else tokens[a].start
        end = tokens[b].end + 1 if kept_before else tokens[b + 1].end + 1
        edits.append((start, end, _blank(sql, start, end)))


def _is_expectation(item: list[Token]) -> bool:
    return item[0].text.upper() == "CONSTRAINT" and any(t.text.upper() == "EXPECT" for t in item)


def _apply_changes(sql: str, tokens: list[Token], i: int, edits: list[tuple[int, int, str]]) -> bool:
    """``APPLY CHANGES INTO t FROM s KEYS (…) … COLUMNS * EXCEPT (c)``: the source's rows (the named
    columns) land in ``t``, so it reads as ``INSERT INTO t SELECT * EXCEPT (c) FROM s``."""
    if tokens[i + 2].token_type is not TokenType.INTO:
        return False
    end = i
    while end + 1 < len(tokens) and tokens[end + 1].token_type is not TokenType.SEMICOLON:
        end += 1
    source = next((k for k in range(i + 3, end + 1) if tokens[k].token_type is TokenType.FROM), None)
    if source is None:
        return False
    clause = next((k for k in range(source + 2, end + 1) if tokens[k].text.upper() in _APPLY_CLAUSES), end + 1)
    columns = "*"
    for k in range(clause, end + 1):
        if tokens[k].text.upper() == "COLUMNS":
            stop = next((m for m in range(k + 1, end + 1) if tokens[m].text.upper() in _APPLY_CLAUSES), end + 1)
            if stop > k + 1:
                columns = " ".join(sql[tokens[k + 1].start : tokens[stop - 1].end + 1].split())
    edits.append((tokens[i].start, tokens[i + 1].end + 1, "INSERT"))
    edits.append((tokens[source].start, tokens[source].end + 1, f"SELECT {columns} FROM"))
    if clause <= end:
        edits.append(
            (tokens[clause].start, tokens[end].end + 1, _blank(sql, tokens[clause].start, tokens[end].end + 1))
        )
    return True


# -- Spark INSERT OVERWRITE DIRECTORY … USING -------------------------------------------------------


def _insert_directory_using(sql: str, tokens: list[Token], edits: list[tuple[int, int, str]]) -> None:
    for i, token in enumerate(tokens):
        if token.token_type is not TokenType.INSERT:
            continue
        j = i + 1
        if j < len(tokens) and tokens[j].token_type is TokenType.OVERWRITE:
            j += 1
        if j < len(tokens) and tokens[j].text.upper() == "LOCAL":
            j += 1
        if j >= len(tokens) or tokens[j].text.upper() != "DIRECTORY":
            continue
        directory = tokens[j]
        j += 1
        path: str | None = None
        if j < len(tokens) and tokens[j].token_type is TokenType.STRING:
            path = tokens[j].text
            j += 1
        if j >= len(tokens) or tokens[j].token_type is not TokenType.USING:
            continue
        using = tokens[j]
        end = j + 1  # the format name
        options: dict[str, str] = {}
        if end + 1 < len(tokens) and tokens[end + 1].text.upper() == "OPTIONS":
            close = _closing_paren(tokens, end + 2)
            if close is None:
                continue
            options = _options(tokens[end + 3 : close])
            end = close
        if path is None:
            path = options.get("path")
            if path is None:
                continue
            replacement = " '" + path.replace("'", "''") + "' " + _blank(sql, using.start, tokens[end].end + 1)
            edits.append((directory.end + 1, tokens[end].end + 1, replacement))
        else:
            edits.append((using.start, tokens[end].end + 1, _blank(sql, using.start, tokens[end].end + 1)))


def _closing_paren(tokens: list[Token], start: int) -> int | None:
    if start >= len(tokens) or tokens[start].token_type is not TokenType.L_PAREN:
        return None
    depth = 0
    for k in range(start, len(tokens)):
        if tokens[k].token_type is TokenType.L_PAREN:
            depth += 1
        elif tokens[k].token_type is TokenType.R_PAREN:
            depth -= 1
            if depth == 0:
                return k
    return None


def _options(tokens: list[Token]) -> dict[str, str]:
    """``key 'value', key = 'value'`` pairs of an OPTIONS list."""
    result: dict[str, str] = {}
    key: str | None = None
    for token in tokens:
        if token.token_type is TokenType.COMMA:
            key = None
        elif token.token_type is TokenType.STRING and key is not None:
            result[key.lower()] = token.text
            key = None
        elif token.token_type is not TokenType.EQ and key is None:
            key = token.text
    return result


# -- compound assignments ---------------------------------------------------------------------------

_COMPOUND = frozenset({TokenType.PLUS, TokenType.DASH, TokenType.STAR, TokenType.SLASH, TokenType.MOD})


def _compound_assignments(sql: str, tokens: list[Token], edits: list[tuple[int, int, str]]) -> None:
    """T-SQL ``SET col += x`` (``-=``, ``*=``, ``/=``, ``%=``): ``SET col = col + x``, which parses."""
    in_set = False
    for i in range(1, len(tokens) - 1):
        if tokens[i - 1].token_type is TokenType.SEMICOLON:
            in_set = False
        if tokens[i - 1].token_type is TokenType.SET:
            in_set = True  # only assignments: ``WHERE a *= b`` is the old outer-join syntax
        op, eq = tokens[i], tokens[i + 1]
        if not in_set or op.token_type not in _COMPOUND or eq.token_type is not TokenType.EQ or not _glued(op, eq):
            continue
        # The assigned name: the dotted name (or ``@var``) right before the operator.
        start = i - 1
        while start > 0 and (
            tokens[start - 1].token_type is TokenType.DOT
            or (tokens[start].token_type is TokenType.DOT and tokens[start - 1].token_type in _NAME_TOKENS)
            or (tokens[start - 1].text == "@" and _glued(tokens[start - 1], tokens[start]))
        ):
            start -= 1
        if tokens[start].token_type not in (*_NAME_TOKENS, TokenType.PARAMETER) and tokens[start].text != "@":
            continue
        target = sql[tokens[start].start : tokens[i - 1].end + 1]
        edits.append((op.start, eq.end + 1, f"= {target} {op.text}"))


# -- Teradata data attributes ---------------------------------------------------------------------


def _may_have_attributes(sql: str) -> bool:
    lowered = sql.lower()
    return "title" in lowered or "named" in lowered


def _teradata_attributes(sql: str, tokens: list[Token], edits: list[tuple[int, int, str]]) -> None:
    """``DOB (TITLE 'Birthdate')``, ``x (NAMED y)``, ``d (TITLE 't', FORMAT 'YYYY')``: a list of
    data attributes after an expression. A string after TITLE is never a function argument, so
    the list is recognised by its content; lists holding anything else are left alone."""
    for i, token in enumerate(tokens):
        if token.token_type is not TokenType.L_PAREN or i == 0:
            continue
        close = _closing_paren(tokens, i)
        if close is None:
            continue
        items: list[list[Token]] = [[]]
        for inner in tokens[i + 1 : close]:
            if inner.token_type is TokenType.COMMA:
                items.append([])
            else:
                items[-1].append(inner)
        kinds = {item[0].text.upper() for item in items if item}
        if "TITLE" not in kinds and "NAMED" not in kinds:
            continue
        names: list[str] = []
        formats: list[str] = []
        for item in items:
            word = item[0].text.upper() if item else ""
            if len(item) != 2 or word not in ("TITLE", "NAMED", "FORMAT"):
                break
            value = item[1]
            if word in ("TITLE", "FORMAT") and value.token_type is not TokenType.STRING:
                break
            if word == "NAMED" and value.token_type not in _NAME_TOKENS:
                break
            text = sql[value.start : value.end + 1]
            if word == "NAMED":
                names.append(text)
            elif word == "FORMAT":
                formats.append(text)
        else:
            replacement = f"(FORMAT {formats[0]})" if formats else ""
            if names:
                replacement += f" AS {names[-1]}"
            edits.append(
                (token.start, tokens[close].end + 1, replacement or _blank(sql, token.start, tokens[close].end + 1))
            )


# -- backtick-quoted names ------------------------------------------------------------------------


def _backtick_names(sql: str, tokens: list[Token], dialect: Dialect, edits: list[tuple[int, int, str]]) -> None:
    """`` `name` `` where the dialect's tokenizer does not know backticks (Athena's DML, which
    Athena itself accepts): the dialect's own quoted identifier."""
    i = 0
    while i < len(tokens):
        if not (tokens[i].token_type is TokenType.UNKNOWN and tokens[i].text == "`"):
            i += 1
            continue
        close = next(
            (
                k
                for k in range(i + 1, len(tokens))
                if tokens[k].token_type is TokenType.UNKNOWN and tokens[k].text == "`"
            ),
            None,
        )
        if close is None or tokens[close].line != tokens[i].line:
            return
        name = sql[tokens[i].end + 1 : tokens[close].start]
        edits.append((tokens[i].start, tokens[close].end + 1, _quoted(name, dialect)))
        i = close + 1


# -- script variables -----------------------------------------------------------------------------


def _set_statements(sql: str, tokens: list[Token], known: dict[str, str]) -> None:
    """``SET hivevar:x = value;`` (and ``hiveconf:`` / bare ``SET x = value``) defines ``x``."""
    for i, token in enumerate(tokens):
        if token.token_type is not TokenType.SET or (i > 0 and tokens[i - 1].token_type is not TokenType.SEMICOLON):
            continue
        j = i + 1
        if j + 1 < len(tokens) and tokens[j + 1].token_type is TokenType.COLON:
            j += 2  # the namespace
        eq = j + 1
        while eq < len(tokens) and eq < j + 12 and tokens[eq].token_type in (TokenType.DOT, *_NAME_TOKENS):
            eq += 1  # a dotted name: ``SET hex.db = …``
        if j >= len(tokens) or eq >= len(tokens) or tokens[eq].token_type is not TokenType.EQ:
            continue
        name = sql[tokens[j].start : tokens[eq - 1].end + 1]
        k = eq + 1
        last = k
        while last + 1 < len(tokens) and tokens[last + 1].token_type is not TokenType.SEMICOLON:
            last += 1
        if k < len(tokens):
            value = sql[tokens[k].start : tokens[last].end + 1]
            if k == last and tokens[k].token_type is TokenType.STRING:
                value = tokens[k].text
            known.setdefault(name, value)


def _find_variables(sql: str, tokens: list[Token]) -> list[_Variable]:
    found: list[_Variable] = []
    i = 0
    while i < len(tokens):
        t = tokens[i]
        # ${name} / ${ns:name}
        close = _closing_brace(tokens, i)
        if close is not None:
            found.append(
                _Variable(i, close, _variable_name(sql, tokens, i, close), sql[t.start : tokens[close].end + 1])
            )
            i = close + 1
            continue
        # $name: a shell variable the script's runner substitutes (``hive -e "… from $APP.t"``).
        if t.text == "$" and i + 1 < len(tokens) and _glued(t, tokens[i + 1]) and _shell_name(tokens[i + 1].text):
            found.append(_Variable(i, i + 1, tokens[i + 1].text, "$" + tokens[i + 1].text))
            i += 2
            continue
        if t.token_type is TokenType.VAR and t.text.startswith("$") and _shell_name(t.text[1:]):
            found.append(_Variable(i, i, t.text[1:], t.text))
            i += 1
            continue
        # psql :name / :'name' / :"name" — a colon right before the name, after a non-value token.
        if (
            t.token_type is TokenType.COLON
            and i + 1 < len(tokens)
            and tokens[i + 1].start == t.end + 1
            and (tokens[i + 1].token_type in (*_NAME_TOKENS, TokenType.STRING) or tokens[i + 1].text.isidentifier())
            and (i == 0 or not _ends_value(tokens[i - 1]) or tokens[i - 1].end + 1 < t.start)
            and not (i > 0 and tokens[i - 1].token_type is TokenType.COLON)
        ):
            found.append(_Variable(i, i + 1, tokens[i + 1].text, sql[t.start : tokens[i + 1].end + 1]))
            i += 2
            continue
        # __x__: what rendering an unknown {{ x }} leaves.
        if t.token_type is TokenType.VAR and is_placeholder(t.text):
            found.append(_Variable(i, i, t.text[2:-2], "{{ " + t.text[2:-2] + " }}"))
        i += 1
    return found


def _shell_name(text: str) -> bool:
    """A shell variable's name: a letter or ``_`` then letters, digits, ``_`` (``$1`` is a parameter)."""
    return text.isidentifier() and text.isascii()


def _closing_brace(tokens: list[Token], i: int) -> int | None:
    """The ``}`` of a ``${name}`` / ``${ns:name}`` that starts at token ``i``."""
    if not (
        tokens[i].token_type in (TokenType.PARAMETER, TokenType.VAR)
        and tokens[i].text == "$"
        and i + 2 < len(tokens)
        and tokens[i + 1].token_type is TokenType.L_BRACE
    ):
        return None
    for k in range(i + 2, min(i + 16, len(tokens))):
        if tokens[k].token_type is TokenType.R_BRACE:
            return k if k > i + 2 else None
        if tokens[k].token_type in (TokenType.L_BRACE, TokenType.L_PAREN, TokenType.STRING):
            return None  # an expression (Dataform ``${ref("t")}``), not a variable name
    return None


def _variable_name(sql: str, tokens: list[Token], first: int, close: int) -> str:
    """The name inside ``${…}``: after a ``hivevar:`` / ``hiveconf:`` namespace, dots kept (``hex.db``)."""
    inner = tokens[first + 2 : close]
    colon = next((k for k, t in enumerate(inner) if t.token_type is TokenType.COLON), None)
    if colon is not None:
        inner = inner[colon + 1 :]
    if not inner:
        return ""
    return sql[inner[0].start : inner[-1].end + 1]


def _ends_value(token: Token) -> bool:
    """Whether ``token`` can end a value, so that a colon after it is an operator (``a:b``)."""
    return token.token_type in (
        *_NAME_TOKENS, TokenType.R_PAREN, TokenType.R_BRACKET, TokenType.STRING, TokenType.NUMBER,
    )  # fmt: skip


def _variables(
    sql: str,
    tokens: list[Token],
    dialect: Dialect,
    path: str,
    known: Mapping[str, str],
    edits: list[tuple[int, int, str]],
) -> None:
    found = _find_variables(sql, tokens)
    if not found:
        return
    by_first = {v.first: v for v in found}
    i = 0
    while i < len(tokens):
        if i not in by_first:
            i += 1
            continue
        # A name part may glue a variable to text around it: ``stage_${env}``, ``${db}_raw``.
        first, last = i, by_first[i].last
        while (
            first > 0
            and tokens[first - 1].token_type in _NAME_TOKENS
            and tokens[first - 1].end + 1 == tokens[first].start
        ):
            first -= 1
        while last + 1 < len(tokens) and tokens[last + 1].start == tokens[last].end + 1:
            nxt = tokens[last + 1]
            if nxt.token_type in _NAME_TOKENS:
                last += 1
            elif last + 1 in by_first:
                last = by_first[last + 1].last
            else:
                break
        parts: list[str] = []
        unknown: list[str] = []
        k = first
        while k <= last:
            variable = by_first.get(k)
            if variable is not None:
                value = known.get(variable.name)
                if value is None:
                    unknown.append(variable.written)
                    parts.append(variable.written)
                else:
                    parts.append(value)
                k = variable.last + 1
            else:
                parts.append(tokens[k].text)
                k += 1
        start, end = tokens[first].start, tokens[last].end + 1
        if not unknown:
            edits.append((start, end, "".join(parts)))
        elif _is_name(tokens, first, last):
            placeholder = f"{''.join(parts)}@{path}"
            edits.append((start, end, _quoted(placeholder, dialect)))
        elif first == last and by_first.get(first) is not None and by_first[first].written.startswith("{{"):
            pass  # an Airflow placeholder in a value position is already a harmless identifier
        elif type(dialect).__name__.lower() not in _NATIVE_PARAMETERS or first != i or last != by_first[i].last:
            edits.append((start, end, "'" + "".join(parts).replace("'", "''") + "'"))
        i = last + 1


#: Tokens after which a string names a path: ``LOCATION '…'``, ``INPATH '…'``, ``OPTIONS (path '…')``.
_PATH_CONTEXT = frozenset({"LOCATION", "INPATH", "DIRECTORY", "PATH", "FROM", "INTO", "TABLE", "JOIN"})


def _quoted_variables(
    sql: str,
    tokens: list[Token],
    dialect: Dialect,
    path: str,
    known: Mapping[str, str],
    edits: list[tuple[int, int, str]],
) -> None:
    """``${x}`` inside a string or a quoted name. Hive substitutes variables in the text before it
    parses, so a known one takes its value anywhere; an unknown one is kept, and scoped to the
    file (``${x@jobs/a.hql}``) where the text names a path or a table."""
    for k, token in enumerate(tokens):
        if token.token_type not in (TokenType.STRING, TokenType.IDENTIFIER) or "$" not in token.text:
            continue
        names_data = token.token_type is TokenType.IDENTIFIER or _names_path(tokens, k)
        # In a quoted name only ``${x}``: a bare ``$`` is part of names like BigQuery's ``t$20240101``.
        text, changed = _substitute(
            token.text, known, path if names_data else None, token.token_type is TokenType.STRING
        )
        if not changed:
            continue
        raw = sql[token.start : token.end + 1]
        if token.token_type is TokenType.IDENTIFIER:
            replacement = _quoted(text, dialect) if raw[:1] == dialect.IDENTIFIER_START else raw
        else:
            quote = raw[:1] if raw[:1] in ("'", '"') else "'"
            replacement = quote + text.replace(quote, quote * 2) + quote
        if replacement != raw:
            edits.append((token.start, token.end + 1, replacement))


def _names_path(tokens: list[Token], k: int) -> bool:
    """Whether the string at ``k`` is where a path or table name belongs: after LOCATION, INPATH,
    FROM …, a ``path`` option, or as a path-like first argument of a call (``cloud_files('…')``)."""
    j = k - 1
    if j >= 0 and tokens[j].token_type is TokenType.EQ:
        j -= 1
    if j < 0:
        return False
    if tokens[j].text.upper() in _PATH_CONTEXT:
        return True
    return (
        tokens[j].token_type is TokenType.L_PAREN
        and j > 0
        and tokens[j - 1].token_type in _NAME_TOKENS
        and "/" in tokens[k].text
    )


def _substitute(text: str, known: Mapping[str, str], scope: str | None, bare: bool = True) -> tuple[str, bool]:
    """``text`` with its ``${name}`` / ``${ns:name}`` (and, with ``bare``, ``$name``) references
    replaced: known ones by their value, unknown ones (when ``scope`` is given) by ``${…@scope}``;
    and whether anything changed."""
    out: list[str] = []
    position = 0
    changed = False
    while True:
        start = text.find("$", position)
        if start < 0:
            break
        if text.startswith("${", start):
            end = text.find("}", start + 2)
            if end < 0:
                break
            inner = text[start + 2 : end]
            name = inner.split(":", 1)[1] if ":" in inner else inner
            written_end = end + 1
        elif not bare:
            out.append(text[position : start + 1])
            position = start + 1
            continue
        else:
            # $name: the longest identifier after the ``$`` (``$do_date``; not ``$1`` or ``$.path``).
            end = start + 1
            while end < len(text) and (text[end].isalnum() or text[end] == "_") and text[end].isascii():
                end += 1
            inner = name = text[start + 1 : end]
            written_end = end
            if not _shell_name(name):
                out.append(text[position : start + 1])
                position = start + 1
                continue
        out.append(text[position:start])
        value = known.get(name)
        if value is not None:
            out.append(value)
            changed = True
        elif scope is not None and name and "@" not in inner:
            out.append("${" + inner + "@" + scope + "}")
            changed = True
        else:
            out.append(text[start:written_end])
        position = written_end
    out.append(text[position:])
    return "".join(out), changed


def _glued(before: Token, after: Token) -> bool:
    """Whether two tokens touch, with no whitespace between them."""
    return before.end + 1 == after.start


def _is_name(tokens: list[Token], first: int, last: int) -> bool:
    """Whether tokens ``first``..``last`` stand where a table (or schema) name belongs."""
    if last + 1 < len(tokens) and tokens[last + 1].token_type is TokenType.DOT:
        return True
    if first > 0 and tokens[first - 1].token_type is TokenType.DOT:
        return True
    k = first - 1
    if k >= 0 and tokens[k].token_type is TokenType.OVERWRITE:
        return True
    return k >= 0 and tokens[k].token_type in _NAME_CONTEXT


def _quoted(name: str, dialect: Dialect) -> str:
    quote_start = dialect.IDENTIFIER_START
    quote_end = dialect.IDENTIFIER_END
    return f"{quote_start}{name.replace(quote_end, quote_end * 2)}{quote_end}"


def dbapi_parameters(sql: str, dialect: Dialect) -> str:
    """DB-API ``format`` / ``pyformat`` parameters (``%s``, ``%(name)s``) as ``?`` placeholders.

    psycopg2, PyMySQL, the Snowflake and Redshift connectors write parameters this way whatever
    the SQL dialect, and most dialects cannot parse them; ``?`` parses everywhere."""
    try:
        tokens = dialect.tokenize(sql)
    except TokenError:
        return sql
    edits: list[tuple[int, int]] = []
    for i, token in enumerate(tokens):
        if token.token_type is not TokenType.MOD or i + 1 >= len(tokens) or not _glued(token, tokens[i + 1]):
            continue
        after = tokens[i + 1]
        if after.text == "s":
            edits.append((token.start, after.end + 1))
        elif (
            after.token_type is TokenType.L_PAREN
            and i + 4 < len(tokens)
            and tokens[i + 3].token_type is TokenType.R_PAREN
            and tokens[i + 4].text == "s"
            and _glued(tokens[i + 3], tokens[i + 4])
        ):
            edits.append((token.start, tokens[i + 4].end + 1))
    if not edits:
        return sql
    out: list[str] = []
    position = 0
    for start, end in edits:
        out.append(sql[position:start])
        out.append("?")
        position = end
    out.append(sql[position:])
    return "".join(out)


__all__ = ["dbapi_parameters", "preprocess"]
