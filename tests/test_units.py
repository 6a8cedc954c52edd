"""The analysis-unit pipeline: one global order across frontends, the per-unit cache, worker
processes, per-unit budgets and the path-convention frontend."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from extractor import json_format
from extractor.cache import AnalysisCache
from extractor.config import Config, load_config
from extractor.frontends import sql_files
from extractor.scan import scan

ROOT = Path(__file__).resolve().parent.parent
SHOP = ROOT / "fixtures" / "example_shop"
CONVENTION = ROOT / "fixtures" / "conventions" / "bigquery_etl"


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def scan_dir(root: Path, **kwargs: object) -> str:
    graph = scan([root], load_config(root) if (root / "pyproject.toml").exists() else Config(root=root.resolve()),
                 **kwargs)  # type: ignore[arg-type]  # fmt: skip
    return json_format.dumps(graph)


def test_python_writer_runs_before_the_sql_reader(tmp_path: Path) -> None:
    # Path order would analyse the SQL first ("a_copy.sql" < "b_load.py"): the global order does not.
    root = write(tmp_path, {
        "a_copy.sql": "CREATE TABLE marts.orders_copy AS SELECT * FROM raw.orders;",
        "b_load.py": "import pandas as pd\nimport sqlalchemy\n"
                     "engine = sqlalchemy.create_engine('postgresql://db')\n"
                     "df = pd.read_csv('orders.csv', usecols=['id', 'amount'])\n"
                     "df.to_sql('orders', engine, schema='raw')\n",
    })  # fmt: skip
    graph = scan([root], Config(root=root.resolve()))
    assert graph.datasets["marts.orders_copy"].columns == ["id", "amount"]
    edges = {(e.edge.source.column, e.edge.target.column) for e in graph.column_edges
             if e.edge.target.table == "marts.orders_copy"}  # fmt: skip
    assert edges == {("id", "id"), ("amount", "amount")}
    assert "DT112" not in {d.code for d in graph.diagnostics}


def test_an_edited_module_is_planned_with_its_last_upstream(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A Python module is planned by interpreting it; planned with the columns its tables had
    last time, that interpretation is its result, and it is not interpreted a second time."""
    from extractor.frontends import python_modules

    job = ("from pyspark.sql import SparkSession\nspark = SparkSession.builder.getOrCreate()\n"
           "spark.table('raw.orders').select('*').write.saveAsTable('marts.orders_{n}')\n")  # fmt: skip
    root = write(tmp_path, {"raw.sql": "CREATE TABLE raw.orders (id INT, amount INT);", "job.py": job.format(n=1)})
    cache = AnalysisCache(tmp_path / "cache.sqlite")
    first = scan([root], Config(root=root.resolve()), cache=cache, jobs=1)
    assert first.datasets["marts.orders_1"].columns == ["id", "amount"]

    def refuse(self: object, unit: object, upstream: object) -> object:
        raise AssertionError("interpreted again")

    monkeypatch.setattr(python_modules.PythonModules, "analyse", refuse)
    write(root, {"job.py": job.format(n=2)})
    graph = scan([root], Config(root=root.resolve()), cache=cache, jobs=1)
    assert not graph.diagnostics
    assert graph.datasets["marts.orders_2"].columns == ["id", "amount"]
    # Edited with another upstream: planned with the old one, so analysed again with the new one.
    write(root, {"job.py": job.format(n=3), "raw.sql": "CREATE TABLE raw.orders (id INT, amount INT, note TEXT);"})
    changed = scan([root], Config(root=root.resolve()), cache=cache, jobs=1)
    assert [(d.path, d.code) for d in changed.diagnostics] == [("job.py", "DT900")]


@pytest.mark.parametrize("root", [SHOP, CONVENTION], ids=["example_shop", "path_convention"])
def test_same_json_serial_parallel_cached_and_not(root: Path, tmp_path: Path) -> None:
    cold_serial = scan_dir(root, jobs=1)
    cache = AnalysisCache(tmp_path / "cache.sqlite")
    cold_parallel = scan_dir(root, jobs=2, cache=cache)
    warm = scan_dir(root, jobs=2, cache=cache)
    assert cache.hits > 0
    cache.close()
    assert cold_serial == cold_parallel == warm


