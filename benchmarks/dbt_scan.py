"""Benchmark and coverage report for dbt support.

    python benchmarks/dbt_scan.py [--models 1000] [--repeat 1]     # time a generated project
    python benchmarks/dbt_scan.py --project path/to/repo [...]      # coverage on a real project

Generated mode writes a deterministic dbt project to a temporary directory (40 staging models over
24-column sources, intermediate models with import CTEs, joins and windows, marts with stars over
refs, dbt_utils and cross-database macros, incremental models, a custom macro, a seed) and times
a cold ``datatrail scan`` of it in a new process, then ``extractor.scan`` in this one.

Project mode scans an existing tree and reports, over its dbt models and snapshots:
- model files analysed: model files (``.sql``/``.py`` under the model paths of every
  ``dbt_project.yml``, installed packages left out) that became a job with column lineage;
- model columns covered: columns of dbt models with at least one column edge into them, and of
  those the constants (a literal, NULL, ``current_timestamp`` …: an edge with no source);
- table-level lineage: the model has an upstream dataset (or its template makes no ref/source call);
- complete column lineage: the model's columns are known and every one of them resolves to
  sources (no unknown dataset, no unexpanded ``*``);
- crashes (DT900), the most frequent diagnostics, and the time taken.
"""

from __future__ import annotations

import argparse
import collections
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from extractor.config import load_config
from extractor.dbt.yaml_config import load_yaml, read_project_file
from extractor.graph import UNKNOWN_PREFIX, LineageGraph
from extractor.model import DatasetKind
from extractor.scan import scan

SOURCES = 40
SOURCE_COLUMNS = 24


def _source_columns(i: int) -> list[str]:
    base = ["id", "parent_id", "account_id", "status", "amount_cents", "created_at", "updated_at"]
    return base + [f"attr_{i}_{j}" for j in range(SOURCE_COLUMNS - len(base))]


def _staging_model(table: str, cols: list[str]) -> tuple[str, list[str]]:
    """A staging model: rename, cast, a macro per money column, a case, a cross-database macro."""
    items, out = [], []
    for c in cols:
        if c.endswith("_cents"):
            items.append(f"{{{{ cents_to_dollars('{c}') }}}} as {c[:-6]}")
            out.append(c[:-6])
        elif c.endswith("_at"):
            items.append(f"cast({c} as {{{{ dbt.type_timestamp() }}}}) as {c}")
            out.append(c)
        else:
            items.append(c)
            out.append(c)
    items.append("case when status in ('active', 'open') then true else false end as is_active")
    items.append("{{ dbt.date_trunc('day', 'created_at') }} as created_day")
    out += ["is_active", "created_day"]
    body = ",\n        ".join(items)
    sql = (
        f"with source as (\n    select * from {{{{ source('raw', '{table}') }}}}\n),\n\n"
        f"renamed as (\n    select\n        {body}\n    from source\n    where id is not null\n)\n\n"
        "select * from renamed\n"
    )
    return sql, out


