"""The ``datatrail`` command line: a thin layer over the library. Only this module prints or exits."""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

import click

from . import __version__, codes, git, json_format, json_text
from .blame import blame
from .cache import AnalysisCache
from .check import Finding, check_findings
from .config import Config, check_dialect, load_config
from .config_check import validate_config
from .diff import diff_graphs
from .docs_site import (
    DEFAULT_MAX_DATASETS,
    DocsOptions,
    build_docs,
    check_docs,
    source_prefix,
    unparseable_files,
    write_docs,
)
from .errors import ConfigError, DatatrailError, GitError, RenderError
from .governance import apply_governance, flow_diff
from .governance import audit as governance_audit
from .governance import provenance as governance_provenance
from .governance.policy_flows import judge_flows, load_flow_rules
from .graph import LineageGraph
from .history import history
from .model import Diagnostic, Severity
from .policy import load_policy
from .progress import Reporter, progress, wanted
from .render import blame_report, history_report, trace_report
from .render.diagram import Drawing, draw
from .render.diff_report import render_github, render_json, render_markdown, render_text, verdict_line
from .render.dot import DotOptions, render_dot
from .render.groups import GROUPINGS
from .render.image import INSTALL_HINT, has_dot, render_image
from .render.mermaid import render_mermaid
from .render.overlay import Overlay, overlay
from .render.select import collapse_schemas, filter_datasets, focus, resolve_node
from .revisions import CACHE_ENV, Snapshot, default_cache, scan_pair
from .scan import JOBS_ENV, discover, scan
from .trace import Direction, column_paths, resolve_target

#: Exit codes (docs/cli.md).
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


def _load(paths: Sequence[str], config_file: str | None, dialect: str | None) -> tuple[Config, list[Path]]:
    start = Path(paths[0]) if paths else Path.cwd()
    config = load_config(start if start.exists() else Path.cwd(), Path(config_file) if config_file else None)
    for warning in validate_config(config, scanned_on_disk=True):
        click.echo(f"datatrail: warning: {warning}", err=True)
    if dialect:
        check_dialect(dialect, "--dialect: ")
        config.dialect = dialect
    missing = [p for p in config.paths if not (config.root / p).exists()]
    if missing and not paths:
        raise ConfigError(f"{config.source}: [tool.datatrail] paths entry {missing[0]!r} does not exist")
    roots = [Path(p) for p in paths] if paths else [config.root / p for p in config.paths] or [Path.cwd()]
    return config, roots


def _internal_errors(*graphs: LineageGraph) -> list[Diagnostic]:
    """DT900 diagnostics: datatrail failed on something; never a finding, always reported."""
    return sorted({d for graph in graphs for d in graph.diagnostics if d.code == codes.INTERNAL})


def _exit_status(findings: bool, internal: Sequence[Diagnostic]) -> int:
    """The one place an analysis command's exit status is decided (docs/cli.md, "Exit codes").

    An internal error wins over findings: the analysis is incomplete, so a pass would be a lie
    and a failure would blame the change for datatrail's own bug."""
    for d in internal:
        click.echo(f"datatrail: internal error: {d}", err=True)
    if internal:
        return EXIT_INTERNAL
    return EXIT_FINDINGS if findings else EXIT_OK


def _finish(findings: bool, internal: Sequence[Diagnostic]) -> None:
    status = _exit_status(findings, internal)
    if status != EXIT_OK:
        sys.exit(status)


def _cache_for(config: Config, enabled: bool) -> AnalysisCache:
    try:
        root = git.repo_root(config.root)
    except GitError:
        root = config.root
    return default_cache(root, enabled)


def _progress_scan(config: Config, roots: list[Path], show: bool, use_cache: bool = True) -> LineageGraph:
    with progress(show) as reporter:
        return _scan_reporting(config, roots, reporter, use_cache)


def _scan_reporting(config: Config, roots: list[Path], reporter: Reporter, use_cache: bool = True) -> LineageGraph:
    """Scan with files done / total on ``reporter`` (dbt models are counted as they come)."""
    total = len(discover(roots, config)) if reporter.active else None  # a second walk, only when shown
    reporter.step("scanning", total)
    cache = _cache_for(config, use_cache)
    try:
        graph = scan(roots, config, progress=lambda path: reporter.advance(path), cache=cache)
    finally:
        cache.close()
    if total is not None:
        reporter.update(total, total)  # files handled without an analysis (dbt macros, YAML) count as done
    apply_governance(graph, config)  # tags are part of every scanned graph (docs/governance.md)
    return graph


def summary_text(graph: LineageGraph, seconds: float | None = None) -> str:
    s = graph.summary()
    kinds = Counter(ds.kind.value for ds in graph.datasets.values())
    kind_text = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    head = "datatrail lineage" + (f" ({seconds:.2f} s)" if seconds is not None else "")
    lines = [
        head,
        f"  datasets      {s['datasets']}" + (f"  ({kind_text})" if kind_text else ""),
        f"  columns       {s['columns']}",
        f"  jobs          {s['jobs']}",
        f"  table edges   {s['edges']}",
        f"  column edges  {s['column_edges']} "
        f"({s['direct_column_edges']} direct, {s['indirect_column_edges']} indirect)",
        f"  diagnostics   {s['diagnostics']} ({s['errors']} errors, {s['warnings']} warnings)",
    ]
    return "\n".join(lines)


def diagnostics_text(graph: LineageGraph, min_severity: Severity = Severity.INFO) -> list[str]:
    order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return [str(d) for d in sorted(set(graph.diagnostics)) if order[d.severity] <= order[min_severity]]


