"""Values and names as spec text that reads back as exactly themselves (the spec writer's scalars).

Whole numbers as digits; pairs as lists; true/false; floats as the shortest decimal that reads back as the
same float; symbols and closed forms as expressions of the spec syntax (``floor``, ``ceil``, ``min``,
``max``, ``%``, ``sqrt``, ``make_divisible``, exact fractions), each checked by reading it back where the
spelling is not direct. Names and labels are plain YAML only when they cannot read as anything but
themselves, double-quoted with escapes otherwise, so nothing in a name becomes YAML syntax.
"""
from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Any

from ..errors import GraphError

PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PLAIN_TEXT = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*(\.[0-9]+)?$")
YAML_WORDS = frozenset("""y n yes no on off true false null""".split())
# characters PyYAML reads in a document (anything else is escaped in a double-quoted scalar)
_YAML_PRINTABLE = re.compile("[\x20-\x7E\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]")


def quoted(text: str) -> str:
    """``text`` as a YAML scalar that reads back as exactly this string: plain when it is a simple name that
    YAML reads as itself, else double-quoted with every special or unprintable character escaped."""
    if _PLAIN_TEXT.match(text) and text.lower() not in YAML_WORDS:
        return text
    out = []
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif _YAML_PRINTABLE.fullmatch(char) and char.isprintable():
            out.append(char)
        elif ord(char) < 0x100:
            out.append(f"\\x{ord(char):02x}")
        elif ord(char) < 0x10000:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return '"' + "".join(out) + '"'


def expression(value: Any) -> str:
    """A number or sympy expression in the spec's expression syntax (reads back as the same value)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Fraction):
        return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    text = _sympy_text(value)
    if value.has(_sympy_module().Piecewise) and not _reads_back(text, value):
        raise GraphError(f"the value {value} has no spelling in the spec's expressions (the closest, {text}, "
                         f"computes another expression)")
    return text


def _sympy_module():
    import sympy
    return sympy


def _reads_back(text: str, value: Any) -> bool:
    """Whether the spec's expression walker computes ``value`` from ``text`` (its symbols as themselves)."""
    from .expressions import ExpressionError, evaluate, parse_expression, step_budget

    sympy = _sympy_module()
    try:
        with step_budget():
            computed = evaluate(parse_expression(text), {s.name: s for s in value.free_symbols})
    except (ExpressionError, ArithmeticError, ValueError, TypeError):
        return False
    return computed == value or sympy.piecewise_fold(computed) == sympy.piecewise_fold(value)


def _sympy_text(expr: Any) -> str:
    import sympy

    if expr.is_Integer:
        return str(int(expr))
    if expr.is_Rational:
        return f"{expr.p}/{expr.q}"
    if expr.is_Symbol:
        return _PLACEHOLDERS.get(expr, expr.name)
    args = expr.args
    if expr.is_Add:
        terms = sorted(args, key=sympy.default_sort_key)
        text = _sympy_text(terms[0])
        for term in terms[1:]:
            coefficient, rest = term.as_coeff_Mul()
            if coefficient.is_negative:
                text += " - " + _factor(-term, sympy)
            else:
                text += " + " + _factor(term, sympy, inside_add=True)
        return text
    if expr.is_Mul:
        coefficient, rest = expr.as_coeff_Mul()
        if coefficient.is_negative:
            return "-" + _factor(-expr, sympy)
        numerator, denominator = [], []
        for factor in expr.as_ordered_factors():
            if factor.is_Rational and not factor.is_Integer:
                numerator.append(sympy.Integer(factor.p))
                denominator.append(sympy.Integer(factor.q))
            elif factor.is_Pow and factor.exp.is_Integer and factor.exp < 0:
                denominator.append(factor.base ** -factor.exp)
            else:
                numerator.append(factor)
        numerator = [f for f in numerator if f != 1]
        text = "*".join(_factor(f, sympy) for f in numerator) or "1"
        for factor in denominator:
            text += "/" + _atom(factor, sympy)
        return text
    if expr.is_Pow:
        if expr.exp == sympy.Rational(1, 2):
            return f"sqrt({_sympy_text(expr.base)})"
        if expr.exp.is_Integer and expr.exp < 0:
            return f"1/{_atom(expr.base ** -expr.exp, sympy)}"
        if expr.exp.is_Integer:
            return f"{_atom(expr.base, sympy)}**{int(expr.exp)}"
    functions = {sympy.floor: "floor", sympy.ceiling: "ceil", sympy.Min: "min", sympy.Max: "max"}
    if expr.func in functions:
        return f"{functions[expr.func]}({', '.join(_sympy_text(a) for a in args)})"
    if expr.func is sympy.Piecewise:
        text = _rounding_text(expr, sympy)
        if text is not None:
            return text
    if expr.func is sympy.Mod:
        return f"{_atom(args[0], sympy)} % {_atom(args[1], sympy)}"
    raise GraphError(f"the value {expr} has no spelling in the spec's expressions (they take numbers, symbols, "
                     f"+ - * / // % **, floor, ceil, min, max, sqrt)")


