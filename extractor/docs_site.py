"""Architecture docs for a repository: an overview, one page per group (schema) and per model.

``build_docs`` is a pure function of the graph: same graph, byte-identical files, whatever the
hash seed. Pages name source files but never line numbers, so moving code does not churn them
(line numbers are in the lineage JSON). Up to ``max_datasets`` datasets the overview draws every
dataset with Graphviz; above it, the overview is a map of groups with dataset counts and weighted
edges, and every diagram is drawn by :mod:`render.svg` in wrapped bands that fit a screen.
``check_docs`` compares a docs folder with what would be generated now and names the stale files.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from .graph import UNKNOWN_PREFIX, JobColumnEdge, LineageGraph, TableEdge
from .model import ColumnEdge, Severity
from .render.dot import DotOptions, render_dot
from .render.groups import group_diagram, group_map, render_group_mermaid
from .render.image import render_image
from .render.layout import ranks
from .render.mermaid import render_mermaid
from .render.select import focus, subgraph
from .render.styles import KIND_STYLE
from .render.svg import MAX_SIDE, Edge, Node, dataset_diagram, draw_svg, graphviz_extent

MANIFEST = ".datatrail-docs"
#: Above this many datasets the overview is a map of groups (``[tool.datatrail.docs] max_datasets``).
DEFAULT_MAX_DATASETS = 150
#: Neighbours drawn on a model page, each side; the rest are listed in the text.
MAX_NEIGHBOURS = 24
#: Error codes that mean a file (or part of it) could not be read or parsed.
UNPARSEABLE = {"DT001", "DT100", "DT200", "DT300", "DT304", "DT900"}

Progress = Callable[[int, int], None]


@dataclass
class DocsOptions:
    """What ``build_docs`` draws; see docs/cli.md and docs/config.md."""

    images: bool = False
    title: str = "Data architecture"
    max_datasets: int = DEFAULT_MAX_DATASETS
    group_by: str = "schema"  # or "layer" (the folder of the defining file, dbt layers)
    #: Path from the docs folder to the scan root, for links to source files; None: no links.
    source_prefix: str | None = None


def slug(name: str) -> str:
    """A file-name-safe form of a dataset or schema name."""
    text = "".join(c if c.isalnum() or c in "._-" else "_" for c in name.strip("/"))
    return text or "_"


def _table_row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


class _Index:
    """Edges by dataset, so that per-page work does not scan the whole graph (5,000 pages)."""

    def __init__(self, graph: LineageGraph) -> None:
        self.inputs: dict[str, set[str]] = {}
        self.outputs: dict[str, set[str]] = {}
        for e in graph.edges:
            self.inputs.setdefault(e.target, set()).add(e.source)
            self.outputs.setdefault(e.source, set()).add(e.target)
        self.col_in: dict[str, list[JobColumnEdge]] = {}
        self.col_out: dict[str, list[JobColumnEdge]] = {}
        for je in graph.sorted_column_edges():
            self.col_in.setdefault(je.edge.target.table or "", []).append(je)
            self.col_out.setdefault(je.edge.source.table or "", []).append(je)

    def among(self, graph: LineageGraph, names: Iterable[str]) -> LineageGraph:
        """The datasets ``names`` with the edges among them (``select.subgraph`` without a full scan)."""
        keep = set(names)
        part = LineageGraph()
        part.datasets = {n: graph.datasets[n] for n in sorted(keep)}
        part.edges = {TableEdge(s, t, "") for s in keep for t in self.outputs.get(s, ()) if t in keep}
        part.column_edges = {je for s in keep for je in self.col_out.get(s, []) if je.edge.target.table in keep}
        return part

    def neighbourhood(self, graph: LineageGraph, name: str, limit: int) -> tuple[LineageGraph, list[str]]:
        """``name`` with up to ``limit`` inputs and outputs and the edges touching it; the rest by name."""
        up = sorted(self.inputs.get(name, ()))
        down = sorted(self.outputs.get(name, ()))
        keep = {name, *up[:limit], *down[:limit]}
        left_out = up[limit:] + down[limit:]
        part = LineageGraph()
        part.datasets = {n: graph.datasets[n] for n in sorted(keep) if n in graph.datasets}
        part.edges = {TableEdge(s, name, "") for s in up[:limit]} | {TableEdge(name, t, "") for t in down[:limit]}
        part.column_edges = {je for je in self.col_in.get(name, []) if je.edge.source.table in keep} | {
            je for je in self.col_out.get(name, []) if je.edge.target.table in keep
        }
        return part, left_out


def _sources_sort_key(e: ColumnEdge) -> tuple[str, str, str, str]:
    return (e.source.table or "", e.source.column or "", e.subtype.value, e.transformation)


def build_docs(
    graph: LineageGraph, images: bool | DocsOptions, title: str = "Data architecture", progress: Progress | None = None
) -> dict[str, bytes]:
    """Every file of the docs set, by path relative to the output folder."""
    options = images if isinstance(images, DocsOptions) else DocsOptions(bool(images), title)
    return _Builder(graph, options, progress).build()


class _Builder:
    def __init__(self, graph: LineageGraph, options: DocsOptions, progress: Progress | None) -> None:
        self.graph, self.options, self.progress = graph, options, progress
        self.files: dict[str, bytes] = {}
        self.sources: dict[str, str] = {}  # page -> the source file of its dataset (for the manifest)
        self.real = sorted(n for n in graph.datasets if not n.startswith(UNKNOWN_PREFIX))
        produced = {e.target for e in graph.edges}
        self.large = 0 < options.max_datasets < len(self.real)
        # Large docs have a page for every dataset (sources too): group pages draw names only.
        self.paged = set(self.real) if self.large else produced & set(self.real)
        self.index = _Index(graph)
        self.gmap = group_map(graph, options.group_by, self.real)
        self.folder = "schemas" if options.group_by == "schema" else "groups"

    def build(self) -> dict[str, bytes]:
        models = sorted(self.paged)
        total = 1 + len(self.gmap.members) + len(models)
        done = 0
        self._index_page()
        for group in self.gmap.members:
            done += 1
            self._report(done, total)
            self._group_page(group)
        for name in models:
            done += 1
            self._report(done, total)
            self._model_page(name)
        self._report(total, total)
        manifest = sorted([*self.files, MANIFEST])
        self.files[MANIFEST] = "".join(
            f"{p}\t{self.sources[p]}\n" if p in self.sources else f"{p}\n" for p in manifest
        ).encode()
        return self.files

    def _report(self, done: int, total: int) -> None:
        if self.progress:
            self.progress(done, total)

    # -- diagrams ------------------------------------------------------------------------------

    def _dot(self, base: str, part: LineageGraph, dot_options: DotOptions) -> str:
        dot = render_dot(part, dot_options)
        self.files[f"{base}.dot"] = dot.encode()
        name = base.rsplit("/", 1)[-1]
        if self.options.images:
            width, height = graphviz_extent(part, dot_options.level)
            if max(width, height) > MAX_SIDE:
                # Graphviz would draw one unreadable strip (a long chain): wrap it instead.
                nodes, edges = dataset_diagram(part, dot_options.level)
                self.files[f"{base}.svg"] = draw_svg(nodes, edges, dot_options.title).encode()
            else:
                self.files[f"{base}.svg"] = render_image(dot, "svg")
            return f"![{name}]({name}.svg)"
        return "```mermaid\n" + render_mermaid(part).rstrip() + "\n```"

    def _svg(self, base: str, nodes: list[Node], edges: list[Edge], mermaid: str, title: str) -> str:
        name = base.rsplit("/", 1)[-1]
        if self.options.images:
            self.files[f"{base}.svg"] = draw_svg(nodes, edges, title).encode()
            return f"![{name}]({name}.svg)"
        return "```mermaid\n" + mermaid.rstrip() + "\n```"

    def _links(self, names: Iterable[str], prefix: str) -> dict[str, str]:
        return {n: f"{prefix}{slug(n)}.md" for n in names if n in self.paged}

    def _where(self, name: str, page_dir: str) -> str:
        ds = self.graph.datasets[name]
        if ds.location is None:
            return "external"
        prefix = self.options.source_prefix
        if prefix is None:
            return f"`{ds.location.path}`"
        return f"[`{ds.location.path}`]({posixpath.join(page_dir, prefix, ds.location.path)})"

    # -- pages ---------------------------------------------------------------------------------

    def _index_page(self) -> None:
        opts = self.options
        page = [f"# {opts.title}", "", "_Generated by `datatrail docs`; do not edit by hand._", "", "## Overview", ""]
        if self.large:
            links = {g: f"{self.folder}/{slug(g)}.md" for g in self.gmap.members}
            nodes, edges = group_diagram(self.gmap, links)
            page.append(
                f"{len(self.real)} datasets in {len(self.gmap.members)} groups (by {opts.group_by}); "
                "arrows count the dataset edges between groups."
            )
            page += ["", self._svg("overview", nodes, edges, render_group_mermaid(self.gmap), opts.title), ""]
        else:
            page += [self._dot("overview", subgraph(self.graph, self.real), DotOptions(level="dataset")), ""]
        heading = "Schemas and layers" if opts.group_by == "schema" else "Groups"
        page += [f"## {heading}", ""]
        for group, members in self.gmap.members.items():
            page.append(f"- [{group}]({self.folder}/{slug(group)}.md): {_count(len(members), 'dataset')}")
        page.append("")
        if not self.large:
            page += ["## Datasets", "", "| dataset | kind | columns | defined in |", "|---|---|---|---|"]
            for name in self.real:
                ds = self.graph.datasets[name]
                link = f"[`{name}`](models/{slug(name)}.md)" if name in self.paged else f"`{name}`"
                cells = [link, KIND_STYLE[ds.kind][2], str(len(ds.columns)), self._where(name, "")]
                page.append(_table_row(cells))
            page.append("")
        self.files["index.md"] = ("\n".join(page) + "\n").encode()

    def _group_page(self, group: str) -> None:
        members = self.gmap.members[group]
        base = f"{self.folder}/{slug(group)}"
        part = self.index.among(self.graph, members)
        if self.large:
            # A group bigger than the limit is drawn in parts (in flow order), one screen each.
            order = ranks(part.datasets, [(e.source, e.target) for e in part.edges])
            flow = sorted(members, key=lambda n: (order[n], n))
            size = self.options.max_datasets
            chunks = [flow[i : i + size] for i in range(0, len(flow), size)]
            embeds = []
            for k, chunk in enumerate(chunks, 1):
                piece = self.index.among(self.graph, chunk) if len(chunks) > 1 else part
                nodes, edges = dataset_diagram(piece, "dataset", self._links(chunk, "../models/"))
                title = group if len(chunks) == 1 else f"{group}, part {k} of {len(chunks)}"
                embeds.append(self._svg(base if k == 1 else f"{base}-{k}", nodes, edges, render_mermaid(piece), title))
            embed = "\n\n".join(embeds)
            inputs = sorted({g for (g, t) in self.gmap.weights if t == group})
            outputs = sorted({t for (g, t) in self.gmap.weights if g == group})
            head = [
                f"Reads from: {', '.join(f'[{g}]({slug(g)}.md)' for g in inputs) or 'none'}.",
                f"Feeds: {', '.join(f'[{g}]({slug(g)}.md)' for g in outputs) or 'none'}.",
                "",
            ]
        else:
            embed = self._dot(base, part, DotOptions(level="column", cluster="none", title=group))
            head = []
        page = [f"# {group}", "", *head, embed, "", "| dataset | kind | columns |", "|---|---|---|"]
        for name in members:
            ds = self.graph.datasets[name]
            link = f"[`{name}`](../models/{slug(name)}.md)" if name in self.paged else f"`{name}`"
            page.append(_table_row([link, KIND_STYLE[ds.kind][2], str(len(ds.columns))]))
        self.files[f"{base}.md"] = ("\n".join(page) + "\n").encode()

    def _model_page(self, name: str) -> None:
        graph, ds = self.graph, self.graph.datasets[name]
        base = f"models/{slug(name)}"
        if self.large:
            part, left_out = self.index.neighbourhood(graph, name, MAX_NEIGHBOURS)
            nodes, edges = dataset_diagram(part, "column", self._links(part.datasets, ""))
            embed = self._svg(base, nodes, edges, render_mermaid(part), name)
        else:
            left_out = []
            embed = self._dot(base, focus(graph, name, 1, 1), DotOptions(level="column", cluster="schema", title=name))
        page = [f"# {name}", "", f"Kind: {KIND_STYLE[ds.kind][2]}."]
        if ds.location:
            page.append(f"Defined in {self._where(name, '..')}.")
            self.sources[f"{base}.md"] = ds.location.path
        upstream = sorted(self.index.inputs.get(name, ()))
        downstream = sorted(self.index.outputs.get(name, ()))
        page += ["", f"Upstream: {', '.join(f'`{u}`' for u in upstream) or 'none'}.",
                 f"Downstream: {', '.join(f'`{d}`' for d in downstream) or 'none'}.", "", embed, ""]  # fmt: skip
        if left_out:
            page += [f"Not drawn (more than {MAX_NEIGHBOURS} neighbours on a side): {len(left_out)} datasets.", ""]
        page += ["| column | comes from | transformation |", "|---|---|---|"]
        by_column: dict[str, list[ColumnEdge]] = {}
        for je in self.index.col_in.get(name, []):
            by_column.setdefault(je.edge.target.column or "", []).append(je.edge)
        for column in ds.columns:
            flows = sorted(set(by_column.get(column, [])), key=_sources_sort_key)
            sources = ", ".join(f"`{e.source}` ({e.subtype.value.lower()})" for e in flows) or "—"
            text = next((e.transformation for e in flows if e.kind == "direct"), "")
            page.append(_table_row([f"`{column}`", sources, f"`{text}`" if text else ""]))
        self.files[f"{base}.md"] = ("\n".join(page) + "\n").encode()


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def unparseable_files(graph: LineageGraph) -> set[str]:
    """Files with an error saying they (or part of them) could not be read or parsed."""
    return {d.path for d in graph.diagnostics if d.severity is Severity.ERROR and d.code in UNPARSEABLE}


def write_docs(outdir: Path, files: dict[str, bytes], keep_sources: Iterable[str] = ()) -> list[str]:
    """Write the docs set, removing files a previous run generated that are no longer wanted.

    Pages of datasets defined in ``keep_sources`` (files that no longer parse) are kept as they
    were: a syntax error must not delete a model's documentation."""
    files = _with_kept(outdir, files, set(keep_sources))
    stale = check_docs(outdir, files)
    for path in _previous(outdir):
        if path not in files:
            (outdir / path).unlink(missing_ok=True)
    for path, data in files.items():
        target = outdir / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)
    return stale


