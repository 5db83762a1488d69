"""Exact values of sympy expressions at many points at once, in integer numpy arrays (never floats).

A value is a pair ``(n, d)``: numerators ``n`` over positive denominators ``d``, each an int64 array, an
object array of Python ints, or a Python int (the same at every point). Then ``floor`` is ``n // d`` and
``a < b`` is ``n_a * d_b < n_b * d_a``: the rounding rules of the zoo (``make_divisible``'s floors, its
``Piecewise`` on ``rounded < 0.9 * value``) come out exactly as Python's Fractions give them. Every result
is reduced by the gcd of its numerator and denominator.

int64 arithmetic is used while a bound on each result (from the operands' largest magnitudes) stays below
2**62; past it the operands become object arrays of Python ints, exact at any size, and a result small
enough again goes back to int64. Nothing wraps around. What cannot be exact in rationals (``sqrt(2)``, a
function the evaluator does not know) raises ``Unsupported``: the sweep then evaluates point by point.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np

BOUND = 2 ** 62
_GCD = np.frompyfunc(math.gcd, 2, 1)


class Unsupported(Exception):
    """An expression the integer evaluation cannot take exactly (an irrational, an unknown function)."""


def _is_object(x: Any) -> bool:
    return isinstance(x, np.ndarray) and x.dtype == object


def largest(x: Any) -> int:
    """The largest magnitude in ``x`` (a Python int, an int64 or an object array)."""
    if isinstance(x, np.ndarray):
        if x.dtype == object:
            return max((abs(v) for v in x.ravel().tolist()), default=0)
        return int(np.abs(x).max(initial=0))
    return abs(int(x))


def _objects(x: Any) -> Any:
    return x.astype(object) if isinstance(x, np.ndarray) and x.dtype != object else x


def _exact_pair(x: Any, y: Any, bound: int) -> tuple:
    """``x`` and ``y`` in a form where an operation whose result is bounded by ``bound`` is exact."""
    if isinstance(x, int) and isinstance(y, int):
        return x, y
    if bound >= BOUND or _is_object(x) or _is_object(y):
        return _objects(x), _objects(y)
    return x, y


def _bound(x: Any, y: Any, combine) -> int:
    if _is_object(x) or _is_object(y):
        return BOUND
    return combine(largest(x), largest(y))


def multiply(x: Any, y: Any) -> Any:
    """``x * y`` exactly."""
    if isinstance(x, int) and isinstance(y, int):
        return x * y
    x, y = _exact_pair(x, y, _bound(x, y, lambda a, b: a * b))
    return x * y


def add(x: Any, y: Any) -> Any:
    """``x + y`` exactly."""
    if isinstance(x, int) and isinstance(y, int):
        return x + y
    x, y = _exact_pair(x, y, _bound(x, y, lambda a, b: a + b))
    return x + y


def floor_divide(x: Any, d: Any) -> Any:
    """``x // d`` (floor) for positive ``d``."""
    if isinstance(x, int) and isinstance(d, int):
        return x // d
    x, d = _exact_pair(x, d, _bound(x, d, max))
    return x // d


def narrow(x: Any) -> Any:
    """An object array whose values fit back in int64 as int64 (a constant array as its one value)."""
    if _is_object(x) and largest(x) < BOUND:
        x = x.astype(np.int64)
    return x


