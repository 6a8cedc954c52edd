"""A cheap first pass over parsed statements: which tables each file reads and writes.

The scan uses it to analyse files in dependency order, so that the columns of an upstream
table are in the catalog before a downstream ``SELECT *`` over it is expanded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlglot import exp

from .naming import in_hint, literal_path

_WRITES = (exp.Insert, exp.Create, exp.Merge, exp.Update, exp.Copy, exp.Cache)


def reads_and_writes(statements: Iterable[exp.Expr], name: Callable[[exp.Table], str]) -> tuple[set[str], set[str]]:
    reads: set[str] = set()
    writes: set[str] = set()
    for statement in statements:
        target: exp.Expr | None = None
        if isinstance(statement, _WRITES):
            target = statement.this
            if isinstance(target, exp.Schema):
                target = target.this
            if isinstance(statement, exp.Copy) and not statement.args.get("kind"):
                target = None  # COPY table TO 'file' reads the table and writes the file
                writes.update(p for f in statement.args.get("files") or [] if (p := literal_path(f)))
        elif isinstance(statement, exp.Query):
            into = statement.args.get("into")
            target = into.this if isinstance(into, exp.Into) else None
        if isinstance(target, exp.Table) and target.name:
            writes.add(name(target))
        ctes = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
        for table in statement.find_all(exp.Table):
            if table is target or not table.name or in_hint(table):
                continue
            if not table.db and table.name.lower() in ctes:
                continue
            reads.add(name(table))
    return reads - writes, writes
