"""Source text of Python nodes is sliced from the source by position, not regenerated."""

from __future__ import annotations

import json

import libcst as cst

from extractor.python.project import ModuleInfo


def test_code_of_a_node_is_its_source_slice_with_whitespace_collapsed() -> None:
    text = 'import pandas as pd\n\nné = 1\ndf = (\n    pd.read_csv("é.csv")\n    .rename(columns={"a": "b"})\n)\n'
    info = ModuleInfo("p.py", "p", text)
    (unit,) = info.parse()
    calls = [n for n in unit.positions if isinstance(n, cst.Call)]
    outer = max(calls, key=lambda n: len(unit.module.code_for_node(n)))
    assert unit.code(outer) == 'pd.read_csv("é.csv") .rename(columns={"a": "b"})'
    inner = min(calls, key=lambda n: len(unit.module.code_for_node(n)))
    assert unit.code(inner) == 'pd.read_csv("é.csv")'


def test_notebook_cells_slice_their_own_source() -> None:
    cell = {"cell_type": "code", "source": ["x = 1\n", "y = foo(x,\n", "        2)\n"], "metadata": {}, "outputs": []}
    text = json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    (unit,) = ModuleInfo("n.ipynb", "n", text).parse()
    (call,) = [n for n in unit.positions if isinstance(n, cst.Call)]
    assert unit.code(call) == "foo(x, 2)"
