"""Column lineage of one query, walked over sqlglot's optimizer scopes.

For every output column of a query this finds the source-table columns it is computed from, with
the OpenLineage subtype of each flow, plus the columns that filter, join, group or sort the rows
(dataset-wide indirect lineage). It also builds each output's *inlined* expression: the SQL with
every alias and CTE reference replaced by what it stands for, so that renaming a CTE or an alias
leaves the expression, and therefore its fingerprint, unchanged.

Resolution never guesses: a column that cannot be pinned to one source becomes an unresolved
origin (table ``None``) together with a diagnostic.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers
from sqlglot.optimizer.scope import Scope, build_scope

from .. import codes
from ..model import Subtype
from ..placeholders import is_placeholder
from .catalog import SchemaCatalog
from .naming import (
    fold,
    identifier,
    in_hint,
    names_cast_by_argument,
    path_of_table,
    supports_lateral_alias,
    table_name,
)  # fmt: skip
from .parse import first_offset
from .pivot_statements import replace_statement_pivots

_RANK = {Subtype.IDENTITY: 0, Subtype.TRANSFORMATION: 1, Subtype.AGGREGATION: 2}
_INLINE_LIMIT = 600  # characters; deeper references are kept as ``cte.column``


def compose(outer: Subtype, inner: Subtype) -> Subtype:
    """Subtype of a flow through two steps: indirect wins, else the stronger direct one."""
    if outer not in _RANK:
        return outer
    if inner not in _RANK:
        return inner
    return outer if _RANK[outer] >= _RANK[inner] else inner


@dataclass(frozen=True, order=True)
class Origin:
    """A source column an output depends on; ``column`` None means all columns (unexpanded star)."""

    table: str | None
    column: str | None
    subtype: Subtype


#: While tracing, what an unknown macro's placeholder (``__macro__()``) contributes: a value of
#: unknown origin. It only keeps such an output from counting as a constant; ``analyze`` drops it.
_OPAQUE = Origin(None, None, Subtype.TRANSFORMATION)


@dataclass
class OutputLineage:
    name: str
    origins: set[Origin]
    transformation: str
    offset: int | None
    constant: bool = False  # the value reads no column (a literal, NULL, CURRENT_TIMESTAMP …)


@dataclass
class QueryLineage:
    outputs: list[OutputLineage]
    clause_origins: dict[Origin, str]  # origin -> inlined clause SQL
    source_tables: set[str]
    path_sources: set[str] = field(default_factory=set)
    clause_offsets: dict[str, int] = field(default_factory=dict)  # clause SQL -> where it starts


@dataclass
class _Output:
    name: str
    expr: exp.Expr | None = None
    via: tuple[str, str] | None = None  # (source key, column) for a column expanded from a star
    star_of: str | None = None  # source key of an unexpanded star
    node: exp.Expr | None = None


# Resolution of one column reference.
_TABLE, _SCOPE, _ALIAS, _UDTF, _UNRESOLVED, _CONST = range(6)


@dataclass
class _Resolved:
    how: int
    table: str | None = None  # _TABLE: normalized table name
    column: str = ""
    scope: Scope | None = None  # _SCOPE / _UDTF
    index: int = -1  # _SCOPE: output index; -1 with a name means "through an unexpanded star"
    expr: exp.Expr | None = None  # _ALIAS
    alias_scope: Scope | None = None
    others: tuple[_Resolved, ...] = ()  # USING columns, PIVOT values: several sources
    step: Subtype | None = None  # the flow's own subtype (PIVOT aggregation, struct field access)
    recursive: bool = False  # a recursive CTE's reference to itself (sqlglot resolves it to the anchor)


class QueryResolver:
    """Resolves the columns of one query; build one per statement."""

    def __init__(
        self,
        dialect: Dialect,
        catalog: SchemaCatalog,
        name_table: Callable[[exp.Table], str],
        report: Callable[[str, str, exp.Expr | None], None],
        variables: frozenset[str] = frozenset(),
    ) -> None:
        self.dialect = dialect
        self.variables = variables  # script variables (BigQuery DECLARE): constants, not columns
        self.catalog = catalog
        self.name_table = name_table
        self.report = report
        self._outputs: dict[int, list[_Output]] = {}
        self._traced: dict[tuple[int, int], frozenset[Origin]] = {}
        self._inlined: dict[tuple[int, int], str] = {}
        self._resolved: dict[int, _Resolved] = {}
        self._keys: dict[int, dict[str, str]] = {}
        self._in_progress: set[tuple[int, int]] = set()
        self._scope_of: dict[int, Scope] = {}
        self._clauses: dict[int, dict[Origin, str]] = {}
        self._reported: set[tuple[str, str]] = set()
        self._clause_offsets: dict[str, int] = {}
        self._alias_inlined: dict[int, str] = {}
        self._alias_origin_memo: dict[tuple[int, Subtype], set[Origin]] = {}
        self._table_names: dict[int, str] = {}
        self._output_index: dict[int, tuple[list[_Output], dict[str, int]]] = {}
        self._candidates: dict[int, tuple[list[str], bool]] = {}

    # -- entry point -----------------------------------------------------------------------------

    def analyze(self, query: exp.Expr) -> QueryLineage:
        """Lineage of ``query``. The query is normalized in place; pass a copy to keep the original."""
        for pivot in replace_statement_pivots(query, self.dialect):
            self._report(codes.SQL_UNSUPPORTED, "this PIVOT/UNPIVOT statement form is not understood", pivot)
        prepare(query, self.dialect)
        root = build_scope(query)
        if root is None:
            return QueryLineage([], {}, set())
        for scope in root.traverse():
            self._scope_of[id(scope.expression)] = scope
        sources: set[str] = set()
        paths: set[str] = set()
        for scope in root.traverse():
            for source in scope.sources.values():
                if isinstance(source, exp.Table):
                    name = self._table_source_name(source)
                    if name:
                        (paths if _is_path_table(source) else sources).add(name)
        ctes = {cte.alias_or_name for cte in query.find_all(exp.CTE)}
        for table in query.find_all(exp.Table):
            if (
                table.name
                and not (not table.db and table.name in ctes)
                and not isinstance(table.parent, exp.Into)
                and not in_hint(table)
            ):
                (paths if _is_path_table(table) else sources).add(self._table_source_name(table))
        outputs = []
        for i, out in enumerate(self.outputs(root)):
            offset = first_offset(out.node) if out.node is not None else None
            try:
                origins, text = set(self.trace(root, i)), self.inline(root, i)
                # Nothing read, not even an unknown macro's value: a constant. A star is never one
                # (its columns are unknown), nor an output with no expression to evaluate.
                constant = not origins and out.star_of is None and bool(text)
            except RecursionError:
                self._report(codes.APPROXIMATED, f"{out.name}: too deeply nested to trace", out.node)
                origins, text, constant = set(), "", False
            origins = {o for o in origins if not _is_opaque(o)}
            outputs.append(OutputLineage(out.name, origins, text, offset, constant))
        clauses = {o: text for o, text in self.clause_origins(root).items() if not _is_opaque(o)}
        lineage = QueryLineage(outputs, clauses, sources, paths)
        lineage.clause_offsets = dict(self._clause_offsets)
        return lineage

    def _table_source_name(self, table: exp.Table) -> str:
        known = self._table_names.get(id(table))
        if known is None:  # asked for every column resolved in the table: named once
            path = path_of_table(table)
            known = path if path is not None else self.name_table(table) if table.name else ""
            self._table_names[id(table)] = known
        return known

    # -- outputs of a scope ----------------------------------------------------------------------

    def outputs(self, scope: Scope) -> list[_Output]:
        key = id(scope)
        cached = self._outputs.get(key)
        if cached is not None:
            return cached
        self._outputs[key] = []  # recursion guard (recursive CTEs)
        expression = scope.expression
        result: list[_Output] = []
        if isinstance(expression, exp.SetOperation) and scope.set_operation_scopes:
            result = self._set_outputs(scope)
        elif isinstance(expression, exp.Select):
            for projection in expression.expressions:
                result.extend(self._projection_outputs(scope, projection))
        elif isinstance(expression, (exp.Lateral, exp.Unnest)) or scope.is_udtf:
            alias = expression.args.get("alias")
            if isinstance(alias, exp.TableAlias):
                cols = [identifier(c, self.dialect) for c in alias.columns]
                if not cols and alias.this:
                    cols = [identifier(alias.this, self.dialect)]
                result = [_Output(c, node=expression) for c in cols]
            offset = expression.args.get("offset") if isinstance(expression, exp.Unnest) else None
            if offset is not None:
                # BigQuery ``UNNEST(a) AS x WITH OFFSET AS pos``: the position is a column too.
                name = identifier(offset, self.dialect) if isinstance(offset, exp.Identifier) else "offset"
                result.append(_Output(name, node=expression))
        self._outputs[key] = result
        return result

    def _set_outputs(self, scope: Scope) -> list[_Output]:
        """Outputs of a set operation: the first branch names them.

        When the first branch selects a star of unknown columns, a later branch whose columns are
        all known names them instead (the rows line up by position, so its names are the best
        known); with no such branch the output stays an unexpanded star."""
        branches = [self.outputs(b) for b in scope.set_operation_scopes]
        first = branches[0]
        counts = [len(b) for b in branches if not any(o.star_of is not None for o in b)]
        if len(set(counts)) > 1:
            # Invalid SQL (every engine rejects it); what lines up by position is still known.
            kind = scope.expression.key.upper()
            message = (
                f"{kind} branches select different numbers of columns ({', '.join(map(str, counts))}): "
                f"columns are matched by position; those past the first branch's {len(first)} have no output"
            )
            self._report(codes.APPROXIMATED, message, scope.expression)
        if any(o.star_of is not None for o in first):
            for other in branches[1:]:
                if other and not any(o.star_of is not None for o in other):
                    return [_Output(o.name, node=o.node) for o in other]
            return [_Output(o.name, node=o.node, star_of=o.star_of) for o in first]
        return [_Output(o.name, node=o.node) for o in first]

    def _branch_positions(self, branch: Scope, index: int) -> list[int]:
        """Outputs of a set operation branch that can land at position ``index``.

        Past an unexpanded star the positions are unknown: any output from the star on can."""
        outs = self.outputs(branch)
        star = next((k for k, o in enumerate(outs) if o.star_of is not None), None)
        if star is None or index < star:
            return [index] if index < len(outs) else []
        return list(range(star, len(outs)))

    def _projection_outputs(self, scope: Scope, projection: exp.Expr) -> list[_Output]:
        star: exp.Star | None = None
        qualifier: str | None = None
        if isinstance(projection, exp.Star):
            star = projection
        elif isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
            star = projection.this
            qualifier = projection.table
        if isinstance(projection, exp.Aliases):
            # ``explode(m) AS (k, v)``: one function, several named outputs.
            return [
                _Output(identifier(a, self.dialect), expr=projection.this, node=projection)
                for a in projection.expressions
            ]
        if isinstance(projection, exp.QueryTransform) and isinstance(projection.args.get("schema"), exp.Schema):
            # Hive ``TRANSFORM(a, b) USING 'script' AS (c, d)``: the script makes every output of all inputs.
            schema = projection.args["schema"]
            return [
                _Output(identifier(c.this if isinstance(c, exp.ColumnDef) else c, self.dialect), expr=projection,
                        node=projection)
                for c in schema.expressions
            ]  # fmt: skip
        if star is None:
            name = self._output_name(projection)
            return [_Output(name, expr=projection.unalias(), node=projection)]

        excluded = {
            identifier(c.this if isinstance(c, exp.Column) else c, self.dialect)
            for c in star.args.get("except_") or star.args.get("except") or []
        }
        replaced = {
            identifier(r.alias, self.dialect): r.this
            for r in star.args.get("replace") or []
            if isinstance(r, exp.Alias)
        }
        keys = [qualifier] if qualifier else list(self._selected_keys(scope))
        result: list[_Output] = []
        for raw_key in keys:
            key = self._source_key(scope, raw_key) if raw_key else None
            if key is None and qualifier:
                key = self._table_by_own_name(scope, qualifier, f"{qualifier}.*", projection)
            if key is None:
                continue
            for name in self._source_columns(scope, key) or []:
                if name in excluded:
                    continue
                if name in replaced:
                    result.append(_Output(name, expr=replaced[name], node=projection))
                else:
                    result.append(_Output(name, via=(key, name), node=projection))
            if self._source_columns(scope, key) is None:
                result.append(_Output("*", star_of=key, node=projection))
        return result

    def _output_name(self, projection: exp.Expr) -> str:
        if isinstance(projection, exp.Alias):
            return identifier(projection.args.get("alias"), self.dialect)
        if isinstance(projection, exp.Column):
            return identifier(projection.this, self.dialect)
        if isinstance(projection, exp.Dot):
            return identifier(projection.expression, self.dialect)
        if isinstance(projection, exp.FormatPhrase) and isinstance(projection.this, exp.Column):
            # Teradata ``col (FORMAT 'x')`` changes how the value is shown, not the column's name.
            return identifier(projection.this.this, self.dialect)
        if isinstance(projection, exp.Cast) and names_cast_by_argument(
            self.dialect, _written_with_operator(projection)
        ):
            inner: exp.Expr = projection
            while isinstance(inner, exp.Cast):
                inner = inner.this  # PostgreSQL names ``c::int::text`` after c too
            if isinstance(inner, exp.Column):
                return identifier(inner.this, self.dialect)
        # The expression's text is the column's name; a later reference quotes it, so it folds
        # the way a quoted identifier does (lower case where the dialect ignores case).
        return fold(projection.sql(dialect=self.dialect, comments=False), True, self.dialect)

    def _selected_keys(self, scope: Scope) -> Iterator[str]:
        select = scope.expression
        if not isinstance(select, exp.Select):
            return
        from_ = select.args.get("from_") or select.args.get("from")
        nodes: list[exp.Expr] = []
        if from_ is not None:
            nodes.append(from_.this)
        nodes.extend(j.this for j in select.args.get("joins") or [])
        while nodes:
            node = nodes.pop(0)
            if isinstance(node, exp.Subquery) and not node.alias and not isinstance(node.unnest(), exp.Query):
                # ``FROM ((a JOIN b ON …))``: a parenthesized join names its tables, not itself.
                inner = node.unnest()
                nodes[:0] = [inner, *(j.this for j in inner.args.get("joins") or [])]
                continue
            alias = node.alias_or_name
            if alias:
                yield alias

    def _source_key(self, scope: Scope, raw: str) -> str | None:
        keys = self._keys.get(id(scope))
        if keys is None:
            keys = {fold(k, False, self.dialect): k for k in scope.sources}
            self._keys[id(scope)] = keys
        if raw in scope.sources:
            return raw
        return keys.get(fold(raw, False, self.dialect))

    def _source_columns(self, scope: Scope, key: str) -> list[str] | None:
        """Known output columns of a source, or None when unknown (an unexpanded star)."""
        source = scope.sources.get(key)
        cols: list[str] | None = None
        if isinstance(source, exp.Table):
            known = self.catalog.columns(self._table_source_name(source))
            cols = list(known) if known is not None else None
        elif isinstance(source, Scope):
            outs = self.outputs(source)
            cols = None if any(o.star_of is not None for o in outs) else [o.name for o in outs]
        pivot = _pivot_of(source)
        if pivot is not None:
            if cols is not None:
                return _renamed(pivot, self._pivot_columns(pivot, cols), self.dialect)
            # ``PIVOT (…) AS p (c1, c2, …)`` names every output even when the source's are unknown.
            return _alias_columns(pivot, self.dialect) or None
        return cols

    def _source_columns_unpivoted(self, source: object) -> list[str] | None:
        """Columns of a source before its PIVOT is applied."""
        if isinstance(source, exp.Table):
            known = self.catalog.columns(self._table_source_name(source))
            return list(known) if known is not None else None
        if isinstance(source, Scope):
            outs = self.outputs(source)
            return None if any(o.star_of is not None for o in outs) else [o.name for o in outs]
        return None

    def _pivot_columns(self, pivot: exp.Pivot, cols: list[str]) -> list[str]:
        """Output columns of a pivoted source whose own columns are ``cols``."""
        fields = [f for f in pivot.args.get("fields") or [] if isinstance(f, exp.In)]
        if pivot.args.get("unpivot"):
            used = {c for f in fields for entry in _unpivot_inputs(f, self.dialect) for c in entry}
            added = [identifier(f.this, self.dialect) for f in fields] + _unpivot_values(pivot, self.dialect)
            return [c for c in cols if c not in used] + added
        used = {identifier(c.this, self.dialect) for c in pivot.find_all(exp.Column)}
        return [c for c in cols if c not in used] + [n for n, _ in _pivot_outputs(pivot, self.dialect)]

    # -- tracing ---------------------------------------------------------------------------------

    def trace(self, scope: Scope, index: int) -> frozenset[Origin]:
        key = (id(scope), index)
        cached = self._traced.get(key)
        if cached is not None:
            return cached
        if key in self._in_progress:
            return frozenset()
        self._in_progress.add(key)
        try:
            result = self._trace(scope, index)
            if not result:
                outs = self.outputs(scope)
                if index < len(outs) and is_placeholder(outs[index].name):
                    # ``select null as __macro__``: an unknown macro's stand-in query, no constant.
                    result = frozenset({_OPAQUE})
        finally:
            self._in_progress.discard(key)
        self._traced[key] = result
        return result

    def _trace(self, scope: Scope, index: int) -> frozenset[Origin]:
        if isinstance(scope.expression, exp.SetOperation) and scope.set_operation_scopes:
            result: set[Origin] = set()
            for branch in _value_branches(scope):
                for position in self._branch_positions(branch, index):
                    result |= self.trace(branch, position)
            return frozenset(result)
        outs = self.outputs(scope)
        if index >= len(outs):
            return frozenset()
        out = outs[index]
        if out.via is not None:
            return frozenset(self._origins_of_source_column(scope, out.via[0], out.via[1], Subtype.IDENTITY, out.node))
        if out.star_of is not None:
            return frozenset(self._star_origins(scope, out.star_of))
        if out.expr is None:
            return frozenset()
        if scope.is_udtf:
            return frozenset(self.expression_origins(scope, scope.expression, Subtype.TRANSFORMATION))
        return frozenset(self.expression_origins(scope, out.expr, Subtype.IDENTITY))

    def _star_origins(self, scope: Scope, key: str) -> set[Origin]:
        source = scope.sources.get(key)
        if isinstance(source, exp.Table):
            name = self._table_source_name(source)
            # A table function that names no dataset (an unknown macro's placeholder call) has no origin.
            return {Origin(name, None, Subtype.IDENTITY)} if name else set()
        if isinstance(source, Scope):
            result: set[Origin] = set()
            for i, out in enumerate(self.outputs(source)):
                if out.star_of is not None:
                    result |= self.trace(source, i)
            return result
        return set()

    def expression_origins(self, scope: Scope, expr: exp.Expr, start: Subtype) -> set[Origin]:
        """Source columns of ``expr`` evaluated in ``scope``, each with its subtype."""
        result: set[Origin] = set()
        stack: list[tuple[exp.Expr, Subtype]] = [(expr, start)]
        while stack:
            node, subtype = stack.pop()
            if isinstance(node, exp.Column):
                if isinstance(node.this, exp.Star):
                    if node is not expr and node.table:
                        # ``md5((t.*)::text)``: a whole-row value reads every column of ``t``.
                        result |= self._row_origins(scope, node.table, compose(subtype, Subtype.TRANSFORMATION))
                    continue
                result |= self.column_origins(scope, node, subtype)
                continue
            if isinstance(node, exp.Anonymous) and is_placeholder(node.name):
                result.add(_OPAQUE)  # an unknown macro's value: unknown, never a constant
            if isinstance(node, exp.Star):
                # COUNT(*) reads no column's value, only which rows exist: an indirect (CONDITIONAL)
                # influence of the whole source table, never a direct AGGREGATION of its columns.
                if node is not expr:
                    result |= self._row_count_origins(scope, node, subtype)
                continue
            if (
                isinstance(node, exp.AggFunc)
                and any(isinstance(v, exp.Expr) for v in node.args.values())
                and not any(isinstance(n, (exp.Column, exp.Star, exp.Query)) for n in node.walk())
                and not isinstance(node.parent, exp.WithinGroup)
            ):
                # COUNT(1), SUM(1): an aggregate of a literal counts rows as COUNT(*) does; it is
                # no constant. (Not DENSE_RANK(): no argument, its OVER clause says what it reads;
                # nor PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY x): a value of x.)
                result |= self._row_count_origins(scope, node, subtype)
            if isinstance(node, (exp.Subquery, exp.Query)) and not isinstance(node, exp.Values):
                inner = node.this if isinstance(node, exp.Subquery) else node
                child = self._scope_of.get(id(inner))
                if child is not None:
                    step = compose(subtype, Subtype.TRANSFORMATION)
                    for i in range(len(self.outputs(child))):
                        result |= {Origin(o.table, o.column, compose(step, o.subtype)) for o in self.trace(child, i)}
                    # A scalar subquery's WHERE/JOIN decide this value only, not the rows.
                    result |= set(self.clause_origins(child))
                continue
            for key, value in node.args.items():
                if value is None or isinstance(value, (str, bool, int, float)):
                    continue
                sub = _child_subtype(node, key, subtype)
                if isinstance(value, list):
                    stack.extend((v, sub) for v in value if isinstance(v, exp.Expr))
                elif isinstance(value, exp.Expr):
                    stack.append((value, sub))
        return result

    def _row_count_origins(self, scope: Scope, node: exp.Expr, subtype: Subtype) -> set[Origin]:
        """What a value that counts ``scope``'s rows (``COUNT(*)`` at ``node``) depends on."""
        result = {Origin(name, "*", compose(subtype, Subtype.CONDITIONAL)) for name in self._row_tables(scope)}
        # Grouped, its value is the size of its key's group: the GROUP BY columns
        # decide it as the PARTITION BY columns decide ``COUNT(*) OVER (…)``.
        select = scope.expression
        group = select.args.get("group") if isinstance(select, exp.Select) else None
        if (
            isinstance(select, exp.Select)
            and isinstance(group, exp.Group)
            and node.find_ancestor(exp.Window, exp.Select) is select
        ):
            keys = _expand_ordinals(group, select)
            result |= self.expression_origins(scope, keys, compose(subtype, Subtype.GROUP_BY))
        return result

    def _row_tables(self, scope: Scope, depth: int = 0) -> set[str]:
        """The tables whose rows are ``scope``'s rows: its FROM/JOIN tables, through CTEs and
        subqueries (``count(*)`` over an import CTE counts the rows of the table it selects)."""
        names: set[str] = set()
        if isinstance(scope.expression, exp.SetOperation) and scope.set_operation_scopes:
            scopes = list(scope.set_operation_scopes)
        else:
            scopes = [scope]
        for part in scopes:
            for key in self._selected_keys(part):
                source = part.sources.get(key)
                if isinstance(source, exp.Table):
                    name = self._table_source_name(source)
                    if name:
                        names.add(name)
                elif isinstance(source, Scope) and depth < 50:
                    names |= self._row_tables(source, depth + 1)
        return names

    def _row_origins(self, scope: Scope, qualifier: str, subtype: Subtype) -> set[Origin]:
        """Every column of the source ``qualifier`` names, used as one value (a whole-row reference)."""
        for found in _scope_chain(scope):
            key = self._source_key(found, qualifier)
            if key is None:
                continue
            columns = self._source_columns(found, key)
            if columns is not None:
                return {o for c in columns for o in self._origins_of_source_column(found, key, c, subtype, None)}
            return {Origin(o.table, o.column, compose(subtype, o.subtype)) for o in self._star_origins(found, key)}
        return set()

    def column_origins(self, scope: Scope, column: exp.Column, subtype: Subtype) -> set[Origin]:
        return self._origins_of_resolution(self.resolve(scope, column), subtype)

    def _origins_of_resolution(self, res: _Resolved, subtype: Subtype) -> set[Origin]:
        result: set[Origin] = set()
        for r in (res, *res.others):
            if r.recursive:
                # What earlier recursion steps hold is not the anchor's value alone: ``n + 1``
                # over ``1 AS n`` counts steps, it is no constant.
                result.add(_OPAQUE)
            if r.step is not None:
                subtype = compose(subtype, r.step)
            if r.how == _TABLE:
                result.add(Origin(r.table, r.column, subtype))
            elif r.how == _SCOPE and r.scope is not None:
                if r.index >= 0:
                    result |= {
                        Origin(o.table, o.column, compose(subtype, o.subtype)) for o in self.trace(r.scope, r.index)
                    }
                else:
                    result |= self._through_star(r.scope, r.column, subtype)
            elif r.how == _UDTF and r.scope is not None:
                step = compose(subtype, Subtype.TRANSFORMATION)
                result |= self._alias_origins(r.scope, r.scope.expression, step)
            elif r.how == _ALIAS and r.expr is not None and r.alias_scope is not None:
                result |= self._alias_origins(r.alias_scope, r.expr, subtype)
            elif r.how == _UNRESOLVED:
                result.add(Origin(None, r.column, subtype))
        return result

    def _alias_origins(self, scope: Scope, expr: exp.Expr, subtype: Subtype) -> set[Origin]:
        """Origins of an aliased expression, memoized: alias chains must not grow exponentially."""
        key = (id(expr), subtype)
        cached = self._alias_origin_memo.get(key)
        if cached is None:
            self._alias_origin_memo[key] = set()  # a self-referencing alias contributes nothing more
            cached = self.expression_origins(scope, expr, subtype)
            self._alias_origin_memo[key] = cached
        return cached

    def _through_star(self, scope: Scope, name: str, subtype: Subtype) -> set[Origin]:
        """A column selected from a derived table whose columns are unknown (``SELECT *``)."""
        result: set[Origin] = set()
        for out in [] if isinstance(scope.expression, exp.SetOperation) else self.outputs(scope):
            if out.star_of is None:
                continue
            result |= self._origins_of_source_column(scope, out.star_of, name, subtype, out.node)
        if isinstance(scope.expression, exp.SetOperation):
            for branch in scope.set_operation_scopes:
                result |= self._through_star(branch, name, subtype)
        return result

    def _origins_of_source_column(
        self, scope: Scope, key: str, name: str, subtype: Subtype, node: exp.Expr | None
    ) -> set[Origin]:
        return self._origins_of_resolution(self._resolve_in_source(scope, key, name, node), subtype)

    # -- resolving one column reference ----------------------------------------------------------

    def resolve(self, scope: Scope, column: exp.Column) -> _Resolved:
        cached = self._resolved.get(id(column))
        if cached is None:
            cached = self._resolve(scope, column)
            self._resolved[id(column)] = cached
        return cached

    def _resolve(self, scope: Scope, column: exp.Column) -> _Resolved:
        name = identifier(column.this, self.dialect)
        qualifier = column.table
        if qualifier:
            # ``t.col``, or ``t.struct_col.field`` / ``struct_col.field`` (struct access).
            parts = [p.name for p in column.parts]
            for split in range(len(parts) - 1, 0, -1):
                source_parts = parts[:split]
                for found_scope in _scope_chain(scope):
                    key = self._source_key(found_scope, source_parts[-1])
                    if key is not None and self._matches_qualifier(found_scope, key, source_parts):
                        col_name = identifier(parts[split], self.dialect)
                        found = self._resolve_in_source(found_scope, key, col_name, column)
                        # ``t.address.city`` takes a field of the column: a transformation.
                        return found if split == len(parts) - 1 else _with_step(found, Subtype.TRANSFORMATION)
            if len(parts) == 2:
                # ``orders.amount`` over ``FROM orders AS o``: the table's own name, not a struct.
                text = column.sql(dialect=self.dialect)
                key = self._table_by_own_name(scope, parts[0], text, column, report_unresolved=False)
                if key is not None:
                    return self._resolve_in_source(scope, key, name, column)
            # Struct access on an unqualified column: ``address.city``.
            root = identifier(parts[0], self.dialect)
            unqualified = self._resolve_unqualified(scope, root, column, report=False)
            if unqualified.how != _UNRESOLVED:
                return _with_step(unqualified, Subtype.TRANSFORMATION)
            self._report(codes.COLUMN_UNRESOLVED, f"cannot resolve column {column.sql(dialect=self.dialect)}", column)
            return _Resolved(_UNRESOLVED, column=name)
        return self._resolve_unqualified(scope, name, column, report=True)

    def _table_by_own_name(
        self, scope: Scope, qualifier: str, text: str, node: exp.Expr, report_unresolved: bool = True
    ) -> str | None:
        """The source a qualifier means when it names an aliased table by the table's own name.

        ``SELECT tab2.* FROM tab2 a``: most engines reject the name once the table has an alias;
        the intent is still clear when exactly one source of the scope is that table, so its
        columns are taken, with a DT113 saying how the reference was read."""
        wanted = fold(qualifier, False, self.dialect)
        matches = [
            key
            for key, source in scope.sources.items()
            if isinstance(source, exp.Table) and fold(source.name, False, self.dialect) == wanted
        ]
        if len(matches) == 1:
            message = f"{text}: {qualifier} is aliased {matches[0]} in this query; read as {matches[0]}"
            self._report(codes.APPROXIMATED, message, node)
            return matches[0]
        if len(matches) > 1:
            aliases = ", ".join(sorted(matches))
            self._report(codes.COLUMN_AMBIGUOUS, f"{text}: {qualifier} is aliased {aliases}; cannot tell which", node)
        elif report_unresolved:
            self._report(codes.COLUMN_UNRESOLVED, f"cannot resolve {text}: no source named {qualifier}", node)
        return None

    def _matches_qualifier(self, scope: Scope, key: str, parts: list[str]) -> bool:
        if len(parts) == 1:
            return True
        source = scope.sources.get(key)
        if not isinstance(source, exp.Table):
            return False
        written = [p.name for p in source.parts]
        return [fold(p, False, self.dialect) for p in written[-len(parts) :]] == [
            fold(p, False, self.dialect) for p in parts
        ]

    def _resolve_unqualified(
        self, scope: Scope, name: str, column: exp.Column, report: bool, exclude: Scope | None = None
    ) -> _Resolved:
        keys, outer = self._candidate_keys(scope) if exclude is None else self._keys_excluding(scope, exclude)
        if outer:
            assert scope.parent is not None
            return self._resolve_unqualified(scope.parent, name, column, report, exclude=scope)

        using = self._using_columns(scope)
        if name in using:
            hits = [self._resolve_in_source(scope, k, name, column) for k in using[name] if k in scope.sources]
            hits = [h for h in hits if h.how != _UNRESOLVED]
            if hits:
                return _Resolved(
                    hits[0].how,
                    hits[0].table,
                    hits[0].column,
                    hits[0].scope,
                    hits[0].index,
                    hits[0].expr,
                    hits[0].alias_scope,
                    tuple(hits[1:]),
                )

        definite: list[str] = []
        unknown: list[str] = []
        for k in keys:
            cols = self._source_columns(scope, k)
            if cols is None:
                unknown.append(k)
            elif name in cols:
                definite.append(k)
        if len(definite) == 1:
            return self._resolve_in_source(scope, definite[0], name, column)
        if not definite and name in self.variables:
            return _Resolved(_CONST, column=name)
        if not definite:
            alias = self._projection_alias(scope, name, column, sources_lack_it=not unknown)
            if alias is not None:
                return alias
            if len(unknown) == 1 or (len(keys) == 1 and not unknown):
                # The only source that can have it (the others are known not to).
                return self._resolve_in_source(scope, (unknown or keys)[0], name, column)
            # Correlated reference to an outer query.
            if scope.parent is not None and not keys:
                return self._resolve_unqualified(scope.parent, name, column, report, exclude=scope)
        if report:
            candidates = definite or unknown
            if len(candidates) > 1:
                self._report(
                    codes.COLUMN_AMBIGUOUS,
                    f"column {name} is ambiguous between {', '.join(sorted(candidates))}; add a qualifier or a schema",
                    column,
                )
            else:
                self._report(codes.COLUMN_UNRESOLVED, f"cannot resolve column {name}", column)
        return _Resolved(_UNRESOLVED, column=name)

    def _candidate_keys(self, scope: Scope) -> tuple[list[str], bool]:
        """The sources an unqualified column of ``scope`` may belong to (the same for each column),
        and whether it belongs to the enclosing query instead."""
        known = self._candidates.get(id(scope))
        if known is None:
            known = self._keys_excluding(scope, None)
            self._candidates[id(scope)] = known
        return known

    def _keys_excluding(self, scope: Scope, exclude: Scope | None) -> tuple[list[str], bool]:
        keys = list(self._selected_keys(scope)) if isinstance(scope.expression, exp.Select) else []
        keys = [k for k in (self._source_key(scope, k) for k in keys) if k is not None]
        if scope.is_udtf:
            # Inside ``UNNEST(col)`` / ``explode(col)`` a column belongs to the enclosing query.
            keys = [k for k, s in scope.sources.items() if k and s is not scope and not _encloses(s, scope)]
            if not keys and scope.parent is not None:
                return keys, True
        if not keys:
            keys = [k for k in scope.sources if k]
        if exclude is not None:
            keys = [k for k in keys if scope.sources.get(k) is not exclude]
        # UDTF outputs (LATERAL VIEW explode(...) x AS e, UNNEST(...) AS e) are visible unqualified.
        for k, source in scope.sources.items():
            if (
                isinstance(source, Scope)
                and source.is_udtf
                and k not in keys
                and source is not exclude
                and not _encloses(source, scope)
            ):
                keys.append(k)
        return keys, False

    def _projection_alias(self, scope: Scope, name: str, column: exp.Column, sources_lack_it: bool) -> _Resolved | None:
        """Lateral column alias (Snowflake, Databricks …) or an output alias in ORDER BY/HAVING.

        In the select list an alias is only taken where the dialect allows lateral aliases, or
        when every source is known not to have such a column."""
        select = scope.expression
        if not isinstance(select, exp.Select):
            return None
        if _in_select_list(column, select) and not (sources_lack_it or supports_lateral_alias(self.dialect)):
            return None
        for projection in select.expressions:
            if isinstance(projection, exp.Alias) and identifier(projection.args.get("alias"), self.dialect) == name:
                if projection is column or column in set(projection.find_all(exp.Column)):
                    return None  # ``x AS x`` refers to the source column, not to itself
                return _Resolved(_ALIAS, column=name, expr=projection.this, alias_scope=scope)
        return None

    def _using_columns(self, scope: Scope) -> dict[str, list[str]]:
        select = scope.expression
        result: dict[str, list[str]] = {}
        if not isinstance(select, exp.Select):
            return result
        joins = select.args.get("joins") or []
        if not any(j.args.get("using") for j in joins):
            return result
        keys = list(self._selected_keys(scope))
        for position, join in enumerate(joins):
            for ident in join.args.get("using") or []:
                name = identifier(ident, self.dialect)
                sides = result.setdefault(name, [])
                for k in keys[: position + 2]:
                    real = self._source_key(scope, k)
                    if real is not None and real not in sides:
                        sides.append(real)
        return result

    def _resolve_in_source(self, scope: Scope, key: str, name: str, node: exp.Expr | None) -> _Resolved:
        source = scope.sources.get(key)
        pivot = _pivot_of(source)
        if pivot is not None:
            if isinstance(source, exp.Table):
                table = self._table_source_name(source)
                base: Callable[[str], _Resolved] = lambda c: _Resolved(_TABLE, table=table, column=c)  # noqa: E731
            else:
                inner = source

                def base(c: str) -> _Resolved:
                    return (
                        self._resolve_by_name(inner, c)
                        if isinstance(inner, Scope)
                        else _Resolved(_UNRESOLVED, column=c)
                    )

            aliases = _alias_columns(pivot, self.dialect)
            if aliases and name in aliases:
                natural = self._natural_pivot_name(source, pivot, aliases.index(name), len(aliases))
                if natural is None:
                    self._report(
                        codes.COLUMN_UNRESOLVED,
                        f"cannot resolve PIVOT output {name}: the columns of its source are unknown",
                        node,
                    )
                    return _Resolved(_UNRESOLVED, column=name)
                name = natural
            resolved = self._pivot_source(pivot, name, base)
            if resolved is not None:
                return resolved
            return base(name)
        if isinstance(source, exp.Table):
            return _Resolved(_TABLE, table=self._table_source_name(source), column=name)
        if isinstance(source, Scope):
            if source.is_udtf:
                query = source.expression.find(exp.Query)
                while isinstance(query, exp.Subquery):
                    query = query.this
                inner_scope = self._scope_of.get(id(query)) if query is not None else None
                if inner_scope is not None:
                    return self._resolve_by_name(inner_scope, name)
                return _Resolved(_UDTF, column=name, scope=source)
            found = self._resolve_by_name(source, name)
            if _recursive_self_reference(source, scope):
                found = replace(found, recursive=True)
            return found
        self._report(codes.COLUMN_UNRESOLVED, f"cannot resolve source {key} of column {name}", node)
        return _Resolved(_UNRESOLVED, column=name)

    def _resolve_by_name(self, scope: Scope, name: str) -> _Resolved:
        outs = self.outputs(scope)
        known = self._output_index.get(id(scope))
        if known is None or known[0] is not outs:  # not the recursion guard's list of ``outputs``
            index: dict[str, int] = {}
            for i, out in enumerate(outs):
                index.setdefault(out.name, i)
            known = (outs, index)
            self._output_index[id(scope)] = known
        position = known[1].get(name)
        if position is not None:
            return _Resolved(_SCOPE, column=name, scope=scope, index=position)
        branches = scope.set_operation_scopes if isinstance(scope.expression, exp.SetOperation) else []
        if any(o.star_of is not None for s in [scope, *branches] for o in self.outputs(s)):
            return _Resolved(_SCOPE, column=name, scope=scope, index=-1)
        self._report(codes.COLUMN_UNRESOLVED, f"column {name} is not an output of the subquery", scope.expression)
        return _Resolved(_UNRESOLVED, column=name)

    def _natural_pivot_name(self, source: object, pivot: exp.Pivot, position: int, count: int) -> str | None:
        """The name PIVOT gives the output at ``position`` of its alias column list.

        The pivot values are the last outputs, so they map without knowing the source's columns;
        the grouping columns before them need the source's columns."""
        values = [n for n, _ in _pivot_outputs(pivot, self.dialect)]
        if pivot.args.get("unpivot"):
            values = []
        base = self._source_columns_unpivoted(source)
        if base is not None:
            natural = self._pivot_columns(pivot, base)
            return natural[position] if position < len(natural) else None
        from_end = count - position
        if values and 0 < from_end <= len(values):
            return values[len(values) - from_end]
        return None

    def _pivot_source(self, pivot: exp.Pivot, name: str, base: Callable[[str], _Resolved]) -> _Resolved | None:
        """A column of a PIVOTed or UNPIVOTed source; ``base`` resolves a column of the source itself.

        PIVOT: each value column aggregates the pivot's measure (AGGREGATION), conditional on the
        FOR column (CONDITIONAL). UNPIVOT: the value column takes every unpivoted column (IDENTITY);
        the name column holds column names, constants with no source. Other columns pass through."""
        fields = [f for f in pivot.args.get("fields") or [] if isinstance(f, exp.In)]
        parts: list[_Resolved] = []
        if pivot.args.get("unpivot"):
            if name in {identifier(f.this, self.dialect) for f in fields}:
                return _Resolved(_CONST, column=name)
            values = _unpivot_values(pivot, self.dialect)
            if name not in values:
                return None
            # Value column i takes the i-th column of every IN entry (``(a1, a2) AS x``).
            position = values.index(name)
            for f in fields:
                for entry in _unpivot_inputs(f, self.dialect):
                    if position < len(entry):
                        parts.append(_with_step(base(entry[position]), Subtype.IDENTITY))
            return _group(parts, name)
        outputs = dict(_pivot_outputs(pivot, self.dialect))
        if name not in outputs:
            return None
        # The value column aggregates its own aggregation's measure (all of them when unknown).
        own = outputs[name]
        aggregations = [own] if own is not None else list(pivot.expressions)
        measures = sorted({identifier(c.this, self.dialect) for e in aggregations for c in e.find_all(exp.Column)})
        for_columns = sorted(
            {identifier(f.this.this if isinstance(f.this, exp.Column) else f.this, self.dialect) for f in fields}
        )
        parts += [_with_step(base(c), Subtype.AGGREGATION) for c in measures]
        parts += [_with_step(base(c), Subtype.CONDITIONAL) for c in for_columns]
        return _group(parts, name)

    # -- dataset-wide indirect lineage -------------------------------------------------------------

    def clause_origins(self, scope: Scope) -> dict[Origin, str]:
        """Columns that filter, join, group or sort the rows reaching ``scope``'s output."""
        cached = self._clauses.get(id(scope))
        if cached is not None:
            return cached
        self._clauses[id(scope)] = {}
        result: dict[Origin, str] = {}
        expression = scope.expression
        if isinstance(expression, exp.Select):
            clauses: list[tuple[exp.Expr | None, Subtype]] = [
                (expression.args.get("where"), Subtype.FILTER),
                (expression.args.get("group"), Subtype.GROUP_BY),
                (expression.args.get("having"), Subtype.FILTER),
                (expression.args.get("qualify"), Subtype.FILTER),
                (expression.args.get("order"), Subtype.SORT),
            ]
            joins = list(expression.args.get("joins") or [])
            for source in scope.sources.values():
                if isinstance(source, exp.Table):
                    joins.extend(source.args.get("joins") or [])  # ``FROM ((a JOIN b ON …))``
            for join in joins:
                clauses.append((join.args.get("on"), Subtype.JOIN))
                for ident in join.args.get("using") or []:
                    clauses.append((exp.column(ident.copy()), Subtype.JOIN))
            for clause, subtype in clauses:
                if clause is None:
                    continue
                if isinstance(clause, (exp.Group, exp.Order)):
                    clause = _expand_ordinals(clause, expression)
                text = self._inline_expression(scope, clause)
                offset = first_offset(clause)
                if offset is not None:
                    self._clause_offsets.setdefault(text, offset)
                for origin in self.expression_origins(scope, clause, subtype):
                    result.setdefault(Origin(origin.table, origin.column, subtype), text)
                for sub in _subqueries(clause):
                    child = self._scope_of.get(id(sub))
                    if child is not None:
                        result.update(
                            {Origin(o.table, o.column, subtype): t for o, t in self.clause_origins(child).items()}
                        )
        if isinstance(expression, exp.Except) and len(scope.set_operation_scopes) == 2:
            # The right side of EXCEPT only decides which rows survive.
            right = scope.set_operation_scopes[1]
            text = self._inline_expression(right, right.expression)
            for i in range(len(self.outputs(right))):
                for o in self.trace(right, i):
                    result.setdefault(Origin(o.table, o.column, Subtype.FILTER), text)
        children: list[Scope] = list(scope.set_operation_scopes)
        for key, source in scope.sources.items():
            if isinstance(source, Scope):
                children.append(source)
            pivot = _pivot_of(source)
            if pivot is not None and not pivot.args.get("unpivot"):
                # PIVOT groups by every column it does not pivot.
                used = {identifier(c.this, self.dialect) for c in pivot.find_all(exp.Column)}
                base = self._source_columns_unpivoted(source)
                for column in [c for c in base or [] if c not in used]:
                    resolved = self._resolve_in_source(scope, key, column, None)
                    for o in self._origins_of_resolution(resolved, Subtype.GROUP_BY):
                        result.setdefault(Origin(o.table, o.column, Subtype.GROUP_BY), f"PIVOT GROUP BY {column}")
        for child in children:
            for origin, text in self.clause_origins(child).items():
                result.setdefault(origin, text)
        self._clauses[id(scope)] = result
        return result

    # -- inlined expressions (fingerprints) --------------------------------------------------------

    def inline(self, scope: Scope, index: int) -> str:
        key = (id(scope), index)
        cached = self._inlined.get(key)
        if cached is not None:
            return cached
        self._inlined[key] = "<recursive>"
        result = self._inline(scope, index)
        self._inlined[key] = result
        return result

    def _inline(self, scope: Scope, index: int) -> str:
        if isinstance(scope.expression, exp.SetOperation) and scope.set_operation_scopes:
            op = type(scope.expression).__name__.upper()
            parts = [
                self.inline(b, position)
                for b in scope.set_operation_scopes
                for position in self._branch_positions(b, index)
            ]
            return f"{op}({', '.join(parts)})"
        outs = self.outputs(scope)
        if index >= len(outs):
            return ""
        out = outs[index]
        if out.via is not None:
            return self._inline_resolution(self._resolve_in_source(scope, out.via[0], out.via[1], None), out.via[1])
        if out.star_of is not None:
            source = scope.sources.get(out.star_of)
            return f"{self._table_source_name(source)}.*" if isinstance(source, exp.Table) else "*"
        if out.expr is None:
            return ""
        if scope.is_udtf:
            return self._inline_expression(scope, scope.expression)
        return self._inline_expression(scope, out.expr)

    def _inline_expression(self, scope: Scope, expr: exp.Expr) -> str:
        """SQL of ``expr`` with its columns replaced by what they resolve to.

        Columns are swapped for ``Var`` nodes in place and swapped back afterwards: copying the
        tree for every output would cost more than the whole analysis."""
        if isinstance(expr, exp.Column) and not isinstance(expr.this, exp.Star):
            return self._inline_resolution(self.resolve(scope, expr), expr)
        columns = [
            node
            for node in expr.walk(prune=lambda n: isinstance(n, exp.Query) and n is not expr)
            if isinstance(node, exp.Column) and not isinstance(node.this, exp.Star)
        ]
        swapped: list[tuple[exp.Var, exp.Column]] = []
        try:
            for column in columns:
                var = exp.Var(this=self._inline_resolution(self.resolve(scope, column), column))
                column.replace(var)
                swapped.append((var, column))
            return expr.sql(dialect=self.dialect, comments=False)
        except Exception:
            return ""
        finally:
            for placeholder, column in reversed(swapped):
                placeholder.replace(column)

    def _inline_resolution(self, res: _Resolved, node: exp.Expr | str) -> str:
        if res.how == _TABLE:
            return f"{res.table}.{res.column}"
        if res.how == _SCOPE and res.scope is not None:
            if res.index < 0:
                return res.column
            text = self.inline(res.scope, res.index)
            if len(text) > _INLINE_LIMIT:
                return f"{_scope_label(res.scope)}.{res.column}"
            return text if _is_simple(text) else f"({text})"
        if res.how == _ALIAS and res.expr is not None and res.alias_scope is not None:
            key = id(res.expr)
            alias_text = self._alias_inlined.get(key)
            if alias_text is None:
                self._alias_inlined[key] = res.column  # a self-referencing alias stops here
                alias_text = self._inline_expression(res.alias_scope, res.expr)
                if len(alias_text) > _INLINE_LIMIT:
                    alias_text = res.column
                self._alias_inlined[key] = alias_text
            return f"({alias_text})"
        if res.how == _UDTF and res.scope is not None:
            key = id(res.scope)
            udtf_text = self._alias_inlined.get(key)
            if udtf_text is None:
                self._alias_inlined[key] = res.column  # UDTFs that refer to each other stop here
                udtf_text = self._inline_expression(res.scope, res.scope.expression)
                if len(udtf_text) > _INLINE_LIMIT:
                    udtf_text = res.column
                self._alias_inlined[key] = udtf_text
            return udtf_text
        return node if isinstance(node, str) else node.sql(dialect=self.dialect, comments=False)

    def _report(self, code: str, message: str, node: exp.Expr | None) -> None:
        key = (code, message)
        if key in self._reported:
            return
        self._reported.add(key)
        self.report(code, message, node)


