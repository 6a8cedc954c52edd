"""Macros of the project and its installed packages: indexed by name, compiled on first use.

Macro files are only scanned for names up front; a file is compiled the first time one of its
macros is called and becomes a Jinja module shared by every model of the project (per-model
state such as ``this`` or ``config`` is read through proxies, see context.py). ``{{ return(x) }}``
ends a macro with the value ``x``, as in dbt. ``adapter.dispatch`` follows dbt's search: the
namespace's search order, ``<adapter>__name`` then parents then ``default__name``, and finally the
builtin equivalents of builtins.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jinja2.environment import TemplateModule
from jinja2.runtime import Macro

from ..model import Diagnostic
from .builtins import Builtins
from .jinja import (
    DbtSandbox,
    MacroReturn,
    PlaceholderUndefined,
    RenderSession,
    call_placeholder,
    error_diagnostic,
    session_scope,
)
from .nodes import MacroFile
from .relations import adapter_chain

_MACRO_NAME = re.compile(r"\{%-?\s*macro\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(")


def is_dunder(name: str) -> bool:
    """``__name__``-style names: Python's own attributes, never a macro."""
    return name.startswith("__") and name.endswith("__")


@dataclass(frozen=True)
class MacroDef:
    name: str
    package: str
    file: MacroFile


class MacroProxy:
    """A macro as templates see it: calling it compiles its file (once) and runs it."""

    def __init__(self, index: MacroIndex, definition: MacroDef) -> None:
        self._index = index
        self._definition = definition

    @property
    def name(self) -> str:
        return self._definition.name

    @property
    def package_name(self) -> str:
        return self._definition.package

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # Looked up by name among the macros the file defines, never as an attribute of the
        # compiled module: ``_is_relation`` is not exported, and ``__reduce_ex__`` would be Python's.
        macro = self._index.macros_of(self._definition.file).get(self._definition.name)
        if not isinstance(macro, Macro):
            kwargs.pop("caller", None)
            return call_placeholder(f"{self._definition.package}.{self._definition.name}", args, kwargs)
        try:
            return macro(*args, **kwargs)
        except MacroReturn as r:
            return r.value

    def __repr__(self) -> str:
        return f"<macro {self._definition.package}.{self._definition.name}>"


class Namespace:
    """``dbt_utils.star``, ``dbt.datediff``, ``my_project.my_macro``: a package's macros by name."""

    def __init__(self, index: MacroIndex, name: str) -> None:
        self._index = index
        self._name = name

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            # The sandbox refuses ``_`` attributes; it then asks ``namespace[name]`` (below).
            raise AttributeError(name)
        return self._index.resolve(self._name, name)

    def __getitem__(self, name: str) -> Any:
        name = str(name)
        if is_dunder(name):
            raise KeyError(name)
        return self._index.resolve(self._name, name)

    def __repr__(self) -> str:
        return f"<namespace {self._name}>"


def _end_at_return(macro: Macro) -> None:
    """Make ``{{ return(x) }}`` end only the macro it is in, as in dbt.

    Macros of one file call each other directly (not through a :class:`MacroProxy`), so the
    ``MacroReturn`` of a callee would otherwise unwind its caller too. Wrapping the macro's body
    function catches it at the callee, however the callee was reached."""
    body = macro._func

    def run(*arguments: Any) -> Any:
        try:
            return body(*arguments)
        except MacroReturn as r:
            return r.value

    macro._func = run


