"""Lineage of one SQL statement: what it reads, what it writes and how each column is made.

Every statement type is reduced to "a query whose rows land in a target": INSERT, CTAS, views,
SELECT INTO, MERGE and UPDATE (rewritten into an equivalent SELECT), COPY, LOAD, UNLOAD and
directory targets. Script-level side effects (DROP, RENAME, SWAP, USE) are returned as effects
for the script analyser to apply in order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.tokens import TokenType

from .. import codes
from ..model import NO_SOURCE, ColumnEdge, ColumnRef, DatasetKind, Diagnostic, Location, Subtype
from .catalog import SchemaCatalog
from .naming import identifier, in_hint, literal_path, path_of_table, table_name
from .parse import LineIndex, ParsedStatement, first_offset, parse_script
from .pivot_statements import is_statement_pivot, replace_statement_pivots, standard_pivot
from .query_lineage import Origin, OutputLineage, QueryLineage, QueryResolver


def fingerprint(text: str) -> str:
    """A short stable hash of normalized SQL."""
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


@dataclass
class StatementLineage:
    """What one statement reads and writes, with its column edges."""

    index: int
    kind: str
    location: Location
    source_tables: frozenset[str] = frozenset()
    target_tables: frozenset[str] = frozenset()
    column_edges: list[ColumnEdge] = field(default_factory=list)
    outputs: list[OutputLineage] = field(default_factory=list)
    target_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    dataset_kinds: dict[str, DatasetKind] = field(default_factory=dict)
    fingerprint: str = ""
    dropped: tuple[str, ...] = ()
    renamed: tuple[tuple[str, str], ...] = ()
    swapped: tuple[tuple[str, str], ...] = ()
    use: str | None = None
    replaces_columns: bool = True
    group: int = -1  # statements of one procedure or block share a group
    #: Row-shaping modifiers of the query that lands in the target: DISTINCT, LIMIT, set operation.
    modifiers: dict[str, str] = field(default_factory=dict)

    @property
    def datasets(self) -> frozenset[str]:
        return self.source_tables | self.target_tables


_NO_LINEAGE = (
    exp.Use, exp.Set, exp.Transaction, exp.Commit, exp.Rollback, exp.Describe, exp.Show,
    exp.Declare, exp.Analyze, exp.Grant, exp.Pragma, exp.Semicolon, exp.TruncateTable, exp.Refresh,
)  # fmt: skip
_TABLE_KINDS = {"TABLE", "VIEW", "MATERIALIZED VIEW", "DYNAMIC TABLE", "EXTERNAL TABLE", "STREAMING TABLE"}


class StatementAnalyzer:
    """Analyses statements of one script in order; holds the script's naming defaults."""

    def __init__(
        self,
        dialect: Dialect,
        catalog: SchemaCatalog,
        path: str,
        sql: str,
        lines: LineIndex,
        default_db: str | None = None,
        default_catalog: str | None = None,
    ) -> None:
        self.dialect = dialect
        self.catalog = catalog
        self.path = path
        self.sql = sql
        self.lines = lines
        self.default_db = default_db
        self.default_catalog = default_catalog
        self.diagnostics: list[Diagnostic] = []
        self.temporary: set[str] = set()
        self.variables: set[str] = set()
        self._index = 0

    # -- helpers -----------------------------------------------------------------------------

    def name(self, table: exp.Table) -> str:
        path = path_of_table(table)
        if path is not None:
            return path
        return table_name(table, self.dialect, self.default_db, self.default_catalog)

    def location_of(self, node: exp.Expr | None, fallback: ParsedStatement) -> Location:
        offset = first_offset(node) if node is not None else None
        if offset is not None:
            return Location(self.path, *self.lines.position(offset))
        return Location(self.path, fallback.line, fallback.column)

    def report(self, code: str, message: str, node: exp.Expr | None, statement: ParsedStatement) -> None:
        loc = self.location_of(node, statement)
        self.diagnostics.append(Diagnostic(self.path, loc.line, loc.column, codes.severity(code), code, message))

    def _resolver(self, statement: ParsedStatement) -> QueryResolver:
        return QueryResolver(
            self.dialect,
            self.catalog,
            self.name,
            lambda code, message, node: self.report(code, message, node, statement),
            frozenset(self.variables),
        )

    # -- dispatch ----------------------------------------------------------------------------

    def analyze(self, statement: ParsedStatement, top: bool = True) -> list[StatementLineage]:
        """Lineage of one parsed statement (several for a block); ``top`` is False inside blocks."""
        node = statement.expression
        if not isinstance(node, exp.Expr):
            return []
        if isinstance(node, exp.Block):
            return [r for e in node.expressions for r in self.analyze(_sub(statement, e), top=False)]
        if isinstance(node, exp.WhileBlock):
            body = node.args.get("body")
            return self.analyze(_sub(statement, body), top=False) if isinstance(body, exp.Expr) else []
        if isinstance(node, (exp.Condition, exp.Alias, exp.EndStatement)) and not isinstance(node, exp.Query):
            if top and not isinstance(node, exp.EndStatement):
                excerpt = " ".join(self.sql[statement.start : statement.end].split())[:60]
                self.report(codes.SQL_SYNTAX, f"not a SQL statement: {excerpt}", node, statement)
            return []  # assignments and conditions inside procedural code carry no lineage
        if isinstance(node, exp.IfBlock):
            result: list[StatementLineage] = []
            for branch in (node.args.get("true"), node.args.get("false")):
                if branch is not None:
                    result.extend(self.analyze(_sub(statement, branch), top=False))
            return result
        if isinstance(node, exp.Create) and node.kind == "FUNCTION" and not isinstance(node.expression, exp.Block):
            # A function body is an expression over its parameters; only the tables it reads matter.
            self._index += 1
            lineage = StatementLineage(
                self._index, "create_function", Location(self.path, statement.line, statement.column)
            )
            body = node.expression
            if isinstance(body, exp.Expr):
                lineage.source_tables = frozenset(
                    self.name(t) for t in body.find_all(exp.Table) if t.name and not in_hint(t)
                )
            return [lineage]
        if isinstance(node, exp.Create) and node.kind in ("PROCEDURE", "FUNCTION"):
            body = node.expression
            if body is None:
                return []
            return self.analyze(_sub(statement, body), top=False)
        if not isinstance(node, exp.Pivot) and any(is_statement_pivot(p) for p in node.find_all(exp.Pivot)):
            node = node.copy()
            replace_statement_pivots(node, self.dialect)  # those left are reported by the resolver
            statement = _sub(statement, node)
        if is_statement_pivot(node) and isinstance(node, exp.Pivot):
            # DuckDB ``PIVOT t ON … USING …`` as a statement: a query in the standard form.
            standard = standard_pivot(node, self.dialect)
            if standard is not None:
                return self.analyze(_sub(statement, standard), top)
        if isinstance(node, exp.Command):
            return self._command(statement, node)
        if isinstance(node, exp.MultitableInserts):
            return self._multi_insert(statement, node)

        self._index += 1
        lineage = StatementLineage(
            self._index, type(node).__name__.lower(), Location(self.path, statement.line, statement.column)
        )
        lineage.fingerprint = statement.fingerprint or _statement_fingerprint(node, self.dialect)
        handler = _HANDLERS.get(type(node))
        if handler is not None:
            handler(self, statement, node, lineage)
        elif isinstance(node, exp.Query):
            self._query_statement(statement, node, lineage)
        elif isinstance(node, exp.Declare):
            for item in node.expressions:
                names = item.this if isinstance(item.this, list) else [item.this]
                self.variables.update(identifier(n, self.dialect) for n in names if isinstance(n, exp.Expr))
        elif isinstance(node, exp.Use):
            lineage.use = (
                ".".join(identifier(p, self.dialect) for p in node.this.parts)
                if isinstance(node.this, exp.Table)
                else None
            )
        elif not isinstance(node, _NO_LINEAGE):
            self.report(codes.SQL_UNSUPPORTED, f"{type(node).__name__} statement: no lineage taken", node, statement)
        return [lineage]

    def _multi_insert(self, statement: ParsedStatement, node: exp.MultitableInserts) -> list[StatementLineage]:
        """Hive ``FROM src INSERT … SELECT … INSERT … SELECT …``: one insert per target, same source."""
        source = node.args.get("source")
        result: list[StatementLineage] = []
        for insert in node.expressions:
            insert = insert.copy()
            query = insert.expression
            if isinstance(query, exp.Select) and not query.args.get("from_") and source is not None:
                from_ = source.copy() if isinstance(source, exp.From) else exp.From(this=source.copy())
                query.set("from_", from_)
            result.extend(self.analyze(_sub(statement, insert), top=False))
        return result

    def _command(self, statement: ParsedStatement, node: exp.Command) -> list[StatementLineage]:
        keyword = str(node.this).upper()
        raw = node.expression
        body = raw.name if isinstance(raw, exp.Literal) else raw if isinstance(raw, str) else ""
        if keyword == "BEGIN" and body:
            return self._nested_script(statement, body)
        if keyword == "UNLOAD" and body:
            return self._unload(statement, body)
        if keyword == "ALTER" and body:
            exchanged = self._exchange_partition(statement, body)
            if exchanged is not None:
                return [exchanged]
        if keyword in _SILENT_COMMANDS or keyword.split(" ", 1)[0] in _SILENT_COMMANDS:
            return []
        if _is_failed_dml(keyword, body, self.dialect):
            # sqlglot falls back to a Command when it cannot parse a statement it knows.
            excerpt = " ".join(f"{keyword} {body}".split())[:60]
            self.report(codes.SQL_SYNTAX, f"statement could not be parsed: {excerpt}", node, statement)
            return []
        self.report(codes.SQL_UNSUPPORTED, f"{keyword} statement is not understood; no lineage taken", node, statement)
        return []

    def _nested_script(self, statement: ParsedStatement, body: str) -> list[StatementLineage]:
        start = self.sql.find(body, statement.start)
        offset_line = self.lines.position(start)[0] - 1 if start >= 0 else statement.line - 1
        inner_lines = LineIndex(body, line_offset=offset_line)
        saved_sql, saved_lines = self.sql, self.lines
        self.sql, self.lines = body, inner_lines
        try:
            statements, diagnostics = parse_script(body, self.dialect, self.path, inner_lines)
            self.diagnostics.extend(diagnostics)
            return [r for s in statements for r in self.analyze(s)]
        finally:
            self.sql, self.lines = saved_sql, saved_lines

    def _exchange_partition(self, statement: ParsedStatement, body: str) -> StatementLineage | None:
        """Hive ``ALTER TABLE a EXCHANGE PARTITION (…) WITH TABLE b``: b's partition moves into a."""
        tokens = self.dialect.tokenize(body)
        words = [t.text.upper() for t in tokens]
        if "EXCHANGE" not in words or words[:1] != ["TABLE"]:
            return None
        with_at = next((i for i in range(len(words) - 1) if words[i] == "WITH" and words[i + 1] == "TABLE"), None)
        if with_at is None:
            return None

        def table_at(start: int) -> str:
            parts = []
            i = start
            while (
                i < len(tokens)
                and tokens[i].token_type not in (TokenType.L_PAREN,)
                and words[i] not in ("EXCHANGE", "WITH")
            ):
                parts.append(tokens[i].text)
                i += 1
            name = "".join(parts)
            return self.name(exp.to_table(name, dialect=self.dialect))

        self._index += 1
        lineage = StatementLineage(self._index, "alter", Location(self.path, statement.line, statement.column))
        lineage.source_tables = frozenset({table_at(with_at + 2)})
        lineage.target_tables = frozenset({table_at(1)})
        lineage.fingerprint = fingerprint(body)
        return lineage

    def _unload(self, statement: ParsedStatement, body: str) -> list[StatementLineage]:
        """Redshift ``UNLOAD ('query') TO 's3://…'``: read with sqlglot's tokenizer, not by hand."""
        tokens = self.dialect.tokenize(body)
        strings = [t for t in tokens if t.token_type == TokenType.STRING]
        to_index = next((i for i, t in enumerate(tokens) if t.text.upper() == "TO"), None)
        if not strings or to_index is None or to_index + 1 >= len(tokens):
            self.report(
                codes.SQL_UNSUPPORTED, "UNLOAD without a query and a TO target", statement.expression, statement
            )
            return []
        query_sql = strings[0].text
        target = tokens[to_index + 1].text
        inner, diagnostics = parse_script(query_sql, self.dialect, self.path, LineIndex(query_sql, statement.line - 1))
        self.diagnostics.extend(diagnostics)
        self._index += 1
        lineage = StatementLineage(self._index, "unload", Location(self.path, statement.line, statement.column))
        lineage.fingerprint = fingerprint(query_sql)
        if inner and isinstance(inner[0].expression, exp.Query):
            self._land_query(statement, inner[0].expression, lineage, target, DatasetKind.FILE, None)
        return [lineage]

    # -- statement types ---------------------------------------------------------------------

    def _query_statement(self, statement: ParsedStatement, node: exp.Query, lineage: StatementLineage) -> None:
        holder: exp.Expr = node
        while isinstance(holder, exp.SetOperation):
            holder = holder.this
        into = holder.args.get("into")
        if isinstance(into, exp.Into) and isinstance(into.this, exp.Table):
            into = into.copy()
            holder.set("into", None)
            query = node.copy()
            target = self.name(into.this)
            kind = DatasetKind.TEMPORARY if into.args.get("temporary") or target.startswith("#") else DatasetKind.TABLE
            lineage.kind = "select_into"
            self._land_query(statement, query, lineage, target, kind, None)
            return
        if isinstance(node, exp.Select) and self._partition_functions(node, lineage):
            return
        lineage.kind = "select"
        result = self._resolver(statement).analyze(node)
        lineage.source_tables = frozenset(result.source_tables | result.path_sources)
        lineage.outputs = result.outputs
        for p in result.path_sources:
            lineage.dataset_kinds[p] = DatasetKind.FILE

    def _partition_functions(self, node: exp.Select, lineage: StatementLineage) -> bool:
        """Vertica's partition-moving functions, called in a ``SELECT`` with no ``FROM``:
        ``SELECT MOVE_PARTITIONS_TO_TABLE('src', min, max, 'dst')`` (also COPY_…, and SWAP_…
        ``_BETWEEN_TABLES('staging', min, max, 'target')``) fill the last table from the first,
        like Snowflake's ``ALTER TABLE … SWAP WITH``. True when the statement is such a call."""
        if node.args.get("from_") or node.args.get("from"):
            return False
        moves: list[tuple[str, str]] = []
        for projection in node.expressions:
            call = projection.unalias()
            if not isinstance(call, exp.Anonymous) or str(call.this).lower() not in _PARTITION_FUNCTIONS:
                continue
            args = call.expressions
            if len(args) < 4 or not all(isinstance(a, exp.Literal) and a.is_string for a in (args[0], args[3])):
                continue
            source, target = (self.name(exp.to_table(a.name, dialect=self.dialect)) for a in (args[0], args[3]))
            moves.append((source, target))
        if not moves:
            return False
        lineage.kind = "move_partitions"
        lineage.source_tables = frozenset(source for source, _ in moves)
        lineage.target_tables = frozenset(target for _, target in moves)
        for source, target in moves:
            _copy_columns(lineage, source, target, self.catalog.columns(source) or ())
        return True

    def _insert(self, statement: ParsedStatement, node: exp.Insert, lineage: StatementLineage) -> None:
        this = node.this
        columns: list[str] | None = None
        if isinstance(this, exp.Schema):
            columns = [identifier(c, self.dialect) for c in this.expressions]
            this = this.this
        if isinstance(this, exp.Directory):
            target = this.this.name if isinstance(this.this, exp.Literal) else this.this.sql()
            kind = DatasetKind.FILE
        elif isinstance(this, exp.Table):
            target = self.name(this)
            kind = DatasetKind.FILE if path_of_table(this) else DatasetKind.TABLE
        else:
            self.report(codes.SQL_UNSUPPORTED, "INSERT into an unsupported target", node, statement)
            return
        lineage.kind = "insert"
        lineage.replaces_columns = False
        query = node.expression
        if isinstance(query, exp.Subquery):
            query = _unwrap(query)
        if query is None or isinstance(query, exp.Values) or not isinstance(query, exp.Query):
            lineage.target_tables = frozenset({target})
            lineage.dataset_kinds.setdefault(target, kind)
            if query is not None:
                lineage.source_tables = frozenset(
                    self.name(t) for t in query.find_all(exp.Table) if t.name and not in_hint(t)
                )
            return
        query = _with_ctes(node, query)
        if columns is None:
            known = self.catalog.columns(target)
            columns = list(known) if known else None
        self._land_query(
            statement, query, lineage, target, kind, columns, positional_catalog=not isinstance(node.this, exp.Schema)
        )

    def _create(self, statement: ParsedStatement, node: exp.Create, lineage: StatementLineage) -> None:
        kind_text = (node.kind or "").upper()
        this = node.this
        columns: list[str] | None = None
        defined: list[str] = []
        if isinstance(this, exp.Schema):
            defined = [identifier(c.this, self.dialect) for c in this.expressions if isinstance(c, exp.ColumnDef)]
            columns = [
                identifier(c.this if isinstance(c, exp.ColumnDef) else c, self.dialect) for c in this.expressions
            ] or None
            this = this.this
        if not isinstance(this, exp.Table) or kind_text not in _TABLE_KINDS:
            lineage.kind = f"create_{kind_text.lower().replace(' ', '_')}" if kind_text else "create"
            return
        target = self.name(this)
        properties = node.args.get("properties")
        temporary = bool(properties and properties.find(exp.TemporaryProperty)) or target.startswith("#")
        kind = DatasetKind.VIEW if "VIEW" in kind_text else DatasetKind.TEMPORARY if temporary else DatasetKind.TABLE
        if temporary:
            self.temporary.add(target)
        lineage.kind = "create_view" if "VIEW" in kind_text else "create_table"
        like = properties.find(exp.LikeProperty) if properties else None
        clone = node.args.get("clone")
        source_table = None
        if isinstance(like, exp.LikeProperty) and isinstance(like.this, exp.Table):
            source_table = like.this
        elif isinstance(clone, exp.Clone) and isinstance(clone.this, exp.Table):
            source_table = clone.this
        query = node.expression
        if isinstance(query, exp.Subquery):
            query = _unwrap(query)
        if isinstance(query, exp.Query) and not isinstance(query, exp.Values):
            query = _with_ctes(node, query)
            lineage.kind = "create_view" if kind is DatasetKind.VIEW else "create_table_as"
            self._land_query(statement, query, lineage, target, kind, columns)
            return
        lineage.target_tables = frozenset({target})
        lineage.dataset_kinds[target] = kind
        data_path = _data_source_path(properties)
        if data_path is not None:
            # Spark ``CREATE [TEMPORARY] VIEW v USING csv OPTIONS (path '…')``: the view reads the files.
            lineage.source_tables = frozenset({data_path})
            lineage.dataset_kinds[data_path] = DatasetKind.FILE
        if source_table is not None:
            source = self.name(source_table)
            lineage.source_tables = frozenset({source})
            cols = self.catalog.columns(source)
            if cols:
                lineage.target_columns[target] = cols
                loc = lineage.location
                for col in cols:
                    text = f"{source}.{col}"
                    lineage.column_edges.append(
                        ColumnEdge(
                            ColumnRef(source, col),
                            ColumnRef(target, col),
                            Subtype.IDENTITY,
                            text,
                            fingerprint(text),
                            loc,
                        )
                    )
            return
        if defined:
            lineage.kind = "create_table_ddl"
            lineage.target_columns[target] = tuple(defined)

    def _cache(self, statement: ParsedStatement, node: exp.Cache, lineage: StatementLineage) -> None:
        if isinstance(node.expression, exp.Query) and isinstance(node.this, exp.Table):
            self._land_query(statement, node.expression, lineage, self.name(node.this), DatasetKind.TEMPORARY, None)

    def _merge(self, statement: ParsedStatement, node: exp.Merge, lineage: StatementLineage) -> None:
        target_node = node.this
        using = node.args.get("using")
        if not isinstance(target_node, exp.Table) or using is None:
            self.report(codes.SQL_UNSUPPORTED, "MERGE with an unsupported target", node, statement)
            return
        target = self.name(target_node)
        projections: list[exp.Expr] = []
        names: list[str] = []
        conditions: list[exp.Expr] = []
        source_alias = using.alias_or_name
        whens = node.args.get("whens")
        for when in whens.expressions if whens is not None else []:
            then = when.args.get("then")
            condition = when.args.get("condition")
            if isinstance(condition, exp.Expr):
                conditions.append(condition.copy())
            if isinstance(then, exp.Update):
                for eq in then.expressions:
                    if isinstance(eq, exp.EQ) and isinstance(eq.this, exp.Column):
                        names.append(identifier(eq.this.this, self.dialect))
                        projections.append(eq.expression.copy())
            elif isinstance(then, exp.Insert):
                values = then.expression.expressions if isinstance(then.expression, exp.Tuple) else []
                if isinstance(then.this, (exp.Tuple, exp.Schema)):
                    cols = [
                        identifier(c.this if isinstance(c, exp.Column) else c, self.dialect)
                        for c in then.this.expressions
                    ]
                else:  # INSERT VALUES (…) without a column list: the target's columns, in order
                    cols = list(self.catalog.columns(target) or [])
                    if len(cols) != len(values):
                        cols = [
                            v.alias_or_name if isinstance(v, exp.Column) else f"_col{i}" for i, v in enumerate(values)
                        ]
                for col_name, value in zip(cols, values, strict=False):
                    names.append(col_name)
                    projections.append(_qualify_unqualified(value.copy(), source_alias))
        on = node.args.get("on")
        if projections:
            select = exp.select(*projections).from_(using.copy()).join(target_node.copy(), on=on.copy() if on else None)
        else:
            select = exp.select(exp.Star()).from_(using.copy())
        if conditions:
            # ``WHEN MATCHED AND cond``: the conditions decide which rows are written.
            select = select.where(exp.or_(*conditions))
        query = _with_ctes(node, select)
        lineage.kind = "merge"
        lineage.replaces_columns = False
        self._land_query(
            statement, query, lineage, target, DatasetKind.TABLE, names if projections else None, exclude_target=target
        )

    def _update(self, statement: ParsedStatement, node: exp.Update, lineage: StatementLineage) -> None:
        target_node, table_joins = _detach_joins(node.this)  # MySQL: UPDATE a JOIN b ON … SET …
        if not isinstance(target_node, exp.Table):
            self.report(codes.SQL_UNSUPPORTED, "UPDATE of an unsupported target", node, statement)
            return
        from_ = node.args.get("from_") or node.args.get("from")
        joined = [from_.this] if isinstance(from_, exp.From) else []
        joined += [j.this for j in node.args.get("joins") or []]
        if not target_node.db:
            # T-SQL ``UPDATE alias SET … FROM real_table AS alias``.
            for candidate in joined:
                if isinstance(candidate, exp.Table) and candidate.alias and candidate.alias == target_node.name:
                    target_node = candidate
                    joined = [j for j in joined if j is not candidate]
                    break
        target = self.name(target_node)
        names: list[str] = []
        projections: list[exp.Expr] = []
        for eq in node.expressions:
            if isinstance(eq, exp.EQ) and isinstance(eq.this, exp.Column):
                names.append(identifier(eq.this.this, self.dialect))
                projections.append(eq.expression.copy())
        select = exp.select(*projections).from_(target_node.copy())
        for other in joined:
            select = select.join(other.copy())
        for join in table_joins:
            select = select.join(join)
        for join in node.args.get("joins") or []:
            if join.args.get("on") is not None:
                for existing in select.args.get("joins") or []:
                    if existing.this == join.this:
                        existing.set("on", join.args["on"].copy())
        where = node.args.get("where")
        if where is not None:
            select = select.where(where.this.copy())
        query = _with_ctes(node, select)
        lineage.kind = "update"
        lineage.replaces_columns = False
        self._land_query(statement, query, lineage, target, DatasetKind.TABLE, names, exclude_target=target)

    def _delete(self, statement: ParsedStatement, node: exp.Delete, lineage: StatementLineage) -> None:
        lineage.kind = "delete"
        target_node, joins = _detach_joins(node.this)
        if not isinstance(target_node, exp.Table):
            return
        target = self.name(target_node)
        where = node.args.get("where")
        using = node.args.get("using")
        if where is None and not using and not joins:
            return  # DELETE of every row: no data flows
        select = exp.select(exp.Star()).from_(target_node)
        for table in using or []:
            select = select.join(table.copy())
        for join in joins:
            select = select.join(join)
        if where is not None:
            select = select.where(where.this.copy())
        result = self._resolver(statement).analyze(_with_ctes(node, select))
        lineage.source_tables = frozenset((result.source_tables | result.path_sources) - {target})
        lineage.target_tables = frozenset({target})
        lineage.replaces_columns = False
        loc = self.location_of(where, statement)
        for origin, text in sorted(result.clause_origins.items(), key=lambda item: _origin_key(item[0])):
            lineage.column_edges.append(_clause_edge(origin, target, text, loc))

    def _copy(self, statement: ParsedStatement, node: exp.Copy, lineage: StatementLineage) -> None:
        lineage.kind = "copy"
        this = node.this
        files = node.args.get("files") or []
        loading = bool(node.args.get("kind"))  # True: COPY … FROM, False: COPY … TO
        file_names = [name for f in files if (name := literal_path(f))]
        query = next((f.this for f in files if isinstance(f, exp.Subquery)), None)
        if isinstance(this, exp.Subquery) and isinstance(this.this, exp.Query) and file_names:
            # COPY (SELECT …) TO 'file' (PostgreSQL, DuckDB)
            for name in file_names[1:]:
                lineage.dataset_kinds[name] = DatasetKind.FILE
            self._land_query(statement, this.this, lineage, file_names[0], DatasetKind.FILE, None)
            return
        if isinstance(this, exp.Table) and path_of_table(this):
            # Snowflake unload: COPY INTO 's3://…' FROM (SELECT …) | table
            target = self.name(this)
            if isinstance(query, exp.Query):
                self._land_query(statement, query, lineage, target, DatasetKind.FILE, None)
            else:
                tables = [f for f in files if isinstance(f, exp.Table)]
                lineage.source_tables = frozenset(self.name(t) for t in tables)
                lineage.target_tables = frozenset({target})
                lineage.dataset_kinds[target] = DatasetKind.FILE
            return
        listed: list[str] | None = None
        if isinstance(this, exp.Schema) and isinstance(this.this, exp.Table):
            # COPY t (a, b) FROM / TO: only the listed columns move.
            listed = [identifier(c, self.dialect) for c in this.expressions]
            this = this.this
        if not isinstance(this, exp.Table):
            return
        table = self.name(this)
        if loading:
            lineage.source_tables = frozenset(file_names)
            lineage.target_tables = frozenset({table})
        else:
            lineage.source_tables = frozenset({table})
            lineage.target_tables = frozenset(file_names)
            # COPY table TO 'file': the file holds the table's columns as they are.
            columns = listed or self.catalog.columns(table) or ()
            for name in file_names:
                _copy_columns(lineage, table, name, columns)
        for f in file_names:
            lineage.dataset_kinds[f] = DatasetKind.FILE

    def _load(self, statement: ParsedStatement, node: exp.LoadData, lineage: StatementLineage) -> None:
        lineage.kind = "load"
        inpath = node.args.get("inpath")
        if isinstance(node.this, exp.Table) and isinstance(inpath, exp.Literal):
            lineage.source_tables = frozenset({inpath.name})
            lineage.target_tables = frozenset({self.name(node.this)})
            lineage.dataset_kinds[inpath.name] = DatasetKind.FILE

    def _alter(self, statement: ParsedStatement, node: exp.Alter, lineage: StatementLineage) -> None:
        lineage.kind = "alter"
        if not isinstance(node.this, exp.Table):
            return
        old = self.name(node.this)
        self._alter_columns(node, old, lineage)
        for action in node.args.get("actions") or []:
            if isinstance(action, exp.AlterRename) and isinstance(action.this, exp.Table):
                new_table = action.this.copy()
                if not new_table.db and node.this.db:
                    # ALTER TABLE s.a RENAME TO b keeps the schema: b is s.b.
                    new_table.set("db", node.this.args["db"].copy())
                    if node.this.catalog:
                        new_table.set("catalog", node.this.args["catalog"].copy())
                lineage.renamed += ((old, self.name(new_table)),)
            elif isinstance(action, exp.SwapTable) and isinstance(action.this, exp.Table):
                other = self.name(action.this)
                lineage.swapped += ((old, other),)
                # After the swap, ``old`` holds the rows that were in ``other``.
                lineage.source_tables = frozenset({other})
                lineage.target_tables = frozenset({old})
                for column in self.catalog.columns(other) or ():
                    text = f"{other}.{column}"
                    lineage.column_edges.append(
                        ColumnEdge(ColumnRef(other, column), ColumnRef(old, column), Subtype.IDENTITY, text,
                                   fingerprint(text), lineage.location)
                    )  # fmt: skip

    def _alter_columns(self, node: exp.Alter, table: str, lineage: StatementLineage) -> None:
        """ADD / DROP / RENAME COLUMN change the table's known columns, so a later ``t.*`` sees them.

        Only a table whose columns are known changes: new columns alone are not all of them."""
        known = self.catalog.columns(table)
        if known is None:
            return
        columns = list(known)
        changed = False
        for action in node.args.get("actions") or []:
            defs = action.expressions if isinstance(action, exp.Schema) else [action]
            for item in defs:
                if isinstance(item, exp.ColumnDef):
                    name = identifier(item.this, self.dialect)
                    if name not in columns:
                        columns.append(name)
                        changed = True
                elif isinstance(item, exp.Drop) and item.args.get("kind") == "COLUMN":
                    for dropped in item.args.get("tables") or []:
                        name = identifier(dropped.this if isinstance(dropped, exp.Column) else dropped, self.dialect)
                        if name in columns:
                            columns.remove(name)
                            changed = True
                elif isinstance(item, exp.RenameColumn):
                    before = identifier(
                        item.this.this if isinstance(item.this, exp.Column) else item.this, self.dialect
                    )
                    after = item.args.get("to")
                    if before in columns and after is not None:
                        columns[columns.index(before)] = identifier(
                            after.this if isinstance(after, exp.Column) else after, self.dialect
                        )
                        changed = True
        if changed and columns:
            lineage.target_columns[table] = tuple(columns)

    def _drop(self, statement: ParsedStatement, node: exp.Drop, lineage: StatementLineage) -> None:
        lineage.kind = "drop"
        tables = node.args.get("tables") or ([node.this] if node.this is not None else [])
        lineage.dropped = tuple(self.name(t) for t in tables if isinstance(t, exp.Table))

    # -- the common core ---------------------------------------------------------------------

    def _land_query(
        self,
        statement: ParsedStatement,
        query: exp.Query,
        lineage: StatementLineage,
        target: str,
        kind: DatasetKind,
        columns: list[str] | None,
        *,
        exclude_target: str | None = None,
        positional_catalog: bool = False,
    ) -> None:
        """Trace ``query`` and record its rows landing in ``target`` (with ``columns`` if given)."""
        query = _unwrap(query)
        lineage.modifiers = _modifiers(query, self.dialect)
        result: QueryLineage = self._resolver(statement).analyze(query)
        sources = result.source_tables | result.path_sources
        if exclude_target is not None:
            sources = {s for s in sources if s != exclude_target} | (
                {exclude_target} if _reads_target(result, exclude_target) else set()
            )
        lineage.source_tables = frozenset(sources)
        lineage.target_tables = frozenset({target})
        lineage.outputs = result.outputs
        lineage.dataset_kinds[target] = kind
        for p in result.path_sources:
            lineage.dataset_kinds[p] = DatasetKind.FILE
        if target in self.temporary:
            lineage.dataset_kinds[target] = DatasetKind.TEMPORARY

        outputs = result.outputs
        has_star = any(o.name == "*" for o in outputs)
        if columns is not None and len(columns) != len(outputs):
            if positional_catalog or has_star:
                columns = None  # catalog columns that do not line up are not used positionally
            else:
                self.report(
                    codes.APPROXIMATED,
                    f"{len(columns)} target columns for {len(outputs)} query columns; "
                    "matched by position as far as they go",
                    query,
                    statement,
                )
        names = [columns[i] if columns is not None and i < len(columns) else o.name for i, o in enumerate(outputs)]
        if not has_star:
            lineage.target_columns[target] = tuple(names)
        for output, name in zip(outputs, names, strict=True):
            loc = (
                Location(self.path, *self.lines.position(output.offset))
                if output.offset is not None
                else lineage.location
            )
            fp = fingerprint(output.transformation)
            for origin in sorted(output.origins, key=_origin_key):
                if (
                    exclude_target is not None
                    and origin.table == exclude_target
                    and origin.column == name
                    and origin.subtype is Subtype.IDENTITY
                ):
                    continue  # ``SET x = x`` style self reference
                source = ColumnRef(origin.table, origin.column if origin.column is not None else "*")
                if origin.column is None:
                    self.report(
                        codes.STAR_UNKNOWN,
                        f"columns of {origin.table} are unknown; {target}.{name} takes all of them",
                        query,
                        statement,
                    )
                lineage.column_edges.append(
                    ColumnEdge(source, ColumnRef(target, name), origin.subtype, output.transformation, fp, loc)
                )
            if output.constant:
                # A literal, NULL, CURRENT_TIMESTAMP …: one explicit edge with no source, so the
                # column is known to be a constant (and a changed constant changes its fingerprint).
                lineage.column_edges.append(
                    ColumnEdge(NO_SOURCE, ColumnRef(target, name), Subtype.TRANSFORMATION, output.transformation, fp,
                               loc)
                )  # fmt: skip
        for origin, text in sorted(result.clause_origins.items(), key=lambda item: _origin_key(item[0])):
            offset = result.clause_offsets.get(text)
            clause_loc = Location(self.path, *self.lines.position(offset)) if offset is not None else lineage.location
            lineage.column_edges.append(_clause_edge(origin, target, text, clause_loc))