def prepare(query: exp.Expr, dialect: Dialect) -> None:
    """Make scopes reliable: fold unquoted identifiers per dialect (so ``CTE1`` matches ``cte1``)
    and give every unaliased derived table a unique alias (``FROM (SELECT …)``)."""
    normalize_identifiers(query, dialect=dialect)
    n = 0
    for node in list(query.find_all(exp.Subquery, exp.Table)):
        unaliased_function = isinstance(node, exp.Table) and isinstance(node.this, exp.Func)
        derived = isinstance(node, exp.Subquery) and isinstance(node.unnest(), exp.Query)
        if (derived or unaliased_function) and not node.alias and isinstance(node.parent, (exp.From, exp.Join)):
            node.set("alias", exp.TableAlias(this=exp.to_identifier(f"_dt{n}")))
            n += 1
    for select in list(query.find_all(exp.Select)):
        if select.args.get("windows"):
            _inline_named_windows(select)


def _inline_named_windows(select: exp.Select) -> None:
    """``SUM(x) OVER w … WINDOW w AS (PARTITION BY k ORDER BY t)``: copy ``w``'s PARTITION BY and
    ORDER BY into each window that names it, so they are read as that window's own."""
    named: dict[str, exp.Window] = {}
    for definition in select.args.get("windows") or []:
        if isinstance(definition, exp.Window) and isinstance(definition.this, exp.Identifier):
            named[definition.this.name.lower()] = definition

    def spec(name: str, seen: frozenset[str]) -> tuple[list[exp.Expr], exp.Expr | None]:
        window = named.get(name)
        if window is None or name in seen:
            return [], None
        # ``WINDOW w2 AS (w1 ORDER BY t)``: a definition may build on another one.
        base = window.args.get("alias")
        partition, order = spec(base.name.lower(), seen | {name}) if isinstance(base, exp.Identifier) else ([], None)
        return list(window.args.get("partition_by") or partition), window.args.get("order") or order

    for window in select.find_all(exp.Window):
        alias = window.args.get("alias")
        if window.parent is select or not isinstance(alias, exp.Identifier) or alias.name.lower() not in named:
            continue
        if window.find_ancestor(exp.Select) is not select:
            continue
        partition, order = spec(alias.name.lower(), frozenset())
        if partition and not window.args.get("partition_by"):
            window.set("partition_by", [p.copy() for p in partition])
        if order is not None and not window.args.get("order"):
            window.set("order", order.copy())
        window.set("alias", None)  # the text then reads as the window it is


