"""Compiled evaluation of symbolic totals over grids of parameter values: ``sweep``.

The totals (flops, params, mac) are built ONCE with the grid parameters as symbols, compiled with
``sympy.lambdify(..., modules="numpy", cse=True)`` and evaluated vectorised over the grid, ``chunk`` points
at a time: memory stays bounded whatever the grid size (``iter_sweep`` streams). Results equal the
per-point ``analyze(build(...))`` exactly, rounding included (a float ``floor(0.75*32 + 0.5)`` may miss 24):

1. Integer parameters (``resolution``, ``classes``: integer symbols) are *inner*, vectorised; fractional
   ones (``width``) are *outer*, walked one combination at a time.
2. *Atoms*: each maximal sub-expression depending on outer symbols only (the rounded channel counts,
   ``Piecewise(Max(8, 8*floor(4*width + 1/2)) + 8, ...)``, their products) becomes a symbol, evaluated per
   outer combination EXACTLY in Python ints and Fractions (width ``3/4``, never a float).
3. What is left is arithmetic on integers with rational coefficients. For each ``floor(a)``/``ceiling(a)``
   we compute ``D``, a common denominator of ``a`` (lcm of its coefficients' and atoms' denominators), so
   ``a = n/D`` with ``n`` whole and ``floor(a) = floor(rint(D*a)/D)`` is exact while the float error of
   ``a`` stays below ``1/(2D)``. A Piecewise condition ``a < b`` becomes ``D*(a - b) < -1/2`` (``<=``,
   ``>``, ``>=``, ``==`` alike). Totals are ``rint`` to int64, refused from 2**52 on.
4. *Structure*: a builder may choose another graph for a number than for a symbol (MobileNet v2 adds a
   shortcut where rounding makes two widths equal). Each outer combination is built numerically and its
   structure (names, ops, wiring) compared with the symbolic graph's; where they differ, that combination
   is compiled alone with its outer values fixed; parameters the builder refuses as symbols (ShuffleNet v2's
   width, a choice of four) likewise. An irrational in a floor: every point is evaluated exactly.
Valid grids: each integer value and outer combination is built numerically first (compile time grows with
the number of distinct values); a refused one raises UsageError naming it and the builder's reason.
"""
from __future__ import annotations

import itertools
import math
import sys
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterator, Mapping, Sequence

import numpy as np

from . import limits
from .errors import CostModelError, UsageError
from .values import is_symbolic, show

COLUMNS, DEFAULT_CHUNK, _EXACT_LIMIT = ("flops", "params", "mac"), 1 << 18, 2 ** 52


@dataclass
class SweepResult:
    """One row per grid point, ordered by ``names`` (fractional parameters slowest). ``columns``: int64 for
    totals and integer parameters, float64 for fractional ones (exactly: ``values[name][indices[name]]``)."""
    names: tuple[str, ...]
    values: dict[str, tuple]
    indices: dict[str, np.ndarray]
    columns: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.columns[COLUMNS[0]])