def write_output(path: str, data: str | bytes) -> None:
    """Write an output file; a path that cannot be written (under a regular file, say) is a usage error."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            target.write_bytes(data)
        else:
            target.write_text(data, encoding="utf-8")
    except OSError as e:
        raise click.UsageError(f"cannot write {path}: {e.strerror or e}") from e


def write_diagram(graph: LineageGraph, path: str, level: str = "column") -> list[str]:
    """Write DOT always, and the image named by ``path`` when ``dot`` is there; returns messages."""
    target = Path(path)
    dot_source = render_dot(graph, DotOptions(level=level))
    fmt = target.suffix.lstrip(".").lower() or "svg"
    messages = []
    if fmt == "mmd":
        write_output(path, render_mermaid(graph))
        return [f"wrote {path}"]
    dot_path = target.with_suffix(".dot")
    write_output(str(dot_path), dot_source)
    messages.append(f"wrote {dot_path}")
    if fmt == "dot":
        return messages
    if not has_dot():
        messages.append(f"skipped {path}: " + INSTALL_HINT.format(fmt=fmt.upper()))
        return messages
    write_output(path, render_image(dot_source, fmt))
    messages.append(f"wrote {path}")
    return messages


# Options several commands share.
DIALECT_OPTION = click.option("--dialect", help="SQL dialect for files without a per-path override.")
CONFIG_OPTION = click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False),
    help="pyproject.toml to read [tool.datatrail] from.",
)
PROGRESS_OPTION = click.option(
    "--progress/--no-progress",
    "show_progress",
    default=None,
    help="Files done / total and elapsed time on stderr; default: only when stderr is a terminal.",
)
NO_CACHE_OPTION = click.option(
    "--no-cache", is_flag=True, help="Analyse everything again instead of reusing the analysis cache."
)

MAX_DATASETS_OPTION = click.option(
    "--max-datasets",
    type=click.IntRange(min=0),
    default=None,
    help="Above this many datasets draw a map of groups first (default 150, or [tool.datatrail.<command>]).",
)
GROUP_BY_OPTION = click.option(
    "--group-by",
    type=click.Choice(GROUPINGS),
    default=None,
    help="Group datasets in the map by schema, or by layer (the folder of the defining file).",
)


def _int_setting(section: dict[str, object], key: str, given: int | None, default: int) -> int:
    """An option, else a non-negative integer from a config section, else the default."""
    if given is not None:
        return given
    value = section.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"{key} must be a non-negative integer, not {value!r}")
    return value


def _choice_setting(section: dict[str, object], key: str, choices: Sequence[str]) -> str:
    value = section.get(key, choices[0])
    if value not in choices:
        raise ConfigError(f"{key} must be one of {', '.join(choices)}, not {value!r}")
    return str(value)


def _source_prefix(config: Config, outdir: Path) -> str | None:
    """The path from a docs folder to the scanned sources, when both are in one repository."""
    try:
        repo = git.repo_root(config.root)
    except GitError:
        repo = config.root
    return source_prefix(outdir, config.root) if outdir.resolve().is_relative_to(repo.resolve()) else None


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ConfigError as e:
            raise click.UsageError(str(e)) from e
        except (RenderError, GitError) as e:
            raise click.ClickException(str(e)) from e


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="datatrail")
@click.option(
    "-j", "--jobs", type=click.IntRange(min=1), envvar=JOBS_ENV,
    help=f"Worker processes for the analysis (default: the core count; ${JOBS_ENV}). Results do not depend on it.",
)  # fmt: skip
@click.option(
    "--cache-dir", type=click.Path(file_okay=False), envvar=CACHE_ENV,
    help=f"Where the analysis cache lives (default: .datatrail-cache/ at the repository root; ${CACHE_ENV}).",
)  # fmt: skip
def cli(jobs: int | None, cache_dir: str | None) -> None:
    """Static table- and column-level lineage for SQL, dbt and Python pipelines.

    Nothing is executed: files are parsed, never run or imported.
    """
    # Every command scans through extractor.scan, which reads these (also in git revisions).
    if jobs is not None:
        os.environ[JOBS_ENV] = str(jobs)
    if cache_dir is not None:
        os.environ[CACHE_ENV] = str(Path(cache_dir).resolve())


@cli.command("scan")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default=None,
    help="Output format; default text, or json when -o is given.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the output to FILE instead of stdout.")
@click.option(
    "--diagram",
    type=click.Path(dir_okay=False),
    help="Also write a diagram: .svg/.png/.pdf (needs Graphviz), .dot or .mmd.",
)
@click.option(
    "--level", type=click.Choice(["column", "dataset"]), default="column", show_default=True, help="Diagram detail."
)
@click.option("--dialect", help="SQL dialect for files without a per-path override (e.g. snowflake).")
@CONFIG_OPTION
@click.option("--strict", is_flag=True, help="Exit 1 when any error diagnostic is found.")
@click.option("-q", "--quiet", is_flag=True, help="Print only warnings and errors, no summary.")
@NO_CACHE_OPTION
def scan_command(
    paths: tuple[str, ...], fmt: str | None, output: str | None, diagram: str | None, level: str,
    dialect: str | None, config_file: str | None, strict: bool, quiet: bool, no_cache: bool,
) -> None:  # fmt: skip
    """Scan PATHS (files or directories) and report their lineage.

    \b
    Examples:
      datatrail scan models/                       # summary on the terminal
      datatrail scan . -o lineage.json             # the lineage JSON
      datatrail scan . -o out.json --diagram out.svg
    """
    config, roots = _load(paths, config_file, dialect)
    started = time.perf_counter()
    show_progress = sys.stderr.isatty() and not quiet
    graph = _progress_scan(config, roots, show_progress, use_cache=not no_cache)
    elapsed = time.perf_counter() - started
    fmt = fmt or ("json" if output else "text")
    if fmt == "json":
        text = json_format.dumps(graph)
    elif quiet:
        text = "".join(line + "\n" for line in diagnostics_text(graph, Severity.WARNING))
    else:
        text = summary_text(graph) + "\n" + "".join(line + "\n" for line in diagnostics_text(graph))
    if output:
        write_output(output, text)
        if not quiet:
            click.echo(summary_text(graph, elapsed))
            for line in diagnostics_text(graph, Severity.WARNING):
                click.echo(line)
            click.echo(f"wrote {output}")
    else:
        click.echo(text, nl=False)
    if diagram:
        for message in write_diagram(graph, diagram, level):
            if not quiet:
                click.echo(message)
    errors = any(d.severity is Severity.ERROR and d.code != codes.INTERNAL for d in graph.diagnostics)
    _finish(strict and errors, _internal_errors(graph))


def _parse_diff_spec(spec: str) -> tuple[str, str | None]:
    base, sep, head = spec.partition("..")
    return base, (head or None) if sep else None


def _graph_for_render(
    paths: Sequence[str], config_file: str | None, dialect: str | None, diff_spec: str | None, use_cache: bool,
    reporter: Reporter,
) -> tuple[LineageGraph, Overlay | None]:  # fmt: skip
    """The graph to draw: a scan of PATHS, or the head side of ``--diff`` with its overlay."""
    if not diff_spec:
        config, roots = _load(paths, config_file, dialect)
        return _scan_reporting(config, roots, reporter, use_cache), None
    repo = git.repo_root(Path.cwd())
    base, head = _parse_diff_spec(diff_spec)
    head_rev = git.resolve(repo, head) if head else git.WORKTREE
    subpath = Path.cwd().resolve().relative_to(repo)
    rel_paths = [str((Path.cwd() / p).resolve().relative_to(repo)) for p in paths]
    cache = default_cache(repo, use_cache)
    try:
        reporter.step("scanning both revisions", 2)
        base_rev = git.resolve(repo, base or git.default_base(repo))
        before, after = scan_pair(repo, base_rev, head_rev, subpath, rel_paths, cache)
        reporter.advance()
        reporter.advance()
    finally:
        cache.close()
    apply_governance(after.graph, after.config)
    result = diff_graphs(before.graph, after.graph, base, head or "worktree")
    return after.graph, overlay(result, after.graph, before.graph)


def _select(
    graph: LineageGraph, focus_node: str | None, upstream: int | None, downstream: int | None,
    path_globs: Sequence[str], schemas: Sequence[str], tags: Sequence[str], collapse: Sequence[str],
) -> LineageGraph:  # fmt: skip
    graph = filter_datasets(graph, path_globs, schemas, tags)
    if focus_node:
        try:
            graph = focus(graph, focus_node, upstream, downstream)
        except KeyError as e:
            raise click.BadParameter(str(e.args[0]), param_hint="--focus") from e
    if collapse:
        graph = collapse_schemas(graph, None if "all" in collapse else collapse)
    return graph


@cli.command("render")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["svg", "png", "pdf", "dot", "mermaid", "html"]),
    default=None,
    help="Output format; default from the -o file's extension, else svg.",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE (default: stdout for text formats)."
)
@click.option(
    "--level",
    type=click.Choice(["column", "dataset"]),
    default="column",
    show_default=True,
    help="Draw columns with ports, or datasets only.",
)
@click.option("--focus", "focus_node", help="Draw only this dataset and its neighbourhood.")
@click.option("--upstream", type=int, default=None, help="With --focus: hops upstream (default all).")
@click.option("--downstream", type=int, default=None, help="With --focus: hops downstream (default all).")
@click.option(
    "--diff",
    "diff_spec",
    metavar="BASE[..HEAD]",
    help="Overlay the lineage diff between two revisions (HEAD defaults to the work tree).",
)
@click.option("--path", "path_globs", multiple=True, help="Only datasets defined in files matching this glob.")
@click.option("--schema", "schemas", multiple=True, help="Only datasets in this schema (repeatable).")
@click.option("--tag", "tags", multiple=True, help="Only datasets with this tag (dbt or governance tags; repeatable).")
@click.option("--collapse", multiple=True, metavar="SCHEMA|all", help="Draw a schema (or all) as one node.")
@click.option(
    "--cluster",
    type=click.Choice(["schema", "layer", "file", "none"]),
    default="schema",
    show_default=True,
    help="Group datasets into boxes by schema, folder, file or not at all.",
)
@MAX_DATASETS_OPTION
@GROUP_BY_OPTION
@DIALECT_OPTION
@CONFIG_OPTION
@PROGRESS_OPTION
@NO_CACHE_OPTION
def render_command(
    paths: tuple[str, ...], fmt: str | None, output: str | None, level: str, focus_node: str | None,
    upstream: int | None, downstream: int | None, diff_spec: str | None, path_globs: tuple[str, ...],
    schemas: tuple[str, ...], tags: tuple[str, ...], collapse: tuple[str, ...], cluster: str,
    max_datasets: int | None, group_by: str | None, dialect: str | None, config_file: str | None,
    show_progress: bool | None, no_cache: bool,
) -> None:  # fmt: skip
    """Draw the lineage of PATHS as a diagram (Graphviz, Mermaid or an interactive HTML page).

    \b
    Examples:
      datatrail render . -o lineage.svg
      datatrail render . --focus ml.training_input --upstream 2 --downstream 1 -o focus.png
      datatrail render . --diff main -o change.svg       # changed and impacted items highlighted
      datatrail render . --level dataset --collapse raw --format mermaid
      datatrail render . -o lineage.html               # the explorer: pan, zoom, search, trace
    """
    fmt = fmt or (Path(output).suffix.lstrip(".").lower() if output else "svg")
    fmt = {"mmd": "mermaid", "htm": "html"}.get(fmt, fmt)
    if fmt not in ("svg", "png", "pdf", "dot", "mermaid", "html"):
        raise click.BadParameter(f"cannot tell the format from {output!r}; use --format", param_hint="-o")
    config, _ = _load(paths, config_file, dialect)
    render_cfg = config.sections.get("render", {})
    limit = _int_setting(render_cfg, "max_datasets", max_datasets, DEFAULT_MAX_DATASETS)
    grouping = group_by or _choice_setting(render_cfg, "group_by", GROUPINGS)
    with progress(wanted(show_progress)) as reporter:
        graph, diff_overlay = _graph_for_render(paths, config_file, dialect, diff_spec, not no_cache, reporter)
        graph = _select(graph, focus_node, upstream, downstream, path_globs, schemas, tags, collapse)
        reporter.step(f"drawing {len(graph.datasets)} datasets", 1)
        prefix = _source_prefix(config, Path(output).parent) if output and fmt == "html" else None
        how = Drawing(fmt, level, cluster, diff_overlay, limit, grouping, prefix or "")
        data = draw(graph, how)
        reporter.advance()
    for note in how.notes:
        click.echo(f"datatrail: {note}", err=True)
    if output:
        write_output(output, data)
        click.echo(f"wrote {output} ({len(graph.datasets)} datasets)")
    elif isinstance(data, bytes) and fmt in ("png", "pdf"):
        raise click.UsageError(f"{fmt} output is binary: give -o FILE")
    else:
        click.echo(data.decode() if isinstance(data, bytes) else data, nl=False)


@cli.command("docs")
@click.argument("outdir", type=click.Path(file_okay=False), required=False)
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option(
    "--check", is_flag=True, help="Write nothing; exit 1 and name the stale files if the docs are out of date."
)
@click.option(
    "--fail-on-change", is_flag=True, help="Regenerate, then exit 1 if any file changed (what a formatter hook does)."
)
@click.option(
    "--images/--no-images",
    default=None,
    help="Embed SVG diagrams (needs Graphviz) or Mermaid blocks; default: SVG when dot is installed.",
)
@click.option("--title", default="Data architecture", show_default=True, help="Title of index.md.")
@MAX_DATASETS_OPTION
@GROUP_BY_OPTION
@DIALECT_OPTION
@CONFIG_OPTION
@PROGRESS_OPTION
@NO_CACHE_OPTION
def docs_command(
    outdir: str | None, paths: tuple[str, ...], check: bool, fail_on_change: bool, images: bool | None, title: str,
    max_datasets: int | None, group_by: str | None, dialect: str | None, config_file: str | None,
    show_progress: bool | None, no_cache: bool,
) -> None:  # fmt: skip
    """Generate architecture docs into OUTDIR: overview, per-schema and per-model diagrams, index.md.

    The output is deterministic. With --check nothing is written and the command fails, naming
    the stale files, when the docs no longer match the code (use it in CI or pre-commit).

    \b
    Examples:
      datatrail docs docs/lineage
      datatrail docs docs/lineage --check
    """
    config, roots = _load(paths, config_file, dialect)
    docs_cfg = config.sections.get("docs", {})
    if outdir is None:
        configured = docs_cfg.get("outdir")
        if not isinstance(configured, str):
            raise click.UsageError("give OUTDIR, or set [tool.datatrail.docs] outdir")
        outdir = str(config.root / configured)
        if not paths:
            roots = [config.root / p for p in config.paths] or [config.root]
    if images is None:
        images_cfg = docs_cfg.get("images", "auto")
        images = has_dot() if images_cfg == "auto" else bool(images_cfg)
    target = Path(outdir)
    options = DocsOptions(
        images, title, _int_setting(docs_cfg, "max_datasets", max_datasets, DEFAULT_MAX_DATASETS),
        group_by or _choice_setting(docs_cfg, "group_by", GROUPINGS), _source_prefix(config, target),
    )  # fmt: skip
    with progress(wanted(show_progress)) as reporter:
        graph = _scan_reporting(config, roots, reporter, not no_cache)
        reporter.step("writing pages")
        files = build_docs(graph, options, progress=lambda done, total: reporter.update(done, total))
    # A file that no longer parses keeps its models' pages: the parse error is the finding.
    broken = unparseable_files(graph)
    if check:
        stale = check_docs(target, files, broken)
        if stale:
            for path in stale:
                click.echo(f"{target / path}: stale (run `datatrail docs {outdir}` to regenerate)")
            sys.exit(EXIT_FINDINGS)
        click.echo(f"{outdir}: up to date ({len(files)} files)")
        return
    changed = write_docs(target, files, broken)
    click.echo(f"wrote {len(files)} files to {outdir} ({len(changed)} changed)")
    if fail_on_change and changed:
        for path in changed:
            click.echo(f"{target / path}: regenerated")
        sys.exit(EXIT_FINDINGS)


@cli.command("check")
@click.argument("paths", nargs=-1)
@click.option(
    "--base",
    default="HEAD",
    show_default=True,
    help="Revision to compare with (at pre-push: the pushed range from PRE_COMMIT_FROM_REF/PRE_COMMIT_TO_REF).",
)
@click.option("--worktree", is_flag=True, help="Check the work tree instead of the index (staged changes).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "github"]),
    default="text",
    show_default=True,
    help="Plain `path:line:col: CODE message` lines, or GitHub annotations.",
)
@PROGRESS_OPTION
@NO_CACHE_OPTION
@click.pass_context
def check_command(
    ctx: click.Context,
    paths: tuple[str, ...],
    base: str,
    worktree: bool,
    fmt: str,
    show_progress: bool | None,
    no_cache: bool,
) -> None:
    """Check staged changes: parse errors, unresolved references and the change policy.

    Made for pre-commit: compares the index with HEAD (only changed files are analysed again,
    the rest comes from the cache), prints problems as `path:line:col: CODE message` and exits 1
    on a parse error or on a change that [tool.datatrail.policy] does not allow, e.g. a breaking
    change that reaches a protected dataset such as a model's training input.

    \b
    Examples:
      datatrail check                              # staged changes vs HEAD
      datatrail check --base origin/main --worktree
    """
    repo = git.repo_root(Path.cwd())
    subpath = Path.cwd().resolve().relative_to(repo)
    head = git.WORKTREE if worktree else git.STAGED
    head_label = head.lower()
    pushed = _pre_push_range() if ctx.get_parameter_source("base") is click.core.ParameterSource.DEFAULT else None
    if pushed is not None:
        # pre-commit at pre-push: check the commits being pushed, not the (empty) index.
        base, head_label = pushed
        head = git.resolve(repo, head_label)
    base_id = _base_revision(repo, base)
    rel_paths = _path_arguments(repo, paths, (base_id, head))
    before, after, changed = _compare_revisions(repo, base_id, head, subpath, rel_paths, no_cache, show_progress)
    policy = load_policy(after.config.sections.get("policy", {}))
    prefix = after.prefix
    result = diff_graphs(before.graph, after.graph, base, head_label, changed)
    findings = check_findings(before.graph, after.graph, result, policy, prefix)
    findings = sorted([*findings, *flow_findings_between(before, after, prefix)])
    for finding in findings:
        click.echo(finding.github() if fmt == "github" else str(finding))
    internal = _internal_errors(before.graph, after.graph)
    for d in internal:
        line = Finding(_prefixed(prefix, d.path), d.line, d.column, d.code, d.message, False)
        click.echo(line.github() if fmt == "github" else str(line))
    failed = [f for f in findings if f.failing]
    click.echo(
        f"datatrail check: {len(result.changes)} lineage changes, {len(failed)} failing"
        + (f" ({result.verdict})" if result.changes else "")
        + (f", {len(internal)} internal errors" if internal else "")
    )
    _finish(bool(failed), internal)


#: What pre-commit exports to hooks at the pre-push stage (the range being pushed).
PRE_PUSH_FROM, PRE_PUSH_TO = "PRE_COMMIT_FROM_REF", "PRE_COMMIT_TO_REF"


def _pre_push_range() -> tuple[str, str] | None:
    """(base, head) of the push pre-commit is checking, when the hook runs at pre-push."""
    base, head = os.environ.get(PRE_PUSH_FROM, ""), os.environ.get(PRE_PUSH_TO, "")
    if not base or not head:
        return None
    if set(base) == {"0"}:  # a new branch whose first commit is a root commit: everything is added
        base = git.EMPTY_TREE
    return base, head


def _base_revision(repo: Path, base: str) -> str:
    """The commit id of ``base``; HEAD in a repository without commits is the empty tree."""
    if base == "HEAD" and not git.has_commits(repo):
        return git.EMPTY_TREE
    return git.resolve(repo, base)


def _prefixed(prefix: str, path: str) -> str:
    return f"{prefix}/{path}" if prefix and not path.startswith("/") else path


def _path_arguments(repo: Path, paths: Sequence[str], revisions: Sequence[str]) -> list[str]:
    """PATH arguments relative to the repository; each must exist on disk or in one of ``revisions``."""
    result = []
    for p in paths:
        try:
            rel = (Path.cwd() / p).resolve().relative_to(repo).as_posix()
        except ValueError as e:
            raise click.BadParameter(f"{p!r} is outside the repository {repo}", param_hint="PATH") from e
        rel = "" if rel == "." else rel
        if not (Path(p).exists() or any(git.exists_in(repo, rev, rel) for rev in revisions)):
            raise click.BadParameter(f"{p!r} is neither an existing path nor a revision", param_hint="PATH")
        result.append(rel)
    return result


def _check_snapshot_config(repo: Path, rev: str, config: Config, prefix: str) -> None:
    """The revision's ``[tool.datatrail]`` validated; its configured ``paths`` must exist in it."""
    for warning in validate_config(config):
        click.echo(f"datatrail: warning: {warning}", err=True)
    for p in config.paths:
        rel = f"{prefix}/{p}" if prefix else p
        if not git.exists_in(repo, rev, rel.strip("/")):
            raise ConfigError(f"{config.source or 'pyproject.toml'}: [tool.datatrail] paths entry {p!r} does not exist")


