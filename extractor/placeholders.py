"""The names that stand for something a template did not say (``{{ params.table }}`` -> ``__params_table__``).

The Jinja sandbox writes them and the SQL core recognises them; this module imports nothing, so
recognising one does not load Jinja.
"""

from __future__ import annotations

import re


def placeholder_name(name: str) -> str:
    """``params.table`` -> ``__params_table__``: an identifier that says it stands for something."""
    cleaned = re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_") or "undefined"
    return f"__{cleaned}__"


def is_placeholder(name: str) -> bool:
    """Whether ``name`` is a placeholder for an unknown name or macro (``__x__``)."""
    return len(name) > 4 and name.startswith("__") and name.endswith("__")
