"""Speed of the Python scan: 1,000 generated pipeline files, cold, in a fresh process.

    python benchmarks/python_scan.py            # 1,000 files, prints files/s and the wall time
    python benchmarks/python_scan.py --files 200 --keep /tmp/bench-repo
    python benchmarks/python_scan.py --files 50 --chain 400   # mostly the long-chain figure

The generated repository mixes the pattern families datatrail recognizes (pandas, PySpark,
polars, SQL in Python, scikit-learn/torch/mlflow, Airflow DAGs) with shared helper modules
imported across files, 60-120 lines per file. The scan runs in a child process so imports,
parsing and interpretation are all measured cold; the bar is 1,000 files in <= 20 s. A second
figure scans one file holding a single ``--chain``-call method chain (linear, not quadratic).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

BAR_SECONDS = 20.0

HELPERS = '''
"""Shared helpers of group {g}."""
import os
from pathlib import Path

import pandas as pd

BASE = Path("data") / "group{g}"
RAW = os.path.join("data", "raw", "group{g}")


def raw_path(name):
    return os.path.join(RAW, f"{{name}}.csv")


def load_events(name, columns=None):
    df = pd.read_csv(raw_path(name), usecols=columns)
    df = df[df["status"] != "deleted"]
    return df


def save(df, name):
    out = BASE / "clean" / f"{{name}}.parquet"
    df.to_parquet(out, index=False)
    return out


def add_amounts(df):
    df["amount"] = df["quantity"] * df["unit_price"]
    df["amount_eur"] = (df["amount"] / 1.1).round(2)
    return df
'''

PANDAS = '''
"""Pandas pipeline {i}."""
import argparse

import numpy as np
import pandas as pd

from helpers_{g} import add_amounts, load_events, save

COLUMNS = ["order_id", "customer_id", "quantity", "unit_price", "status", "country"]


def build(orders, customers):
    orders = add_amounts(orders)
    daily = (
        orders.groupby(["customer_id"])
        .agg(total=("amount", "sum"), n_orders=("order_id", "count"), avg_eur=("amount_eur", "mean"))
        .reset_index()
    )
    merged = customers.merge(daily, on="customer_id", how="left")
    merged = merged.rename(columns={{"total": "lifetime_value_{i}"}})
    merged["log_value"] = np.log1p(merged["lifetime_value_{i}"])
    merged["segment"] = np.where(merged["n_orders"] > 5, "loyal", "casual")
    merged = merged.drop(columns=["avg_eur"])
    merged = merged.sort_values("log_value")
    return merged[["customer_id", "lifetime_value_{i}", "log_value", "segment", "n_orders"]]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", default="data/raw/customers_{i}.parquet")
    parser.add_argument("--out", default="data/marts/customer_value_{i}.parquet")
    args = parser.parse_args()
    orders = load_events("orders_{i}", COLUMNS)
    customers = pd.read_parquet(args.customers)
    result = build(orders, customers)
    result.to_parquet(args.out, index=False)
    save(result, "customer_value_{i}")
    for region in ["eu", "us", "apac"]:
        part = result[result["segment"] == "loyal"]
        part.to_csv(f"exports/{{region}}/loyal_{i}.csv", index=False)


if __name__ == "__main__":
    main()
'''

SPARK = '''
"""Spark job {i}."""
from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F

spark = SparkSession.builder.appName("job_{i}").getOrCreate()
SOURCE = "s3://lake/raw/events_{i}/"
TARGET = "analytics.daily_events_{i}"


def clean(df):
    return (
        df.withColumn("event_date", F.to_date("event_ts"))
        .withColumn("amount_usd", F.col("amount") * F.col("fx_rate"))
        .filter(F.col("status") == "ok")
        .drop("fx_rate")
    )


def run():
    events = spark.read.format("parquet").option("mergeSchema", "true").load(SOURCE)
    users = spark.table("raw.users_{i}").select("user_id", "country", F.col("signup_ts").alias("signup"))
    cleaned = clean(events)
    joined = cleaned.join(users, on="user_id", how="left")
    w = Window.partitionBy("user_id").orderBy("event_ts")
    joined = joined.withColumn("rank", F.row_number().over(w))
    daily = joined.groupBy("event_date", "country").agg(
        F.sum("amount_usd").alias("revenue"),
        F.countDistinct("user_id").alias("users"),
        F.expr("avg(amount_usd) as avg_amount"),
    )
    daily.createOrReplaceTempView("daily_{i}")
    top = spark.sql("SELECT event_date, country, revenue FROM daily_{i} WHERE revenue > 100")
    top.write.mode("overwrite").partitionBy("event_date").saveAsTable(TARGET)
    daily.selectExpr("event_date", "revenue * 2 AS doubled").write.parquet("s3://lake/marts/doubled_{i}/")


if __name__ == "__main__":
    run()
'''

POLARS = '''
"""Polars job {i}."""
import polars as pl

IN = "data/raw/trips_{i}.parquet"


def transform(lf):
    return (
        lf.with_columns(
            (pl.col("dropoff") - pl.col("pickup")).alias("duration"),
            pl.col("fare").fill_null(0),
        )
        .filter(pl.col("duration") > 0)
        .group_by("zone")
        .agg(pl.col("fare").sum().alias("fares"), pl.col("duration").mean().alias("avg_duration"))
    )


lf = pl.scan_parquet(IN)
zones = pl.read_csv("data/ref/zones_{i}.csv").rename({{"LocationID": "zone"}})
out = transform(lf).collect().join(zones, on="zone", how="left")
out.write_parquet("data/marts/zone_stats_{i}.parquet")
'''

SQL = '''
"""Embedded SQL {i}."""
import pandas as pd
from sqlalchemy import create_engine, text

engine = create_engine("postgresql://warehouse")
SCHEMA = "mart"
QUERY = """
    SELECT c.customer_id, c.country, SUM(o.amount) AS revenue
    FROM raw.customers c
    JOIN raw.orders o ON o.customer_id = c.customer_id
    WHERE o.status = 'complete'
    GROUP BY c.customer_id, c.country
