"""The vocabulary every layer shares: what a value is, how it is shown, how a misspelt name is corrected,
what kind a parameter is and how a value given for it is checked.

Ground floor: imports nothing of costmodel but ``errors`` and ``limits``, and
imports sympy only inside ``misreading`` (elsewhere a sympy value is recognised by its attributes; whoever
made it imported sympy already).

* ``show`` prints any value a user gave or we computed, on one line, as a user writes it.
* ``suggest`` gives `` (did you mean a, b?)`` for a misspelt name.
* ``as_rational`` turns a decimal number into the exact fraction it writes (``0.75`` -> ``3/4``).
* ``Parameter`` (name, default, kind, choices) and ``kind_of``, which derives the kind from a
  default; ``Parameter.check`` types and checks a value. The checks ``check_whole``,
  ``check_ratio``, ``check_flag`` and ``check_choice`` raise one ``UsageError`` per
  mistake, worded ``<owner> <parameter> must be <constraint>, got <value>``; numbers stay within
  ``limits`` (a whole number at most ``MAX_DIMENSION``, a ratio's numerator and denominator too).
* ``check_symbol_name`` refuses a symbol name that ``sympy.sympify`` would not read back as that symbol
  (``I``, ``E``, ``pi``, ``beta``, ``true``...): results hold symbols by name and are read back with sympify.
"""
from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any, Iterable

from . import limits
from .errors import UsageError

KINDS = ("whole", "ratio", "flag", "choice")
_MAX_DECIMAL_PLACES = 20  # a fraction needing more places is shown as p/q
_MAX_SHOWN_BITS = 1024  # a longer number is described by its digit count, not printed


# ----- what a value is ----------------------------------------------------------------------------------------
def is_expression(value: Any) -> bool:
    """True for a sympy object, symbols in it or not. The test is on its type: ``hasattr(value,
    "free_symbols")`` on the value computes its free symbols, a walk of the whole expression."""
    return hasattr(type(value), "free_symbols")


def is_symbolic(value: Any) -> bool:
    """True for a sympy object with free symbols (anything not reducible to a plain number). The walk stops
    at the first symbol (``free_symbols`` collects them all); a closed form here binds no variables (no
    ``Lambda``, ``Sum`` or ``Integral``), so each symbol in it is free."""
    if not is_expression(value):
        return False
    if not isinstance(getattr(value, "args", None), tuple):  # a mutable matrix
        return bool(value.free_symbols)
    pending = [value]
    while pending:
        expr = pending.pop()
        if expr.is_Symbol:
            return True
        pending.extend(expr.args)
    return False


def known(condition: Any) -> bool | None:
    """The truth of a comparison, or None when it depends on symbols whose values are unknown."""
    if isinstance(condition, bool):
        return condition
    try:
        return bool(condition)
    except TypeError:
        return None


def is_number(value: Any) -> bool:
    """An exact number: an int or a Fraction (not a bool, not a float, not a symbol)."""
    return isinstance(value, (int, Fraction)) and not isinstance(value, bool)