def _recursive_self_reference(source: Scope, scope: Scope) -> bool:
    """Whether ``scope`` reads ``source`` as a recursive CTE reading itself: sqlglot makes the
    CTE's name, inside its own UNION, a scope over the anchor (the UNION's first branch)."""
    union = source.expression.parent
    if not isinstance(union, exp.SetOperation) or source.expression is not union.this:
        return False
    if not isinstance(union.parent, exp.CTE):
        return False
    node: exp.Expr | None = scope.expression
    while node is not None and node is not union:
        node = node.parent
    return node is union


def _is_opaque(origin: Origin) -> bool:
    return origin.table is None and origin.column is None


def _with_step(res: _Resolved, step: Subtype) -> _Resolved:
    return _Resolved(res.how, res.table, res.column, res.scope, res.index, res.expr, res.alias_scope, res.others, step)


def _group(parts: list[_Resolved], name: str) -> _Resolved:
    """Several resolutions of one column (PIVOT values) as one."""
    if not parts:
        return _Resolved(_CONST, column=name)
    return _Resolved(_CONST, column=name, others=tuple(parts))


def _pivot_of(source: object) -> exp.Pivot | None:
    """The PIVOT/UNPIVOT applied to a source: a table, or a derived table's subquery."""
    node = source.expression.parent if isinstance(source, Scope) else source
    if isinstance(node, (exp.Table, exp.Subquery)):
        pivots = node.args.get("pivots")
        if pivots and isinstance(pivots[0], exp.Pivot):
            return pivots[0]
    return None


