"""Reading a template without rendering it: constant ``ref()``/``source()`` calls and ``config()`` values."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from jinja2 import nodes

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
