"""Where tags come from: ``[tool.datatrail.tags]``, dbt property files and schema files.

``[tool.datatrail.tags]`` maps patterns to tag lists::

    [tool.datatrail.tags]
    "raw.customers.email" = ["pii"]          # one column
    "raw.customers.birth_*" = ["pii"]        # globs over dataset and column names
    "raw.web_sessions" = ["behavioural"]     # a whole dataset: every column carries the tag

``[tool.datatrail.governance]`` holds the propagation settings (declared anonymising steps and
extra pseudonymising functions). Config values of the wrong shape are a ``ConfigError`` naming the
key; a pattern that names no existing column is a DT600 warning at its line in pyproject.toml.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

import yaml

from .. import codes, safe_yaml
from ..errors import ConfigError
from ..graph import LineageGraph
from ..model import DatasetKind, Diagnostic

if TYPE_CHECKING:
    from ..config import Config

#: A node of the column graph: (dataset, column); column None is the dataset as a whole.
Node = tuple[str, "str | None"]

#: Tag names are identifiers (``pii``, ``pii.contact``, ``gdpr:art9``), never free text.
_TAG_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.:-]*")
_GOVERNANCE_KEYS = {"anonymising", "pseudonymising_functions"}
_ANONYMISING_KEYS = {"column", "reason"}


@dataclass(frozen=True, order=True)
class TagSource:
    """Where a tag was declared: the config line, a dbt property file or a schema file."""

    path: str
    line: int
    origin: str  # "config" | "dbt" | "schema_file"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Anonymising:
    """An aggregation the user declares anonymising, with the justification shown in reports."""

    column: str  # glob over "dataset.column"
    reason: str
    source: TagSource

    def covers(self, dataset: str, column: str) -> bool:
        return fnmatch.fnmatchcase(f"{dataset}.{column}".lower(), self.column.lower())


@dataclass(frozen=True)
class _Pattern:
    key: str
    tags: tuple[str, ...]
    source: TagSource


@dataclass
class GovernanceConfig:
    """The validated governance settings of one configuration."""

    patterns: list[_Pattern] = field(default_factory=list)
    anonymising: list[Anonymising] = field(default_factory=list)
    pseudonymising_functions: frozenset[str] = frozenset()


def _config_path(config: Config) -> str:
    if config.source is None:
        return "pyproject.toml"
    try:
        return Path(config.source).resolve().relative_to(config.root.resolve()).as_posix()
    except ValueError:
        return str(config.source)


def _config_text(config: Config) -> str:
    if config.files is not None:
        data = config.files.get("pyproject.toml")
        if data is not None:
            return data.decode("utf-8", errors="replace")
    if config.source is not None:
        try:
            return Path(config.source).read_text(encoding="utf-8")
        except OSError:
            return ""
    return ""


def config_line(text: str, table: str, key: str) -> int:
    """The line of ``key`` inside ``[table]`` of a TOML text (1 when it cannot be found).

    Only to point a warning at the configuration: the values themselves come from tomllib."""
    lines = text.splitlines()
    inside = False
    header = f"[{table}]"
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if line.startswith("["):
            inside = line.split("#", 1)[0].strip() == header
            continue
        if inside and (line.startswith(f'"{key}"') or line.startswith(f"'{key}'") or line.startswith(f"{key} ")
                       or line.startswith(f"{key}=")):  # fmt: skip
            return number
    for number, raw in enumerate(lines, start=1):
        if raw.strip().startswith(header):
            return number
    return 1


def array_entry_line(text: str, table: str, index: int) -> int:
    """The line of the ``index``-th ``[[table]]`` header of a TOML text (1 when not found)."""
    seen = -1
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.split("#", 1)[0].strip() == f"[[{table}]]":
            seen += 1
            if seen == index:
                return number
    return 1


def _tag_list(value: Any, where: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(t, str) for t in items):
        raise ConfigError(f"{where} must be a tag name or a list of tag names")
    for tag in items:
        if not _TAG_NAME.fullmatch(tag):
            raise ConfigError(f"{where}: {tag!r} is not a valid tag name (letters, digits, _ . : -)")
    return tuple(sorted(set(items)))


def load_governance_config(config: Config) -> GovernanceConfig:
    """Validate ``[tool.datatrail.tags]`` and ``[tool.datatrail.governance]``."""
    text = _config_text(config)
    path = _config_path(config)
    settings = GovernanceConfig()
    for key, value in config.sections.get("tags", {}).items():
        if not isinstance(key, str) or not key.strip() or key != key.strip() or ".." in key:
            raise ConfigError(f"[tool.datatrail.tags] {key!r} is not a dataset or dataset.column pattern")
        if isinstance(value, dict):
            raise ConfigError(
                f"[tool.datatrail.tags] {key!r}: unknown tag pattern (a table, expected a tag list); "
                'quote dotted patterns: "raw.customers.email" = ["pii"]'
            )
        tags = _tag_list(value, f"[tool.datatrail.tags] {key!r}")
        source = TagSource(path, config_line(text, "tool.datatrail.tags", key), "config")
        settings.patterns.append(_Pattern(key, tags, source))
    section = config.sections.get("governance", {})
    unknown = sorted(set(section) - _GOVERNANCE_KEYS)
    if unknown:
        raise ConfigError(f"[tool.datatrail.governance] has unknown keys: {', '.join(unknown)}")
    functions = section.get("pseudonymising_functions", [])
    if not isinstance(functions, list) or not all(isinstance(f, str) and f for f in functions):
        raise ConfigError("[tool.datatrail.governance] pseudonymising_functions must be a list of function names")
    settings.pseudonymising_functions = frozenset(f.lower() for f in functions)
    entries = section.get("anonymising", [])
    if not isinstance(entries, list):
        raise ConfigError("[[tool.datatrail.governance.anonymising]] must be an array of tables")
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise ConfigError("[[tool.datatrail.governance.anonymising]] entries must be tables")
        extra = sorted(set(entry) - _ANONYMISING_KEYS)
        if extra:
            raise ConfigError(f"[[tool.datatrail.governance.anonymising]] has unknown keys: {', '.join(extra)}")
        column, reason = entry.get("column"), entry.get("reason")
        if not isinstance(column, str) or "." not in column:
            raise ConfigError("[[tool.datatrail.governance.anonymising]] column must be a 'dataset.column' pattern")
        if not isinstance(reason, str) or not reason.strip():
            raise ConfigError(f"[[tool.datatrail.governance.anonymising]] for {column} needs a reason")
        line = array_entry_line(text, "tool.datatrail.governance.anonymising", index)
        settings.anonymising.append(Anonymising(column, reason.strip(), TagSource(path, line, "config")))
    return settings


# -- resolving declarations to graph nodes -------------------------------------------------------


def _match(name: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(name.lower(), pattern.lower())


def _warn(source: TagSource, message: str) -> Diagnostic:
    return Diagnostic(source.path, source.line, 1, codes.severity(codes.TAG_UNMATCHED), codes.TAG_UNMATCHED, message)


def resolve_tags(
    graph: LineageGraph, settings: GovernanceConfig, config: Config
) -> tuple[dict[Node, dict[str, TagSource]], list[Diagnostic]]:
    """The tagged nodes of ``graph`` with where each tag was declared, and warnings."""
    seeds: dict[Node, dict[str, TagSource]] = {}
    diagnostics: list[Diagnostic] = []

    def add(node: Node, tags: tuple[str, ...], source: TagSource) -> None:
        entry = seeds.setdefault(node, {})
        for tag in tags:
            entry.setdefault(tag, source)

    names = sorted(graph.datasets)
    for pattern in settings.patterns:
        whole = [n for n in names if _match(n, pattern.key)]
        if whole:
            for name in whole:
                add((name, None), pattern.tags, pattern.source)
            continue
        dataset_glob, _, column_glob = pattern.key.rpartition(".")
        matched = [n for n in names if dataset_glob and _match(n, dataset_glob)]
        hits = [(n, c) for n in matched for c in graph.datasets[n].columns if _match(c, column_glob)]
        for node in hits:
            add(node, pattern.tags, pattern.source)
        if not hits:
            what = f"dataset {dataset_glob!r} has no column {column_glob!r}" if matched else "no such dataset or column"
            diagnostics.append(_warn(pattern.source, f"tag pattern {pattern.key!r} matches nothing: {what}"))
    dbt_datasets = _dbt_datasets(graph)
    for dataset, column, tags, source in [*_dbt_tags(config), *_schema_file_tags(config)]:
        found = dbt_datasets.get(dataset) if source.origin == "dbt" else _schema_dataset(graph, dataset)
        if found is None:
            diagnostics.append(_warn(source, f"tags {list(tags)} for {dataset}: no such dataset in the lineage"))
        elif column is None:
            add((found, None), tags, source)
        elif column.lower() in {c.lower() for c in graph.datasets[found].columns}:
            real = next(c for c in graph.datasets[found].columns if c.lower() == column.lower())
            add((found, real), tags, source)
        else:
            diagnostics.append(_warn(source, f"tags {list(tags)} for {found}.{column}: no such column"))
    for rule in settings.anonymising:
        if not any(rule.covers(n, c) for n in names for c in graph.datasets[n].columns):
            diagnostics.append(_warn(rule.source, f"anonymising declaration {rule.column!r} matches no column"))
    return seeds, diagnostics


# -- dbt property files and schema files -----------------------------------------------------------


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A safe YAML loader (libyaml's when installed) that remembers the line of every mapping (as ``__line__``)."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _files(config: Config) -> Iterator[str]:
    if config.files is not None:
        yield from sorted(p for p in config.files if not config.is_excluded(p))
        return
    root = config.root
    found = []
    for directory, subdirs, names in os.walk(root):
        rel_dir = Path(directory).relative_to(root).as_posix()
        prefix = "" if rel_dir == "." else rel_dir + "/"
        # Prune excluded trees (.git, .venv, node_modules …) instead of walking them.
        subdirs[:] = [d for d in subdirs if not config.is_excluded(f"{prefix}{d}/")]
        found += [f"{prefix}{n}" for n in names if not config.is_excluded(f"{prefix}{n}")]
    yield from sorted(found)


def _read(config: Config, rel: str) -> str | None:
    try:
        if config.files is not None:
            data = config.files.get(rel)
            return None if data is None else data.decode("utf-8")
        return (config.root / rel).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _tag_values(entry: dict[str, Any]) -> list[str]:
    """dbt ``tags:`` plus the ``meta`` conventions: ``meta.tags``, ``meta.datatrail.tags``, ``meta.pii: true``."""
    found: list[str] = [t for t in _strings(entry.get("tags"))]
    meta = entry.get("meta")
    if isinstance(meta, dict):
        nested = meta.get("datatrail")
        for holder in (meta, nested if isinstance(nested, dict) else {}):
            found += _strings(holder.get("tags"))
        if meta.get("pii") is True or meta.get("contains_pii") is True:
            found.append("pii")
    return sorted({t for t in found if _TAG_NAME.fullmatch(t)})


def _strings(value: Any) -> list[str]:
    """A string or a list of strings as a list (anything else: empty)."""
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _dbt_tags(config: Config) -> Iterator[tuple[str, str | None, tuple[str, ...], TagSource]]:
    """(dbt name, column, tags, source) for tagged columns in the property files of dbt projects."""
    files = list(_files(config))
    projects = [str(PurePosixPath(p).parent) for p in files if PurePosixPath(p).name == "dbt_project.yml"]
    if not projects:
        return
    prefetch = getattr(config.files, "prefetch", None)
    if prefetch is not None:  # a git revision: read every property file in one batch
        prefetch(p for p in files if p.endswith((".yml", ".yaml")))
    for rel in files:
        if not rel.endswith((".yml", ".yaml")) or PurePosixPath(rel).name == "dbt_project.yml":
            continue
        if not any(p == "." or rel.startswith(p + "/") for p in projects):
            continue
        text = _read(config, rel)
        if text is None or not any(k in text for k in ("tags", "meta")):
            continue
        # Both revisions of a check or diff share almost every property file: each text is read once.
        key = (rel, hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest())
        found = _FILE_TAGS.get(key)
        if found is None:
            if len(_FILE_TAGS) > 10_000:
                _FILE_TAGS.clear()
            found = _FILE_TAGS[key] = list(_property_file_tags(text, rel))
        yield from found


#: Tags found in one property file's text, by (path, text digest).
_FILE_TAGS: dict[tuple[str, str], list[tuple[str, str | None, tuple[str, ...], TagSource]]] = {}


def _property_file_tags(text: str, rel: str) -> Iterator[tuple[str, str | None, tuple[str, ...], TagSource]]:
    try:
        data = safe_yaml.load(text, loader=_LineLoader)
    except yaml.YAMLError:
        return  # the dbt frontend reports unreadable YAML (DT206)
    if not isinstance(data, dict):
        return
    for section in ("models", "seeds", "snapshots"):
        for item in data.get(section) or []:
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                yield from _dbt_columns(f"dbt:{item['name']}", item, rel)
    for source in data.get("sources") or []:
        if not isinstance(source, dict) or not isinstance(source.get("name"), str):
            continue
        for table in source.get("tables") or []:
            if isinstance(table, dict) and isinstance(table.get("name"), str):
                yield from _dbt_columns(f"dbt-source:{source['name']}.{table['name']}", table, rel)


def _dbt_columns(
    name: str, item: dict[str, Any], rel: str
) -> Iterator[tuple[str, str | None, tuple[str, ...], TagSource]]:
    for column in item.get("columns") or []:
        if isinstance(column, dict) and isinstance(column.get("name"), str):
            tags = _tag_values(column)
            if tags:
                yield name, column["name"], tuple(tags), TagSource(rel, int(column.get("__line__", 1)), "dbt")
    # Model-level dbt tags (``nightly`` …) are scheduling labels; only meta tags mark a dataset.
    meta_only = {k: v for k, v in item.items() if k == "meta"}
    tags = _tag_values(meta_only)
    if tags:
        yield name, None, tuple(tags), TagSource(rel, int(item.get("__line__", 1)), "dbt")


def _dbt_datasets(graph: LineageGraph) -> dict[str, str]:
    """``dbt:name`` / ``dbt-source:source.table`` -> dataset, the first in name order (one pass)."""
    found: dict[str, str] = {}
    for ds_name in sorted(graph.datasets):
        ds = graph.datasets[ds_name]
        if ds.kind is DatasetKind.DBT_SOURCE:
            source = ds.attributes.get("source")
            if isinstance(source, str):
                found.setdefault(f"dbt-source:{source}", ds_name)
        elif ds.kind in (DatasetKind.DBT_MODEL, DatasetKind.DBT_SEED):
            path = ds.attributes.get("path")
            if isinstance(path, str):
                found.setdefault(f"dbt:{PurePosixPath(path).stem}", ds_name)
    return found


def _schema_file_tags(config: Config) -> Iterator[tuple[str, str | None, tuple[str, ...], TagSource]]:
    """Tags in schema files: ``tags:`` beside ``columns:``, or ``column: {tags: [...]}`` entries."""
    for name in config.schema_files:
        text = _read(config, name)
        if text is None:
            continue  # the scan already reported it (DT003)
        try:
            data = json.loads(text) if name.endswith(".json") else safe_yaml.load(text, loader=_LineLoader)
        except (ValueError, yaml.YAMLError):
            continue
        if isinstance(data, dict) and isinstance(data.get("tables"), dict):
            data = data["tables"]
        if isinstance(data, dict):
            yield from _schema_tables(data, "", name)


def _schema_tables(
    data: dict[str, Any], prefix: str, path: str
) -> Iterator[tuple[str, str | None, tuple[str, ...], TagSource]]:
    for key, value in data.items():
        if key == "__line__" or not isinstance(key, str):
            continue
        table = f"{prefix}{key}".lower()
        if not isinstance(value, dict):
            continue
        line = int(value.get("__line__", 1))
        tags = value.get("tags")
        columns = value.get("columns")
        nested = (
            "." not in key
            and not prefix
            and "columns" not in value
            and "tags" not in value
            and all(isinstance(v, (list, dict)) for k, v in value.items() if k != "__line__")
        )
        if nested:
            yield from _schema_tables(value, f"{key}.", path)
            continue
        if isinstance(tags, dict):
            for column, column_tags in tags.items():
                if column != "__line__" and _valid(column_tags):
                    yield (
                        table,
                        str(column),
                        _as_tags(column_tags),
                        TagSource(path, int(tags.get("__line__", line)), "schema_file"),
                    )
        elif _valid(tags):
            yield table, None, _as_tags(tags), TagSource(path, line, "schema_file")
        entries = columns if isinstance(columns, dict) else value if columns is None else {}
        for column, spec in entries.items():
            if isinstance(spec, dict) and _valid(spec.get("tags")):
                source = TagSource(path, int(spec.get("__line__", line)), "schema_file")
                yield table, str(column), _as_tags(spec["tags"]), source


def _valid(value: Any) -> bool:
    items = [value] if isinstance(value, str) else value
    return isinstance(items, list) and bool(items) and all(isinstance(t, str) and _TAG_NAME.fullmatch(t) for t in items)


def _as_tags(value: Any) -> tuple[str, ...]:
    return tuple(sorted({value} if isinstance(value, str) else set(value)))


def _schema_dataset(graph: LineageGraph, table: str) -> str | None:
    if table in graph.datasets:
        return table
    matches = [n for n in graph.datasets if n.endswith("." + table)]
    return matches[0] if len(matches) == 1 else None
