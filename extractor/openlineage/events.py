"""datatrail's lineage graph as OpenLineage events, built with openlineage-python's generated classes.

One event per job: a JobEvent (design-time lineage, "emitted … by a compiler, CI pipeline, or
metadata extraction tool" in the spec's words), or with ``run_events`` a COMPLETE RunEvent for
consumers that only accept runs. ``to_ndjson`` writes one event per line, as OpenLineage's file
transport does, with sorted keys: the same commit always exports the same bytes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Union

from openlineage.client.event_v2 import InputDataset, Job, JobEvent, OutputDataset, Run, RunEvent, RunState
from openlineage.client.generated.base import DatasetFacet, JobFacet
from openlineage.client.generated.job_type_job import JobTypeJobFacet
from openlineage.client.generated.schema_dataset import SchemaDatasetFacet, SchemaDatasetFacetFields
from openlineage.client.generated.source_code_location_job import SourceCodeLocationJobFacet
from openlineage.client.generated.sql_job import SQLJobFacet
from openlineage.client.generated.tags_dataset import TagsDatasetFacet, TagsDatasetFacetFields
from openlineage.client.generated.tags_job import TagsJobFacet, TagsJobFacetFields
from openlineage.client.serde import Serde

from .. import __version__
from ..config import Config
from ..graph import Dataset, LineageGraph
from ..graph import Job as GraphJob
from ..model import ColumnEdge, DatasetKind
from .columns import column_lineage
from .namespaces import DatasetId, Namespaces
from .settings import Settings
from .source import Origin, browse_url, event_time, find_origin, read_text, run_id, statements_by_line

Event = Union[JobEvent, RunEvent]  # noqa: UP007 - a runtime alias, kept readable on Python 3.10

#: The ``integration`` of every job facet: datatrail found the job in code, not in a running engine.
INTEGRATION = "DATATRAIL"
DEFAULT_PRODUCER = f"urn:datatrail:{__version__}"
#: OpenLineage tags carry a source; dbt tags come from dbt, column tags from datatrail's governance rules.
DBT_TAG_SOURCE = "DBT CORE"
COLUMN_TAG_SOURCE = "DATATRAIL"
#: jobType by datatrail job kind; dbt jobs use their resource type (MODEL, SNAPSHOT, SEED, EXPOSURE …).
JOB_TYPES = {"sql": "QUERY", "python": "PYTHON"}


@dataclass(frozen=True)
class ExportContext:
    """Everything an export needs besides the graph."""

    config: Config
    settings: Settings
    origin: Origin
    job_namespace: str
    producer: str
    event_time: str
    repo_url: str | None


def export_context(config: Config, settings: Settings, namespace: str | None = None) -> ExportContext:
    """The context of exporting a scan of ``config.root`` (``namespace`` overrides the configured one)."""
    origin = find_origin(config.root)
    return ExportContext(
        config=config,
        settings=settings,
        origin=origin,
        job_namespace=namespace or settings.namespace or origin.repo_name,
        producer=settings.producer or DEFAULT_PRODUCER,
        event_time=event_time(origin),
        repo_url=(settings.repo_url or browse_url(origin.remote) or "").removesuffix("/") or None,
    )


def build_events(graph: LineageGraph, context: ExportContext, run_events: bool = False) -> list[Event]:
    """One event per job of ``graph``, ordered by job name."""
    namespaces = Namespaces(context.settings, context.config.dialect)
    edges_by_job: dict[str, list[ColumnEdge]] = defaultdict(list)
    for je in graph.sorted_column_edges():
        edges_by_job[je.job].append(je.edge)
    builder = _Builder(graph, context, namespaces)
    events: list[Event] = []
    for name in sorted(graph.jobs):
        events.append(builder.event(graph.jobs[name], edges_by_job.get(name, []), run_events))
    return events


def to_ndjson(events: list[Event]) -> str:
    """One JSON object per line with sorted keys, exactly as the HTTP transport serializes each event."""
    return "".join(Serde.to_json(event) + "\n" for event in events)


class _Builder:
    def __init__(self, graph: LineageGraph, context: ExportContext, namespaces: Namespaces) -> None:
        self.graph = graph
        self.context = context
        self.namespaces = namespaces
        self.producer = context.producer
        self._statements: dict[Path, dict[int, str]] = {}  # a file's statements, parsed once for all its jobs

    def identify(self, name: str) -> DatasetId:
        return self.namespaces.of(name, self.graph.datasets.get(name))

    def event(self, job: GraphJob, edges: list[ColumnEdge], run_events: bool) -> Event:
        ol_job = Job(namespace=self.context.job_namespace, name=job.name, facets=self.job_facets(job))
        inputs = [self.input(name) for name in self._inputs(job, edges)]
        outputs = [
            self.output(name, [e for e in edges if e.target.table == name], job) for name in self._outputs(job, edges)
        ]
        if not run_events:
            return JobEvent(
                eventTime=self.context.event_time, producer=self.producer, job=ol_job, inputs=inputs, outputs=outputs
            )
        return RunEvent(
            eventTime=self.context.event_time,
            producer=self.producer,
            eventType=RunState.COMPLETE,
            run=Run(runId=run_id(self.context.origin, self.context.job_namespace, job.name)),
            job=ol_job,
            inputs=inputs,
            outputs=outputs,
        )

    # -- which datasets -----------------------------------------------------------------------

    def _outputs(self, job: GraphJob, edges: list[ColumnEdge]) -> list[str]:
        """What the job writes: its flows' targets, its column edges' targets, and the table it defines.

        A job is named ``path:target`` by every front end; a DDL statement (CREATE TABLE with
        columns) has no flow, yet it defines its target, so that target is an output too."""
        names = set(job.outputs) | {e.target.table for e in edges if e.target.table}
        target = job.name[len(job.path) + 1 :] if job.name.startswith(job.path + ":") else ""
        base, _, suffix = target.rpartition("#")
        if base and suffix.isdigit():  # LineageGraph.add_job's "#2" for a second job of that name
            target = base
        defined = self.graph.datasets.get(target)
        if defined is not None and defined.kind is not DatasetKind.UNKNOWN and target not in job.inputs:
            names.add(target)
        return sorted(names, key=lambda n: (self.identify(n), n))

    def _inputs(self, job: GraphJob, edges: list[ColumnEdge]) -> list[str]:
        """What the job reads: its flows' sources and its column edges' sources.

        A MERGE or an incremental model that reads its own target lists it on both sides, as
        OpenLineage allows."""
        names = set(job.inputs) | {e.source.table for e in edges if e.source.table}
        return sorted(names, key=lambda n: (self.identify(n), n))

    # -- datasets -----------------------------------------------------------------------------

    def input(self, name: str) -> InputDataset:
        ident = self.identify(name)
        return InputDataset(namespace=ident.namespace, name=ident.name, facets=self.dataset_facets(name))

    def output(self, name: str, edges: list[ColumnEdge], job: GraphJob) -> OutputDataset:
        ident = self.identify(name)
        facets = self.dataset_facets(name)
        dialect = self.context.config.dialect_for(job.path)
        lineage = column_lineage(edges, self.identify, ident, self.producer, dialect)
        if lineage is not None:
            facets["columnLineage"] = lineage
        return OutputDataset(namespace=ident.namespace, name=ident.name, facets=facets)

    def dataset_facets(self, name: str) -> dict[str, DatasetFacet]:
        facets: dict[str, DatasetFacet] = {}
        ds = self.graph.datasets.get(name)
        if ds is None:
            return facets
        ident = self.identify(name)
        if ds.columns:
            facets["schema"] = SchemaDatasetFacet(
                fields=[SchemaDatasetFacetFields(name=ident.column(column), fields=None) for column in ds.columns],
                producer=self.producer,
            )
        tags = dataset_tags(ds, ident.column)
        if tags:
            facets["tags"] = TagsDatasetFacet(tags=tags, producer=self.producer)
        return facets

    # -- the job ------------------------------------------------------------------------------

    def job_facets(self, job: GraphJob) -> dict[str, JobFacet]:
        facets: dict[str, JobFacet] = {
            "jobType": JobTypeJobFacet(
                processingType="BATCH", integration=INTEGRATION, jobType=job_type(job), producer=self.producer
            )
        }
        location = self.source_code_location(job)
        if location is not None:
            facets["sourceCodeLocation"] = location
        sql = self.sql(job)
        if sql is not None:
            facets["sql"] = sql
        tags = job_tags(job, self.graph)
        if tags:
            facets["tags"] = TagsJobFacet(tags=tags, producer=self.producer)
        return facets

    def source_code_location(self, job: GraphJob) -> SourceCodeLocationJobFacet | None:
        """Needs a repository URL and a commit: the facet's ``url`` is required and must link somewhere."""
        origin, repo_url = self.context.origin, self.context.repo_url
        if repo_url is None or origin.commit is None:
            return None
        path = origin.repo_path(job.path)
        url = self.context.settings.source_url.format(repo_url=repo_url, sha=origin.commit, path=path)
        return SourceCodeLocationJobFacet(
            type="git", url=url, repoUrl=repo_url, path=path, version=origin.commit, producer=self.producer
        )

    def sql(self, job: GraphJob) -> SQLJobFacet | None:
        """The statement of a SQL job; for a dbt model the model file as written (dbt's Jinja SQL)."""
        config = self.context.config
        dialect = config.dialect_for(job.path)
        file = Path(config.root) / job.path
        text: str | None = None
        if job.kind == "sql" and file.suffix.lower() == ".sql":
            if file not in self._statements:
                self._statements[file] = statements_by_line(file, dialect)
            text = self._statements[file].get(job.line)
        elif (
            job.kind == "dbt" and job.attributes.get("resource_type") in ("model", "snapshot") and file.suffix == ".sql"
        ):
            text = read_text(file)
            text = text.strip() if text else None
        if not text:
            return None
        return SQLJobFacet(query=text, dialect=dialect, producer=self.producer)


