"""Whether each use of a name in a Python expression sits inside a hashing call (libcst)."""

from __future__ import annotations

import libcst as cst


def hashed_uses(text: str, name: str, functions: frozenset[str]) -> list[bool]:
    """For every use of ``name`` in the expression ``text``: is a call to one of ``functions`` around it?
    An expression that does not parse has no uses."""
    try:
        tree = cst.parse_expression(text)
    except cst.ParserSyntaxError:
        return []
    finder = _HashedUses(functions, name)
    tree.visit(finder)
    return finder.uses


class _HashedUses(cst.CSTVisitor):
    """Records, for each use of the name, whether a hashing call encloses it."""

    def __init__(self, functions: frozenset[str], name: str) -> None:
        self.functions = functions
        self.name = name
        self.depth = 0  # enclosing hashing calls
        self.uses: list[bool] = []

    def _is_hash(self, node: cst.Call) -> bool:
        func = node.func
        name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        return name.lower() in self.functions

    def visit_Call(self, node: cst.Call) -> None:
        if self._is_hash(node):
            self.depth += 1

    def leave_Call(self, original_node: cst.Call) -> None:
        if self._is_hash(original_node):
            self.depth -= 1

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name:
            self.uses.append(self.depth > 0)
