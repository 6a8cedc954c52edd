"""Read one dbt project from disk: its paths, models, snapshots, seeds, sources, macros and packages.

Nothing is rendered here. Every file under the project's model, snapshot, macro, analysis and
test paths is *claimed* (the plain SQL pass must not read Jinja as SQL), whether or not it
becomes a node.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlglot
from sqlglot import exp

from ..config import Config
from ..model import Diagnostic
from ..sql.naming import fold, get_dialect
from .diagnostics import diagnostic
from .nodes import DbtNode, DbtProject, MacroFile, SourceTable
from .relations import ADAPTER_OF_DIALECT, DIALECT_OF_ADAPTER
from .settings import DbtSettings
from .yaml_config import (
    as_list,
    folder_config,
    line_of,
    load_yaml,
    merge_config,
    read_project_file,
    yaml_problem,
)

_SNAPSHOT_BLOCK = re.compile(
    r"\{%-?\s*snapshot\s+([A-Za-z_][A-Za-z0-9_]*)\s*-?%\}(.*?)\{%-?\s*endsnapshot\s*-?%\}", re.DOTALL
)
_SQLFLUFF_DIALECT = re.compile(r"^\s*dialect\s*=\s*([A-Za-z_]+)", re.MULTILINE)
_ADAPTER_TYPE = re.compile(r'"adapter_type"\s*:\s*"([A-Za-z_]+)"')


def _files(base: Path, suffixes: tuple[str, ...]) -> list[Path]:
    if not base.is_dir():
        return []
    return sorted(p for p in base.rglob("*") if p.suffix.lower() in suffixes and p.is_file())


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None


# -- dialect --------------------------------------------------------------------------------------


def detect_adapter(root: Path, stop: Path, profile: str | None, diagnostics: list[Diagnostic]) -> str | None:
    """The warehouse a project targets, from files next to it: profiles.yml, .sqlfluff, manifest."""
    candidates = [root / "profiles.yml", *sorted(root.glob("*/profiles.yml")), *sorted(root.glob("*/*/profiles.yml"))]
    types: dict[str, int] = {}
    for path in candidates:
        data = load_yaml(path, path.name, []) if path.is_file() else None
        if not isinstance(data, dict):
            continue
        profiles = [data[profile]] if profile in data else list(data.values())
        for entry in profiles:
            outputs = entry.get("outputs") if isinstance(entry, dict) else None
            for name, output in outputs.items() if isinstance(outputs, dict) else []:
                if isinstance(output, dict) and isinstance(output.get("type"), str):
                    # A production target says best what the SQL is written for.
                    weight = 10 if "prod" in str(name).lower() else 1
                    key = output["type"].lower()
                    types[key] = types.get(key, 0) + weight
    if types:
        return sorted(types.items(), key=lambda item: (-item[1], item[0]))[0][0]
    directory = root
    while True:
        text = _read(directory / ".sqlfluff") if (directory / ".sqlfluff").is_file() else None
        match = _SQLFLUFF_DIALECT.search(text or "")
        if match:
            dialect = match.group(1).lower()
            return ADAPTER_OF_DIALECT.get(dialect, dialect if dialect in DIALECT_OF_ADAPTER else None)
        if directory == stop or directory.parent == directory or stop not in directory.parents:
            break
        directory = directory.parent
    manifest = root / "target" / "manifest.json"
    if manifest.is_file():
        try:
            with manifest.open(encoding="utf-8") as f:
                head = f.read(4096)
        except OSError:
            head = ""
        match = _ADAPTER_TYPE.search(head)
        if match:
            return match.group(1).lower()
    return None


#: Adapter-specific configs and SQL idioms, and the adapters they point to.
_SIGNALS: tuple[tuple[str, re.Pattern[str], int], ...] = tuple(
    (adapter, re.compile(pattern, re.IGNORECASE), weight)
    for adapter, pattern, weight in (
        ("snowflake", r"\bsnowflake_warehouse\b|\btransient\s*:|\bcopy_grants\b", 20),
        (
            "bigquery",
            r"\bpartition_expiration_days\b|\brequire_partition_filter\b|\bdata_type\s*:\s*['\"]?(?:date|timestamp|int64)",
            20,
        ),
        ("redshift", r"\bdist(?:style)?\s*:|\bsort(?:_type)?\s*:|\bbind\s*:\s*false", 20),
        ("databricks", r"\bfile_format\s*:\s*['\"]?delta|\bliquid_clustered_by\b|\btblproperties\b", 20),
        (
            "bigquery",
            r"`[\w-]+`\.|\bsafe_cast\s*\(|\bsafe_divide\s*\(|\bformat_date\s*\(|\btimestamp_trunc\s*\(|\bstruct\s*<|\bint64\b|\bunnest\s*\(",
            1,
        ),
        (
            "snowflake",
            r"\biff\s*\(|\blateral\s+flatten\b|\bflatten\s*\(|\btry_to_\w+\s*\(|\bobject_construct\s*\(|\bparse_json\s*\(|\bzeroifnull\s*\(|\bqualify\b",
            1,
        ),
        ("databricks", r"\bexplode\s*\(|\bfrom_json\s*\(|\bcollect_list\s*\(|\bget_json_object\s*\(", 1),
        ("redshift", r"\bgetdate\s*\(\s*\)|\bjson_extract_path_text\s*\(|\bconvert_timezone\s*\(", 1),
        ("postgres", r"\bjsonb\b|->>|\bgenerate_series\s*\(|\bstring_agg\s*\(", 1),
        (
            "trino",
            r"\bfrom_iso8601_\w+\s*\(|\bdate_parse\s*\(|\bjson_query\s*\(|\barray_join\s*\(|\bregexp_like\s*\(|\bcross\s+join\s+unnest\b|\belement_at\s*\(",
            1,
        ),
    )
)


_ADAPTER_PACKAGE = re.compile(
    r"^\s*-?\s*(?:package|git|local)\s*:.*?\b(snowflake|bigquery|redshift|databricks|spark|trino|duckdb)",
    re.IGNORECASE | re.MULTILINE,
)


def guess_adapter(project_text: str, templates: list[str], packages_text: str = "") -> str | None:
    """The adapter a project reads as written for, when nothing says so: configs and SQL idioms."""
    scores: dict[str, int] = {}
    for match in _ADAPTER_PACKAGE.finditer(packages_text):
        adapter = match.group(1).lower()
        scores[adapter] = scores.get(adapter, 0) + 20
    for text in [project_text, *templates[:400]]:
        for adapter, pattern, weight in _SIGNALS:
            if pattern.search(text):
                scores[adapter] = scores.get(adapter, 0) + weight
    if not scores:
        return None
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    best, score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    return best if score >= 3 and score >= 2 * runner_up else None


def choose_dialect(
    config: Config, settings: DbtSettings, rel_root: str, detected: str | None
) -> tuple[str | None, str]:
    """(sqlglot dialect, dbt adapter): explicit configuration first, then what was detected."""
    probe = f"{rel_root}/models/x.sql" if rel_root else "models/x.sql"
    per_path = config.dialect_for(probe)
    dialect = settings.dialect or (per_path if per_path != config.dialect else None) or config.dialect
    if dialect is None and detected is not None:
        dialect = DIALECT_OF_ADAPTER.get(detected)
    adapter = settings.adapter or detected or ADAPTER_OF_DIALECT.get((dialect or "").lower()) or "postgres"
    return dialect, adapter


# -- the project -----------------------------------------------------------------------------------


def load_project(
    project_file: Path,
    config: Config,
    settings: DbtSettings,
    relative: Callable[[Path, Path], str],
    diagnostics: list[Diagnostic],
    installed: bool = False,
) -> DbtProject:
    """Read everything datatrail needs from one project; problems become DT206 diagnostics.
    An ``installed`` package (under ``dbt_packages/``, which the scan excludes) is read whole."""
    root = project_file.parent.resolve()
    rel_file = relative(project_file, config.root)
    rel_root = rel_file.rsplit("/", 1)[0] if "/" in rel_file else ""
    spec = read_project_file(load_yaml(project_file, rel_file, diagnostics), rel_file, root.name, diagnostics)
    detected = detect_adapter(root, config.root, spec.profile, diagnostics)
    dialect, adapter = choose_dialect(config, settings, rel_root, detected)
    project = DbtProject(root, rel_root, spec, dialect, adapter, dialect_known=dialect is not None)

    def excluded(path: Path) -> bool:
        return not installed and config.is_excluded(project.rel(path))

    _claim(project, excluded)
    _packages(project, diagnostics)
    _local_packages(project, diagnostics)
    project.macro_files.extend(
        MacroFile(spec.name, project.rel(p), p)
        for base in spec.macro_paths
        for p in _files(root / base, (".sql",))
        if not excluded(p)
    )
    properties = _properties(project, excluded, diagnostics)
    _models(project, properties, excluded, diagnostics)
    _snapshots(project, properties, excluded, diagnostics)
    if dialect is None and detected is None and settings.adapter is None:
        packages = _read(root / "packages.yml") if (root / "packages.yml").is_file() else ""
        guessed = guess_adapter(_read(project_file) or "", [n.text for n in project.nodes.values()], packages or "")
        if guessed is not None:
            project.adapter, project.dialect = guessed, DIALECT_OF_ADAPTER.get(guessed)
    _seeds(project, properties, excluded, diagnostics)
    _sources(project, properties, diagnostics)
    return project


def _claim(project: DbtProject, excluded: Callable[[Path], bool]) -> None:
    spec = project.spec
    for base in (*spec.model_paths, *spec.snapshot_paths, *spec.macro_paths, *spec.analysis_paths, *spec.test_paths):
        for path in _files(project.root / base, (".sql", ".py")):
            if not excluded(path):
                project.claimed.add(project.rel(path))


def _local_packages(project: DbtProject, diagnostics: list[Diagnostic]) -> None:
    """``packages: - local: ../shared`` entries of packages.yml / dependencies.yml, as directories."""
    for name in ("packages.yml", "dependencies.yml"):
        path = project.root / name
        if not path.is_file():
            continue
        data = load_yaml(path, project.rel(path), diagnostics)
        entries = data.get("packages") if isinstance(data, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            local = entry.get("local") if isinstance(entry, dict) else None
            if isinstance(local, str) and "{{" not in local:
                directory = (project.root / local).resolve()
                if directory != project.root and directory not in project.local_packages:
                    project.local_packages.append(directory)


def link_local_packages(projects: list[DbtProject]) -> None:
    """Projects of the scan that another scanned project installs as a local package get that
    project as their consumer: dbt builds them inside it, with its vars."""
    by_root = {p.root: p for p in projects}
    for consumer in projects:
        for directory in consumer.local_packages:
            package = by_root.get(directory)
            if package is not None and package.consumer is None and package is not consumer:
                package.consumer = consumer
                if package.name not in consumer.packages:
                    # Installed, the package's macros are the consumer's ``<package>.macro``s.
                    consumer.packages[package.name] = package.root
                    consumer.macro_files.extend(m for m in package.macro_files if m.package == package.name)
                build_in_consumer(package, consumer)


def build_in_consumer(package: DbtProject, consumer: DbtProject) -> None:
    """What changes for a package that ``consumer`` builds (dbt builds packages inside the root
    project): the root's dbt_project.yml configs win over the package's own (``models: +schema``
    at its top level, ``models: <package>:`` …), and the packages installed next to it are the
    package's too (``fivetran_utils.`` calls of a ``dbt_packages/github`` model)."""
    package.consumer = consumer
    trees = {
        "model": (package.spec.models, consumer.spec.models),
        "snapshot": (package.spec.snapshots, consumer.spec.snapshots),
        "seed": (package.spec.seeds, consumer.spec.seeds),
    }
    for node in package.nodes.values():
        own, root = trees.get(node.resource_type, ({}, {}))
        project_config = merge_config(folder_config(own, node.fqn), folder_config(root, node.fqn))
        node.config = merge_config(project_config, node.property_config)
    for name, directory in consumer.packages.items():
        if name not in package.packages and name != package.name:
            package.packages[name] = directory
            package.macro_files.extend(m for m in consumer.macro_files if m.package == name)
    if not any(m.package == consumer.name for m in package.macro_files):
        # The root project's macros are global in dbt: a package's model may call them unqualified.
        package.macro_files.extend(m for m in consumer.macro_files if m.package == consumer.name)


