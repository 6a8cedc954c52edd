"""Validating a configured dialect without loading sqlglot, in step with sqlglot itself."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlglot.dialects.dialect import Dialect

from extractor.config import check_dialect
from extractor.errors import ConfigError
from extractor.sql.dialect_names import DIALECT_ALIASES, is_builtin_dialect
from extractor.sql.naming import get_dialect


def test_every_sqlglot_dialect_is_known_without_sqlglot() -> None:
    names = [n for n in Dialect.classes if n]
    assert len(names) > 20
    assert all(is_builtin_dialect(n) and is_builtin_dialect(n.upper()) for n in names)
    assert all(is_builtin_dialect(alias) for alias in DIALECT_ALIASES)


@pytest.mark.parametrize("name", ["nosuch", "dialect", "__init__", "mysql, normalization_strategy = lowercase", "../x"])
def test_anything_else_is_left_to_sqlglot(name: str) -> None:
    assert not is_builtin_dialect(name)
    try:
        get_dialect(name)
    except ValueError:
        with pytest.raises(ConfigError, match="unknown SQL dialect"):
            check_dialect(name, "")
    else:
        check_dialect(name, "")  # a name sqlglot takes (dialect settings) is valid


def test_checking_a_dialect_does_not_import_sqlglot() -> None:
    code = "import sys; from extractor.config import check_dialect; check_dialect('snowflake', ''); "
    code += "print('sqlglot' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