class MacroIndex:
    """Every macro a project can call, with dbt's resolution rules."""

    def __init__(
        self,
        env: DbtSandbox,
        root: str,
        files: list[MacroFile],
        read: Callable[[MacroFile], str | None],
        dispatch_order: dict[str, list[str]],
        adapter: str,
        builtins: Builtins,
    ) -> None:
        self.env = env
        self.root = root
        self.read = read
        self.dispatch_order = dispatch_order
        self.adapter = adapter
        self.builtins = builtins
        self.diagnostics: list[Diagnostic] = []
        self.by_package: dict[str, dict[str, MacroProxy]] = {}
        self._modules: dict[MacroFile, TemplateModule | None] = {}
        self._macros: dict[MacroFile, dict[str, Any]] = {}
        self._texts: dict[MacroFile, str] = {}
        self._resolved: dict[tuple[str, str], Any] = {}
        self._prefixes = [f"{a}__" for a in adapter_chain(adapter)] + ["default__"]
        for file in files:
            text = read(file)
            if text is None:
                continue
            self._texts[file] = text
            package = self.by_package.setdefault(file.package, {})
            for name in _MACRO_NAME.findall(text):
                if not is_dunder(name):  # ``__reduce_ex__`` and the like never name a macro
                    package[name] = MacroProxy(self, MacroDef(name, file.package, file))

    @property
    def paths(self) -> set[str]:
        return {f.path for f in self._texts}

    def packages(self) -> list[str]:
        return sorted(self.by_package)

    def get(self, package: str, name: str) -> MacroProxy | None:
        return self.by_package.get(package, {}).get(name)

    def module(self, file: MacroFile) -> TemplateModule | None:
        """The compiled module of a macro file; None (and a DT200, once) if it does not compile."""
        if file in self._modules:
            return self._modules[file]
        self._modules[file] = None  # also guards against a file importing itself
        try:
            template = self.env.compile_template(self._texts[file], file.path)
            local = dict(self.by_package.get(file.package, {})) if file.package != self.root else None
            context = template.new_context(local)
            # dbt reads only the macros of a macro file; text around them (an example call in a
            # SQL comment) is run here to build the module, and what it reports belongs to no
            # model: into the render that happened to load the file first, it made a scan's
            # diagnostics depend on which process loaded what.
            with session_scope(RenderSession(file.path, 1)):
                module = TemplateModule(template, context)
        except Exception as e:  # a broken macro file must not stop the project
            self.diagnostics.append(error_diagnostic(e, file.path, paths={file.path}))
            return None
        self._modules[file] = module
        # Every macro the file defines, ``_private`` ones included (Jinja exports only public names).
        self._macros[file] = {k: v for k, v in context.vars.items() if isinstance(v, Macro) and not is_dunder(k)}
        for macro in self._macros[file].values():
            _end_at_return(macro)
        return module

    def macros_of(self, file: MacroFile) -> dict[str, Any]:
        """The macros ``file`` defines, by name (compiling it on first use)."""
        self.module(file)
        return self._macros.get(file, {})

    # -- resolution ------------------------------------------------------------------------------

    def resolve(self, namespace: str, name: str) -> Any:
        """``namespace.name``: the package's macro, else a builtin, else a placeholder."""
        key = (namespace, name)
        if key in self._resolved:
            return self._resolved[key]
        found: Any = self.get(namespace, name)
        if found is None and namespace == "dbt":
            found = self._root_override(name)
        if found is None:
            found = self.builtins.lookup(namespace, name)
        if found is None:
            found = PlaceholderUndefined(name=f"{namespace}.{name}")
        self._resolved[key] = found
        return found

    def project_override(self, name: str) -> MacroProxy | None:
        """The project's own version of a dbt macro: ``name`` itself, or the implementation
        ``adapter.dispatch(name, 'dbt')`` finds (``default__generate_schema_name``)."""
        found = self.get(self.root, name)
        return found if found is not None else self._root_override(name)

    def _root_override(self, name: str) -> Any:
        """A project's own implementation of a dispatched dbt macro (``default__datediff``)."""
        for package in self.dispatch_order.get("dbt", [self.root]):
            for prefix in self._prefixes:
                found = self.get(package, prefix + name)
                if found is not None:
                    return found
        return None

    def dispatch(self, macro_name: str, macro_namespace: str | None = None, packages: Any = None) -> Any:
        """dbt's ``adapter.dispatch(name, namespace)``: the implementation for this adapter."""
        if "." in macro_name:
            macro_namespace, macro_name = macro_name.split(".", 1)
        key = (f"dispatch:{macro_namespace}", macro_name)
        if key in self._resolved:
            return self._resolved[key]
        if macro_namespace is None:
            search = [self.root, "dbt"]
        else:
            search = self.dispatch_order.get(macro_namespace) or [self.root, macro_namespace]
        found: Any = None
        for package in search:
            for prefix in self._prefixes:
                found = self.get(package, prefix + macro_name)
                if found is not None:
                    break
            if found is not None:
                break
        if found is None:
            found = self.builtins.lookup(macro_namespace or "dbt", macro_name)
        if found is None:
            found = PlaceholderUndefined(name=f"{macro_namespace}.{macro_name}" if macro_namespace else macro_name)
        self._resolved[key] = found
        return found
