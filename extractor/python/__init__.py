"""Python pipeline lineage with libcst: pandas, PySpark, polars, SQL in Python, Airflow, ML models."""

from __future__ import annotations

from .scan import scan_python

__all__ = ["scan_python"]