def load_installed_packages(
    project: DbtProject,
    loaded: list[DbtProject],
    config: Config,
    settings: DbtSettings,
    relative: Callable[[Path, Path], str],
    diagnostics: list[Diagnostic],
) -> list[DbtProject]:
    """The installed packages of ``project`` (``dbt_packages/*``) that have models, snapshots or
    seeds, read as projects that ``project`` builds: dbt builds a package's models with the root
    project's target, vars and naming. A package that is also a scanned project (a ``local:``
    package's symlink) is that project, not a second copy."""
    known = {p.root for p in loaded}
    found: list[DbtProject] = []
    for _, directory in sorted(project.packages.items()):
        if directory.resolve() in known or directory.resolve() == project.root:
            continue
        package = load_project(directory / "dbt_project.yml", config, settings, relative, diagnostics, installed=True)
        if not package.nodes:
            continue  # macros only (dbt_utils, dbt_date …): already the project's macros
        package.dialect, package.adapter, package.dialect_known = (
            project.dialect,
            project.adapter,
            project.dialect_known,
        )
        build_in_consumer(package, project)
        known.add(package.root)
        found.append(package)
    return found


def _packages(project: DbtProject, diagnostics: list[Diagnostic]) -> None:
    """Installed packages (``dbt_packages/*``, or ``dbt_modules/*``): only their macros are used."""
    for folder in (project.spec.packages_path, "dbt_modules"):
        base = project.root / folder
        if not base.is_dir():
            continue
        for package_file in sorted(base.glob("*/dbt_project.yml")):
            directory = package_file.parent
            data = load_yaml(package_file, project.rel(package_file), [])
            spec = read_project_file(data, project.rel(package_file), directory.name, [])
            if spec.name in project.packages or spec.name == project.name:
                continue
            project.packages[spec.name] = directory
            for macro_base in spec.macro_paths:
                for path in _files(directory / macro_base, (".sql",)):
                    project.macro_files.append(MacroFile(spec.name, project.rel(path), path))