def _child_subtype(parent: exp.Expr, key: str, current: Subtype) -> Subtype:
    if isinstance(parent, (exp.Paren, exp.Alias, exp.Subquery)):
        return current
    if isinstance(parent, exp.Window):
        if key in ("partition_by", "order"):
            return compose(current, Subtype.WINDOW)
        return current
    if isinstance(parent, exp.If) and key == "this":
        return compose(current, Subtype.CONDITIONAL)
    if isinstance(parent, exp.Case) and key == "this":
        return compose(current, Subtype.CONDITIONAL)
    if isinstance(parent, exp.Filter) and key == "expression":
        return compose(current, Subtype.CONDITIONAL)
    if isinstance(parent, exp.Order) and key == "expressions":
        if isinstance(parent.parent, exp.WithinGroup) and _aggregates_its_order(parent.parent):
            return current
        # ``ARRAY_AGG(x ORDER BY y)``, ``LISTAGG(x) WITHIN GROUP (ORDER BY y)``: y orders the
        # values, it is not one of them.
        return compose(current, Subtype.SORT)
    if isinstance(parent, exp.WithinGroup) and key == "expression":
        if _aggregates_its_order(parent):
            return compose(current, Subtype.AGGREGATION)
        return compose(current, Subtype.SORT)
    if isinstance(parent, exp.AggFunc) and not isinstance(parent, _NAVIGATION):
        return compose(current, Subtype.AGGREGATION)
    return compose(current, Subtype.TRANSFORMATION)


