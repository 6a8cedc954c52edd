"""Python scanning: name resolution, values, isolation, configuration, notebooks, determinism."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from extractor.config import Config, config_from_mapping
from extractor.errors import ConfigError
from extractor.graph import LineageGraph
from extractor.python.notebooks import SQL_MAGIC, rewrite_ipython
from extractor.python.templating import Holes, render_template
from extractor.scan import scan

from .conftest import REPO


def scan_files(tmp_path: Path, files: dict[str, str], python: dict[str, object] | None = None) -> LineageGraph:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    config = config_from_mapping({"python": python} if python is not None else {}, root=tmp_path)
    return scan([tmp_path], config)


def edges(graph: LineageGraph) -> set[str]:
    return {f"{e.source} -> {e.target}" for e in graph.edges}


def codes(graph: LineageGraph) -> set[str]:
    return {d.code for d in graph.diagnostics}


# -- calls are matched by qualified name ---------------------------------------------------------


@pytest.mark.parametrize(
    "imports, call",
    [
        ("import pandas as pd", "pd.read_csv"),
        ("import pandas", "pandas.read_csv"),
        ("from pandas import read_csv", "read_csv"),
        ("from pandas import read_csv as load", "load"),
        ("import pandas as pd\nload = pd.read_csv", "load"),
    ],
)
def test_aliases_reach_the_same_handler(tmp_path: Path, imports: str, call: str) -> None:
    graph = scan_files(tmp_path, {"job.py": f"{imports}\ndf = {call}('in.csv')\ndf.to_parquet('out.parquet')\n"})
    assert edges(graph) == {"in.csv -> out.parquet"}


def test_a_local_name_shadowing_pandas_is_not_pandas(tmp_path: Path) -> None:
    code = "import pandas as pd\n\nclass pd:\n    pass\n\ndf = pd.read_csv('in.csv')\ndf.to_parquet('out.parquet')\n"
    assert "in.csv -> out.parquet" not in edges(scan_files(tmp_path, {"job.py": code}))


# -- values --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expression, path",
    [
        ("os.path.join('data', 'raw', 'x.csv')", "data/raw/x.csv"),
        ("Path('data') / 'raw' / 'x.csv'", "data/raw/x.csv"),
        ("'data/' + NAME + '.csv'", "data/orders.csv"),
        ("f'data/{NAME}/{run_date}.csv'", "data/orders/{run_date}.csv"),
        ("'data/{}/{}.csv'.format(NAME, 'v1')", "data/orders/v1.csv"),
        ("'data/%s.csv' % NAME", "data/orders.csv"),
        ("Path(__file__).parent / '..' / 'data' / 'x.csv'", "data/x.csv"),
        ("os.path.join(os.path.dirname(os.path.abspath(__file__)), 'x.csv')", "jobs/x.csv"),
        ("os.getenv('INPUT', 'fallback.csv')", "fallback.csv"),
    ],
)
def test_paths_resolve_statically(tmp_path: Path, expression: str, path: str) -> None:
    code = (
        "import os\nfrom pathlib import Path\nimport pandas as pd\nNAME = 'orders'\n\n"
        f"def run(run_date):\n    pd.read_csv({expression}).to_parquet('out.parquet')\n\nrun(today())\n"
    )
    graph = scan_files(tmp_path, {"jobs/job.py": code})
    assert edges(graph) == {f"{path} -> out.parquet"}


def test_branches_keep_both_paths(tmp_path: Path) -> None:
    code = (
        "import sys\nimport pandas as pd\nif sys.argv[1] == 'prod':\n    src = 's3://prod/x.csv'\n"
        "else:\n    src = 'local/x.csv'\npd.read_csv(src).to_parquet('out.parquet')\n"
    )
    assert edges(scan_files(tmp_path, {"job.py": code})) == {
        "s3://prod/x.csv -> out.parquet",
        "local/x.csv -> out.parquet",
    }


def test_env_values_from_configuration(tmp_path: Path) -> None:
    code = "import os\nimport pandas as pd\npd.read_csv(os.environ['SRC']).to_parquet('out.parquet')\n"
    graph = scan_files(tmp_path, {"job.py": code}, {"env": {"SRC": "landing/in.csv"}})
    assert edges(graph) == {"landing/in.csv -> out.parquet"}


def test_click_option_defaults_bind_entry_point_parameters(tmp_path: Path) -> None:
    code = (
        "import click\nimport pandas as pd\n\n@click.command()\n@click.option('--src', default='in.csv')\n"
        "@click.option('--dst', 'dst', default='out.csv')\ndef main(src, dst):\n    pd.read_csv(src).to_csv(dst)\n"
    )
    assert edges(scan_files(tmp_path, {"cli.py": code})) == {"in.csv -> out.csv"}


def test_typer_defaults(tmp_path: Path) -> None:
    code = (
        "import typer\nimport pandas as pd\n\n"
        "def main(src: str = typer.Option('in.csv'), dst: str = typer.Argument(...)):\n"
        "    pd.read_csv(src).to_csv(dst)\n\ntyper.run(main)\n"
    )
    graph = scan_files(tmp_path, {"cli.py": code})
    assert {e.source for e in graph.edges} == {"in.csv"}
    assert "DT301" in codes(graph)


def test_unknown_path_is_an_explicit_node_with_reason(tmp_path: Path) -> None:
    graph = scan_files(
        tmp_path, {"job.py": "import sys\nimport pandas as pd\npd.read_csv(sys.argv[1]).to_csv('o.csv')\n"}
    )
    unknown = graph.datasets["unknown:job.py:sys.argv[1]"]
    assert unknown.kind.value == "unknown" and "path not resolvable" in str(unknown.attributes["reason"])
    assert "DT301" in codes(graph)
    assert any(d.code == "DT301" and d.line == 3 for d in graph.diagnostics)


# -- cross-module --------------------------------------------------------------------------------


def test_relative_imports_and_helpers_returning_frames(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/io.py": (
            "import pandas as pd\nBASE = 'lake'\n\n"
            "def load(name):\n    return pd.read_parquet(f'{BASE}/{name}.parquet')\n"
        ),
        "pkg/job.py": "from .io import load\nload('users').to_csv('users.csv')\n",
    }
    assert edges(scan_files(tmp_path, files)) == {"lake/users.parquet -> users.csv"}


def test_recursion_and_depth_are_bounded(tmp_path: Path) -> None:
    code = "import pandas as pd\n\ndef f(n):\n    return f(n)\n\nf(1)\npd.read_csv('a.csv').to_csv('b.csv')\n"
    graph = scan_files(tmp_path, {"job.py": code})
    assert edges(graph) == {"a.csv -> b.csv"} and "DT900" not in codes(graph)


def test_file_order_does_not_matter_for_columns(tmp_path: Path) -> None:
    files = {
        "a_copy.py": "import pandas as pd\npd.read_parquet('f.parquet').to_csv('copy.csv')\n",
        "b_prep.py": "import pandas as pd\npd.read_csv('raw.csv', usecols=['id', 'x']).to_parquet('f.parquet')\n",
    }
    graph = scan_files(tmp_path, files)
    direct = {f"{je.edge.source} -> {je.edge.target}" for je in graph.column_edges}
    assert direct == {"raw.csv.id -> f.parquet.id", "raw.csv.x -> f.parquet.x", "f.parquet.id -> copy.csv.id",
                      "f.parquet.x -> copy.csv.x"}  # fmt: skip


# -- bad input and isolation ---------------------------------------------------------------------


def test_syntax_error_is_a_diagnostic_and_the_scan_goes_on(tmp_path: Path) -> None:
    files = {
        "bad.py": "import pandas as pd\ndef broken(:\n    pass\n",
        "good.py": "import pandas as pd\npd.read_csv('a.csv').to_csv('b.csv')\n",
    }
    graph = scan_files(tmp_path, files)
    assert edges(graph) == {"a.csv -> b.csv"}
    [problem] = [d for d in graph.diagnostics if d.code == "DT300"]
    assert (problem.path, problem.line) == ("bad.py", 2)


def test_an_internal_error_costs_only_its_statement(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from extractor.python import pandas_api

    original = pandas_api.merge

    def boom(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(pandas_api, "merge", boom)
    code = (
        "import pandas as pd\na = pd.read_csv('a.csv')\nb = a.merge(a, on='id')\npd.read_csv('c.csv').to_csv('d.csv')\n"
    )
    graph = scan_files(tmp_path, {"job.py": code})
    assert edges(graph) == {"c.csv -> d.csv"}
    assert [(d.code, d.line) for d in graph.diagnostics if d.code == "DT900"] == [("DT900", 3)]
    assert original is not boom


def test_deep_method_chains_and_expressions(tmp_path: Path) -> None:
    chain = "".join(f"    .withColumn('c{i}', F.col('c{i - 1}') + 1)\n" for i in range(1, 400))
    spark = (
        "from pyspark.sql import SparkSession, functions as F\nspark = SparkSession.builder.getOrCreate()\n"
        f"(spark.read.parquet('in/')\n{chain}).write.parquet('out/')\n"
    )
    total = " + ".join(f"df['c{i}']" for i in range(600))
    pandas = f"import pandas as pd\ndf = pd.read_csv('a.csv')\ndf['s'] = {total}\ndf.to_csv('b.csv')\n"
    graph = scan_files(tmp_path, {"spark_job.py": spark, "pandas_job.py": pandas})
    assert edges(graph) == {"in/ -> out/", "a.csv -> b.csv"} and "DT900" not in codes(graph)
    assert sys.getrecursionlimit() < 20_000  # restored


def test_notebook_unreadable_and_magics(tmp_path: Path) -> None:
    graph = scan_files(tmp_path, {"broken.ipynb": "{not json"})
    assert codes(graph) == {"DT304"}
    assert rewrite_ipython("%%sql\nSELECT 1") == f"{SQL_MAGIC}('SELECT 1')\n"
    assert rewrite_ipython("%matplotlib inline\nx = 1\n!ls\nfiles = !ls\ndf?") == "\nx = 1\n\npass\n"


# -- templating ----------------------------------------------------------------------------------


def test_jinja_placeholders_follow_the_one_sandbox_convention() -> None:
    from extractor.dbt import render_templated_sql

    template = "SELECT * FROM {{ params.s }}.t WHERE d = '{{ macros.ds_add(ds, 1) }}'"
    sql, error = render_template(template, Holes())
    assert error is None and sql == "SELECT * FROM __params_s__.t WHERE d = '2024-01-02'"
    assert sql == render_templated_sql(template, "q.sql")[0]  # the same in a DAG and in a .sql file
    holes = Holes()
    assert holes.restore(holes.placeholder("day") + ".t") == "{day}.t"  # unknown Python values stay patterns


def test_the_sandbox_blocks_unsafe_templates() -> None:
    sql, error = render_template("{{ ''.__class__.__mro__[1].__subclasses__() }}", Holes())
    assert "class" not in sql and (error is not None or sql.startswith("dt_hole_"))


# -- configuration -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "python", [{"max_call_depth": "3"}, {"max_call_depth": 0}, {"follow_uncalled": "yes"}, {"env": {"A": 1}}]
)
def test_wrong_types_in_configuration_are_errors(tmp_path: Path, python: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        scan_files(tmp_path, {"job.py": "x = 1\n"}, python)


def test_unknown_configuration_keys_are_warned_about(tmp_path: Path) -> None:
    graph = scan_files(tmp_path, {"job.py": "x = 1\n"}, {"colour": "blue"})
    assert any(d.code == "DT003" and "colour" in d.message for d in graph.diagnostics)


def test_uncalled_functions_can_be_left_alone(tmp_path: Path) -> None:
    code = "import pandas as pd\n\ndef main():\n    pd.read_csv('a.csv').to_csv('b.csv')\n"
    assert edges(scan_files(tmp_path, {"job.py": code})) == {"a.csv -> b.csv"}
    assert edges(scan_files(tmp_path, {"job.py": code}, {"follow_uncalled": False})) == set()


# -- determinism ---------------------------------------------------------------------------------


def test_output_is_identical_whatever_the_hash_seed() -> None:
    program = (
        "import sys; from pathlib import Path; from extractor.config import Config; from extractor.scan import scan; "
        "from extractor.json_format import dumps; root = Path(sys.argv[1]); "
        "sys.stdout.write(dumps(scan([root], Config(root=root))))"
    )
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", program, str(REPO / "fixtures" / "python")],
                              capture_output=True, text=True, env=env, check=True)  # fmt: skip
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0])["summary"]["edges"] > 20


def test_config_defaults() -> None:
    from extractor.python.scan import load_settings

    settings = load_settings(Config())
    assert settings.max_call_depth >= 1 and settings.follow_uncalled and "spark" in settings.session_names


def test_databricks_python_notebook_sql_cells_keep_their_lines() -> None:
    from extractor.python.notebooks import databricks_source

    header = "# Databricks notebook source\nx = 1\n\n# COMMAND ----------\n\n"
    text = header + "# MAGIC %sql\n# MAGIC SELECT a\n# MAGIC FROM t\n"
    out = databricks_source(text)
    assert out.count("\n") == text.count("\n")
    assert out.splitlines()[5] == "__datatrail_sql__('\\nSELECT a\\nFROM t\\n', 'databricks://')"
    # Markdown cells and files without the header are left alone.
    assert databricks_source(text.replace("%sql", "%md")) == text.replace("%sql", "%md")
    assert databricks_source(text[len("# Databricks notebook source") :]) == text[len("# Databricks notebook source") :]


def test_run_magic_becomes_a_relative_star_import() -> None:
    from extractor.python.notebooks import rewrite_ipython, run_import

    assert run_import("./config") == "from .config import *"
    assert run_import("../Includes/setup.py") == "from ..Includes.setup import *"
    assert run_import("/Workspace/Shared/config") is None
    assert run_import("../Includes/Classroom-Setup") is None  # not a Python name
    assert rewrite_ipython("%run ./config\nx = 1") == "from .config import *\nx = 1"
    assert rewrite_ipython("if x:\n    %run ./config") == "if x:\n    pass"
