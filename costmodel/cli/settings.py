"""Command-line text -> typed values: ``-s NAME=VALUE`` and ``--grid NAME=START:STOP:STEP`` (or ``V1,V2,...``).

The only place that reads a user's text as a value. Each value is typed after the target's
``Parameter`` kind:

* ``flag``: true/false/yes/no/1/0; ``choice``: the word as written;
* ``whole`` and ``ratio``: an exact number (``224``, ``0.75`` is 3/4, ``3/4``, ``1e3``; never a float), a
  symbol name (``alpha``: a positive sympy symbol, an integer one unless the parameter is a ratio) or an
  expression in symbols (``32*k``), read by the spec language's whitelisted walker
  (``costmodel.spec.expressions``): nothing a user writes is evaluated by Python.
"""
from __future__ import annotations

import re
from contextlib import contextmanager
from fractions import Fraction
from typing import Any, Iterable, Iterator, Mapping

from .. import limits
from ..errors import UsageError
from ..targets import Target
from ..values import Parameter, check_symbol_name, show, spelled

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SYMBOL = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")  # no leading underscore: our JSON is read back by sympify
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?(/\d+)?$")
_WORDS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def split_settings(settings: Iterable[str]) -> dict[str, str]:
    """``["width=0.5", "resolution=r"]`` -> ``{"width": "0.5", "resolution": "r"}`` (values still text)."""
    parsed: dict[str, str] = {}
    for setting in settings:
        name, sep, value = setting.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not _NAME.match(name) or not value:
            raise UsageError(f"-s expects NAME=VALUE with VALUE a number or a symbol name, got {setting!r}")
        if name in parsed:
            raise UsageError(f"-s sets {name} twice ({parsed[name]} and {value})")
        parsed[name] = value
    return parsed


ASSUMPTIONS = {"integer": True, "real": False}  # what --assume NAME=KIND says of a symbol (always positive)


def parse_assumptions(assumptions: Iterable[str]) -> tuple[dict[str, bool], dict[str, Any]]:
    """``--assume`` texts -> ``(kinds, bounds)``: ``k=real`` / ``k=integer`` say whether the symbol ``k`` is
    any positive number or a positive integer (overriding what the parameter it appears in would make it);
    ``alpha>=1/4`` says it is at least that number, which resolves the maxima and floors it decides."""
    kinds: dict[str, bool] = {}
    bounds: dict[str, Any] = {}
    for assumption in assumptions:
        name, sep, bound = (part.strip() for part in assumption.partition(">="))
        if sep:
            if not _SYMBOL.match(name) or not _NUMBER.match(bound):
                raise UsageError(f"--assume expects NAME>=NUMBER, got {show(assumption, limit=60)}")
            value = _exact_number(bound, f"--assume {name}")
            name = check_symbol_name(name, f"--assume {name}")
            if value <= 0 or name in bounds:
                raise UsageError(f"--assume {name}: a symbol is positive; give one bound above 0, got "
                                 f"{show(assumption, limit=60)}")
            bounds[name] = value
            continue
        name, sep, kind = (part.strip() for part in assumption.partition("="))
        if not sep or not _SYMBOL.match(name) or kind not in ASSUMPTIONS:
            raise UsageError(f"--assume expects NAME=integer, NAME=real or NAME>=NUMBER, got "
                             f"{show(assumption, limit=60)}")
        if name in kinds:
            raise UsageError(f"--assume says what {name} is twice")
        kinds[name] = ASSUMPTIONS[kind]
    return kinds, bounds