def _rounding_text(expr: Any, sympy) -> str | None:
    """``expr`` written with ``make_divisible`` (the MobileNet v2/v3 channel rounding) when it is
    ``g(make_divisible(value, divisor, min_value))`` for some expression ``g``, its branches folded
    (``Piecewise((g(r + divisor), r < 9/10*value), (g(r), True))``), else None. Every candidate is checked by
    first candidate is taken: ``expression`` checks the whole text by reading it back."""
    if len(expr.args) != 2 or expr.args[1][1] is not sympy.true:
        return None
    otherwise, condition = expr.args[1][0], expr.args[0][1]
    for rounded in sympy.preorder_traversal(condition):
        if rounded.func is sympy.Max and len(rounded.args) == 2 and any(a.is_Integer for a in rounded.args):
            minimum = next(a for a in rounded.args if a.is_Integer)
            term = next(a for a in rounded.args if not a.is_Integer)
        elif rounded.is_Mul:
            minimum, term = None, rounded
        else:
            continue
        divisor, floored = term.as_coeff_Mul()
        if not (divisor.is_Integer and divisor >= 1 and floored.func is sympy.floor):
            continue
        value = sympy.expand(divisor * floored.args[0] - divisor / 2)
        placeholder = sympy.Dummy("rounded", positive=True, integer=True)
        outer = otherwise.subs(rounded, placeholder)
        if rounded not in sympy.preorder_traversal(outer):
            call = f"make_divisible({_sympy_text(value)}, {divisor}, {minimum if minimum is not None else divisor})"
            _PLACEHOLDERS[placeholder] = call
            try:
                return _sympy_text(outer)
            finally:
                del _PLACEHOLDERS[placeholder]
    return None


_PLACEHOLDERS: dict = {}


def _atom(expr: Any, sympy) -> str:
    """Text of ``expr`` that binds tighter than any operator."""
    text = _sympy_text(expr)
    if expr.is_Symbol or (expr.is_Integer and expr >= 0) or expr.func in (sympy.floor, sympy.ceiling, sympy.Min,
                                                                           sympy.Max, sympy.Piecewise):
        return text
    if expr.is_Pow and expr.exp == sympy.Rational(1, 2):
        return text
    return f"({text})"


def _factor(expr: Any, sympy, inside_add: bool = False) -> str:
    """Text of ``expr`` as a factor of a product (parenthesised when it is a sum or a remainder)."""
    if expr.is_Add or expr.func is sympy.Mod or (expr.is_Rational and not expr.is_Integer) \
            or (expr.is_Number and expr.is_negative):
        return f"({_sympy_text(expr)})"
    return _sympy_text(expr)


def is_plain_number(value: Any) -> bool:
    return isinstance(value, int) or getattr(value, "is_Integer", False)


def value_text(value: Any, owner: str, field: str) -> str:
    """One op field's value as YAML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return quoted(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise GraphError(f"node '{owner}': {field} = {value} has no spelling in a spec (numbers are finite)")
        return repr(value)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(value_text(item, owner, field) for item in value) + "]"
    if is_plain_number(value):
        return str(int(value))
    if isinstance(value, Fraction) or hasattr(value, "free_symbols"):
        return quoted_expression(expression(value))
    raise GraphError(f"node '{owner}': {field} = {value!r} has no spelling in a spec (a number, an expression, "
                     f"true/false, text or a list of them)")


def quoted_expression(text: str) -> str:
    """An expression as a flow-safe YAML scalar: plain for a whole number, double-quoted otherwise."""
    return text if re.fullmatch(r"-?[0-9]+", text) else quoted(text)


def shape_text(shape: tuple) -> str:
    return "[" + ", ".join(expression(d) for d in shape) + "]"


def inputs_text(shapes: list) -> str:
    """The input shapes of a layer for its comment, joined by ``+``; a run of three or more equal shapes
    as ``n x [C, H, W]``."""
    texts = [shape_text(shape) for shape in shapes]
    runs: list = []
    for text in texts:
        if runs and runs[-1][0] == text:
            runs[-1][1] += 1
        else:
            runs.append([text, 1])
    return " + ".join(f"{count} x {text}" if count >= 3 else " + ".join([text] * count) for text, count in runs)