def test_a_warm_scan_reanalyses_only_what_changed(tmp_path: Path) -> None:
    files = {f"sql/t{i}.sql": f"CREATE TABLE s.t{i} AS SELECT a, b FROM s.t{i - 1};" for i in range(1, 6)}
    root = write(tmp_path, {"sql/t0.sql": "CREATE TABLE s.t0 (a INT, b INT);", **files})
    cache = AnalysisCache(tmp_path / "cache.sqlite")
    scan([root], Config(root=root.resolve()), cache=cache, jobs=1)
    write(root, {"sql/t5.sql": "CREATE TABLE s.t5 AS SELECT a FROM s.t4;"})
    cache.misses = 0
    graph = scan([root], Config(root=root.resolve()), cache=cache, jobs=1)
    # the changed file: its plan, the upstream it was analysed with before, its result; the scan as a whole
    assert cache.misses == 4
    assert graph.datasets["s.t5"].columns == ["a"]


def test_cycles_are_reported_and_analysed_once(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "a.sql": "INSERT INTO s.a SELECT x FROM s.b;",
        "b.sql": "INSERT INTO s.b SELECT x FROM s.a;",
    })  # fmt: skip
    graph = scan([root], Config(root=root.resolve()))
    cycles = [d for d in graph.diagnostics if d.code == "DT004"]
    assert [(d.path, "a.sql, b.sql" in d.message) for d in cycles] == [("a.sql", True)]
    assert {(e.source, e.target) for e in graph.edges} == {("s.b", "s.a"), ("s.a", "s.b")}


def test_a_unit_that_crashes_its_worker_costs_only_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write(tmp_path, {"bad.sql": "CREATE TABLE s.bad AS SELECT 1 AS x;",
                            "good.sql": "CREATE TABLE s.good AS SELECT 1 AS y;"})  # fmt: skip
    original = sql_files.SqlFiles.analyse

    def crash(self: sql_files.SqlFiles, unit: object, upstream: object) -> object:
        if getattr(unit, "path", "") == "bad.sql":
            os.kill(os.getpid(), signal.SIGKILL)  # as a native parser overflowing its stack would die
        return original(self, unit, upstream)  # type: ignore[arg-type]

    monkeypatch.setattr(sql_files.SqlFiles, "analyse", crash)
    graph = scan([root], Config(root=root.resolve()), jobs=2)
    crashed = [d for d in graph.diagnostics if d.path == "bad.sql"]
    assert [d.code for d in crashed] == ["DT900"] and "crashed" in crashed[0].message
    assert graph.datasets["s.good"].columns == ["y"]


def test_a_unit_over_its_time_budget_costs_only_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = write(tmp_path, {
        "pyproject.toml": "[tool.datatrail.analysis]\nunit_timeout = 1\n",
        "slow.sql": "CREATE TABLE s.slow AS SELECT 1 AS x;",
        "fast.sql": "CREATE TABLE s.fast AS SELECT 1 AS y;",
    })  # fmt: skip
    original = sql_files.SqlFiles.analyse

    def slow(self: sql_files.SqlFiles, unit: object, upstream: object) -> object:
        if getattr(unit, "path", "") == "slow.sql":
            time.sleep(30)
        return original(self, unit, upstream)  # type: ignore[arg-type]

    monkeypatch.setattr(sql_files.SqlFiles, "analyse", slow)
    started = time.monotonic()
    graph = scan([root], load_config(root), jobs=1)
    assert time.monotonic() - started < 20
    assert [d.code for d in graph.diagnostics if d.path == "slow.sql"] == ["DT005"]
    assert graph.datasets["s.fast"].columns == ["y"]


