"""A sweep's grid, checked before anything is built: its axes (parameter names and exact values, in the
order rows vary, the first axis slowest, as ``itertools.product`` gives them), the values held fixed, the
convention and the fusions.

Every value of every axis is checked against the target's parameter (its kind, its range, its choices)
without building: a sweep builds one graph per distinct graph, not per value, so a value the parameter
refuses must be refused here (``width=0`` rounds to the same channels as ``width=0.01``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterator, Mapping, Sequence

from .. import limits
from ..analysis import check_convention
from ..errors import CostModelError, UsageError
from ..values import is_symbolic, show

COLUMNS = ("flops", "params", "mac")


@dataclass(frozen=True)
class Grid:
    """The checked grid of a sweep of ``target`` (a ``Target``)."""

    target: Any
    names: tuple[str, ...]
    values: dict[str, tuple]
    fixed: dict[str, Any]
    convention: str
    fuse: frozenset

    @property
    def sizes(self) -> tuple[int, ...]:
        return tuple(len(self.values[n]) for n in self.names)

    @property
    def points(self) -> int:
        return math.prod(self.sizes)

    def point(self, indices: Sequence[int]) -> dict[str, Any]:
        """The parameter values at value indices ``indices`` (one per axis), fixed values included."""
        return {**self.fixed, **{n: self.values[n][i] for n, i in zip(self.names, indices)}}

    def indices(self, start: int = 0) -> Iterator[tuple]:
        """Value indices of every point from row ``start`` on, in row order (pure Python)."""
        sizes = self.sizes
        position = list(_unravel(start, sizes))
        for _ in range(start, self.points):
            yield tuple(position)
            for axis in reversed(range(len(sizes))):
                position[axis] += 1
                if position[axis] < sizes[axis]:
                    break
                position[axis] = 0

    def build(self, point: Mapping[str, Any]):
        """The numeric graph at ``point``; a refusal is a UsageError naming the point and the reason."""
        try:
            return self.target.build(**point)
        except CostModelError as error:
            shown = ", ".join(f"{n}={show(point[n])}" for n in self.names)
            raise UsageError(f"grid point {shown} is refused: {one_line(error)}") from None


@dataclass
class Rows:
    """Consecutive rows of a sweep from row ``start``: per axis the value index of each row, per column
    (``COLUMNS``) the totals; lists of Python ints or numpy arrays (int64, or object past int64)."""

    start: int
    indices: list
    totals: list
    count: int


def _unravel(index: int, sizes: Sequence[int]) -> tuple:
    out = []
    for size in reversed(sizes):
        index, rest = divmod(index, size)
        out.append(rest)
    return tuple(reversed(out))


def one_line(error: Exception) -> str:
    """An error's message on one line, as the command line prints it."""
    return " ".join(str(error).split())


def exact_value(value: Any, name: str = "value") -> int | Fraction:
    """An exact grid value: ints stay, floats become decimal Fractions (0.05 -> 1/20); text is refused."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction)) and not _is_numpy_number(value):
        raise UsageError(f"grid {name}: expected a number, got {value!r}")
    try:
        value = Fraction(str(value) if isinstance(value, float) or _is_numpy_number(value) else value)
    except (ValueError, ZeroDivisionError, OverflowError):
        raise UsageError(f"grid {name}: {value!r} is not a finite number") from None
    return value.numerator if value.denominator == 1 else value


def _is_numpy_number(value: Any) -> bool:
    return type(value).__module__ == "numpy" and hasattr(value, "dtype") and value.dtype.kind in "iuf"


def make_grid(target: Any, grid: Mapping[str, Sequence], values: Mapping[str, Any] | None = None,
              convention: str = "paper", fuse: Any = ()) -> Grid:
    """The checked ``Grid`` of a sweep: ``target`` (anything ``costmodel.targets.target`` takes),
    ``grid`` ``{name: values}`` (axes in the given order), ``values`` held fixed (typed values)."""
    from ..targets import target as find

    target, fixed = find(target), dict(values or {})
    fuse = check_convention(convention, fuse)
    if not isinstance(grid, Mapping) or not grid:
        raise UsageError("sweep needs at least one grid parameter, as {name: values}")
    axes: dict[str, tuple] = {}
    points = 1
    for name, seq in grid.items():
        if not isinstance(name, str):
            raise UsageError(f"grid names must be parameter names, got {show(name, limit=60)}")
        if name in fixed:
            raise UsageError(f"parameter {name} is both given a fixed value and swept")
        if isinstance(seq, (str, bytes)) or not hasattr(seq, "__iter__"):
            raise UsageError(f"grid {name}: expected a list of numbers, got {show(seq, limit=60)}")
        axes[name] = _axis(target, name, seq)
        points *= len(axes[name])
        if points > limits.MAX_GRID_POINTS:
            raise UsageError(f"the grid has more than {limits.MAX_GRID_POINTS} points (the limit MAX_GRID_POINTS): "
                             f"{' x '.join(str(len(v)) for v in axes.values())} so far")
    for name, value in fixed.items():
        if is_symbolic(value):
            raise UsageError(f"parameter {name} is held at {show(value)}, which is not a number: a sweep "
                             f"needs a number for every parameter it does not sweep")
    try:
        fixed = {**fixed, **target.check(**fixed)}
    except CostModelError as error:
        raise UsageError(f"sweep: {one_line(error)}") from None
    return Grid(target, tuple(axes), axes, fixed, convention, fuse)


def _axis(target: Any, name: str, seq: Any) -> tuple:
    """The exact values of axis ``name``, each checked by the target's parameter."""
    values = []
    for value in seq:
        values.append(exact_value(value, name))
        if len(values) > limits.MAX_GRID_VALUES:
            raise UsageError(f"grid {name} has more than {limits.MAX_GRID_VALUES} values (the limit "
                             f"MAX_GRID_VALUES)")
    if not values:
        raise UsageError(f"grid {name} has no values")
    if len(set(values)) != len(values):
        repeated = next(v for v in values if values.count(v) > 1)
        raise UsageError(f"grid {name} repeats the value {show(repeated)}")
    parameter = target.parameters.get(name)
    if parameter is not None and parameter.kind in ("flag", "choice"):
        raise UsageError(f"grid {name}: {name} is a {parameter.kind}, not a number; hold it fixed instead")
    checked = []
    for value in values:
        try:
            typed = target.check(**{name: value}).get(name, value)
        except CostModelError as error:
            raise UsageError(f"grid {name}={show(value)} is refused: {one_line(error)}") from None
        typed = exact_value(typed, name) if isinstance(typed, (int, Fraction)) else typed
        if parameter is not None and parameter.kind == "whole" and not isinstance(typed, int):
            raise UsageError(f"grid {name}={show(value)} is refused: {name} takes whole numbers only")
        checked.append(typed)
    return tuple(checked)