#: Commands that carry no lineage and deserve no diagnostic.
_SILENT_COMMANDS = frozenset(
    {"GO", "END", "COMMIT", "ROLLBACK", "BEGIN", "EXEC", "EXECUTE", "CALL", "VACUUM", "GRANT", "REVOKE",
     "COMMENT", "SET", "DECLARE", "OPTIMIZE", "MSCK", "REFRESH", "UNCACHE", "ANALYZE", "SHOW", "DESCRIBE",
     "ADD", "LIST", "RESET"}  # Hive/Spark session resources (ADD JAR/FILE/ARCHIVE …): no lineage
)  # fmt: skip
_DML = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE", "SELECT", "WITH", "REPLACE", "UPSERT"})


#: Vertica functions that move (or copy, or swap) partitions from their first table to their last.
_PARTITION_FUNCTIONS = frozenset({
    "move_partitions_to_table", "copy_partitions_to_table", "swap_partitions_between_tables",
})  # fmt: skip


def _copy_columns(lineage: StatementLineage, source: str, target: str, columns: Sequence[str]) -> None:
    """``target`` holds ``source``'s columns as they are (a copy, a partition move): IDENTITY edges."""
    if columns:
        lineage.target_columns[target] = tuple(columns)
    for column in columns:
        text = f"{source}.{column}"
        lineage.column_edges.append(
            ColumnEdge(ColumnRef(source, column), ColumnRef(target, column), Subtype.IDENTITY, text,
                       fingerprint(text), lineage.location)
        )  # fmt: skip


