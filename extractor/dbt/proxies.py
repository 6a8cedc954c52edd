"""Proxies of the model being rendered: ``config``, ``this``, ``model`` and ``graph`` as templates see them.

They read :attr:`DbtRenderer.state` at call time, so macro modules compiled once serve every model.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .jinja import PlaceholderUndefined
from .nodes import DbtNode
from .relations import Relation
from .yaml_config import merge_config

if TYPE_CHECKING:
    from .context import DbtRenderer


class ConfigProxy:
    """``config(...)`` records configs; ``config.get('x')`` reads them."""

    def __init__(self, renderer: DbtRenderer) -> None:
        self._renderer = renderer

    def __call__(self, *args: Any, **kwargs: Any) -> str:
        state = self._renderer.state
        if state is None:
            return ""
        values: dict[str, Any] = {}
        for arg in args:
            if isinstance(arg, dict):
                values.update(arg)
        values.update(kwargs)
        state.config = merge_config(state.config, {k.replace("-", "_") if "hook" in k else k: v
                                                   for k, v in values.items()})  # fmt: skip
        state._relation = None
        return ""

    def get(self, name: Any, default: Any = None, validator: Any = None) -> Any:
        state = self._renderer.state
        if state is None:
            return default
        value = state.config.get(str(name), default)
        return default if value is None else value

    def require(self, name: Any, validator: Any = None) -> Any:
        return self.get(name, PlaceholderUndefined(name=f"config.{name}"))

    def meta_get(self, name: Any, default: Any = None) -> Any:
        meta = self.get("meta", {})
        return meta.get(name, default) if isinstance(meta, dict) else default

    def meta_require(self, name: Any) -> Any:
        return self.meta_get(name, PlaceholderUndefined(name=f"config.meta.{name}"))

    def persist_relation_docs(self) -> bool:
        return False

    def persist_column_docs(self) -> bool:
        return False

    def set(self, name: Any, value: Any) -> str:
        return self(**{str(name): value})


class ThisProxy:
    """``this``: the relation of the model being rendered."""

    def __init__(self, renderer: DbtRenderer) -> None:
        self._renderer = renderer

    def _relation(self) -> Relation | None:
        return self._renderer.current_relation()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        relation = self._relation()
        if relation is None:
            return PlaceholderUndefined(name=f"this.{name}")
        return getattr(relation, name)

    def __str__(self) -> str:
        relation = self._relation()
        return relation.render() if relation is not None else str(PlaceholderUndefined(name="this"))

    __html__ = __str__

    def __eq__(self, other: object) -> bool:
        return self._relation() == other

    def __hash__(self) -> int:
        return hash(self._relation())


class ModelProxy(Mapping[str, Any]):
    """``model``: the node being rendered, as a dict (``model.name``, ``model.config.materialized``)."""

    def __init__(self, renderer: DbtRenderer) -> None:
        self._renderer = renderer

    def _data(self) -> dict[str, Any]:
        state = self._renderer.state
        if state is None or state.node is None:
            return {}
        data = node_dict(state.node, self._renderer)
        data["config"] = state.config
        return data

    def __getitem__(self, key: str) -> Any:
        return self._data()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data())

    def __len__(self) -> int:
        return len(self._data())


class GraphProxy(Mapping[str, Any]):
    """``graph``: nodes and sources of the scanned projects, built on first use."""

    def __init__(self, renderer: DbtRenderer) -> None:
        self._renderer = renderer

    def __getitem__(self, key: str) -> Any:
        return self._renderer.graph_nodes()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._renderer.graph_nodes())

    def __len__(self) -> int:
        return len(self._renderer.graph_nodes())


def node_dict(node: DbtNode, renderer: DbtRenderer) -> dict[str, Any]:
    """A node as dbt's ``model`` / ``graph.nodes`` entries show it."""
    config = node.effective_config()
    relation = node.relation
    return {
        "name": node.name, "unique_id": node.unique_id, "resource_type": node.resource_type,
        "package_name": node.package, "original_file_path": node.path, "path": node.path,
        "fqn": list(node.fqn), "config": config, "tags": list(config.get("tags") or []),
        "meta": config.get("meta") or {}, "alias": relation.identifier if relation else node.name,
        "schema": relation.schema if relation else renderer.settings.target_schema,
        "database": relation.database if relation else renderer.settings.target_database,
        "version": node.version, "language": node.language, "raw_code": node.text, "raw_sql": node.text,
        "columns": {c: {"name": c, "data_type": t} for c, t in node.columns.items()}, "description": "",
        "depends_on": {"nodes": [], "macros": []}, "refs": [], "sources": [],
        "checksum": {"name": "sha256", "checksum": ""},
    }  # fmt: skip
