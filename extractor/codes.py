"""Diagnostic codes. Each code is stable: CI configs and baselines refer to them."""

from __future__ import annotations

from .model import Severity

#: code -> (severity, one-line meaning). docs/diagnostics.md is checked against this table.
CODES: dict[str, tuple[Severity, str]] = {
    "DT001": (Severity.ERROR, "file is binary or not valid UTF-8; skipped"),
    "DT002": (Severity.INFO, "file is empty; skipped"),
    "DT003": (Severity.WARNING, "configuration problem"),
    "DT004": (Severity.WARNING, "dependency cycle between files; they are analysed in path order"),
    "DT005": (Severity.ERROR, "analysis of a file stopped at its time or memory budget; its lineage is missing"),
    "DT010": (Severity.WARNING, "git: a commit's objects are missing (partial or shallow clone); history skips it"),
    "DT100": (Severity.ERROR, "SQL statement could not be parsed; the rest of the file is still analysed"),
    "DT101": (Severity.WARNING, "statement type is not understood; no lineage taken from it"),
    "DT102": (Severity.ERROR, "SQL statement too deeply nested or too complex to analyse in bounded time; skipped"),
    "DT110": (Severity.WARNING, "column is ambiguous between several sources"),
    "DT111": (Severity.WARNING, "column could not be resolved to a source"),
    "DT112": (Severity.INFO, "star over a dataset with unknown columns; kept as an all-columns edge"),
    "DT113": (Severity.WARNING, "construct approximated: lineage is coarser than the SQL"),
    "DT200": (Severity.ERROR, "dbt: Jinja template syntax error; the model is skipped"),
    "DT201": (Severity.WARNING, "dbt: unknown macro rendered as a placeholder"),
    "DT202": (Severity.WARNING, "dbt/Jinja: undefined variable rendered as a placeholder"),
    "DT203": (Severity.WARNING, "dbt: ref() or source() names nothing in the project; kept as an unknown dataset"),
    "DT204": (Severity.INFO, "dbt: run_query/statement has no result without a warehouse; rendered as empty"),
    "DT205": (Severity.ERROR, "dbt/Jinja: the sandbox blocked an unsafe operation"),
    "DT206": (Severity.WARNING, "dbt: project or YAML file problem"),
    "DT207": (Severity.INFO, "dbt: models skipped as disabled, and why"),
    "DT300": (Severity.ERROR, "Python: syntax error; the file is skipped"),
    "DT301": (Severity.WARNING, "Python: path or table name not resolvable statically; kept as an unknown dataset"),
    "DT302": (Severity.INFO, "Python: opaque step (UDF, apply …); all inputs flow to all outputs"),
    "DT303": (Severity.WARNING, "Python: SQL built at run time could not be recovered statically"),
    "DT304": (Severity.ERROR, "Python: notebook could not be read"),
    "DT305": (Severity.WARNING, "Python: the origin of a DataFrame is unknown"),
    "DT500": (Severity.ERROR, "policy: a change violates [tool.datatrail.policy]"),
    "DT501": (Severity.INFO, "policy: a change is allowed by [tool.datatrail.policy] allow, with its justification"),
    "DT600": (Severity.WARNING, "governance: a tag or anonymising declaration names no existing column"),
    "DT601": (Severity.ERROR, "governance: a tagged column flows where [[tool.datatrail.policy.flows]] denies it"),
    "DT900": (Severity.ERROR, "internal error while analysing; this file's findings may be partial"),
}

FILE_UNREADABLE = "DT001"
FILE_EMPTY = "DT002"
CONFIG = "DT003"
CYCLE = "DT004"
BUDGET = "DT005"
OBJECTS_MISSING = "DT010"
SQL_SYNTAX = "DT100"
SQL_UNSUPPORTED = "DT101"
SQL_TOO_COMPLEX = "DT102"
COLUMN_AMBIGUOUS = "DT110"
COLUMN_UNRESOLVED = "DT111"
STAR_UNKNOWN = "DT112"
APPROXIMATED = "DT113"
POLICY_VIOLATION = "DT500"
POLICY_ALLOWED = "DT501"
TAG_UNMATCHED = "DT600"
FLOW_DENIED = "DT601"
INTERNAL = "DT900"


def severity(code: str) -> Severity:
    return CODES[code][0]