def exact_value(value: Any, name: str = "value") -> int | Fraction:
    """An exact grid value: ints stay, floats become decimal Fractions (0.05 -> 1/20); text is refused."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer, float, Fraction)):
        raise UsageError(f"grid {name}: expected a number, got {value!r}")
    try:
        value = Fraction(str(value) if isinstance(value, (float, np.integer)) else value)
    except (ValueError, ZeroDivisionError, OverflowError):
        raise UsageError(f"grid {name}: {value!r} is not a finite number") from None
    return value.numerator if value.denominator == 1 else value


def output_value(value: Any) -> Any:
    """A grid value for CSV and JSON output (not a message: ``costmodel.values.show`` prints those): an
    int, a float when the decimal is exact (``0.25``), else the text ``p/q``."""
    if isinstance(value, int):
        return value
    d = value.denominator // math.gcd(value.denominator, 10 ** value.denominator.bit_length())
    return float(value) if d == 1 else f"{value.numerator}/{value.denominator}"


def _signature(graph) -> tuple:
    return tuple((n.name, type(n.op).__name__, tuple((t.node, t.index) for t in n.inputs)) for n in graph.nodes)


def _totals(graph, convention: str, fuse) -> list:
    from .analysis import analyze
    return [getattr(analyze(graph, convention, fuse).totals, c) for c in COLUMNS]


class _Inexact(CostModelError):
    """A rounding the float64 path cannot make exact (an irrational inside a floor)."""


class _Compiler:
    """Turns totals in (inner, outer) symbols into a numpy function of (inner values, atom values)."""

    def __init__(self, exprs: list, inner: list, outer: list):
        import sympy
        self.sympy = sympy
        self.inner, self.outer = inner, set(outer)
        self.atoms: dict = {}  # outer-only expression -> Dummy
        self.bodies = [self._atomize(sympy.Integer(e) if isinstance(e, int) else e) for e in exprs]  # totals
        self.atom_exprs, self.atom_symbols = list(self.atoms), list(self.atoms.values())
        self.atom_dens: dict = {}

    def _outer_only(self, e) -> bool:
        return bool(e.free_symbols) and e.free_symbols <= self.outer

    def _atom(self, e):
        return self.atoms.setdefault(e, self.sympy.Dummy(f"a{len(self.atoms)}"))

    def _atomize(self, e):
        sympy = self.sympy
        if not e.free_symbols or self._outer_only(e):
            return self._atom(e) if e.free_symbols else e
        if isinstance(e, (sympy.Add, sympy.Mul)):
            outer = [a for a in e.args if self._outer_only(a)]
            rest = [self._atomize(a) for a in e.args if not self._outer_only(a)]
            if outer:
                rest.append(self._atom(e.func(*outer)))
            return e.func(*rest)
        if isinstance(e, sympy.Piecewise):
            return sympy.Piecewise(*((self._atomize(v), self._atomize(c)) for v, c in e.args))
        return e.func(*(self._atomize(a) for a in e.args)) if e.args else e

    def evaluate_atoms(self, combo: Mapping) -> list:
        """Exact atom values (Fractions) at one outer combination ``{symbol: int or Fraction}``."""
        memo: dict = {}
        try:
            values = [_exact_eval(expr, combo, memo, self.sympy) for expr in self.atom_exprs]
        except _Inexact:  # sqrt(2) and the like: sympy evaluates floors of irrationals exactly
            mapping = {k: self.sympy.Rational(str(v)) for k, v in combo.items()}
            values = [_rational(expr.xreplace(mapping)) for expr in self.atom_exprs]
        if any(isinstance(v, bool) or not isinstance(v, (int, Fraction)) for v in values):
            raise CostModelError(f"sweep: the totals do not evaluate to exact numbers at {combo}")
        return [Fraction(v) for v in values]

    def _den(self, e) -> int | None:
        """A common denominator D of ``e`` for integer inner values and the atoms' values, or None."""
        sympy = self.sympy
        if e.is_Rational or isinstance(e, (sympy.floor, sympy.ceiling)):
            return int(e.q) if e.is_Rational else 1
        if e.is_Symbol:
            return self.atom_dens.get(e, 1 if e.is_integer else None)
        if isinstance(e, sympy.Pow) and e.exp.is_Integer and e.exp >= 0:
            d = self._den(e.base)
            return None if d is None else d ** int(e.exp)
        parts = [v for v, _ in e.args] if isinstance(e, sympy.Piecewise) else e.args
        if not isinstance(e, (sympy.Add, sympy.Max, sympy.Min, sympy.Mul, sympy.Piecewise)):
            return None
        dens = [self._den(a) for a in parts]
        return None if None in dens else (math.prod if isinstance(e, sympy.Mul) else lambda d: math.lcm(*d))(dens)

    def _exact(self, e):
        """Rewrite floors, ceilings and Piecewise conditions to be exact in float64 (see module doc)."""
        sympy = self.sympy
        if not e.args or not e.free_symbols:
            return e
        if isinstance(e, (sympy.floor, sympy.ceiling)):
            arg, d = e.args[0], self._den(e.args[0])
            if d is None:
                raise _Inexact(f"sweep: cannot evaluate {e} exactly (unknown denominator)")
            fn = self._xfloor if isinstance(e, sympy.floor) else self._xceil
            return fn(self._exact(arg), d)
        if isinstance(e, sympy.Piecewise):
            return sympy.Piecewise(*((self._exact(v), self._condition(c)) for v, c in e.args))
        return e.func(*(self._exact(a) for a in e.args))

    def _condition(self, c):
        sympy = self.sympy
        if c in (sympy.true, sympy.false) or not c.free_symbols:
            return c
        if isinstance(c, (sympy.And, sympy.Or, sympy.Not)):
            return c.func(*(self._condition(a) for a in c.args))
        kinds = {sympy.StrictLessThan: (-1, 0), sympy.LessThan: (1, 0), sympy.StrictGreaterThan: (0, 1),
                 sympy.GreaterThan: (0, -1), sympy.Eq: (1, -1)}  # bounds in halves: D*(a-b) < hi, > lo
        d = self._den(c.lhs - c.rhs) if type(c) in kinds else None
        if d is None:
            raise _Inexact(f"sweep: cannot evaluate the condition {c} exactly")
        scaled, (hi, lo), half = d * self._exact(c.lhs - c.rhs), kinds[type(c)], sympy.Rational(1, 2)
        return sympy.And(*([scaled < hi * half] if hi else []), *([scaled > lo * half] if lo else []))

    def compile(self, atom_values_by_combo: list):
        """lambdify the bodies once the atoms' denominators are known (from all combos' values)."""
        sympy = self.sympy
        for i, s in enumerate(self.atom_symbols):
            dens = [values[i].denominator for values in atom_values_by_combo] or [1]
            self.atom_dens[s] = math.lcm(*dens)
        self._xfloor, self._xceil = sympy.Function("_xfloor"), sympy.Function("_xceil")
        bodies = [self._exact(b) for b in self.bodies]
        funcs = {"_xfloor": lambda a, d: np.floor(np.rint(a * d) / d),
                 "_xceil": lambda a, d: np.ceil(np.rint(a * d) / d)}
        return sympy.lambdify(self.inner + self.atom_symbols, bodies, modules=[funcs, "numpy"], cse=True)


