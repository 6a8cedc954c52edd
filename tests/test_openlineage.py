"""OpenLineage export: events built with the client's classes, checked against the spec's shape,
written deterministically and sent to a local HTTP server exactly as written to a file."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from extractor.cli import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, cli, main
from extractor.config import Config, load_config
from extractor.graph import Dataset, LineageGraph
from extractor.model import ColumnEdge, ColumnRef, DatasetKind, Subtype
from extractor.openlineage.events import build_events, export_context, to_ndjson
from extractor.openlineage.masking import is_masking
from extractor.openlineage.namespaces import UNRESOLVED_NAMESPACE, DatasetId, Namespaces
from extractor.openlineage.settings import KEYS, Settings, load_settings
from extractor.openlineage.source import browse_url
from extractor.scan import scan

from .conftest import EXAMPLE, REPO
from .gitrepo import GitRepo

SCHEMA = json.loads((REPO / "fixtures" / "openlineage" / "minimal-schema.json").read_text())
COMMIT_DATE = "2024-03-05T06:07:08Z"


def export(root: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    assert main(["export", str(root), *args]) == EXIT_OK
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def validate(events: list[dict[str, Any]]) -> list[str]:
    validator = Draft202012Validator(SCHEMA)
    return [f"{e['job']['name']}: {err.message}" for e in events for err in validator.iter_errors(e)]


def by_job(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["job"]["name"]: e for e in events}


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    """The example shop committed at a fixed time, with fast-failing HTTP settings."""
    monkeypatch.setenv("GIT_COMMITTER_DATE", COMMIT_DATE)
    monkeypatch.setenv("GIT_AUTHOR_DATE", COMMIT_DATE)
    repo = GitRepo(tmp_path / "shop")
    repo.copy_tree(EXAMPLE)
    pyproject = repo.read("pyproject.toml")
    repo.write(
        "pyproject.toml",
        pyproject + '\n[tool.datatrail.openlineage]\nnamespace = "shop"\nretries = 0\ntimeout = 5\n'
        'repo_url = "https://git.example.com/acme/shop"\ntables = "postgres://warehouse:5432"\n'
        'files = "s3://exports"\n',
    )
    repo.commit("base")
    return repo


# -- the events -------------------------------------------------------------------------------


def test_example_shop_has_one_valid_job_event_per_job(capsys: pytest.CaptureFixture[str]) -> None:
    events = export(EXAMPLE, capsys=capsys)
    config = load_config(EXAMPLE)
    graph = scan([config.root / p for p in config.paths], config)
    assert sorted(e["job"]["name"] for e in events) == sorted(graph.jobs)
    assert validate(events) == []
    for event in events:
        assert "run" not in event and event["schemaURL"].endswith("#/$defs/JobEvent")
        assert event["job"]["facets"]["jobType"]["integration"] == "DATATRAIL"
        assert event["job"]["facets"]["jobType"]["processingType"] == "BATCH"


def test_dbt_events_are_valid_and_carry_models_and_tags(capsys: pytest.CaptureFixture[str]) -> None:
    events = export(REPO / "fixtures" / "dbt" / "layers", capsys=capsys)
    assert validate(events) == []
    dim = next(e for e in events if e["job"]["name"].endswith("dim_customers"))
    assert dim["job"]["facets"]["jobType"]["jobType"] == "MODEL"
    assert "{{" in dim["job"]["facets"]["sql"]["query"]  # the model as written
    assert dim["job"]["facets"]["tags"]["tags"] == [{"key": "daily", "source": "DBT CORE", "value": "true"}]
    [output] = dim["outputs"]
    assert {"key": "daily", "source": "DBT CORE", "value": "true"} in output["facets"]["tags"]["tags"]


def test_sql_job_facets_datasets_and_column_lineage(shop: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    events = by_job(export(shop.root, capsys=capsys))
    event = events["sql/marts/fct_orders.sql:marts.fct_orders"]
    job = event["job"]
    assert job["namespace"] == "shop"
    assert job["facets"]["jobType"]["jobType"] == "QUERY"
    assert job["facets"]["sql"]["query"].startswith("CREATE TABLE marts.fct_orders AS")
    assert job["facets"]["sql"]["dialect"] == "postgres"
    sha = shop.git("rev-parse", "HEAD").strip()
    assert job["facets"]["sourceCodeLocation"] == {
        "_producer": event["producer"],
        "_schemaURL": "https://openlineage.io/spec/facets/1-1-0/SourceCodeLocationJobFacet.json"
        "#/$defs/SourceCodeLocationJobFacet",
        "type": "git",
        "url": f"https://git.example.com/acme/shop/blob/{sha}/sql/marts/fct_orders.sql",
        "repoUrl": "https://git.example.com/acme/shop",
        "path": "sql/marts/fct_orders.sql",
        "version": sha,
    }
    assert [(d["namespace"], d["name"]) for d in event["inputs"]] == [
        ("postgres://warehouse:5432", "staging.stg_order_items"),
        ("postgres://warehouse:5432", "staging.stg_orders"),
    ]
    [output] = event["outputs"]
    assert (output["namespace"], output["name"]) == ("postgres://warehouse:5432", "marts.fct_orders")
    assert [f["name"] for f in output["facets"]["schema"]["fields"]] == [
        "order_id", "customer_id", "order_date", "order_revenue", "category_count", "used_coupon",
    ]  # fmt: skip
    lineage = output["facets"]["columnLineage"]
    revenue = {(f["name"], f["field"]): f["transformations"] for f in lineage["fields"]["order_revenue"]["inputFields"]}
    assert revenue[("staging.stg_orders", "shipping_fee")] == [
        {"type": "DIRECT", "subtype": "TRANSFORMATION", "masking": False,
         "description": "(SUM(staging.stg_order_items.line_amount)) + staging.stg_orders.shipping_fee"}
    ]  # fmt: skip
    wide = {(f["name"], f["field"]): {t["subtype"] for t in f["transformations"]} for f in lineage["dataset"]}
    assert wide[("staging.stg_orders", "status")] == {"FILTER"}
    assert wide[("staging.stg_order_items", "order_id")] == {"GROUP_BY", "JOIN"}


def test_source_paths_are_relative_to_the_repository_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepo(tmp_path / "mono")
    shutil.copytree(EXAMPLE, repo.root / "teams" / "shop")
    repo.git("remote", "add", "origin", "git@github.com:acme/mono.git")
    sha = repo.commit("shop")
    events = by_job(export(repo.root / "teams" / "shop", capsys=capsys))
    job = events["sql/marts/fct_orders.sql:marts.fct_orders"]["job"]
    assert job["namespace"] == "mono"  # the repository's name, from its hosted remote
    location = job["facets"]["sourceCodeLocation"]
    assert location["path"] == "teams/shop/sql/marts/fct_orders.sql"
    assert location["url"] == f"https://github.com/acme/mono/blob/{sha}/teams/shop/sql/marts/fct_orders.sql"


def test_files_models_and_ddl_targets(shop: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    events = by_job(export(shop.root, capsys=capsys))
    export_job = events["sql/exports/export_training.sql:/data/exports/training_input.csv"]
    assert [(d["namespace"], d["name"]) for d in export_job["outputs"]] == [
        ("s3://exports", "data/exports/training_input.csv")
    ]
    train = events["pipelines/train_churn.py:models/churn_model.joblib"]
    assert train["job"]["facets"]["jobType"]["jobType"] == "PYTHON"
    assert "sql" not in train["job"]["facets"]
    assert [(d["namespace"], d["name"]) for d in train["outputs"]] == [("model", "models/churn_model.joblib")]
    assert train["inputs"][0]["namespace"] == "s3://exports"
    # A CREATE TABLE with columns has no flow, yet the job defines its table and schema.
    ddl = events["sql/raw/raw_tables.sql:raw.customers"]
    assert ddl["inputs"] == []
    [table] = ddl["outputs"]
    assert table["name"] == "raw.customers" and "columnLineage" not in table["facets"]
    assert "email" in [f["name"] for f in table["facets"]["schema"]["fields"]]
    assert ddl["job"]["facets"]["sql"]["query"].startswith("CREATE TABLE raw.customers")


def test_masking_functions_mark_transformations_as_masking(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "mask.sql").write_text(
        "CREATE TABLE raw.users (id INT, email TEXT, name TEXT);\n"
        "CREATE TABLE safe.users AS SELECT id, MD5(email) AS email_hash, CONCAT(MD5(name), name) AS name_mix,\n"
        "  SHA2(email, 256) AS email_sha FROM raw.users;\n"
    )
    events = by_job(export(tmp_path, "--dialect", "spark", capsys=capsys))
    fields = events["mask.sql:safe.users"]["outputs"][0]["facets"]["columnLineage"]["fields"]

    def masking(column: str) -> list[bool]:
        return [t["masking"] for f in fields[column]["inputFields"] for t in f["transformations"]]

    assert fields["email_hash"]["transformationType"] == "MASKED"
    assert fields["email_hash"]["transformationDescription"] == "MD5(raw.users.email)"
    assert fields["id"]["transformationType"] == "IDENTITY"
    assert "transformationType" not in fields["name_mix"]
    assert masking("email_hash") == [True]
    assert masking("email_sha") == [True]
    assert masking("name_mix") == [False]  # the raw name is still there
    assert masking("id") == [False]


@pytest.mark.parametrize(
    ("expression", "column", "dialect", "masked"),
    [
        ("MD5(raw.customers.email)", "email", None, True),
        ("UPPER(SHA2(t.email, 256))", "email", "spark", True),
        ("sha256(t.email)", "email", "duckdb", True),
        ("HASHBYTES('SHA2_256', t.email)", "email", "tsql", True),
        ("mask_first_n(t.phone, 4)", "phone", "hive", True),
        ("CONCAT(MD5(t.email), t.email)", "email", None, False),
        ("MD5(t.name) || t.email", "email", None, False),
        ("LOWER(t.email)", "email", None, False),
        ("/data/x.csv.email / 2", "email", None, False),  # not SQL: never claimed
        ("MD5(t.email)", None, None, False),
    ],
)
def test_is_masking(expression: str, column: str | None, dialect: str | None, masked: bool) -> None:
    assert is_masking(expression, column, dialect) is masked


def _graph_with_tags(attributes: dict[str, object]) -> LineageGraph:
    graph = LineageGraph()
    graph.datasets["raw.users"] = Dataset("raw.users", DatasetKind.TABLE, ["id", "email"])
    graph.datasets["mart.users"] = Dataset("mart.users", DatasetKind.TABLE, ["id", "email"], attributes=attributes)
    from extractor.graph import Job

    graph.add_job(Job("m.sql:mart.users", "sql", "m.sql", 1))
    graph.add_flow("raw.users", "mart.users", "m.sql:mart.users")
    for column in ("id", "email"):
        text = f"raw.users.{column}"
        edge = ColumnEdge(ColumnRef("raw.users", column), ColumnRef("mart.users", column), Subtype.IDENTITY, text, "f")
        graph.add_column_edge(edge, "m.sql:mart.users")
    return graph


def _events_of(graph: LineageGraph, tmp_path: Path, settings: Settings | None = None) -> list[dict[str, Any]]:
    context = export_context(Config(root=tmp_path), settings or Settings(), "ns")
    return [json.loads(line) for line in to_ndjson(build_events(graph, context)).splitlines()]


def test_dbt_tags_and_governance_column_tags_become_tags_facets(tmp_path: Path) -> None:
    graph = _graph_with_tags({"tags": ["nightly"], "column_tags": {"email": ["pii", "contact"], "id": []}})
    [event] = _events_of(graph, tmp_path)
    assert validate([event]) == []
    assert event["outputs"][0]["facets"]["tags"]["tags"] == [
        {"key": "nightly", "source": "DBT CORE", "value": "true"},
        {"field": "email", "key": "contact", "source": "DATATRAIL", "value": "true"},
        {"field": "email", "key": "pii", "source": "DATATRAIL", "value": "true"},
    ]


@pytest.mark.parametrize("column_tags", [["pii"], {"email": "pii"}, {"email": [1, None]}, {3: ["pii"]}, "pii"])
def test_malformed_column_tags_are_ignored_not_guessed(tmp_path: Path, column_tags: object) -> None:
    graph = _graph_with_tags({"column_tags": column_tags})
    [event] = _events_of(graph, tmp_path)
    tags = event["outputs"][0]["facets"].get("tags", {}).get("tags", [])
    # A bare string per column is accepted as one tag name; anything else is dropped.
    assert tags in ([], [{"field": "email", "key": "pii", "source": "DATATRAIL", "value": "true"}])
    assert all(t.get("field") != 3 for t in tags)


# -- namespaces and settings ------------------------------------------------------------------


def test_namespaces_per_kind_uri_and_overrides() -> None:
    settings = Settings(
        tables="postgres://db:5432",
        files="s3://bucket",
        datasets={"analytics.*": "snowflake://acct", "raw.x": "bigquery"},
    )
    ns = Namespaces(settings, "postgres")

    def of(name: str, kind: DatasetKind = DatasetKind.TABLE) -> DatasetId:
        return ns.of(name, Dataset(name, kind))

    assert of("staging.orders") == DatasetId("postgres://db:5432", "staging.orders")
    assert of("analytics.orders") == DatasetId("snowflake://acct", "analytics.orders")
    assert of("raw.x") == DatasetId("bigquery", "raw.x")
    assert of("/data/out.csv", DatasetKind.FILE) == DatasetId("s3://bucket", "data/out.csv")
    assert of("s3://lake/events/2024/", DatasetKind.FILE) == DatasetId("s3://lake", "events/2024/")
    assert of("file:///tmp/x.parquet", DatasetKind.FILE) == DatasetId("file", "/tmp/x.parquet")
    assert of("models/churn.pkl", DatasetKind.MODEL) == DatasetId("model", "models/churn.pkl")
    assert of("unknown:mart.users", DatasetKind.UNKNOWN) == DatasetId(UNRESOLVED_NAMESPACE, "mart.users")
    upper = Namespaces(Settings(tables="snowflake://acct", name_case="upper"), "snowflake")
    assert upper.of("analytics.orders", None) == DatasetId("snowflake://acct", "ANALYTICS.ORDERS")
    assert upper.of("analytics.orders", None).column("order_id") == "ORDER_ID"
    assert upper.of("models/churn.pkl", Dataset("models/churn.pkl", DatasetKind.MODEL)).name == "models/churn.pkl"
    assert upper.of("/data/x.csv", Dataset("/data/x.csv", DatasetKind.FILE)).column("id") == "id"
    assert Namespaces(Settings(), None).of("a.b", None) == DatasetId("sql", "a.b")
    assert Namespaces(Settings(), "BigQuery").of("p.d.t", None) == DatasetId("bigquery", "p.d.t")
    assert Namespaces(Settings(), None).of("/tmp/x.csv", Dataset("/tmp/x.csv", DatasetKind.FILE)).namespace == "file"


def test_name_case_applies_to_tables_columns_lineage_and_tags(tmp_path: Path) -> None:
    graph = _graph_with_tags({"column_tags": {"email": ["pii"]}})
    [event] = _events_of(graph, tmp_path, Settings(name_case="upper"))
    assert validate([event]) == []
    [source], [target] = event["inputs"], event["outputs"]
    assert (source["name"], target["name"]) == ("RAW.USERS", "MART.USERS")
    assert [f["name"] for f in target["facets"]["schema"]["fields"]] == ["ID", "EMAIL"]
    fields = target["facets"]["columnLineage"]["fields"]
    assert [(f["name"], f["field"]) for f in fields["EMAIL"]["inputFields"]] == [("RAW.USERS", "EMAIL")]
    assert target["facets"]["tags"]["tags"][0]["field"] == "EMAIL"


def test_settings_reject_unknown_keys_and_wrong_types() -> None:
    from extractor.errors import ConfigError

    assert load_settings({"namespace": "n", "timeout": 2, "retries": 0, "datasets": {"a.*": "x"}}).timeout == 2.0
    for bad in ({"namepsace": "n"}, {"name_case": "title"}, {"timeout": 0}, {"retries": -1}, {"retries": True},
                {"datasets": {"a": 1}}, {"tables": ""}):  # fmt: skip
        with pytest.raises(ConfigError):
            load_settings(bad)


def test_unknown_openlineage_key_is_a_config_error(example_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pyproject = example_copy / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + '\n[tool.datatrail.openlineage]\nnamespaces = "x"\n')
    assert main(["export", str(example_copy)]) == EXIT_USAGE
    assert "unknown key 'namespaces'" in capsys.readouterr().err


def test_browse_url_of_remotes() -> None:
    assert browse_url("git@github.com:acme/shop.git") == "https://github.com/acme/shop"
    assert browse_url("ssh://git@gitlab.example.com:2222/acme/shop.git") == "https://gitlab.example.com/acme/shop"
    assert browse_url("https://github.com/acme/shop.git") == "https://github.com/acme/shop"
    assert browse_url("/srv/git/shop.git") is None
    assert browse_url(None) is None


# -- determinism and run events ---------------------------------------------------------------


def test_output_is_byte_identical_across_runs_and_hash_seeds(shop: GitRepo, tmp_path: Path) -> None:
    first, second = tmp_path / "a.ndjson", tmp_path / "b.ndjson"
    assert main(["export", str(shop.root), "-o", str(first)]) == EXIT_OK
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    cmd = [sys.executable, "-m", "extractor.cli", "export", str(shop.root), "-o", str(second), "--no-cache"]
    subprocess.run(cmd, env=env, check=True, capture_output=True, cwd=REPO)
    assert first.read_bytes() == second.read_bytes()
    for line in first.read_text().splitlines():
        assert line == json.dumps(json.loads(line), sort_keys=True)  # sorted keys on every level
        assert json.loads(line)["eventTime"] == "2024-03-05T06:07:08.000Z"  # the commit time


def test_run_events_have_deterministic_per_commit_run_ids(shop: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    events = export(shop.root, "--run-events", capsys=capsys)
    assert validate(events) == []
    assert {e["eventType"] for e in events} == {"COMPLETE"}
    ids = [uuid.UUID(e["run"]["runId"]) for e in events]
    assert len(set(ids)) == len(ids)
    assert {i.version for i in ids} == {7}
    assert export(shop.root, "--run-events", capsys=capsys) == events
    shop.write("NOTES.md", "a new commit\n")
    shop.commit("notes")
    again = export(shop.root, "--run-events", capsys=capsys)
    assert [e["run"]["runId"] for e in again] != [e["run"]["runId"] for e in events]
    assert [e["job"] for e in again] != [e["job"] for e in events]  # the facet names the new commit


# -- sending ----------------------------------------------------------------------------------


class _Lineage:
    """A local lineage server: records POSTed events; fails with ``fail_status`` from event ``fail_from``."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.paths: list[str] = []
        self.auth: list[str | None] = []
        self.fail_status = 0
        self.fail_from = 0
        self.fail_times = -1  # how many requests fail before the server recovers; -1: never recovers

    def handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if server.fail_status and len(server.bodies) >= server.fail_from and server.fail_times != 0:
                    server.fail_times -= 1
                    self.send_response(server.fail_status)
                    self.end_headers()
                    return
                server.bodies.append(body)
                server.paths.append(self.path)
                server.auth.append(self.headers.get("Authorization"))
                self.send_response(201)
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