def _compare_revisions(
    repo: Path, base: str, head: str, subpath: Path, paths: list[str], no_cache: bool, show_progress: bool | None
) -> tuple[Snapshot, Snapshot, list[str]]:
    """Both revisions scanned (one shared cache) and checked, and the files changed between them
    relative to the head's config root: what ``check`` and ``diff`` compare."""
    cache = default_cache(repo, enabled=not no_cache)
    with progress(wanted(show_progress)) as reporter:
        try:
            reporter.step("scanning both revisions", 2)
            before, after = scan_pair(repo, base, head, subpath, paths, cache)
            reporter.advance()
            reporter.advance()
        finally:
            cache.close()
    _check_snapshot_config(repo, head, after.config, after.prefix)
    prefix = after.prefix
    changed = [p[len(prefix) + 1 :] if prefix and p.startswith(prefix + "/") else p
               for p in git.changed_files(repo, base, head)]  # fmt: skip
    return before, after, changed


FAIL_ON = {
    "breaking": ("breaking",),
    "column": ("breaking", "column"),
    "any": ("breaking", "column", "unknown", "additive"),
    "never": (),
}


def _split_revisions(repo: Path, args: Sequence[str]) -> tuple[list[str], list[str]]:
    """Leading arguments that name git revisions, then the paths.

    An argument is a path when it exists (on disk, or in the base revision given before it);
    otherwise, in revision position, it must resolve: a typo such as ``featur`` is an error
    naming it, never a path that matches nothing and makes the gate compare nothing."""
    revisions: list[str] = []
    rest = list(args)
    while rest and len(revisions) < 2 and not Path(rest[0]).exists():
        try:
            git.resolve(repo, rest[0])
        except GitError as e:
            rel = _repo_relative(repo, rest[0])
            if revisions and rel is not None and git.exists_in(repo, git.resolve(repo, revisions[0]), rel):
                break  # a path that only exists in the base revision (deleted since)
            raise click.BadParameter(f"{rest[0]!r} is neither a revision nor an existing path ({e})") from e
        revisions.append(rest.pop(0))
    return revisions, rest


