"""The bundled example repo: one graph from the raw tables to the exported training input."""

from __future__ import annotations

import networkx as nx

from extractor.config import load_config
from extractor.graph import LineageGraph
from extractor.model import DatasetKind
from extractor.scan import scan

from .conftest import EXAMPLE


def _graph() -> LineageGraph:
    return scan([EXAMPLE], load_config(EXAMPLE))


def test_no_diagnostics_and_expected_datasets() -> None:
    graph = _graph()
    assert graph.diagnostics == []
    kinds = {name: ds.kind for name, ds in graph.datasets.items()}
    assert kinds["staging.stg_orders"] is DatasetKind.VIEW
    assert kinds["labels"] is DatasetKind.TEMPORARY
    assert kinds["/data/exports/training_input.csv"] is DatasetKind.FILE
    assert graph.datasets["ml.training_input"].columns == [
        "customer_id", "age_years", "country_code", "lifetime_orders", "lifetime_revenue",
        "avg_order_value", "days_since_last_order", "sessions_90d", "avg_page_views", "churned",
    ]  # fmt: skip


def test_training_input_traces_back_to_raw_tables() -> None:
    g = _graph().to_networkx()
    upstream = nx.ancestors(g, "/data/exports/training_input.csv")
    assert {"raw.customers", "raw.orders", "raw.order_items", "raw.products", "raw.web_sessions"} <= upstream


def test_age_column_lineage_reaches_the_training_input() -> None:
    cg = _graph().column_graph()
    path = nx.shortest_path(cg, ("raw.customers", "birth_date"), ("ml.training_input", "age_years"))
    assert path == [
        ("raw.customers", "birth_date"),
        ("staging.stg_customers", "age_years"),
        ("marts.dim_customers", "age_years"),
        ("features.customer_features", "age_years"),
        ("ml.training_input", "age_years"),
    ]


def test_label_is_conditional_on_recency() -> None:
    graph = _graph()
    edges = {
        (je.edge.source.table, je.edge.source.column, je.edge.subtype.value)
        for je in graph.column_edges
        if je.edge.target == type(je.edge.target)("labels", "churned")
    }
    assert edges == {("features.customer_features", "days_since_last_order", "CONDITIONAL")}


def test_one_graph_from_raw_tables_to_the_model_file() -> None:
    graph = _graph()
    model = graph.datasets["models/churn_model.joblib"]
    assert model.kind is DatasetKind.MODEL
    assert "orders_per_year" in model.columns  # engineered in Python
    cg = graph.column_graph()
    path = nx.shortest_path(cg, ("raw.customers", "birth_date"), ("models/churn_model.joblib", "age_years"))
    assert path[-3:] == [
        ("ml.training_input", "age_years"),
        ("/data/exports/training_input.csv", "age_years"),
        ("models/churn_model.joblib", "age_years"),
    ]
    assert nx.has_path(cg, ("raw.orders", "order_id"), ("models/churn_model.joblib", "orders_per_year"))