def _exact_eval(e, env: Mapping, memo: dict, sympy) -> Any:
    """``e`` at ``env`` in exact Python arithmetic (ints, Fractions, bools); shared sub-expressions once."""
    if e in memo:
        return memo[e]
    if e.is_Rational:
        value = int(e) if e.is_Integer else Fraction(int(e.p), int(e.q))
    elif e.is_Symbol:
        value = env[e]
    elif e is sympy.true or e is sympy.false:
        value = bool(e)
    elif isinstance(e, sympy.Piecewise):  # branches after the first that holds are not evaluated
        value = next(_exact_eval(v, env, memo, sympy) for v, c in e.args if _exact_eval(c, env, memo, sympy))
    else:
        value = _apply(e, [_exact_eval(a, env, memo, sympy) for a in e.args], sympy)
    memo[e] = value
    return value


def _apply(e, args: list, sympy) -> Any:
    rules = {sympy.Add: lambda *a: sum(a[1:], a[0]), sympy.Mul: lambda *a: math.prod(a[1:], start=a[0]),
             sympy.floor: math.floor, sympy.ceiling: math.ceil, sympy.Max: lambda *a: max(a),
             sympy.Min: lambda *a: min(a), sympy.Abs: abs, sympy.Mod: lambda a, b: a % b,
             sympy.StrictLessThan: lambda a, b: a < b, sympy.LessThan: lambda a, b: a <= b,
             sympy.StrictGreaterThan: lambda a, b: a > b, sympy.GreaterThan: lambda a, b: a >= b,
             sympy.Eq: lambda a, b: a == b, sympy.Ne: lambda a, b: a != b, sympy.And: lambda *a: all(a),
             sympy.Or: lambda *a: any(a), sympy.Not: lambda a: not a, sympy.ITE: lambda c, a, b: a if c else b}
    if type(e) in rules:
        return rules[type(e)](*args)
    if isinstance(e, sympy.Pow) and isinstance(args[1], int):
        return Fraction(args[0]) ** args[1]
    raise _Inexact(f"sweep: cannot evaluate {type(e).__name__} exactly ({e})")


