"""The dialect of a ``.sql`` script that no configuration names, from what its statements use.

Hive, Spark and Databricks scripts are usually plain ``.sql`` files, and sqlglot's default dialect
misreads them: ``"text"`` is a string there, not a name; ``400_cnt`` is a name; ``INSERT OVERWRITE
TABLE … PARTITION``, ``LATERAL VIEW`` and ``USING delta`` need the dialect's parser. A script is
read as one of them when its tokens show constructs that only that family has:

- **Databricks**: the ``-- Databricks notebook source`` header of an exported notebook, ``USING
  DELTA``, ``OPTIMIZE … ZORDER``, ``VACUUM``, ``CREATE OR REFRESH`` (Delta Live Tables),
  ``DESCRIBE HISTORY``;
- **Spark**: ``CREATE … USING <format>``, ``CREATE TEMPORARY VIEW``, ``CACHE TABLE``, ``SET spark.…``;
- **Hive**: ``INSERT OVERWRITE``, ``PARTITIONED BY``, ``STORED AS``, ``ROW FORMAT``, ``LATERAL VIEW``,
  ``DISTRIBUTE BY`` / ``SORT BY``, ``TBLPROPERTIES``, ``${hivevar:x}`` / ``${hiveconf:x}``,
  ``SET hive.…`` / ``mapreduce.…`` / ``tez.…``, ``ADD JAR``, ``LOAD DATA … INPATH``, ``MSCK``, and
  calls of functions only Hive and Spark have (``get_json_object``, ``collect_set``, ``explode`` …).

The most specific family wins (Databricks reads Spark, Spark reads Hive). A script with none of
them keeps the default dialect. Only the script's own text decides, so a file's result never
depends on other files.
"""

from __future__ import annotations

from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import TokenError
from sqlglot.tokens import Token, TokenType

NOTEBOOK_HEADER = "-- Databricks notebook source"

#: ``SET <namespace>.…`` settings and the family whose engine reads them.
_SETTINGS = {"hive": "hive", "mapred": "hive", "mapreduce": "hive", "tez": "hive", "spark": "spark"}
_VARIABLE_NAMESPACES = frozenset({"hivevar", "hiveconf", "system", "env"})
#: Two-keyword phrases (upper-cased token texts) and the family they belong to.
_PHRASES = {
    ("INSERT", "OVERWRITE"): "hive", ("PARTITIONED", "BY"): "hive", ("STORED", "AS"): "hive",
    ("ROW", "FORMAT"): "hive", ("LATERAL", "VIEW"): "hive", ("DISTRIBUTE", "BY"): "hive",
    ("SORT", "BY"): "hive", ("CLUSTERED", "BY"): "hive", ("ADD", "JAR"): "hive", ("ADD", "FILE"): "hive",
    ("MSCK", "REPAIR"): "hive", ("TEMPORARY", "FUNCTION"): "hive",
    ("TEMPORARY", "VIEW"): "spark", ("TEMP", "VIEW"): "spark", ("CACHE", "TABLE"): "spark",
    ("USING", "DELTA"): "databricks", ("OR", "REFRESH"): "databricks", ("DESCRIBE", "HISTORY"): "databricks",
}  # fmt: skip
_WORDS = {"TBLPROPERTIES": "hive", "SERDEPROPERTIES": "hive", "INPATH": "hive", "ZORDER": "databricks"}
#: Functions only Hive and Spark have (called: followed by ``(``).
_FUNCTIONS = frozenset({
    "GET_JSON_OBJECT", "COLLECT_SET", "COLLECT_LIST", "NAMED_STRUCT", "STR_TO_MAP", "EXPLODE", "POSEXPLODE",
    "JSON_TUPLE", "PARSE_URL",
})  # fmt: skip
#: Statement-leading commands sqlglot's tokenizer reads as one command token.
_COMMANDS = {"OPTIMIZE": "databricks", "VACUUM": "databricks", "MSCK": "hive"}
_RANK = {"hive": 1, "spark": 2, "databricks": 3}
#: Lower-case text every marker above contains: a script with none of it is not tokenized.
_CLUES = (
    "overwrite", "partitioned", "stored", "format", "lateral", "distribute", "sort", "clustered", "add ",
    "msck", "temp", "cache", "delta", "refresh", "history", "properties", "inpath", "zorder", "optimize",
    "vacuum", "set ", "using", "${", "get_json_object", "collect_", "named_struct", "str_to_map", "explode",
    "json_tuple", "parse_url",
)  # fmt: skip
#: Formats after ``CREATE … USING`` that make a Spark data source table.
_SPARK_FORMATS = frozenset({"PARQUET", "CSV", "JSON", "ORC", "AVRO", "TEXT", "JDBC", "HIVE", "ICEBERG", "HUDI"})