def _is_failed_dml(keyword: str, body: str, dialect: Dialect) -> bool:
    """A Command holding what should have been a table-producing statement (a syntax error)."""
    if keyword in _DML:
        return True
    if keyword != "CREATE":
        return False
    try:
        words = [t.text.upper() for t in dialect.tokenize(body)[:6]]
    except Exception:
        return True
    return ("TABLE" in words or "VIEW" in words) and "FUNCTION" not in words and "PROCEDURE" not in words


def _statement_fingerprint(node: exp.Expr, dialect: Dialect) -> str:
    try:
        return fingerprint(node.sql(dialect=dialect, comments=False))
    except Exception:
        return fingerprint(repr(node))


def _origin_key(origin: Origin) -> tuple[str, str, str]:
    return (origin.table or "", origin.column or "", origin.subtype.value)


def _clause_edge(origin: Origin, target: str, text: str, loc: Location) -> ColumnEdge:
    source = ColumnRef(origin.table, origin.column if origin.column is not None else "*")
    fp = fingerprint(f"{origin.subtype.value}:{text}")
    return ColumnEdge(source, ColumnRef(target, None), origin.subtype, text, fp, loc)


def _reads_target(result: QueryLineage, target: str) -> bool:
    """Whether the target's own values flow into what is written (``SET x = x + 1``).

    Reading the target only to pick rows (WHERE, ON, ``WHEN MATCHED AND …``) does not make it a
    source: its rows are changed in place, which the target edge already says."""
    return any(o.table == target for output in result.outputs for o in output.origins)