def _repo_relative(repo: Path, path: str) -> str | None:
    try:
        return (Path.cwd() / path).resolve().relative_to(repo).as_posix()
    except ValueError:
        return None


@cli.command("diff")
@click.argument("args", nargs=-1, metavar="[BASE] [HEAD] [PATH]...")
@click.option("--staged", is_flag=True, help="Compare against the index (staged changes) instead of the work tree.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown", "github"]),
    default="text",
    show_default=True,
    help="Report format.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to FILE.")
@click.option(
    "--fail-on",
    type=click.Choice(sorted(FAIL_ON)),
    default=None,
    help="Exit 1 when a change of this class (or worse) is found; default from [tool.datatrail.policy].",
)
@click.option(
    "--link-base", default="", help="URL prefix for file links in Markdown, e.g. https://github.com/o/r/blob/SHA."
)
@PROGRESS_OPTION
@NO_CACHE_OPTION
def diff_command(
    args: tuple[str, ...], staged: bool, fmt: str, output: str | None, fail_on: str | None, link_base: str,
    show_progress: bool | None, no_cache: bool,
) -> None:  # fmt: skip
    """Compare the lineage of two git revisions and report what changed and what it impacts.

    BASE defaults to the merge-base with the default branch (else HEAD~1); HEAD defaults to the
    work tree with uncommitted changes (or the index with --staged). Files are read from git
    objects; the work tree is never checked out or modified.

    \b
    Examples:
      datatrail diff                          # work tree vs merge-base with main
      datatrail diff main HEAD --format markdown -o lineage.md
      datatrail diff HEAD~3 HEAD models/ --fail-on breaking
      datatrail diff --staged --format github
    """
    repo = git.repo_root(Path.cwd())
    revisions, paths = _split_revisions(repo, args)
    default = git.default_base(repo) if not revisions and git.has_commits(repo) else git.EMPTY_TREE
    base = revisions[0] if revisions else default
    head = revisions[1] if len(revisions) > 1 else (git.STAGED if staged else git.WORKTREE)
    base_id = git.resolve(repo, base)
    head_id = head if head in (git.STAGED, git.WORKTREE) else git.resolve(repo, head)
    subpath = Path.cwd().resolve().relative_to(repo)
    rel_paths = _path_arguments(repo, paths, (base_id, head_id))
    before, after, changed = _compare_revisions(repo, base_id, head_id, subpath, rel_paths, no_cache, show_progress)
    prefix = after.prefix
    result = diff_graphs(before.graph, after.graph, base, head.lower() if head in (git.STAGED, git.WORKTREE) else head,
                         changed)  # fmt: skip
    flows = _tagged_flows(before, after)
    if fmt == "json":
        text = render_json(result, prefix)
        if flows:
            text = _json_with(text, "tagged_flows", flow_diff.to_dict(flows, prefix))
    elif fmt == "markdown":
        text = render_markdown(result, after.graph, prefix, link_base) + flow_diff.render_markdown(flows, prefix)
    elif fmt == "github":
        text = render_github(result, prefix) + "".join(
            f.github() + "\n" for f in flow_diff.flow_findings(flows.new_denied, prefix)
        )
    else:
        text = render_text(result, prefix, after.graph) + flow_diff.render_text(flows, prefix)
    if output:
        write_output(output, text)
        click.echo(verdict_line(result))
    else:
        click.echo(text, nl=False)
    policy = fail_on or str(after.config.sections.get("policy", {}).get("fail_on", "never"))
    if policy not in FAIL_ON:
        raise ConfigError(f"[tool.datatrail.policy] fail_on must be one of {', '.join(sorted(FAIL_ON))}")
    failed = any(c.category in FAIL_ON[policy] for c in result.changes) or bool(flows.new_denied and policy != "never")
    _finish(failed, _internal_errors(before.graph, after.graph))