class Properties:
    """Entries of the project's property (schema) YAML files, by kind and name."""

    def __init__(self) -> None:
        self.models: dict[str, tuple[dict[str, Any], str]] = {}
        self.seeds: dict[str, tuple[dict[str, Any], str]] = {}
        self.snapshots: dict[str, tuple[dict[str, Any], str]] = {}
        self.sources: list[tuple[dict[str, Any], str]] = []
        self.exposures: list[tuple[dict[str, Any], str]] = []


def _properties(project: DbtProject, excluded: Callable[[Path], bool], diagnostics: list[Diagnostic]) -> Properties:
    spec = project.spec
    found = Properties()
    bases = dict.fromkeys((*spec.model_paths, *spec.seed_paths, *spec.snapshot_paths, *spec.macro_paths,
                           *spec.analysis_paths))  # fmt: skip
    for base in bases:
        for path in _files(project.root / base, (".yml", ".yaml")):
            if excluded(path):
                continue
            rel = project.rel(path)
            data = load_yaml(path, rel, diagnostics)
            if data is None:
                continue
            if not isinstance(data, dict):
                diagnostics.append(yaml_problem(rel, 1, "a dbt property file must be a mapping"))
                continue
            for kind, target in (("models", found.models), ("seeds", found.seeds), ("snapshots", found.snapshots)):
                for entry in _entries(data, kind, rel, diagnostics):
                    if isinstance(entry.get("name"), str):
                        target[entry["name"]] = (entry, rel)
            found.sources.extend((e, rel) for e in _entries(data, "sources", rel, diagnostics))
            found.exposures.extend((e, rel) for e in _entries(data, "exposures", rel, diagnostics))
    return found


