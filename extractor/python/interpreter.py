"""A small abstract interpreter over libcst trees: it runs nothing, it follows values.

Variables hold abstract values (``values.py``, ``frames.py``, ``objects.py``). Calls are matched
by qualified name: an import binds a name to a ``QName`` (``import pandas as pd`` binds ``pd`` to
``pandas``), so ``pd.read_csv``, ``from pandas import read_csv`` and any alias reach the same
handler. Functions and classes of the repository are followed into, with the arguments of the
call bound to their parameters (bounded depth, memoized per call signature), across modules.
``if`` branches are both taken and their variables joined; loops over literal lists are unrolled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import libcst as cst

from .. import codes
from ..model import Diagnostic, Location, Subtype
from .frames import ColExpr, Frame, union_frames
from .notebooks import SQL_MAGIC
from .objects import (
    BoundMethod,
    ClassVal,
    FunctionVal,
    Instance,
    Namespace,
    Obj,
    RepoModule,
)
from .project import ModuleInfo, Project, Unit
from .values import (
    NONE,
    Alt,
    Const,
    DictVal,
    ListVal,
    QName,
    Str,
    Unknown,
    Value,
    alternatives,
    as_str,
    const_key,
    join_path,
    options,
    path_name,
    path_parent,
    percent_format,
)

if TYPE_CHECKING:
    from .emit import Sink

#: Statements one root file may execute (functions included) before calls stop being followed.
STATEMENT_BUDGET = 60_000
#: Items of a literal list a ``for`` loop is unrolled over.
UNROLL_LIMIT = 24


class BudgetExceeded(Exception):
    pass


@dataclass
class Root:
    """The file being scanned and the line of its current top-level statement (names jobs)."""

    path: str
    line: int = 0
    executed: int = 0


@dataclass
class Task:
    """An Airflow task: jobs created while interpreting it are tagged with its id."""

    task_id: str
    dag_id: str | None
    jobs: set[str] = field(default_factory=set)
    upstream: set[str] = field(default_factory=set)


@dataclass
class Ctx:
    """One activation: a module's top level or a function call."""

    module: ModuleInfo
    unit: Unit
    scope: dict[str, Value]
    globals: dict[str, Value]
    root: Root
    enclosing: tuple[dict[str, Value], ...] = ()
    depth: int = 0
    returns: list[Value] | None = None
    function: FunctionVal | None = None
    task: Task | None = None
    dag: Value | None = None
    declared_global: set[str] = field(default_factory=set)
    flags: dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return self.module.path


@dataclass
class Args:
    """The evaluated arguments of a call, with their nodes for locations and code."""

    pos: list[Value] = field(default_factory=list)
    kw: dict[str, Value] = field(default_factory=dict)
    pos_nodes: list[cst.BaseExpression | None] = field(default_factory=list)
    kw_nodes: dict[str, cst.BaseExpression] = field(default_factory=dict)
    star: bool = False  # *args / **kwargs of unknown content were passed

    def get(self, index: int | None, name: str | None = None) -> Value | None:
        if name is not None and name in self.kw:
            return self.kw[name]
        if index is not None and 0 <= index < len(self.pos):
            return self.pos[index]
        return None

    def node(self, index: int | None, name: str | None = None) -> cst.BaseExpression | None:
        if name is not None and name in self.kw_nodes:
            return self.kw_nodes[name]
        if index is not None and 0 <= index < len(self.pos_nodes):
            return self.pos_nodes[index]
        return None

    def values(self) -> Iterator[Value]:
        yield from self.pos
        yield from self.kw.values()


@dataclass
class Site:
    """A call being dispatched to a handler."""

    name: str
    args: Args
    node: cst.CSTNode
    ctx: Ctx
    receiver: Value | None = None


Handler = Callable[["Interpreter", Site], "Value | None"]
MethodHandler = Callable[["Interpreter", Value, Site], "Value | None"]