def as_rational(value: Any) -> Any:
    """The exact rational number ``value`` stands for; values of other types pass unchanged.

    A float becomes the fraction its shortest decimal writes (``0.75`` -> ``Fraction(3, 4)``, ``0.1`` ->
    ``Fraction(1, 10)``, not the binary float's 3602879701896397/36028797018963968); a sympy number (no free
    symbols) becomes a Fraction; a Fraction with denominator 1 becomes an int. Infinite and NaN floats pass
    unchanged (a check then refuses them).
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return value
        value = Fraction(repr(float(value)))
    elif getattr(value, "is_Rational", False) and not is_symbolic(value):
        value = Fraction(int(value.p), int(value.q))
    if isinstance(value, Fraction) and value.denominator == 1:
        return value.numerator
    return value


# ----- how a value is shown -----------------------------------------------------------------------------------
def show(value: Any, limit: int | None = None) -> str:
    """``value`` as a user writes it, on one line; shortened with ``...`` past ``limit`` characters.

    ints as digits; a Fraction as the decimal it is when that decimal is finite (``0.75``, ``-0.5``), else
    ``p/q`` (``1/3``); a float as Python prints it (``0.7``, ``1.0``); ``true``/``false``; ``null`` for None;
    a string quoted (``'paper'``); a sympy expression as sympy prints it (``floor(alpha*32)``); a tuple or
    list (a shape) as ``[a, b, c]``.
    """
    text = " ".join(_text(value).split())
    if limit is not None and len(text) > limit:
        text = text[:max(limit - 3, 0)] + "..."
    return text


def _text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", None) == "b":
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, float):
        return repr(float(value))
    if getattr(value, "is_Rational", False) and not is_symbolic(value):
        value = Fraction(int(value.p), int(value.q))
    if isinstance(value, Fraction):
        if max(abs(value.numerator), value.denominator).bit_length() > _MAX_SHOWN_BITS:
            return f"a fraction of about {_digits(value.numerator)}/{_digits(value.denominator)} digits"
        return _fraction_text(value)
    if isinstance(value, int) and value.bit_length() > _MAX_SHOWN_BITS:
        return f"{'-' if value < 0 else ''}a number of about {_digits(value)} digits"
    return str(value)


def _digits(value: int) -> int:
    """Decimal digits of ``value``, estimated from its bits (never printing it: Python refuses past 4300)."""
    return max(1, int(abs(value).bit_length() * 0.30103) + 1)


def _fraction_text(value: Fraction) -> str:
    """``3/4`` -> ``0.75``; ``1/3`` -> ``1/3`` (no finite decimal); ``2/1`` -> ``2``."""
    if value.denominator == 1:
        return str(value.numerator)
    rest, twos, fives = value.denominator, 0, 0
    while rest % 2 == 0:
        rest, twos = rest // 2, twos + 1
    while rest % 5 == 0:
        rest, fives = rest // 5, fives + 1
    places = max(twos, fives)
    if rest != 1 or places > _MAX_DECIMAL_PLACES:
        return f"{value.numerator}/{value.denominator}"
    digits = str(abs(value.numerator) * 10 ** places // value.denominator).rjust(places + 1, "0")
    return f"{'-' if value < 0 else ''}{digits[:-places]}.{digits[-places:]}"


def suggest(word: Any, options: Iterable, separator: str = ", ") -> str:
    """`` (did you mean a, b?)`` naming up to three of ``options`` close to ``word`` (joined by
    ``separator``), or ``""``."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, [str(option) for option in options], n=3)
    return f" (did you mean {separator.join(close)}?)" if close else ""