def _intermediate_model(rng: random.Random, left: tuple[str, list[str]], right: tuple[str, list[str]],
                        incremental: bool) -> tuple[str, list[str]]:  # fmt: skip
    """Import CTEs over two refs, a join, an aggregate with windows, a final select."""
    (lname, lcols), (rname, rcols) = left, right
    picked = [c for c in lcols if c not in ("id", "account_id", "created_day", "amount")][:10]
    extra = [c for c in rcols if c not in ("id", "account_id", "created_day", "amount") and c not in picked][:4]
    config = "{{ config(materialized='incremental', unique_key='id') }}\n\n" if incremental else ""
    incremental_filter = (
        "\n    {% if is_incremental() %}\n    where l.created_day > (select max(created_day) from {{ this }})"
        "\n    {% endif %}"
        if incremental
        else ""
    )
    joined = ",\n        ".join([f"l.{c}" for c in picked] + [f"r.{c} as r_{c}" for c in extra])
    sql = (
        f"{config}with left_side as (\n    select * from {{{{ ref('{lname}') }}}}\n),\n\n"
        f"right_side as (\n    select * from {{{{ ref('{rname}') }}}}\n),\n\n"
        "joined as (\n    select\n        l.id,\n        l.account_id,\n        l.created_day,\n"
        f"        l.amount,\n        {joined},\n        r.amount as r_amount\n"
        "    from left_side as l\n    left join right_side as r on r.account_id = l.account_id"
        f"{incremental_filter}\n),\n\n"
        "windowed as (\n    select\n        *,\n"
        "        sum(amount) over (partition by account_id order by created_day) as running_amount,\n"
        "        row_number() over (partition by account_id order by created_day desc) as recency_rank,\n"
        "        {{ dbt.datediff('created_day', dbt.current_timestamp(), 'day') }} as age_days\n"
        "    from joined\n),\n\n"
        "final as (\n    select\n        "
        "{{ dbt_utils.generate_surrogate_key(['id', 'account_id']) }} as row_key,\n        *,\n"
        "        coalesce(amount, 0) + coalesce(r_amount, 0) as total_amount\n    from windowed\n"
        f"    where recency_rank <= {rng.randint(1, 9)}\n)\n\n"
        "select * from final\n"
    )
    cols = ["row_key", "id", "account_id", "created_day", "amount", *picked, *[f"r_{c}" for c in extra], "r_amount",
            "running_amount", "recency_rank", "age_days", "total_amount"]  # fmt: skip
    return sql, cols


def _mart_model(parts: list[tuple[str, list[str]]]) -> tuple[str, list[str]]:
    """A mart: one model's star plus aggregates of two others by account."""
    (bname, bcols), (aname, _), (cname, _) = parts
    sql = (
        f"with base as (\n    select {{{{ dbt_utils.star(ref('{bname}'), except=['row_key']) }}}}\n"
        f"    from {{{{ ref('{bname}') }}}}\n),\n\n"
        f"a as (\n    select account_id, sum(total_amount) as a_total, count(*) as a_rows\n"
        f"    from {{{{ ref('{aname}') }}}}\n    group by account_id\n),\n\n"
        f"c as (\n    select account_id, max(created_day) as c_last_day\n"
        f"    from {{{{ ref('{cname}') }}}}\n    group by 1\n)\n\n"
        "select\n    base.*,\n    a.a_total,\n    a.a_rows,\n    c.c_last_day,\n"
        "    case when a.a_total > 1000 then 'large' else 'small' end as account_size\n"
        "from base\nleft join a on a.account_id = base.account_id\nleft join c on c.account_id = base.account_id\n"
        "where base.created_day >= '{{ var(\"start_date\") }}'\n"
    )
    cols = [c for c in bcols if c != "row_key"] + ["a_total", "a_rows", "c_last_day", "account_size"]
    return sql, cols


def generate_project(root: Path, models: int, seed: int = 7) -> int:
    """Write a dbt project with ``models`` models (40 staging, then intermediate and marts) under ``root``."""
    rng = random.Random(seed)
    for folder in ("models/staging", "models/intermediate", "models/marts", "macros", "seeds"):
        (root / folder).mkdir(parents=True)
    (root / "dbt_project.yml").write_text(
        "name: bench\nprofile: bench\nmodels:\n  bench:\n    staging:\n      +materialized: view\n"
        "    intermediate:\n      +schema: intermediate\n    marts:\n      +materialized: table\n      +schema: marts\n"
        "vars:\n  start_date: '2020-01-01'\n"
    )
    (root / "pyproject.toml").write_text('[tool.datatrail]\ndialect = "snowflake"\n')
    (root / "macros" / "cents_to_dollars.sql").write_text(
        "{% macro cents_to_dollars(column_name, scale=2) -%}\n"
        "    ({{ column_name }} / 100)::numeric(16, {{ scale }})\n{%- endmacro %}\n"
    )
    (root / "seeds" / "country_codes.csv").write_text("country,country_name,region\nDE,Germany,EU\n")
    lines = ["version: 2", "sources:", "  - name: raw", "    schema: raw", "    tables:"]
    written: list[tuple[str, list[str]]] = []
    for i in range(min(SOURCES, models)):
        table = f"table_{i:02d}"
        cols = _source_columns(i)
        lines += [f"      - name: {table}", "        columns:", *(f"          - name: {c}" for c in cols)]
        sql, out = _staging_model(table, cols)
        (root / "models" / "staging" / f"stg_{table}.sql").write_text(sql)
        written.append((f"stg_{table}", out))
    (root / "models" / "staging" / "_sources.yml").write_text("\n".join(lines) + "\n")
    intermediates: list[tuple[str, list[str]]] = []
    i = 0
    while len(written) < models:
        i += 1
        if i % 4 == 0 and len(intermediates) >= 3:
            sql, cols = _mart_model(rng.sample(intermediates[-30:], 3))
            name, folder = f"fct_{i:04d}", "marts"
        else:
            left = rng.choice(written[:SOURCES])
            right = rng.choice(written[:SOURCES])
            sql, cols = _intermediate_model(rng, left, right, incremental=i % 5 == 0)
            name, folder = f"int_{i:04d}", "intermediate"
            intermediates.append((name, cols))
        (root / "models" / folder / f"{name}.sql").write_text(sql)
        written.append((name, cols))
    return len(written)


