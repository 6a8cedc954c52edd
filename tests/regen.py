"""Regenerate golden files: ``python -m tests.regen sql [CASE_SUBSTRING]``.

Prints which files changed; review every diff (``git diff fixtures/``) before committing.
"""

from __future__ import annotations

import json
import sys

from .golden import expected_path, sql_case_result, sql_cases, write_expected


def main(argv: list[str]) -> int:
    kind = argv[0] if argv else "sql"
    needle = argv[1] if len(argv) > 1 else ""
    if kind != "sql":
        print(f"unknown golden kind {kind!r}", file=sys.stderr)
        return 2
    for path in sql_cases():
        if needle not in str(path):
            continue
        data = sql_case_result(path)
        old = expected_path(path)
        if old.exists() and json.loads(old.read_text()) == data:
            continue
        write_expected(path, data)
        print(f"updated {old}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
