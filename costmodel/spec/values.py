"""From YAML scalars and caller values to exact values: numbers, expressions, sizes and symbols.

* A scalar is a number (``3``, ``0.75`` read exactly as 3/4) or an expression (text); see
  ``costmodel.spec.expressions``. Errors point into the expression where they can, with the values of its names.
* A *size* (input dimensions, batch, hyper-parameters such as ``out_channels`` or ``kernel``, ``repeat``)
  must come out a whole number (or a symbolic expression) no larger than ``MAX_DIMENSION``.
* Symbols take, in this order: the caller's value, their default, or stay symbolic: a sympy
  ``Symbol(name, positive=True, integer=True)`` (``integer: false`` drops ``integer``). A value given as
  text is an expression whose names are new symbols (``"alpha"`` keeps a width symbolic as ``alpha``).
"""
from __future__ import annotations

import math
import operator
from collections.abc import Callable
from collections.abc import Mapping as MappingType
from fractions import Fraction
from typing import Any

from . import arithmetic
from .arithmetic import ArithmeticProblem, ListValue, is_number
from .expressions import (
    ExpressionError,
    evaluate,
    parse_expression,
    suggest,
    values_seen,
)
from .limits import MAX_DIMENSION, MAX_LIST_ITEMS, MAX_NESTING
from ..values import misreading  # one rule for every name a user gives (costmodel.values)
from .problem import Problem, at, quote
from .yamltree import Scalar, Sequence, Value

LIMIT_TEXT = f"2**{MAX_DIMENSION.bit_length() - 1}"


class LayerNames(MappingType):
    """The names an expression of a layer sees: ``base`` plus ``in_channels``, ``in_height`` and
    ``in_width`` of the layer's first input, found (by calling ``inputs``) only when used, and
    ``input_channels``, ``input_height`` and ``input_width`` of the first tensor its scope reads (``scope``:
    the block instance's input, a branch's, or the spec's: what ``from: input`` reads)."""

    SHAPE_NAMES = ("in_channels", "in_height", "in_width")
    SCOPE_NAMES = ("input_channels", "input_height", "input_width")

    def __init__(self, base: MappingType, inputs: Callable[[], list] | None, scope: tuple = ()):
        self.base = base
        self.inputs = inputs
        self.scope = scope

    def __getitem__(self, name: str) -> Any:
        if name in self.SHAPE_NAMES and self.inputs is not None:
            return _axis(self.inputs()[0].shape, self.SHAPE_NAMES.index(name), name)
        if name in self.SCOPE_NAMES and self.scope:
            return _axis(self.scope[0].shape, self.SCOPE_NAMES.index(name), name)
        return self.base[name]

    def __iter__(self):
        yield from self.base
        if self.inputs is not None:
            yield from self.SHAPE_NAMES
        if self.scope:
            yield from self.SCOPE_NAMES

    def __len__(self) -> int:
        return len(self.base) + (3 if self.inputs is not None else 0) + (3 if self.scope else 0)


def _axis(shape: tuple, axis: int, name: str) -> Any:
    if axis and len(shape) != 3:
        raise ExpressionError(f"{name} needs an input of shape [C, H, W], got [{shape[0]}]")
    return shape[axis]


def expression_problem(node: Scalar, error: ExpressionError, what: str, names: MappingType | None) -> Problem:
    """An ``ExpressionError`` located in the source: inside the scalar when it maps onto the line."""
    col = node.col if node.text_col is None else node.text_col + error.offset
    seen = ""
    if names is not None and getattr(error, "with_values", False):
        seen = values_seen(parse_expression(node.value), names)
    return Problem(f"{what} {quote(node.value)}: {error.message}{seen}", node.line, col)


def scalar_value(node: Value, names: MappingType, what: str) -> Any:
    """The exact value of a number or expression scalar."""
    if not isinstance(node, Scalar) or node.value is None or isinstance(node.value, bool):
        raise at(node, f"{what} must be a number or an expression, got {node.describe()}")
    if not isinstance(node.value, str):
        try:
            return arithmetic.normal(node.value)
        except ArithmeticProblem as problem:
            raise at(node, f"{what}: {problem}") from None
    try:
        expression = parse_expression(node.value)
        return evaluate(expression, names)
    except ExpressionError as error:
        raise expression_problem(node, error, what, names) from None


