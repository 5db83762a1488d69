"""Exact arithmetic on the values of spec expressions.

A value is an ``int``, a ``Fraction`` (``7 / 2``: a ``/`` that does not divide stays exact) or, once a
symbol without a value is involved, a sympy expression. No float ever appears. sympy is imported only when a
sympy value is already at hand, or for the square root of a number that is not a perfect square, so an
all-numeric spec never loads it.

Every operation returns a *normal* value: Fractions with denominator 1 become ints, sympy numbers become
ints or Fractions, and no number exceeds ``MAX_NUMBER_BITS`` bits. Mistakes raise
``ArithmeticProblem`` with a message fragment; the expression walker adds where it happened.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from ..values import excerpt
from .limits import MAX_NUMBER_BITS, MAX_NUMBER_DIGITS, MAX_SYMBOLIC_EXPONENT


class ListValue(tuple):
    """A list value (``widths: [32, 64]``, a block argument ``k: [1, 7]``, ``[a, b]``): its items are values
    (lists too: a table of rows); shown as written, ``[32, 64]``."""

    def __str__(self) -> str:
        return "[" + ", ".join(str(item) for item in self) + "]"

    __repr__ = __str__


class ArithmeticProblem(Exception):
    """An operation that has no exact answer (division by zero, a number too large, an undecidable test)."""


shown = excerpt  # what a user wrote, quoted back in a message: costmodel.values.excerpt


def is_number(value: Any) -> bool:
    return isinstance(value, (int, Fraction)) and not isinstance(value, bool)


def decimal(text: str) -> int | Fraction:
    """The exact value of a decimal written as ``text`` (``16.0000000000000000001``, ``1.5e-3``, ``1_000.5``),
    its length and power of ten checked before the number is built."""
    bare = text.replace("_", "")
    mantissa, _, exponent = bare.lower().partition("e")
    exponent_digits = exponent.lstrip("+-").lstrip("0")
    if len(mantissa) > MAX_NUMBER_DIGITS or len(exponent_digits) > 3 \
            or (exponent_digits and int(exponent_digits) > MAX_NUMBER_DIGITS):
        raise ArithmeticProblem(f"the number {shown(text)} is written with more than {MAX_NUMBER_DIGITS} digits or "
                                f"a power of ten beyond 1e{MAX_NUMBER_DIGITS}, the limit")
    try:
        return normal(Fraction(bare))
    except (ValueError, ZeroDivisionError):
        raise ArithmeticProblem(f"cannot read {shown(text)} as a finite number") from None


def _sympy():
    import sympy  # only reached with a sympy value in hand, or for an irrational square root
    return sympy


def _bits(value: int | Fraction) -> int:
    if isinstance(value, Fraction):
        return max(abs(value.numerator).bit_length(), value.denominator.bit_length())
    return abs(value).bit_length()


def normal(value: Any) -> Any:
    """``value`` in normal form (see the module docstring); ``ArithmeticProblem`` if it is none."""
    if isinstance(value, bool):
        raise ArithmeticProblem(f"{str(value).lower()} is not a number")
    if isinstance(value, (int, Fraction)):
        if _bits(value) > MAX_NUMBER_BITS:
            raise ArithmeticProblem(f"a number grows beyond {MAX_NUMBER_BITS} bits, the limit")
        if isinstance(value, Fraction) and value.denominator == 1:
            return value.numerator
        return value
    sympy = _sympy()
    if not isinstance(value, sympy.Expr):
        raise ArithmeticProblem(f"{value!r} is not a number")
    if value.free_symbols:
        return value
    if value.is_Integer:
        return normal(int(value))
    if value.is_Rational:
        return normal(Fraction(int(value.p), int(value.q)))
    if value.is_Float:
        return normal(Fraction(str(value)))
    if value.is_finite is not True or value.is_real is not True:
        raise ArithmeticProblem(f"the result {shown(value)} is not a finite real number")
    return value  # an irrational constant such as sqrt(2)


def lift(value: Any) -> Any:
    """A value as a sympy object (called only when sympy is in use already)."""
    if isinstance(value, Fraction):
        return _sympy().Rational(value.numerator, value.denominator)
    if isinstance(value, int):
        return _sympy().Integer(value)
    return value


def _nonzero_divisor(divisor: Any) -> None:
    if is_number(divisor) and divisor == 0:
        raise ArithmeticProblem("division by zero")


def add(a: Any, b: Any) -> Any:
    return normal(a + b if is_number(a) and is_number(b) else lift(a) + lift(b))


def subtract(a: Any, b: Any) -> Any:
    return normal(a - b if is_number(a) and is_number(b) else lift(a) - lift(b))


def multiply(a: Any, b: Any) -> Any:
    return normal(a * b if is_number(a) and is_number(b) else lift(a) * lift(b))


def divide(a: Any, b: Any) -> Any:
    """``a / b`` exactly: a Fraction when it does not divide."""
    _nonzero_divisor(b)
    if is_number(a) and is_number(b):
        return normal(Fraction(a) / Fraction(b))
    return normal(lift(a) / lift(b))


def floor_divide(a: Any, b: Any) -> Any:
    """``a // b`` = floor(a / b), for Fractions too; ``floor(a/b)`` in sympy."""
    _nonzero_divisor(b)
    if is_number(a) and is_number(b):
        return normal(Fraction(a) // Fraction(b))
    return normal(_sympy().floor(lift(a) / lift(b)))


def modulo(a: Any, b: Any) -> Any:
    """``a % b`` with the sign of ``b`` (Python's rule); ``Mod(a, b)`` in sympy."""
    _nonzero_divisor(b)
    if is_number(a) and is_number(b):
        return normal(Fraction(a) % Fraction(b))
    return normal(_sympy().Mod(lift(a), lift(b)))


def power(a: Any, b: Any) -> Any:
    """``a ** b`` for a whole exponent (refused before computing when the result would be too large)."""
    if is_number(b):
        if isinstance(b, Fraction):
            raise ArithmeticProblem(f"the exponent must be a whole number, got {b} (use sqrt for roots)")
        if is_number(a):
            if a == 0 and b < 0:
                raise ArithmeticProblem("division by zero (0 to a negative power)")
            if abs(b) * max(_bits(a) - 1, 0) > MAX_NUMBER_BITS:
                raise ArithmeticProblem(f"{a} ** {b} would grow beyond {MAX_NUMBER_BITS} bits, the limit")
            return normal(Fraction(a) ** b)
        if abs(b) > MAX_SYMBOLIC_EXPONENT:
            raise ArithmeticProblem(f"the exponent {b} is above the limit of {MAX_SYMBOLIC_EXPONENT} for a "
                                    f"symbolic base")
    return normal(lift(a) ** lift(b))


def negate(a: Any) -> Any:
    return normal(-a)


_DECIDE = {
    "==": ("is_zero", lambda d: d == 0), "!=": ("is_zero", lambda d: d != 0),
    "<": ("is_negative", lambda d: d < 0), "<=": ("is_nonpositive", lambda d: d <= 0),
    ">": ("is_positive", lambda d: d > 0), ">=": ("is_nonnegative", lambda d: d >= 0),
}


def compare(operator: str, a: Any, b: Any) -> int:
    """1 if ``a operator b`` holds, else 0; ``ArithmeticProblem`` when it depends on unknown symbols."""
    attribute, decide = _DECIDE[operator]
    difference = subtract(a, b)
    if is_number(difference):
        return int(decide(difference))
    known = getattr(difference, attribute)
    if known is None:
        raise ArithmeticProblem(f"cannot decide {shown(a)} {operator} {shown(b)}: it depends on symbols without "
                                f"values")
    return int(known) if operator != "!=" else int(not known)


def truth(value: Any) -> bool:
    """Whether a value counts as true (non-zero); ``ArithmeticProblem`` when that depends on symbols."""
    if is_number(value):
        return value != 0
    zero = value.is_zero
    if zero is None:
        raise ArithmeticProblem(f"cannot decide whether {shown(value)} is zero: it depends on symbols without "
                                f"values")
    return not zero


# ----- functions --------------------------------------------------------------------------------------------
def _floor(x: Any) -> Any:
    return math.floor(x) if is_number(x) else normal(_sympy().floor(x))


def _ceil(x: Any) -> Any:
    return math.ceil(x) if is_number(x) else normal(_sympy().ceiling(x))


def _sqrt(x: Any) -> Any:
    if is_number(x):
        if x < 0:
            raise ArithmeticProblem(f"sqrt of the negative number {x}")
        fraction = Fraction(x)
        top, bottom = math.isqrt(fraction.numerator), math.isqrt(fraction.denominator)
        if top * top == fraction.numerator and bottom * bottom == fraction.denominator:
            return normal(Fraction(top, bottom))
    return normal(_sympy().sqrt(lift(x)))


def _round(x: Any) -> Any:
    """Python's ``round(x)``: the nearest whole number, a half to the even one (``round(2.5)`` is 2,
    ``round(3.5)`` is 4), as PyTorch and torchvision code computes it; exact for Fractions."""
    if is_number(x):
        return round(Fraction(x))
    if x.free_symbols:
        raise ArithmeticProblem(f"round({shown(x)}) depends on symbols without values (a half goes to the even "
                                f"number, which has no closed form; floor(x + 1/2) rounds halves up)")
    return normal(_sympy().floor(x + _sympy().Rational(1, 2)))  # an irrational constant is never a half


def _extreme(pick: Callable, sympy_name: str) -> Callable:
    def extreme(*values: Any) -> Any:
        if all(is_number(v) for v in values):
            return pick(values)
        return normal(getattr(_sympy(), sympy_name)(*(lift(v) for v in values)))
    return extreme


def _whole(value: Any, what: str, minimum: int) -> int:
    if not isinstance(value, int) or value < minimum:
        raise ArithmeticProblem(f"make_divisible's {what} must be a whole number of at least {minimum}, got {value}")
    return value


def _make_divisible(value: Any, divisor: Any = 8, min_value: Any = None) -> Any:
    from ..zoo.common import make_divisible

    divisor = _whole(divisor, "divisor", 1)
    min_value = None if min_value is None else _whole(min_value, "min_value", 0)
    if not is_number(value) and not value.free_symbols:
        raise ArithmeticProblem(f"make_divisible needs a rational or symbolic value, got {shown(value)}")
    return normal(make_divisible(value, divisor, min_value))


#: name -> (fewest arguments, most arguments or None, implementation)
FUNCTIONS: dict[str, tuple[int, int | None, Callable]] = {
    "ceil": (1, 1, _ceil),
    "floor": (1, 1, _floor),
    "make_divisible": (1, 3, _make_divisible),
    "max": (1, None, _extreme(max, "Max")),
    "min": (1, None, _extreme(min, "Min")),
    "round": (1, 1, _round),
    "sqrt": (1, 1, _sqrt),
}