#: Ordered-set aggregates: the values they aggregate are their WITHIN GROUP (ORDER BY …) ones.
_ORDERED_SET = tuple(getattr(exp, name) for name in ("PercentileCont", "PercentileDisc", "Mode") if hasattr(exp, name))


def _aggregates_its_order(within: exp.Expr) -> bool:
    """``PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY x)`` is a value of x (unlike ``LISTAGG``'s order)."""
    agg = within.this
    named = agg.name.lower() if isinstance(agg, exp.Anonymous) else ""
    return isinstance(agg, _ORDERED_SET) or named in ("percentile_cont", "percentile_disc", "mode", "median")


def _value_branches(scope: Scope) -> list[Scope]:
    """Branches of a set operation whose values reach the output (not EXCEPT's right side)."""
    if isinstance(scope.expression, exp.Except):
        return list(scope.set_operation_scopes[:1])
    return list(scope.set_operation_scopes)


def _expand_ordinals(clause: exp.Expr, select: exp.Select) -> exp.Expr:
    """``GROUP BY 1, 2`` / ``ORDER BY 2``: the projections they point at (a copy; the query is kept)."""
    projections = select.expressions
    if isinstance(clause, exp.Group) and clause.args.get("all"):
        # GROUP BY ALL: every projection that is not an aggregate.
        return exp.Tuple(expressions=[p.unalias() for p in projections if not p.find(exp.AggFunc)])
    items = clause.expressions if isinstance(clause, exp.Group) else [o.this for o in clause.expressions]
    if not any(isinstance(i, exp.Literal) and i.is_int for i in items):
        return clause
    expanded = []
    for item in items:
        if isinstance(item, exp.Literal) and item.is_int and 0 < int(item.name) <= len(projections):
            expanded.append(projections[int(item.name) - 1].unalias())
        else:
            expanded.append(item)
    return exp.Tuple(expressions=expanded)