def detect_dialect(sql: str) -> str | None:
    """``"databricks"``, ``"spark"`` or ``"hive"`` when the script uses that family's constructs, else None.

    >>> detect_dialect("INSERT OVERWRITE TABLE t PARTITION (dt) SELECT * FROM s")
    'hive'
    """
    best: str | None = "databricks" if sql.lstrip().startswith(NOTEBOOK_HEADER) else None
    if best is not None:
        return best
    lowered = sql.lower()
    if not any(word in lowered for word in _CLUES):
        return None  # most scripts of other dialects: no tokenizing twice
    tokens = _tokens(sql)
    statement_start = True
    in_create = False
    for i, token in enumerate(tokens):
        upper = token.text.upper()
        found: str | None = None
        if token.token_type is TokenType.SEMICOLON:
            statement_start, in_create = True, False
            continue
        if statement_start:
            in_create = upper == "CREATE"
            found = _COMMANDS.get(upper)
            if upper == "SET" and i + 2 < len(tokens):
                namespace = tokens[i + 1].text.lower()
                if _dotted(tokens, i + 1):
                    found = _SETTINGS.get(namespace)
                elif namespace in _VARIABLE_NAMESPACES and tokens[i + 2].token_type is TokenType.COLON:
                    found = "hive"
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if found is None and nxt is not None:
            found = _PHRASES.get((upper, nxt.text.upper()))
            if upper == "USING" and in_create and nxt.text.upper() in _SPARK_FORMATS:
                found = "spark"
            if upper == "LOAD" and nxt.text.upper() == "DATA":
                found = "hive" if any(t.text.upper() == "INPATH" for t in tokens[i + 2 : i + 5]) else None
            if _namespaced_variable(tokens, i):
                found = "hive"
        if found is None:
            found = _WORDS.get(upper)
        if found is None and upper in _FUNCTIONS and nxt is not None and nxt.token_type is TokenType.L_PAREN:
            found = "hive"
        if found is not None and (best is None or _RANK[found] > _RANK[best]):
            best = found
            if best == "databricks":
                return best
        statement_start = False
    return best


def _namespaced_variable(tokens: list[Token], i: int) -> bool:
    """``${hivevar:x}`` / ``${hiveconf:x}`` starting at token ``i``."""
    return (
        tokens[i].text == "$"
        and i + 3 < len(tokens)
        and tokens[i + 1].token_type is TokenType.L_BRACE
        and tokens[i + 2].text.lower() in _VARIABLE_NAMESPACES
        and tokens[i + 3].token_type is TokenType.COLON
    )


def _dotted(tokens: list[Token], i: int) -> bool:
    return i + 1 < len(tokens) and tokens[i + 1].token_type is TokenType.DOT


def _tokens(sql: str) -> list[Token]:
    """The script's tokens as Hive reads them (it knows backticks and ``${…}``), else as the
    default dialect does; none when neither can read it."""
    for name in ("hive", None):
        try:
            return Dialect.get_or_raise(name).tokenize(sql)
        except TokenError:
            continue
    return []


__all__ = ["NOTEBOOK_HEADER", "detect_dialect"]