def reduced(n: Any, d: Any) -> tuple:
    """``(n, d)`` divided by their gcd, numerators narrowed back to int64 where they fit; a denominator that
    is the same everywhere becomes a Python int."""
    if isinstance(d, int) and d == 1:
        return narrow(n), 1
    if isinstance(n, int) and isinstance(d, int):
        g = math.gcd(n, d)
        return n // g, d // g
    if isinstance(d, int):
        values = n.ravel().tolist() if n.dtype == object else None
        g = math.gcd(d, *values) if values is not None else math.gcd(d, int(np.gcd.reduce(n.ravel())))
        return narrow(n // g if g > 1 else n), d // g
    n, d = _exact_pair(n, d, _bound(n, d, max))
    g = _GCD(n, d) if _is_object(n) or _is_object(d) else np.gcd(n, d)
    n, d = narrow(n // g), narrow(d // g)
    if isinstance(d, np.ndarray) and d.size and (d == d.flat[0]).all():
        d = int(d.flat[0])
    return n, d


def scalar_denominator(n: Any, d: Any) -> tuple:
    """``(n, d)`` with ``d`` a Python int (an array of denominators becomes their lcm)."""
    if not isinstance(d, np.ndarray):
        return n, int(d)
    common = math.lcm(*{int(v) for v in d.ravel().tolist()}) if d.size else 1
    return multiply(n, floor_divide(common, d)), common


def _add(a: tuple, b: tuple) -> tuple:
    (n1, d1), (n2, d2) = a, b
    if isinstance(d1, int) and isinstance(d2, int):
        common = math.lcm(d1, d2)
        return reduced(add(multiply(n1, common // d1), multiply(n2, common // d2)), common)
    return reduced(add(multiply(n1, d2), multiply(n2, d1)), multiply(d1, d2))


def _multiply(a: tuple, b: tuple) -> tuple:
    return reduced(multiply(a[0], b[0]), multiply(a[1], b[1]))


def _cross(a: tuple, b: tuple) -> tuple:
    """Numerators of ``a`` and ``b`` over one denominator (what a comparison or a selection compares)."""
    (n1, d1), (n2, d2) = a, b
    if isinstance(d1, int) and isinstance(d2, int):
        common = math.lcm(d1, d2)
        return multiply(n1, common // d1), multiply(n2, common // d2)
    return multiply(n1, d2), multiply(n2, d1)


def _select(masks: list, values: list, size: int) -> tuple:
    """``values[i]`` where ``masks[i]`` is the first that holds (Piecewise, Max, Min)."""
    def pick(parts):
        dtype = object if any(_is_object(p) or (isinstance(p, int) and abs(p) >= BOUND) for p in parts) else np.int64
        return np.select(masks, [np.broadcast_to(np.asarray(p, dtype=dtype), (size,)) for p in parts])
    return reduced(pick([n for n, _ in values]), pick([d for _, d in values]))


class Evaluator:
    """Exact values of expressions at the points whose symbol values ``env`` gives: ``{symbol: (n, d)}``
    with arrays of one length (or scalars). Each sub-expression is evaluated once (``memo``)."""

    def __init__(self, env: Mapping[Any, tuple]):
        import sympy

        self.sympy = sympy
        self.env = dict(env)
        self.memo: dict = {}
        self.size = max((np.size(v) for pair in env.values() for v in pair), default=1)
        s = sympy
        self.rules = {s.Add: self._add, s.Mul: self._mul, s.Pow: self._pow, s.floor: self._floor,
                      s.ceiling: self._ceiling, s.Max: self._max, s.Min: self._min, s.Abs: self._abs,
                      s.Mod: self._mod, s.Piecewise: self._piecewise}
        self.relations = {s.StrictLessThan: np.less, s.LessThan: np.less_equal, s.StrictGreaterThan: np.greater,
                          s.GreaterThan: np.greater_equal, s.Equality: np.equal, s.Unequality: np.not_equal}

    def value(self, e: Any) -> tuple:
        """``e`` as ``(n, d)``."""
        found = self.memo.get(e)
        if found is None:
            found = self.memo[e] = self._value(e)
        return found

    def integers(self, e: Any) -> Any:
        """``e`` as whole numbers (an array or an int); ``Unsupported`` where it is not whole."""
        n, d = self.value(e)
        if isinstance(d, int) and d == 1:
            return n
        raise Unsupported(f"{e} is not a whole number at every point")

    def truth(self, c: Any) -> Any:
        """A condition as a bool array (or a bool)."""
        found = self.memo.get(c)
        if found is None:
            found = self.memo[c] = self._truth(c)
        return found

    def _value(self, e: Any) -> tuple:
        if isinstance(e, int):
            return e, 1
        if e.is_Rational:
            return int(e.p), int(e.q)
        if e.is_Symbol:
            if e not in self.env:
                raise Unsupported(f"no values for {e}")
            return reduced(*self.env[e])
        rule = self.rules.get(type(e))
        if rule is None:
            raise Unsupported(f"cannot evaluate {type(e).__name__} exactly")
        return rule(e)

    def _add(self, e) -> tuple:
        total = (0, 1)
        for a in e.args:
            total = _add(total, self.value(a))
        return total

    def _mul(self, e) -> tuple:
        product = (1, 1)
        for a in e.args:
            product = _multiply(product, self.value(a))
        return product

    def _pow(self, e) -> tuple:
        base, exponent = e.args
        if not exponent.is_Integer:
            raise Unsupported(f"cannot evaluate {e} exactly (a fractional power)")
        n, d = self.value(base)
        k = int(exponent)
        if k < 0:
            if np.any(np.asarray(n) == 0):
                raise Unsupported(f"{e} divides by zero at some point")
            sign = np.sign(n) if isinstance(n, np.ndarray) else (1 if n > 0 else -1)
            n, d, k = multiply(d, sign), multiply(n, sign), -k
        result = (1, 1)
        for _ in range(k):
            result = _multiply(result, (n, d))
        return result

    def _floor(self, e) -> tuple:
        n, d = self.value(e.args[0])
        return (n, 1) if isinstance(d, int) and d == 1 else (narrow(floor_divide(n, d)), 1)

    def _ceiling(self, e) -> tuple:
        n, d = self.value(e.args[0])
        return (n, 1) if isinstance(d, int) and d == 1 else (narrow(-floor_divide(-n, d)), 1)

    def _abs(self, e) -> tuple:
        n, d = self.value(e.args[0])
        return abs(n), d

    def _extreme(self, e, keep) -> tuple:
        result = self.value(e.args[0])
        for a in e.args[1:]:
            other = self.value(a)
            left, right = _cross(result, other)
            if isinstance(left, int) and isinstance(right, int):
                result = result if keep(left, right) else other
            else:
                chosen = keep(*_exact_pair(left, right, 0))
                result = _select([np.broadcast_to(chosen, (self.size,)), np.ones(self.size, dtype=bool)],
                                 [result, other], self.size)
        return result

    def _max(self, e) -> tuple:
        return self._extreme(e, lambda a, b: a >= b)

    def _min(self, e) -> tuple:
        return self._extreme(e, lambda a, b: a <= b)

    def _mod(self, e) -> tuple:
        a, b = (self.value(x) for x in e.args)
        na, nb = _cross(a, b)
        if np.any(np.asarray(nb) == 0):
            raise Unsupported(f"{e} divides by zero at some point")
        na, nb = _exact_pair(na, nb, 0)
        denominator = a[1] * b[1] // math.gcd(a[1], b[1]) if isinstance(a[1], int) and isinstance(b[1], int) \
            else multiply(a[1], b[1])
        return reduced(na % nb, denominator)  # Python's and numpy's % take the divisor's sign, as sympy's Mod

    def _piecewise(self, e) -> tuple:
        masks, values = [], []
        for value, condition in e.args:
            truth = self.truth(condition)
            masks.append(np.broadcast_to(np.asarray(truth, dtype=bool), (self.size,)))
            values.append(self.value(value))
            if masks[-1].all():
                break
        if not np.logical_or.reduce(masks).all():
            raise Unsupported(f"{e} is undefined at some point (no condition holds)")
        if len(values) == 1:
            return values[0]
        return _select(masks, values, self.size)

    def _truth(self, c: Any) -> Any:
        s = self.sympy
        if c is s.true or c is True:
            return True
        if c is s.false or c is False:
            return False
        if isinstance(c, s.And):
            return np.logical_and.reduce([self.truth(a) for a in c.args])
        if isinstance(c, s.Or):
            return np.logical_or.reduce([self.truth(a) for a in c.args])
        if isinstance(c, s.Not):
            return np.logical_not(self.truth(c.args[0]))
        if isinstance(c, s.ITE):
            return np.where(self.truth(c.args[0]), self.truth(c.args[1]), self.truth(c.args[2]))
        compare = self.relations.get(type(c))
        if compare is None:
            raise Unsupported(f"cannot evaluate the condition {c} exactly")
        left, right = _cross(self.value(c.lhs), self.value(c.rhs))
        if isinstance(left, int) and isinstance(right, int):
            return bool(compare(np.asarray(left, dtype=object), np.asarray(right, dtype=object)))
        return compare(*_exact_pair(left, right, 0))