def excerpt(text: Any, limit: int = 40) -> str:
    """Text a user wrote, quoted back in a message: on one line, shortened with ``...`` past ``limit``
    characters (unlike ``show``, which prints a value, this echoes the text as written)."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


SI_PREFIXES = ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "k"))  # SI's lower-case k, as in kB


def si_prefix(value: Any, decimals: int | None = 2, unit: str = "") -> str:
    """A count with an SI prefix, the one style of tables and plots: ``568740352`` -> ``568.74M``,
    ``1000`` -> ``1.00k``, ``999`` -> ``999``; ``decimals=None`` gives the shortest form (plot ticks:
    ``1500`` -> ``1.5k``); ``unit`` follows the prefix (``2048, unit="B"`` -> ``2.05kB``, ``512B``).

    The prefix is chosen after rounding (``999999`` -> ``1.00M``, not ``1000.00k``); numbers below 1000
    keep their digits (an int as it is, anything else with ``decimals`` places). NaN and infinities are
    shown as Python prints them.
    """
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        return f"{number}{unit}"

    def written(scaled: float) -> str:
        return f"{scaled:g}" if decimals is None else f"{scaled:.{decimals}f}"

    scales = ((1, ""),) + tuple(reversed(SI_PREFIXES))
    step = next((i for i in range(len(scales) - 1, -1, -1) if abs(number) >= scales[i][0]), 0)
    size, prefix = scales[step]
    text = str(value) if step == 0 and isinstance(value, int) else written(number / size)
    if step + 1 < len(scales) and abs(float(text)) >= 1000:  # rounding reached the next prefix
        size, prefix = scales[step + 1]
        text = written(number / size)
    return text + prefix + unit


# ----- symbol names -------------------------------------------------------------------------------------------
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: Greek letters whose names sympy reads as something else (``beta``, ``gamma`` and ``zeta`` are functions,
#: ``lambda`` a Python word). As symbol names they are spelled with the letter itself, which sympify reads
#: back as a symbol: ``-s resolution=beta`` makes the symbol ``β``, as the papers write it.
GREEK_LETTERS = {"beta": "β", "gamma": "γ", "zeta": "ζ", "lambda": "λ"}
_LETTERS = frozenset(GREEK_LETTERS.values())


def spelled(name: str) -> str:
    """The name a symbol called ``name`` gets: the letter for a Greek letter's name in ``GREEK_LETTERS``
    (``beta`` -> ``β``), else ``name`` itself."""
    return GREEK_LETTERS.get(name, name) if isinstance(name, str) else name


@lru_cache(maxsize=1)
def _sympy_namespace() -> dict[str, Any]:
    """The names ``sympy.sympify`` resolves to objects of its own rather than to a new symbol: what its parser
    starts from (``from sympy import *``, the builtin functions, ``max``/``min`` as Max/Min), kept where its
    ``auto_symbol`` step keeps them (sympy objects, assumption keys, classes, callables)."""
    import builtins
    import types

    import sympy
    from sympy.assumptions.ask import AssumptionKeys

    namespace = {name: getattr(sympy, name) for name in sympy.__all__ if hasattr(sympy, name)}
    namespace.update({name: obj for name, obj in vars(builtins).items() if isinstance(obj, types.BuiltinFunctionType)})
    namespace.update(max=sympy.Max, min=sympy.Min)
    return {name: obj for name, obj in namespace.items()
            if isinstance(obj, (AssumptionKeys, sympy.Basic, type)) or callable(obj)}


@lru_cache(maxsize=4096)
def misreading(name: str) -> str | None:
    """What ``sympy.sympify`` reads the name ``name`` as when it is not the symbol ``name`` itself (``I`` is
    the imaginary unit, ``beta`` a function, ``true`` a boolean, ``lambda`` a Python word), else None.

    Results hold symbols by name and are read back with sympify, so a name must mean itself. Decided by
    looking the name up where sympify's parser would (nothing is parsed or evaluated; the tests hold the
    two equal on thousands of names); text that is not an identifier of at most ``MAX_NAME_CHARS`` is not a
    name at all.
    """
    import keyword

    if name in _LETTERS:
        return None
    if not isinstance(name, str) or len(name) > limits.MAX_NAME_CHARS or not _IDENTIFIER.fullmatch(name):
        return "not a name"
    if keyword.iskeyword(name) or name in ("True", "False", "None"):
        return "a Python word, not a symbol"
    obj = _sympy_namespace().get(name)
    if obj is None:
        return None
    import sympy

    if isinstance(obj, sympy.Basic):
        return f"{type(obj).__name__} {obj}" if str(obj) != name else type(obj).__name__
    return f"the function {name}" if callable(obj) else f"the object {name} ({type(obj).__name__})"


def check_symbol_name(name: Any, what: str = "symbol name", *, spell: bool = True) -> str:
    """The symbol name ``name`` spells (``spelled``: ``beta`` -> ``β``; not when ``spell`` is false, for the
    name of a symbol already made) when that reads back as the symbol of that name, else one ``UsageError``:
    ``<what> 'I' would not mean itself when results are read back: sympy reads it as ImaginaryUnit; pick
    another name``."""
    name = spelled(name) if spell else name
    if name in _LETTERS:
        return name
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
        raise UsageError(f"{what} must be letters, digits and _, not starting with a digit, got "
                         f"{show(name, limit=60)}")
    if len(name) > limits.MAX_NAME_CHARS:
        raise UsageError(f"{what} must be at most {limits.MAX_NAME_CHARS} characters, got {len(name)}")
    reading = misreading(name)
    if reading is not None:
        letter = f" (or {GREEK_LETTERS[name]})" if name in GREEK_LETTERS else ""
        raise UsageError(f"{what} {show(name)} would not mean itself when results are read back: sympy reads it "
                         f"as {reading}; pick another name{letter}")
    return name


def check_symbol_names(value: Any, what: str) -> Any:
    """``value`` when every free symbol of it passes ``check_symbol_name`` (numbers pass)."""
    for free in sorted(getattr(value, "free_symbols", ()) or (), key=str):
        check_symbol_name(str(free), f"{what}: symbol", spell=False)
    return value


# ----- parameters and their checks ----------------------------------------------------------------------------
def _refuse(owner: str, parameter: str, constraint: str, value: Any) -> UsageError:
    return UsageError(f"{owner} {parameter} must be {constraint}, got {show(value, limit=60)}")


def check_whole(owner: str, parameter: str, value: Any, minimum: int = 1,
                maximum: int = limits.MAX_DIMENSION) -> Any:
    """A whole number from ``minimum`` to ``maximum``, or a symbol whose name reads back; returned typed
    (``2.0`` -> ``2``)."""
    value = _exact(owner, parameter, value)
    if is_symbolic(value):
        return check_symbol_names(value, f"{owner} {parameter}")
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise _refuse(owner, parameter, f"a whole number, at least {minimum}", value)
    if value > maximum:
        raise _refuse(owner, parameter, f"at most {maximum}", value)
    return value


def _exact(owner: str, parameter: str, value: Any) -> Any:
    """``as_rational`` of ``value``, a float too large for any size refused before its digits are built."""
    if isinstance(value, float) and math.isfinite(value) and abs(value) > limits.MAX_DIMENSION:
        raise _refuse(owner, parameter, f"at most {limits.MAX_DIMENSION}", value)
    return as_rational(value)


def check_ratio(owner: str, parameter: str, value: Any) -> Any:
    """A positive exact number (``0.75`` becomes 3/4) whose numerator and denominator are at most
    ``MAX_DIMENSION``, or a symbol whose name reads back; returned typed."""
    value = _exact(owner, parameter, value)
    if is_symbolic(value):
        return check_symbol_names(value, f"{owner} {parameter}")
    if not is_number(value) or value <= 0:
        raise _refuse(owner, parameter, "a positive number", value)
    exact = Fraction(value)
    if exact.numerator > limits.MAX_DIMENSION or exact.denominator > limits.MAX_DIMENSION:
        raise _refuse(owner, parameter, f"a number whose numerator and denominator are at most "
                                        f"{limits.MAX_DIMENSION}", value)
    return value


def check_flag(owner: str, parameter: str, value: Any) -> bool:
    """``True`` or ``False`` (not 1 or 0, not a word)."""
    if not isinstance(value, bool):
        raise _refuse(owner, parameter, "true or false", value)
    return value


def check_choice(owner: str, parameter: str, value: Any, choices: tuple) -> Any:
    """One of ``choices`` (words listed bare: ``one of paper, torchvision``)."""
    if is_symbolic(value) or value not in choices:
        listed = ", ".join(c if isinstance(c, str) else show(c) for c in choices)
        raise _refuse(owner, parameter, f"one of {listed}", value)
    return value


_KIND_CHECKS = {"ratio": check_ratio, "flag": check_flag}


def kind_of(default: Any) -> str:
    """The kind a parameter's default implies: bool -> ``flag``, int -> ``whole``, Fraction or float ->
    ``ratio``, str -> ``choice``."""
    if isinstance(default, bool):
        return "flag"
    if isinstance(default, int):
        return "whole"
    if isinstance(default, (Fraction, float)):
        return "ratio"
    if isinstance(default, str):
        return "choice"
    raise TypeError(f"cannot tell a parameter's kind from its default {default!r}")


@dataclass(frozen=True)
class Parameter:
    """A parameter of something that builds a graph.

    ``kind``: ``whole`` (positive whole number or integer symbol: resolution, classes, groups, blocks),
    ``ratio`` (positive exact number or positive symbol: width), ``flag`` (bool) or ``choice`` (a word);
    ``choices``: the allowed values where they are few (a variant, ShuffleNet's groups).
    """

    name: str
    default: Any
    kind: str
    choices: tuple = ()
    doc: str = ""
    maximum: int = limits.MAX_DIMENSION  # of a whole number; below MAX_DIMENSION it counts things built: no symbol

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"parameter {self.name}: kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"parameter {self.name}: a choice needs its choices")

    @classmethod
    def from_default(cls, name: str, default: Any, choices: tuple = (), doc: str = "",
                     maximum: int = limits.MAX_DIMENSION) -> "Parameter":
        """The parameter whose kind ``kind_of`` derives from ``default`` (a float default is kept as
        the Fraction it writes: ``1.0`` -> ``Fraction(1, 1)``, a ratio)."""
        kind = kind_of(default)
        if isinstance(default, float):
            default = Fraction(repr(default))
        return cls(name, default, kind, tuple(choices), doc, maximum)

    def check(self, owner: str, value: Any) -> Any:
        """``value`` typed (decimals become exact fractions) and checked against the kind and the choices;
        a ``UsageError`` ``<owner> <name> must be ..., got <value>`` otherwise."""
        if self.kind == "whole":
            if self.maximum < limits.MAX_DIMENSION and is_symbolic(value):  # it counts things to build
                raise _refuse(owner, self.name, f"a whole number from 1 to {self.maximum} (it counts what is "
                                                f"built, so it cannot be a symbol)", value)
            value = check_whole(owner, self.name, value, maximum=self.maximum)
        elif self.kind in _KIND_CHECKS:
            value = _KIND_CHECKS[self.kind](owner, self.name, value)
        if self.choices:
            value = check_choice(owner, self.name, value, self.choices)
        return value