# -- coverage of a scanned project ---------------------------------------------------------------

_REF_OR_SOURCE = re.compile(r"\b(ref|source)\s*\(")


def model_files(root: Path) -> set[str]:
    """Model files (``.sql``/``.py`` under each project's model paths) of the dbt projects under
    ``root``, installed packages left out: what a user counts as "the project's models"."""
    files: set[str] = set()
    for project_file in root.rglob("dbt_project.yml"):
        rel = project_file.relative_to(root)
        if any(part in ("dbt_packages", "dbt_modules", "target", "node_modules") or part.startswith(".")
               for part in rel.parts[:-1]):  # fmt: skip
            continue
        spec = read_project_file(load_yaml(project_file, str(rel), []), str(rel), project_file.parent.name, [])
        for base in spec.model_paths:
            for path in (project_file.parent / base).rglob("*"):
                if path.suffix in (".sql", ".py") and path.is_file():
                    files.add(path.relative_to(root).as_posix())
    return files


def coverage(graph: LineageGraph, root: Path) -> dict[str, object]:
    """Table- and column-level coverage of the dbt models (and snapshots) of a scanned graph."""
    models = {name: ds for name, ds in graph.datasets.items() if ds.kind is DatasetKind.DBT_MODEL}
    inputs: dict[str, set[str]] = collections.defaultdict(set)
    for edge in graph.edges:
        inputs[edge.target].add(edge.source)
    bad_columns: dict[str, set[str]] = collections.defaultdict(set)
    for je in graph.column_edges:
        e = je.edge
        if e.target.column is None or e.target.table not in models:
            continue
        source = e.source.table or ""
        if source.startswith(UNKNOWN_PREFIX) or (e.source.column == "*" and not graph.datasets[source].columns):
            bad_columns[e.target.table or ""].add(e.target.column)
    analysed = {
        job.name[len(job.path) + 1 :] for job in graph.jobs.values() if job.attributes.get("column_lineage") is True
    }
    table_ok = column_ok = 0
    missing_table: list[str] = []
    incomplete: list[str] = []
    for name, ds in models.items():
        path = str(ds.attributes.get("path", ""))
        try:
            text = (root / path).read_text(encoding="utf-8")
        except OSError:
            text = ""
        if inputs[name] - {n for n in inputs[name] if n.startswith(UNKNOWN_PREFIX)} or not _REF_OR_SOURCE.search(text):
            table_ok += 1
        else:
            missing_table.append(path)
        if name in analysed and ds.columns and not bad_columns.get(name):
            column_ok += 1
        else:
            incomplete.append(path)
    codes = collections.Counter(d.code for d in graph.diagnostics)
    # Columns of models with at least one column edge into them (the "covered" columns); a
    # constant's edge has no source.
    targeted = {(je.edge.target.table, je.edge.target.column) for je in graph.column_edges}
    constant = {(je.edge.target.table, je.edge.target.column) for je in graph.column_edges if je.edge.constant}
    columns = [(name, c) for name, ds in models.items() for c in ds.columns]
    files = model_files(root)
    analysed_files = {job.path for job in graph.jobs.values() if job.attributes.get("column_lineage") is True}
    job_files = {job.path for job in graph.jobs.values() if job.kind == "dbt"}
    return {
        "models": len(models),
        "model_files": len(files),
        "model_files_analysed": len(files & analysed_files),
        "model_files_with_job": len(files & job_files),
        "model_columns": len(columns),
        "model_columns_covered": sum(1 for item in columns if item in targeted),
        "model_columns_constant": sum(1 for item in columns if item in constant),
        "uncovered": sorted(f"{name}.{c}" for name, c in columns if (name, c) not in targeted),
        "table_lineage": table_ok,
        "complete_column_lineage": column_ok,
        "crashes": codes.get("DT900", 0),
        "diagnostics": dict(codes.most_common()),
        "missing_table": sorted(missing_table),
        "incomplete": sorted(incomplete),
    }