def job_type(job: GraphJob) -> str:
    if job.kind == "dbt":
        return str(job.attributes.get("resource_type") or "model").upper()
    return JOB_TYPES.get(job.kind, job.kind.upper())


def dataset_tags(ds: Dataset, column_name: Callable[[str], str] = str) -> list[TagsDatasetFacetFields]:
    """dbt tags of the dataset and governance tags of its columns, read defensively.

    ``attributes["tags"]`` is a list of dbt tag names; ``attributes["column_tags"]`` maps a column
    to its tag names. Values of any other shape are ignored rather than guessed at."""
    result: set[tuple[str, str, str, str]] = set()
    for tag in _names(ds.attributes.get("tags")):
        result.add(("", tag, "true", DBT_TAG_SOURCE))
    column_tags = ds.attributes.get("column_tags")
    if isinstance(column_tags, dict):
        for column, tags in column_tags.items():
            if isinstance(column, str) and column:
                for tag in _names(tags):
                    result.add((column_name(column), tag, "true", COLUMN_TAG_SOURCE))
    return [
        TagsDatasetFacetFields(key=key, value=value, source=source, field=column or None)
        for column, key, value, source in sorted(result)
    ]


def job_tags(job: GraphJob, graph: LineageGraph) -> list[TagsJobFacetFields]:
    """A dbt job carries its model's dbt tags (OpenLineage has a tags facet for jobs too)."""
    if job.kind != "dbt":
        return []
    tags: set[str] = set()
    for name in job.outputs:
        ds = graph.datasets.get(name)
        if ds is not None:
            tags.update(_names(ds.attributes.get("tags")))
    return [TagsJobFacetFields(key=tag, value="true", source=DBT_TAG_SOURCE) for tag in sorted(tags)]


def _names(value: object) -> list[str]:
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, list | tuple | set | frozenset):
        return sorted({str(v) for v in value if isinstance(v, str) and v})
    return []