def value_of(node: Value, names: MappingType, what: str) -> Any:
    """The value of a number, an expression or a YAML list of them (a ``ListValue``, lists nested: rows)."""
    if isinstance(node, Sequence):
        if len(node.items) > MAX_LIST_ITEMS:
            raise at(node, f"{what}: the list has {len(node.items)} items, more than the limit of {MAX_LIST_ITEMS}")
        return ListValue(value_of(item, names, what) for item in node.items)
    return scalar_value(node, names, what)


def whole(value: Any, node: Value, names: MappingType, what: str) -> Any:
    """``value`` checked as a size: a whole number within the limit, or a symbolic expression."""
    text = node.value if isinstance(node, Scalar) and isinstance(node.value, str) else None
    if isinstance(value, ListValue):
        source = f"{quote(text)} is the list {value}" if text is not None else f"got the list {value}"
        raise at(node, f"{what} must be a number, but {source}")
    if is_number(value) or not value.free_symbols:
        if not isinstance(value, int):
            source = f"{quote(text)} = {value}" if text is not None else f"{value}"
            seen = values_seen(parse_expression(text), names) if text is not None else ""
            raise at(node, f"{what} must be a whole number, but {source}{seen}")
        if abs(value) > MAX_DIMENSION:
            raise at(node, f"{what} = {value} is above the limit of {LIMIT_TEXT} on sizes")
    return value


def size_value(node: Value, names: MappingType, what: str) -> Any:
    """A scalar read as a size (see ``whole``)."""
    return whole(scalar_value(node, names, what), node, names, what)


def positive(value: Any, node: Value, names: MappingType, what: str) -> Any:
    """A size that must also be at least 1 (input dimensions, batch, repeat)."""
    if is_number(value) and value < 1:
        text = node.value if isinstance(node, Scalar) and isinstance(node.value, str) else None
        source = f" from {quote(text)}{values_seen(parse_expression(text), names)}" if text is not None else ""
        raise at(node, f"{what} must be at least 1, got {value}{source}")
    return value


def truth_value(node: Value, names: MappingType, what: str) -> bool:
    """A condition (``when:``): true/false, or a number or expression, true when not zero."""
    if isinstance(node, Scalar) and isinstance(node.value, bool):
        return node.value
    value = scalar_value(node, names, what)
    if isinstance(value, ListValue):
        raise at(node, f"{what} {quote(node.text)} is the list {value}, not a condition")
    try:
        return arithmetic.truth(value)
    except ArithmeticProblem as problem:
        raise at(node, f"{what} {quote(node.text)}: {problem}") from None


#: short or common names that sympy reads as its own (constants, functions, objects): refused on sight,
#: without importing sympy (a spec of numbers never loads it); every other name is checked by
#: ``misreading`` when it becomes a symbol
SYMPY_NAMES = frozenset("""
Abs CC Chi Ci E E1 EX Ei Eq FF Float Function GF Ge Gt I Id Integer LC LM LT Lambda Le Li Lt Matrix Max Min
N Ne O Or Q QQ RR Rational S Si Sum Symbol ZZ abs arg beta cos exp false ff field fu gamma id im jn li ln log
nan oo pi re rf ring round sign sin sum symbols tan test true var yn zeta zoo""".split())


def check_declared_name(name: str, node: Value, what: str) -> None:
    """Refuse a declared symbol name of ``SYMPY_NAMES`` (the rest are checked when they become symbols)."""
    if name in SYMPY_NAMES:
        raise at(node, f"{what} {quote(name)} would not mean itself when results are read back: sympy reads it "
                       f"as a name of its own; pick another name")


def check_name_reads_back(name: str, node: Value, what: str) -> None:
    """Refuse a symbol name that sympy would read back as something else (see ``misreading``)."""
    check_declared_name(name, node, what)
    reading = misreading(name)
    if reading is not None:
        raise at(node, f"{what} {quote(name)} would not mean itself when results are read back: sympy reads it as "
                       f"{reading}; pick another name")


