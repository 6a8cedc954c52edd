"""Entry point of Python support: analyse Python files (and notebooks) into the graph.

Every file is parsed with libcst and interpreted abstractly (``interpreter.py``): nothing is
imported or executed. Files run in path order; a file another one imports runs first, so its
constants and functions are known where they are used. Each top-level statement is isolated: an
internal error becomes a DT900 diagnostic and the rest of the file and the scan go on.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import codes
from ..config import Config
from ..graph import LineageGraph
from ..model import Diagnostic
from ..sql.catalog import SchemaCatalog
from . import airflow, arrow_api, dataframes, dbapi, ml, object_storage, pandas_api, polars_api, pyspark_api, stdlib  # noqa: F401 - handlers
from .emit import Sink, expand_stars
from .interpreter import Interpreter
from .project import Project
from .settings import Settings, load_settings

if TYPE_CHECKING:
    from ..sources import SourceFile


@dataclass
class Outcome:
    """The lineage of a group of modules interpreted together."""

    graph: LineageGraph
    schemas: dict[str, list[str] | None]
    templates: set[str]
    reads: set[str]
    writes: set[str]


def analyse_modules(sources: Sequence[SourceFile], config: Config, upstream: Mapping[str, Sequence[str]]) -> Outcome:
    """Interpret ``sources`` (files that import each other) statically, nothing imported or run.

    ``upstream`` gives the columns of tables and files the code may read. Returns the lineage,
    the columns of what it wrote, and the SQL template files that DAGs analysed with their
    parameters (their standalone analysis is superseded)."""
    graph = LineageGraph()
    settings = load_settings(config)
    catalog = SchemaCatalog(upstream)
    failure: list[BaseException] = []
    outcome: list[Outcome] = []

    def work() -> None:
        try:
            project = Project(sources)
            sink = Sink(graph, catalog, config, settings)
            sink.file_columns.update({name: list(columns) for name, columns in upstream.items()})
            before = {name: list(columns) for name, columns in upstream.items()}
            _run(project, sink, settings)
            schemas: dict[str, list[str] | None] = {}
            for known in (catalog.as_dict(), sink.file_columns):
                schemas.update({name: list(cols) for name, cols in known.items() if before.get(name) != list(cols)})
            writes = {name for job in graph.jobs.values() for name in job.outputs} | set(schemas)
            reads = sink.looked_up | {name for job in graph.jobs.values() for name in job.inputs}
            reads |= {e.source for e in graph.edges}
            outcome.append(Outcome(graph, schemas, set(sink.templates), reads - writes, writes))
        except BaseException as e:  # re-raised in the caller's thread
            failure.append(e)

    run_deep(work)
    if failure:
        raise failure[0]
    return outcome[0]


#: Long method chains and expressions nest deeply: libcst's code generation and the interpreter
#: recurse once per level, so the Python pass runs with a deeper stack than the default.
RECURSION_LIMIT = 20_000
STACK_BYTES = 256 * 1024 * 1024


def run_deep(func: Callable[[], None]) -> None:
    """Run ``func`` in a thread with a large stack and a raised recursion limit (then restored)."""
    old_limit = sys.getrecursionlimit()
    try:
        old_size = threading.stack_size(STACK_BYTES)
    except (ValueError, RuntimeError):  # pragma: no cover - platforms without a settable stack
        func()
        return
    # The size applies to threads *started* while it is set: restore it only after start().
    sys.setrecursionlimit(max(old_limit, RECURSION_LIMIT))
    try:
        thread = threading.Thread(target=func, name="datatrail-python", daemon=True)
        try:
            thread.start()
        finally:
            threading.stack_size(old_size)
        thread.join()
    finally:
        threading.stack_size(old_size)
        sys.setrecursionlimit(old_limit)


def _run(project: Project, sink: Sink, settings: Settings) -> None:
    interp = Interpreter(project, sink, settings.max_call_depth, settings.follow_uncalled)
    graph = sink.graph
    modules = [project.modules[path] for path in sorted(project.modules)]
    for info in modules:
        try:
            interp.run_module(info)
        except Exception as e:  # isolation: one file's internal error never stops the others
            graph.diagnostics.append(_internal(info.path, e))
    for info in modules:
        try:
            interp.run_uncalled(info)
        except Exception as e:
            graph.diagnostics.append(_internal(info.path, e))
    airflow.finish(interp)
    expand_stars(sink)


def _internal(path: str, e: Exception) -> Diagnostic:
    return Diagnostic(path, 1, 1, codes.severity(codes.INTERNAL), codes.INTERNAL, f"{type(e).__name__}: {e}")
