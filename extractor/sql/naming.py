"""Normalized names for tables and columns, per dialect.

Unquoted identifiers fold the way the dialect folds them; names are then shown in lower case
when the dialect folds to upper case (Snowflake, Oracle), so ``ORDERS`` and ``orders`` agree.
"""

from __future__ import annotations

from functools import lru_cache

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect, NormalizationStrategy

from .dialect_names import sqlglot_name


@lru_cache(maxsize=64)
def get_dialect(name: str | None) -> Dialect:
    """The sqlglot dialect for a user-facing name; ``None`` and ``ansi`` mean sqlglot's default."""
    return Dialect.get_or_raise(sqlglot_name(name) or None)


def fold(name: str, quoted: bool, dialect: Dialect) -> str:
    """Fold one identifier the way the dialect resolves it."""
    strategy = dialect.normalization_strategy
    if strategy is NormalizationStrategy.CASE_SENSITIVE:
        return name
    if quoted and strategy is not NormalizationStrategy.CASE_INSENSITIVE:
        # A quoted upper-case name in an upper-folding dialect equals the unquoted one.
        if strategy is NormalizationStrategy.UPPERCASE and name == name.upper():
            return name.lower()
        return name
    return name.lower()


def identifier(node: exp.Expr | str | None, dialect: Dialect) -> str:
    if node is None:
        return ""
    if isinstance(node, str):
        return fold(node, False, dialect)
    if isinstance(node, exp.Identifier):
        name = fold(node.this, bool(node.args.get("quoted")), dialect)
        # T-SQL ``#temp`` / ``##global_temp`` tables keep their marker: they are not ``temp``.
        if node.args.get("global_"):
            return "##" + name
        return "#" + name if node.args.get("temporary") else name
    return fold(node.name, False, dialect)


def table_name(
    table: exp.Table,
    dialect: Dialect,
    default_db: str | None = None,
    default_catalog: str | None = None,
) -> str:
    """The normalized qualified name of a table reference, e.g. ``analytics.orders``."""
    parts = [identifier(p, dialect) for p in table.parts]
    parts = [p for p in parts if p]
    if len(parts) == 1 and default_db:
        parts.insert(0, default_db)
    if len(parts) == 2 and default_catalog and default_db:
        parts.insert(0, default_catalog)
    return ".".join(parts)


def parse_qualified(name: str, dialect: Dialect) -> str:
    """Normalize a dotted name written by a user, e.g. in a schema file or config."""
    try:
        table = exp.to_table(name, dialect=dialect)
    except Exception:
        return name.lower()
    return table_name(table, dialect)


_PATH_PREFIXES = ("/", "./", "../", "~/")
_FILE_SUFFIXES = (".csv", ".parquet", ".json", ".jsonl", ".ndjson", ".orc", ".avro", ".tsv", ".txt", ".xlsx", ".gz")


def looks_like_path(text: str) -> bool:
    """True for URIs (``s3://…``), absolute or relative paths and data-file names."""
    lowered = text.lower()
    if text.startswith("${") and "}/" in text:
        return True  # a directory under a script variable: ``${root}/orders``
    return "://" in text or text.startswith(_PATH_PREFIXES) or lowered.endswith(_FILE_SUFFIXES)


#: Spark/Databricks ``format.`path``` direct file queries.
FILE_FORMATS = frozenset({"parquet", "csv", "json", "orc", "avro", "delta", "text", "binaryfile", "iceberg", "hudi"})


def path_of_table(table: exp.Table) -> str | None:
    """The file path a table reference reads, e.g. ``FROM 's3://b/x.parquet'`` or ``read_csv('x.csv')``."""
    this = table.this
    if isinstance(this, exp.Literal) and this.is_string:
        return str(this.name)
    if isinstance(this, exp.Var) and this.name.startswith("@"):
        # Snowflake stage: the stage name is an identifier, the path after it is not.
        stage, sep, rest = this.name.partition("/")
        return stage.lower() + sep + rest
    if isinstance(this, exp.Var) and looks_like_path(this.name):
        return str(this.name)
    if (
        isinstance(this, exp.Identifier)
        and this.args.get("quoted")
        and (looks_like_path(this.this) or (table.db.lower() in FILE_FORMATS and not table.catalog))
    ):
        return str(this.this)
    if isinstance(this, exp.Func):
        for literal in this.find_all(exp.Literal):
            if literal.is_string and looks_like_path(literal.name):
                return str(literal.name)
    return None


def in_hint(table: exp.Table) -> bool:
    """Whether a table reference is an argument of an optimizer hint (``/*+ BROADCAST(t) */``):
    it names an alias of the query, not a dataset it reads."""
    return table.find_ancestor(exp.Hint) is not None


#: Dialects where a select item may refer to an alias defined earlier in the same SELECT.
LATERAL_ALIAS_DIALECTS = frozenset({"snowflake", "databricks", "spark", "redshift", "duckdb", "teradata", "clickhouse"})


def literal_path(node: exp.Expr) -> str | None:
    """The file path a COPY/UNLOAD names (a string, a path-like table or variable), else None."""
    if isinstance(node, exp.Literal) and node.is_string:
        return str(node.name)
    if isinstance(node, exp.Table):
        return path_of_table(node)
    if isinstance(node, exp.Var) and looks_like_path(node.name):
        return str(node.name)
    return None


#: Dialects whose engine names an unaliased ``CAST(col AS type)`` / ``col::type`` after the column
#: (PostgreSQL's FigureColname and the engines derived from it). Elsewhere the column is named by
#: the expression's text (Spark, Snowflake, DuckDB, MySQL) or positionally (BigQuery ``f0_``, Hive
#: ``_c0``), which datatrail writes as the expression.
CAST_NAMED_BY_ARGUMENT = frozenset({"postgres", "redshift", "materialize", "risingwave"})


def names_cast_by_argument(dialect: Dialect, operator: bool = False) -> bool:
    """Whether an unaliased cast of a column is named after the column. With no dialect given,
    the way it is written is the only hint: ``col::type`` is PostgreSQL's operator, named as
    PostgreSQL names it; ``CAST(col AS type)`` is named by its text like any expression."""
    name = type(dialect).__name__.lower()
    return name in CAST_NAMED_BY_ARGUMENT or (operator and name == "dialect")


def supports_lateral_alias(dialect: Dialect) -> bool:
    return type(dialect).__name__.lower() in LATERAL_ALIAS_DIALECTS