def parse_settings(settings: Iterable[str], target: Target, assumptions: Mapping[str, bool] | None = None,
                   bounds: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``-s`` settings as typed values for ``target`` (names it lacks are typed as whole numbers; the
    target refuses them when it is built). ``assumptions`` and ``bounds`` (``parse_assumptions``) say
    which symbols are integers and what they are at least; each must be used by some setting."""
    assumptions = dict(assumptions or {})
    values = {name: parse_value(name, text, target.parameters.get(name), assumptions)
              for name, text in split_settings(settings).items()}
    used = {str(s) for value in values.values() for s in getattr(value, "free_symbols", ())}
    unused = sorted({spelled(name) for name in (*assumptions, *(bounds or {}))} - used)
    if unused:
        raise UsageError(f"--assume {unused[0]}: no -s value uses the symbol {unused[0]}")
    return values


def parse_value(name: str, text: str, parameter: Parameter | None = None,
                assumptions: Mapping[str, bool] | None = None) -> Any:
    """The value of ``-s name=text`` for ``parameter`` (see the module doc); ``assumptions`` name symbols
    that are integers (True) or not (False) whatever the parameter."""
    kind = parameter.kind if parameter is not None else "whole"
    if kind == "flag":
        if text.lower() not in _WORDS:
            raise UsageError(f"-s {name}: expected true or false, got {text!r}")
        return _WORDS[text.lower()]
    if kind == "choice":
        return text
    if _NUMBER.match(text):
        value = _exact_number(text, f"-s {name}")
        return value.numerator if value.denominator == 1 else value
    integer = parameter is None or parameter.kind != "ratio"
    if _SYMBOL.match(text):
        return _symbol(text, (assumptions or {}).get(text, integer))
    return _expression(name, text, integer, assumptions or {})


def _exact_number(text: str, what: str) -> Fraction:
    """The exact number ``text`` writes, its length and power of ten checked (``MAX_NUMBER_DIGITS``) before
    it is built: ``1e999999999`` would take hours and gigabytes as a Fraction."""
    text = text.strip()
    shown = show(text, limit=60)
    if len(text) > limits.MAX_NUMBER_DIGITS:
        raise UsageError(f"{what}: {shown} has more than {limits.MAX_NUMBER_DIGITS} characters (the limit "
                         f"MAX_NUMBER_DIGITS)")
    mantissa, _, exponent = text.lower().partition("e")
    if exponent:
        power = int(exponent.split("/")[0])
        if abs(power) > limits.MAX_NUMBER_DIGITS:
            raise UsageError(f"{what}: {shown} has the power of ten {power}, beyond +-{limits.MAX_NUMBER_DIGITS} "
                             f"(the limit MAX_NUMBER_DIGITS)")
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise UsageError(f"{what}: {shown} is not a number") from None


def _symbol(name: str, integer: bool) -> Any:
    from ..symbolic import symbols

    return symbols(check_symbol_name(name, "symbol"), integer=integer)


class _Symbols(dict):
    """Every name an expression uses is a new positive symbol, an integer one when ``integer`` (or what
    ``assumptions`` say of that name)."""

    def __init__(self, integer: bool, assumptions: Mapping[str, bool]):
        super().__init__()
        self.integer = integer
        self.assumptions = assumptions

    def __missing__(self, name: str) -> Any:
        return _symbol(name, self.assumptions.get(name, self.integer))


def _expression(name: str, text: str, integer: bool, assumptions: Mapping[str, bool]) -> Any:
    from ..spec.expressions import ExpressionError, evaluate, parse_expression

    refused = (f"-s {name}: {text!r} is neither a number nor a symbol name (a letter, then letters, digits or _) "
               f"nor an expression in symbols (32*k)")
    try:
        expression = parse_expression(text)
    except ExpressionError as error:
        raise UsageError(f"{refused}: {error.message}") from None
    if not expression.names or not all(_SYMBOL.match(n) for n in expression.names):
        raise UsageError(refused)
    try:
        return evaluate(expression, _Symbols(integer, assumptions))
    except ExpressionError as error:
        raise UsageError(f"-s {name}: {text!r} cannot be computed: {error.message}") from None


def _number(text: str, what: str) -> Fraction:
    if not _NUMBER.match(text.strip()):
        raise UsageError(f"--grid {what}: {show(text.strip(), limit=60)} is not a number")
    return _exact_number(text, f"--grid {what}")


def parse_grid(spec: str, parameters: Mapping[str, Parameter] | None = None) -> tuple[str, list]:
    """``width=0.25:2.0:0.05`` -> ``("width", [1/4, 3/10, ..., 2])`` (exact; STOP included when on the grid).
    Also ``NAME=VALUE`` (one value) and ``NAME=V1,V2,...`` (a list). ``parameters`` (a target's) refuse a
    grid over a flag or a choice, which take no numbers."""
    name, sep, text = spec.partition("=")
    name = name.strip()
    if not sep or not _SYMBOL.match(name) or not text.strip():
        raise UsageError(f"--grid expects NAME=START:STOP:STEP, got {show(spec, limit=80)}")
    parameter = (parameters or {}).get(name)
    if parameter is None:  # a target's own parameter names are its own; others must read back as symbols
        name = check_symbol_name(name, "--grid name")
        parameter = (parameters or {}).get(name)
    if parameter is not None and parameter.kind in ("flag", "choice"):
        raise UsageError(f"--grid {name}: {name} is a {parameter.kind}, not a number; set it with -s {name}=VALUE")
    if ":" not in text:
        if text.count(",") >= limits.MAX_GRID_VALUES:
            raise UsageError(f"--grid {name}: {text.count(',') + 1} values is too many (at most "
                             f"{limits.MAX_GRID_VALUES}, the limit MAX_GRID_VALUES)")
        values = [_number(v, name) for v in text.split(",")]
    else:
        parts = text.split(":")
        if len(parts) != 3:
            raise UsageError(f"--grid {name}: expected START:STOP:STEP, got {show(text, limit=80)}")
        start, stop, step = (_number(p, name) for p in parts)
        if step <= 0:
            raise UsageError(f"--grid {name}: STEP must be positive, got {parts[2]}")
        if stop < start:
            raise UsageError(f"--grid {name}: STOP {parts[1]} is below START {parts[0]}")
        count = (stop - start) // step + 1
        if count > limits.MAX_GRID_VALUES:
            shown = count if count.bit_length() <= 64 else f"more than {2 ** 64}"
            raise UsageError(f"--grid {name}: {shown} values is too many (at most {limits.MAX_GRID_VALUES}, the limit "
                             f"MAX_GRID_VALUES)")
        values = [start + k * step for k in range(count)]
    return name, [v.numerator if v.denominator == 1 else v for v in values]


def parse_grids(grids: Iterable[str], target: Target) -> dict[str, list]:
    """Every ``--grid``, each name once, with at most ``MAX_GRID_POINTS`` points in all."""
    grid: dict[str, list] = {}
    points = 1
    for spec in grids:
        name, values = parse_grid(spec, target.parameters)
        if name in grid:
            raise UsageError(f"--grid {name} given twice")
        grid[name] = values
        points *= len(values)
        if points > limits.MAX_GRID_POINTS:
            raise UsageError(f"--grid: {' x '.join(str(len(v)) for v in grid.values())} = {points} points is too "
                             f"many (at most {limits.MAX_GRID_POINTS}, the limit MAX_GRID_POINTS)")
    return grid


def parse_bytes(text: str) -> Any:
    """``--bytes-per-element``: a positive exact number (``4``, ``2``, ``0.5``), at most
    ``costmodel.report.MAX_BYTES_PER_ELEMENT``."""
    from ..report import check_bytes_per_element

    if not _NUMBER.match(text.strip()):
        raise UsageError(f"--bytes-per-element: {show(text.strip(), limit=60)} is not a number (4 for float32)")
    value = _exact_number(text, "--bytes-per-element")
    with naming_the_flag("--bytes-per-element", "bytes per element"):
        return check_bytes_per_element(value.numerator if value.denominator == 1 else value)


@contextmanager
def naming_the_flag(flag: str, wording: str | None = None) -> Iterator[None]:
    """A library error worded after the keyword (``columns: ...``) is reworded after the flag
    (``--columns: ...``)."""
    wording = wording or flag.lstrip("-")
    try:
        yield
    except UsageError as error:
        message = str(error)
        if message.startswith(wording):
            raise UsageError(flag + ": " + message[len(wording):].lstrip(": ")) from None
        raise