def _data_source_path(properties: exp.Expr | None) -> str | None:
    """The files a Spark data-source table or view reads: ``USING fmt OPTIONS (path '…')`` / ``LOCATION``."""
    if not isinstance(properties, exp.Properties) or properties.find(exp.FileFormatProperty) is None:
        return None
    for option in properties.find_all(exp.Property):
        value = option.args.get("value")
        if option.name.lower() == "path" and isinstance(value, exp.Literal) and value.is_string:
            return str(value.name)
    location = properties.find(exp.LocationProperty)
    if location is not None and isinstance(location.this, exp.Literal):
        return str(location.this.name)
    return None


def _modifiers(query: exp.Query, dialect: Dialect) -> dict[str, str]:
    """DISTINCT, LIMIT/TOP and set-operation kind of a query: changes to them change the rows."""
    result: dict[str, str] = {}
    if isinstance(query, exp.SetOperation):
        result["set_operation"] = type(query).__name__.upper() + ("" if query.args.get("distinct") else " ALL")
    distinct = query.args.get("distinct")
    if isinstance(distinct, exp.Distinct):
        result["distinct"] = distinct.sql(dialect=dialect) or "DISTINCT"
    for key in ("limit", "offset"):
        value = query.args.get(key)
        if isinstance(value, exp.Expr):
            result[key] = value.sql(dialect=dialect)
    return result


