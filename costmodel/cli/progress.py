"""A progress bar on stderr for long commands: stage, bar, count, rate and time left, redrawn in place.

    bar = ProgressBar(enabled=None)      # None: only when stderr is a terminal
    bar("checking", 10, 289)              # the callback costmodel.numeric.plan_sweep takes
    bar.close()

Nothing is written when stderr is not a terminal (a pipe, a file, a test runner) unless ``enabled=True``,
nor in the first half second (a fast command shows no bar). Standard library only: the bar is a few lines,
and a dependency (tqdm) for them would be one more thing to install for every user.
"""
from __future__ import annotations

import sys
import time
from typing import IO

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

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = self.clock()
        if stage != self.stage:  # a stage first seen part done began when the last one ended
            self.stage, self.stage_started = stage, (now if done == 0 else self.last_seen)
        self.last_seen = now
        if now - self.started < self.delay or (now - self.last < 0.1 and done < total):
            return
        self.last, self.shown = now, True
        self.stream.write("\r" + line(stage, done, total, now - self.stage_started) + "\x1b[K")
        self.stream.flush()

    def close(self) -> None:
        """End the line (when one was drawn), the last state left on screen."""
        if self.shown:
            self.stream.write(f"\r{self.stage}: done in {self.clock() - self.started:.1f} s\x1b[K\n")
            self.stream.flush()
            self.shown = False


def line(stage: str, done: int, total: int, elapsed: float) -> str:
    """``sweep [#######.....] 1.2M/3.4M 850k/s 3 s left``."""
    share = done / total if total else 1.0
    filled = int(ProgressBar.WIDTH * share)
    rate = done / elapsed if elapsed > 0 else 0.0
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