# -- governance (docs/governance.md) ------------------------------------------------------------


def _tagged_flows(before: Snapshot, after: Snapshot) -> flow_diff.TaggedFlowDiff:
    """Tags propagated on both sides, and the flows judged by the head's flow policies."""
    rules = load_flow_rules(after.config)
    base_gov = apply_governance(before.graph, before.config)
    head_gov = apply_governance(after.graph, after.config)
    return flow_diff.tagged_flow_diff(base_gov, head_gov, judge_flows(base_gov, rules), judge_flows(head_gov, rules))


def flow_findings_between(before: Snapshot, after: Snapshot, prefix: str) -> list[Finding]:
    """Failing findings for the denied flows a change creates."""
    if not load_flow_rules(after.config):
        return []  # nothing can be denied: tagging both graphs would cost ~1 s on a large repository
    return flow_diff.flow_findings(_tagged_flows(before, after).new_denied, prefix)


def _json_with(text: str, key: str, value: object) -> str:
    import json

    data = json.loads(text)
    data[key] = value
    return json_text.dumps(data) + "\n"


def _governed_scan(
    paths: Sequence[str], config_file: str | None, dialect: str | None, no_cache: bool
) -> tuple[Config, LineageGraph]:
    config, roots = _load(paths, config_file, dialect)
    graph = _progress_scan(config, roots, False, use_cache=not no_cache)
    for line in diagnostics_text(graph, Severity.WARNING):
        if " DT600 " in line:
            click.echo(line, err=True)
    return config, graph


