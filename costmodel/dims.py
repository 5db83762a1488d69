"""Arithmetic on dimensions that are either Python ints or sympy expressions.

Cost and shape rules are written in plain arithmetic (``+ - * //``) so that one rule serves exact integers
and closed forms alike. This module holds the few helpers that need to know which of the two they have,
and it never imports sympy: a sympy object reaching here was made by a caller who imported it already.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from fractions import Fraction
from typing import Any, Iterable, Iterator, Union

from . import limits
from .values import is_expression, is_symbolic, known, show  # noqa: F401 (is_symbolic and known are used through dims)

Dim = Union[int, Any]  # an int, or a sympy expression standing for one
Shape = tuple  # per-sample tensor shape, (C, H, W) or (F,)


class TooLarge(TypeError):
    """A size past ``MAX_DIMENSION``; ``constraint`` is the wording without the name."""

    def __init__(self, what: str, value: int):
        self.constraint = f"must be at most {limits.MAX_DIMENSION} (2**31), got {show(value, limit=40)}"
        super().__init__(f"{what} {self.constraint}")


_RELAXED: ContextVar[bool] = ContextVar("costmodel_relaxed", default=False)


@contextmanager
def relaxed(on: bool = True) -> Iterator[None]:
    """Build without rounding rules while inside (``load(..., relax=True)``): a symbolic size through a
    sliding window of stride ``s`` becomes ``n/s`` and the zoo's channel rules give ``width*c`` unrounded.
    Numbers keep their exact rules; the graph remembers it was built relaxed (``Graph.relaxed``)."""
    token = _RELAXED.set(bool(on))
    try:
        yield
    finally:
        _RELAXED.reset(token)


def is_relaxed() -> bool:
    """Whether the graph being built drops rounding rules (see ``relaxed``)."""
    return _RELAXED.get()


def as_dim(value: Any, what: str) -> Dim:
    """Normalise a dimension or hyper-parameter: ints stay ints, sympy integers become ints.

    Floats, strings and booleans are refused: sizes are whole numbers or symbols. A whole number past
    ``MAX_DIMENSION`` either way raises ``TooLarge`` (a TypeError naming ``what`` and the limit).
    """
    if type(value) is int and -limits.MAX_DIMENSION <= value <= limits.MAX_DIMENSION:
        return value  # the common case, first (a bool is not of type int)
    if isinstance(value, bool):
        raise TypeError(f"{what} must be an integer or a symbol, got {value!r}")
    if getattr(value, "is_Integer", False) and not isinstance(value, int):
        value = int(value)
    if isinstance(value, int):
        if abs(value) > limits.MAX_DIMENSION:
            raise TooLarge(what, value)
        return value
    if is_expression(value):
        if is_symbolic(value):
            return value
        if getattr(value, "is_integer", False):
            return int(value)
    raise TypeError(f"{what} must be an integer or a symbol, got {value!r}")


def surely_not_multiple(value: Dim, divisor: Dim) -> bool:
    """True only when ``value`` is provably not a multiple of ``divisor``."""
    remainder = value % divisor
    if isinstance(remainder, int):
        return remainder != 0
    return getattr(remainder, "is_zero", None) is False


def surely_different(a: Dim, b: Dim) -> bool:
    """True only when ``a != b`` for every value of their symbols."""
    difference = a - b
    if isinstance(difference, int):
        return difference != 0
    return getattr(difference, "is_zero", None) is False


def surely_below(value: Dim, bound: int) -> bool:
    """True only when ``value < bound`` holds for every value of its symbols."""
    if type(value) is int:
        return value < bound
    key = (value, bound)
    below = _BELOW.get(key)
    if below is None:
        if len(_BELOW) > 100_000:  # bounded memory over a long session
            _BELOW.clear()
        below = _BELOW[key] = known(value < bound) is True
    return below


_BELOW: dict = {}  # (sympy value, bound) -> surely_below: the spatial sizes of a network recur layer after layer


def larger(a: Dim, b: Dim) -> Dim:
    """max(a, b); a sympy ``Max`` when the comparison depends on symbols."""
    decided = known(a >= b)
    if decided is None:
        from sympy import Max  # a and b are sympy objects already
        return Max(a, b)
    return a if decided else b


def smaller(a: Dim, b: Dim) -> Dim:
    """min(a, b); a sympy ``Min`` when the comparison depends on symbols."""
    decided = known(a <= b)
    if decided is None:
        from sympy import Min
        return Min(a, b)
    return a if decided else b


def ceil_div(a: Dim, b: Dim) -> Dim:
    """ceil(a / b) with integer arithmetic (a ceiling function for symbols)."""
    return -((-a) // b)


def exact_ratio(numerator: Dim, denominator: Dim) -> Any:
    """``numerator / denominator`` without floats: a Fraction (or int) for numbers, sympy otherwise."""
    if isinstance(numerator, (int, Fraction)) and isinstance(denominator, (int, Fraction)):
        ratio = Fraction(numerator) / Fraction(denominator)
        return ratio.numerator if ratio.denominator == 1 else ratio
    return numerator / denominator


def quotient(numerator: Dim, divisor: Dim) -> Dim:
    """``numerator / divisor`` for a divisor known (or assumed, when symbolic) to divide exactly.

    Ints use ``//``; symbols use true division so that closed forms stay free of floor functions.
    """
    if isinstance(numerator, int) and isinstance(divisor, int):
        return numerator // divisor
    return numerator / divisor


def broadcast(left: tuple, right: tuple) -> tuple | None:
    """Two shapes broadcast by NumPy's rule (right-aligned; a 1 stretches to the other's size), or None when
    they surely do not."""
    rank = max(len(left), len(right))
    left = (1,) * (rank - len(left)) + tuple(left)
    right = (1,) * (rank - len(right)) + tuple(right)
    result = []
    for a, b in zip(left, right):
        if isinstance(a, int) and a == 1:
            result.append(b)
        elif isinstance(b, int) and b == 1 or not surely_different(a, b):
            result.append(a)
        else:
            return None
    return tuple(result)


def product(values: Iterable[Dim]) -> Dim:
    """The product of dimensions; 1 for none."""
    result: Dim = 1
    for value in values:
        result = result * value
    return result


def pair(value: Any, what: str) -> tuple[Dim, Dim]:
    """Accept ``k`` or ``(kh, kw)`` and return ``(kh, kw)`` as dimensions."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise TypeError(f"{what} must be one value or a pair (height, width), got {list(value)!r}")
        return as_dim(value[0], what), as_dim(value[1], what)
    dim = as_dim(value, what)
    return dim, dim


fmt = show  # a dimension or shape as users write it: ``32``, ``c1``, ``[32, 56, 56]`` (see values.show)
