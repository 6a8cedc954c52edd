"""Coverage of a real repository of SQL scripts (Hive, Spark, Impala, Databricks …) and Python.

    python benchmarks/real_repos.py path/to/repo [--dialect hive] [-v] [--failures]

Runs ``datatrail scan --format json --no-cache`` on the tree as a new user would (no config
unless the tree has one) and reports:

- SQL files: how many hold a statement that moves data (a query, INSERT, MERGE, CTAS, LOAD …,
  decided on the Hive tokenizer's tokens, independently of datatrail's parser) and, of those,
  how many yield a job with an output (a statement with a target) and how many any job;
- placeholder tables shared by files: datasets whose name still holds a script variable
  (``${x}``, ``{{ x }}``, ``__x__``) that jobs of more than one file read or write;
- Python files: how many yield a job, and crashes (``DT900``);
- diagnostics by code, and with ``--failures`` the data-moving SQL files that yield no job with
  their first ``DT1xx`` diagnostic.

Fetched repositories stay outside this repository (e.g. under /tmp); nothing here names one.
"""

from __future__ import annotations

import argparse
import ast
import collections
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import TokenError
from sqlglot.tokens import Token, TokenType

from extractor.config import is_sql_file

#: Tokens that make a statement move data rather than only declare or configure something.
_MOVES_DATA = frozenset({
    TokenType.SELECT, TokenType.INSERT, TokenType.MERGE, TokenType.UPDATE, TokenType.DELETE,
    TokenType.COPY,
})  # fmt: skip
_LOAD_WORDS = frozenset({"LOAD", "COPY"})
_SETTINGS = frozenset({"SET", "RESET", "ADD", "USE"})
_SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "venv", "__pycache__", "target", "dbt_packages"})


def _tokens(text: str) -> list[Token]:
    for name in ("hive", ""):
        try:
            return Dialect.get_or_raise(name or None).tokenize(text)
        except TokenError:
            continue
        except Exception:  # a benchmark classifies what it can
            break
    return []


def moves_data(text: str) -> bool:
    """Whether a SQL script holds a statement that reads or writes rows (not only DDL/SET/USE)."""
    tokens = _tokens(text)
    first: Token | None = None
    previous: Token | None = None
    for token in tokens:
        if token.token_type is TokenType.SEMICOLON:
            first = previous = None
            continue
        if first is None:
            first = token
        if first.text.upper() in _SETTINGS:
            continue  # ``SET hive.merge.mapfiles=true`` names no data
        if token.token_type in _MOVES_DATA and not (previous and previous.token_type is TokenType.DOT):
            return True
        if token is first and token.text.upper() in _LOAD_WORDS:
            return True
        previous = token
    return False


#: Calls that read or write a dataset in pandas, PySpark, polars, Glue and DB-API code.
_IO_CALLS = frozenset({
    "read_csv", "read_parquet", "read_json", "read_excel", "read_sql", "read_sql_query", "read_sql_table",
    "read_table", "read_feather", "read_pickle", "to_csv", "to_parquet", "to_json", "to_excel", "to_sql",
    "to_pickle", "to_feather", "write_csv", "write_parquet", "scan_csv", "scan_parquet", "saveAsTable",
    "insertInto", "save", "load", "csv", "parquet", "table", "jdbc", "from_catalog", "from_options",
    "create_dynamic_frame", "write_dynamic_frame", "from_jdbc_conf", "execute", "sql",
})  # fmt: skip