@pytest.mark.parametrize("failure", ["crash", "overrun"])
def test_tasks_sent_ahead_to_a_lost_worker_run_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    """A worker holds its next tasks while it runs one; when it dies or is stopped, those tasks
    are analysed by its replacement, and only the failing unit becomes a diagnostic."""
    files = {f"{name}.sql": f"CREATE TABLE s.{name} AS SELECT 1 AS {name}_col;" for name in "abcdef"}
    root = write(tmp_path, {**files, "pyproject.toml": "[tool.datatrail.analysis]\nunit_timeout = 1\n"})
    original = sql_files.SqlFiles.analyse

    def fail_on_a(self: sql_files.SqlFiles, unit: object, upstream: object) -> object:
        if getattr(unit, "path", "") == "a.sql":
            if failure == "crash":
                os.kill(os.getpid(), signal.SIGKILL)
            time.sleep(30)
        return original(self, unit, upstream)  # type: ignore[arg-type]

    monkeypatch.setattr(sql_files.SqlFiles, "analyse", fail_on_a)
    graph = scan([root], load_config(root), jobs=1)
    assert [d.code for d in graph.diagnostics] == ["DT900" if failure == "crash" else "DT005"]
    assert graph.diagnostics[0].path == "a.sql"
    assert {name: graph.datasets[f"s.{name}"].columns for name in "bcdef"} == {
        name: [f"{name}_col"] for name in "bcdef"
    }


@pytest.mark.parametrize("content", [b"not a database at all" * 100, b""], ids=["garbage", "empty"])
def test_a_corrupt_cache_is_rebuilt(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "cache" / "analysis.sqlite"
    path.parent.mkdir()
    path.write_bytes(content)
    expected = scan_dir(SHOP, jobs=1)
    cache = AnalysisCache(path)
    assert scan_dir(SHOP, jobs=1, cache=cache) == expected
    cache.close()
    cache = AnalysisCache(path)
    assert scan_dir(SHOP, jobs=1, cache=cache) == expected and cache.hits > 0
    cache.close()


def test_a_foreign_sqlite_file_is_not_trusted(tmp_path: Path) -> None:
    path = tmp_path / "analysis.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE entries (key TEXT PRIMARY KEY, value BLOB)")
    db.execute("INSERT INTO entries VALUES ('x', x'00')")
    db.commit()
    db.close()
    cache = AnalysisCache(path)
    assert cache.get("x") is None
    assert scan_dir(SHOP, jobs=1, cache=cache) == scan_dir(SHOP, jobs=1)
    cache.close()
    assert (tmp_path / ".gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"


@pytest.mark.parametrize("entry", [{"s": {}}, {"s": {"x": 1}}, ["not", "a", "result"]], ids=["partial", "bad", "list"])
def test_foreign_unit_results_are_analysed_again(tmp_path: Path, entry: object) -> None:
    """Cached results are decoded while workers run, after the order used what they leave in the
    catalog: an entry with readable schemas but nothing else is analysed again, never trusted."""
    import json
    import zlib

    path = tmp_path / "analysis.sqlite"
    cache = AnalysisCache(path)
    expected = scan_dir(SHOP, jobs=1, cache=cache)
    cache.close()
    db = sqlite3.connect(path)
    value = zlib.compress(json.dumps(entry).encode())
    db.execute("UPDATE entries SET value = ? WHERE key LIKE 'unit:%'", (value,))
    db.execute("DELETE FROM entries WHERE key LIKE 'scan:%'")
    db.commit()
    db.close()
    assert scan_dir(SHOP, jobs=2, cache=AnalysisCache(path)) == expected


def test_two_processes_share_one_cache(tmp_path: Path) -> None:
    env = {**os.environ, "DATATRAIL_CACHE_DIR": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "extractor.cli", "scan", str(SHOP), "--format", "json"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for _ in range(3)]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], outputs[0][1]
    assert len({out for out, _ in outputs}) == 1
    again = subprocess.run(command, capture_output=True, env=env, timeout=120, check=True)
    assert again.stdout == outputs[0][0]


