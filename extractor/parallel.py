"""A parallel map over forked processes, for work a frontend does before its units exist.

dbt learns every model's config before its units can be keyed, by rendering the templates that
may call ``config()``; on a cold scan of a large project that is a good part of the time, and it
is independent per model. The work function and its items are left in this module before the
fork, so workers inherit them (nothing but results crosses a pipe), and anything that goes wrong
(no ``fork`` on this platform, a worker that dies, a result that cannot be pickled) hands the item
back to the caller, who does it in-process: the answer never depends on the worker count.
"""

from __future__ import annotations

import gc
import multiprocessing
import pickle
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

#: Below this many items, forking costs more than it saves.
MIN_ITEMS = 16

_WORK: dict[str, Any] = {}


def fork_map(fn: Callable[[T], Any], items: Sequence[T], jobs: int) -> list[tuple[bool, Any]]:
    """``[(True, fn(item)) …]`` in the order of ``items``; ``(False, None)`` for an item the caller
    must do itself (it raised, its result does not pickle, or its worker was lost)."""
    if jobs <= 1 or len(items) < MIN_ITEMS or "fork" not in multiprocessing.get_all_start_methods():
        return [(False, None)] * len(items)
    from concurrent.futures import ProcessPoolExecutor, as_completed  # only when there is work to share
    from concurrent.futures.process import BrokenProcessPool

    step = max(1, len(items) // (jobs * 12))  # many slices per worker: the last ones end together
    slices = [(start, min(start + step, len(items))) for start in range(0, len(items), step)]
    results: list[tuple[bool, Any]] = [(False, None)] * len(items)
    _WORK["fn"], _WORK["items"] = fn, items
    try:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"), initializer=gc.freeze) as pool:
            futures = {pool.submit(_run_slice, bounds): bounds[0] for bounds in slices}
            for future in as_completed(futures):
                try:
                    part = future.result()
                except (BrokenProcessPool, OSError, pickle.PickleError, EOFError):
                    continue  # a lost slice is done by the caller
                start = futures[future]
                results[start : start + len(part)] = [(ok, pickle.loads(data) if ok else None) for ok, data in part]
    except (BrokenProcessPool, OSError):
        pass  # no pool at all: the caller does everything
    finally:
        _WORK.clear()
    return results


def _run_slice(bounds: tuple[int, int]) -> list[tuple[bool, bytes]]:
    fn, items = _WORK["fn"], _WORK["items"]
    out: list[tuple[bool, bytes]] = []
    for i in range(*bounds):
        try:
            out.append((True, pickle.dumps(fn(items[i]))))
        except Exception:  # the caller does this item itself, where its errors are reported
            out.append((False, b""))
    return out
