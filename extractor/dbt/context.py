"""The dbt Jinja context of one project: ``ref``, ``source``, ``config``, ``var``, ``this`` …

One :class:`DbtRenderer` per project holds one sandboxed environment whose globals are the whole
dbt context. Everything that depends on the model being rendered (``this``, ``model``,
``config``, ``is_incremental``) reads :attr:`DbtRenderer.state` through a proxy, so compiled
macro modules are shared by all models of the project.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from jinja2 import nodes as jinja_nodes
from jinja2.environment import Template
from jinja2.runtime import new_context

from ..model import Diagnostic
from ..sql.catalog import SchemaCatalog
from .builtins import Builtins
from .context_functions import (
    StableSet,
    current_line,
    dbt_return,
    dbt_set,
    dbt_zip,
    diff_of_two_dicts,
    fromjson,
    fromyaml,
    local_md5,
    optional_text,
    relation_type,
    tojson,
    toyaml,
    try_or_compiler_error,
)
from .jinja import (
    DbtSandbox,
    MacroReturn,
    Placeholder,
    PlaceholderUndefined,
    RenderSession,
    TemplateLines,
    apply_stand_ins,
    error_diagnostic,
    error_position,
    insert_line_markers,
    report,
    session_scope,
    strip_line_markers,
)
from .macros import MacroIndex, Namespace
from .nodes import DbtNode, DbtProject, MacroFile, SourceTable, build_root
from .proxies import ConfigProxy, GraphProxy, ModelProxy, ThisProxy, node_dict
from .relations import (
    Relation,
    dataset_name,
    default_alias_name,
    default_database_name,
    default_schema_name,
    normalized_name,
)
from .runtime import FIXED_NOW, Adapter, Api, Exceptions, FrozenDatetime, dbt_modules, empty_result
from .settings import DbtSettings
from .static import only_calls, only_refs, regex_calls, render_calls, render_plain, static_calls

_MISSING = object()


@dataclass
class RenderState:
    """What one render of one node has collected so far."""

    node: DbtNode | None
    config: dict[str, Any]
    incremental: bool = False
    reads: dict[str, int] = field(default_factory=dict)  # dataset -> template line of the ref/source
    unresolved: dict[str, str] = field(default_factory=dict)  # dataset -> reason
    used_catalog: bool = False  # the render asked for columns: it depends on the analysis order
    refs: dict[str, str] = field(default_factory=dict)  # node key -> the relation ref() rendered
    #: unset env vars -> the value a comparison took them as (see ``UnknownEnvVar``)
    env_guesses: dict[str, str] = field(default_factory=dict)
    _relation: Relation | None = None


class UnknownEnvVar(PlaceholderUndefined):
    """An env var nothing sets. Compared with text it takes the first value the template compares
    it with, for the rest of the render: ``{% if env_var('SCHEMA_FLAG') == 'S' %} from a {% endif %}
    {% if env_var('SCHEMA_FLAG') == 'D' %} from b {% endif %}`` renders one branch (``a``), as a
    build with the variable set would, instead of none. Otherwise a placeholder, like any unknown."""

    __slots__ = ("_guesses", "_key")

    def __init__(self, key: str, guesses: dict[str, str]) -> None:
        super().__init__(name=f"env_var.{key}")
        self._key, self._guesses = key, guesses

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, str) or isinstance(other, PlaceholderUndefined):
            return False
        return self._guesses.setdefault(self._key, other) == other

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = PlaceholderUndefined.__hash__


@dataclass
class RenderResult:
    """A rendered node: SQL, the map back to template lines, and what the render learned."""

    sql: str
    lines: TemplateLines
    config: dict[str, Any]
    reads: dict[str, int]
    unresolved: dict[str, str]
    diagnostics: list[Diagnostic]
    failed: bool = False
    used_catalog: bool = False
    refs: dict[str, str] = field(default_factory=dict)


class DbtRenderer:
    """Renders the templates of one project with the static dbt context."""

    def __init__(
        self,
        project: DbtProject,
        projects: Mapping[str, DbtProject],
        settings: DbtSettings,
        catalog: SchemaCatalog,
        read: Callable[[MacroFile], str | None],
    ) -> None:
        self.project = project
        self.projects = projects
        self.settings = settings
        self.catalog = catalog
        #: the renderer whose generate_*_name overrides name this project's nodes (the build root's)
        self.naming: DbtRenderer = self
        self.dialect = project.dialect
        self.adapter_type = project.adapter
        self.env = DbtSandbox()
        self.state: RenderState | None = None
        self.builtins = Builtins(self)
        self.macros = MacroIndex(
            # dbt takes the dispatch search order from the root project of the build.
            self.env,
            project.name,
            project.macro_files,
            read,
            build_root(project).spec.dispatch,
            project.adapter,
            self.builtins,
        )
        self._templates: dict[str, tuple[Template | None, Diagnostic | None]] = {}
        self._only_calls: dict[str, bool] = {}
        self._parsed: dict[str, jinja_nodes.Template] = {}  # parsed by ``parse_static``, not compiled yet
        self._vars: dict[str, Any] = {}
        self._values: dict[str, Any] = {}
        self._graph: dict[str, Any] | None = None
        self._by_key: dict[str, DbtNode] | None = None
        self.env.globals.update(self._globals())

    # -- the context ------------------------------------------------------------------------------

    def _globals(self) -> dict[str, Any]:
        config_proxy = ConfigProxy(self)
        context: dict[str, Any] = {
            "ref": self.ref, "source": self.source, "config": config_proxy, "var": self.var,
            "env_var": self.env_var, "is_incremental": self.is_incremental,
            "should_full_refresh": lambda: False, "this": ThisProxy(self), "model": ModelProxy(self),
            "target": self.target(), "adapter": Adapter(self.adapter_type, self.dialect, self.macros.dispatch,
                                                        self.columns_of),
            "api": Api(self.dialect), "exceptions": Exceptions(), "modules": dbt_modules(),
            "log": lambda *a, **k: "", "print": lambda *a, **k: "", "return": dbt_return,
            "run_query": self.run_query, "statement": self.statement, "load_result": lambda *a, **k: empty_result(),
            "store_result": lambda *a, **k: "", "store_raw_result": lambda *a, **k: "", "execute": True,
            "flags": {"FULL_REFRESH": False, "STORE_FAILURES": False, "WHICH": "run", "WARN_ERROR": False},
            "graph": GraphProxy(self), "invocation_id": "00000000-0000-0000-0000-000000000000",
            "run_started_at": FrozenDatetime.fromtimestamp(FIXED_NOW.timestamp(), FIXED_NOW.tzinfo),
            "dbt_version": "1.8.0", "project_name": self.project.name,
            "database": self.settings.target_database, "schema": self.settings.target_schema,
            "zip": dbt_zip, "set": dbt_set, "set_strict": StableSet, "fromjson": fromjson, "tojson": tojson,
            "fromyaml": fromyaml, "toyaml": toyaml, "local_md5": local_md5, "diff_of_two_dicts": diff_of_two_dicts,
            "try_or_compiler_error": try_or_compiler_error, "doc": lambda *a, **k: "",
            "selected_resources": [], "load_relation": lambda relation: relation, "write": lambda *a, **k: "",
            "render": lambda value: value, "submit_python_job": lambda *a, **k: "",
        }  # fmt: skip
        context["builtins"] = {"ref": self.ref, "source": self.source, "config": config_proxy}
        context.update(self.builtins.namespaces["dbt"])
        context.update(self._naming_macros())
        namespaces = {*self.builtins.namespaces, self.project.name, *self.macros.packages()}
        context.update({name: Namespace(self.macros, name) for name in namespaces})
        root = build_root(self.project)
        if root is not self.project:  # a package's nodes see the root project's macros, then their own
            context.update(self.macros.by_package.get(root.name, {}))
        context.update(self.macros.by_package.get(self.project.name, {}))
        return context

    def _naming_macros(self) -> dict[str, Callable[..., Any]]:
        """dbt's own ``generate_*_name`` macros, for overrides that call them."""
        settings = self.settings

        def schema(custom: Any = None, node: Any = None, *_: Any) -> str:
            return default_schema_name(optional_text(custom), settings.target_schema)

        def schema_for_env(custom: Any = None, node: Any = None, *_: Any) -> str:
            custom_name = optional_text(custom)
            if settings.target_name == "prod" and custom_name:
                return custom_name
            return settings.target_schema

        def alias(custom: Any = None, node: Any = None, *_: Any) -> str:
            name = node.get("name", "") if isinstance(node, Mapping) else ""
            version = node.get("version") if isinstance(node, Mapping) else None
            return default_alias_name(optional_text(custom), str(name), version)

        def database(custom: Any = None, node: Any = None, *_: Any) -> str:
            return default_database_name(optional_text(custom), settings.target_database) or ""

        return {
            "generate_schema_name": schema, "default__generate_schema_name": schema,
            "generate_schema_name_for_env": schema_for_env, "generate_alias_name": alias,
            "default__generate_alias_name": alias, "generate_database_name": database,
            "default__generate_database_name": database,
        }  # fmt: skip

    def target(self) -> dict[str, Any]:
        schema, database = self.settings.target_schema, self.settings.target_database
        return {
            "name": self.settings.target_name, "schema": schema, "database": database, "type": self.adapter_type,
            "profile_name": self.project.spec.profile or self.project.name, "threads": 1, "dataset": schema,
            "project": database, "catalog": database, "dbname": database, "target_name": self.settings.target_name,
            "user": "datatrail", "role": None, "warehouse": None, "host": "localhost", "port": 0,
        }  # fmt: skip

    # -- ref and source ---------------------------------------------------------------------------

    def ref(self, *args: Any, **kwargs: Any) -> Any:
        names = [str(a) for a in args if a is not None]
        version = kwargs.get("version", kwargs.get("v"))
        if not names or len(names) > 2:
            report("DT203", f"ref() with {len(names)} arguments", key="ref-args")
            return PlaceholderUndefined(name="ref")
        package, name = (names[0], names[1]) if len(names) == 2 else (None, names[0])
        node = self.find_ref(package, name, None if version is None else str(version))
        if node is not None:
            relation = self.relation_for(node)
            self._read(dataset_name(relation))
            if self.state is not None:
                self.state.refs[node.key] = relation.render()
            return relation
        label = f"{package}.{name}" if package else name
        relation = Relation(self.settings.target_database, self.settings.target_schema, name, self.dialect)
        self._unresolved(relation, f"ref('{label}') names no model, seed or snapshot of the project")
        return relation

    def find_ref(self, package: str | None, name: str, version: str | None = None) -> DbtNode | None:
        projects = [self.projects[package]] if package is not None and package in self.projects else []
        if package is None or package == self.project.name:
            projects = [self.project]
        if package is None:
            # dbt resolves refs across the whole build: a local package's model may ref its consumer's,
            # and the root project's models may ref an installed package's.
            consumer = self.project.consumer
            while consumer is not None and consumer not in projects:
                projects.append(consumer)
                consumer = consumer.consumer
            root, listed = build_root(self.project), {id(p) for p in projects}
            projects.extend(p for p in self.projects.values() if id(p) not in listed and build_root(p) is root)
        for project in projects:
            node = project.find_node(name, version)
            if node is not None:
                return node
        return None

    def source(self, *args: Any, **kwargs: Any) -> Any:
        names = [str(a) for a in args if a is not None]
        source_name = names[0] if names else str(kwargs.get("source_name", ""))
        table_name = names[1] if len(names) > 1 else str(kwargs.get("table_name", ""))
        table = self.find_source(source_name, table_name)
        if table is not None:
            relation = self.source_relation(table)
            self._read(dataset_name(relation))
            return relation
        relation = Relation(None, source_name, table_name, self.dialect)
        self._unresolved(relation, f"source('{source_name}', '{table_name}') is not declared in any sources: YAML")
        return relation

    def find_source(self, source_name: str, table_name: str) -> SourceTable | None:
        table = self.project.sources.get((source_name, table_name))
        if table is None:
            for project in self.projects.values():
                table = project.sources.get((source_name, table_name))
                if table is not None:
                    break
        return table

    def _read(self, name: str) -> None:
        if self.state is not None:
            self.state.reads.setdefault(name, current_line())

    def _unresolved(self, relation: Relation, reason: str) -> None:
        name = dataset_name(relation)
        report("DT203", reason, key=name)
        if self.state is not None:
            self.state.reads.setdefault(name, current_line())
            self.state.unresolved[name] = reason

    # -- relations --------------------------------------------------------------------------------

    def relation_for(self, node: DbtNode, config: dict[str, Any] | None = None) -> Relation:
        """``database.schema.alias`` of a node, by dbt's rules or the project's overrides."""
        if config is None and node.relation is not None:
            return node.relation
        cfg = config if config is not None else node.effective_config()
        owner = self.projects.get(node.package, self.project)
        # Every node of one build is named by the build root's overrides (self.naming), whichever
        # project's renderer asks; a node of another build gets dbt's defaults.
        renderer = self.naming if owner is self.project or build_root(owner) is build_root(self.project) else None
        if node.resource_type == "snapshot" and cfg.get("target_schema"):
            schema = str(cfg["target_schema"])
            database = cfg.get("target_database") or self.settings.target_database
        else:
            schema = self._generate(renderer, "generate_schema_name", cfg.get("schema"), node) or default_schema_name(
                optional_text(cfg.get("schema")), self.settings.target_schema
            )
            database = self._generate(renderer, "generate_database_name", cfg.get("database"), node)
            if database is None:
                database = default_database_name(optional_text(cfg.get("database")), self.settings.target_database)
        alias = self._generate(renderer, "generate_alias_name", cfg.get("alias"), node) or default_alias_name(
            optional_text(cfg.get("alias")), node.name, node.version
        )
        relation = Relation(optional_text(database), schema, alias, self.dialect, relation_type(cfg))
        if config is None:
            node.relation = relation
        return relation

    def _generate(self, renderer: DbtRenderer | None, macro: str, custom: Any, node: DbtNode) -> str | None:
        if renderer is None:
            return None
        override = renderer.macros.project_override(macro)
        if override is None:
            return None
        saved = renderer.state
        renderer.state = RenderState(node, dict(node.effective_config()))
        session = RenderSession(node.path)
        try:
            with session_scope(session):
                value = override(optional_text(custom), node_dict(node, self))
        except Exception:  # a failing override falls back to dbt's default
            return None
        finally:
            renderer.state = saved
        text = str(value).strip() if value is not None and not isinstance(value, PlaceholderUndefined) else ""
        return text or None

    def source_relation(self, table: SourceTable) -> Relation:
        if table.relation is None:
            # As in dbt, a source without a database is in the target's.
            database = table.database or self.settings.target_database
            table.relation = Relation(database, table.schema, table.identifier, self.dialect)
        return table.relation

    def current_relation(self) -> Relation | None:
        state = self.state
        if state is None or state.node is None:
            return None
        if state._relation is None:
            state._relation = self.relation_for(state.node, state.config)
        return state._relation

    # -- var, env_var, config -----------------------------------------------------------------------

    def var(self, name: Any, default: Any = _MISSING) -> Any:
        key = str(name)
        if key in self._vars:
            return self._vars[key]
        for scope, project in self._var_scopes():
            if key in scope:
                value = self.render_value(scope[key], project.rel(project.root / "dbt_project.yml"))
                self._vars[key] = value
                return value
        if default is not _MISSING:
            return default
        report("DT202", f"var('{key}') has no value and no default; rendered as a placeholder", key=f"var.{key}")
        return PlaceholderUndefined(name=f"var.{key}")

    def _var_scopes(self) -> list[tuple[Mapping[str, Any], DbtProject]]:
        """Where ``var()`` looks, first match wins: the configured vars, then — for a project that
        another scanned project installs as a local package — that consumer's vars scoped to this
        project and its global ones (dbt builds a package with the root project's vars), then the
        project's own scoped and global vars."""
        own = self.project
        scopes: list[tuple[Mapping[str, Any], DbtProject]] = [(self.settings.vars, own)]
        chain: list[DbtProject] = []
        consumer = own.consumer
        while consumer is not None and consumer not in chain and consumer is not own:
            chain.append(consumer)
            consumer = consumer.consumer
        for project in [*chain, own]:
            scoped = project.spec.vars.get(own.name)
            scopes.append((scoped if isinstance(scoped, dict) else {}, project))
            scopes.append((project.spec.vars, project))
        return scopes

    def env_var(self, name: Any, default: Any = _MISSING) -> Any:
        key = str(name)
        if key in self.settings.env_vars:
            return self.settings.env_vars[key]
        if default is not _MISSING:
            return default
        report("DT202", f"env_var('{key}') is not set in [tool.datatrail.dbt] env_vars and has no default; "
               "compared with text, it is taken as the first value it is compared with",
               key=f"env_var.{key}")  # fmt: skip
        return UnknownEnvVar(key, self.state.env_guesses if self.state is not None else {})

    def is_incremental(self) -> bool:
        state = self.state
        return bool(state and state.incremental and state.config.get("materialized") == "incremental")

    # -- warehouse access ------------------------------------------------------------------------

    def run_query(self, sql: Any = None, *args: Any, **kwargs: Any) -> Any:
        report("DT204", "run_query() has no result without a warehouse; rendered as an empty table", key="run_query")
        return empty_result()["table"]

    def statement(self, name: Any = None, fetch_result: bool = False, *args: Any, **kwargs: Any) -> str:
        if fetch_result:
            report("DT204", f"statement('{name}') has no result without a warehouse; rendered as empty",
                   key=f"statement:{name}")  # fmt: skip
        return ""

    def columns_of(self, relation: Any) -> list[str] | None:
        """Known columns of a relation (or a table name) from the schema catalog."""
        if self.state is not None:
            self.state.used_catalog = True
        if relation is None or isinstance(relation, PlaceholderUndefined | Placeholder):
            return None
        if isinstance(relation, Relation):
            name = dataset_name(relation)
        else:
            name = normalized_name(str(relation).strip(), self.dialect)
        columns = self.catalog.columns(name)
        return list(columns) if columns is not None else None

    def report(self, code: str, message: str, key: str = "") -> None:
        report(code, message, key=key)

    def unknown_relation(self, name: str, reason: str) -> str:
        """A stand-in relation for inputs only the warehouse could list; an unknown dataset."""
        if self.state is not None:
            self.state.reads.setdefault(name, current_line())
            self.state.unresolved[name] = reason
        return name

    # -- rendering --------------------------------------------------------------------------------

    def render_value(self, value: Any, path: str, line: int = 1) -> Any:
        """A YAML value with Jinja in it (``"{{ var('x') }}"``), rendered; other values unchanged."""
        if isinstance(value, list):
            return [self.render_value(v, path, line) for v in value]
        if not isinstance(value, str) or ("{{" not in value and "{%" not in value):
            return value
        if value in self._values:
            return self._values[value]
        session = RenderSession(path, line)
        saved, self.state = self.state, None
        try:
            with session_scope(session):
                rendered = self.env.compile_template(value, path).render().strip()
        except Exception:  # an unrenderable value stays as written
            return value
        finally:
            self.state = saved
        lowered = rendered.lower()
        result: Any = rendered
        if lowered in ("true", "false"):
            result = lowered == "true"
        elif lowered in ("none", "null"):
            result = None
        self._values[value] = result
        return result

    def template(self, node: DbtNode) -> tuple[Template | None, Diagnostic | None]:
        """The compiled template of a node (cached), or the DT200 that stopped it."""
        cached = self._templates.get(node.key)
        if cached is not None:
            return cached
        try:
            ast = self._parsed.pop(node.key, None) or self.env.parse(
                insert_line_markers(node.text), node.path, node.path
            )
            node.static_refs, node.static_config = static_calls(ast)
            result: tuple[Template | None, Diagnostic | None] = (self.env.compile_template(ast, node.path), None)
        except Exception as e:  # the template does not compile: DT200
            node.static_refs = regex_calls(node.text)
            result = (None, error_diagnostic(e, node.path, node.line, paths={node.path}))
        self._templates[node.key] = result
        return result

    def parse_static(self, node: DbtNode) -> bool:
        """Parse ``node``'s template (compiled later, when rendered) and learn its constant refs;
        True when that is all it does (``static.only_refs``), so rendering it can wait."""
        return self._plain(node) is not None

    def _plain(self, node: DbtNode) -> jinja_nodes.Template | None:
        """The syntax tree of ``node`` when it is constant refs only and ``ref``/``source`` are dbt's
        own (a project may override them with macros): rendered without compiling (``render_plain``)."""
        if node.key in self._templates:
            return None
        ast = self._parsed.get(node.key)
        if ast is None:
            try:
                ast = self.env.parse(insert_line_markers(node.text), node.path, node.path)
            except Exception:  # compiling reports it (DT200)
                return None
            node.static_refs, node.static_config = static_calls(ast)
            self._parsed[node.key] = ast
        return ast if only_refs(ast) and self._own_refs() else None

    def _own_refs(self) -> bool:
        """Whether ``ref`` and ``source`` are dbt's own (a project may override them with macros)."""
        return self.env.globals.get("ref") == self.ref and self.env.globals.get("source") == self.source

    def render(self, node: DbtNode, incremental: bool = False) -> RenderResult:
        """Render a model or snapshot; failures become a diagnostic in a ``failed`` result.

        A template of constant refs only, or of calls only (``static.only_calls``), is rendered
        from its syntax tree: compiling it to Python cost more than rendering it. A render of
        calls only that fails is done again compiled, whose traceback names the failing line."""
        plain = self._plain(node)
        if plain is not None:
            return self._render(node, incremental, lambda: render_plain(plain, self.env.globals))
        calls = self._calls(node)
        if calls is not None:
            context = new_context(self.env, node.path, {}, None, False, self.env.make_globals(None))
            rendered = self._render(node, incremental, lambda: render_calls(calls, self.env, context, node.path))
            if not rendered.failed:
                return rendered
        template, problem = self.template(node)
        if template is None:
            config = dict(node.effective_config())
            return RenderResult("", TemplateLines("", [(0, 1)]), config, {}, {}, [problem] if problem else [],
                                failed=True)  # fmt: skip
        return self._render(node, incremental, template.render)

    def _calls(self, node: DbtNode) -> jinja_nodes.Template | None:
        """The syntax tree of ``node`` when it is calls only (``static.only_calls``), not yet compiled."""
        ast = None if node.key in self._templates else self._parsed.get(node.key)
        if ast is None:
            return None
        known = self._only_calls.get(node.key)
        if known is None:
            known = self._only_calls[node.key] = only_calls(ast)
        return ast if known else None

    def _render(self, node: DbtNode, incremental: bool, produce: Callable[[], str]) -> RenderResult:
        state = RenderState(node, dict(node.effective_config()), incremental)
        session = RenderSession(node.path, node.line)
        saved, self.state = self.state, state
        failed = False
        try:
            with session_scope(session):
                text = produce()
        except MacroReturn as r:
            text = str(r.value)
        except Exception as e:  # any template failure is a diagnostic, never a crash
            session.diagnostics.append(self._render_error(e, node))
            text, failed = "", True
        finally:
            self.state = saved
        if session.stand_ins:
            text = apply_stand_ins(text, session.stand_ins)
        clean, lines = strip_line_markers(text)
        diagnostics = session.diagnostics + self.macros.diagnostics
        self.macros.diagnostics = []
        return RenderResult(
            clean, lines, state.config, state.reads, state.unresolved, diagnostics, failed, state.used_catalog,
            state.refs,
        )  # fmt: skip

    def _render_error(self, error: Exception, node: DbtNode) -> Diagnostic:
        """A failed render is the model's problem: reported at the model's line that called into
        the failing macro, naming where in the macro (often a package's) it was raised."""
        diagnostic = error_diagnostic(error, node.path, node.line, paths={node.path})
        inner = error_position(error, set(self.macros.paths))
        if inner is None or inner[0] == node.path:
            return diagnostic
        return replace(diagnostic, message=f"{diagnostic.message} (raised in {inner[0]}:{inner[1]})")

    def still_valid(self, result: RenderResult) -> bool:
        """Whether an earlier render would come out the same now: it read no columns, and every
        ``ref()`` still names the relation it rendered (configs learned since can move a model)."""
        if result.used_catalog:
            return False
        if not result.refs:
            return True
        if self._by_key is None:
            self._by_key = {n.key: n for p in self.projects.values() for n in p.nodes.values()}
        nodes = self._by_key
        return all(k in nodes and self.relation_for(nodes[k]).render() == r for k, r in result.refs.items())

    def graph_nodes(self) -> dict[str, Any]:
        if self._graph is None:
            nodes_: dict[str, Any] = {}
            for project in self.projects.values():
                for node in project.nodes.values():
                    nodes_[node.unique_id] = node_dict(node, self)
            sources = {
                t.unique_id: {"name": t.name, "source_name": t.source_name, "schema": t.schema,
                              "database": t.database, "identifier": t.identifier, "resource_type": "source",
                              "unique_id": t.unique_id, "columns": {c: {"name": c} for c in t.columns}}
                for project in self.projects.values() for t in project.sources.values()
            }  # fmt: skip
            self._graph = {"nodes": nodes_, "sources": sources, "exposures": {}, "metrics": {}, "groups": {},
                           "semantic_models": {}, "saved_queries": {}}  # fmt: skip
        return self._graph
