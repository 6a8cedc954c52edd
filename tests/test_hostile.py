"""Hostile input next to good files: every item ends as diagnostics, in bounded time and memory, the
good files' lineage is byte-identical to a scan of them alone, and nothing analysed is executed.

The fixtures are generated here (no big files in the repository). The scan runs in a subprocess
under an address-space limit, so a memory bomb fails the test instead of the machine, and under a
generous timeout that only guards against hangs (it measures nothing).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

MARKER = "PWNED"
MEMORY_LIMIT = 3 * 1024**3

GOOD = {
    "sql/good/orders.sql": "CREATE TABLE mart.orders AS SELECT id, amount * 2 AS doubled FROM raw.orders;\n",
    "sql/good/customers.sql": "CREATE VIEW mart.customers AS SELECT c.id, c.email FROM raw.customers AS c;\n",
    "pipelines/good_job.py": "import pandas as pd\ndf = pd.read_csv('in/a.csv')\ndf[['id']].to_parquet('out/a.pq')\n",
    "shop/dbt_project.yml": "name: shop\nconfig-version: 2\nprofile: shop\nmodel-paths: [models]\n",
    "shop/models/stg_orders.sql": "select id, amount from {{ source('raw', 'orders') }}\n",
    "shop/models/sources.yml": "version: 2\nsources:\n  - name: raw\n    tables:\n      - name: orders\n",
}

ALIAS_BOMB = "\n".join(
    ["a: &a [x, x, x, x, x, x, x, x, x]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]" for i in range(9)]
)


def hostile(root: Path) -> dict[str, str | bytes]:
    """Hostile items; markers are paths a successful escape or an executed file would create."""
    marker = str(root / MARKER)
    touch = f"__import__('os').system('touch {marker}')"
    return {
        "sql/bad/invalid_utf8.sql": b"select 1 from t where x = '\xff\xfe';\n",
        "sql/bad/binary.sql": bytes(range(256)) * 4,
        "sql/bad/huge.sql": b"-- filler\n" * 5_000_000,  # 50 MB
        "sql/bad/deep.sql": "select " + "(" * 10_000 + "1" + ")" * 10_000 + " as x from t;\n",
        "sql/bad/union.sql": "insert into mart.u " + " union all ".join("select 1 as a" for _ in range(5000)) + ";\n",
        "sql/bad/cycle.sql": "create view v.a as select * from v.b;\ncreate view v.b as select * from v.a;\n",
        "sql/bad/joins.sql": "select * from a " + " ".join(f"join t{i}" for i in range(24)) + ";\n",
        "sql/bad/jinja_loop.sql": "select {% for i in range(10000) %}{% for j in range(1000) %}{% endfor %}"
        "{% endfor %}1",  # 10^7 iterations
        "sql/bad/escape_mro.sql": "select '{{ ''.__class__.__mro__[1].__subclasses__() }}'",
        "sql/bad/escape_cycler.sql": f"select '{{{{ cycler.__init__.__globals__.os.system('touch {marker}') }}}}'",
        "sql/bad/escape_lipsum.sql": f"select '{{{{ lipsum.__globals__['os'].popen('touch {marker}').read() }}}}'",
        "sql/bad/escape_self.sql": "select '{{ self._TemplateReference__context }}'",
        "sql/bad/escape_pow.sql": "select {{ 7 ** 99999999 }}",
        "sql/bad/escape_mul.sql": "select '{{ 'a' * 4000000000 }}'",
        "pipelines/deep.py": "x = " + "(" * 10_000 + "1" + ")" * 10_000 + "\n",
        "pipelines/deep_sql.py": "import duckdb\nduckdb.sql('select " + "(" * 4500 + "1" + ")" * 4500 + "')\n",
        "pipelines/doubling.py": "s = 'a'\n" + "s = s + s\n" * 40,
        "pipelines/runs_code.py": f"import os\n{touch}\nopen('{marker}', 'w').write('x')\n",
        "pipelines/broken.ipynb": '{"cells": [{"cell_type": "code", "source": ["x = (\\n"]}',
        "shop/models/bomb_var.sql": "select {{ var('bomb') }} as x from {{ ref('stg_orders') }}",
        "shop/models/recursive.sql": "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}select {{ f(0) }} as x",
        "shop/models/count.sql": "{% for i in modules.itertools.count() %}{% endfor %}select 1 as x",
        "shop/models/count_list.sql": "select {{ modules.itertools.count() | list | length }} as x",
        "shop/models/ranges.sql": "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}x",
        "shop/models/tilde.sql": "{% set ns = namespace(s='a') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}"
        "{% endfor %}select 1 as x",
        "shop/models/escape_globals.sql": f"select '{{{{ cycler.__init__.__globals__.os.system('touch {marker}') }}}}'",
        "shop/models/bomb_schema.yml": "version: 2\n" + ALIAS_BOMB + "\nmodels:\n  - name: stg_orders\n",
    }


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def run_scan(root: Path) -> tuple[int, dict]:
    def limit() -> None:  # pragma: no cover - runs in the child
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    out = root.parent / f"{root.name}.json"
    done = subprocess.run(
        [sys.executable, "-m", "extractor.cli", "scan", str(root), "-o", str(out), "--no-cache", "-q"],
        cwd=root, capture_output=True, text=True, timeout=900, preexec_fn=limit,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )  # fmt: skip
    assert out.exists(), done.stderr[-3000:]
    return done.returncode, json.loads(out.read_text())


def good_lineage(report: dict) -> str:
    """The lineage of the good files: their jobs and every edge those jobs produced."""
    good_paths = {p[len("shop/") :] if p.startswith("shop/") else p for p in GOOD} | set(GOOD)
    jobs = sorted((j for j in report["jobs"] if j["path"] in good_paths), key=lambda j: j["name"])
    names = {j["name"] for j in jobs}
    edges = [e for e in report.get("edges", []) if e.get("job") in names]
    column_edges = [e for e in report.get("column_edges", []) if e.get("job") in names]
    return json.dumps({"jobs": jobs, "edges": edges, "column_edges": column_edges}, sort_keys=True)


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, dict, dict]:
    base = tmp_path_factory.mktemp("hostile")
    alone = base / "alone"
    write(alone, dict(GOOD))
    repo = base / "repo"
    write(repo, {**GOOD, **hostile(repo)})
    (repo / "shop" / "dbt_project.yml").write_text(
        GOOD["shop/dbt_project.yml"] + "vars:\n  " + ALIAS_BOMB.replace("\n", "\n  ") + "\n  bomb: *j\n"
    )
    (repo / "sql" / "loop").symlink_to(repo / "sql", target_is_directory=True)  # a symlink loop
    code, report = run_scan(repo)
    _, alone_report = run_scan(alone)
    return repo, code, report, alone_report


def by_path(report: dict) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for d in report["diagnostics"]:
        found.setdefault(d["path"], set()).add(d["code"])
    return found


def test_the_scan_ends_without_internal_errors(scanned: tuple[Path, int, dict, dict]) -> None:
    _, code, report, _ = scanned
    assert code == 0, [d for d in report["diagnostics"] if d["code"] == "DT900"]
    assert not [d for d in report["diagnostics"] if d["code"] == "DT900"]


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("sql/bad/invalid_utf8.sql", "DT001"), ("sql/bad/binary.sql", "DT001"), ("sql/bad/huge.sql", "DT001"),
        ("sql/bad/deep.sql", "DT102"), ("sql/bad/union.sql", "DT102"), ("sql/bad/joins.sql", "DT102"),
        ("sql/bad/jinja_loop.sql", "DT205"), ("sql/bad/escape_mro.sql", "DT205"),
        ("sql/bad/escape_cycler.sql", "DT205"), ("sql/bad/escape_lipsum.sql", "DT205"),
        ("sql/bad/escape_self.sql", "DT205"), ("sql/bad/escape_pow.sql", "DT205"),
        ("sql/bad/escape_mul.sql", "DT205"), ("pipelines/deep.py", "DT300"), ("pipelines/deep_sql.py", "DT102"),
        ("pipelines/broken.ipynb", "DT304"), ("shop/models/recursive.sql", "DT200"),
        ("shop/models/count.sql", "DT205"), ("shop/models/ranges.sql", "DT205"), ("shop/models/tilde.sql", "DT205"),
        ("shop/models/escape_globals.sql", "DT205"), ("shop/dbt_project.yml", "DT206"),
        ("shop/models/bomb_schema.yml", "DT206"),
    ],
)  # fmt: skip
def test_each_hostile_item_is_a_diagnostic(scanned: tuple[Path, int, dict, dict], path: str, code: str) -> None:
    _, _, report, _ = scanned
    assert code in by_path(report).get(path, set()), (path, by_path(report).get(path))


def test_the_good_files_lineage_is_intact(scanned: tuple[Path, int, dict, dict]) -> None:
    _, _, report, alone = scanned
    assert good_lineage(report) == good_lineage(alone)
    assert "mart.orders" in good_lineage(alone) and "out/a.pq" in good_lineage(alone)


def test_nothing_analysed_was_executed(scanned: tuple[Path, int, dict, dict]) -> None:
    repo, _, report, _ = scanned
    assert not (repo / MARKER).exists()
    text = json.dumps(report)
    for leaked in ("<class", "copyreg", "subprocess.Popen", "_TemplateReference"):
        assert leaked not in text or all(leaked not in d["message"] for d in report["diagnostics"]
                                         if d["code"] != "DT205"), leaked  # fmt: skip


def test_no_object_addresses_in_any_diagnostic(scanned: tuple[Path, int, dict, dict]) -> None:
    _, _, report, _ = scanned
    assert not [d["message"] for d in report["diagnostics"] if " at 0x" in d["message"]]


def test_dbt_macro_named_like_a_dunder_exposes_nothing(tmp_path: Path) -> None:
    """The ``__reduce_ex__`` macro escape (MacroProxy's getattr for ``_`` names)."""
    files = {
        "dbt_project.yml": "name: p\nconfig-version: 2\nprofile: p\nmodel-paths: [models]\nmacro-paths: [macros]\n",
        "macros/m.sql": "{% macro __reduce_ex__(n) %}x{% endmacro %}",
        # ref() of the result puts whatever the call returned into a diagnostic and a dataset name.
        "models/m.sql": "select a from {{ ref(__reduce_ex__(2) | string) }}",
    }
    write(tmp_path / "p", files)
    _, report = run_scan(tmp_path / "p")
    text = json.dumps(report)
    exposed = [word for word in ("copyreg", "_reconstructor", "<class", "TemplateModule") if word in text]
    assert not exposed