def _entries(data: dict[str, Any], kind: str, rel: str, diagnostics: list[Diagnostic]) -> list[dict[str, Any]]:
    value = data.get(kind)
    if value is None:
        return []
    if not isinstance(value, list):
        diagnostics.append(yaml_problem(rel, line_of(data), f"{kind}: must be a list"))
        return []
    return [e for e in value if isinstance(e, dict)]


def _yaml_columns(entry: dict[str, Any], dialect: str | None) -> dict[str, str | None]:
    """Declared columns (``columns:`` with ``name`` and ``data_type``), normalized like SQL names."""
    sqlglot_dialect = get_dialect(dialect)
    columns: dict[str, str | None] = {}
    for column in as_list(entry.get("columns")):
        if isinstance(column, dict) and isinstance(column.get("name"), str | int):
            name = str(column["name"])
            quoted = bool(column.get("quote")) or (name.startswith('"') and name.endswith('"'))
            name = fold(name.strip('"`[]'), quoted, sqlglot_dialect)
            data_type = column.get("data_type")
            columns[name] = str(data_type) if data_type is not None else None
        elif isinstance(column, str):
            columns[fold(column, False, sqlglot_dialect)] = None
    return columns


def _config_of(entry: dict[str, Any] | None) -> dict[str, Any]:
    if not entry:
        return {}
    config = entry.get("config")
    return dict(config) if isinstance(config, dict) else {}


def _fqn(project: DbtProject, base: Path, path: Path, name: str) -> tuple[str, ...]:
    parts = path.relative_to(base).parts[:-1]
    return (project.name, *parts, name)