class Registry:
    """Handlers by qualified name (exact or prefix) and method handlers by receiver type."""

    def __init__(self) -> None:
        self.exact: dict[str, Handler] = {}
        self.prefixes: list[tuple[str, Handler]] = []
        self.methods: list[tuple[type, MethodHandler]] = []
        self.aliases: dict[str, str] = {}
        self.hooks: dict[str, list[Handler]] = {}

    def on(self, name: str, first: bool = False) -> Callable[[Handler], Handler]:
        """Register a hook of the interpreter (``with``, ``>>``, decorators, column operations …)."""

        def register(handler: Handler) -> Handler:
            hooks = self.hooks.setdefault(name, [])
            hooks.insert(0, handler) if first else hooks.append(handler)
            return handler

        return register

    def function(self, *names: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            for name in names:
                self.exact[name] = handler
            return handler

        return register

    def prefix(self, *names: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            for name in names:
                self.prefixes.append((name, handler))
            self.prefixes.sort(key=lambda p: -len(p[0]))
            return handler

        return register

    def method(self, kind: type) -> Callable[[MethodHandler], MethodHandler]:
        def register(handler: MethodHandler) -> MethodHandler:
            self.methods.append((kind, handler))
            return handler

        return register

    def canonical(self, name: str) -> str:
        for old, new in self.aliases.items():
            if name == old or name.startswith(old + "."):
                return new + name[len(old) :]
        return name

    def knows(self, qname: str) -> bool:
        """Whether some handler is registered for ``qname`` or for a name below it (``qname.apply``)."""
        if self.lookup(qname) is not None:
            return True
        below = qname + "."
        return any(k.startswith(below) for k in self.exact) or any(p.startswith(below) for p, _ in self.prefixes)

    def lookup(self, name: str) -> Handler | None:
        handler = self.exact.get(name)
        if handler is not None:
            return handler
        for prefix, h in self.prefixes:
            if name.startswith(prefix):
                return h
        return None


REGISTRY = Registry()

_BUILTIN_NAMES = frozenset(
    " ".join(
        [
            "len print str int float bool list dict tuple set sorted reversed enumerate zip",
            "range open isinstance hasattr getattr setattr type repr id min max sum any all",
            "map filter abs round iter next super format vars locals globals input frozenset object",
            "Exception ValueError KeyError TypeError RuntimeError staticmethod classmethod property",
        ]
    ).split()
)


class Interpreter:
    """Runs modules of a ``Project`` abstractly, reporting data flows to a ``Sink``."""

    def __init__(self, project: Project, sink: Sink, max_depth: int = 8, follow_uncalled: bool = True) -> None:
        self.project = project
        self.sink = sink
        self.max_depth = max_depth
        self.follow_uncalled = follow_uncalled
        self.called: set[int] = set()  # id() of FunctionDef nodes that were interpreted
        self.memo: dict[tuple[object, ...], Value] = {}
        self.active: list[int] = []
        self.root: Root | None = None
        self.reported: set[tuple[str, int, str]] = set()
        self.module_tasks: dict[str, list[Task]] = {}
        #: Facts frameworks keep across calls (``mlflow.autolog()`` seen, the current DAG …).
        self.state: dict[str, Any] = {}
        #: ``from <library> import *`` per module path: where its undefined names may come from.
        self.star_imports: dict[str, list[str]] = {}

    def hook(self, name: str, site: Site) -> Value | None:
        for handler in REGISTRY.hooks.get(name, ()):
            result = handler(self, site)
            if result is not None:
                return result
        return None

    # -- diagnostics and locations --------------------------------------------------------------

    def loc(self, ctx: Ctx, node: cst.CSTNode | None) -> Location:
        line = ctx.unit.line(node) if node is not None else 0
        return Location(ctx.path, line or ctx.flags.get("line", 0))

    def code(self, ctx: Ctx, node: cst.CSTNode | None) -> str:
        return ctx.unit.code(node) if node is not None else "?"

    def diag(self, ctx: Ctx, node: cst.CSTNode | None, code: str, message: str) -> None:
        line = (ctx.unit.line(node) if node is not None else 0) or ctx.flags.get("line", 0)
        column = ctx.unit.column(node) if node is not None else 0
        key = (ctx.path, line, code + message)
        if key in self.reported:
            return
        self.reported.add(key)
        self.sink.graph.diagnostics.append(Diagnostic(ctx.path, line, column or 1, codes.severity(code), code, message))

    # -- modules --------------------------------------------------------------------------------

    def run_module(self, info: ModuleInfo, as_root: bool = True) -> dict[str, Value]:
        """Run a module's top level once (as ``__main__``); later calls return its globals."""
        if info.state != "new":
            return info.globals
        info.state = "running"
        units = info.parse()
        for problem in info.problems:
            self.sink.graph.diagnostics.append(
                Diagnostic(info.path, problem.line, problem.column, codes.severity("DT300"), "DT300",
                           f"syntax error: {problem.message}")
            )  # fmt: skip
        if info.notebook_error is not None:
            self.sink.graph.diagnostics.append(
                Diagnostic(info.path, 1, 1, codes.severity("DT304"), "DT304", info.notebook_error)
            )
        g = info.globals
        g["__name__"] = Str.of("__main__")
        g["__file__"] = Str.of(info.path, anchored=True)
        saved_root = self.root
        self.root = Root(info.path)
        try:
            for unit in units:
                ctx = Ctx(info, unit, g, g, self.root)
                self.exec_top(unit.module.body, ctx)
        finally:
            self.root = saved_root
            info.state = "done"
        return g

    def exec_top(self, body: Sequence[cst.BaseStatement], ctx: Ctx) -> None:
        """Top-level statements, each isolated: an internal error costs only its statement."""
        for stmt in body:
            ctx.root.line = ctx.unit.line(stmt)
            ctx.flags["line"] = ctx.root.line
            try:
                self.exec_stmt(stmt, ctx)
            except BudgetExceeded:
                return
            except RecursionError:
                self.diag(ctx, stmt, codes.INTERNAL, "RecursionError: expression nested too deeply")
            except Exception as e:  # per-statement isolation: report and go on
                self.diag(ctx, stmt, codes.INTERNAL, f"{type(e).__name__}: {e}")

    def run_uncalled(self, info: ModuleInfo) -> None:
        """Interpret functions nothing called (entry points: CLI commands, flows, DAG callables)."""
        if not self.follow_uncalled:
            return
        saved_root = self.root
        self.root = Root(info.path)
        try:
            # Latest definitions first: ``main`` usually calls the helpers above it, which then
            # get their arguments from the call instead of running with unknown parameters.
            for value in reversed(list(info.globals.values())):
                fn = value
                if isinstance(fn, ClassVal) or not isinstance(fn, FunctionVal):
                    continue
                if fn.module is not info or id(fn.node) in self.called or not isinstance(fn.node, cst.FunctionDef):
                    continue
                self.root.line = fn.unit.line(fn.node)
                ctx = Ctx(info, fn.unit, info.globals, info.globals, self.root)
                ctx.flags["line"] = self.root.line
                try:
                    self.invoke(fn, Args(), ctx, fn.node, entry=True)
                except BudgetExceeded:
                    return
                except RecursionError:
                    self.diag(ctx, fn.node, codes.INTERNAL, "RecursionError: expression nested too deeply")
                except Exception as e:
                    self.diag(ctx, fn.node, codes.INTERNAL, f"{type(e).__name__}: {e}")
        finally:
            self.root = saved_root

    # -- statements -----------------------------------------------------------------------------

    def exec_block(self, body: Sequence[cst.BaseStatement] | cst.BaseSuite, ctx: Ctx) -> None:
        if isinstance(body, cst.SimpleStatementSuite):
            for small in body.body:
                self.exec_small(small, ctx)
            return
        stmts: Sequence[cst.BaseStatement] = body.body if isinstance(body, cst.IndentedBlock) else body  # type: ignore[assignment]
        for stmt in stmts:
            self.exec_stmt(stmt, ctx)

    def tick(self, ctx: Ctx) -> None:
        ctx.root.executed += 1
        if ctx.root.executed > STATEMENT_BUDGET:
            raise BudgetExceeded

    def exec_stmt(self, stmt: cst.BaseStatement | cst.CSTNode, ctx: Ctx) -> None:
        self.tick(ctx)
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                self.exec_small(small, ctx)
        elif isinstance(stmt, cst.FunctionDef):
            self.define_function(stmt, ctx)
        elif isinstance(stmt, cst.ClassDef):
            self.define_class(stmt, ctx)
        elif isinstance(stmt, cst.If):
            self.exec_if(stmt, ctx)
        elif isinstance(stmt, cst.For):
            self.exec_for(stmt, ctx)
        elif isinstance(stmt, cst.While):
            self.eval(stmt.test, ctx)
            self.exec_block(stmt.body, ctx)
            if stmt.orelse is not None:
                self.exec_block(stmt.orelse.body, ctx)
        elif isinstance(stmt, cst.Try | cst.TryStar):
            self.exec_block(stmt.body, ctx)
            for handler in stmt.handlers:
                if handler.name is not None and isinstance(handler.name.name, cst.Name):
                    ctx.scope[handler.name.name.value] = Unknown(handler.name.name.value, "exception")
                self.exec_block(handler.body, ctx)
            if stmt.orelse is not None:
                self.exec_block(stmt.orelse.body, ctx)
            if stmt.finalbody is not None:
                self.exec_block(stmt.finalbody.body, ctx)
        elif isinstance(stmt, cst.With):
            self.exec_with(stmt, ctx)
        elif isinstance(stmt, cst.Match):
            self.eval(stmt.subject, ctx)
            before = dict(ctx.scope)
            branches: list[dict[str, Value]] = []
            for case in stmt.cases:
                ctx.scope.clear()
                ctx.scope.update(before)
                self.exec_block(case.body, ctx)
                branches.append(dict(ctx.scope))
            self.join_into(ctx.scope, branches or [before])

    def exec_small(self, small: cst.BaseSmallStatement, ctx: Ctx) -> None:
        if isinstance(small, cst.Expr):
            self.eval(small.value, ctx)
        elif isinstance(small, cst.Assign):
            value = self.eval(small.value, ctx)
            for target in small.targets:
                self.assign(target.target, value, ctx, small.value)
        elif isinstance(small, cst.AnnAssign):
            if small.value is not None:
                self.assign(small.target, self.eval(small.value, ctx), ctx, small.value)
        elif isinstance(small, cst.AugAssign):
            self.exec_augassign(small, ctx)
        elif isinstance(small, cst.Return):
            value = self.eval(small.value, ctx) if small.value is not None else NONE
            if ctx.returns is not None:
                ctx.returns.append(value)
        elif isinstance(small, cst.Import):
            self.exec_import(small, ctx)
        elif isinstance(small, cst.ImportFrom):
            self.exec_import_from(small, ctx)
        elif isinstance(small, cst.Global):
            ctx.declared_global.update(n.name.value for n in small.names)
        elif isinstance(small, cst.Del | cst.Raise | cst.Assert):
            pass

    def exec_if(self, stmt: cst.If, ctx: Ctx) -> None:
        test = self.static_truth(stmt.test, ctx)
        if test is True:
            self.exec_block(stmt.body, ctx)
            return
        orelse = stmt.orelse
        if test is False:
            if isinstance(orelse, cst.If):
                self.exec_if(orelse, ctx)
            elif isinstance(orelse, cst.Else):
                self.exec_block(orelse.body, ctx)
            return
        before = dict(ctx.scope)
        self.exec_block(stmt.body, ctx)
        first = dict(ctx.scope)
        ctx.scope.clear()
        ctx.scope.update(before)
        if isinstance(orelse, cst.If):
            self.exec_if(orelse, ctx)
        elif isinstance(orelse, cst.Else):
            self.exec_block(orelse.body, ctx)
        second = dict(ctx.scope)
        self.join_into(ctx.scope, [first, second])

    def join_into(self, scope: dict[str, Value], branches: list[dict[str, Value]]) -> None:
        scope.clear()
        names: dict[str, None] = {}
        for b in branches:
            names.update(dict.fromkeys(b))
        for name in names:
            present = [b[name] for b in branches if name in b]
            scope[name] = join_values(present)

    def static_truth(self, test: cst.BaseExpression, ctx: Ctx) -> bool | None:
        """``if __name__ == "__main__"`` and constant tests; None when it depends on run time."""
        value = self.eval(test, ctx)
        if isinstance(value, Const) and isinstance(value.value, bool | int | float | type(None)):
            return bool(value.value)
        if isinstance(value, Str) and value.exact is not None:
            return bool(value.exact)
        if isinstance(value, ListVal):
            return bool(value.items)
        if isinstance(value, DictVal) and not value.partial:
            return bool(value.items)
        return None

    def exec_for(self, stmt: cst.For, ctx: Ctx) -> None:
        iterable = self.eval(stmt.iter, ctx)
        items = iteration_items(iterable)
        if items is not None and 0 < len(items) <= UNROLL_LIMIT:
            for item in items:
                self.assign(stmt.target, item, ctx, None)
                self.exec_block(stmt.body, ctx)
        else:
            self.assign(stmt.target, element_of(iterable, self.code(ctx, stmt.target)), ctx, None)
            self.exec_block(stmt.body, ctx)
        if stmt.orelse is not None:
            self.exec_block(stmt.orelse.body, ctx)

    def exec_with(self, stmt: cst.With, ctx: Ctx) -> None:
        saved_dag = ctx.dag
        for item in stmt.items:
            value = self.eval(item.item, ctx)
            entered = self.hook("with", Site("with", Args([value]), item.item, ctx))
            if entered is not None:
                value = entered
            if item.asname is not None:
                self.assign(item.asname.name, value, ctx, item.item)
        self.exec_block(stmt.body, ctx)
        ctx.dag = saved_dag

    def exec_augassign(self, small: cst.AugAssign, ctx: Ctx) -> None:
        current = self.eval(small.target, ctx)
        right = self.eval(small.value, ctx)
        op = type(small.operator).__name__.replace("Assign", "")
        value = self.binary(op, current, right, ctx, small, self.code(ctx, small))
        self.assign(small.target, value, ctx, small.value)

    # -- imports --------------------------------------------------------------------------------

    def exec_import(self, small: cst.Import, ctx: Ctx) -> None:
        for alias in small.names:
            dotted = _dotted(alias.name)
            if not dotted:
                continue
            info, package = self.project.resolve(ctx.module, dotted)
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                bound = alias.asname.name.value
                if info is not None or package is not None:
                    ctx.scope[bound] = self.repo_module(info, package)
                else:
                    ctx.scope[bound] = QName(REGISTRY.canonical(dotted))
            else:
                top = dotted.split(".", 1)[0]
                info_top, package_top = self.project.resolve(ctx.module, top)
                if info_top is not None or package_top is not None:
                    ctx.scope[top] = self.repo_module(info_top, package_top)
                else:
                    ctx.scope[top] = QName(REGISTRY.canonical(top))

    def exec_import_from(self, small: cst.ImportFrom, ctx: Ctx) -> None:
        dotted = _dotted(small.module) if small.module is not None else ""
        level = len(small.relative)
        info, package = self.project.resolve(ctx.module, dotted, level)
        repo = info is not None or package is not None
        if isinstance(small.names, cst.ImportStar):
            if info is not None:
                env = self.module_globals(info)
                for k, v in env.items():
                    if not k.startswith("_"):
                        ctx.scope[k] = v
            elif not repo and not level and dotted:
                self.star_imports.setdefault(ctx.module.path, []).append(dotted)
            return
        for alias in small.names:
            name = _dotted(alias.name)
            bound = (
                alias.asname.name.value
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name)
                else name
            )
            if repo:
                ctx.scope[bound] = self.module_attr(RepoModule(info, package), name)
            elif level:
                ctx.scope[bound] = Unknown(name, "relative import outside the scanned files")
            else:
                ctx.scope[bound] = QName(REGISTRY.canonical(f"{dotted}.{name}"))

    def repo_module(self, info: ModuleInfo | None, package: str | None) -> Value:
        return RepoModule(info, package)

    def module_globals(self, info: ModuleInfo) -> dict[str, Value]:
        if info.state == "new":
            self.run_module(info)
        return info.globals

    def module_attr(self, module: RepoModule, name: str) -> Value:
        if module.info is not None:
            env = self.module_globals(module.info)
            if name in env:
                return env[name]
        base = module.package_dir if module.package_dir is not None else (module.info.directory if module.info else "")
        if module.package_dir is not None or (module.info is not None and module.info.is_package):
            sub, subpackage = self.project.lookup(base, name)
            if sub is not None or subpackage is not None:
                return RepoModule(sub, subpackage)
        where = module.info.name if module.info is not None else (module.package_dir or "")
        return Unknown(f"{where}.{name}", "name not found in repository module")

    # -- definitions ----------------------------------------------------------------------------

    def define_function(self, node: cst.FunctionDef, ctx: Ctx) -> FunctionVal:
        closure = ctx.enclosing + ((ctx.scope,) if ctx.scope is not ctx.globals else ())
        fn = FunctionVal(node, ctx.module, ctx.unit, node.name.value, closure, self.param_defaults(node.params, ctx))
        for decorator in node.decorators:
            try:
                fn.decorators.append(self.eval(decorator.decorator, ctx))
            except Exception:
                fn.decorators.append(Unknown("decorator"))
            self.collect_option_default(decorator.decorator, fn, ctx)
        value: Value = self.hook("decorated", Site("decorated", Args([fn]), node, ctx)) or fn
        ctx.scope[node.name.value] = value
        return fn

    def param_defaults(self, params: cst.Parameters, ctx: Ctx) -> dict[str, Value]:
        defaults: dict[str, Value] = {}
        for p in (*params.posonly_params, *params.params, *params.kwonly_params):
            if p.default is not None:
                defaults[p.name.value] = self.eval(p.default, ctx)
        return defaults

    def collect_option_default(self, decorator: cst.BaseExpression, fn: FunctionVal, ctx: Ctx) -> None:
        """``@click.option("--data-path", default="x")`` gives parameter ``data_path`` a value."""
        if not isinstance(decorator, cst.Call):
            return
        func = self.eval(decorator.func, ctx)
        if not isinstance(func, QName) or not func.name.endswith((".option", ".argument")):
            return
        names: list[str] = []
        default: Value | None = None
        for arg in decorator.args:
            if arg.keyword is None:
                v = self.eval(arg.value, ctx)
                if isinstance(v, Str) and v.exact:
                    names.append(v.exact)
            elif arg.keyword.value == "default":
                default = self.eval(arg.value, ctx)
        if default is None or not names:
            return
        plain = [n for n in names if not n.startswith("-")]
        longs = [n for n in names if n.startswith("--")]
        chosen = plain[0] if plain else (longs[0] if longs else names[0])
        fn.option_defaults[chosen.lstrip("-").split("/")[0].replace("-", "_")] = default

    def define_class(self, node: cst.ClassDef, ctx: Ctx) -> None:
        bases = [self.eval(b.value, ctx) for b in node.bases if b.keyword is None]
        cls = ClassVal(node, ctx.module, node.name.value, bases)
        body_scope: dict[str, Value] = {}
        inner = Ctx(ctx.module, ctx.unit, body_scope, ctx.globals, ctx.root, ctx.enclosing, ctx.depth, None,
                    ctx.function, ctx.task, ctx.dag, flags=ctx.flags)  # fmt: skip
        if isinstance(node.body, cst.IndentedBlock):
            for stmt in node.body.body:
                if isinstance(stmt, cst.FunctionDef):
                    closure = ctx.enclosing + ((ctx.scope,) if ctx.scope is not ctx.globals else ())
                    fn = FunctionVal(stmt, ctx.module, ctx.unit, f"{node.name.value}.{stmt.name.value}", closure,
                                     self.param_defaults(stmt.params, ctx))  # fmt: skip
                    fn.cls = cls
                    for decorator in stmt.decorators:
                        fn.decorators.append(self.eval(decorator.decorator, ctx))
                    body_scope[stmt.name.value] = fn
                else:
                    self.exec_stmt(stmt, inner)
        cls.attrs.update(body_scope)
        ctx.scope[node.name.value] = cls

    # -- assignment -----------------------------------------------------------------------------

    def assign(self, target: cst.BaseExpression, value: Value, ctx: Ctx, value_node: cst.BaseExpression | None) -> None:
        if isinstance(target, cst.Name):
            name = target.value
            if name in ctx.declared_global:
                ctx.globals[name] = value
            else:
                ctx.scope[name] = value
        elif isinstance(target, cst.Tuple | cst.List):
            elements = target.elements
            items = unpack(value, len(elements))
            for element, item in zip(elements, items, strict=True):
                inner = element.value
                if isinstance(element, cst.StarredElement):
                    self.assign(inner, ListVal([item]) if not isinstance(item, ListVal) else item, ctx, None)
                else:
                    self.assign(inner, item, ctx, None)
        elif isinstance(target, cst.Attribute):
            obj = self.eval(target.value, ctx)
            attr = target.attr.value
            for o in options(obj):
                if isinstance(o, Instance | Obj | ClassVal):
                    o.attrs[attr] = value
                elif isinstance(o, Frame):
                    self.set_item(o, Str.of(attr), value, ctx, target, value_node)
        elif isinstance(target, cst.Subscript):
            obj = self.eval(target.value, ctx)
            index = self.subscript_index(target, ctx)
            for o in options(obj):
                self.set_item(o, index, value, ctx, target, value_node)
        elif isinstance(target, cst.StarredElement):
            self.assign(target.value, value, ctx, value_node)

    def set_item(
        self,
        obj: Value,
        index: Value,
        value: Value,
        ctx: Ctx,
        target: cst.CSTNode,
        value_node: cst.BaseExpression | None,
    ) -> None:
        if isinstance(obj, DictVal):
            key = const_key(index)
            if key is None:
                obj.partial = True
            else:
                obj.items[key] = value
        elif isinstance(obj, ListVal):
            return
        else:
            self.hook(
                "setitem", Site("setitem", Args([obj, index, value], pos_nodes=[None, None, value_node]), target, ctx)
            )

    # -- expressions ----------------------------------------------------------------------------

    def eval(self, node: cst.BaseExpression | None, ctx: Ctx) -> Value:
        if node is None:
            return NONE
        method = _EVAL.get(type(node))
        if method is None:
            return Unknown(self.code(ctx, node), "expression not understood")
        return method(self, node, ctx)

    def eval_name(self, node: cst.Name, ctx: Ctx) -> Value:
        name = node.value
        value = self.lookup_name(name, ctx)
        if value is not None:
            return value
        if name in ("True", "False"):
            return Const(name == "True")
        if name == "None":
            return NONE
        if name in _BUILTIN_NAMES:
            return QName(f"builtins.{name}")
        for module in self.star_imports.get(ctx.module.path, ()):
            # ``from awsglue.transforms import *`` then ``ApplyMapping``: a name the library defines.
            qname = REGISTRY.canonical(f"{module}.{name}")
            if REGISTRY.knows(qname):
                return QName(qname)
        return Unknown(name, f"name {name!r} is not defined statically")

    def lookup_name(self, name: str, ctx: Ctx) -> Value | None:
        if name in ctx.scope:
            return ctx.scope[name]
        for scope in reversed(ctx.enclosing):
            if name in scope:
                return scope[name]
        if name in ctx.globals:
            return ctx.globals[name]
        return None

    def eval_string(self, node: cst.SimpleString, ctx: Ctx) -> Value:
        try:
            value = node.evaluated_value
        except Exception:
            return Unknown(self.code(ctx, node), "string literal")
        if isinstance(value, bytes):
            return Const(value)
        return Str.of(value, self.loc(ctx, node))

    def eval_concat(self, node: cst.ConcatenatedString, ctx: Ctx) -> Value:
        left = self.eval(node.left, ctx)
        right = self.eval(node.right, ctx)
        if isinstance(left, Str) and isinstance(right, Str):
            return left.concat(right)
        return Unknown(self.code(ctx, node), "string")

    def eval_fstring(self, node: cst.FormattedString, ctx: Ctx) -> Value:
        result = Str((), False, self.loc(ctx, node))
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                result = result.concat(Str.of(part.value.replace("{{", "{").replace("}}", "}")))
            elif isinstance(part, cst.FormattedStringExpression):
                value = self.eval(part.expression, ctx)
                s = as_str(value) if part.format_spec is None and part.conversion is None else None
                if s is None or (isinstance(value, Unknown)):
                    s = Str.hole(_hole_name(self.code(ctx, part.expression)))
                result = result.concat(s)
        return result

    def eval_number(self, node: cst.Integer | cst.Float, ctx: Ctx) -> Value:
        try:
            return Const(node.evaluated_value)
        except Exception:
            return Unknown(node.value)

    def eval_attribute(self, node: cst.Attribute, ctx: Ctx) -> Value:
        base = self.eval(node.value, ctx)
        attr = node.attr.value
        results = [self.attribute(o, attr, ctx, node) for o in options(base)]
        return alternatives(results) if len(results) > 1 else results[0]

    def attribute(self, base: Value, attr: str, ctx: Ctx, node: cst.CSTNode) -> Value:
        if isinstance(base, QName):
            return QName(REGISTRY.canonical(f"{base.name}.{attr}"))
        if isinstance(base, RepoModule):
            return self.module_attr(base, attr)
        if isinstance(base, Instance):
            if attr in base.attrs:
                return base.attrs[attr]
            found = base.cls.lookup(attr)
            if isinstance(found, FunctionVal):
                if found.has_decorator("property"):
                    return self.invoke(found, Args(), ctx, node, self_value=base)
                return BoundMethod(base, attr)
            if found is not None:
                return found
        if isinstance(base, ClassVal):
            found = base.lookup(attr)
            if found is not None:
                return found
        if isinstance(base, Namespace):
            return base.parser.defaults.get(attr, Unknown(f"args.{attr}", "command-line argument without default"))
        if isinstance(base, Obj) and attr in base.attrs:
            return base.attrs[attr]
        if isinstance(base, Str) and attr in ("parent", "name", "stem", "suffix"):
            if attr == "parent":
                return path_parent(base)
            if attr == "name":
                return path_name(base)
            if attr == "stem":
                name = path_name(base)
                return name.map_text(lambda t: t.rsplit(".", 1)[0] if "." in t else t)
            return Unknown("suffix")
        result = self.hook("getattr", Site(attr, Args(), node, ctx, base))
        if result is not None:
            return result
        if isinstance(base, Frame | ColExpr):
            return base
        return Unknown(self.code(ctx, node), "attribute not resolvable statically")

    def eval_subscript(self, node: cst.Subscript, ctx: Ctx) -> Value:
        base = self.eval(node.value, ctx)
        index = self.subscript_index(node, ctx)
        results = [self.subscript(o, index, ctx, node) for o in options(base)]
        return alternatives(results) if len(results) > 1 else results[0]

    def subscript_index(self, node: cst.Subscript, ctx: Ctx) -> Value:
        elements = node.slice
        if len(elements) == 1:
            sl = elements[0].slice
            if isinstance(sl, cst.Index):
                return self.eval(sl.value, ctx)
            return Unknown(":", "slice")
        items: list[Value] = []
        for element in elements:
            sl = element.slice
            items.append(self.eval(sl.value, ctx) if isinstance(sl, cst.Index) else Const(slice(None)))
        return ListVal(items, "tuple")

    def subscript(self, base: Value, index: Value, ctx: Ctx, node: cst.CSTNode) -> Value:
        if isinstance(base, DictVal):
            key = const_key(index)
            if key is not None and key in base.items:
                return base.items[key]
            return Unknown(self.code(ctx, node), "dict key not known statically")
        if isinstance(base, ListVal):
            if (
                isinstance(index, Const)
                and isinstance(index.value, int)
                and -len(base.items) <= index.value < len(base.items)
            ):
                return base.items[index.value]
            if base.items and all(isinstance(i, Frame | ColExpr) for i in base.items):
                return join_values(base.items)
            return Unknown(self.code(ctx, node), "list index not known statically")
        if isinstance(base, Str) and base.exact is not None and isinstance(index, Const):
            return Unknown(self.code(ctx, node), "string slice")
        if isinstance(base, QName):
            if base.name == "os.environ":
                key = const_key(index)
                found = self.sink.env_value(str(key)) if key is not None else None
                return found if found is not None else Unknown(f"env:{key}", "environment variable")
            reason = "command-line argument" if base.name == "sys.argv" else "subscript"
            return Unknown(self.code(ctx, node), reason)
        result = self.hook("getitem", Site("getitem", Args([index]), node, ctx, base))
        if result is not None:
            return result
        return Unknown(self.code(ctx, node), "subscript not resolvable statically")

    def eval_binary(self, node: cst.BinaryOperation, ctx: Ctx) -> Value:
        left = self.eval(node.left, ctx)
        right = self.eval(node.right, ctx)
        return self.binary(type(node.operator).__name__, left, right, ctx, node, self.code(ctx, node))

    def binary(self, op: str, left: Value, right: Value, ctx: Ctx, node: cst.CSTNode, text: str) -> Value:
        if isinstance(left, Alt) or isinstance(right, Alt):
            return alternatives(
                self.binary(op, lo, ro, ctx, node, text) for lo in options(left) for ro in options(right)
            )
        if op == "Add" and isinstance(left, Str | Unknown) and isinstance(right, Str | Unknown):
            if isinstance(left, Unknown) and isinstance(right, Unknown):
                return Unknown(text, "string concatenation of unknowns")
            ls, rs = as_str(left), as_str(right)
            assert ls is not None and rs is not None
            if isinstance(left, Unknown):
                ls = Str.hole(_hole_name(left.name))
            if isinstance(right, Unknown):
                rs = Str.hole(_hole_name(right.name))
            if len(ls.literal_text) + len(rs.literal_text) > MAX_VALUE_SIZE:  # `s = s + s` doubling
                return Unknown(text, "string longer than the analysis budget")
            return ls.concat(rs)
        if op == "Divide" and isinstance(left, Str) and isinstance(right, Str | Unknown):
            return join_path([left, right])  # only a Path can be divided by a string
        if op == "Modulo" and isinstance(left, Str):
            return percent_format(left, right)
        if op == "Add" and isinstance(left, ListVal) and isinstance(right, ListVal):
            if len(left.items) + len(right.items) > MAX_VALUE_SIZE:
                return Unknown(text, "list longer than the analysis budget")
            return ListVal([*left.items, *right.items], left.kind)
        if op in ("RightShift", "LeftShift"):
            result = self.hook("shift", Site(op, Args([left, right]), node, ctx))
            if result is not None:
                return result
        if isinstance(left, Const) and isinstance(right, Const):
            if not _const_op_in_budget(op, left.value, right.value):
                return Unknown(text, "value larger than the analysis budget")
            try:
                return Const(_CONST_OPS[op](left.value, right.value))
            except Exception:
                return Unknown(text)
        if isinstance(left, Frame | ColExpr) or isinstance(right, Frame | ColExpr):
            result = self.hook("binary", Site(op, Args([left, right]), node, ctx))
            if result is not None:
                return result
        return Unknown(text, "operation")

    def eval_compare(self, node: cst.Comparison, ctx: Ctx) -> Value:
        left = self.eval(node.left, ctx)
        values = [left]
        for target in node.comparisons:
            values.append(self.eval(target.comparator, ctx))
        if any(isinstance(v, Frame | ColExpr) for v in values):
            return self.combine_columns(values, ctx, node, Subtype.TRANSFORMATION)
        if len(node.comparisons) == 1:
            op = type(node.comparisons[0].operator).__name__
            right = values[1]
            if isinstance(left, Str) and isinstance(right, Str) and left.exact is not None and right.exact is not None:
                if op == "Equal":
                    return Const(left.exact == right.exact)
                if op == "NotEqual":
                    return Const(left.exact != right.exact)
            if isinstance(left, Const) and isinstance(right, Const) and op in ("Is", "Equal", "IsNot", "NotEqual"):
                same = left.value == right.value
                return Const(same if op in ("Is", "Equal") else not same)
        return Unknown(self.code(ctx, node), "comparison")

    def eval_boolean(self, node: cst.BooleanOperation, ctx: Ctx) -> Value:
        left = self.eval(node.left, ctx)
        right = self.eval(node.right, ctx)
        if isinstance(left, Frame | ColExpr) or isinstance(right, Frame | ColExpr):
            return self.combine_columns([left, right], ctx, node, Subtype.TRANSFORMATION)
        if isinstance(node.operator, cst.Or):
            # ``x or "default"``: the value when ``x`` is falsy statically unknown -> both
            if isinstance(left, Const) and not left.value:
                return right
            if isinstance(left, Unknown | Const):
                return right if isinstance(left, Const) and left.value is None else join_values([left, right])
            return left
        if isinstance(left, Const) and isinstance(right, Const):
            return Const(bool(left.value) and bool(right.value))
        return Unknown(self.code(ctx, node), "boolean")

    def eval_unary(self, node: cst.UnaryOperation, ctx: Ctx) -> Value:
        value = self.eval(node.expression, ctx)
        if isinstance(value, ColExpr | Frame):
            return self.combine_columns([value], ctx, node, Subtype.TRANSFORMATION)
        if isinstance(value, Const) and isinstance(node.operator, cst.Not):
            return Const(not value.value)
        if isinstance(value, Const) and isinstance(node.operator, cst.Minus) and isinstance(value.value, int | float):
            return Const(-value.value)
        return Unknown(self.code(ctx, node))

    def combine_columns(self, values: list[Value], ctx: Ctx, node: cst.CSTNode, subtype: Subtype) -> Value:
        result = self.hook("combine", Site(subtype.value, Args(values), node, ctx))
        return result if result is not None else Unknown(self.code(ctx, node))

    def eval_sequence(self, node: cst.List | cst.Tuple | cst.Set, ctx: Ctx) -> Value:
        items: list[Value] = []
        for element in node.elements:
            value = self.eval(element.value, ctx)
            if isinstance(element, cst.StarredElement):
                if isinstance(value, ListVal):
                    items.extend(value.items)
                else:
                    items.append(element_of(value, self.code(ctx, element)))
            else:
                items.append(value)
        kind = "list" if isinstance(node, cst.List) else "tuple" if isinstance(node, cst.Tuple) else "set"
        return ListVal(items, kind)

    def eval_dict(self, node: cst.Dict, ctx: Ctx) -> Value:
        result = DictVal()
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                key = const_key(self.eval(element.key, ctx))
                value = self.eval(element.value, ctx)
                if key is None:
                    result.partial = True
                else:
                    result.items[key] = value
            else:
                spread = self.eval(element.value, ctx)
                if isinstance(spread, DictVal):
                    result.items.update(spread.items)
                else:
                    result.partial = True
        return result

    def eval_comprehension(self, node: cst.ListComp | cst.SetComp | cst.GeneratorExp | cst.DictComp, ctx: Ctx) -> Value:
        scope = dict(ctx.scope)
        inner = Ctx(ctx.module, ctx.unit, scope, ctx.globals, ctx.root, ctx.enclosing, ctx.depth, ctx.returns,
                    ctx.function, ctx.task, ctx.dag, ctx.declared_global, ctx.flags)  # fmt: skip
        results: list[Value] = []
        dict_result = DictVal()

        def produce() -> None:
            if isinstance(node, cst.DictComp):
                key = const_key(self.eval(node.key, inner))
                value = self.eval(node.value, inner)
                if key is None:
                    dict_result.partial = True
                else:
                    dict_result.items[key] = value
            else:
                results.append(self.eval(node.elt, inner))

        def loop(clause: cst.CompFor | None) -> None:
            if clause is None:
                produce()
                return
            iterable = self.eval(clause.iter, inner)
            items = iteration_items(iterable)
            if items is None or len(items) > UNROLL_LIMIT * 4:
                items = [element_of(iterable, self.code(ctx, clause.target))]
            for item in items:
                self.assign(clause.target, item, inner, None)
                keep = True
                for cond in clause.ifs:
                    truth = self.static_truth(cond.test, inner)
                    if truth is False:
                        keep = False
                if keep:
                    loop(clause.inner_for_in)

        loop(node.for_in)
        if isinstance(node, cst.DictComp):
            return dict_result
        return ListVal(results)

    def eval_ifexp(self, node: cst.IfExp, ctx: Ctx) -> Value:
        truth = self.static_truth(node.test, ctx)
        if truth is True:
            return self.eval(node.body, ctx)
        if truth is False:
            return self.eval(node.orelse, ctx)
        body = self.eval(node.body, ctx)
        orelse = self.eval(node.orelse, ctx)
        if isinstance(body, ColExpr | Frame) or isinstance(orelse, ColExpr | Frame):
            return self.combine_columns([body, orelse], ctx, node, Subtype.TRANSFORMATION)
        return join_values([body, orelse])

    def eval_lambda(self, node: cst.Lambda, ctx: Ctx) -> Value:
        closure = ctx.enclosing + ((ctx.scope,) if ctx.scope is not ctx.globals else ())
        return FunctionVal(node, ctx.module, ctx.unit, "<lambda>", closure, self.param_defaults(node.params, ctx))

    def eval_await(self, node: cst.Await, ctx: Ctx) -> Value:
        return self.eval(node.expression, ctx)

    def eval_named(self, node: cst.NamedExpr, ctx: Ctx) -> Value:
        value = self.eval(node.value, ctx)
        self.assign(node.target, value, ctx, node.value)
        return value

    def eval_yield(self, node: cst.Yield, ctx: Ctx) -> Value:
        value = node.value
        if value is not None and not isinstance(value, cst.From) and ctx.returns is not None:
            ctx.returns.append(self.eval(value, ctx))
        return Unknown("yield")

    # -- calls ----------------------------------------------------------------------------------

    def eval_args(self, node: cst.Call, ctx: Ctx) -> Args:
        args = Args()
        for arg in node.args:
            value = self.eval(arg.value, ctx)
            if arg.keyword is not None:
                args.kw[arg.keyword.value] = value
                args.kw_nodes[arg.keyword.value] = arg.value
            elif arg.star == "*":
                if isinstance(value, ListVal):
                    args.pos.extend(value.items)
                    args.pos_nodes.extend([None] * len(value.items))
                else:
                    args.star = True
            elif arg.star == "**":
                if isinstance(value, DictVal):
                    for k, v in value.items.items():
                        if isinstance(k, str):
                            args.kw[k] = v
                else:
                    args.star = True
            else:
                args.pos.append(value)
                args.pos_nodes.append(arg.value)
        return args

    def eval_call(self, node: cst.Call, ctx: Ctx) -> Value:
        func = node.func
        if isinstance(func, cst.Attribute):
            receiver = self.eval(func.value, ctx)
            args = self.eval_args(node, ctx)
            name = func.attr.value
            if isinstance(receiver, Unknown):
                # ``model.fit(X, y)`` / ``cur.execute(sql)`` / ``df.to_csv(p)`` on something unresolved:
                # a framework may adopt it as an object of its kind, and the variable keeps it.
                adopted = self.hook("adopt", Site(name, args, node, ctx, receiver))
                if adopted is not None:
                    receiver = adopted
                    if isinstance(func.value, cst.Name | cst.Attribute):
                        self.assign(func.value, adopted, ctx, None)
            results = [self.call_method(r, name, args, ctx, node) for r in options(receiver)]
            return alternatives(results) if len(results) > 1 else results[0]
        if isinstance(func, cst.Name) and func.value == SQL_MAGIC:
            args = self.eval_args(node, ctx)
            return self.hook("sql_magic", Site(SQL_MAGIC, args, node, ctx)) or NONE
        callee = self.eval(func, ctx)
        args = self.eval_args(node, ctx)
        results = [self.call_value(c, args, ctx, node) for c in options(callee)]
        return alternatives(results) if len(results) > 1 else results[0]

    def call_value(self, callee: Value, args: Args, ctx: Ctx, node: cst.CSTNode) -> Value:
        """Call any callable value with evaluated arguments."""
        if isinstance(callee, FunctionVal):
            return self.invoke(callee, args, ctx, node)
        if isinstance(callee, BoundMethod):
            return self.call_method(callee.receiver, callee.name, args, ctx, node)
        if isinstance(callee, ClassVal):
            return self.instantiate(callee, args, ctx, node)
        if isinstance(callee, QName):
            return self.call_qname(callee.name, args, ctx, node)
        if isinstance(callee, Instance):
            call = callee.cls.lookup("__call__") or callee.cls.lookup("forward")
            self.hook("call_object", Site("__call__", args, node, ctx, callee))
            if isinstance(call, FunctionVal):
                return self.invoke(call, args, ctx, node, self_value=callee)
            return self.generic_call(self.code(ctx, node), args, ctx, node)
        if isinstance(callee, Obj | ColExpr | Frame):
            result = self.hook("call_object", Site("__call__", args, node, ctx, callee))
            if result is not None:
                return result
        return self.generic_call(self.code(ctx, node), args, ctx, node)

    def call_qname(self, name: str, args: Args, ctx: Ctx, node: cst.CSTNode) -> Value:
        handler = REGISTRY.lookup(name)
        if handler is not None:
            result = handler(self, Site(name, args, node, ctx))
            if result is not None:
                return result
        return self.generic_call(name, args, ctx, node, qname=True)

    def call_method(self, receiver: Value, name: str, args: Args, ctx: Ctx, node: cst.CSTNode) -> Value:
        if isinstance(receiver, QName):
            return self.call_qname(REGISTRY.canonical(f"{receiver.name}.{name}"), args, ctx, node)
        if isinstance(receiver, RepoModule):
            return self.call_value(self.module_attr(receiver, name), args, ctx, node)
        if isinstance(receiver, Instance):
            if name in receiver.attrs:
                return self.call_value(receiver.attrs[name], args, ctx, node)
            found = receiver.cls.lookup(name)
            if isinstance(found, FunctionVal):
                if found.has_decorator("staticmethod"):
                    return self.invoke(found, args, ctx, node)
                return self.invoke(found, args, ctx, node, self_value=receiver)
            if found is not None:
                return self.call_value(found, args, ctx, node)
        if isinstance(receiver, FunctionVal):
            if name in ("submit", "fn", "delay", "apply_async", "call", "__call__", "run", "map"):
                return self.invoke(receiver, args, ctx, node)
            if name in ("with_options", "options", "override", "partial"):
                return receiver
        if isinstance(receiver, ClassVal):
            found = receiver.lookup(name)
            if isinstance(found, FunctionVal):
                if found.has_decorator("classmethod"):
                    return self.invoke(found, args, ctx, node, self_value=receiver)
                return self.invoke(found, args, ctx, node)
        site = Site(name, args, node, ctx, receiver)
        for kind, handler in REGISTRY.methods:
            if isinstance(receiver, kind):
                result = handler(self, receiver, site)
                if result is not None:
                    return result
        if (
            name in ("result", "wait", "compute", "get_result")
            and not args.pos
            and not isinstance(receiver, Unknown | Obj)
        ):
            return receiver  # futures (Prefect, Dask, concurrent.futures) stand for their value
        if isinstance(receiver, Frame | ColExpr):
            return self.generic_call(f"{name}", Args([receiver, *args.pos], dict(args.kw)), ctx, node)
        return self.generic_call(self.code(ctx, node), args, ctx, node)

    def generic_call(self, name: str, args: Args, ctx: Ctx, node: cst.CSTNode, qname: bool = False) -> Value:
        """A call nobody handles: data passes through opaquely, anything else is an object."""
        result = self.hook("generic", Site(name, args, node, ctx))
        if result is not None:
            return result
        if qname:
            return Obj(name)
        return Unknown(self.code(ctx, node) if node is not None else name, "call result")

    def instantiate(self, cls: ClassVal, args: Args, ctx: Ctx, node: cst.CSTNode) -> Value:
        replaced = self.hook("instantiate", Site(cls.name, args, node, ctx, cls))
        if replaced is not None:
            return replaced
        instance = Instance(cls)
        init = cls.lookup("__init__")
        if isinstance(init, FunctionVal):
            self.invoke(init, args, ctx, node, self_value=instance)
        elif _is_dataclass(cls):
            fields = [s for s in _class_fields(cls)]
            for i, name in enumerate(fields):
                value = args.get(i, name)
                if value is None:
                    value = cls.attrs.get(name, Unknown(name))
                instance.attrs[name] = value
        return instance

    def invoke(
        self,
        fn: FunctionVal,
        args: Args,
        ctx: Ctx,
        node: cst.CSTNode | None,
        self_value: Value | None = None,
        entry: bool = False,
    ) -> Value:
        """Interpret a repository function with the call's arguments bound to its parameters."""
        if isinstance(fn.node, cst.FunctionDef):
            self.called.add(id(fn.node))
        if not entry:
            replaced = self.hook("invoke", Site(fn.name, args, node or fn.node, ctx, fn))
            if replaced is not None:
                return replaced
        key_id = id(fn.node)
        if ctx.depth >= self.max_depth or self.active.count(key_id) >= 1:
            return Unknown(f"{fn.name}()", "call depth limit or recursion")
        memo_key = _memo_key(fn, args, self_value, ctx)
        if memo_key is not None and memo_key in self.memo:
            return self.memo[memo_key]
        scope = self.bind(fn, args, self_value, ctx, entry)
        returns: list[Value] = []
        inner = Ctx(fn.module, fn.unit, scope, fn.module.globals, ctx.root, fn.closure, ctx.depth + 1, returns, fn,
                    ctx.task, ctx.dag, flags={"line": ctx.flags.get("line", 0)})  # fmt: skip
        self.active.append(key_id)
        try:
            if isinstance(fn.node, cst.Lambda):
                result = self.eval(fn.node.body, inner)
            else:
                self.exec_block(fn.node.body, inner)
                result = join_values(returns) if returns else NONE
        finally:
            self.active.pop()
        if memo_key is not None:
            self.memo[memo_key] = result
        return result

    def bind(self, fn: FunctionVal, args: Args, self_value: Value | None, ctx: Ctx, entry: bool) -> dict[str, Value]:
        params = fn.node.params
        scope: dict[str, Value] = {}
        positional = [*params.posonly_params, *params.params]
        pos = list(args.pos)
        if self_value is not None:
            pos.insert(0, self_value)
        for i, p in enumerate(positional):
            name = p.name.value
            if i < len(pos):
                scope[name] = pos[i]
            elif name in args.kw:
                scope[name] = args.kw[name]
            elif name in fn.option_defaults:
                scope[name] = fn.option_defaults[name]
            elif name in fn.defaults:
                scope[name] = fn.defaults[name]
            else:
                scope[name] = Unknown(name, f"parameter {name!r} of {fn.name}() has no value at this call")
        for p in params.kwonly_params:
            name = p.name.value
            if name in args.kw:
                scope[name] = args.kw[name]
            elif name in fn.option_defaults:
                scope[name] = fn.option_defaults[name]
            elif name in fn.defaults:
                scope[name] = fn.defaults[name]
            else:
                scope[name] = Unknown(name, f"parameter {name!r} of {fn.name}() has no value at this call")
        star = params.star_arg
        if isinstance(star, cst.Param):
            scope[star.name.value] = ListVal(pos[len(positional) :], "tuple")
        if params.star_kwarg is not None:
            known = {p.name.value for p in (*positional, *params.kwonly_params)}
            scope[params.star_kwarg.name.value] = DictVal({k: v for k, v in args.kw.items() if k not in known})
        return scope

    # -- framework hooks ------------------------------------------------------------------------

    def data_in(self, value: Value) -> list[Frame | ColExpr]:
        """Data values (frames, columns) found in ``value``, containers included."""
        found: list[Frame | ColExpr] = []
        stack = [value]
        seen = 0
        while stack and seen < 200:
            v = stack.pop()
            seen += 1
            if isinstance(v, Frame | ColExpr):
                found.append(v)
            elif isinstance(v, ListVal):
                stack.extend(v.items)
            elif isinstance(v, DictVal):
                stack.extend(v.items.values())
            elif isinstance(v, Alt):
                stack.extend(v.options)
            elif isinstance(v, Instance) and v is value:
                # a dataset-like object (torch ``Dataset``) holding frames or tensors in attributes
                stack.extend(a for a in v.attrs.values() if isinstance(a, Frame | ColExpr))
        return found


def join_values(values: Sequence[Value]) -> Value:
    """The value of a variable after branches that assigned it differently."""
    present = [v for v in values if not (isinstance(v, Const) and v.value is None)]
    if not present:
        return values[0] if values else NONE
    known = [v for v in present if not isinstance(v, Unknown)]
    if not known:
        return present[0]
    if all(v is known[0] for v in known):
        return known[0]
    if all(isinstance(v, Frame) for v in known):
        frames = [v for v in known if isinstance(v, Frame)]
        return union_frames(frames)
    if all(isinstance(v, ColExpr) for v in known):
        cols = [v for v in known if isinstance(v, ColExpr)]
        first = cols[0]
        origins = frozenset().union(*(c.origins for c in cols))
        refs = frozenset().union(*(c.refs for c in cols))
        return ColExpr(origins, refs, first.text, first.name, first.flavor,
                       frozenset().union(*(c.sources for c in cols)), first.each,
                       frozenset().union(*(c.conditions for c in cols)), first.loc)  # fmt: skip
    return alternatives(known)


def unpack(value: Value, n: int) -> list[Value]:
    """``a, b = value``."""
    if isinstance(value, ListVal) and len(value.items) == n:
        return list(value.items)
    if isinstance(value, Frame | ColExpr) or (isinstance(value, Obj) and value.kind == "loaded"):
        return [value] * n
    if isinstance(value, ListVal) and value.items and all(isinstance(i, Frame | ColExpr) for i in value.items):
        return [join_values(value.items)] * n
    if isinstance(value, Alt):
        columns = [unpack(o, n) for o in value.options]
        return [alternatives(col[i] for col in columns) for i in range(n)]
    name = value.name if isinstance(value, Unknown) else "value"
    return [Unknown(f"{name}[{i}]", "unpacking") for i in range(n)]


def iteration_items(value: Value) -> list[Value] | None:
    if isinstance(value, ListVal):
        return list(value.items)
    if isinstance(value, DictVal) and not value.partial:
        return [Str.of(k) if isinstance(k, str) else Const(k) for k in value.items]
    if isinstance(value, Alt):
        return list(value.options)
    return None


def element_of(value: Value, name: str) -> Value:
    """A representative element of an iterable that is not unrolled."""
    if isinstance(value, ListVal) and value.items:
        return join_values(value.items)
    if isinstance(value, Frame | ColExpr):
        return value
    if isinstance(value, Obj) and value.trained:
        return join_values(value.trained)
    if isinstance(value, Obj) and value.last_result is not None:
        return value.last_result  # ``for row in cursor:``: rows of the cursor's last query
    return Unknown(name, "loop variable")


def _dotted(node: cst.BaseExpression | cst.Attribute | cst.Name) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr.value}" if base else ""
    return ""


