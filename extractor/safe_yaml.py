"""YAML loaded within a budget: a file's size and the size of its tree with aliases expanded.

An alias bomb (``a: &a [x, x]``, ``b: &b [*a, *a]`` … nine levels deep) is a few hundred bytes
whose aliases share nodes; anything that walks the loaded value (``var()``, ``tojson``, a
deep copy) expands it to billions of items. The composed node graph is measured before any
value is built, counting each alias as the tree it stands for, and refused when too large.
"""

from __future__ import annotations

from typing import Any

import yaml

#: Largest YAML text read, in characters.
MAX_CHARS = 20_000_000
#: Most nodes the loaded tree may have with every alias expanded.
MAX_NODES = 2_000_000

_SafeLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YAMLBudgetError(yaml.YAMLError):
    """The YAML is larger than the budget allows (a huge file or an alias bomb)."""


def load(text: str, loader: type | None = None, max_nodes: int = MAX_NODES, max_chars: int = MAX_CHARS) -> Any:
    """``yaml.load`` with ``loader`` (a safe loader by default) within the budget; raises YAMLError."""
    if len(text) > max_chars:
        raise YAMLBudgetError(f"YAML text of {len(text):,} characters is over the {max_chars:,} budget")
    parser = (loader or _SafeLoader)(text)
    try:
        node = parser.get_single_node()
        if node is None:
            return None
        # An alias needs an anchor (``&name``): a text without ``&`` cannot expand beyond its own size.
        size = expanded_size(node, max_nodes) if "&" in text else 0
        if size > max_nodes:
            raise YAMLBudgetError(
                f"YAML expands to more than {max_nodes:,} nodes through its aliases (an alias bomb?); not loaded"
            )
        return parser.construct_document(node)
    finally:
        parser.dispose()


def expanded_size(root: yaml.Node, limit: int) -> int:
    """Nodes of ``root``'s tree with aliases expanded; stops counting once over ``limit``."""
    sizes: dict[int, int] = {}
    # Iterative post-order walk: deep YAML must not exhaust the stack either.
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if key in sizes and not done:
            continue
        children = _children(node)
        if not done:
            sizes.setdefault(key, -1)
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
            continue
        total = 1 + sum(max(sizes.get(id(child), 1), 1) for child in children)
        sizes[key] = min(total, limit + 1)
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []
