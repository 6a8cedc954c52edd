"""Lineage of one rendered model or snapshot, by the SQL engine, added to the graph.

A model's SELECT has no target, so it is wrapped as ``CREATE TABLE|VIEW <relation> AS <select>``
and analysed by the engine like any CTAS: the catalog learns the model's columns, so a later
``SELECT *`` over it expands. An incremental model is rendered both ways (``is_incremental()``
false and true) and the lineage of the two renders is merged, so columns and filters that only
the incremental branch touches are kept. When the template or its SQL fails, the model still gets
table-level lineage from the ``ref``/``source`` calls it makes.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

from ..config import Config
from ..graph import Job, LineageGraph
from ..model import DatasetKind, Diagnostic, Location
from ..sql.analyze import analyze_statements
from ..sql.catalog import SchemaCatalog
from ..sql.naming import get_dialect
from ..sql.parse import ParsedStatement, parse_script
from ..sql.statements import StatementLineage
from .context import DbtRenderer, RenderResult
from .diagnostics import diagnostic
from .locations import refine_locations
from .nodes import DbtNode
from .relations import Relation, dataset_name
from .stars import StarModel, star_model

_PLACEHOLDER_CALL = re.compile(r"__[A-Za-z0-9_]+__(\()?")
_SKIPPABLE = re.compile(r"(?:\s+|--[^\n]*|/\*.*?\*/|;)*", re.DOTALL)
_STATEMENT_START = re.compile(r"(?:with|select|\()", re.IGNORECASE)
_FALLBACK_DIALECTS = ("snowflake", "bigquery", "databricks", "postgres", "tsql")


@dataclass
class ModelLineage:
    """What one node contributed: its relation, statements and diagnostics."""

    node: DbtNode
    relation: Relation
    statements: list[StatementLineage] = field(default_factory=list)
    reads: dict[str, int] = field(default_factory=dict)
    unresolved: dict[str, str] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    line: int = 1


def blank_leading_placeholders(sql: str) -> str:
    """Blank placeholder calls (unknown hooks, macros) standing before the statement: not SQL."""
    pos = 0
    while True:
        pos = _SKIPPABLE.match(sql, pos).end()  # type: ignore[union-attr]
        match = _PLACEHOLDER_CALL.match(sql, pos)
        if match is None:
            return sql
        end = match.end()
        if match.group(1):
            depth = 1
            while end < len(sql) and depth:
                depth += {"(": 1, ")": -1}.get(sql[end], 0)
                end += 1
        rest = _SKIPPABLE.match(sql, end).end()  # type: ignore[union-attr]
        if rest < len(sql) and not _STATEMENT_START.match(sql, rest) and not sql.startswith("__", rest):
            return sql
        sql = sql[:pos] + "".join(ch if ch == "\n" else " " for ch in sql[pos:end]) + sql[end:]
        pos = end


class ModelAnalyzer:
    """Renders and analyses the nodes of one project into the graph."""

    def __init__(
        self,
        renderer: DbtRenderer,
        config: Config,
        graph: LineageGraph,
        catalog: SchemaCatalog,
        dialect_of: Callable[[DbtNode], str | None],
    ) -> None:
        self.renderer = renderer
        self.config = config
        self.graph = graph
        self.catalog = catalog
        self.dialect_of = dialect_of
        #: datasets whose columns come from property files, not from SQL: they may be incomplete
        self.declared_only: set[str] = set()
        #: models passing an input with unknown columns through ``select *``, in analysis order
        self.star_models: list[StarModel] = []
        #: False when the project's dialect was guessed: unparseable SQL is tried in other dialects
        self.dialect_known = True

    # -- one node -------------------------------------------------------------------------------

    def analyse(self, node: DbtNode, rendered: RenderResult | None = None) -> ModelLineage | None:
        """Render, analyse and record ``node``; None when it turns out to be disabled.

        ``rendered`` is an earlier render, reused when it would come out the same now (see
        :meth:`DbtRenderer.still_valid`)."""
        if node.language == "python":
            return self._python_model(node)
        if rendered is not None and self.renderer.still_valid(rendered):
            full = rendered
        else:
            full = self.renderer.render(node, incremental=False)
        renders = [full]
        if not full.failed and "is_incremental" in node.text and full.config.get("materialized") == "incremental":
            renders.insert(0, self.renderer.render(node, incremental=True))
        if not full.failed:
            node.rendered_config = full.config
            node.relation = None
            if not node.enabled and not self.renderer.settings.include_disabled:
                return None
        elif "enabled" in full.config and not self.renderer.settings.include_disabled:
            # A render that failed after ``config(enabled=…)`` ran still decided that.
            node.rendered_config = {**node.effective_config(), "enabled": full.config["enabled"]}
            if not node.enabled:
                return None
        relation = self.renderer.relation_for(node)
        result = ModelLineage(node, relation, line=node.line)
        seen: set[Diagnostic] = set()
        for render in renders:
            for d in render.diagnostics:
                if d not in seen:
                    seen.add(d)
                    result.diagnostics.append(d)
            result.reads.update({k: v for k, v in render.reads.items() if k not in result.reads})
            result.unresolved.update(render.unresolved)
            if not render.failed:
                statement = self._statement(node, relation, render, result)
                if statement is not None:
                    result.statements.append(statement)
                    result.line = statement.location.line
        if full.failed:
            self._static_reads(node, result)
        self.record(result)
        return result

    def _statement(
        self, node: DbtNode, relation: Relation, render: RenderResult, result: ModelLineage
    ) -> StatementLineage | None:
        """Analyse one render; columns YAML forgot to declare are learned and the render analysed again."""
        statement, problems = self._analyse_render(node, relation, render)
        missing = _unresolved_columns(statement)
        declared = [s for s in (statement.source_tables if statement else ()) if s in self.declared_only]
        if missing and len(declared) == 1:
            # Property files document columns; they rarely list all of them. A column the SQL reads
            # from the only such source must be one of its columns.
            source = declared[0]
            known = self.catalog.columns(source) or ()
            guessed = sorted(missing - set(known))
            self.catalog.add(source, [*known, *guessed])
            first = statement, problems
            statement, problems = self._analyse_render(node, relation, render)
            # Learn only what the analysis with them reads from that source: a column unresolved
            # for another reason (``cte.x`` where the CTE has no ``x``) is not one of its columns.
            read = {e.source.column for e in statement.column_edges if e.source.table == source} if statement else set()
            learned = [c for c in guessed if c in read]
            if learned != guessed:
                if known or learned:
                    self.catalog.add(source, [*known, *learned])
                else:
                    self.catalog.remove(source)
                statement, problems = self._analyse_render(node, relation, render) if learned else first
            self.graph.dataset(source).add_columns(learned)
        result.diagnostics.extend(problems)
        return statement

    def _analyse_render(
        self, node: DbtNode, relation: Relation, render: RenderResult
    ) -> tuple[StatementLineage | None, list[Diagnostic]]:
        dialect_name = self.dialect_of(node)
        sql = blank_leading_placeholders(render.sql)
        statements, problems = parse_script(sql, get_dialect(dialect_name), node.path, render.lines)
        if problems and not self.dialect_known:
            # Nothing said which warehouse the project targets: SQL that does not parse in the
            # default (or guessed) dialect may be another warehouse's.
            for other in _FALLBACK_DIALECTS:
                if other == dialect_name:
                    continue
                retry, retry_problems = parse_script(sql, get_dialect(other), node.path, render.lines)
                if retry and not any(d.code == "DT100" for d in retry_problems):
                    statements, problems, dialect_name = retry, retry_problems, other
                    break
        dialect = get_dialect(dialect_name)
        queries = [s for s in statements if isinstance(s.expression, exp.Query)]
        if not queries:
            if not problems:
                line = render.lines.position(len(sql.rstrip()))[0] if sql.strip() else node.line
                problems.append(diagnostic("DT206", node.path, line, "the model renders to no SELECT statement"))
            return None, problems
        main = queries[-1]
        query: exp.Expr = main.expression
        config = render.config
        if node.resource_type == "snapshot":
            query = snapshot_query(query, config, dialect_name)
        materialized = str(config.get("materialized") or ("snapshot" if node.resource_type == "snapshot" else "view"))
        kind = "VIEW" if materialized in ("view", "materialized_view") else "TABLE"
        create = exp.Create(this=exp.to_table(relation.render(), dialect=dialect), kind=kind, expression=query)
        parsed = ParsedStatement(create, main.line, main.column, main.start, main.end, -1, main.fingerprint)
        analysed = analyze_statements(
            [parsed], sql, dialect, self.catalog, path=node.path, lines=render.lines,
            default_db=self.config.default_schema, default_catalog=self.config.default_database,
        )  # fmt: skip
        problems.extend(analysed.diagnostics)
        statement = analysed.statements[0] if analysed.statements else None
        if statement is not None:
            statement.location = Location(node.path, main.line, main.column)
            statement.column_edges = refine_locations(statement.column_edges, sql, render.lines, node.text)
        return statement, problems

    def _static_reads(self, node: DbtNode, result: ModelLineage) -> None:
        """Table-level lineage from the constant ``ref``/``source`` calls of a template that failed."""
        for ref in node.static_refs:
            if ref.kind == "ref":
                package, name = (ref.args[0], ref.args[1]) if len(ref.args) == 2 else (None, ref.args[0])
                target = self.renderer.find_ref(package, name, ref.version)
                if target is None:
                    continue
                result.reads.setdefault(dataset_name(self.renderer.relation_for(target)), ref.line)
            elif len(ref.args) == 2:
                table = self.renderer.find_source(ref.args[0], ref.args[1])
                if table is not None:
                    result.reads.setdefault(dataset_name(self.renderer.source_relation(table)), ref.line)

    def _python_model(self, node: DbtNode) -> ModelLineage:
        """A dbt Python model: ``dbt.ref()`` / ``dbt.source()`` calls give table-level lineage."""
        relation = self.renderer.relation_for(node)
        result = ModelLineage(node, relation)
        try:
            tree = ast.parse(node.text)
        except SyntaxError as e:
            problem = diagnostic("DT300", node.path, e.lineno or 1, f"Python syntax error: {e.msg}", e.offset or 1)
            result.diagnostics.append(problem)
            self.record(result)
            return result
        for call in ast.walk(tree):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
                continue
            if not (isinstance(call.func.value, ast.Name) and call.func.value.id == "dbt"):
                continue
            args = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if call.func.attr == "ref" and args:
                found = self.renderer.find_ref(args[0] if len(args) == 2 else None, args[-1])
                rel = self.renderer.relation_for(found) if found else None
            elif call.func.attr == "source" and len(args) == 2:
                table = self.renderer.find_source(args[0], args[1])
                rel = self.renderer.source_relation(table) if table else None
            else:
                continue
            if rel is None:
                message = f"dbt.{call.func.attr}({', '.join(map(repr, args))}) names nothing in the project"
                result.diagnostics.append(diagnostic("DT203", node.path, call.lineno, message, call.col_offset + 1))
                continue
            result.reads.setdefault(dataset_name(rel), call.lineno)
        self.record(result)
        return result

    # -- the graph ------------------------------------------------------------------------------

    def record(self, result: ModelLineage) -> None:
        """Add a node's dataset, job, flows and column edges to the graph."""
        node, graph = result.node, self.graph
        target = dataset_name(result.relation)
        config = node.effective_config()
        materialized = str(config.get("materialized") or ("snapshot" if node.resource_type == "snapshot" else "view"))
        if node.language == "python" and "materialized" not in config:
            materialized = "table"
        tags = (
            sorted({str(t) for t in (config.get("tags") or []) if t is not None})
            if isinstance(config.get("tags"), list)
            else ([str(config["tags"])] if config.get("tags") else [])
        )
        ds = graph.dataset(target, DatasetKind.DBT_MODEL, Location(node.path, result.line))
        ds.kind = DatasetKind.DBT_MODEL
        ds.attributes.update({"materialized": materialized, "path": node.path, "tags": tags})
        if node.resource_type != "model":
            ds.attributes["resource_type"] = node.resource_type
        job = graph.add_job(Job(f"{node.path}:{target}", "dbt", node.path, result.line, attributes={
            "resource_type": node.resource_type, "materialized": materialized, "unique_id": node.unique_id,
            "column_lineage": bool(result.statements),
        }))  # fmt: skip
        graph.diagnostics.extend(result.diagnostics)
        # Like dbt's DAG, every ref()/source() the template calls is an input, even one only used
        # in a macro argument or a ``-- depends_on:`` comment; column edges come from the SQL alone.
        sources = set(result.reads)
        for statement in result.statements:
            sources |= statement.source_tables
        sources.discard(target)
        for name in sorted(sources):
            kind = None
            for statement in result.statements:
                kind = kind or statement.dataset_kinds.get(name)
            source_ds = graph.dataset(name, kind)
            if name in result.unresolved and source_ds.kind in (DatasetKind.TABLE, DatasetKind.UNKNOWN):
                source_ds.kind = DatasetKind.UNKNOWN
                source_ds.attributes["reason"] = result.unresolved[name]
            graph.add_flow(name, target, job.name)
        columns: list[str] = []
        for statement in reversed(result.statements):  # the full-refresh render first
            columns.extend(c for c in statement.target_columns.get(target, ()) if c not in columns)
        if columns:
            self.declared_only.discard(target)
        elif node.columns:
            columns = list(node.columns)
        ds.add_columns(columns)
        seen: set[tuple[object, object, object]] = set()
        for statement in reversed(result.statements):  # the full refresh wins over the incremental run
            for edge in statement.column_edges:
                key = (edge.source, edge.target, edge.subtype)
                if edge.source.table != target and key not in seen:  # not the model reading itself ({{ this }})
                    seen.add(key)
                    graph.add_column_edge(edge, job.name)
        if result.statements:
            star = star_model(target, job.name, result.statements[-1], list(node.columns))
            if star is not None:
                self.star_models.append(star)
        if columns and self.catalog.columns(target) is None:
            self.catalog.add(target, columns)