@cli.command("audit")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option("--tag", help="Report only this tag.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(governance_audit.RENDERERS)),
    default="text",
    show_default=True,
    help="Report format.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to FILE.")
@DIALECT_OPTION
@CONFIG_OPTION
@NO_CACHE_OPTION
def audit_command(
    paths: tuple[str, ...], tag: str | None, fmt: str, output: str | None, dialect: str | None,
    config_file: str | None, no_cache: bool,
) -> None:  # fmt: skip
    """Report where tagged (personal) data goes, and exit 1 on any flow a policy denies.

    For each tag: where it is declared, every dataset, column, file and ML model it reaches with
    its status (personal, pseudonymised, declared anonymised), the path and transformations, what
    it influences without being copied, and the verdicts of [[tool.datatrail.policy.flows]].

    \b
    Examples:
      datatrail audit
      datatrail audit . --tag pii --format markdown -o audit.md
      datatrail audit --format html -o audit.html
    """
    config, graph = _governed_scan(paths, config_file, dialect, no_cache)
    load_policy(config.sections.get("policy", {}))  # a typo such as `flow = …` is a config error here too
    rules = load_flow_rules(config)
    governance = apply_governance(graph, config)
    known = sorted({t for entry in governance.seeds.values() for t in entry})
    if tag is not None and tag not in known:
        raise click.BadParameter(f"no column is tagged {tag!r}; declared tags: {', '.join(known) or 'none'}",
                                 param_hint="--tag")  # fmt: skip
    verdicts = judge_flows(governance, rules)
    report = governance_audit.audit_report(graph, governance, rules, verdicts, tag)
    text = governance_audit.RENDERERS[fmt](report)
    if output:
        write_output(output, text)
        click.echo(f"wrote {output}")
    else:
        click.echo(text, nl=False)
    if report["summary"]["denied_flows"]:
        sys.exit(EXIT_FINDINGS)