def test_path_convention_names_the_target_from_the_folders() -> None:
    graph = scan([CONVENTION], load_config(CONVENTION))
    expected_targets = {
        "moz-fx-data.telemetry_derived.clients_daily_v1",
        "moz-fx-data.telemetry.clients_daily",
        "moz-fx-data.telemetry_derived.active_users_v1",
    }
    assert expected_targets <= set(graph.datasets)
    assert graph.datasets["moz-fx-data.telemetry_derived.clients_daily_v1"].columns == [
        "submission_date", "client_id", "sessions"
    ]  # fmt: skip
    flows = {(e.source, e.target) for e in graph.edges}
    assert ("moz-fx-data.telemetry_stable.main_v5", "moz-fx-data.telemetry_derived.clients_daily_v1") in flows
    assert ("moz-fx-data.telemetry_derived.clients_daily_v1", "moz-fx-data.telemetry.clients_daily") in flows
    assert ("moz-fx-data.telemetry.clients_daily", "moz-fx-data.telemetry_derived.active_users_v1") in flows
    # the view's star expands to the table's columns: the view file ran after the query it reads
    assert graph.datasets["moz-fx-data.telemetry.clients_daily"].columns == [
        "submission_date", "client_id", "sessions"
    ]  # fmt: skip
    job = "sql/moz-fx-data/telemetry_derived/clients_daily_v1/query.sql:moz-fx-data.telemetry_derived.clients_daily_v1"
    assert graph.jobs[job].attributes["statement"] == "create_table_as"
    assert not [d for d in graph.diagnostics if d.severity.value == "error"]


def test_path_convention_is_configurable(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "pyproject.toml": '[tool.datatrail.path_convention]\npatterns = ["models/{schema}/{table}.sql"]\n',
        "models/mart/revenue.sql": "SELECT customer_id, SUM(amount) AS revenue FROM shop.orders GROUP BY 1",
    })  # fmt: skip
    graph = scan([root], load_config(root))
    assert graph.datasets["mart.revenue"].columns == ["customer_id", "revenue"]


def test_two_dbt_projects_never_share_a_cache_entry(tmp_path: Path) -> None:
    # Both projects' source declarations once had equal digests: the second reused the first's result.
    files: dict[str, str] = {}
    for name, table, columns in (("alpha", "orders", "[id, amount]"), ("beta", "users", "[id, email]")):
        files[f"{name}/dbt_project.yml"] = f"name: {name}\nprofile: {name}\n"
        files[f"{name}/models/sources.yml"] = (
            f"version: 2\nsources:\n  - name: raw\n    tables:\n      - name: {table}\n        columns:\n"
            + "".join(f"          - name: {c}\n" for c in columns.strip("[]").split(", "))
        )
        files[f"{name}/models/{name}_copy.sql"] = f"select * from {{{{ source('raw', '{table}') }}}}\n"
    root = write(tmp_path / "repo", files)
    cache = AnalysisCache(tmp_path / "cache.sqlite")
    cold = scan_dir(root, jobs=1, cache=cache)
    assert cold == scan_dir(root, jobs=1)
    # A change in one project: the others' units replay from the cache, each from its own entries.
    write(root, {"beta/models/beta_copy.sql": "select id, email from {{ source('raw', 'users') }}\n"})
    warm = scan_dir(root, jobs=1, cache=cache)
    cache.close()
    uncached = scan_dir(root, jobs=1)
    assert warm == uncached
    graph = json_format.loads(uncached)
    assert graph.datasets["analytics.alpha_copy"].columns == ["id", "amount"]
    assert graph.datasets["analytics.beta_copy"].columns == ["id", "email"]


def test_the_order_without_cycles_is_networkx_lexicographic_order() -> None:
    import random

    import networkx as nx

    from extractor.pipeline import _acyclic_order

    rng = random.Random(7)
    for _ in range(200):
        count = rng.randint(1, 30)
        rank = rng.sample(range(count), count)  # a hidden order the edges follow: no cycle
        pairs = [(rng.randrange(count), rng.randrange(count)) for _ in range(rng.randint(0, 60))]
        edges = [(reader, writer) for reader, writer in pairs if rank[writer] < rank[reader]]
        g = nx.DiGraph()
        g.add_nodes_from(range(count))
        g.add_edges_from((writer, reader) for reader, writer in edges)
        assert _acyclic_order(count, edges) == list(nx.lexicographical_topological_sort(g))
    assert _acyclic_order(2, [(0, 1), (1, 0)]) is None
    assert _acyclic_order(1, [(0, 0)]) == [0]  # a unit that reads what it writes is no cycle
