"""One constructor for the diagnostics dbt support reports (codes DT200-DT206 and the SQL ones)."""

from __future__ import annotations

from .. import codes
from ..model import Diagnostic


def diagnostic(code: str, path: str, line: int, message: str, column: int = 1) -> Diagnostic:
    """``path:line:column: CODE message`` with the severity the code is registered with."""
    return Diagnostic(path, max(1, line), max(1, column), codes.severity(code), code, message)
