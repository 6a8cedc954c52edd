"""End to end: SQL builds a feature table, Python exports it, engineers features, trains a model.

One graph must run from the raw tables to the model file, at dataset and at column level.
"""

from __future__ import annotations

import networkx as nx

from extractor.config import load_config
from extractor.model import DatasetKind
from extractor.scan import scan

from .conftest import REPO

E2E = REPO / "fixtures" / "python" / "e2e_repo"
MODEL = "models/churn.joblib"


def test_raw_tables_reach_the_model() -> None:
    graph = scan([E2E], load_config(E2E))
    assert not [d for d in graph.diagnostics if d.severity.value == "error"], graph.diagnostics
    assert graph.datasets[MODEL].kind is DatasetKind.MODEL
    assert {"raw.orders", "raw.customers"} <= graph.upstream(MODEL)

    columns = graph.column_graph()
    # revenue_per_order = SUM(raw.orders.amount) / COUNT(raw.orders.order_id), then a feature of the model
    assert nx.has_path(columns, ("raw.orders", "amount"), (MODEL, "revenue_per_order"))
    assert nx.has_path(columns, ("raw.orders", "order_id"), (MODEL, "orders"))
    assert nx.has_path(columns, ("raw.customers", "signup_date"), (MODEL, "tenure_days"))
    assert nx.has_path(columns, ("raw.orders", "ordered_at"), (MODEL, "days_since_last_order"))
    assert nx.has_path(columns, ("raw.customers", "churned"), (MODEL, "churned"))
    # the country column is not a feature: it must not reach the model
    assert (MODEL, "country") not in columns
    assert "country" not in graph.datasets[MODEL].columns


def test_sql_and_python_share_dataset_names() -> None:
    graph = scan([E2E], load_config(E2E))
    export_job = next(j for j in graph.jobs.values() if j.path == "pipelines/export_features.py")
    assert export_job.inputs == {"features.customer_features"}
    assert graph.datasets["data/features.parquet"].columns[:3] == ["customer_id", "signup_date", "country"]