def _encloses(source: object, scope: Scope) -> bool:
    """Whether ``source`` is ``scope`` itself or one of its ancestors (a self-reference)."""
    node: Scope | None = scope
    while node is not None:
        if node is source:
            return True
        node = node.parent
    return False


def _in_select_list(column: exp.Expr, select: exp.Select) -> bool:
    node: exp.Expr = column
    while node.parent is not None and node.parent is not select:
        node = node.parent
    return node.parent is select and node.arg_key == "expressions"


#: Window functions that pick a row's value rather than aggregate (sqlglot files them as AggFunc).
_NAVIGATION = (exp.Lag, exp.Lead, exp.FirstValue, exp.LastValue, exp.NthValue)


def _scope_chain(scope: Scope) -> Iterator[Scope]:
    node: Scope | None = scope
    while node is not None:
        yield node
        node = node.parent


def _subqueries(expr: exp.Expr) -> Iterator[exp.Expr]:
    for node in expr.find_all(exp.Query):
        if not isinstance(node, exp.Values):
            yield node


def _is_path_table(table: exp.Table) -> bool:
    return path_of_table(table) is not None


#: Text that needs no parentheses when inlined: identifiers, dots and quotes (``\w`` is
#: ``str.isalnum()`` plus the underscore).
_SIMPLE = re.compile(r'[\w."`\[\]]*')


