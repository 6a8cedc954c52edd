"""Messages that sqlglot builds in set order must not change with the hash seed."""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
import sys
from extractor import analyze_sql
result = analyze_sql("select 1 |, 2 from t; select a from t", dialect="snowflake")
print([str(d) for d in result.diagnostics])
"""


def test_incomplete_expression_messages_are_the_same_for_every_seed() -> None:
    outputs = set()
    for seed in ("1", "2", "3", "4", "5", "6"):
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT], env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        outputs.add(done.stdout)
    assert len(outputs) == 1
    assert "incomplete BitwiseOr expression" in outputs.pop()
