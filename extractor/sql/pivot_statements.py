"""DuckDB's statement-form PIVOT and UNPIVOT, rewritten to the standard clause form.

``PIVOT t ON col [IN (v, …)] USING agg(x) [AS a] [GROUP BY g]`` and
``UNPIVOT t ON a, b INTO NAME k VALUE v`` are whole queries in DuckDB (also as a CTE or a
subquery). sqlglot parses them as a ``Pivot`` node with the source in ``this``; lineage is read
from the equivalent ``SELECT * FROM t PIVOT (agg(x) FOR col IN (…))`` (``IN (ANY)`` when the
values come from the data), built from the parsed parts and parsed again by sqlglot in the same
dialect, so the value columns get the names the dialect gives them.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError


def is_statement_pivot(node: exp.Expr) -> bool:
    """A PIVOT/UNPIVOT written as a query of its own (its source in ``this``)."""
    return isinstance(node, exp.Pivot) and isinstance(node.this, (exp.Table, exp.Subquery))


def standard_pivot(node: exp.Pivot, dialect: Dialect) -> exp.Query | None:
    """The clause-form query equivalent to a statement-form PIVOT/UNPIVOT, or None when it uses
    a form not understood here (several ON columns, ``COLUMNS(…)``, no aggregation)."""
    source = node.this
    if not isinstance(source, (exp.Table, exp.Subquery)):
        return None
    source_sql = source.sql(dialect=dialect)
    if node.args.get("unpivot"):
        columns = list(node.expressions)
        if not columns or not all(isinstance(c, exp.Column) for c in columns):
            return None
        into = node.args.get("into")
        name_sql, value_sql = "name", "value"  # DuckDB's defaults
        if isinstance(into, exp.UnpivotColumns):
            name_sql = into.this.sql(dialect=dialect)
            values = into.expressions
            if len(values) != 1:
                return None
            value_sql = values[0].sql(dialect=dialect)
        in_sql = ", ".join(c.sql(dialect=dialect) for c in columns)
        text = f"SELECT * FROM {source_sql} UNPIVOT ({value_sql} FOR {name_sql} IN ({in_sql}))"
    else:
        ons = list(node.expressions)
        aggregations = list(node.args.get("using") or [])
        if len(ons) != 1 or not aggregations:
            return None
        on = ons[0]
        column, values = (on.this, list(on.expressions)) if isinstance(on, exp.In) else (on, [])
        if not isinstance(column, exp.Column):
            return None
        group = node.args.get("group")
        if isinstance(group, exp.Group):
            # Only the GROUP BY columns stay beside the value columns.
            kept: dict[str, None] = {}
            for e in [*group.expressions, column, *(c for a in aggregations for c in a.find_all(exp.Column))]:
                kept[e.sql(dialect=dialect)] = None
            source_sql = f"(SELECT {', '.join(kept)} FROM {source_sql})"
        in_sql = ", ".join(v.sql(dialect=dialect) for v in values) if values else "ANY"
        aggregation_sql = ", ".join(a.sql(dialect=dialect) for a in aggregations)
        text = f"SELECT * FROM {source_sql} PIVOT ({aggregation_sql} FOR {column.sql(dialect=dialect)} IN ({in_sql}))"
    try:
        query = sqlglot.parse_one(text, read=dialect)
    except ParseError:
        return None
    return query if isinstance(query, exp.Query) else None


def replace_statement_pivots(query: exp.Expr, dialect: Dialect) -> list[exp.Pivot]:
    """Rewrite the statement-form pivots inside ``query`` in place; return those left as they are."""
    left: list[exp.Pivot] = []
    for node in list(query.find_all(exp.Pivot)):
        if node is query or not is_statement_pivot(node):
            continue
        standard = standard_pivot(node, dialect)
        if standard is None:
            left.append(node)
        else:
            node.replace(standard)
    return left