"""


def refresh(day):
    with engine.begin() as conn:
        conn.execute(text(f"DELETE FROM {{SCHEMA}}.revenue_{i} WHERE day = '{{day}}'"))
        conn.execute(text("INSERT INTO " + SCHEMA + ".revenue_{i} SELECT customer_id, revenue FROM staging.rev_{i}"))


df = pd.read_sql(QUERY, engine)
df["revenue_band"] = pd.cut(df["revenue"], bins=[0, 100, 1000, 10000])
df.to_sql("customer_revenue_{i}", engine, schema=SCHEMA, if_exists="replace", index=False)
refresh("2024-01-01")
'''

ML = '''
"""Training {i}."""
import joblib
import mlflow
import pandas as pd
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.model_selection import train_test_split

FEATURES = ["tenure", "orders", "spend", "visits"]
LABEL = "churned"


def load():
    df = pd.read_parquet("data/features/churn_{i}.parquet")
    df["spend_per_order"] = df["spend"] / df["orders"].clip(lower=1)
    return df


def train(df):
    X = df[FEATURES + ["spend_per_order"]]
    y = df[LABEL]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)
    model = GradientBoostingClassifier(n_estimators=50)
    model.fit(X_train, y_train)
    return model, X_test


with mlflow.start_run():
    data = load()
    model, X_test = train(data)
    joblib.dump(model, "models/churn_{i}.joblib")
    mlflow.sklearn.log_model(model, "model", registered_model_name="churn_{i}")
    preds = pd.DataFrame({{"prediction": model.predict(X_test)}})
    preds.to_csv("data/predictions/churn_{i}.csv", index=False)
'''

AIRFLOW = '''
"""DAG {i}."""
from datetime import datetime

from airflow import DAG
from airflow.operators.python import PythonOperator
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

import pandas as pd


def export(table, path):
    df = pd.read_sql_table(table, "postgresql://warehouse", schema="mart")
    df.to_csv(path, index=False)


with DAG("dag_{i}", start_date=datetime(2024, 1, 1), schedule="@daily") as dag:
    load = SQLExecuteQueryOperator(
        task_id="load",
        conn_id="warehouse",
        sql="INSERT INTO mart.daily_{i} SELECT id, amount FROM raw.payments_{i} WHERE ds = '{{{{ ds }}}}'",
    )
    dump = PythonOperator(
        task_id="export",
        python_callable=export,
        op_kwargs={{"table": "daily_{i}", "path": "exports/daily_{i}.csv"}},
    )
    load >> dump
'''

TEMPLATES = [PANDAS, SPARK, POLARS, SQL, ML, AIRFLOW]


def generate(root: Path, files: int) -> None:
    """Write ``files`` Python files (helpers included) under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text('[tool.datatrail]\ndialect = "postgres"\n', encoding="utf-8")
    groups = max(1, files // 20)
    written = 0
    for g in range(groups):
        if written >= files:
            break
        (root / f"helpers_{g}.py").write_text(textwrap.dedent(HELPERS.format(g=g)), encoding="utf-8")
        written += 1
    i = 0
    while written < files:
        template = TEMPLATES[i % len(TEMPLATES)]
        g = i % groups
        sub = root / "pipelines" / f"p{i % 40}"
        sub.mkdir(parents=True, exist_ok=True)
        text = textwrap.dedent(template.format(i=i, g=g))
        (sub / f"job_{i}.py").write_text(text, encoding="utf-8")
        written += 1
        i += 1


_CHILD = """
import json, sys, time
t0 = time.perf_counter()
from pathlib import Path
from extractor.config import load_config
from extractor.scan import scan
t1 = time.perf_counter()
root = Path(sys.argv[1])
graph = scan([root], load_config(root))
t2 = time.perf_counter()
crashes = sum(1 for d in graph.diagnostics if d.code == "DT900")
print(json.dumps({"import_s": t1 - t0, "scan_s": t2 - t1, "summary": graph.summary(), "crashes": crashes}))
"""


def long_chain(calls: int) -> str:
    """One pandas pipeline written as a single method chain of ``calls`` calls."""
    steps = "".join(f'    .rename(columns={{"c{k}": "c{k + 1}"}})\n' for k in range(calls))
    return f'import pandas as pd\n\ndf = pd.read_csv("in.csv")\nout = (\n    df\n{steps})\nout.to_csv("out.csv")\n'


def run_child(root: Path) -> tuple[float, dict[str, object] | None, str]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _CHILD, str(root)], capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        return wall, None, done.stderr
    return wall, json.loads(done.stdout.strip().splitlines()[-1]), ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--chain", type=int, default=400, help="calls in the long method chain measured alone")
    parser.add_argument("--keep", type=Path, help="generate into this directory and keep it")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp) / "repo"
        generate(root, args.files)
        wall, result, error = run_child(root)
        chain_root = Path(tmp) / "chain"
        chain_root.mkdir()
        (chain_root / "chain.py").write_text(long_chain(args.chain), encoding="utf-8")
        _, chain, chain_error = run_child(chain_root)
    if result is None or chain is None:
        print(error or chain_error, file=sys.stderr)
        return 1
    print(f"files        {args.files}")
    print(f"wall (cold)  {wall:.2f} s  (bar: {BAR_SECONDS:.0f} s for 1,000 files)")
    print(f"  imports    {result['import_s']:.2f} s")
    print(f"  scan       {result['scan_s']:.2f} s  ({args.files / max(result['scan_s'], 1e-9):.0f} files/s)")
    print(f"crashes      {result['crashes']}")
    print(f"summary      {json.dumps(result['summary'])}")
    print(f"long chain   {args.chain} calls in one expression: scan {chain['scan_s']:.2f} s")
    return 0 if wall <= BAR_SECONDS * args.files / 1000 and result["crashes"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
