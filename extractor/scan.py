"""Scan a repository: find the pipeline files, analyse them in dependency order, build one graph.

Files are read, never executed. A file that cannot be read, decoded or parsed becomes a
diagnostic and the scan goes on with the rest.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import networkx as nx
import yaml
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from . import codes, safe_yaml
from .cache import AnalysisCache, diagnostic_from_list, diagnostic_to_list, statement_from_dict, statement_to_dict
from .cache import key as cache_key
from .config import Config
from .dbt import scan_dbt_projects
from .dbt.jinja import airflow_context, render_with_lines
from .graph import Job, LineageGraph
from .model import ColumnEdge, ColumnRef, DatasetKind, Diagnostic, Location, Subtype
from .python import scan_python
from .sql.analyze import analyze_statements, catalog_from_mapping, replay_effects
from .sql.catalog import SchemaCatalog
from .sql.dependencies import reads_and_writes
from .sql.naming import get_dialect, table_name
from .sql.parse import LineIndex, ParsedStatement, parse_script
from .sql.statements import StatementLineage, fingerprint

ProgressCallback = Callable[[str], None]


@dataclass
class SourceFile:
    """A file of the scanned tree: ``path`` is relative to the config root, in POSIX form."""

    path: str
    text: str


def discover(paths: Sequence[Path], config: Config) -> list[Path]:
    """Every included, non-excluded file under ``paths``, sorted, without duplicates."""
    found: set[Path] = set()
    for base in paths:
        base = (base if base.is_absolute() else (Path.cwd() / base)).resolve()
        if base.is_file():
            found.add(base)
            continue
        if not base.is_dir():
            continue
        for directory, subdirs, names in os.walk(base):
            # Never descend into virtualenvs, VCS folders, build output or installed packages.
            subdirs[:] = sorted(d for d in subdirs if d not in PRUNED_DIRS)
            for name in names:
                candidate = Path(directory, name)
                rel = relative(candidate, config.root)
                if config.is_excluded(rel) or not config.is_included(rel):
                    continue
                found.add(candidate)
    return sorted(found, key=lambda p: relative(p, config.root))


#: Folders a scan never enters (their files are excluded by default anyway).
PRUNED_DIRS = frozenset(
    {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".datatrail-cache", ".mypy_cache",
     ".ruff_cache", ".pytest_cache", ".tox", ".nox", "dbt_packages", "target"}
)  # fmt: skip


def relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` in POSIX form (as given when it is outside the root)."""
    text, base = str(path), str(root)
    if path.is_absolute() and text.startswith(base + os.sep) and ".." not in path.parts:
        return text[len(base) + 1 :].replace(os.sep, "/")  # fast path, no filesystem access
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def read_source(path: Path, rel: str) -> SourceFile | Diagnostic:
    """The text of a file, or a diagnostic when it is binary, not UTF-8 or empty."""
    try:
        data = path.read_bytes()
    except OSError as e:
        return Diagnostic(
            rel, 1, 1, codes.severity(codes.FILE_UNREADABLE), codes.FILE_UNREADABLE, f"cannot read: {e.strerror}"
        )
    return decode_source(data, rel)


#: Largest file analysed: beyond it a file is generated or hostile, and parsing it would take
#: minutes (sqlglot and libcst are superlinear on some inputs).
MAX_FILE_BYTES = 10_000_000


