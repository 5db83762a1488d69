"""Sweeps: the totals (flops, params, mac) of a network at every point of a grid of parameter values,
exactly (the rounding rules of every builder included, integers past 2**63 where a grid reaches them).

    import costmodel as cm
    result = cm.sweep("mobilenet_v2", {"width": [0.5, 0.75, 1.0], "resolution": range(96, 321)})
    result.columns["flops"]                  # one exact total per row (numpy: int64, or object past int64)
    cm.sweep(..., as_frame=True)             # a pandas DataFrame (pandas installed)
    for part in cm.iter_sweep(...): ...      # any grid in bounded memory, chunk by chunk

Rows vary the last grid axis fastest, as ``itertools.product`` over the axes in the given order.

Two methods give the same numbers (``method="auto"`` picks the faster for the grid):

* ``pointwise``: each point built and analysed (``pointwise.py``): every check of every build, about 2 ms a
  point for MobileNet v2. Small grids, and wherever the other does not apply.
* ``factored``: the network built once with the swept parameters as symbols; its totals are sums of
  products of factors, each depending on one *group* of parameters (channels on the width, spatial sizes
  on the resolution: ``terms.py``), evaluated exactly once per point of its group's own values in integer
  arrays (``exact.py``) and combined by matrix products (``combine.py``): ``O(layers * (W + R) + W * R)``
  for W widths and R resolutions. The builds' checks are kept by one numeric build per distinct graph of
  each group, compared with the symbolic one node for node (``factored.py``).

Where the factored method does not apply (an irrational inside a floor, a cost mixing the groups
inseparably, a builder that refuses symbols for all swept parameters), or would cost more than the
point-by-point estimate, ``auto`` evaluates point by point.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Iterator, Mapping, Sequence

from .. import limits
from ..errors import UsageError
from .grid import COLUMNS, Grid, Rows, exact_value, make_grid

DEFAULT_CHUNK = 1 << 18
METHODS = ("auto", "pointwise", "factored")
#: fewer points than this are evaluated point by point by ``auto`` (building symbolically costs about as
#: much as a few hundred numeric builds)
POINTWISE_BELOW = 500

__all__ = ["COLUMNS", "DEFAULT_CHUNK", "METHODS", "Sweep", "SweepResult", "exact_value", "iter_sweep",
           "output_value", "plan_sweep", "sweep"]


def output_value(value: Any) -> Any:
    """A grid value for CSV and JSON output (not a message: ``costmodel.values.show`` prints those): an
    int, the exact decimal as text when the value has one (``0.2505``), else the text ``p/q``."""
    if isinstance(value, int):
        return value
    return decimal_text(value) or f"{value.numerator}/{value.denominator}"


def decimal_text(value: Fraction) -> str | None:
    """The exact decimal digits of ``value`` (``Fraction(501, 2000)`` -> ``'0.2505'``), or None when its
    denominator has a prime factor other than 2 and 5."""
    denominator, twos, fives = value.denominator, 0, 0
    while denominator % 2 == 0:
        denominator, twos = denominator // 2, twos + 1
    while denominator % 5 == 0:
        denominator, fives = denominator // 5, fives + 1
    if denominator != 1:
        return None
    places = max(twos, fives)
    scaled = abs(value.numerator) * 10 ** places // value.denominator
    digits = str(scaled).rjust(places + 1, "0")
    sign = "-" if value < 0 else ""
    return f"{sign}{digits[:-places]}.{digits[-places:]}" if places else f"{sign}{digits}"


@dataclass
class SweepResult:
    """Rows of a sweep, in the order of ``names`` (the grid's axes, the last varying fastest).

    ``values``: each axis's exact values (ints, Fractions); ``indices``: per axis, the value index of each row;
    ``columns``: per axis its value in each row (int64 for whole numbers, float64 for others, whose exact
    value is ``values[name][indices[name]]``) and per total (``COLUMNS``) an int64 array, or an object
    array of Python ints when a total passes int64.
    """

    names: tuple[str, ...]
    values: dict[str, tuple]
    indices: dict[str, Any]
    columns: dict[str, Any]

    def __len__(self) -> int:
        return len(self.columns[COLUMNS[0]])

    def to_frame(self) -> Any:
        """The rows as a pandas DataFrame: one column per axis, then flops, params, mac."""
        try:
            import pandas
        except ImportError:
            raise UsageError("a DataFrame needs pandas, which is not installed: pip install pandas") from None
        return pandas.DataFrame({n: self.columns[n] for n in (*self.names, *COLUMNS)})


class Sweep:
    """A checked, planned sweep: ``rows(chunk)`` evaluates it chunk by chunk. ``method`` is the one used
    (``pointwise`` or ``factored``), ``builds`` the numeric builds planning made, ``why`` why ``auto``
    chose point by point (empty otherwise)."""

    def __init__(self, grid: Grid, method: str, combination: Any = None, first: list | None = None,
                 builds: int = 0, why: str = "", progress: Callable | None = None):
        self.grid, self.method, self.builds, self.why = grid, method, builds, why
        self._combination, self._first, self._progress = combination, first, progress

    @property
    def names(self) -> tuple[str, ...]:
        return self.grid.names

    @property
    def values(self) -> dict[str, tuple]:
        return self.grid.values

    def __len__(self) -> int:
        return self.grid.points

    def rows(self, chunk: int = DEFAULT_CHUNK) -> Iterator[Rows]:
        """The rows in order, about ``chunk`` at a time (``grid.Rows``: value indices and totals)."""
        if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
            raise UsageError(f"chunk must be a positive whole number, got {chunk!r}")
        if self._combination is None:
            from .pointwise import rows

            yield from rows(self.grid, chunk, self._progress, self._first)
            return
        done = 0
        for part in self._combination.rows(chunk):
            done += part.count
            if self._progress:
                self._progress("sweep", done, self.grid.points)
            yield part


def plan_sweep(target: Any, grid: Mapping[str, Sequence], *, values: Mapping[str, Any] | None = None,
               convention: str = "paper", fuse: Any = (), method: str = "auto",
               progress: Callable[[str, int, int], None] | None = None) -> Sweep:
    """Check the grid and plan its evaluation (see the module doc); ``Sweep.rows`` evaluates it.

    ``target``: anything ``costmodel.targets.target`` takes; ``grid``: ``{name: values}``; ``values``: typed
    values of parameters held fixed; ``progress(stage, done, total)``, when given, is called as the work
    advances (stages ``building``, ``checking``, ``sweep``).
    """
    return _plan(make_grid(target, grid, values, convention, fuse), method, progress)


def _plan(checked: Grid, method: str, progress: Callable | None) -> Sweep:
    if method not in METHODS:
        raise UsageError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    from .pointwise import timed_first_point

    first, seconds = timed_first_point(checked)  # the first point, built: refusals show at once
    if method == "pointwise" or (method == "auto" and checked.points < POINTWISE_BELOW):
        return Sweep(checked, "pointwise", first=first, progress=progress,
                     why="a small grid" if method == "auto" else "")
    from .combine import Combination
    from .exact import Unsupported
    from .factored import Fallback, plan

    budget = None if method == "factored" else seconds * checked.points
    try:
        planned = plan(checked, progress, budget)
        return Sweep(checked, "factored", Combination(planned), builds=planned.builds, progress=progress)
    except (Fallback, Unsupported) as why:
        if method == "factored":
            raise UsageError(f"sweep: the factored method does not apply: {why}") from None
        return Sweep(checked, "pointwise", first=first, progress=progress, why=str(why))


def iter_sweep(target: Any, grid: Mapping[str, Sequence], *, values: Mapping[str, Any] | None = None,
               convention: str = "paper", fuse: Any = (), chunk: int = DEFAULT_CHUNK, method: str = "auto",
               progress: Callable[[str, int, int], None] | None = None) -> Iterator[SweepResult]:
    """The rows of a sweep as ``SweepResult`` chunks of about ``chunk`` rows (any grid in bounded memory);
    arguments as ``sweep``."""
    planned = plan_sweep(target, grid, values=values, convention=convention, fuse=fuse, method=method,
                         progress=progress)
    for part in planned.rows(chunk):
        yield _result(planned.grid, part)


def sweep(target: Any, grid: Mapping[str, Sequence], *, values: Mapping[str, Any] | None = None,
          convention: str = "paper", fuse: Any = (), chunk: int = DEFAULT_CHUNK, method: str = "auto",
          progress: Callable[[str, int, int], None] | None = None, as_frame: bool = False) -> Any:
    """Totals of ``target`` (a zoo name, a spec path, a graph factory, a ``costmodel.targets.Target``) at
    every point of the cartesian ``grid`` ``{name: values}``, as a ``SweepResult`` of numpy arrays (a pandas
    DataFrame with ``as_frame=True``). Each row equals ``analyze(build(point)).totals`` at its point.

    ``values``: typed values of parameters held fixed (``{"classes": 10}``); ``convention`` and ``fuse`` as
    ``costmodel.analyze`` takes them; ``method``: ``auto``, ``pointwise`` or ``factored`` (see the module
    doc); ``progress(stage, done, total)``: called as the work advances. At most ``MAX_RESULT_POINTS`` points
    are returned at once: ``iter_sweep`` streams larger grids.
    """
    if not isinstance(as_frame, bool):
        raise UsageError(f"as_frame must be true or false, got {as_frame!r}")
    checked = make_grid(target, grid, values, convention, fuse)
    if checked.points > limits.MAX_RESULT_POINTS:
        raise UsageError(f"the grid has {checked.points} points, more than sweep returns at once "
                         f"({limits.MAX_RESULT_POINTS}, the limit MAX_RESULT_POINTS): use iter_sweep, chunk by chunk")
    planned = _plan(checked, method, progress)
    parts = [_result(planned.grid, part) for part in planned.rows(chunk)]
    import numpy as np

    merged = {key: _concatenate([p.columns[key] for p in parts]) for key in parts[0].columns}
    indices = {n: np.concatenate([p.indices[n] for p in parts]) for n in planned.names}
    result = SweepResult(planned.names, dict(planned.values), indices, merged)
    return result.to_frame() if as_frame else result


def _concatenate(arrays: list) -> Any:
    import numpy as np

    if any(a.dtype == object for a in arrays):
        return np.concatenate([a.astype(object) for a in arrays])
    return np.concatenate(arrays)


def _result(grid: Grid, part: Rows) -> SweepResult:
    """A chunk of rows as a SweepResult of numpy arrays."""
    import numpy as np

    indices = {n: np.asarray(part.indices[k], dtype=np.int64) for k, n in enumerate(grid.names)}
    columns = {}
    for n in grid.names:
        whole = all(isinstance(v, int) for v in grid.values[n])
        table = np.array([int(v) if whole else float(v) for v in grid.values[n]], dtype=np.int64 if whole else float)
        columns[n] = table[indices[n]]
    for c, values in zip(COLUMNS, part.totals):
        columns[c] = _integers(values)
    return SweepResult(grid.names, dict(grid.values), indices, columns)


def _integers(values: Any) -> Any:
    """Totals as an int64 array, or an object array of Python ints when one passes int64."""
    import numpy as np

    if isinstance(values, np.ndarray):
        return values
    if all(-2 ** 63 <= v < 2 ** 63 for v in values):
        return np.array(values, dtype=np.int64)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out