@cli.command("provenance")
@click.argument("artifact")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option(
    "--format", "fmt", type=click.Choice(["json", "markdown"]), default="json", show_default=True, help="Output format."
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the record to FILE.")
@DIALECT_OPTION
@CONFIG_OPTION
@NO_CACHE_OPTION
def provenance_command(
    artifact: str, paths: tuple[str, ...], fmt: str, output: str | None, dialect: str | None,
    config_file: str | None, no_cache: bool,
) -> None:  # fmt: skip
    """Training-data provenance of ARTIFACT (an ML model or any dataset) in PATHS.

    Lists every origin, every preparation step (path:line, normalized transformation, edge kind),
    the tags reaching each feature, the git commit and a digest of the data recipe: equal digests
    mean the same data recipe; any upstream transformation change changes it.

    \b
    Examples:
      datatrail provenance models/churn_model.joblib
      datatrail provenance churn_model.joblib . --format markdown -o datasheet.md
    """
    config, graph = _governed_scan(paths, config_file, dialect, no_cache)
    try:
        name = resolve_node(graph, artifact)
    except KeyError as e:
        raise click.BadParameter(str(e.args[0]), param_hint="ARTIFACT") from e
    governance = apply_governance(graph, config)
    try:
        commit: str | None = git.resolve(git.repo_root(config.root), "HEAD")
    except GitError:
        commit = None
    record = governance_provenance.provenance(graph, governance, name, commit)
    text = governance_provenance.render_markdown(record) if fmt == "markdown" else governance_provenance.dumps(record)
    if output:
        write_output(output, text)
        click.echo(f"wrote {output}")
    else:
        click.echo(text, nl=False)


@cli.command("trace")
@click.argument("target")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option(
    "--upstream/--downstream",
    "upstream",
    default=True,
    help="Where TARGET comes from (default), or what it reaches.",
)
@click.option("--depth", type=click.IntRange(min=0), default=None, help="At most N hops (default: all).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="A tree for the terminal, JSON (docs/trace.md) or Markdown for a ticket.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to FILE.")
@DIALECT_OPTION
@CONFIG_OPTION
@NO_CACHE_OPTION
def trace_command(
    target: str, paths: tuple[str, ...], upstream: bool, depth: int | None, fmt: str, output: str | None,
    dialect: str | None, config_file: str | None, no_cache: bool,
) -> None:  # fmt: skip
    """Trace TARGET through the lineage of PATHS: where it comes from, or what it reaches.

    TARGET is a dataset, a column (dataset.column), a file path (the datasets it writes) or an ML
    model artifact. Every hop shows the column, the edge kind and subtype, the normalized
    transformation and file:line; indirect influences (joins, filters, group-bys, conditions)
    are listed apart from value flow. An unknown TARGET exits 2 with the closest names.

    \b
    Examples:
      datatrail trace ml.training_input.age_years
      datatrail trace raw.customers.email --downstream --format markdown
      datatrail trace models/churn_model.joblib --depth 3 --format json
    """
    config, roots = _load(paths, config_file, dialect)
    graph = _progress_scan(config, roots, False, not no_cache)
    try:
        cwd = Path.cwd().resolve().relative_to(config.root).as_posix()
    except ValueError:
        cwd = ""
    resolved = resolve_target(graph, target, "" if cwd == "." else cwd)
    direction = Direction.UPSTREAM if upstream else Direction.DOWNSTREAM
    result = column_paths(graph, resolved.nodes, direction, depth)
    if fmt == "json":
        text = trace_report.render_json(resolved, result, depth)
    elif fmt == "markdown":
        text = trace_report.render_markdown(resolved, result)
    else:
        text = trace_report.render_text(resolved, result)
    _emit(text, output)


def _emit(text: str, output: str | None) -> None:
    if output:
        write_output(output, text)
        click.echo(f"wrote {output}")
    else:
        click.echo(text, nl=False)


def _walk_progress() -> Callable[[int, int], None] | None:
    """A one-line commit counter on stderr when it is a terminal (history walks can take a while)."""
    if not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        click.echo(f"\rcommit {done}/{total}", err=True, nl=False)  # _end_progress clears it

    return show


def _end_progress() -> None:
    if sys.stderr.isatty():
        click.echo("\r" + " " * 24 + "\r", err=True, nl=False)


def _repo_and_subpath() -> tuple[Path, Path]:
    repo = git.repo_root(Path.cwd())
    return repo, Path.cwd().resolve().relative_to(repo)


@cli.command("history")
@click.argument("target")
@click.argument("revision_range", required=False, default="HEAD", metavar="[REVISION_RANGE]")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="Text, JSON (docs/history.md) or Markdown for an incident ticket or a PR.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to FILE.")
@click.option(
    "--link-base", default="", help="URL prefix for file links in Markdown, e.g. https://github.com/o/r/blob/SHA."
)
@NO_CACHE_OPTION
def history_command(
    target: str, revision_range: str, fmt: str, output: str | None, link_base: str, no_cache: bool
) -> None:
    """List the commits that changed something upstream of TARGET, newest first.

    Walks first-parent history (default: everything reachable from HEAD; or A..B) from git
    objects, never touching the work tree, and lists only commits whose lineage changes reach
    TARGET column by column: for each, the reason, old -> new expression, file:line and the path
    to TARGET. Cosmetic commits, moved files and changes elsewhere are not listed.

    \b
    Examples:
      datatrail history models/churn_model.joblib
      datatrail history marts.customers.lifetime_spend v1.0..main --format markdown
    """
    repo, subpath = _repo_and_subpath()
    cache = default_cache(repo, enabled=not no_cache)
    try:
        result = history(repo, target, revision_range, subpath, cache, _walk_progress())
    finally:
        cache.close()
        _end_progress()
    if fmt == "json":
        text = history_report.render_json(result)
    elif fmt == "markdown":
        text = history_report.render_markdown(result, link_base)
    else:
        text = history_report.render_text(result)
    _emit(text, output)


@cli.command("blame")
@click.argument("target")
@click.argument("revision", required=False, default="HEAD")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Text like git blame, or JSON (docs/blame.md).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to FILE.")
@NO_CACHE_OPTION
def blame_command(target: str, revision: str, fmt: str, output: str | None, no_cache: bool) -> None:
    """For every edge upstream of TARGET, the commit that introduced it or last changed its transformation.

    Like git blame, for lineage: edges are followed back along first parents from REVISION
    (default HEAD), read from git objects. An edge is its source, target and kind, so moving
    code blames nothing.

    \b
    Examples:
      datatrail blame models/churn_model.joblib.age_years
      datatrail blame marts.orders.order_total v2.0 --format json
    """
    repo, subpath = _repo_and_subpath()
    cache = default_cache(repo, enabled=not no_cache)
    try:
        result = blame(repo, target, revision, subpath, cache, _walk_progress())
    finally:
        cache.close()
        _end_progress()
    _emit(blame_report.render_json(result) if fmt == "json" else blame_report.render_text(result), output)


@cli.command("export")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["openlineage"]),
    default="openlineage",
    show_default=True,
    help="Export format: OpenLineage events, one JSON object per line.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the events to FILE instead of stdout.")