def _with_kept(outdir: Path, files: dict[str, bytes], keep_sources: set[str]) -> dict[str, bytes]:
    """``files`` plus the previous pages (and their diagrams) of datasets in ``keep_sources``."""
    previous = _previous_sources(outdir)
    kept: dict[str, str] = {}
    for page, source in previous.items():
        if source in keep_sources and page not in files and (outdir / page).exists():
            stem = page[: -len(".md")]
            kept[page] = source
            for extra in (f"{stem}.svg", f"{stem}.dot"):
                if extra in previous and extra not in files and (outdir / extra).exists():
                    kept[extra] = ""
    if not kept:
        return files
    result = dict(files)
    for path in kept:
        result[path] = (outdir / path).read_bytes()
    sources = _parse_manifest(files.get(MANIFEST, b"").decode())
    sources.update(kept)
    result[MANIFEST] = "".join(f"{p}\t{s}\n" if s else f"{p}\n" for p, s in sorted(sources.items())).encode()
    return result


def _parse_manifest(text: str) -> dict[str, str]:
    entries: dict[str, str] = {}
    for line in text.splitlines():
        path, _, source = line.partition("\t")
        if path and ".." not in path:
            entries[path] = source
    return entries


def _previous_sources(outdir: Path) -> dict[str, str]:
    manifest = outdir / MANIFEST
    if not manifest.exists():
        return {}
    return _parse_manifest(manifest.read_text(encoding="utf-8"))


def _previous(outdir: Path) -> list[str]:
    return sorted(_previous_sources(outdir))


def check_docs(outdir: Path, files: dict[str, bytes], keep_sources: Iterable[str] = ()) -> list[str]:
    """Files that are missing, different or no longer generated, relative to ``outdir``."""
    files = _with_kept(outdir, files, set(keep_sources))
    stale = []
    for path, data in sorted(files.items()):
        target = outdir / path
        if not target.exists() or target.read_bytes() != data:
            stale.append(path)
    stale += sorted(p for p in _previous(outdir) if p not in files and (outdir / p).exists())
    return stale


def source_prefix(outdir: Path, root: Path) -> str:
    """The relative path from ``outdir`` to ``root`` in POSIX form, for links to source files."""
    return Path(os.path.relpath(root.resolve(), outdir.resolve())).as_posix()