def _rational(value) -> Any:
    return Fraction(int(value.p), int(value.q)) if getattr(value, "is_Rational", False) else value


@dataclass
class _Plan:  # names: row order, outer (enumerated, fractional) slowest, then inner (integer) ones
    names: tuple
    values: dict
    inner: list
    outer: list
    blocks: list  # per outer combination, in order: (combination, compiled function, atom values)


def compile_sweep(target: Any, grid: Mapping[str, Sequence], *, values: Mapping[str, Any] | None = None,
                  convention: str = "paper", fuse=(), progress: bool | None = None) -> _Plan:
    """Check the grid and compile its totals (see the module doc); ``iter_sweep`` evaluates the plan.
    ``target``: anything ``costmodel.targets.target`` takes; ``values``: typed values held fixed."""
    from .targets import target as find

    target, fixed_values = find(target), dict(values or {})
    if not grid:
        raise UsageError("sweep needs at least one grid parameter")
    values: dict[str, tuple] = {}
    for name, seq in grid.items():
        if name in fixed_values:
            raise UsageError(f"parameter {name} is both given a fixed value and swept")
        values[name] = tuple(exact_value(v, name) for v in (() if isinstance(seq, (str, bytes)) else seq))
        if not values[name]:
            raise UsageError(f"grid {name} has no values")
        if len(set(values[name])) != len(values[name]):
            raise UsageError(f"grid {name} repeats a value")
        if len(values[name]) > limits.MAX_GRID_VALUES:
            raise UsageError(f"grid {name} has {len(values[name])} values, more than {limits.MAX_GRID_VALUES} (the "
                             f"limit MAX_GRID_VALUES)")
    points = math.prod(len(v) for v in values.values())
    if points > limits.MAX_GRID_POINTS:
        raise UsageError(f"the grid has {points} points, more than {limits.MAX_GRID_POINTS} (the limit "
                         f"MAX_GRID_POINTS)")
    for name, value in fixed_values.items():
        if is_symbolic(value):
            raise UsageError(f"parameter {name} is held at {show(value)}, which is not a number: a sweep "
                             f"needs a number for every parameter it does not sweep")
    names = tuple(values)
    first, cache = {n: v[0] for n, v in values.items()}, {}

    def build_at(fixed: Mapping[str, Any], symbolic: Sequence[str] = ()):
        """Build at the first grid values, updated with ``fixed``, with ``symbolic`` names as symbols."""
        point = {n: v for n, v in {**first, **fixed}.items() if n not in symbolic}
        key = (tuple(point.items()), tuple(symbolic))
        try:
            built = cache.get(key) or target.build(**fixed_values, **point,
                                                   **{n: _symbol(target, n) for n in symbolic})
            cache.update({key: built} if symbolic else {})  # symbolic builds are the slow ones
            return built
        except CostModelError as error:
            shown = ", ".join(f"{n}={show(v)}" for n, v in point.items())
            raise UsageError(f"grid point {shown} is refused: {_line(error)}") from None

    build_at({})
    # parameters the builder refuses as symbols (a choice of widths) are enumerated: one build each
    enumerated = [n for n in names if _fails(build_at, [n])] if _fails(build_at, names) else []
    swept = [n for n in names if n not in enumerated]
    symbolic = build_at({}, swept)  # raises a clean error if the builder refuses symbols at all
    symbols = {str(s): s for s in _free(_totals(symbolic, convention, fuse))}
    unswept = sorted(set(symbols) - set(swept))
    if unswept:
        raise UsageError(f"sweep: {', '.join(unswept)} {'has' if len(unswept) == 1 else 'have'} no value: give "
                         f"{'it' if len(unswept) == 1 else 'each'} a number or sweep it too")
    inner = [n for n in swept if n not in symbols or symbols[n].is_integer]
    outer = [n for n in swept if n not in inner]
    for n in (n for n in inner if any(not isinstance(v, int) for v in values[n])):
        raise UsageError(f"grid {n} takes whole numbers only, got {', '.join(map(str, values[n]))}")
    # valid-grid checking: every value of every inner parameter, with one graph structure for all
    base, bar = None, _Progress("checking grid", sum(len(values[n]) for n in inner), progress, 1000)
    for n in inner:
        for v in values[n]:
            bar.step()
            signature = _signature(build_at({n: v}))
            if base is not None and signature != base:
                raise UsageError(f"sweep: the graph of {target.name} changes with {n} (at {n}={v}); give {n} "
                                 f"one fixed value at a time instead")
            base = signature
    try:
        return _plan(target, build_at, values, enumerated, swept, inner, outer, symbols, convention, fuse)
    except _Inexact:  # e.g. floor(sqrt(2)*channels/2): every combination evaluated exactly instead
        return _plan(target, build_at, values, enumerated, swept, [], outer + inner, symbols, convention, fuse)