def _detach_joins(node: exp.Expr | None) -> tuple[exp.Expr | None, list[exp.Join]]:
    """A copy of a table reference without the joins MySQL attaches to it, and those joins."""
    if not isinstance(node, exp.Table):
        return node, []
    table = node.copy()
    joins = [j for j in table.args.get("joins") or [] if isinstance(j, exp.Join)]
    table.set("joins", None)
    return table, joins


def _qualify_unqualified(value: exp.Expr, alias: str) -> exp.Expr:
    """In ``WHEN NOT MATCHED THEN INSERT VALUES (…)`` only the source's columns are visible."""
    if not alias:
        return value
    for column in list(value.find_all(exp.Column)):
        if not column.table and not isinstance(column.this, exp.Star):
            column.set("table", exp.to_identifier(alias))
    return value


def _unwrap(query: exp.Query) -> exp.Query:
    """``AS (SELECT …)`` and ``INSERT INTO t (WITH … SELECT …)``: the query inside the parentheses."""
    while isinstance(query, exp.Subquery) and isinstance(query.this, exp.Query) and not query.alias:
        inner = query.this
        if query.args.get("with_") and not inner.args.get("with_"):
            inner = inner.copy()
            inner.set("with_", query.args["with_"].copy())
        query = inner
    return query