@pytest.fixture
def lineage_server() -> Iterator[tuple[_Lineage, str]]:
    state = _Lineage()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), state.handler())
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_events_sent_to_a_server_equal_the_file_output(
    shop: GitRepo, lineage_server: tuple[_Lineage, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    state, url = lineage_server
    monkeypatch.setenv("LINEAGE_KEY", "s3cret")
    out = tmp_path / "events.ndjson"
    code = main(["export", str(shop.root), "-o", str(out), "--url", url, "--api-key-env", "LINEAGE_KEY"])
    assert code == EXIT_OK
    lines = out.read_text().splitlines()
    assert [b.decode() for b in state.bodies] == lines
    assert set(state.paths) == {"/api/v1/lineage"}
    assert set(state.auth) == {"Bearer s3cret"}
    assert f"sent {len(lines)} openlineage events to {url}" in capsys.readouterr().out


def test_a_passing_server_error_is_retried_by_the_transport(
    shop: GitRepo, lineage_server: tuple[_Lineage, str], tmp_path: Path
) -> None:
    state, url = lineage_server
    state.fail_status, state.fail_from, state.fail_times = 503, 1, 1  # the second event fails once
    pyproject = shop.root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("retries = 0", "retries = 2"))
    out = tmp_path / "events.ndjson"
    assert main(["export", str(shop.root), "-o", str(out), "--url", url]) == EXIT_OK
    assert [b.decode() for b in state.bodies] == out.read_text().splitlines()


def test_url_path_prefix_and_endpoint_are_kept(
    shop: GitRepo, lineage_server: tuple[_Lineage, str], capsys: pytest.CaptureFixture[str]
) -> None:
    state, url = lineage_server
    assert main(["export", str(shop.root), "--url", url + "/openapi/openlineage"]) == EXIT_OK
    assert set(state.paths) == {"/openapi/openlineage/api/v1/lineage"}
    assert f"to {url}/openapi/openlineage" in capsys.readouterr().out


@pytest.mark.parametrize(("status", "fail_from"), [(400, 0), (503, 2)])
def test_http_errors_exit_1_with_status_and_count(
    shop: GitRepo, lineage_server: tuple[_Lineage, str], capsys: pytest.CaptureFixture[str], status: int, fail_from: int
) -> None:
    state, url = lineage_server
    state.fail_status, state.fail_from = status, fail_from
    assert main(["export", str(shop.root), "--url", url]) == EXIT_FINDINGS
    err = capsys.readouterr().err
    total = len(repo_jobs(shop))
    assert f"HTTP {status}" in err
    assert f"{fail_from} of {total} events were sent" in err
    assert len(state.bodies) == fail_from


def repo_jobs(repo: GitRepo) -> list[str]:
    config = load_config(repo.root)
    return sorted(scan([config.root / p for p in config.paths], config).jobs)


def test_unreachable_server_exits_1_and_says_nothing_was_sent(
    shop: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert main(["export", str(shop.root), "--url", f"http://127.0.0.1:{port}"]) == EXIT_FINDINGS
    err = capsys.readouterr().err
    assert "cannot connect" in err and "0 of" in err and "events were sent" in err


def test_api_key_env_must_be_set_and_needs_url(shop: GitRepo, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(shop.root), "--url", "http://127.0.0.1:1", "--api-key-env", "DT_NO_SUCH_VAR"]) == 2
    assert "DT_NO_SUCH_VAR is not set" in capsys.readouterr().err
    assert main(["export", str(shop.root), "--api-key-env", "HOME"]) == EXIT_USAGE
    for bad in ("not a url", "ftp://lineage.example.com", "http://"):
        assert main(["export", str(shop.root), "--url", bad]) == EXIT_USAGE
        assert "is not a lineage server URL" in capsys.readouterr().err


def test_every_openlineage_setting_is_documented() -> None:
    text = (REPO / "docs" / "config.md").read_text()
    assert "[tool.datatrail.openlineage]" in text
    for key in KEYS:
        assert f"`{key}`" in text, key


def test_action_publishes_only_on_default_branch_pushes_with_real_options() -> None:
    import yaml

    action = yaml.safe_load((REPO / "action.yml").read_text())
    assert {"datatrail-export", "lineage-url", "lineage-api-key"} <= set(action["inputs"])
    [step] = [s for s in action["runs"]["steps"] if "datatrail export" in s.get("run", "")]
    condition = " ".join(step["if"].split())
    assert "inputs.datatrail-export == 'true'" in condition and "github.event_name == 'push'" in condition
    assert "github.event.repository.default_branch" in condition
    # Secrets reach the command through the environment, never on its command line.
    assert "${{" not in step["run"]
    assert step["env"]["DATATRAIL_LINEAGE_API_KEY"] == "${{ inputs.lineage-api-key }}"
    options = {p for param in cli.commands["export"].params for p in getattr(param, "opts", [])}
    used = {word for word in step["run"].split() if word.startswith("--")}
    assert used <= options, used - options
    names = [s.get("name") for s in action["runs"]["steps"]]
    assert names.index(step["name"]) < names.index("Upload report and diagram")  # the events are uploaded
