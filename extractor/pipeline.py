"""The scan pipeline: claim -> plan -> one global order -> analyse (cached, parallel) -> merge.

1. Every registered frontend claims files of the source tree and returns analysis units.
2. Each unit gets a plan (tables read and written), cached by the unit's digest.
3. Units are ordered writers-before-readers across all frontends (a Python job writing a table
   runs before the SQL file reading it); cycles are condensed and reported, not looped.
4. Each unit is analysed with the columns its predecessors left for the tables it names (its
   *upstream*), in a worker process when ``jobs > 1``. A result is cached under the unit's digest
   plus its upstream, so a scan re-analyses only units whose inputs changed.
5. Results are merged in the global order, so the graph is the same whatever ran where.

Units run in forked worker processes (``jobs`` of them; one with ``jobs = 1``): a unit that
crashes its worker, raises, or runs over its time or memory budget becomes a diagnostic with its
path, and the rest of the scan goes on.
"""

from __future__ import annotations

import contextlib
import gc
import heapq
import multiprocessing
import os
import signal
import time
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from multiprocessing.connection import Connection, wait
from multiprocessing.reduction import ForkingPickler
from typing import Any

from . import codes
from .cache import AnalysisCache
from .cache import key as cache_key
from .config import Config
from .graph import LineageGraph
from .model import DatasetKind, Diagnostic
from .recorder import merge
from .sources import SourceTree
from .sql.catalog import SchemaCatalog
from .units import Frontend, Plan, Unit, UnitResult, result_from_dict, result_to_dict

ProgressCallback = Callable[[str], None]

DEFAULT_UNIT_TIMEOUT = 30.0
DEFAULT_UNIT_MEMORY_MB = 4096


@dataclass
class Options:
    """How to run the analysis: worker count, per-unit budgets, progress."""

    jobs: int = 1
    unit_timeout: float = DEFAULT_UNIT_TIMEOUT
    unit_memory_mb: int = DEFAULT_UNIT_MEMORY_MB
    progress: ProgressCallback | None = None
    #: analyse in worker processes, where a crash or an overrun costs one unit (off: in this process)
    isolate: bool = True
    #: store the whole scan for replay (off when the caller memoizes the result itself, e.g. a git revision)
    memo: bool = True
    #: called once, the first time the scan waits for a worker: work of the caller's that fills that time
    idle: Callable[[], None] | None = None


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


@dataclass
class _Planned:
    index: int
    unit: Unit
    frontend: Frontend
    plan: Plan = field(default_factory=Plan)
    result: UnitResult | None = None  # the analysis with ``guess`` as upstream, when planning produced it
    guess: dict[str, list[str]] = field(default_factory=dict)  # the upstream it had last time


