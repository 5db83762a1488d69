"""A progress bar on stderr for long commands: stage, bar, count, rate and time left, redrawn in place.

    bar = ProgressBar(enabled=None)      # None: only when stderr is a terminal
    bar("checking", 10, 289)              # the callback costmodel.numeric.plan_sweep takes
    bar("building", 120, None)            # a stage whose total is not known ahead: count and rate
    bar.close()                           # "sweep: done in 3.2 s" left on screen
    bar.close(keep=False)                 # the line erased (a table is printed next)

    with showing_progress():              # the library's stages (costmodel.progress) drawn on the bar
        ...

Nothing is written when stderr is not a terminal (a pipe, a file, a test runner) unless ``enabled=True``,
nor in the first half second (a fast command shows no bar). Standard library only: the bar is a few lines,
and a dependency (tqdm) for them would be one more thing to install for every user.
"""
from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from typing import IO, Iterator

from ..progress import reporting
from ..values import si_prefix


class ProgressBar:
    """``bar(stage, done, total)`` redraws the line (at most ten times a second); ``close()`` ends it."""

    WIDTH = 24

    def __init__(self, enabled: bool | None = None, stream: IO[str] | None = None, delay: float = 0.5,
                 clock=time.perf_counter):
        self.stream, self.clock = stream or sys.stderr, clock
        self.enabled = _is_terminal(self.stream) if enabled is None else enabled
        self.started = self.clock()
        self.delay, self.shown, self.last = delay, False, float("-inf")
        self.stage, self.stage_started, self.last_seen = "", self.started, self.started
        self.finished = True  # the last stage seen reached its total (or has none)

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if not self.enabled:
            return
        now = self.clock()
        if stage != self.stage:  # a stage first seen part done began when the last one ended
            self.stage, self.stage_started = stage, (now if done == 0 else self.last_seen)
        self.last_seen, self.finished = now, total is None or done >= total
        if now - self.started < self.delay or (now - self.last < 0.1 and (total is None or done < total)):
            return
        self.last, self.shown = now, True
        self.stream.write("\r" + line(stage, done, total, now - self.stage_started) + "\x1b[K")
        self.stream.flush()

    def close(self, keep: bool = True) -> None:
        """End the line (when one was drawn): ``keep`` leaves "stage: done in N s" on screen (or, when the
        last stage stopped short of its total, an error or Ctrl-C, the line last drawn: never "done"), else
        the line is erased for what the command prints next."""
        if self.shown:
            done = f"\r{self.stage}: done in {self.clock() - self.started:.1f} s\x1b[K\n" if self.finished else "\n"
            ending = done if keep else "\r\x1b[K"
            self.stream.write(ending)
            self.stream.flush()
            self.shown = False


@contextmanager
def showing_progress(enabled: bool | None = None) -> Iterator[None]:
    """Draw the library's stages (``costmodel.progress``: building, analysing, tabulating, plotting …) on a
    bar on stderr while the block runs (only on a terminal unless ``enabled``), and erase it at the end."""
    bar = ProgressBar(enabled=enabled)
    try:
        with reporting(bar if bar.enabled else None):
            yield
    finally:
        bar.close(keep=False)


def line(stage: str, done: int, total: int | None, elapsed: float) -> str:
    """``sweep [#######.....] 1.2M/3.4M 850k/s 3 s left``; ``building 1.2k 850/s`` when the total is not
    known; a stage of one step as ``building ... 2 s`` (its time so far: a bar of one step says nothing)."""
    if total == 1:
        return f"{stage} ... {_duration(elapsed)}"
    rate = done / elapsed if elapsed > 0 else 0.0
    if total is None:
        return f"{stage} {_count(done)} {_count(rate)}/s"
    share = done / total if total else 1.0
    filled = int(ProgressBar.WIDTH * share)
    left = (total - done) / rate if rate > 0 else float("inf")
    estimate = f"{_duration(left)} left" if done < total and rate > 0 else ""
    return f"{stage} [{'#' * filled}{'.' * (ProgressBar.WIDTH - filled)}] {_count(done)}/{_count(total)} " \
           f"{_count(rate)}/s {estimate}".rstrip()


def _count(value: float) -> str:
    return si_prefix(round(value), 1)


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