def _with_ctes(statement: exp.Expr, query: exp.Query) -> exp.Query:
    """Move a statement-level WITH (``WITH c AS … INSERT INTO t SELECT …``) onto its query."""
    with_ = statement.args.get("with_") or statement.args.get("with")
    if with_ is None:
        return query
    query = query.copy()
    inner = query.args.get("with_")
    if isinstance(inner, exp.With):
        inner.set("expressions", [*with_.expressions, *inner.expressions])
    else:
        query.set("with_", with_.copy())
    return query


def _sub(statement: ParsedStatement, node: exp.Expr) -> ParsedStatement:
    return ParsedStatement(node, statement.line, statement.column, statement.start, statement.end)


_Handler = Callable[[StatementAnalyzer, ParsedStatement, exp.Expr, StatementLineage], None]
_HANDLERS: dict[type, _Handler] = {
    exp.Insert: StatementAnalyzer._insert,  # type: ignore[dict-item]
    exp.Create: StatementAnalyzer._create,  # type: ignore[dict-item]
    exp.Cache: StatementAnalyzer._cache,  # type: ignore[dict-item]
    exp.Merge: StatementAnalyzer._merge,  # type: ignore[dict-item]
    exp.Update: StatementAnalyzer._update,  # type: ignore[dict-item]
    exp.Delete: StatementAnalyzer._delete,  # type: ignore[dict-item]
    exp.Copy: StatementAnalyzer._copy,  # type: ignore[dict-item]
    exp.LoadData: StatementAnalyzer._load,  # type: ignore[dict-item]
    exp.Alter: StatementAnalyzer._alter,  # type: ignore[dict-item]
    exp.Drop: StatementAnalyzer._drop,  # type: ignore[dict-item]
}
