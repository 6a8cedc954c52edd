"""Python pipeline lineage with libcst: pandas, PySpark, polars, SQL in Python, Airflow, ML models."""

from __future__ import annotations

from .scan import analyse_modules

__all__ = ["analyse_modules"]
