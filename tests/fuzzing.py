"""Generated and mutated SQL for fuzzing ``analyze_sql``; shared by tests/test_fuzz.py and benchmarks/fuzz.py.

Every case is a three-statement script: a good statement, the generated one, and another good
statement. Whatever the middle statement does, the good statements must keep their lineage
(the second only when the middle one tokenizes on its own: an unterminated string legitimately
swallows what follows), ``analyze_sql`` must return (never raise), and the time it takes must
stay within a budget.
"""

from __future__ import annotations

import random
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from sqlglot import exp

import extractor
from extractor.sql.naming import get_dialect

ROOT = Path(__file__).resolve().parent.parent
DIALECTS = (
    "postgres", "mysql", "bigquery", "snowflake", "spark", "duckdb", "tsql", "trino", "clickhouse", "redshift",
    "hive", "oracle", "sqlite", "databricks",
)  # fmt: skip
GOOD_BEFORE = "INSERT INTO fuzz.good_a SELECT x FROM fuzz.src_a"
GOOD_AFTER = "INSERT INTO fuzz.good_b SELECT y FROM fuzz.src_b"

#: Tokens and fragments the mutator inserts: operators dialects disagree on, brackets, quotes,
#: comment openers, Jinja markers and keywords that change how a statement is read.
VOCABULARY = (
    "(", ")", "[", "]", "{", "}", ",", ".", "*", "?", "->", "->>", "#>>", "@>", "::", ":", "=>", "||", "$1", "@x",
    "'", '"', "`", "--", "/*", "*/", "{{", "}}", "{%", "%}", "$$", "select", "from", "where", "join", "on",
    "using", "union all", "with", "as", "over (", "partition by", "group by", "order by", "case when", "then",
    "else", "end", "lateral", "unnest(", "pivot(", "qualify", "insert into", "values", "merge into", "begin",
    "end;", "go", "null", "interval", "date", "cast(", "as int)", "-", "1e999", "0x", "N'", "e'", "\\", "\x00",
    "\u00e9", "\u202e", "\ufeff", "1" * 40,
)  # fmt: skip

TABLES = ("t", "s.orders", "db.s.customers", "`p.d.t`", '"Q"."T"', "[dbo].[x]", "fuzz.src_a")
COLUMNS = ("a", "b", "id", "amount", "t.a", "x.y.z", '"Col"', "`c`", "*")
_FUNCTIONS = sorted(name for name in exp.FUNCTION_BY_NAME if name.isidentifier())


def seed_statements() -> list[str]:
    """Statements of the golden SQL fixtures: realistic material for the mutator."""
    found: list[str] = []
    for path in sorted((ROOT / "fixtures" / "sql").rglob("*.sql")):
        text = path.read_text(encoding="utf-8", errors="replace")
        found.extend(part.strip() for part in text.split(";") if part.strip())
    return found or ["select a, b from t where a > 1"]


def random_expression(rng: random.Random, depth: int = 0) -> str:
    """A random expression: columns, literals, operators and calls of any sqlglot function."""
    roll = rng.random()
    if depth > 3 or roll < 0.3:
        return rng.choice((*COLUMNS[:-1], "1", "'s'", "null", "true", "2.5", "date '2024-01-01'", "?"))
    if roll < 0.65:
        name = rng.choice(_FUNCTIONS)
        args = ", ".join(random_expression(rng, depth + 1) for _ in range(rng.randint(0, 4)))
        return f"{name}({args})"
    if roll < 0.85:
        op = rng.choice(("+", "-", "*", "/", "||", "=", "<>", "and", "or", "->", "->>", "::", "?", "like", "is"))
        return f"{random_expression(rng, depth + 1)} {op} {random_expression(rng, depth + 1)}"
    return f"({random_expression(rng, depth + 1)})"


def random_statement(rng: random.Random) -> str:
    """A random SELECT/INSERT/CTE statement built from random expressions."""
    columns = ", ".join(f"{random_expression(rng)} as c{i}" for i in range(rng.randint(1, 4)))
    query = f"select {columns} from {rng.choice(TABLES)}"
    for _ in range(rng.randint(0, 2)):
        query += f" {rng.choice(('join', 'left join', 'cross join'))} {rng.choice(TABLES)} as j{rng.randint(0, 9)}"
        if rng.random() < 0.7:
            query += f" on {random_expression(rng)}"
    if rng.random() < 0.5:
        query += f" where {random_expression(rng)}"
    if rng.random() < 0.3:
        query += f" group by {random_expression(rng)}"
    if rng.random() < 0.3:
        query = f"with w as ({query}) select * from w"
    if rng.random() < 0.4:
        query = f"insert into fuzz.out_{rng.randint(0, 9)} {query}"
    return query


def mutate(rng: random.Random, text: str, rounds: int | None = None) -> str:
    """Apply 1-4 random edits: insert, delete, duplicate, swap, truncate, wrap in brackets."""
    for _ in range(rounds if rounds is not None else rng.randint(1, 4)):
        n = len(text)
        i, j = sorted((rng.randint(0, n), rng.randint(0, n)))
        op = rng.randrange(7)
        if op == 0:
            text = text[:i] + " " + rng.choice(VOCABULARY) + " " + text[i:]
        elif op == 1:
            text = text[:i] + text[j:]
        elif op == 2:
            text = text[:j] + text[i:j] + text[j:]
        elif op == 3:
            k = rng.randint(0, n)
            text = text[:i] + text[k:] + text[i:k] if k > i else text
        elif op == 4:
            text = text[:j]
        elif op == 5:
            times = rng.randint(1, 30)
            text = text[:i] + "(" * times + text[i:j] + ")" * times + text[j:]
        else:
            text = text[:i] + rng.choice(VOCABULARY) + text[i:]
    return text


