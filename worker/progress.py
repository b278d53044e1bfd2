"""What a long worker command is doing and how far it got: `seed-demo` at a million
employees takes minutes, a run as long. On a terminal a progress bar per step; otherwise
(a CronJob, a pipe) one log line as each step starts and one per chunk of rows written,
so a collector shows where a slow or stuck command is. Each step's seconds are kept for
the run's log."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

log = logging.getLogger("epa.worker.progress")


class Step:
    """One step in progress: `advance` as each chunk of its work is done."""

    def __init__(self, steps: Steps, name: str, total: int | None, unit: str) -> None:
        self._steps, self.name, self.total, self.unit = steps, name, total, unit
        self.done = 0
        self._task: TaskID | None = None
        self._started = time.perf_counter()

    @property
    def seconds(self) -> float:
        """Seconds since the step started: what a step can report before it ends."""
        return round(time.perf_counter() - self._started, 3)

    def advance(self, amount: int, part: str | None = None) -> None:
        self.done += amount
        self._steps._advanced(self, amount, part)


class Steps:
    """The steps of one command, shown as they run and timed.

    A bar needs a terminal: `stream` is where it is drawn (stderr by default, where the
    logs go); when that is no terminal, log lines tell the same."""

    def __init__(self, command: str, stream: TextIO | None = None) -> None:
        self.command = command
        self.timings: dict[str, float] = {}
        stream = sys.stderr if stream is None else stream
        self._bar: Progress | None = None
        if stream.isatty():
            self._bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[unit]}"),
                TimeElapsedColumn(),
                console=Console(file=stream, force_terminal=True),
                transient=False,
            )

    def __enter__(self) -> Steps:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc_info) -> None:
        if self._bar is not None:
            self._bar.stop()

    @contextmanager
    def step(self, name: str, total: int | None = None, unit: str = "rows") -> Iterator[Step]:
        """Time a step; `total` (of `unit`) when how far it got can be told."""
        step = Step(self, name, total, unit)
        if self._bar is not None:
            step._task = self._bar.add_task(name, total=total, unit=unit if total else "")
        else:
            log.info(
                "step started",
                extra={"command": self.command, "step": name, "total": total, "unit": unit},
            )
        step._started = started = time.perf_counter()
        try:
            yield step
        finally:
            self.timings[name] = round(time.perf_counter() - started, 3)
            if self._bar is not None and step._task is not None:
                done = step.total if step.total is not None else 1
                self._bar.update(step._task, total=done, completed=done)

    def _advanced(self, step: Step, amount: int, part: str | None) -> None:
        if self._bar is not None and step._task is not None:
            self._bar.advance(step._task, amount)
            return
        log.info(
            "step progress",
            extra={
                "command": self.command,
                "step": step.name,
                "part": part,
                "done": step.done,
                "total": step.total,
                "unit": step.unit,
                "percent": round(100 * step.done / step.total, 1) if step.total else None,
            },
        )