@click.option(
    "--namespace", help="OpenLineage job namespace; default [tool.datatrail.openlineage] namespace, else the repo name."
)
@click.option(
    "--run-events", is_flag=True, help="Write COMPLETE RunEvents (deterministic run ids) instead of JobEvents."
)
@click.option("--url", help="Send the events to this lineage server, e.g. Marquez at http://localhost:5000.")
@click.option(
    "--api-key-env", metavar="VAR", help="With --url: the environment variable holding the API key (Bearer token)."
)
@DIALECT_OPTION
@CONFIG_OPTION
@NO_CACHE_OPTION
def export_command(
    paths: tuple[str, ...], fmt: str, output: str | None, namespace: str | None, run_events: bool, url: str | None,
    api_key_env: str | None, dialect: str | None, config_file: str | None, no_cache: bool,
) -> None:  # fmt: skip
    """Export the lineage of PATHS as OpenLineage events: one JobEvent per job (docs/openlineage.md).

    Events carry the job's type, source location and SQL, its input and output datasets with
    their schemas and tags, and column lineage with DIRECT/INDIRECT transformations. The output
    is byte-for-byte the same for the same commit. With --url the events are sent with the
    OpenLineage client's HTTP transport; a failure exits 1 and says how many were sent.

    \b
    Examples:
      datatrail export . -o lineage.ndjson
      datatrail export . --url http://localhost:5000                  # Marquez
      datatrail export . --url https://lineage.example.com --api-key-env LINEAGE_API_KEY
    """
    from .openlineage.events import build_events, export_context, to_ndjson
    from .openlineage.settings import load_settings
    from .openlineage.transport import SendError, Target, check_url, send

    config, roots = _load(paths, config_file, dialect)
    where = f"{config.source}: " if config.source else ""
    settings = load_settings(config.sections.get("openlineage", {}), where)
    if url:
        check_url(url)
    api_key = None
    if api_key_env:
        if not url:
            raise click.UsageError("--api-key-env needs --url")
        api_key = os.environ.get(api_key_env)
        if not api_key:
            raise click.UsageError(f"--api-key-env: the environment variable {api_key_env} is not set")
    graph = _progress_scan(config, roots, False, use_cache=not no_cache)
    for line in diagnostics_text(graph, Severity.ERROR):
        click.echo(line, err=True)
    events = build_events(graph, export_context(config, settings, namespace), run_events=run_events)
    text = to_ndjson(events)
    if output:
        write_output(output, text)
        click.echo(f"wrote {output} ({len(events)} {fmt} events)")
    elif not url:
        click.echo(text, nl=False)
    if url:
        try:
            sent = send(events, Target(url, api_key), settings)
        except SendError as e:
            click.echo(f"datatrail: error: {e}", err=True)
            sys.exit(EXIT_FINDINGS)
        click.echo(f"sent {sent} {fmt} events to {url}")


#: The garbage collector's thresholds for a command. A scan allocates millions of objects that live
#: until it ends (graph fragments, decoded cache entries, a stored graph); with Python's default
#: first threshold (700) the collector walks them again and again, which made decoding a stored
#: graph two to four times slower. Cycles (sqlglot's trees) are still collected, less often.
GC_THRESHOLDS = (50_000, 20, 20)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code instead of exiting (black and pre-commit style)."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="datatrail", standalone_mode=False)
    except click.exceptions.Exit as e:
        return int(e.exit_code or 0)
    except click.UsageError as e:
        e.show()
        return EXIT_USAGE
    except click.ClickException as e:
        e.show()
        return EXIT_USAGE
    except click.Abort:
        click.echo("Aborted.", err=True)
        return EXIT_USAGE
    except SystemExit as e:
        return int(e.code or 0) if isinstance(e.code, int) else EXIT_INTERNAL
    except DatatrailError as e:
        click.echo(f"datatrail: error: {e}", err=True)
        return EXIT_USAGE
    except Exception as e:
        click.echo(f"datatrail: internal error: {type(e).__name__}: {e}", err=True)
        return EXIT_INTERNAL
    return EXIT_OK


def console() -> NoReturn:
    """The ``datatrail`` command: ``main`` with fewer garbage collections (``GC_THRESHOLDS``), then
    an exit that leaves the memory to the operating system instead of freeing a large scan's
    objects one by one (as mypy does). Every file and the cache are closed by then; the standard
    streams are flushed here. (``main`` called in another process changes neither.)"""
    gc.freeze()  # what the imports made lives as long as the process: never walked again
    gc.set_threshold(*GC_THRESHOLDS)
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (``datatrail … | head``)
            stream.flush()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    console()