def _is_simple(text: str) -> bool:
    return _SIMPLE.fullmatch(text) is not None


def _scope_label(scope: Scope) -> str:
    parent = scope.expression.parent
    if isinstance(parent, (exp.CTE, exp.Subquery)) and parent.alias:
        return parent.alias
    return "subquery"


def _alias_columns(pivot: exp.Pivot, dialect: Dialect) -> list[str]:
    """The column list of ``PIVOT (…) AS p (c1, c2, …)``: new names for every output, in order."""
    alias = pivot.args.get("alias")
    if not isinstance(alias, exp.TableAlias):
        return []
    return [identifier(c, dialect) for c in alias.columns]


def _renamed(pivot: exp.Pivot, natural: list[str], dialect: Dialect) -> list[str]:
    """Outputs of a PIVOT after its alias column list renames the first of them."""
    aliases = _alias_columns(pivot, dialect)
    return aliases + natural[len(aliases) :]


def _pivot_outputs(pivot: exp.Pivot, dialect: Dialect) -> list[tuple[str, exp.Expr | None]]:
    """The value columns a PIVOT makes, each with the aggregation it holds.

    sqlglot computes the names the dialect gives them (Spark ``q1_s``, BigQuery ``s_q1``,
    Snowflake ``'Q1'``) in ``columns``, value-major when there are several aggregations; without
    them, one column per pivot value."""
    aggregations = list(pivot.expressions)
    if any(isinstance(v, (exp.PivotAny, exp.Query, exp.Subquery)) for v in _pivot_values(pivot)):
        # ``IN (ANY …)`` / ``IN (SELECT …)``: the data names the value columns, the SQL does not;
        # they stay an unknown set (``*``), each aggregating the measures.
        return [("*", None)]
    computed = [identifier(c, dialect) for c in pivot.args.get("columns") or []]
    if computed and aggregations and len(computed) % len(aggregations) == 0:
        if len(aggregations) == 1:
            return [(c, aggregations[0]) for c in computed]
        return [(c, aggregations[k % len(aggregations)]) for k, c in enumerate(computed)]
    return [(_pivot_value_name(v, dialect), None) for v in _pivot_values(pivot)]


