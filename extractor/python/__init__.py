"""Python pipeline lineage with libcst: pandas, PySpark, polars, SQL in Python, Airflow, ML models.

The entry point is ``extractor.python.scan.analyse_modules``. This package imports nothing on its
own, so that reading ``[tool.datatrail.python]`` (python/settings.py) does not load libcst.
"""