def _hole_name(code: str) -> str:
    code = " ".join(code.split())
    return code if len(code) <= 40 else code[:39] + "…"


def _is_dataclass(cls: ClassVal) -> bool:
    for d in cls.node.decorators:
        code = d.decorator
        name = code.func if isinstance(code, cst.Call) else code
        if isinstance(name, cst.Name | cst.Attribute) and _dotted(name).endswith("dataclass"):
            return True
    return False


def _class_fields(cls: ClassVal) -> list[str]:
    names: list[str] = []
    if isinstance(cls.node.body, cst.IndentedBlock):
        for stmt in cls.node.body.body:
            if isinstance(stmt, cst.SimpleStatementLine):
                for small in stmt.body:
                    if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                        names.append(small.target.value)
    return names


def _memo_key(fn: FunctionVal, args: Args, self_value: Value | None, ctx: Ctx) -> tuple[object, ...] | None:
    """A key for calls that must give the same result: only immutable arguments (and frames, kept
    alive by the key itself so their ids are never reused); objects with state are never memoized."""
    if self_value is not None or args.star:
        return None
    parts: list[object] = [id(fn.node), ctx.root.path, id(ctx.task)]
    for v in [*args.pos, *[x for kv in sorted(args.kw.items()) for x in kv]]:
        if isinstance(v, Str | Const | Unknown | QName | ColExpr | str):
            parts.append(v)
        elif isinstance(v, Frame):
            parts.append((id(v), _Alive(v)))
        else:
            return None
    return tuple(parts)