def _plan(target, build_at, values, enumerated, swept, inner, outer, symbols, convention, fuse) -> _Plan:
    from sympy import Symbol
    inner_symbols = [symbols.get(n) or Symbol(n, integer=True) for n in inner]
    blocks = []
    for fixed in itertools.product(*(values[n] for n in enumerated)):
        fixed = dict(zip(enumerated, fixed))
        graph = build_at(fixed, swept)  # the symbolic totals, once (per enumerated value)
        exprs, reference = _totals(graph, convention, fuse), _signature(graph)
        shared, separate = [], []
        for combo in itertools.product(*(values[n] for n in outer)):  # ... and every outer combination
            combo = {**fixed, **dict(zip(outer, combo))}
            signature = _signature(build_at(combo))
            (shared if signature == reference else separate).append((combo, signature))
        if shared:
            compiler = _Compiler(exprs, inner_symbols, [symbols[n] for n in outer if n in symbols])
            atoms = [compiler.evaluate_atoms({symbols[n]: c[n] for n in outer if n in symbols}) for c, _ in shared]
            function = compiler.compile(atoms)
            blocks += [(c, function, [float(a) for a in av]) for (c, _), av in zip(shared, atoms)]
        for combo, signature in separate:  # the builder chose another structure here: compiled alone
            graph = build_at(combo, inner)
            if _signature(graph) != signature:
                raise UsageError(f"sweep: the graph of {target.name} differs when {', '.join(inner)} are symbols; "
                                 f"give them fixed values one at a time instead")
            local = _totals(graph, convention, fuse)
            by_name = {str(s): s for s in _free(local)}
            compiler = _Compiler(local, [by_name.get(n, s) for n, s in zip(inner, inner_symbols)], [])
            blocks.append((combo, compiler.compile([]), []))
    order = enumerated + outer
    key = {tuple(c): i for i, c in enumerate(itertools.product(*(values[n] for n in order)))}
    blocks.sort(key=lambda block: key[tuple(block[0][n] for n in order)])
    return _Plan(tuple(order + inner), values, inner, order, blocks)


def _symbol(target, name: str):
    """The positive symbol standing for parameter ``name`` (an integer one unless it is a ratio)."""
    from .symbolic import symbols
    parameter = target.parameters.get(name)
    return symbols(name, integer=parameter is None or parameter.kind != "ratio")


def _fails(build_at, symbolic) -> bool:
    try:
        build_at({}, symbolic)
    except CostModelError:
        return True
    return False


def _free(exprs) -> set:
    return set().union(*(getattr(e, "free_symbols", set()) for e in exprs))