def run(
    tree: SourceTree,
    config: Config,
    frontends: Sequence[Frontend],
    base: SchemaCatalog,
    cache: AnalysisCache,
    options: Options,
    graph: LineageGraph,
) -> SchemaCatalog:
    """Analyse ``tree`` into ``graph``; returns the final schema catalog."""
    files = tree.files()
    claimed: set[str] = set()
    units: list[_Planned] = []
    for frontend in frontends:
        offered = [f for f in files if f not in claimed]
        claim = frontend.claim(tree, offered, config, cache)
        graph.diagnostics.extend(claim.diagnostics)
        claimed |= claim.paths
        units.extend(_Planned(0, u, frontend) for u in claim.units)
    units.sort(key=lambda p: (p.unit.path, p.unit.key))
    for i, planned in enumerate(units):
        planned.index = i
    # The whole scan is a function of its units' digests: when none changed, replay it at once.
    scan_key = "scan:" + cache_key(
        [(p.frontend.name, p.frontend.version, p.unit.key, p.unit.digest) for p in units],
        sorted(base.as_dict().items()),
    )
    replay = cache.get(scan_key)
    if replay is not None:
        try:
            whole = result_from_dict(replay)
        except (KeyError, TypeError, ValueError):
            whole = None
        if whole is not None:
            before = set(graph.diagnostics)
            diagnostics = graph.diagnostics + [d for d in whole.graph.diagnostics if d not in before]
            graph.datasets, graph.jobs, graph.edges = whole.graph.datasets, whole.graph.jobs, whole.graph.edges
            graph.column_edges, graph.diagnostics = whole.graph.column_edges, diagnostics
            return SchemaCatalog({k: v for k, v in whole.schemas.items() if v})
    runner = _Runner(units, options)
    try:
        _plan_all(units, cache, runner)
        writers = _Writers(units)
        order, cycles = _cached_order(units, writers, cache)
        for cycle in cycles:
            graph.diagnostics.append(_cycle_diagnostic([units[i] for i in cycle]))
        merger = _Merger(units, order, graph, base)
        _analyse_all(units, order, writers, base, cache, runner, merger)
    finally:
        runner.close()
    merger.finish()
    catalog, superseded, ordered_results = merger.catalog, merger.superseded, merger.ordered
    if superseded:
        # A file analysed again in a better context (an Airflow SQL template rendered with its DAG's
        # parameters): its standalone jobs and diagnostics go; what the better analysis said stays.
        kept = [d for r in ordered_results if r.supersedes for d in r.graph.diagnostics
                if any(d.path == path for path, _ in r.supersedes)]  # fmt: skip
        for kind in sorted({kind for _, kind in superseded}):  # one pass per kind, not per file
            graph.remove_jobs_of({path for path, k in superseded if k == kind}, kind)
        graph.diagnostics.extend(d for d in kept if d not in graph.diagnostics)
    for frontend in frontends:
        frontend.finish(graph, ordered_results)
    graph.finish()
    for name, ds in graph.datasets.items():
        if ds.kind is DatasetKind.TABLE and not ds.columns:
            ds.add_columns(catalog.columns(name) or ())
    if options.memo and cache.stores:  # encoding a large graph for nothing cost --no-cache scans 0.5 s
        whole_graph = LineageGraph()
        merge(whole_graph, graph)
        cache.put(scan_key, result_to_dict(UnitResult(whole_graph, dict(catalog.as_dict()))))
    return catalog


# -- planning ------------------------------------------------------------------------------------


# Keys name the unit as well as its digest: two units of one scan never share an entry, even when
# a frontend gives them equal digests (two dbt projects' source declarations once did).


def _plan_key(p: _Planned) -> str:
    return "plan:" + cache_key(p.frontend.name, p.frontend.version, p.unit.key, p.unit.digest)


def _result_key(p: _Planned, upstream: dict[str, list[str]]) -> str:
    return "unit:" + cache_key(p.frontend.name, p.frontend.version, p.unit.key, p.unit.digest, sorted(upstream.items()))


def _guess_key(p: _Planned) -> str:
    """Where the upstream a unit was last analysed with is kept (by its key, not its digest: an
    edited unit is planned with what it read before the edit)."""
    return "upstream:" + cache_key(p.frontend.name, p.frontend.version, p.unit.key)


def _plan_all(units: list[_Planned], cache: AnalysisCache, runner: _Runner) -> None:
    missing = []
    for p in units:
        known = cache.get(_plan_key(p))
        if known is not None:
            p.plan = Plan(frozenset(known[0]), frozenset(known[1]))
        else:
            missing.append(p)
            guess = cache.get(_guess_key(p))
            if isinstance(guess, dict) and all(isinstance(v, list) for v in guess.values()):
                p.guess = guess
    for p, outcome in runner.map("plan", missing, lambda p: p.guess):
        if isinstance(outcome, Diagnostic):
            p.plan = Plan()
            p.result = UnitResult()
            p.result.graph.diagnostics.append(outcome)
            continue
        reads, writes, result = outcome
        p.plan = Plan(frozenset(reads), frozenset(writes))
        cache.put(_plan_key(p), [sorted(reads), sorted(writes)])
        if result is not None:
            p.result = result_from_dict(result)
            cache.put(_result_key(p, p.guess), result)


# -- the global order ----------------------------------------------------------------------------