def new_symbol(name: str, integer: bool, node: Value | None = None) -> Any:
    """The symbol ``name`` (positive, integer unless told otherwise), its name checked to read back as
    itself; ``node`` is where a refusal points (the declaration)."""
    from ..symbolic import symbols

    if node is not None:
        check_name_reads_back(name, node, "symbol")

    return symbols(name, integer=integer)


class _FreshSymbols(MappingType):
    """Every name is a new symbol with the given integrality (for values given as text)."""

    def __init__(self, integer: bool):
        self.integer = integer

    def __getitem__(self, name: str) -> Any:
        reading = misreading(name)
        if reading is not None:
            raise ExpressionError(f"the name {name!r} would not mean itself when results are read back: sympy "
                                  f"reads it as {reading}; pick another name")
        return new_symbol(name, self.integer)

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0


def caller_value(name: str, value: Any, integer: bool, node: Value) -> Any:
    """A value given for symbol ``name`` by the caller, exact; located at the symbol's declaration."""
    what = f"the value {arithmetic.shown(repr(value), 60)} given for symbol {name}"
    try:
        value = _caller_number(value, integer)
    except (ArithmeticProblem, ExpressionError) as error:
        raise at(node, f"{what}: {getattr(error, 'message', error)}") from None
    except TypeError:
        raise at(node, f"{what}: give a number, a Fraction, a sympy expression, text or a list of them") from None
    return check_integer(name, value, integer, node)


def _caller_number(value: Any, integer: bool, depth: int = 0) -> Any:
    """A caller's value made exact (a list item by item); ``ArithmeticProblem`` or ``TypeError`` if it is none."""
    if isinstance(value, (list, tuple)):
        if len(value) > MAX_LIST_ITEMS:
            raise ArithmeticProblem(f"the list has {len(value)} items, more than the limit of {MAX_LIST_ITEMS}")
        if depth >= MAX_NESTING:
            raise ArithmeticProblem(f"lists nested more than {MAX_NESTING} deep, the limit")
        return ListValue(_caller_number(item, integer, depth + 1) for item in value)
    if isinstance(value, bool):
        raise ArithmeticProblem("true/false is not a number")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ArithmeticProblem("it is not a finite number")
        value = Fraction(repr(value))
    elif isinstance(value, str):
        value = evaluate(parse_expression(value), _FreshSymbols(integer))
        if isinstance(value, ListValue):
            return value
    elif not isinstance(value, (int, Fraction)) and not type(value).__module__.startswith("sympy"):
        value = operator.index(value)  # numpy integers and the like
    value = arithmetic.normal(value)
    for free in sorted(getattr(value, "free_symbols", ()), key=str):
        reading = misreading(str(free))
        if reading is not None:
            raise ArithmeticProblem(f"its symbol {str(free)!r} would not mean itself when results are read "
                                    f"back: sympy reads it as {reading}")
    return value


def check_integer(name: str, value: Any, integer: bool, node: Value) -> Any:
    if isinstance(value, ListValue):
        for item in value:
            check_integer(name, item, integer, node)
        return value
    if integer and is_number(value) and not isinstance(value, int):
        raise at(node, f"symbol {name} is a whole number (declare it with integer: false to allow fractions), "
                       f"got {value}")
    return value


def resolve_symbols(symbols: list, values: MappingType | None, anchor: Value) -> dict:
    """Each declared symbol's value: the caller's, else its default, else a sympy symbol."""
    values = dict(values or {})
    declared = {symbol.name for symbol in symbols}
    for name in values:
        if name not in declared:
            listed = ", ".join(sorted(declared)) if declared else "none"
            raise at(anchor, f"a value is given for {quote(str(name))}, which the spec does not declare"
                             f"{suggest(str(name), declared)}; its symbols: {listed}")
    resolved: dict = {}
    for symbol in symbols:
        if symbol.name in values:
            resolved[symbol.name] = caller_value(symbol.name, values[symbol.name], symbol.integer, symbol.node)
        elif symbol.default is not None:
            value = value_of(symbol.default, resolved, f"symbol {symbol.name}")
            resolved[symbol.name] = check_integer(symbol.name, value, symbol.integer, symbol.default)
        else:
            resolved[symbol.name] = new_symbol(symbol.name, symbol.integer, symbol.node)
    return resolved
