"""Reading a template without rendering it: constant ``ref()``/``source()`` calls and ``config()`` values."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from jinja2 import nodes
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import missing

from ..sandbox import EVALUATORS
from .nodes import StaticRef


def static_calls(ast: nodes.Template) -> tuple[list[StaticRef], dict[str, Any]]:
    """``ref``/``source`` calls with constant arguments, and the constant ``config(...)`` values."""
    refs: list[StaticRef] = []
    config: dict[str, Any] = {}
    for call in ast.find_all(nodes.Call):
        if not isinstance(call.node, nodes.Name) or call.node.name not in ("ref", "source", "config"):
            continue
        kind = call.node.name
        if kind == "config":
            for arg in call.args:  # config({"materialized": "table", …})
                if isinstance(arg, nodes.Dict):
                    for pair in arg.items:
                        try:
                            config[str(pair.key.as_const())] = pair.value.as_const()
                        except nodes.Impossible:
                            continue
            for keyword in call.kwargs:
                try:
                    config[keyword.key] = keyword.value.as_const()
                except nodes.Impossible:
                    continue
            continue
        args = [a.value for a in call.args if isinstance(a, nodes.Const) and isinstance(a.value, str)]
        if len(args) != len(call.args) or not args:
            continue
        version = None
        for keyword in call.kwargs:
            if keyword.key in ("version", "v") and isinstance(keyword.value, nodes.Const):
                version = str(keyword.value.value)
        refs.append(StaticRef(kind, tuple(args), version, call.lineno))
    return refs, config


_PLAIN = (nodes.Output, nodes.TemplateData, nodes.Const, nodes.Call, nodes.Name, nodes.Keyword)


def only_refs(ast: nodes.Template) -> bool:
    """Whether the template does nothing but ``ref()``/``source()`` calls with constant arguments.

    Such a template (most models of a real project) has no ``config()`` call, no macro, no variable
    and no control flow: its config is the one property files give and what it reads is its
    references, so learning them needs no render (dbt's static parser makes the same shortcut)."""
    calls: set[int] = set()
    for node in ast.find_all(nodes.Node):
        if type(node) not in _PLAIN:
            return False
        if isinstance(node, nodes.Call):
            if not isinstance(node.node, nodes.Name) or node.node.name not in ("ref", "source"):
                return False
            if node.dyn_args is not None or node.dyn_kwargs is not None or not node.args:
                return False
            if not all(isinstance(a, nodes.Const) and isinstance(a.value, str) for a in node.args):
                return False
            if any(k.key not in ("version", "v") or not isinstance(k.value, nodes.Const) for k in node.kwargs):
                return False
            calls.add(id(node.node))
    return all(id(name) in calls for name in ast.find_all(nodes.Name))


_CALL = re.compile(r"""\b(ref|source)\(\s*['"]([^'"]+)['"]\s*(?:,\s*['"]([^'"]+)['"]\s*)?\)""")


def regex_calls(text: str) -> list[StaticRef]:
    """``ref``/``source`` calls found by pattern, for a template Jinja cannot parse."""
    refs = []
    for match in _CALL.finditer(text):
        args = tuple(a for a in match.group(2, 3) if a)
        refs.append(StaticRef(match.group(1), args, None, text.count("\n", 0, match.start()) + 1))
    return refs


#: What a template of calls only (``only_calls``) may contain in its ``{{ … }}`` outputs.
_CALL_PARTS = (nodes.Call, nodes.Getattr, nodes.Name, nodes.Const, nodes.List, nodes.Tuple, nodes.Dict, nodes.Pair,
               nodes.Keyword)  # fmt: skip


def only_calls(ast: nodes.Template) -> bool:
    """Whether the template is text and ``{{ … }}`` outputs of calls, attributes, names and constants
    only: no statement, filter, operator, test or variable (``{{ dbt_utils.star(ref('x')) }}``,
    ``{{ config(materialized='table') }}``). Such a template is rendered by ``render_calls``,
    without compiling it to Python."""
    for output in ast.body:
        if not isinstance(output, nodes.Output):
            return False
        for child in output.nodes:
            if isinstance(child, nodes.TemplateData):
                continue
            for part in (child, *child.find_all(nodes.Node)):
                if type(part) not in _CALL_PARTS:
                    return False
                if isinstance(part, nodes.Call) and (part.dyn_args is not None or part.dyn_kwargs is not None):
                    return False
                if isinstance(part, nodes.Name) and part.ctx != "load":
                    return False
    return True


def render_calls(ast: nodes.Template, env: SandboxedEnvironment, context: Context, path: str) -> str:
    """What rendering a template of calls only (``only_calls``) gives: the code Jinja compiles it
    to does the same, in the same order (look a name up in the context, ``environment.getattr``,
    ``environment.call(context, …)`` with the sandbox's checks, ``str()`` of each output), and
    what runs meanwhile sees the line of the output it is in, as in a compiled template."""
    out: list[str] = []
    position = (path, 1)
    for output in ast.body:
        assert isinstance(output, nodes.Output)
        for child in output.nodes:
            if isinstance(child, nodes.TemplateData):
                out.append(child.data)
            else:
                position = (path, child.lineno)  # noqa: F841 - read from this frame by sandbox.template_position
                out.append(str(_evaluate(child, env, context)))
    return "".join(out)


def _evaluate(node: nodes.Node, env: SandboxedEnvironment, context: Context) -> Any:
    if isinstance(node, nodes.Const):
        return node.value
    if isinstance(node, nodes.Name):
        value = context.resolve_or_missing(node.name)
        return env.undefined(name=node.name) if value is missing else value
    if isinstance(node, nodes.Getattr):
        return env.getattr(_evaluate(node.node, env, context), node.attr)
    if isinstance(node, nodes.Call):
        function = _evaluate(node.node, env, context)
        args = [_evaluate(a, env, context) for a in node.args]
        kwargs = {k.key: _evaluate(k.value, env, context) for k in node.kwargs}
        return env.call(context, function, *args, **kwargs)
    if isinstance(node, nodes.List):
        return [_evaluate(i, env, context) for i in node.items]
    if isinstance(node, nodes.Tuple):
        return tuple(_evaluate(i, env, context) for i in node.items)
    assert isinstance(node, nodes.Dict)
    return {_evaluate(p.key, env, context): _evaluate(p.value, env, context) for p in node.items}


def render_plain(ast: nodes.Template, functions: Mapping[str, Any]) -> str:
    """What rendering a template of constant refs only (``only_refs``) gives, without compiling it:
    its text with each call replaced by ``str()`` of its value, as Jinja's own output does
    (autoescape off, no finalize). Compiling such a template to Python was most of its cost."""
    out: list[str] = []
    for output in ast.body:
        assert isinstance(output, nodes.Output)
        for child in output.nodes:
            if isinstance(child, nodes.TemplateData):
                out.append(child.data)
            elif isinstance(child, nodes.Const):
                out.append(str(child.value))
            else:
                assert isinstance(child, nodes.Call) and isinstance(child.node, nodes.Name)
                args = [a.as_const() for a in child.args]
                kwargs = {k.key: k.value.as_const() for k in child.kwargs}
                out.append(str(functions[child.node.name](*args, **kwargs)))
    return "".join(out)


EVALUATORS.add(render_calls.__code__)