def _cached_order(
    units: list[_Planned], writers: _Writers, cache: AnalysisCache
) -> tuple[list[list[int]], list[list[int]]]:
    """``_order``, read from the cache when the units' plans are the ones seen before (editing a
    model's body rarely changes what it reads and writes)."""
    key = "order:" + cache_key([(p.unit.key, sorted(p.plan.reads), sorted(p.plan.writes)) for p in units])
    known = cache.get(key)
    if isinstance(known, list) and all(isinstance(g, list) and all(type(i) is int for i in g) for g in known):
        groups: list[list[int]] = known
        if sorted(i for group in groups for i in group) == list(range(len(units))):  # else rebuilt
            return groups, [group for group in groups if len(group) > 1]
    order, cycles = _order(units, writers)
    cache.put(key, order)
    return order, cycles


def _order(units: list[_Planned], writers: _Writers) -> tuple[list[list[int]], list[list[int]]]:
    """Groups of unit indexes in writers-before-readers order (a group is a cycle), and the cycles."""
    acyclic = _acyclic_order(len(units), writers.edges)
    if acyclic is not None:
        return [[i] for i in acyclic], []
    import networkx as nx  # cycles to condense: rare, and networkx's import alone costs 0.2 s

    g = nx.DiGraph()
    g.add_nodes_from(range(len(units)))
    for reader, writer in writers.edges:
        if reader != writer:
            g.add_edge(writer, reader)
    condensed = nx.condensation(g)
    groups: list[list[int]] = []
    cycles: list[list[int]] = []
    for component in nx.lexicographical_topological_sort(condensed, key=lambda c: min(condensed.nodes[c]["members"])):
        members = sorted(condensed.nodes[component]["members"])
        groups.append(members)
        if len(members) > 1:
            cycles.append(members)
    return groups, cycles