def case(rng: random.Random, seeds: list[str]) -> tuple[str, str]:
    """One fuzz case: (dialect, statement), generated or a mutated fixture statement."""
    dialect = rng.choice(DIALECTS)
    roll = rng.random()
    if roll < 0.35:
        return dialect, random_statement(rng)
    if roll < 0.5:
        return dialect, mutate(rng, random_statement(rng))
    return dialect, mutate(rng, rng.choice(seeds))


@dataclass
class Outcome:
    """What one case did."""

    seconds: float
    uncaught: str | None = None  # "ExceptionType at file:line" when analyze_sql raised
    lost: bool = False  # a good statement's lineage is missing
    internal: int = 0  # DT900 diagnostics (internal errors)


def script(statement: str) -> str:
    return f"{GOOD_BEFORE};\n{statement}\n;\n{GOOD_AFTER};\n"


def run_case(dialect: str, statement: str) -> Outcome:
    """Analyse one case; never raises."""
    started = time.perf_counter()
    try:
        result = extractor.analyze_sql(script(statement), dialect=dialect)
    except Exception as e:
        frame = traceback.extract_tb(e.__traceback__)[-1]
        where = f"{Path(frame.filename).name}:{frame.lineno}"
        return Outcome(time.perf_counter() - started, f"{type(e).__name__} at {where}")
    seconds = time.perf_counter() - started
    targets = {t for s in result.statements for t in s.target_tables}
    lost = "fuzz.good_a" not in targets or ("fuzz.good_b" not in targets and _tokenizes(statement, dialect))
    internal = sum(d.code == "DT900" for d in result.diagnostics)
    return Outcome(seconds, None, lost, internal)


def _tokenizes(statement: str, dialect: str) -> bool:
    try:
        tokens = get_dialect(dialect).tokenize(statement)
    except Exception:
        return False
    # A command token (T-SQL ``GO``, ``EXECUTE`` …) or a block opener may swallow what follows.
    swallowing = {"COMMAND", "BEGIN", "EXECUTE"}
    return not any(t.token_type.name in swallowing for t in tokens)


# -- whole files through scan ---------------------------------------------------------------------

GOOD_SQL = "INSERT INTO mart.good SELECT id, amount FROM raw.orders;\n"
GOOD_PY = "import pandas as pd\npd.read_csv('in/good.csv').to_parquet('out/good.parquet')\n"
PY_SEED = (
    "import pandas as pd\nfrom pyspark.sql import functions as F\n\n"
    "def load(path):\n    df = pd.read_csv(path)\n    df['total'] = df['a'] + df['b']\n"
    "    return df[['id', 'total']]\n\n"
    "load('in/x.csv').to_parquet(f'out/{1 + 2}.parquet')\n"
)
JINJA_SEED = "insert into {{ params.schema }}.daily\nselect {% for c in ['a', 'b'] %}{{ c }}, {% endfor %}id from raw.t"
YAML_SEED = "tables:\n  raw.orders:\n    columns: [id, amount]\n  raw.customers: {columns: [id, email]}\n"
TOML_SEED = '[tool.datatrail]\ndialect = "postgres"\npaths = ["."]\n[tool.datatrail.python]\nmax_call_depth = 3\n'


def mutate_text(rng: random.Random, text: str) -> str:
    """1-4 random edits of a file's text (inserts from VOCABULARY and YAML/Python punctuation, cuts, copies)."""
    for _ in range(rng.randint(1, 4)):
        i = rng.randint(0, len(text))
        roll = rng.random()
        if roll < 0.4:
            text = text[:i] + rng.choice((*VOCABULARY, "\n", "    ", ":", "*", "&a", "[", "{{", "%}", "'''")) + text[i:]
        elif roll < 0.7:
            text = text[:i] + text[i + rng.randint(1, 20) :]
        else:
            j = rng.randint(i, len(text))
            text = text[:j] + text[i:j] + text[j:]
    return text


FILE_KINDS = ("python", "jinja", "yaml", "toml")
GOOD_EDGES = {"raw.orders->mart.good", "in/good.csv->out/good.parquet"}


def file_case(rng: random.Random, kind: str) -> dict[str, str]:
    """A small repository: the good files and one mutated file of ``kind``."""
    files = {"good.sql": GOOD_SQL, "good.py": GOOD_PY}
    if kind == "python":
        files["bad.py"] = mutate_text(rng, PY_SEED)
    elif kind == "jinja":
        files["bad.sql"] = mutate_text(rng, JINJA_SEED)
    elif kind == "yaml":
        files["schema.yml"] = mutate_text(rng, YAML_SEED)
    else:
        files["pyproject.toml"] = mutate_text(rng, TOML_SEED)
    return files


def scan_files(root: Path, files: dict[str, str]) -> tuple[set[str], set[str]]:
    """(table edges, diagnostic codes) of a scan of ``files`` written under ``root``; {"config"} when
    the mutated pyproject.toml is rejected (a usage error, which is right)."""
    from extractor.config import load_config
    from extractor.errors import ConfigError
    from extractor.scan import scan

    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        config = load_config(root)
    except ConfigError:
        return set(), {"config"}
    config.schema_files = ["schema.yml"] if "schema.yml" in files else []
    try:
        graph = scan([root], config)
    except ConfigError:  # a section's wrong value, found when the feature reads it: a usage error too
        return set(), {"config"}
    return {f"{e.source}->{e.target}" for e in graph.edges}, {d.code for d in graph.diagnostics}
