"""Scan a repository into one lineage graph: the public entry point over the pipeline.

Files are read, never executed. A file that cannot be read, decoded or parsed becomes a
diagnostic and the scan goes on with the rest. How files become analysis units, in which order
they run and what is cached is described in pipeline.py and docs/architecture.md.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import yaml

from . import codes, safe_yaml
from .cache import AnalysisCache
from .config import Config
from .errors import ConfigError
from .frontends import create_frontends
from .graph import LineageGraph
from .model import Diagnostic
from .pipeline import Options, default_jobs, run
from .sources import PRUNED_DIRS, DiskTree, MemoryTree, SourceFile, SourceTree, decode_source, relative
from .sql.catalog import SchemaCatalog

__all__ = ["PRUNED_DIRS", "SourceFile", "decode_source", "discover", "relative", "scan"]

ProgressCallback = Callable[[str], None]

#: Worker processes for every scan of this process and its children (``datatrail --jobs``).
JOBS_ENV = "DATATRAIL_JOBS"


def discover(paths: Sequence[Path], config: Config) -> list[Path]:
    """Every included, non-excluded file under ``paths``, sorted, without duplicates."""
    tree = DiskTree(config, paths)
    return [tree.path(rel) for rel in tree.files()]


def load_schema_files(config: Config, diagnostics: list[Diagnostic]) -> SchemaCatalog:
    """The catalog seeded from ``schema_files`` (YAML or JSON, see docs/schema-files.md)."""
    catalog = SchemaCatalog()
    if not config.schema_files:
        return catalog
    from .sql.analyze import catalog_from_mapping  # sqlglot loads only when there is something to parse
    from .sql.naming import get_dialect

    dialect = get_dialect(config.dialect)
    for name in config.schema_files:
        try:
            if config.files is not None:
                if name not in config.files:
                    raise OSError(f"{name}: no such file in this revision")
                text = config.files[name].decode("utf-8")
            else:
                path = (config.root / name).resolve()
                if path != config.root.resolve() and config.root.resolve() not in path.parents:
                    raise OSError(f"{name}: outside the repository; not read")
                text = path.read_text(encoding="utf-8")
            data = json.loads(text) if name.endswith(".json") else safe_yaml.load(text)
        except (OSError, ValueError, yaml.YAMLError) as e:
            message = f"cannot read schema file: {e.strerror if isinstance(e, OSError) and e.strerror else e}"
            diagnostics.append(Diagnostic(name, 1, 1, codes.severity(codes.CONFIG), codes.CONFIG, message))
            continue
        if isinstance(data, dict) and isinstance(data.get("tables"), dict):
            data = data["tables"]
        if not isinstance(data, dict):
            diagnostics.append(
                Diagnostic(name, 1, 1, codes.severity(codes.CONFIG), codes.CONFIG, "schema file must be a mapping")
            )
            continue
        normalized = {
            k: (v.get("columns", v) if isinstance(v, dict) and "columns" in v else v) for k, v in data.items()
        }
        loaded = catalog_from_mapping(normalized, dialect)
        for table in loaded.names():
            catalog.add(table, loaded.columns(table) or ())
    return catalog


def scan(
    paths: Sequence[Path | str] | None = None,
    config: Config | None = None,
    progress: ProgressCallback | None = None,
    cache: AnalysisCache | None = None,
    files: Mapping[str, bytes] | None = None,
    jobs: int | None = None,
    memo: bool = True,
    idle: Callable[[], None] | None = None,
) -> LineageGraph:
    """Scan files and directories into one lineage graph.

    With ``files`` (root-relative path -> content, e.g. read from git objects) nothing is read
    from disk and ``paths`` are root-relative; dbt projects need files on disk. ``jobs`` is the
    number of worker processes (default: ``[tool.datatrail.analysis] jobs``, else the core count);
    the result is the same for every value. ``memo=False`` skips storing the whole scan for replay
    (for callers that memoize the graph themselves). ``idle`` is called once, the first time the
    scan waits for a worker process (``check`` decodes the other revision's graph then).

    >>> graph = scan(["fixtures/example_shop"])  # doctest: +SKIP
    """
    config = config or Config()
    graph = LineageGraph()
    graph.diagnostics.extend(
        Diagnostic(str(config.source or "pyproject.toml"), 1, 1, codes.severity(codes.CONFIG), codes.CONFIG, w)
        for w in config.warnings
    )
    tree: SourceTree
    if files is not None:
        tree = MemoryTree(config, files, [str(p) for p in (paths or config.paths or ["."])])
    else:
        tree = DiskTree(config, [Path(p) for p in (paths or config.paths or ["."])])
    base = load_schema_files(config, graph.diagnostics)
    options = analysis_options(config, jobs, progress)
    options.memo = memo
    options.idle = idle
    cache = cache or AnalysisCache(None)
    cache.begin()
    try:
        run(tree, config, create_frontends(options.jobs), base, cache, options, graph)
    finally:
        cache.commit()
    graph.diagnostics.extend(d for d in tree.diagnostics if d not in graph.diagnostics)
    return graph


def analysis_options(config: Config, jobs: int | None, progress: ProgressCallback | None) -> Options:
    """``[tool.datatrail.analysis]`` (jobs, unit_timeout, unit_memory_mb), with ``jobs`` overriding."""
    section = config.sections.get("analysis", {})
    unknown = sorted(set(section) - {"jobs", "unit_timeout", "unit_memory_mb"})
    if unknown:
        raise ConfigError(f"{config.source or 'pyproject.toml'}: unknown key [tool.datatrail.analysis] {unknown[0]!r}")
    for key, kinds in (("jobs", int), ("unit_timeout", (int, float)), ("unit_memory_mb", int)):
        value = section.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, kinds) or value < 0):
            raise ConfigError(f"[tool.datatrail.analysis] {key} must be a non-negative number")
    configured = section.get("jobs")
    from_env = os.environ.get(JOBS_ENV, "")
    chosen = jobs or (int(from_env) if from_env.isdigit() else None) or configured or default_jobs()
    options = Options(jobs=max(1, chosen), progress=progress)
    timeout = section.get("unit_timeout")
    if timeout is not None:
        options.unit_timeout = float(timeout)
    memory = section.get("unit_memory_mb")
    if memory is not None:
        options.unit_memory_mb = memory
    return options
