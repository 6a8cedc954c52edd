"""Connection dialects, DB-API parameters and paths outside the scan root."""

from __future__ import annotations

from extractor.python.connections import dialect_of_module, dialect_of_url
from extractor.python.notebooks import SQL_MAGIC, rewrite_ipython_with_connection
from extractor.python.project import Project
from extractor.scan import SourceFile
from extractor.sql.naming import get_dialect
from extractor.sql.preprocess import dbapi_parameters


def test_dialect_of_a_connection_from_its_library_or_url() -> None:
    assert dialect_of_module("airflow.providers.postgres.hooks.postgres.PostgresHook") == "postgres"
    assert dialect_of_module("airflow.providers.amazon.aws.hooks.redshift_sql.RedshiftSQLHook") == "redshift"
    assert dialect_of_module("snowflake.connector.connect") == "snowflake"
    assert dialect_of_module("requests.get") is None
    assert dialect_of_url("postgresql+psycopg2://u@h/db") == "postgres"
    assert dialect_of_url("mssql+pyodbc://dsn") == "tsql"
    assert dialect_of_url("not a url") is None


def test_dbapi_parameters_become_placeholders_outside_string_literals() -> None:
    sql = "SELECT a FROM t WHERE d = %s AND e = %(day)s AND f LIKE 'x%s'"
    assert dbapi_parameters(sql, get_dialect(None)) == "SELECT a FROM t WHERE d = ? AND e = ? AND f LIKE 'x%s'"


def test_sql_magic_carries_the_connection_url_to_later_cells() -> None:
    code, url = rewrite_ipython_with_connection("%sql postgresql://u@h/db", None)
    assert url == "postgresql://u@h/db"
    code, url = rewrite_ipython_with_connection("%%sql\nSELECT 1", url)
    assert code == f"{SQL_MAGIC}('SELECT 1', 'postgresql://u@h/db')\n"


def test_files_outside_the_scan_root_do_not_loop_the_directory_walk() -> None:
    project = Project([SourceFile("../../elsewhere/job.py", "x = 1\n"), SourceFile("/abs/job.py", "")])
    assert "../.." in project.directories and "/abs" in project.directories
    info = project.modules["/abs/job.py"]
    assert project.bases(info) == ["/abs", "/"]