def _models(project: DbtProject, properties: Properties, excluded: Callable[[Path], bool],
            diagnostics: list[Diagnostic]) -> None:  # fmt: skip
    versions: dict[str, tuple[str, str]] = {}  # file stem -> (model name, version)
    for name, (entry, _) in properties.models.items():
        if entry.get("latest_version") is not None:
            project.latest_versions[name] = str(entry["latest_version"])
        for version in as_list(entry.get("versions")):
            if isinstance(version, dict) and version.get("v") is not None:
                v = str(version["v"])
                stem = str(version.get("defined_in") or f"{name}_v{v.replace('.', '_')}")
                versions[stem] = (name, v)
    for base_name in project.spec.model_paths:
        base = project.root / base_name
        for path in _files(base, (".sql", ".py")):
            if excluded(path):
                continue
            rel = project.rel(path)
            stem = path.stem
            name, version = versions.get(stem, (stem, None))
            text = _read(path)
            if text is None:
                diagnostics.append(diagnostic("DT001", rel, 1, "model file is binary or not valid UTF-8; skipped"))
                continue
            entry = properties.models.get(name, ({}, ""))[0]
            fqn = _fqn(project, base, path, name) + ((f"v{version}",) if version else ())
            config = merge_config(folder_config(project.spec.models, fqn), _config_of(entry))
            columns = _yaml_columns(entry, project.dialect) if entry else {}
            if entry and version is not None:
                columns = _version_columns(entry, version, columns, project.dialect)
            language = "python" if path.suffix == ".py" else "sql"
            node = DbtNode("model", name, project.name, rel, path, fqn, config, text, 1, language, version, columns)
            node.property_config = _config_of(entry)
            project.nodes[node.key] = node


def _version_columns(entry: dict[str, Any], version: str, columns: dict[str, str | None],
                     dialect: str | None) -> dict[str, str | None]:  # fmt: skip
    for spec in as_list(entry.get("versions")):
        if isinstance(spec, dict) and str(spec.get("v")) == version and spec.get("columns"):
            own = {k: v for k, v in _yaml_columns(spec, dialect).items() if k not in ("include", "exclude")}
            return {**columns, **own}
    return columns


def _snapshots(project: DbtProject, properties: Properties, excluded: Callable[[Path], bool],
               diagnostics: list[Diagnostic]) -> None:  # fmt: skip
    for base_name in project.spec.snapshot_paths:
        base = project.root / base_name
        for path in _files(base, (".sql",)):
            if excluded(path):
                continue
            text = _read(path)
            if text is None:
                continue
            rel = project.rel(path)
            for match in _SNAPSHOT_BLOCK.finditer(text):
                name = match.group(1)
                # Keep the block's lines where they are so template lines are file lines.
                body = "".join(ch if ch == "\n" else " " for ch in text[: match.start(2)]) + match.group(2)
                line = text.count("\n", 0, match.start()) + 1
                entry = properties.snapshots.get(name, ({}, ""))[0]
                fqn = _fqn(project, base, path, name)
                config = merge_config(folder_config(project.spec.snapshots, fqn), _config_of(entry))
                columns = _yaml_columns(entry, project.dialect) if entry else {}
                node = DbtNode("snapshot", name, project.name, rel, path, fqn, config, body, line, "sql", None, columns)
                node.property_config = _config_of(entry)
                project.nodes[node.key] = node
    for name, (entry, rel) in properties.snapshots.items():
        relation = entry.get("relation")
        defined = any(n.unique_id == f"snapshot.{project.name}.{name}" for n in project.nodes.values())
        if defined or not isinstance(relation, str):
            continue
        # dbt 1.9 snapshots defined in YAML: ``relation: source('x', 'y')`` or ``ref('z')``.
        text = "\n" * (line_of(entry) - 1) + f"select * from {{{{ {relation} }}}}"
        fqn = (project.name, name)
        config = merge_config(folder_config(project.spec.snapshots, fqn), _config_of(entry))
        node = DbtNode("snapshot", name, project.name, rel, project.root / rel, fqn, config, text, line_of(entry),
                       "sql", None, _yaml_columns(entry, project.dialect))  # fmt: skip
        node.property_config = _config_of(entry)
        project.nodes[node.key] = node