def report_project(path: Path, verbose: int) -> None:
    config = load_config(path)
    started = time.perf_counter()
    graph = scan([path], config)
    elapsed = time.perf_counter() - started
    cov = coverage(graph, config.root)
    n = max(1, int(cov["models"]))  # type: ignore[call-overload]
    print(f"{path}: {cov['models']} models in {elapsed:.1f} s")
    files, cols = max(1, int(cov["model_files"])), max(1, int(cov["model_columns"]))  # type: ignore[call-overload]
    print(f"  model files analysed    {cov['model_files_analysed']} of {cov['model_files']} "
          f"({100 * int(cov['model_files_analysed']) / files:.1f} %)")  # type: ignore[call-overload]  # fmt: skip
    print(f"  model files with a job  {cov['model_files_with_job']} (disabled models have none: DT207)")
    print(f"  model columns covered   {cov['model_columns_covered']} of {cov['model_columns']} "
          f"({100 * int(cov['model_columns_covered']) / cols:.1f} %), of which constant "
          f"{cov['model_columns_constant']}")  # type: ignore[call-overload]  # fmt: skip
    print(f"  table-level lineage     {cov['table_lineage']} ({100 * int(cov['table_lineage']) / n:.1f} %)")  # type: ignore[call-overload]
    print(f"  complete column lineage {cov['complete_column_lineage']} "
          f"({100 * int(cov['complete_column_lineage']) / n:.1f} %)")  # type: ignore[call-overload]  # fmt: skip
    print(f"  crashes (DT900)         {cov['crashes']}")
    print(f"  diagnostics             {cov['diagnostics']}")
    if verbose:
        for label in ("missing_table", "incomplete", "uncovered"):
            print(f"  {label}:")
            for item in list(cov[label])[: 40 * verbose]:  # type: ignore[call-overload]
                print(f"    {item}")
    if verbose > 1:
        for d in sorted(graph.diagnostics)[: 200 * verbose]:
            if d.code not in ("DT112",):
                print(f"    {d}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--project", type=Path, action="append", default=[])
    parser.add_argument("-v", "--verbose", action="count", default=0)
    args = parser.parse_args(argv)
    if args.project:
        for path in args.project:
            report_project(path.resolve(), args.verbose)
        return 0
    with tempfile.TemporaryDirectory(prefix="datatrail-dbt-bench-") as tmp:
        root = Path(tmp)
        count = generate_project(root, args.models)
        # Cold: a fresh ``datatrail scan`` process, imports and all, as a user runs it.
        cli = Path(sys.executable).with_name("datatrail")
        started = time.perf_counter()
        subprocess.run([str(cli), "scan", str(root), "-o", str(root / "lineage.json"), "-q"], check=False)
        cold = time.perf_counter() - started
        timings = []
        for _ in range(args.repeat):
            config = load_config(root)
            started = time.perf_counter()
            graph = scan([root], config)
            timings.append(time.perf_counter() - started)
        cov = coverage(graph, root)
        print(f"generated dbt project: {count} models")
        print(f"cold scan (new datatrail process): {cold:.2f} s; {1000 * cold / count:.1f} ms per model")
        print(f"in-process scan: first {timings[0]:.2f} s, best of {args.repeat} {min(timings):.2f} s")
        print(f"table-level lineage {cov['table_lineage']}/{cov['models']}, complete column lineage "
              f"{cov['complete_column_lineage']}/{cov['models']}, crashes {cov['crashes']}")  # fmt: skip
        print(f"diagnostics {cov['diagnostics']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