def _acyclic_order(count: int, edges: list[tuple[int, int]]) -> list[int] | None:
    """Units in writers-before-readers order, the lowest index first among those ready (what
    networkx's lexicographical topological sort of the condensation gives when no unit is in a
    cycle); None when there is a cycle."""
    readers: list[set[int]] = [set() for _ in range(count)]
    for reader, writer in edges:
        if reader != writer:
            readers[writer].add(reader)
    waiting = [0] * count
    for after in readers:
        for reader in after:
            waiting[reader] += 1
    ready = [i for i in range(count) if waiting[i] == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:
        unit = heapq.heappop(ready)
        order.append(unit)
        for reader in readers[unit]:
            waiting[reader] -= 1
            if waiting[reader] == 0:
                heapq.heappush(ready, reader)
    return order if len(order) == count else None


class _Writers:
    """Which units write each table, and which written tables a name may mean: names match like
    the schema catalog resolves them (``orders`` and ``shop.orders`` are related both ways)."""

    def __init__(self, units: list[_Planned]) -> None:
        self.units: dict[str, list[int]] = {}
        for p in units:
            for name in sorted(p.plan.writes):
                self.units.setdefault(name, []).append(p.index)
        self._by_suffix: dict[str, set[str]] = {}
        for name in self.units:
            parts = name.split(".")
            for i in range(len(parts)):
                self._by_suffix.setdefault(".".join(parts[i:]), set()).add(name)
        self.edges: list[tuple[int, int]] = []  # (reader, writer)
        for p in units:
            for name in p.plan.reads | p.plan.writes:
                for written in self.related(name):
                    for w in self.units[written]:
                        if name in p.plan.writes and name == written and w >= p.index:
                            continue  # writers of one table run in path order
                        self.edges.append((p.index, w))

    def related(self, name: str) -> list[str]:
        found = set(self._by_suffix.get(name, ()))
        parts = name.split(".")
        for i in range(1, len(parts)):
            shorter = ".".join(parts[i:])
            if shorter in self.units:
                found.add(shorter)
        return sorted(found)


def _cycle_diagnostic(cycle: Sequence[_Planned]) -> Diagnostic:
    paths = sorted({p.unit.path for p in cycle})
    first = paths[0]
    message = "dependency cycle between " + ", ".join(paths[:6]) + (" …" if len(paths) > 6 else "")
    message += "; analysed in path order"
    return Diagnostic(first, 1, 1, codes.severity(codes.CYCLE), codes.CYCLE, message)


# -- analysis ------------------------------------------------------------------------------------


def _analyse_all(
    units: list[_Planned],
    order: list[list[int]],
    writers: _Writers,
    base: SchemaCatalog,
    cache: AnalysisCache,
    runner: _Runner,
    merger: _Merger,
) -> None:
    """Analyse every unit once its predecessors are done; independent units go to workers together.

    Every result goes to ``merger``: a cached one undecoded (what it leaves in the catalog is
    all the order needs), decoded and merged while the workers run."""
    group_of = {i: n for n, group in enumerate(order) for i in group}
    seq = {i: k for k, i in enumerate(i for group in order for i in group)}
    effects: dict[int, dict[str, list[str] | None]] = {}

    def upstream_of(p: _Planned) -> dict[str, list[str]]:
        view: dict[str, list[str]] = {}
        for name in sorted(p.plan.reads | p.plan.writes):
            related = writers.related(name)
            for written in related:
                latest: list[str] | None = None
                found = False
                for w in writers.units[written]:
                    if seq[w] < seq[p.index] and w in effects and written in effects[w]:
                        latest, found = effects[w][written], True
                if found:
                    if latest:
                        view[written] = list(latest)
                    else:
                        view.pop(written, None)
                elif written not in view:
                    columns = base.columns(written)
                    if columns:
                        view[written] = list(columns)
            if name not in view and not related:
                resolved = base.resolve(name)
                if resolved is not None:
                    view[resolved] = list(base.columns(resolved) or ())
        return view

    # Dependencies between groups; a group starts as soon as every group it depends on is done.
    successors: dict[int, set[int]] = {n: set() for n in range(len(order))}
    for reader, writer in writers.edges:
        a, b = group_of[writer], group_of[reader]
        if a != b:
            successors[a].add(b)
    waiting = {n: 0 for n in range(len(order))}
    for after in successors.values():
        for m in after:
            waiting[m] += 1
    remaining = {n: list(group) for n, group in enumerate(order)}
    startable = deque(n for n in range(len(order)) if waiting[n] == 0)
    upstreams: dict[int, dict[str, list[str]]] = {}

    def finish(i: int, result: UnitResult | dict[str, Any]) -> None:
        merger.add(i, result, upstreams.get(i, {}))
        effects[i] = dict(result.schemas if isinstance(result, UnitResult) else result["s"])

    def known(p: _Planned, upstream: dict[str, list[str]]) -> UnitResult | dict[str, Any] | None:
        if p.result is not None and upstream == p.guess:
            return p.result
        cached = cache.get(_result_key(p, upstream))
        if _schemas_readable(cached):
            upstreams[p.index] = upstream  # a foreign entry the merger cannot decode is analysed with it
            return cached
        return None  # absent, or a foreign or corrupt entry: rebuilt

    def dispatchable() -> list[_Planned]:
        """Start what can start: results known from the cache finish at once, the rest is returned."""
        out: list[_Planned] = []
        while startable:
            n = startable.popleft()
            while remaining[n]:
                p = units[remaining[n][0]]
                upstream = upstream_of(p)
                result = known(p, upstream)
                if result is None:
                    upstreams[p.index] = upstream
                    out.append(p)
                    break
                finish(p.index, result)
                remaining[n].pop(0)
            else:
                for m in sorted(successors[n]):
                    waiting[m] -= 1
                    if waiting[m] == 0:
                        startable.append(m)
        return out

    def analysed(p: _Planned, outcome: Any) -> list[_Planned]:
        if isinstance(outcome, Diagnostic):
            result = UnitResult()
            result.graph.diagnostics.append(outcome)
        else:
            cache.put(_result_key(p, upstreams[p.index]), outcome)
            if p.result is not None:  # planning analysed it with another upstream: next time, this one
                cache.put(_guess_key(p), upstreams[p.index])
            result = result_from_dict(outcome)  # now: its worker is already busy with the next one
        finish(p.index, result)
        n = group_of[p.index]
        remaining[n].pop(0)
        startable.append(n)
        return dispatchable()

    runner.run("analyse", dispatchable(), partial(_lookup, upstreams), analysed, merger.step)


def _schemas_readable(data: Any) -> bool:
    """Whether a cached result has the shape ``result_to_dict`` gives, so that its schemas can be
    used before the rest of it is decoded. (Entries are keyed by datatrail's own code digest: one
    that has this shape but does not decode is analysed again when it is merged.)"""
    return (
        isinstance(data, dict)
        and all(isinstance(data.get(k), list) for k in ("d", "j", "e", "c", "g", "dc", "su"))
        and isinstance(data.get("s"), dict)
        and all(v is None or isinstance(v, list) for v in data["s"].values())
    )


class _Merger:
    """Results, decoded and merged into the scan's graph in the global order as far as they are
    known: bit by bit while the workers run (``step``), and what is left at the end (``finish``)."""

    def __init__(self, units: list[_Planned], order: list[list[int]], graph: LineageGraph, base: SchemaCatalog):
        self.units = units
        self.sequence = [i for group in order for i in group]
        self.position = 0
        self.graph = graph
        self.catalog = base.copy()
        self.seen: set[Diagnostic] = set(graph.diagnostics)
        self.superseded: set[tuple[str, str]] = set()
        self.ordered: list[UnitResult] = []
        self.pending: dict[int, tuple[dict[str, Any], dict[str, list[str]]]] = {}  # not decoded yet
        self.decoded: dict[int, UnitResult] = {}

    def add(self, i: int, result: UnitResult | dict[str, Any], upstream: dict[str, list[str]]) -> None:
        if isinstance(result, UnitResult):
            self.decoded[i] = result
        else:
            self.pending[i] = (result, upstream)

    def step(self) -> bool:
        """One piece of the work: merge the next result in order, else decode one; False when idle."""
        if self.position < len(self.sequence):
            i = self.sequence[self.position]
            if i in self.decoded or i in self.pending:
                self._merge(i)
                return True
        if self.pending:
            i = next(iter(self.pending))
            self.decoded[i] = self._decode(i)
            return True
        return False

    def finish(self) -> None:
        while self.position < len(self.sequence):
            self._merge(self.sequence[self.position])

    def _merge(self, i: int) -> None:
        result = self.decoded.pop(i) if i in self.decoded else self._decode(i)
        self.position += 1
        self.ordered.append(result)
        merge(self.graph, result.graph, self.seen)
        self.superseded.update(result.supersedes)
        for name, columns in result.schemas.items():
            if columns is None:
                self.catalog.remove(name)
            else:
                self.catalog.add(name, columns)

    def _decode(self, i: int) -> UnitResult:
        data, upstream = self.pending.pop(i)
        try:
            return result_from_dict(data)
        except (KeyError, TypeError, ValueError):
            # A foreign cache entry whose schemas read well: analysed again, here (very rare).
            p = self.units[i]
            try:
                return p.frontend.analyse(p.unit, upstream)
            except Exception as e:  # one unit's failure is a diagnostic, never the scan's
                result = UnitResult()
                result.graph.diagnostics.append(_failed(p, f"{type(e).__name__}: {e}"))
                return result


def _lookup(upstreams: dict[int, dict[str, list[str]]], p: _Planned) -> dict[str, list[str]]:
    return upstreams[p.index]


# -- running units in this process or in workers -------------------------------------------------

_STATE: dict[str, Any] = {}
#: Tasks sent to a worker ahead of its answers: plans are tiny, so many; an analysis, one more.
_IN_FLIGHT = {"plan": 8, "analyse": 2}
#: A message this large is not sent ahead: this process sends while the worker may be blocked
#: sending a large answer, and two full pipes would wait for each other.
_PIPE_BYTES = 16 * 1024


def _task(kind: str, index: int, upstream: dict[str, list[str]]) -> Any:
    p: _Planned = _STATE["units"][index]
    if kind == "plan":
        plan = p.frontend.plan(p.unit, upstream)
        return sorted(plan.reads), sorted(plan.writes), None if plan.result is None else result_to_dict(plan.result)
    return result_to_dict(p.frontend.analyse(p.unit, upstream))


class _Runner:
    """Runs plan/analyse tasks in this process, or in forked worker processes when there are many."""

    def __init__(self, units: list[_Planned], options: Options) -> None:
        self.units = units
        self.options = options
        self.workers: list[_Worker] = []
        self.cores = default_jobs()
        _STATE["units"] = units

    def map(
        self, kind: str, items: list[_Planned], upstream: Callable[[_Planned], dict[str, list[str]]]
    ) -> list[tuple[_Planned, Any]]:
        """Run every item; outcomes in the order of ``items``."""
        outcomes: dict[int, Any] = {}

        def keep(p: _Planned, outcome: Any) -> list[_Planned]:
            outcomes[p.index] = outcome
            return []

        self.run(kind, items, upstream, keep)
        return [(p, outcomes[p.index]) for p in items]

    def run(
        self,
        kind: str,
        items: list[_Planned],
        upstream: Callable[[_Planned], dict[str, list[str]]],
        on_result: Callable[[_Planned, Any], list[_Planned]],
        background: Callable[[], bool] | None = None,
    ) -> None:
        """Run ``items``; each outcome goes to ``on_result``, which returns further items to run.
        ``background`` does a small piece of this process's own work while workers run; it
        returns False when it has none left for now."""
        queue = deque(items)
        if not self.options.isolate:
            while queue:
                p = queue.popleft()
                queue.extend(on_result(p, self._local(kind, p, upstream(p))))
            return
        self._parallel(kind, queue, upstream, on_result, background)

    def _local(self, kind: str, p: _Planned, upstream: dict[str, list[str]]) -> Any:
        if self.options.progress and kind == "analyse":
            self.options.progress(p.unit.path)
        try:
            return _task(kind, p.index, upstream)
        except Exception as e:  # one unit's failure is a diagnostic, never the scan's
            return _failed(p, f"{type(e).__name__}: {e}")

    def _parallel(
        self,
        kind: str,
        queue: deque[_Planned],
        upstream: Callable[[_Planned], dict[str, list[str]]],
        on_result: Callable[[_Planned, Any], list[_Planned]],
        background: Callable[[], bool] | None,
    ) -> None:
        # Each worker gets its next task before it answers the last one, so it never waits for
        # this process to take an answer and send more; answers come back in the order sent.
        depth = _IN_FLIGHT.get(kind, 1)
        sent: dict[_Worker, deque[_Planned]] = {}
        started: dict[_Worker, float] = {}  # when the worker began its oldest task
        encoded: tuple[_Planned, Any] | None = None  # the message of the queue's first task
        while queue or any(sent.values()):
            while len(self.workers) < min(self.options.jobs, len(queue) + sum(map(len, sent.values()))):
                self.workers.append(_Worker(self.options.unit_memory_mb))
            for level in range(depth):  # round robin: the first task of every worker, then the second …
                for worker in self.workers:
                    tasks = sent.setdefault(worker, deque())
                    if not queue or len(tasks) > level:
                        continue
                    p = queue[0]
                    if encoded is None or encoded[0] is not p:
                        encoded = (p, ForkingPickler.dumps((kind, p.index, upstream(p))))
                    message = encoded[1]
                    if tasks and len(message) > _PIPE_BYTES:
                        continue  # a large message waits (a full pipe both ways would deadlock)
                    queue.popleft()
                    if self.options.progress and kind == "analyse":
                        self.options.progress(p.unit.path)
                    worker.conn.send_bytes(message)
                    if not tasks:
                        started[worker] = time.monotonic()
                    tasks.append(p)
            if self.options.idle is not None:
                idle, self.options.idle = self.options.idle, None
                idle()  # the caller's own work, while the workers run
            busy = [w for w in self.workers if sent.get(w)]
            handles = [w.conn for w in busy] + [w.process.sentinel for w in busy]
            # This process's own work fills a free core only: with every core busy it would slow
            # the workers down, and it is done as well when they are done.
            spare = background if background is not None and len(busy) < self.cores else None
            ready = wait(handles, 0) if spare is not None else []
            while not ready and spare is not None and spare():
                ready = wait(handles, 0)
            if not ready:
                timeout = None
                if self.options.unit_timeout > 0:
                    oldest = min(started[w] for w in busy)
                    timeout = max(0.0, oldest + self.options.unit_timeout - time.monotonic())
                ready = wait(handles, timeout)
            now = time.monotonic()
            for worker in busy:
                tasks = sent[worker]
                p = tasks[0]
                outcome: Any = None
                if worker.conn in ready or worker.process.sentinel in ready:
                    try:
                        outcome = _from_worker(p, worker.conn.recv())
                    except (EOFError, OSError):
                        outcome = _failed(p, f"the analysis crashed (exit code {worker.exitcode()})")
                    else:
                        tasks.popleft()
                        started[worker] = now  # its next task, if any, began about now
                elif self.options.unit_timeout > 0 and now - started[worker] >= self.options.unit_timeout:
                    outcome = _over_budget(p, self.options.unit_timeout)
                else:
                    continue
                if tasks and tasks[0] is p:  # the worker is lost: the tasks after p go to another
                    tasks.popleft()
                    queue.extendleft(reversed(tasks))
                    del sent[worker], started[worker]
                    self._replace(worker)
                queue.extend(on_result(p, outcome))

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        self.workers[self.workers.index(worker)] = _Worker(self.options.unit_memory_mb)

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        self.workers = []
        _STATE.clear()


def _from_worker(p: _Planned, message: tuple[str, Any]) -> Any:
    status, value = message
    return value if status == "ok" else _failed(p, value)


def _failed(p: _Planned, message: str) -> Diagnostic:
    return Diagnostic(p.unit.path, 1, 1, codes.severity(codes.INTERNAL), codes.INTERNAL, message)


def _over_budget(p: _Planned, seconds: float) -> Diagnostic:
    message = f"analysis stopped after {seconds:g} s (the per-unit time budget, [tool.datatrail.analysis] unit_timeout)"
    return Diagnostic(p.unit.path, 1, 1, codes.severity(codes.BUDGET), codes.BUDGET, message)


class _Worker:
    """A forked process that runs tasks from a pipe; it inherits the frontends' state."""

    def __init__(self, memory_mb: int) -> None:
        context = multiprocessing.get_context("fork")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, memory_mb), daemon=True)
        self.process.start()
        child.close()

    def exitcode(self) -> int | None:
        self.process.join(0.1)
        return self.process.exitcode

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(1)
        self.conn.close()

    def stop(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(None)
        self.process.join(1)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(1)
        self.conn.close()


def _worker_main(conn: Connection, memory_mb: int) -> None:
    # What the worker inherited lives as long as it does: the collector never walks it (nor
    # writes to its pages, which the fork shares with the parent until written).
    gc.freeze()
    _limit_memory(memory_mb)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        kind, index, upstream = message
        try:
            reply: tuple[str, Any] = ("ok", _task(kind, index, upstream))
        except MemoryError:
            reply = ("error", f"analysis exceeded the per-unit memory budget ({memory_mb} MB)")
        except Exception as e:
            reply = ("error", f"{type(e).__name__}: {e}")
            if os.environ.get("DATATRAIL_DEBUG"):
                traceback.print_exc()
        conn.send(reply)


def _limit_memory(memory_mb: int) -> None:
    """Cap the worker's address space: the memory it already has plus the budget."""
    if memory_mb <= 0:
        return
    try:
        import resource

        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[0])
        current = pages * os.sysconf("SC_PAGE_SIZE")
        limit = current + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))
    except (OSError, ValueError, ImportError):
        pass
