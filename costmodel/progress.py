"""Progress of long library work (building, analysing, tabulating, plotting), told to a listener when one is
set: the command line's bar (``costmodel.cli.progress.ProgressBar``). With none set, the library is silent and
a report costs one context-variable read.

    with reporting(listener):                 # listener(stage, done, total); total None when unknown
        with stage("analysing", len(nodes)) as step:
            for node in nodes:
                ...
                step()

Only the outermost stage speaks: work done inside a stage (a plot analysing each of its networks) is quiet,
so the bar shows one count that reaches its total. ``count(name)`` steps the running stage from code that
does not hold it, when that stage is ``name``. Ground floor: imports nothing of costmodel.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable, Iterator, Optional

Listener = Callable[[str, int, Optional[int]], None]

_listener: ContextVar[Listener | None] = ContextVar("costmodel_progress_listener", default=None)
_running: ContextVar["_Step | None"] = ContextVar("costmodel_progress_stage", default=None)


@contextmanager
def reporting(listener: Listener | None) -> Iterator[None]:
    """Tell ``listener`` of the stages run inside the block (``None``: tell no one)."""
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)


def _quiet(count: int = 1) -> None:
    """The step of a stage nobody listens to."""


class _Step:
    """Counts a stage's steps and tells the listener (which throttles its own redrawing)."""

    __slots__ = ("listener", "name", "total", "done")

    def __init__(self, listener: Listener, name: str, total: int | None):
        self.listener, self.name, self.total, self.done = listener, name, total, 0

    def __call__(self, count: int = 1) -> None:
        self.done += count
        self.listener(self.name, self.done, self.total)


@contextmanager
def stage(name: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
    """A stage of ``total`` steps (``None``: not known ahead); the block calls the step it is given once per
    step done. A stage begun inside another is quiet, unless it has the same name: then its steps count
    towards the running one (``compare`` runs seven analyses as one stage ``analysing`` of seven times the
    nodes)."""
    listener, running = _listener.get(), _running.get()
    if running is not None and running.name == name:
        yield running
        return
    if listener is None or running is not None:
        yield _quiet
        return
    step = _Step(listener, name, total)
    listener(name, 0, total)
    token = _running.set(step)
    try:
        yield step
    finally:
        _running.reset(token)
    if total is not None and step.done < total:
        listener(name, total, total)


def count(name: str) -> None:
    """One more step of the stage ``name`` when it is the one running (``Graph.add`` counts the nodes of a
    stage ``building``, whoever builds)."""
    step = _running.get()
    if step is not None and step.name == name:
        step()