def _unresolved_columns(statement: StatementLineage | None) -> set[str]:
    """Columns the engine could not pin to a source."""
    if statement is None:
        return set()
    edges = statement.column_edges
    return {e.source.column for e in edges if e.source.table is None and e.source.column not in (None, "*")}


def snapshot_query(query: exp.Expr, config: dict[str, object], dialect: str | None) -> exp.Expr:
    """A snapshot's query with the columns dbt adds (``dbt_scd_id``, ``dbt_valid_from`` …)."""

    def parse(text: object) -> exp.Expr | None:
        try:
            return sqlglot.parse_one(str(text), read=dialect or None, into=exp.Condition)
        except Exception:
            return None

    strategy = str(config.get("strategy") or "timestamp")
    updated = parse(config.get("updated_at")) if strategy == "timestamp" and config.get("updated_at") else None
    updated = updated or exp.CurrentTimestamp()
    raw_keys = config.get("unique_key")
    keys = [parse(k) for k in (raw_keys if isinstance(raw_keys, list) else [raw_keys] if raw_keys else [])]
    parts = [k for k in keys if k is not None] + [updated.copy()]
    scd_id = exp.func("md5", exp.Concat(expressions=[exp.cast(p, "varchar") for p in parts]))
    # dbt 1.9+: ``snapshot_meta_column_names`` renames these columns; ``hard_deletes: new_record``
    # adds ``dbt_is_deleted``.
    renamed = config.get("snapshot_meta_column_names")
    names = {str(k): str(v) for k, v in renamed.items() if v} if isinstance(renamed, dict) else {}
    columns = [
        exp.alias_(scd_id, names.get("dbt_scd_id", "dbt_scd_id")),
        exp.alias_(updated.copy(), names.get("dbt_updated_at", "dbt_updated_at")),
        exp.alias_(updated.copy(), names.get("dbt_valid_from", "dbt_valid_from")),
        # A version's validity ends where the next one's starts: at that row's ``updated_at`` (or
        # at the snapshot that saw the change, ``check`` strategy). Null only on the current row.
        exp.alias_(updated.copy(), names.get("dbt_valid_to", "dbt_valid_to")),
    ]
    if str(config.get("hard_deletes") or "").lower() == "new_record":
        columns.append(exp.alias_(exp.Literal.string("False"), names.get("dbt_is_deleted", "dbt_is_deleted")))
    return exp.select(exp.Star(), *columns).from_(
        exp.Subquery(this=query, alias=exp.TableAlias(this=exp.to_identifier("snapshot_query")))
    )