def python_io(path: Path) -> bool:
    """Whether a Python file calls a dataset read/write API (by the called name, from its AST)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
    except (SyntaxError, ValueError):
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in _IO_CALLS:
                return True
    return False


def _files(root: Path) -> list[Path]:
    found = []
    for path in sorted(root.rglob("*")):
        if any(part in _SKIP_DIRS for part in path.relative_to(root).parts) or not path.is_file():
            continue
        found.append(path)
    return found


def _is_placeholder(name: str) -> bool:
    return (
        "${" in name
        or "{{" in name
        or any(len(part) > 4 and part.startswith("__") and part.endswith("__") for part in name.split("."))
    )


def scan_json(root: Path, dialect: str | None) -> tuple[dict[str, Any], float]:
    cli = Path(sys.executable).with_name("datatrail")
    command = [str(cli), "scan", str(root), "--format", "json", "--no-cache"]
    if dialect:
        command += ["--dialect", dialect]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=root, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"datatrail exited {done.returncode}: {done.stderr[-2000:]}")
    return json.loads(done.stdout), elapsed


def report(root: Path, dialect: str | None, verbose: bool, failures: bool) -> dict[str, Any]:
    data, elapsed = scan_json(root, dialect)
    files = _files(root)
    rel = {p: p.relative_to(root).as_posix() for p in files}
    jobs_by_path: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for job in data["jobs"]:
        jobs_by_path[job["path"]].append(job)
    diagnostics_by_path: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for d in data["diagnostics"]:
        diagnostics_by_path[d["path"]].append(d)

    sql = [p for p in files if is_sql_file(rel[p])]
    moving = [p for p in sql if moves_data(p.read_text(encoding="utf-8", errors="replace"))]
    with_target = [p for p in moving if any(j["outputs"] for j in jobs_by_path[rel[p]])]
    with_job = [p for p in moving if jobs_by_path[rel[p]]]
    python = [p for p in files if p.suffix in (".py", ".ipynb")]
    python_jobs = [p for p in python if jobs_by_path[rel[p]]]
    python_io_files = [p for p in python if p.suffix == ".py" and python_io(p)]
    python_silent = [p for p in python_io_files if not jobs_by_path[rel[p]]]

    touched: dict[str, set[str]] = collections.defaultdict(set)
    for job in data["jobs"]:
        for name in (*job["inputs"], *job["outputs"]):
            if _is_placeholder(name):
                touched[name].add(job["path"])
    shared = {name: paths for name, paths in touched.items() if len(paths) > 1}

    codes = collections.Counter(d["code"] for d in data["diagnostics"])
    sql_errors = sorted({d["path"] for d in data["diagnostics"] if d["code"].startswith("DT1")})
    pct = 100 * len(with_target) / len(moving) if moving else 100.0
    print(f"{root}: {elapsed:.1f} s")
    print(f"  SQL files {len(sql)}; moving data {len(moving)}; with a job writing a target "
          f"{len(with_target)} ({pct:.1f}%); with any job {len(with_job)}")  # fmt: skip
    print(f"  SQL files with a DT1xx diagnostic: {len(sql_errors)}")
    print(f"  placeholder tables {len(touched)}; shared by files {len(shared)}")
    if python:
        crashes = sorted({d["path"] for d in data["diagnostics"] if d["code"] == "DT900"})
        print(f"  Python files {len(python)}; with a job {len(python_jobs)}; crashed (DT900) {len(crashes)}; "
              f"calling read/write APIs {len(python_io_files)}, of which with no job {len(python_silent)}")  # fmt: skip
    print("  diagnostics: " + ", ".join(f"{c} {n}" for c, n in sorted(codes.items())))
    for name, paths in sorted(shared.items()):
        print(f"  shared placeholder {name}: {', '.join(sorted(paths))}")
    if failures:
        for p in moving:
            if p in with_target:
                continue
            first = next((d for d in diagnostics_by_path[rel[p]] if d["code"].startswith("DT1")), None)
            why = f"{first['code']} {first['line']}: {first['message'][:160]}" if first else "no job, no diagnostic"
            print(f"  no target: {rel[p]}: {why}")
        for p in python_silent:
            print(f"  no Python flow: {rel[p]}")
    if verbose:
        for d in data["diagnostics"]:
            print(f"  {d['path']}:{d['line']}:{d['column']}: {d['code']} {d['message'][:200]}")
    return {"sql": len(sql), "moving": len(moving), "with_target": len(with_target), "shared": len(shared)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", type=Path, nargs="+")
    parser.add_argument("--dialect")
    parser.add_argument("--failures", action="store_true", help="list data-moving SQL files without a job")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every diagnostic")
    args = parser.parse_args(argv)
    for path in args.paths:
        report(path.resolve(), args.dialect, args.verbose, args.failures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