def _written_with_operator(cast: exp.Cast) -> bool:
    """Whether a cast was written ``x::type`` rather than ``CAST(x AS type)``: sqlglot builds the
    operator form with ``this`` and ``to`` only (pinned by fixtures/sql/ansi/cast_names.sql)."""
    return "format" not in cast.args


def _unpivot_values(pivot: exp.Pivot, dialect: Dialect) -> list[str]:
    """The value columns an UNPIVOT makes: ``v`` in ``UNPIVOT (v FOR …)``, ``v1, v2`` in
    ``UNPIVOT ((v1, v2) FOR …)``."""
    names: list[str] = []
    for e in pivot.expressions:
        items = e.expressions if isinstance(e, exp.Tuple) else [e]
        names.extend(identifier(i.this if isinstance(i, exp.Column) else i, dialect) for i in items)
    return names


def _unpivot_inputs(field: exp.In, dialect: Dialect) -> list[list[str]]:
    """The source columns of each entry of an UNPIVOT's IN list (``a``, ``a AS x``, ``(a1, a2) AS x``)."""
    entries = []
    for entry in field.expressions:
        inner = entry.this if isinstance(entry, (exp.PivotAlias, exp.Alias)) else entry
        items = inner.expressions if isinstance(inner, exp.Tuple) else [inner]
        entries.append([identifier(i.this if isinstance(i, exp.Column) else i, dialect) for i in items])
    return entries


def _pivot_values(pivot: exp.Pivot) -> list[exp.Expr]:
    fields = pivot.args.get("fields") or []
    values: list[exp.Expr] = []
    for f in fields:
        if isinstance(f, exp.In):
            values.extend(f.expressions)
    return values


def _pivot_value_name(value: exp.Expr, dialect: Dialect) -> str:
    if isinstance(value, exp.PivotAlias):
        return identifier(value.args.get("alias"), dialect)
    if isinstance(value, exp.Alias):
        return identifier(value.args.get("alias"), dialect)
    if isinstance(value, exp.Literal):
        return fold(value.name, False, dialect)
    return fold(value.sql(dialect=dialect), False, dialect)


__all__ = ["Origin", "OutputLineage", "QueryLineage", "QueryResolver", "compose", "table_name"]
