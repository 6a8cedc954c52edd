"""Which SQL dialect a database connection speaks: from the library that made it, or its URL.

``psycopg2.connect``, ``PostgresHook`` and ``postgresql+psycopg2://…`` all speak Postgres; the SQL
strings run through such a connection (and ``%%sql`` cells connected to such a URL) are parsed
in that dialect instead of the default one.
"""

from __future__ import annotations

#: Module prefixes of connection libraries and Airflow provider hooks.
MODULE_DIALECTS = {
    "google.cloud.bigquery": "bigquery", "snowflake": "snowflake", "duckdb": "duckdb", "psycopg": "postgres",
    "pymysql": "mysql", "mysql": "mysql", "MySQLdb": "mysql", "sqlite3": "sqlite",
    "redshift_connector": "redshift", "pyodbc": "tsql", "pymssql": "tsql", "trino": "trino",
    "databricks": "databricks", "clickhouse": "clickhouse", "oracledb": "oracle", "cx_Oracle": "oracle",
    "pg8000": "postgres", "asyncpg": "postgres",
    "airflow.providers.postgres": "postgres", "airflow.providers.snowflake": "snowflake",
    "airflow.providers.google.cloud": "bigquery", "airflow.providers.mysql": "mysql",
    "airflow.providers.microsoft.mssql": "tsql", "airflow.providers.amazon.aws.hooks.redshift": "redshift",
    "airflow.providers.databricks": "databricks", "airflow.providers.trino": "trino",
    "airflow.providers.sqlite": "sqlite", "airflow.providers.oracle": "oracle", "airflow.providers.apache.hive": "hive",
}  # fmt: skip

#: SQLAlchemy URL back-ends (the part before ``+driver://``).
URL_DIALECTS = {
    "postgresql": "postgres", "postgres": "postgres", "psycopg2": "postgres", "mysql": "mysql", "mariadb": "mysql",
    "snowflake": "snowflake", "bigquery": "bigquery", "mssql": "tsql", "redshift": "redshift", "sqlite": "sqlite",
    "duckdb": "duckdb", "trino": "trino", "presto": "presto", "databricks": "databricks", "oracle": "oracle",
    "clickhouse": "clickhouse", "hive": "hive", "athena": "athena", "awsathena": "athena",
}  # fmt: skip


def dialect_of_module(qname: str) -> str | None:
    """The dialect of a connection made by ``qname`` (``psycopg2.connect``, ``…PostgresHook``)."""
    best: tuple[int, str] | None = None
    for prefix, dialect in MODULE_DIALECTS.items():
        if qname.startswith(prefix) and (best is None or len(prefix) > best[0]):
            best = (len(prefix), dialect)
    return best[1] if best else None


def dialect_of_url(url: str) -> str | None:
    """The dialect of a SQLAlchemy-style URL: ``postgresql+psycopg2://u@h/db`` -> ``postgres``."""
    scheme, sep, _ = url.strip().partition("://")
    if not sep:
        return None
    return URL_DIALECTS.get(scheme.split("+", 1)[0].lower())
