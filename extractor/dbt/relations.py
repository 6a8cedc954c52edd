"""Relations (``database.schema.identifier``) and dbt's naming rules for them.

A model lands in ``generate_database_name . generate_schema_name . generate_alias_name``; the
defaults below are dbt's own (target schema + ``_`` + custom schema, alias or model name). A
project that overrides one of those macros gets its override rendered instead (see models.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from ..sql.naming import get_dialect, table_name

_SIMPLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

#: sqlglot dialect name -> dbt adapter type (``target.type``).
ADAPTER_OF_DIALECT = {
    "snowflake": "snowflake", "bigquery": "bigquery", "redshift": "redshift", "postgres": "postgres",
    "databricks": "databricks", "spark": "spark", "spark2": "spark", "hive": "spark", "duckdb": "duckdb",
    "trino": "trino", "presto": "trino", "athena": "athena", "tsql": "sqlserver", "mysql": "mysql",
    "clickhouse": "clickhouse", "oracle": "oracle", "teradata": "teradata", "materialize": "materialize",
    "fabric": "fabric", "doris": "doris", "starrocks": "starrocks", "exasol": "exasol", "dremio": "dremio",
}  # fmt: skip

#: dbt adapter type -> sqlglot dialect name.
DIALECT_OF_ADAPTER = {
    **{adapter: dialect for dialect, adapter in ADAPTER_OF_DIALECT.items() if dialect not in ("spark2", "hive")},
    "trino": "trino", "sqlserver": "tsql", "synapse": "tsql", "fabric": "tsql", "materialize": "postgres",
    "glue": "spark", "firebolt": "postgres", "timescale": "postgres", "vertica": "postgres", "impala": "hive",
}  # fmt: skip

#: adapter -> the adapter whose macros it inherits, for ``adapter.dispatch``.
PARENT_ADAPTER = {
    "redshift": "postgres", "materialize": "postgres", "timescale": "postgres", "databricks": "spark",
    "synapse": "fabric", "fabric": "sqlserver", "glue": "spark", "athena": "trino",
}  # fmt: skip


def adapter_chain(adapter: str) -> list[str]:
    """``["redshift", "postgres"]``: the adapter and those it inherits from, nearest first."""
    chain = [adapter]
    while chain[-1] in PARENT_ADAPTER and len(chain) < 5:
        chain.append(PARENT_ADAPTER[chain[-1]])
    return chain


def quote_char(dialect: Dialect) -> tuple[str, str]:
    name = type(dialect).__name__.lower()
    if name in ("bigquery", "mysql", "spark", "spark2", "databricks", "hive", "doris", "starrocks", "clickhouse"):
        return "`", "`"
    return '"', '"'


@lru_cache(maxsize=64)
def _keywords(dialect_name: str) -> frozenset[str]:
    dialect = get_dialect(dialect_name or None)
    words = (k.split()[0] for k in dialect.tokenizer_class.KEYWORDS if k and k.split()[0].isalpha())
    return frozenset(words)


def render_identifier(name: str, dialect_name: str | None, force: bool = False) -> str:
    """``name`` as SQL: bare when that is safe, quoted otherwise (special characters, keywords)."""
    if not force and _SIMPLE.match(name) and name.upper() not in _keywords(dialect_name or ""):
        return name
    left, right = quote_char(get_dialect(dialect_name))
    return f"{left}{name.replace(right, right + right)}{right}"


class Relation:
    """A dbt relation as Jinja sees it: ``{{ ref('x') }}`` renders ``schema.x``, ``.schema`` works."""

    def __init__(
        self,
        database: str | None,
        schema: str | None,
        identifier: str | None,
        dialect: str | None = None,
        type: str | None = None,
    ) -> None:
        self.database = database or None
        self.schema = schema or None
        self.identifier = identifier or None
        self.dialect = dialect
        self.type = type
        self._include = (True, True, True)

    # -- dbt's Relation API, the parts templates use -------------------------------------------

    @property
    def name(self) -> str | None:
        return self.identifier

    @property
    def table(self) -> str | None:
        return self.identifier

    @property
    def path(self) -> dict[str, str | None]:
        return {"database": self.database, "schema": self.schema, "identifier": self.identifier}

    @property
    def is_table(self) -> bool:
        return self.type in (None, "table")

    @property
    def is_view(self) -> bool:
        return self.type == "view"

    @property
    def is_cte(self) -> bool:
        return self.type == "cte"

    def parts(self) -> list[str]:
        values = (self.database, self.schema, self.identifier)
        return [v for v, keep in zip(values, self._include, strict=True) if keep and v]

    def render(self) -> str:
        return ".".join(render_identifier(p, self.dialect) for p in self.parts())

    def include(
        self, database: bool | None = None, schema: bool | None = None, identifier: bool | None = None
    ) -> Relation:
        new = self._copy()
        db, sc, ident = self._include
        new._include = (
            db if database is None else bool(database),
            sc if schema is None else bool(schema),
            ident if identifier is None else bool(identifier),
        )
        return new

    def incorporate(self, path: dict[str, Any] | None = None, type: str | None = None, **_: Any) -> Relation:
        new = self._copy()
        for key, value in (path or {}).items():
            if key in ("database", "schema", "identifier"):
                setattr(new, key, value or None)
        if type is not None:
            new.type = type
        return new

    def replace_path(self, **parts: Any) -> Relation:
        return self.incorporate(path=parts)

    def quote(self, *_: Any, **__: Any) -> Relation:
        return self

    def without_identifier(self) -> Relation:
        return self.include(identifier=False)

    def get(self, key: str, default: Any = None) -> Any:
        if key == "metadata":
            # As dbt's BaseRelation answers it: dbt_utils' ``_is_relation`` checks
            # ``obj is mapping and obj.get('metadata', {}).get('type', '').endswith('Relation')``.
            return {"type": "BaseRelation"}
        return getattr(self, key, default) if key in ("database", "schema", "identifier", "name", "type") else default

    def __getitem__(self, key: str) -> Any:
        if key not in ("database", "schema", "identifier", "name", "type", "metadata"):
            raise KeyError(key)
        return self.get(key)

    def __iter__(self) -> Any:
        raise TypeError("a relation is a mapping only for lookups, as in dbt")

    def __len__(self) -> int:
        raise TypeError("a relation is a mapping only for lookups, as in dbt")

    def __bool__(self) -> bool:
        return True

    def _copy(self) -> Relation:
        new = Relation(self.database, self.schema, self.identifier, self.dialect, self.type)
        new._include = self._include
        return new

    # -- Python protocol -----------------------------------------------------------------------

    def __str__(self) -> str:
        return self.render()

    def __html__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"<Relation {self.render()}>"

    def key(self) -> tuple[str, str, str]:
        return ((self.database or "").lower(), (self.schema or "").lower(), (self.identifier or "").lower())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Relation):
            return self.key() == other.key()
        if isinstance(other, str):
            return self.render().lower() == other.lower()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.key())


@lru_cache(maxsize=65536)
def normalized_name(rendered: str, dialect_name: str | None) -> str:
    """The engine's normalized dataset name for a rendered relation (``"DB".sch.T`` -> ``DB.sch.t``)."""
    dialect = get_dialect(dialect_name)
    try:
        return table_name(exp.to_table(rendered, dialect=dialect), dialect)
    except Exception:
        return rendered.lower()


def dataset_name(relation: Relation) -> str:
    return normalized_name(relation.include(True, True, True).render(), relation.dialect)


def default_schema_name(custom: str | None, target_schema: str) -> str:
    """dbt's ``default__generate_schema_name``."""
    if custom is None or str(custom).strip() == "":
        return target_schema
    return f"{target_schema}_{str(custom).strip()}"


def default_alias_name(custom: str | None, name: str, version: str | int | None = None) -> str:
    """dbt's ``default__generate_alias_name``."""
    if custom is not None and str(custom).strip():
        return str(custom).strip()
    if version is not None:
        return f"{name}_v{str(version).replace('.', '_')}"
    return name


def default_database_name(custom: str | None, target_database: str | None) -> str | None:
    """dbt's ``default__generate_database_name``."""
    if custom is not None and str(custom).strip():
        return str(custom).strip()
    return target_database


# dbt's relations are ``Mapping``s (``relation is mapping`` is true in Jinja); so are these.
Mapping.register(Relation)
