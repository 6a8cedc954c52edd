"""Progress of long commands on stderr, for cli.py only: items done / total and the elapsed time.

On a terminal it is a rich progress bar that disappears when the command ends. Elsewhere (CI
logs, pipes) it is silent unless forced with ``--progress``; then it writes a plain line per step
and at most one line every few seconds, never terminal control codes.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

#: Seconds between two plain progress lines when output is not a terminal.
LOG_INTERVAL = 5.0


def wanted(flag: bool | None, stream: TextIO | None = None) -> bool:
    """Show progress? ``--progress``/``--no-progress`` win; by default only on a terminal."""
    if flag is not None:
        return flag
    stream = stream or sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)())


class Reporter:
    """Steps of one command; every method is a no-op when progress is off."""

    def __init__(self, live: Progress | None, log: TextIO | None) -> None:
        self._live, self._log = live, log
        self._task: TaskID | None = None
        self._name = ""
        self._done = 0
        self._total: int | None = None
        self._started = time.perf_counter()
        self._step_started = self._started
        self._last_log = 0.0

    @property
    def active(self) -> bool:
        """Whether anything is shown (work done only for progress can be skipped when not)."""
        return self._live is not None or self._log is not None

    def step(self, name: str, total: int | None = None) -> None:
        """Start a step (``scanning``, ``writing pages`` …) of ``total`` items (None: unknown)."""
        self._finish_line()
        self._name, self._done, self._total = name, 0, total
        self._step_started = time.perf_counter()
        if self._live is not None:
            if self._task is not None:
                self._live.remove_task(self._task)
            self._task = self._live.add_task(name, total=total)
        self._line(force=False)

    def advance(self, item: str = "") -> None:
        """One more item done (a file analysed, a page written)."""
        self.update(self._done + 1, self._total, item)

    def update(self, done: int, total: int | None, item: str = "") -> None:
        if total is not None and done > total:
            total = None  # more items than announced (e.g. dbt models): count without a total
        self._done, self._total = done, total
        if self._live is not None and self._task is not None:
            description = f"{self._name} {item}" if item else self._name
            self._live.update(self._task, completed=done, total=total, description=description)
        self._line(force=False)

    def _line(self, force: bool) -> None:
        if self._log is None:
            return
        now = time.perf_counter()
        if not force and now - self._last_log < LOG_INTERVAL:
            return
        self._last_log = now
        of = f"/{self._total}" if self._total is not None else ""
        self._log.write(f"datatrail: {self._name}: {self._done}{of} ({now - self._started:.1f} s)\n")
        self._log.flush()

    def _finish_line(self) -> None:
        if self._name:
            self._line(force=True)

    def close(self) -> None:
        self._finish_line()


@contextmanager
def progress(show: bool, stream: TextIO | None = None) -> Iterator[Reporter]:
    """A :class:`Reporter` on ``stream`` (stderr): a live bar on a terminal, plain lines otherwise."""
    stream = stream or sys.stderr
    if not show:
        yield Reporter(None, None)
        return
    if not getattr(stream, "isatty", lambda: False)():
        reporter = Reporter(None, stream)
        try:
            yield reporter
        finally:
            reporter.close()
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(file=stream)
    columns = (TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as live:
        yield Reporter(live, None)