def _line(error: Exception) -> str:  # one line, as the CLI prints errors
    return " ".join(str(error).split())


class _Progress:
    """A one-line progress bar on stderr (standard library only): when asked, or on a tty for long runs."""

    def __init__(self, label: str, total: int, show: bool | None, long: int):
        self.label, self.total, self.done, self.start = label, total, 0, time.perf_counter()
        self.show = (total >= long and sys.stderr.isatty()) if show is None else show

    def step(self, count: int = 1) -> None:
        self.done += count
        if self.show and (self.done == self.total or self.done % max(1, self.total // 100) < count):
            rate, bar = self.done / max(time.perf_counter() - self.start, 1e-9), "#" * (30 * self.done // self.total)
            end = "\n" if self.done >= self.total else ""
            sys.stderr.write(f"\r{self.label} [{bar:<30}] {self.done}/{self.total} ({rate:,.0f}/s){end}")
            sys.stderr.flush()


def iter_sweep(plan: _Plan, chunk: int = DEFAULT_CHUNK, progress: bool | None = None) -> Iterator[dict]:
    """Evaluate ``plan`` chunk by chunk: yields dicts of int64 columns, totals and ``<name>_index``."""
    if isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1:
        raise UsageError(f"chunk must be a positive whole number, got {chunk!r}")
    inner_total = math.prod(inner_sizes := [len(plan.values[n]) for n in plan.inner])
    bar = _Progress("sweep", inner_total * len(plan.blocks), progress, 10 * chunk)
    inner_arrays = [np.array([float(v) for v in plan.values[n]]) for n in plan.inner]
    outer_index = {n: {v: i for i, v in enumerate(plan.values[n])} for n in plan.outer}
    for combo, function, atoms in plan.blocks:
        for lo in range(0, inner_total, chunk):
            hi = min(lo + chunk, inner_total)
            idx = np.unravel_index(np.arange(lo, hi), inner_sizes) if plan.inner else ()
            out = {}
            for name, column in zip(COLUMNS, function(*(inner_arrays[k][i] for k, i in enumerate(idx)), *atoms)):
                column = np.broadcast_to(np.asarray(column, dtype=float), (hi - lo,))
                if not np.all(np.isfinite(column)) or np.max(np.abs(column), initial=0) >= _EXACT_LIMIT:
                    raise CostModelError(f"sweep: {name} beyond 2**52 (or undefined) at some grid point; "
                                         f"float64 evaluation would not be exact")
                out[name] = np.rint(column).astype(np.int64)
            for n in plan.outer:
                out[n + "_index"] = np.full(hi - lo, outer_index[n][combo[n]], dtype=np.int64)
            for k, n in enumerate(plan.inner):
                out[n + "_index"] = idx[k].astype(np.int64)
            bar.step(hi - lo)
            yield out


def sweep(target: Any, grid: Mapping[str, Sequence], *, values: Mapping[str, Any] | None = None,
          convention: str = "paper", fuse=(), chunk: int = DEFAULT_CHUNK, progress: bool | None = None
          ) -> SweepResult:
    """Totals of ``target`` (a zoo name, a spec path, a graph factory, a ``Target``)
    at every point of the cartesian ``grid`` ``{name: values}``.

    ``values`` are typed values (``{"classes": 10}``) of parameters held fixed. Rows come in the order of
    ``SweepResult`` (``result.names``). Exact: see the module doc.
    """
    plan = compile_sweep(target, grid, values=values, convention=convention, fuse=fuse, progress=progress)
    parts = list(iter_sweep(plan, chunk, progress))
    merged = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    indices = {n: merged[n + "_index"] for n in plan.names}
    columns = {n: np.array(plan.values[n], dtype=np.int64 if all(isinstance(v, int) for v in plan.values[n])
                           else float)[indices[n]] for n in plan.names}
    return SweepResult(plan.names, dict(plan.values), indices, {**columns, **{c: merged[c] for c in COLUMNS}})
