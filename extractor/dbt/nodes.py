"""What a dbt project is made of, as datatrail reads it: nodes, sources, macros, packages."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .relations import Relation
from .yaml_config import ProjectFile


@dataclass(frozen=True)
class StaticRef:
    """A ``ref()`` or ``source()`` call with constant arguments, found without rendering."""

    kind: str  # "ref" or "source"
    args: tuple[str, ...]
    version: str | None
    line: int


@dataclass
class DbtNode:
    """A model, snapshot or seed: something dbt builds into a relation."""

    resource_type: str  # "model", "snapshot" or "seed"
    name: str
    package: str
    path: str  # config-root-relative POSIX path of the file
    file: Path
    fqn: tuple[str, ...]
    config: dict[str, Any]  # dbt_project.yml and property-file configs, before the template's config()
    text: str = ""  # the Jinja template (a snapshot's is its block, other lines blanked)
    line: int = 1
    language: str = "sql"
    version: str | None = None
    columns: dict[str, str | None] = field(default_factory=dict)  # declared in YAML: name -> data_type
    static_refs: list[StaticRef] = field(default_factory=list)
    static_config: dict[str, Any] = field(default_factory=dict)  # constant arguments of config(...)
    relation: Relation | None = None
    rendered_config: dict[str, Any] | None = None  # the final config, once rendered
    #: the property-file part of ``config`` (it wins over every dbt_project.yml, a consumer's too)
    property_config: dict[str, Any] = field(default_factory=dict)

    @property
    def unique_id(self) -> str:
        suffix = f".v{self.version}" if self.version is not None else ""
        return f"{self.resource_type}.{self.package}.{self.name}{suffix}"

    @property
    def key(self) -> str:
        """Unique within a project even when two files define the same model (per-adapter variants)."""
        return f"{self.unique_id}@{self.path}"

    def effective_config(self) -> dict[str, Any]:
        if self.rendered_config is not None:
            return self.rendered_config
        return {**self.config, **self.static_config}

    @property
    def enabled(self) -> bool:
        value = self.effective_config().get("enabled", True)
        if isinstance(value, str):
            return value.strip().lower() not in ("false", "0", "no")
        return value is not False


@dataclass
class SourceTable:
    """One table of a ``sources:`` entry."""

    source_name: str
    name: str
    database: str | None
    schema: str
    identifier: str
    path: str
    line: int
    columns: dict[str, str | None] = field(default_factory=dict)
    enabled: bool = True
    relation: Relation | None = None

    @property
    def unique_id(self) -> str:
        return f"source.{self.source_name}.{self.name}"


@dataclass(frozen=True)
class MacroFile:
    """A file of macros; ``package`` is the project or installed package that owns it."""

    package: str
    path: str  # config-root-relative (or absolute for files outside the root)
    file: Path


@dataclass
class DbtProject:
    """A dbt project found by its ``dbt_project.yml``, with everything read from its files."""

    root: Path
    rel_root: str  # config-root-relative directory ("" for the root itself)
    spec: ProjectFile
    dialect: str | None
    adapter: str
    dialect_known: bool = True  # False when the dialect was guessed or defaulted
    nodes: dict[str, DbtNode] = field(default_factory=dict)  # key -> node
    sources: dict[tuple[str, str], SourceTable] = field(default_factory=dict)
    macro_files: list[MacroFile] = field(default_factory=list)
    packages: dict[str, Path] = field(default_factory=dict)  # installed package name -> directory
    #: Directories of ``packages: - local: …`` entries (packages.yml / dependencies.yml), resolved.
    local_packages: list[Path] = field(default_factory=list)
    #: The scanned project that installs this one as a local package: dbt builds this project's
    #: models inside that one, with its vars, and resolves refs across both.
    consumer: DbtProject | None = field(default=None, repr=False)
    exposures: list[dict[str, Any]] = field(default_factory=list)
    claimed: set[str] = field(default_factory=set)
    latest_versions: dict[str, str] = field(default_factory=dict)
    _by_name: dict[str, list[DbtNode]] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return self.spec.name

    def remove(self, node: DbtNode) -> None:
        """Forget a node (a duplicate definition that is not used)."""
        self.nodes.pop(node.key, None)
        self._by_name = {}

    def rel(self, path: Path) -> str:
        """``path`` relative to the config root (POSIX), given as relative to the project."""
        inner = path.relative_to(self.root).as_posix()
        return f"{self.rel_root}/{inner}" if self.rel_root else inner

    def find_node(self, name: str, version: str | None = None, resource_types: tuple[str, ...] = ()) -> DbtNode | None:
        """The model, snapshot or seed called ``name`` (the latest version unless one is asked for)."""
        if not self._by_name and self.nodes:
            for node in self.nodes.values():
                self._by_name.setdefault(node.name, []).append(node)
        candidates = [n for n in self._by_name.get(name, ()) if not resource_types or n.resource_type in resource_types]
        if not candidates:
            return None
        if version is not None:
            return next((n for n in candidates if str(n.version) == str(version)), None)
        latest = self.latest_versions.get(name)
        if latest is not None:
            chosen = next((n for n in candidates if str(n.version) == latest), None)
            if chosen is not None:
                return chosen
        enabled = [n for n in candidates if n.enabled] or candidates
        return sorted(enabled, key=lambda n: (n.version is None, str(n.version)))[-1]


def build_root(project: DbtProject) -> DbtProject:
    """The project whose build ``project`` is part of: the end of its chain of consumers."""
    seen = {id(project)}
    while project.consumer is not None and id(project.consumer) not in seen:
        project = project.consumer
        seen.add(id(project))
    return project
