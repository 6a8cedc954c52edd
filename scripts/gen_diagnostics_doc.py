"""Regenerate docs/diagnostics.md from extractor.codes.CODES (tests check they agree)."""

from __future__ import annotations

from pathlib import Path

from extractor.codes import CODES

HEADER = """# Diagnostics

Every problem prints as `path:line:col: CODE message`. Nothing stops a scan: a bad file or
statement becomes a diagnostic and the rest of the repository is still analysed. Columns that
cannot be resolved stay in the graph as explicit unknowns next to their diagnostic.

| code | severity | meaning |
| --- | --- | --- |
"""
FOOTER = """
`--strict` makes `datatrail scan` exit 1 when any `error` diagnostic is found.
"""


def main() -> None:
    rows = "".join(f"| `{code}` | {sev.value} | {meaning} |\n" for code, (sev, meaning) in CODES.items())
    target = Path(__file__).resolve().parent.parent / "docs" / "diagnostics.md"
    target.write_text(HEADER + rows + FOOTER, encoding="utf-8")


if __name__ == "__main__":
    main()
