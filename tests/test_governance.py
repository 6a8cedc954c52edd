"""Governance: tags through column lineage, flow policies, the audit and provenance records."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from extractor import json_format
from extractor.cli import main
from extractor.config import config_from_pyproject, load_config
from extractor.errors import ConfigError
from extractor.governance import apply_governance
from extractor.governance.audit import audit_report
from extractor.governance.policy_flows import judge_flows, load_flow_rules
from extractor.governance.provenance import provenance
from extractor.scan import scan

from .conftest import EXAMPLE, REPO
from .gitrepo import GitRepo

HELD_OUT = REPO / "fixtures" / "governance" / "held_out"
SCHEMAS = REPO / "extractor" / "schemas"
MODEL = "models/revenue.joblib"


def _governed(root: Path):  # type: ignore[no-untyped-def]
    config = load_config(root)
    graph = scan([root], config)
    return config, graph, apply_governance(graph, config)


@pytest.fixture
def held_out(tmp_path: Path) -> Path:
    target = tmp_path / "repo"
    shutil.copytree(HELD_OUT, target)
    return target


def test_hashed_email_is_pseudonymised_but_still_tagged() -> None:
    _, graph, gov = _governed(HELD_OUT)
    assert gov.column_tags("staging.customers", "email_hash") == {"pii": "pseudonymised"}
    assert graph.datasets["staging.customers"].attributes["column_tags"]["email_hash"] == ["pii"]
    # An aggregate over the hash stays pseudonymised.
    assert gov.column_tags("marts.customer_stats", "some_hash") == {"pii": "pseudonymised"}


def test_age_stays_personal_through_the_aggregate_into_the_model() -> None:
    _, graph, gov = _governed(HELD_OUT)
    assert gov.column_tags("staging.customers", "age") == {"pii": "personal"}
    assert gov.column_tags("marts.customer_stats", "avg_age") == {"pii": "personal"}
    reach = gov.reaches[(MODEL, "avg_age")]["pii"]
    assert reach.status == "personal"
    assert reach.origin == ("raw.customers", "birth_date")
    assert [s.subtype for s in reach.path] == ["TRANSFORMATION", "AGGREGATION", "IDENTITY", "TRANSFORMATION"]
    assert graph.datasets[MODEL].attributes["governance_tags"] == ["pii"]
    # Python hashing: hashlib.sha256 over the country marks the model feature pseudonymised.
    assert gov.column_tags(MODEL, "token") == {"pii": "pseudonymised"}
    # Untagged columns stay untagged; a join or GROUP BY is an influence, not a copy.
    assert gov.column_tags(MODEL, "revenue") == {}
    assert any(i.target == ("marts.customer_stats", None) and i.subtype == "GROUP_BY" for i in gov.influences)


def test_export_is_denied_by_the_flow_policy_and_the_hash_is_allowed() -> None:
    config, _, gov = _governed(HELD_OUT)
    verdicts = judge_flows(gov, load_flow_rules(config))
    by_sink = {(v.sink(), v.denied) for v in verdicts}
    assert ("s3://exports/partner/customers.csv.age", True) in by_sink
    assert ("s3://exports/partner/customers.csv.email_hash", False) in by_sink
    denied = next(v for v in verdicts if v.sink() == "s3://exports/partner/customers.csv.age")
    assert denied.path_text() == (
        "raw.customers.birth_date -> staging.customers.age -> s3://exports/partner/customers.csv.age"
    )


def test_declared_anonymising_aggregate_drops_the_tag(held_out: Path) -> None:
    pyproject = held_out / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + '\n[[tool.datatrail.governance.anonymising]]\ncolumn = "marts.customer_stats.avg_age"\n'
        'reason = "at least 50 customers per country (k-anonymity checked in the load job)"\n'
    )
    _, graph, gov = _governed(held_out)
    reach = gov.reaches[("marts.customer_stats", "avg_age")]["pii"]
    assert reach.status == "anonymised"
    assert reach.reason and "k-anonymity" in reach.reason
    assert gov.reaches[(MODEL, "avg_age")]["pii"].status == "anonymised"
    assert "avg_age" not in graph.datasets[MODEL].attributes["column_tags"]
    assert graph.datasets[MODEL].attributes["column_tag_status"]["avg_age"] == {"pii": "anonymised"}


def test_a_hash_beside_the_raw_value_is_not_pseudonymised(held_out: Path) -> None:
    sql = held_out / "sql" / "customers.sql"
    sql.write_text(
        sql.read_text().replace("SHA256(LOWER(email)) AS email_hash", "SHA256(email) || email AS email_hash")
    )
    _, _, gov = _governed(held_out)
    assert gov.column_tags("staging.customers", "email_hash") == {"pii": "personal"}


def test_audit_command_reports_and_exits_1_on_a_denied_flow(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["audit", str(HELD_OUT), "--format", "json"])
    out = capsys.readouterr().out
    assert code == 1
    report = json.loads(out)
    jsonschema.validate(report, json.loads((SCHEMAS / "audit.schema.json").read_text()))
    (pii,) = report["tags"]
    assert pii["tag"] == "pii"
    assert {o["column"] for o in pii["origins"]} == {"email", "birth_date", "country"}
    reached = {(r["dataset"], r["column"]): r for r in pii["reaches"]}
    assert reached[(MODEL, "avg_age")]["dataset_kind"] == "model"
    assert reached[("staging.customers", "email_hash")]["status"] == "pseudonymised"
    assert reached[("staging.customers", "email_hash")]["path"][0]["location"] == {
        "path": "sql/customers.sql", "line": 13,
    }  # fmt: skip
    denied = [v for v in pii["verdicts"] if v["verdict"] == "denied"]
    assert {(v["dataset"], v["column"]) for v in denied} == {
        ("s3://exports/partner/customers.csv", "age"),
        ("s3://exports/partner/stats.csv", "avg_age"),
        ("s3://exports/partner/stats.csv", "country"),
    }
    assert report["summary"]["denied_flows"] == 3
    for fmt in ("text", "markdown", "html"):
        assert main(["audit", str(HELD_OUT), "--format", fmt]) == 1
        text = capsys.readouterr().out
        assert "s3://exports/partner/customers.csv" in text and "partners receive no direct personal data" in text


def test_audit_passes_without_denied_flows(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", str(EXAMPLE), "--format", "text"]) == 0
    out = capsys.readouterr().out
    assert "Tag pii" in out and "models/churn_model.joblib.age_years" in out


def _provenance(root: Path, seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run(
        [sys.executable, "-m", "extractor.cli", "provenance", MODEL, str(root), "--no-cache"],
        cwd=root, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout


def test_provenance_digest_is_stable_and_tracks_the_age_expression(held_out: Path) -> None:
    first, second = _provenance(held_out, "1"), _provenance(held_out, "4242")
    assert first == second
    record = json.loads(first)
    jsonschema.validate(record, json.loads((SCHEMAS / "provenance.schema.json").read_text()))
    assert record["digest"].startswith("sha256:")
    assert [o["dataset"] for o in record["origins"]] == ["raw.customers", "raw.orders"]
    assert record["origins"][0]["tags"] == {"birth_date": ["pii"], "country": ["pii"]}
    feature = next(f for f in record["features"] if f["name"] == "avg_age")
    assert feature["tags"] == [
        {"tag": "pii", "status": "personal", "origin": "raw.customers.birth_date", "reason": None}
    ]
    age_step = next(s for s in record["steps"] if s["target"] == {"dataset": "staging.customers", "column": "age"})
    assert age_step["location"] == {"path": "sql/customers.sql", "line": 14}
    assert age_step["kind"] == "direct" and age_step["subtype"] == "TRANSFORMATION"

    # Moving code (a blank line shifts every line number) keeps the recipe.
    sql = held_out / "sql" / "customers.sql"
    sql.write_text("\n" + sql.read_text())
    moved = json.loads(_provenance(held_out, "7"))
    assert moved["digest"] == record["digest"]
    assert moved["steps"] != record["steps"]
    # Changing the age expression changes the recipe.
    sql.write_text(sql.read_text().replace("DATE_PART('year'", "DATE_PART('month'"))
    assert json.loads(_provenance(held_out, "1"))["digest"] != record["digest"]


def test_provenance_markdown_reads_like_a_datasheet(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["provenance", "churn_model.joblib", str(EXAMPLE), "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "## Training data provenance: `models/churn_model.joblib`" in out
    assert "### Origins" in out and "`raw.customers`" in out
    assert "`sql/staging/stg_customers.sql:6`" in out
    assert "| `age_years` | pii (personal, from raw.customers.birth_date) |" in out


def test_lineage_json_carries_the_tags_and_validates() -> None:
    _, graph, _ = _governed(HELD_OUT)
    data = json.loads(json_format.dumps(graph))
    jsonschema.validate(data, json.loads((SCHEMAS / "lineage.schema.json").read_text()))
    customers = next(d for d in data["datasets"] if d["name"] == "staging.customers")
    assert customers["attributes"]["column_tags"] == {"age": ["pii"], "country": ["pii"], "email_hash": ["pii"]}
    assert customers["attributes"]["column_tag_status"]["email_hash"] == {"pii": "pseudonymised"}
    assert json_format.loads(json_format.dumps(graph)).datasets["staging.customers"].attributes == (
        graph.datasets["staging.customers"].attributes
    )


# -- configuration ------------------------------------------------------------------------------


def _config(tmp_path: Path, extra: str) -> Path:
    shutil.copytree(HELD_OUT, tmp_path / "repo")
    pyproject = tmp_path / "repo" / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + extra)
    return tmp_path / "repo"


def test_unknown_flow_policy_key_is_a_config_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _config(
        tmp_path, '\n[[tool.datatrail.policy.flows]]\ntag = "pii"\ndeny = ["x.*"]\nreason = "r"\nallow = 1\n'
    )
    assert main(["audit", str(root)]) == 2
    assert "unknown keys: allow" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("\n[tool.datatrail.governance]\nanonymize = []\n", "unknown keys: anonymize"),
        ('\n[tool.datatrail.tags.raw]\ncustomers = ["pii"]\n', "'raw': unknown tag pattern"),
        ('\n[tool.datatrail.tags]\n"raw.orders.amount" = "not a tag!"\n', "'raw.orders.amount'"),
    ],
)
def test_bad_governance_config_names_the_key(tmp_path: Path, extra: str, message: str) -> None:
    text = (HELD_OUT / "pyproject.toml").read_text()
    if extra.startswith("\n[tool.datatrail.tags]"):
        text = text.replace("[tool.datatrail.tags]\n", '[tool.datatrail.tags]\n"raw.orders.amount" = "not a tag!"\n')
        extra = ""
    config = config_from_pyproject(text + extra, tmp_path)
    with pytest.raises(ConfigError, match=message):
        from extractor.governance import load_governance_config

        load_governance_config(config)


def test_tag_on_a_missing_column_is_a_warning_at_its_config_line(tmp_path: Path) -> None:
    root = _config(tmp_path, "")
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('"raw.customers.country" = ["pii"]\n', '"raw.customers.country" = ["pii"]\n'
                                      '"raw.customers.phone" = ["pii"]\n')
    )  # fmt: skip
    line = pyproject.read_text().splitlines().index('"raw.customers.phone" = ["pii"]') + 1
    _, graph, _ = _governed(root)
    (warning,) = [d for d in graph.diagnostics if d.code == "DT600"]
    assert (warning.path, warning.line, warning.severity.value) == ("pyproject.toml", line, "warning")
    assert "raw.customers.phone" in warning.message


def test_dbt_column_tags_and_meta_and_schema_file_tags(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "models").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.datatrail]\ndialect = "postgres"\nschema_files = ["schema.yml"]\n')
    (root / "schema.yml").write_text(
        "tables:\n  crm.contacts:\n    columns: [contact_id, phone]\n    tags:\n      phone: [pii]\n"
        "  crm.leads:\n    lead_id: {type: bigint}\n    email: {type: varchar, tags: [pii]}\n"
    )
    (root / "dbt_project.yml").write_text("name: shop\nversion: '1.0'\nprofile: shop\nmodel-paths: [models]\n")
    (root / "models" / "sources.yml").write_text(
        "version: 2\nsources:\n  - name: app\n    schema: app\n    tables:\n      - name: users\n        columns:\n"
        "          - name: email\n            tags: [pii]\n          - name: user_id\n          - name: ssn\n"
        "            meta: {pii: true}\n"
    )
    (root / "models" / "stg_users.sql").write_text(
        "select user_id, md5(email) as email_md5, ssn from {{ source('app', 'users') }}\n"
    )
    (root / "models" / "contacts.sql").write_text("select contact_id, phone from crm.contacts\n")
    (root / "models" / "leads.sql").write_text("select lead_id, email from crm.leads\n")
    _, graph, gov = _governed(root)
    stg = next(n for n in graph.datasets if n.endswith("stg_users"))
    assert gov.column_tags(stg, "email_md5") == {"pii": "pseudonymised"}
    assert gov.column_tags(stg, "ssn") == {"pii": "personal"}
    contacts = next(n for n in graph.datasets if n.endswith(".contacts") and not n.startswith("crm."))
    assert gov.column_tags(contacts, "phone") == {"pii": "personal"}
    leads = next(n for n in graph.datasets if n.endswith(".leads") and not n.startswith("crm."))
    assert gov.column_tags(leads, "email") == {"pii": "personal"}
    assert gov.column_tags(leads, "lead_id") == {}
    assert not [d for d in graph.diagnostics if d.code == "DT600"]


# -- check and diff -------------------------------------------------------------------------------


def _repo_with_export_change(tmp_path: Path) -> GitRepo:
    repo = GitRepo(tmp_path / "git")
    repo.copy_tree(HELD_OUT)
    repo.write(".gitignore", ".datatrail-cache/\n")
    repo.replace("sql/customers.sql", "COPY (SELECT email_hash, age FROM", "COPY (SELECT email_hash FROM")
    repo.commit("base: only the hash is exported")
    repo.replace("sql/customers.sql", "COPY (SELECT email_hash FROM", "COPY (SELECT email_hash, age FROM")
    repo.git("add", "-A")
    return repo


def test_check_fails_on_a_change_that_creates_a_denied_flow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo_with_export_change(tmp_path)
    monkeypatch.chdir(repo.root)
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    finding = next(line for line in out.splitlines() if " DT601 " in line)
    assert finding.startswith("sql/customers.sql:24:")
    assert "raw.customers.birth_date reaches s3://exports/partner/customers.csv.age" in finding
    assert "via raw.customers.birth_date -> staging.customers.age -> s3://exports/partner/customers.csv.age" in finding
    # The flows that existed before the change (stats.csv) are not reported by check.
    assert "stats.csv" not in out


def test_diff_fail_on_reports_new_tagged_flows_and_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo_with_export_change(tmp_path)
    monkeypatch.chdir(repo.root)
    assert main(["diff", "HEAD", "--fail-on", "breaking"]) == 1
    out = capsys.readouterr().out
    assert "tagged flows: 1 new, 0 removed, 1 newly denied" in out
    assert "  + s3://exports/partner/customers.csv.age [pii: personal]" in out
    assert main(["diff", "HEAD", "--fail-on", "never", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tagged_flows"]["added"] == [
        {"dataset": "s3://exports/partner/customers.csv", "column": "age", "tag": "pii", "status": "personal"}
    ]
    assert data["tagged_flows"]["denied"][0]["code"] == "DT601"
    assert main(["diff", "HEAD", "--format", "markdown"]) == 0
    assert "### Tagged data flows" in capsys.readouterr().out


def test_audit_report_is_deterministic() -> None:
    config, graph, gov = _governed(HELD_OUT)
    rules = load_flow_rules(config)
    first = audit_report(graph, gov, rules, judge_flows(gov, rules))
    _config2, graph2, gov2 = _governed(HELD_OUT)
    assert first == audit_report(graph2, gov2, rules, judge_flows(gov2, rules))
    assert provenance(graph, gov, MODEL, None) == provenance(graph2, gov2, MODEL, None)


# -- badges ---------------------------------------------------------------------------------------


def test_diagram_marks_tagged_columns_with_a_badge(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", str(HELD_OUT), "--format", "dot"]) == 0
    dot = capsys.readouterr().out
    node = next(line for line in dot.splitlines() if "<B>staging.customers</B>" in line)
    assert 'email_hash <FONT POINT-SIZE="8" COLOR="#b91c1c">⚑ pii</FONT>' in node
    assert "customer_id <FONT" not in node
    # --tag selects datasets by governance tag too.
    assert main(["render", str(HELD_OUT), "--format", "dot", "--tag", "pii", "--level", "dataset"]) == 0
    selected = capsys.readouterr().out
    assert "<B>raw.orders</B>" not in selected and "<B>marts.customer_stats</B>" in selected


def test_markdown_diff_badges_a_changed_tagged_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitRepo(tmp_path / "git")
    repo.copy_tree(HELD_OUT)
    repo.write(".gitignore", ".datatrail-cache/\n")
    repo.commit("base")
    repo.replace("sql/customers.sql", "DATE_PART('year'", "DATE_PART('month'")
    monkeypatch.chdir(repo.root)
    assert main(["diff", "HEAD", "--format", "markdown", "--fail-on", "never"]) == 0
    out = capsys.readouterr().out
    assert "`staging.customers.age` `⚑ pii`" in out
    assert "### Tagged data flows" not in out  # the same flows, only a changed expression


def test_audit_rejects_an_unknown_tag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", str(HELD_OUT), "--tag", "phi"]) == 2
    assert "declared tags: pii" in capsys.readouterr().err


def test_two_models_trained_on_the_same_data_share_a_digest(held_out: Path) -> None:
    train = (held_out / "jobs" / "train.py").read_text()
    (held_out / "jobs" / "train_v2.py").write_text(train.replace("models/revenue.joblib", "models/revenue_v2.joblib"))
    _, graph, gov = _governed(held_out)
    first = provenance(graph, gov, MODEL, None)
    second = provenance(graph, gov, "models/revenue_v2.joblib", None)
    assert first["digest"] == second["digest"]
    # A different feature set is a different recipe.
    (held_out / "jobs" / "train_v2.py").write_text(
        train.replace("models/revenue.joblib", "models/revenue_v2.joblib").replace('"avg_age", ', "")
    )
    _, graph, gov = _governed(held_out)
    assert provenance(graph, gov, "models/revenue_v2.joblib", None)["digest"] != first["digest"]


@pytest.mark.parametrize(
    ("expression", "status"),
    [
        ("MD5(email)", "pseudonymised"),
        ("FARM_FINGERPRINT(email)", "pseudonymised"),
        ("vault_tokenize(email)", "pseudonymised"),
        ("UPPER(email)", "personal"),
        ("CASE WHEN email IS NULL THEN NULL ELSE SHA256(email) END", "pseudonymised"),
    ],
)
def test_pseudonymising_functions(held_out: Path, expression: str, status: str) -> None:
    pyproject = held_out / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text() + '\n[tool.datatrail.governance]\npseudonymising_functions = ["vault_tokenize"]\n'
    )
    sql = held_out / "sql" / "customers.sql"
    sql.write_text(sql.read_text().replace("SHA256(LOWER(email)) AS email_hash", f"{expression} AS email_hash"))
    _, _, gov = _governed(held_out)
    assert gov.column_tags("staging.customers", "email_hash") == {"pii": status}


def test_a_case_condition_on_the_raw_value_does_not_leak_it(held_out: Path) -> None:
    sql = held_out / "sql" / "customers.sql"
    leaky = "CASE WHEN email LIKE '%@corp.com' THEN email ELSE SHA256(email) END AS email_hash"
    sql.write_text(sql.read_text().replace("SHA256(LOWER(email)) AS email_hash", leaky))
    _, _, gov = _governed(held_out)
    assert gov.column_tags("staging.customers", "email_hash") == {"pii": "personal"}


def test_audit_json_is_byte_identical_across_hash_seeds() -> None:
    def run(seed: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "extractor.cli", "audit", str(HELD_OUT), "--format", "json", "--no-cache"],
            env={**os.environ, "PYTHONHASHSEED": seed}, capture_output=True, text=True, cwd=REPO,
        )  # fmt: skip
        assert done.returncode == 1, done.stderr
        return done.stdout

    assert run("1") == run("999")


def test_unknown_policy_key_is_a_config_error_in_audit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _config(tmp_path, '\n[[tool.datatrail.policy.flow]]\ntag = "pii"\n')
    assert main(["audit", str(root)]) == 2
    assert "unknown keys: flow" in capsys.readouterr().err


def test_text_diff_and_mermaid_carry_the_badge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _repo_with_export_change(tmp_path)
    monkeypatch.chdir(repo.root)
    main(["diff", "HEAD"])
    assert "  [additive] s3://exports/partner/customers.csv.age ⚑ pii: COLUMN_ADDED" in capsys.readouterr().out
    assert main(["render", ".", "--format", "mermaid", "--level", "dataset"]) == 0
    mermaid = capsys.readouterr().out
    assert '[/"◫ staging.customers ⚑ pii"/]' in mermaid
    assert "raw.orders ⚑" not in mermaid
    assert main(["render", ".", "--format", "mermaid", "--level", "column"]) == 0
    columns = capsys.readouterr().out
    assert '["◫ staging.customers ⚑ pii"]' in columns and '["email_hash ⚑ pii"]' in columns


def test_anonymising_declaration_matching_nothing_warns_at_its_entry(held_out: Path) -> None:
    pyproject = held_out / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text()
        + '\n[[tool.datatrail.governance.anonymising]]\ncolumn = "marts.customer_stats.avg_age"\nreason = "k-anon"\n'
        + '\n[[tool.datatrail.governance.anonymising]]\ncolumn = "marts.nothing.here"\nreason = "typo"\n'
    )
    line = pyproject.read_text().splitlines().index('column = "marts.nothing.here"')  # the header above it
    _, graph, _ = _governed(held_out)
    (warning,) = [d for d in graph.diagnostics if d.code == "DT600"]
    assert (warning.path, warning.line) == ("pyproject.toml", line)
    assert "marts.nothing.here" in warning.message


def test_python_hashing_through_a_helper_function_and_a_lambda(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.datatrail]\n[tool.datatrail.tags]\n"raw/users.csv.email" = ["pii"]\n"raw/users.csv.phone" = ["pii"]\n'
    )
    (tmp_path / "job.py").write_text(
        "import hashlib\n\nimport pandas as pd\n\n\n"
        "def scramble(value: str) -> str:\n    return hashlib.sha256(value.encode()).hexdigest()\n\n\n"
        'df = pd.read_csv("raw/users.csv", usecols=["user_id", "email", "phone"])\n'
        'df["email_key"] = df["email"].apply(scramble)\n'
        'df["phone_key"] = df["phone"].map(lambda p: hashlib.md5(p.encode()).hexdigest())\n'
        'df["phone_clean"] = df["phone"].str.replace(" ", "")\n'
        'df[["user_id", "email_key", "phone_key", "phone_clean"]].to_parquet("out/users.parquet")\n'
    )
    _, _, gov = _governed(tmp_path)
    assert gov.column_tags("out/users.parquet", "email_key") == {"pii": "pseudonymised"}
    assert gov.column_tags("out/users.parquet", "phone_key") == {"pii": "pseudonymised"}
    assert gov.column_tags("out/users.parquet", "phone_clean") == {"pii": "personal"}
    assert gov.column_tags("out/users.parquet", "user_id") == {}
