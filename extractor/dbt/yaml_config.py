"""dbt's YAML: ``dbt_project.yml`` and property files, read with line numbers.

Folder-level configs (``models: my_project: staging: +schema: staging``) are resolved per node
the way dbt does: a key starting with ``+`` is always a config; a key without it is a config when
its value is not a mapping (or is one of the mapping-valued configs), otherwise a sub-folder.
Deeper levels override shallower ones, except ``tags`` (accumulated) and ``meta`` (merged).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .. import codes, safe_yaml
from ..model import Diagnostic

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LineDict(dict[str, Any]):
    """A YAML mapping that remembers the (1-based) line it starts on."""

    line: int = 1


class _LineLoader(_Loader):
    pass


def _construct_mapping(loader: Any, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict(loader.construct_pairs(node, deep=True))
    result.line = node.start_mark.line + 1
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def yaml_problem(path: str, line: int, message: str) -> Diagnostic:
    return Diagnostic(path, line, 1, codes.severity("DT206"), "DT206", message)


def load_yaml(path: Path, rel: str, diagnostics: list[Diagnostic]) -> Any:
    """The parsed YAML of ``path``, or None with a DT206 diagnostic when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        diagnostics.append(yaml_problem(rel, 1, f"cannot read YAML: {e}"))
        return None
    try:
        return safe_yaml.load(text, _LineLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        diagnostics.append(yaml_problem(rel, line, f"YAML syntax error: {problem}"))
        return None


def line_of(value: Any, default: int = 1) -> int:
    return value.line if isinstance(value, LineDict) else default


# -- configs ------------------------------------------------------------------------------------

#: Configs whose value is a mapping: a key without ``+`` holding one of these is not a folder.
MAPPING_CONFIGS = frozenset({
    "meta", "docs", "persist_docs", "contract", "grants", "labels", "quoting", "column_types", "partition_by",
    "snapshot_meta_column_names", "hours_to_expiration", "config", "dispatch", "freshness",
})  # fmt: skip


def merge_config(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``extra`` over ``base``: tags accumulate, meta merges, everything else is replaced."""
    merged = dict(base)
    for key, value in extra.items():
        if key == "tags":
            tags = list(as_list(merged.get("tags")))
            tags.extend(t for t in as_list(value) if t not in tags)
            merged["tags"] = tags
        elif key == "meta" and isinstance(value, dict) and isinstance(merged.get("meta"), dict):
            merged["meta"] = {**merged["meta"], **value}
        else:
            merged[key] = value
    return merged


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def _level_configs(level: dict[str, Any]) -> dict[str, Any]:
    configs: dict[str, Any] = {}
    for key, value in level.items():
        if not isinstance(key, str):
            continue
        if key.startswith("+"):
            configs[key[1:].replace("-", "_") if key[1:] in ("pre-hook", "post-hook") else key[1:]] = value
        elif not isinstance(value, dict) or key in MAPPING_CONFIGS:
            configs[key] = value
    return configs


def folder_config(tree: Any, fqn: Sequence[str]) -> dict[str, Any]:
    """The project-level config of the node ``fqn`` (``[project, folder, …, name]``)."""
    if not isinstance(tree, dict):
        return {}
    merged = _level_configs(tree)
    level: Any = tree
    for part in fqn:
        if not isinstance(level, dict):
            break
        child = level.get(part)
        if not isinstance(child, dict) or part in MAPPING_CONFIGS:
            break
        merged = merge_config(merged, _level_configs(child))
        level = child
    return merged


# -- dbt_project.yml ----------------------------------------------------------------------------


def _paths(data: dict[str, Any], key: str, legacy: str | None, default: list[str]) -> list[str]:
    value = data.get(key, data.get(legacy) if legacy else None)
    if value is None:
        return default
    return [str(v).strip("/") for v in as_list(value) if isinstance(v, str | int)]


@dataclass
class ProjectFile:
    """What ``dbt_project.yml`` says (paths relative to the project directory)."""

    name: str
    model_paths: list[str]
    seed_paths: list[str]
    snapshot_paths: list[str]
    macro_paths: list[str]
    analysis_paths: list[str]
    test_paths: list[str]
    packages_path: str
    vars: dict[str, Any] = field(default_factory=dict)
    models: dict[str, Any] = field(default_factory=dict)
    seeds: dict[str, Any] = field(default_factory=dict)
    snapshots: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, Any] = field(default_factory=dict)
    dispatch: dict[str, list[str]] = field(default_factory=dict)
    quoting: dict[str, Any] = field(default_factory=dict)
    profile: str | None = None


def read_project_file(data: Any, rel: str, fallback_name: str, diagnostics: list[Diagnostic]) -> ProjectFile:
    """Interpret a parsed ``dbt_project.yml``; problems are DT206 diagnostics, never exceptions."""
    if not isinstance(data, dict):
        if data is not None:
            diagnostics.append(yaml_problem(rel, 1, "dbt_project.yml must be a mapping"))
        data = {}
    name = data.get("name")
    if not isinstance(name, str) or not name:
        diagnostics.append(yaml_problem(rel, 1, f"dbt_project.yml has no name; using {fallback_name!r}"))
        name = fallback_name
    dispatch: dict[str, list[str]] = {}
    for entry in as_list(data.get("dispatch")):
        if isinstance(entry, dict) and isinstance(entry.get("macro_namespace"), str):
            dispatch[entry["macro_namespace"]] = [str(p) for p in as_list(entry.get("search_order"))]
    sections = {}
    for key in ("vars", "models", "seeds", "snapshots", "sources", "quoting"):
        value = data.get(key)
        if value is not None and not isinstance(value, dict):
            diagnostics.append(yaml_problem(rel, line_of(data), f"dbt_project.yml: {key} must be a mapping"))
            value = None
        sections[key] = value or {}
    install = data.get("packages-install-path")
    return ProjectFile(
        name=name,
        model_paths=_paths(data, "model-paths", "source-paths", ["models"]),
        seed_paths=_paths(data, "seed-paths", "data-paths", ["seeds"]),
        snapshot_paths=_paths(data, "snapshot-paths", None, ["snapshots"]),
        macro_paths=_paths(data, "macro-paths", None, ["macros"]),
        analysis_paths=_paths(data, "analysis-paths", None, ["analyses"]),
        test_paths=_paths(data, "test-paths", None, ["tests"]),
        packages_path=install if isinstance(install, str) else "dbt_packages",
        vars=sections["vars"],
        models=sections["models"],
        seeds=sections["seeds"],
        snapshots=sections["snapshots"],
        sources=sections["sources"],
        dispatch=dispatch,
        quoting=sections["quoting"],
        profile=data.get("profile") if isinstance(data.get("profile"), str) else None,
    )