def _seeds(project: DbtProject, properties: Properties, excluded: Callable[[Path], bool],
           diagnostics: list[Diagnostic]) -> None:  # fmt: skip
    dialect = get_dialect(project.dialect)
    for base_name in project.spec.seed_paths:
        base = project.root / base_name
        for path in _files(base, (".csv",)):
            if excluded(path):
                continue
            rel = project.rel(path)
            header = _csv_header(path)
            if header is None:
                diagnostics.append(yaml_problem(rel, 1, "seed CSV has no readable header row"))
                header = []
            name = path.stem
            entry = properties.seeds.get(name, ({}, ""))[0]
            fqn = _fqn(project, base, path, name)
            config = merge_config(folder_config(project.spec.seeds, fqn), _config_of(entry))
            columns: dict[str, str | None] = {fold(c.strip(), False, dialect): None for c in header if c.strip()}
            types = config.get("column_types")
            if isinstance(types, dict):
                for column, data_type in types.items():
                    key = fold(str(column), False, dialect)
                    if key in columns:
                        columns[key] = str(data_type)
            node = DbtNode("seed", name, project.name, rel, path, fqn, config, "", 1, "csv", None, columns)
            node.property_config = _config_of(entry)
            project.nodes[node.key] = node


def _csv_header(path: Path) -> list[str] | None:
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            first = f.readline(1_000_000)
    except (OSError, UnicodeDecodeError):
        return None
    if not first.strip():
        return None
    return next(csv.reader(io.StringIO(first)), None)


def _sources(project: DbtProject, properties: Properties, diagnostics: list[Diagnostic]) -> None:
    dialect = project.dialect
    for entry, rel in properties.sources:
        source_name = entry.get("name")
        if not isinstance(source_name, str):
            diagnostics.append(yaml_problem(rel, line_of(entry), "a source without a name is ignored"))
            continue
        source_config = merge_config(folder_config(project.spec.sources, (project.name, source_name)),
                                     _config_of(entry))  # fmt: skip
        for table in as_list(entry.get("tables")):
            if not isinstance(table, dict) or not isinstance(table.get("name"), str | int):
                continue
            name = str(table["name"])
            config = merge_config(source_config, _config_of(table))
            enabled = config.get("enabled", True) is not False
            source = SourceTable(
                source_name=source_name,
                name=name,
                database=_opt_str(entry.get("database", entry.get("catalog", entry.get("project")))),
                schema=str(entry.get("schema", entry.get("dataset", source_name))),
                identifier=str(table.get("identifier", name)),
                path=rel,
                line=line_of(table, line_of(entry)),
                columns=_yaml_columns(table, dialect),
                enabled=enabled,
            )
            if not source.columns:
                source.columns = _external_columns(project, entry, table, config, source)
            project.sources[(source_name, name)] = source
    for entry, rel in properties.exposures:
        if isinstance(entry.get("name"), str):
            exposure = dict(entry)
            exposure["__path__"], exposure["__line__"] = rel, line_of(entry)
            project.exposures.append(exposure)


class _Fields(dict[str, Any]):
    def __missing__(self, key: str) -> Any:
        raise KeyError(key)


def _external_columns(
    project: DbtProject, entry: dict[str, Any], table: dict[str, Any], config: dict[str, Any], source: SourceTable
) -> dict[str, str | None]:
    """Columns of a dbt-duckdb source read from a file (``meta: {external_location: 'data/{name}.csv'}``):
    the CSV's header when the file is in the project, as for a seed. Nothing is read outside it."""
    meta: dict[str, Any] = {}
    for part in (entry.get("meta"), table.get("meta"), config.get("meta")):
        if isinstance(part, dict):
            meta.update(part)
    template = meta.get("external_location", config.get("external_location"))
    if not isinstance(template, str) or "{{" in template:
        return {}
    fields = _Fields(meta)
    fields.update(name=source.name, identifier=source.identifier, schema=source.schema,
                  database=source.database, source_name=source.source_name)  # fmt: skip
    try:
        location = template.format_map(fields) if meta.get("formatter", "newstyle") == "newstyle" else ""
    except (KeyError, ValueError, IndexError, AttributeError):
        return {}
    if "(" in location:  # read_csv('data/x.csv', header=true): the first string argument
        try:
            literal = sqlglot.parse_one(location, read="duckdb").find(exp.Literal)
        except Exception:
            return {}
        location = literal.this if literal is not None and literal.is_string else ""
    location = location.strip().strip("'\"")
    if not location.lower().endswith(".csv") or "://" in location:
        return {}
    path = (project.root / location).resolve()
    if project.root not in path.parents or not path.is_file():
        return {}
    header = _csv_header(path) or []
    dialect = get_dialect(project.dialect)
    return {fold(c.strip(), False, dialect): None for c in header if c.strip()}


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)