def decode_source(data: bytes, rel: str) -> SourceFile | Diagnostic:
    """Decode a file's bytes as UTF-8 text, or explain why it is skipped."""
    if len(data) > MAX_FILE_BYTES:
        message = f"file of {len(data):,} bytes is over the {MAX_FILE_BYTES:,}-byte budget; skipped"
        return Diagnostic(rel, 1, 1, codes.severity(codes.FILE_UNREADABLE), codes.FILE_UNREADABLE, message)
    if b"\0" in data:
        return Diagnostic(
            rel, 1, 1, codes.severity(codes.FILE_UNREADABLE), codes.FILE_UNREADABLE, "binary file skipped"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        column = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        return Diagnostic(rel, line, column, codes.severity(codes.FILE_UNREADABLE), codes.FILE_UNREADABLE,
                          "not valid UTF-8; file skipped")  # fmt: skip
    if not text.strip() and not rel.endswith("__init__.py"):  # an empty package marker is normal
        return Diagnostic(rel, 1, 1, codes.severity(codes.FILE_EMPTY), codes.FILE_EMPTY, "empty file skipped")
    return SourceFile(rel, text)


def load_schema_files(config: Config, diagnostics: list[Diagnostic]) -> SchemaCatalog:
    """The catalog seeded from ``schema_files`` (YAML or JSON, see docs/schema-files.md)."""
    catalog = SchemaCatalog()
    dialect = get_dialect(config.dialect)
    for name in config.schema_files:
        path = config.root / name
        try:
            if config.files is not None:
                if name not in config.files:
                    raise OSError(f"{name}: no such file in this revision")
                text = config.files[name].decode("utf-8")
            else:
                text = path.read_text(encoding="utf-8")
            data = json.loads(text) if path.suffix == ".json" else safe_yaml.load(text)
        except (OSError, ValueError, yaml.YAMLError) as e:
            diagnostics.append(
                Diagnostic(name, 1, 1, codes.severity(codes.CONFIG), codes.CONFIG, f"cannot read schema file: {e}")
            )
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


@dataclass
class _ParsedFile:
    source: SourceFile
    dialect: str | None
    digest: str
    reads: set[str]
    writes: set[str]
    statements: list[ParsedStatement] | None = None
    diagnostics: list[Diagnostic] | None = None
    lines: LineIndex | None = None
    sql: str = ""  # the SQL analysed: the file's text, rendered first when it is a Jinja template

    def parse(self, config: Config) -> None:
        """Parse (once) and learn which tables the file reads and writes."""
        if self.statements is not None:
            return
        dialect = get_dialect(self.dialect)
        text = self.source.text
        rendered_diagnostics: list[Diagnostic] = []
        if "{{" in text or "{%" in text:
            # Airflow-style templated SQL ({{ ds }}, {{ params.x }}): rendered in the sandbox
            # with placeholders, lines mapped back to the template.
            rendered = render_with_lines(text, self.source.path, airflow_context())
            self.sql, self.lines, rendered_diagnostics = rendered.text, rendered.lines, list(rendered.diagnostics)
        else:
            self.sql, self.lines = text, LineIndex(text)
        self.statements, self.diagnostics = parse_script(self.sql, dialect, self.source.path, self.lines)
        self.diagnostics = rendered_diagnostics + self.diagnostics
        self.reads, self.writes = reads_and_writes(
            (s.expression for s in self.statements), partial(_name_table, dialect=dialect, config=config)
        )


def dependency_order(files: Sequence[_ParsedFile]) -> list[_ParsedFile]:
    """Writers before readers; ties and cycles fall back to path order."""
    writers: dict[str, list[int]] = {}
    for i, f in enumerate(files):
        for name in f.writes:
            writers.setdefault(name, []).append(i)
    g = nx.DiGraph()
    g.add_nodes_from(range(len(files)))
    for i, f in enumerate(files):
        for name in f.reads:
            for w in writers.get(name, []):
                if w != i:
                    g.add_edge(w, i)
    condensed = nx.condensation(g)
    order: list[int] = []
    for component in nx.lexicographical_topological_sort(condensed, key=lambda c: min(condensed.nodes[c]["members"])):
        order.extend(sorted(condensed.nodes[component]["members"]))
    return [files[i] for i in order]


def scan_sql(
    sources: Iterable[SourceFile],
    config: Config,
    graph: LineageGraph,
    catalog: SchemaCatalog,
    progress: ProgressCallback | None = None,
    cache: AnalysisCache | None = None,
) -> None:
    """Analyse SQL files into ``graph``, in dependency order, sharing ``catalog``.

    With a cache, a file whose text, dialect and upstream columns are unchanged is not parsed or
    analysed again: its recorded result is replayed."""
    cache = cache or AnalysisCache(None)
    parsed: list[_ParsedFile] = []
    for source in sources:
        dialect_name = config.dialect_for(source.path)
        digest = cache_key(source.path, source.text, dialect_name, config.default_schema, config.default_database)
        f = _ParsedFile(source, dialect_name, digest, set(), set())
        known = cache.get("deps:" + digest)
        if known is not None:
            f.reads, f.writes = set(known[0]), set(known[1])
        else:
            try:
                f.parse(config)
            except Exception as e:
                graph.diagnostics.append(_internal(source.path, e))
                continue
            cache.put("deps:" + digest, [sorted(f.reads), sorted(f.writes)])
        parsed.append(f)

    for f in dependency_order(parsed):
        if progress:
            progress(f.source.path)
        upstream = sorted((t, catalog.columns(t)) for t in f.reads)
        entry_key = "sql:" + cache_key(f.digest, upstream)
        entry = cache.get(entry_key)
        if entry is not None:
            statements = [statement_from_dict(d) for d in entry["statements"]]
            replay_effects(statements, catalog)
            graph.diagnostics.extend(diagnostic_from_list(d) for d in entry["diagnostics"])
        else:
            try:
                f.parse(config)
                assert f.statements is not None and f.lines is not None
                result = analyze_statements(
                    f.statements, f.sql, get_dialect(f.dialect), catalog,
                    path=f.source.path, lines=f.lines,
                    default_db=config.default_schema, default_catalog=config.default_database,
                )  # fmt: skip
            except Exception as e:
                graph.diagnostics.append(_internal(f.source.path, e))
                continue
            statements = result.statements
            diagnostics = sorted((f.diagnostics or []) + result.diagnostics)
            graph.diagnostics.extend(diagnostics)
            cache.put(
                entry_key,
                {
                    "statements": [statement_to_dict(s) for s in statements],
                    "diagnostics": [diagnostic_to_list(d) for d in diagnostics],
                },
            )
        for statement in statements:
            add_statement(graph, statement, f.source.path, catalog)


def add_statement(
    graph: LineageGraph, statement: StatementLineage, path: str, catalog: SchemaCatalog, kind: str = "sql"
) -> str | None:
    """Record one statement's lineage as a job in ``graph``; returns the job name."""
    for old, new in statement.renamed:
        # A rename moves the data: in the repository's graph the old name feeds the new one.
        job = graph.add_job(
            Job(f"{path}:{new}", kind, path, statement.location.line, attributes={"statement": "rename"})
        )
        graph.dataset(old)
        graph.dataset(new).add_columns(catalog.columns(new) or ())
        graph.add_flow(old, new, job.name)
        for column in catalog.columns(new) or ():
            text = f"{old}.{column}"
            edge = ColumnEdge(ColumnRef(old, column), ColumnRef(new, column), Subtype.IDENTITY, text, fingerprint(text),
                              statement.location)  # fmt: skip
            graph.add_column_edge(edge, job.name)
    if not statement.source_tables and not statement.target_tables:
        return None
    target = min(statement.target_tables) if statement.target_tables else "query"
    attributes: dict[str, object] = {"statement": statement.kind, "fingerprint": statement.fingerprint}
    if statement.modifiers:
        attributes["modifiers"] = dict(sorted(statement.modifiers.items()))
    job = graph.add_job(Job(f"{path}:{target}", kind, path, statement.location.line, attributes=attributes))
    for name in sorted(statement.datasets):
        ds = graph.dataset(name, statement.dataset_kinds.get(name))
        if name in statement.target_tables and ds.location is None:
            ds.location = Location(path, statement.location.line)
        columns = catalog.columns(name)
        if columns and name in statement.target_tables:
            ds.add_columns(columns)
    for name, columns in statement.target_columns.items():
        graph.dataset(name).add_columns(columns)
    for source in sorted(statement.source_tables):
        for target_name in sorted(statement.target_tables):
            graph.add_flow(source, target_name, job.name)
    if not statement.target_tables:
        for source in statement.source_tables:
            job.inputs.add(source)
    for edge in statement.column_edges:
        graph.add_column_edge(edge, job.name)
    return job.name


def _name_table(table: exp.Table, dialect: Dialect, config: Config) -> str:
    return table_name(table, dialect, config.default_schema, config.default_database)


def _internal(path: str, e: Exception) -> Diagnostic:
    return Diagnostic(path, 1, 1, codes.severity(codes.INTERNAL), codes.INTERNAL, f"{type(e).__name__}: {e}")


def discover_in(files: Mapping[str, bytes], roots: Sequence[str], config: Config) -> list[str]:
    """Like ``discover`` over an in-memory tree keyed by root-relative POSIX paths."""
    prefixes = ["" if r in ("", ".") else r.strip("/") + "/" for r in roots]
    found = []
    for rel in files:
        if not any(rel.startswith(p) or rel == p.rstrip("/") for p in prefixes):
            continue
        if config.is_excluded(rel) or not config.is_included(rel):
            continue
        found.append(rel)
    return sorted(found)


def scan(
    paths: Sequence[Path | str] | None = None,
    config: Config | None = None,
    progress: ProgressCallback | None = None,
    cache: AnalysisCache | None = None,
    files: Mapping[str, bytes] | None = None,
) -> LineageGraph:
    """Scan files and directories into one lineage graph.

    With ``files`` (root-relative path -> content, e.g. read from git objects) nothing is read
    from disk and ``paths`` are root-relative; dbt projects need files on disk.

    >>> graph = scan(["fixtures/example_shop"])  # doctest: +SKIP
    """
    config = config or Config()
    graph = LineageGraph()
    if files is not None:
        return _scan_sources(graph, config, [], _in_memory_sources(files, paths, config, graph), progress, cache)
    roots = [Path(p) for p in (paths or config.paths or ["."])]
    graph.diagnostics.extend(
        Diagnostic(str(config.source or "pyproject.toml"), 1, 1, codes.severity(codes.CONFIG), codes.CONFIG, w)
        for w in config.warnings
    )
    found = discover(roots, config)
    dbt_projects = [p for p in found if p.name == "dbt_project.yml"]
    on_disk = [(p, relative(p, config.root)) for p in found if p.name != "dbt_project.yml"]
    return _scan_sources(graph, config, dbt_projects, on_disk, progress, cache)


def _in_memory_sources(
    files: Mapping[str, bytes], paths: Sequence[Path | str] | None, config: Config, graph: LineageGraph
) -> list[tuple[bytes, str]]:
    roots = [str(p) for p in (paths or config.paths or ["."])]
    return [(files[rel], rel) for rel in discover_in(files, roots, config) if not rel.endswith("dbt_project.yml")]


def _scan_sources(
    graph: LineageGraph,
    config: Config,
    dbt_projects: list[Path],
    found: Sequence[tuple[Path | bytes, str]],
    progress: ProgressCallback | None,
    cache: AnalysisCache | None,
) -> LineageGraph:
    catalog = load_schema_files(config, graph.diagnostics)
    claimed = scan_dbt_projects(dbt_projects, config, graph, catalog, progress) if dbt_projects else set()
    sources: list[SourceFile] = []
    for where, rel in found:
        if rel in claimed:
            continue
        read = read_source(where, rel) if isinstance(where, Path) else decode_source(where, rel)
        if isinstance(read, Diagnostic):
            graph.diagnostics.append(read)
        else:
            sources.append(read)
    if cache is not None:
        cache.begin()
    scan_sql([s for s in sources if s.path.endswith(".sql")], config, graph, catalog, progress, cache)
    python_sources = [s for s in sources if s.path.endswith((".py", ".ipynb"))]
    if python_sources:
        templates = scan_python(python_sources, config, graph, catalog, progress)
        # SQL templates that DAGs rendered with their parameters replace the standalone analysis.
        graph.remove_jobs_of(templates, "sql")
    if cache is not None:
        cache.commit()
    graph.finish()
    for name, ds in graph.datasets.items():
        if ds.kind is DatasetKind.TABLE and not ds.columns:
            ds.add_columns(catalog.columns(name) or ())
    return graph