class _Alive:
    """Holds an object in a memo key (so its id stays unique) without taking part in equality."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Alive)

    def __hash__(self) -> int:
        return 0


#: Largest string (characters) or list (items) the interpreter builds from constants; past it a
#: value is unknown (``s = s + s`` forty times would otherwise need a terabyte).
MAX_VALUE_SIZE = 1_000_000


def _const_op_in_budget(op: str, a: Any, b: Any) -> bool:
    """Whether ``a <op> b`` on constants stays within MAX_VALUE_SIZE (checked before computing it)."""
    if op == "Multiply":
        for seq, times in ((a, b), (b, a)):
            if (
                isinstance(seq, str | bytes | list | tuple)
                and isinstance(times, int)
                and len(seq) * times > MAX_VALUE_SIZE
            ):
                return False
    if op == "Add" and isinstance(a, str | bytes) and isinstance(b, str | bytes):
        return len(a) + len(b) <= MAX_VALUE_SIZE
    return not (isinstance(a, int) and isinstance(b, int) and max(abs(a), abs(b)).bit_length() > 100_000)


_CONST_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "Add": lambda a, b: a + b,
    "Subtract": lambda a, b: a - b,
    "Multiply": lambda a, b: a * b,
    "Divide": lambda a, b: a / b,
    "FloorDivide": lambda a, b: a // b,
    "Modulo": lambda a, b: a % b,
}


_EVAL: dict[type, Callable[[Interpreter, Any, Ctx], Value]] = {
    cst.Name: Interpreter.eval_name,
    cst.SimpleString: Interpreter.eval_string,
    cst.ConcatenatedString: Interpreter.eval_concat,
    cst.FormattedString: Interpreter.eval_fstring,
    cst.Integer: Interpreter.eval_number,
    cst.Float: Interpreter.eval_number,
    cst.Attribute: Interpreter.eval_attribute,
    cst.Subscript: Interpreter.eval_subscript,
    cst.BinaryOperation: Interpreter.eval_binary,
    cst.Comparison: Interpreter.eval_compare,
    cst.BooleanOperation: Interpreter.eval_boolean,
    cst.UnaryOperation: Interpreter.eval_unary,
    cst.List: Interpreter.eval_sequence,
    cst.Tuple: Interpreter.eval_sequence,
    cst.Set: Interpreter.eval_sequence,
    cst.Dict: Interpreter.eval_dict,
    cst.ListComp: Interpreter.eval_comprehension,
    cst.SetComp: Interpreter.eval_comprehension,
    cst.GeneratorExp: Interpreter.eval_comprehension,
    cst.DictComp: Interpreter.eval_comprehension,
    cst.IfExp: Interpreter.eval_ifexp,
    cst.Lambda: Interpreter.eval_lambda,
    cst.Await: Interpreter.eval_await,
    cst.NamedExpr: Interpreter.eval_named,
    cst.Yield: Interpreter.eval_yield,
    cst.Call: Interpreter.eval_call,
    cst.Ellipsis: lambda self, node, ctx: NONE,
}
