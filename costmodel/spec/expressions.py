"""The expression language of spec files: parsed by Python's ``ast``, checked against a whitelist of node
types, and computed by our own walker over that tree. Nothing in a spec is ever compiled or executed.

What an expression may hold (anything else is refused when it is parsed, before any value is computed):

* numbers: ``3``, ``0.75`` (read as the exact fraction 3/4), ``1e3``;
* names: symbols, block parameters, ``in_channels``, ``in_height``, ``in_width``, ``input_channels``,
  ``input_height``, ``input_width``;
* lists ``[a, b]`` and items ``x[i]`` of a list (i from 0 to len - 1, a whole number);
* arithmetic ``+ - * / // % **`` and unary ``+ -``, with parentheses; ``/`` is exact (``7 / 2`` is the
  fraction 7/2), ``//`` and ``%`` floor as in Python; ``**`` takes a whole exponent;
* comparisons ``== != < <= > >=`` (chained as in Python), ``and``, ``or``, ``not`` (true is 1, false 0)
  and ``a if condition else b`` (only the chosen side is computed);
* calls of ``ceil``, ``floor``, ``make_divisible`` (value, divisor=8, min_value=divisor), ``max``,
  ``min``, ``round`` (Python's: a half to even), ``sqrt``, arguments in order (no keywords); arithmetic,
  comparisons and functions take numbers, not lists.

Refused: attribute access, slices, strings, lambda, comprehensions, tuples/sets/dicts, calls of
anything else, ``True``/``None``, keyword or starred arguments, bit operators, ``is``/``in``, ``:=``.
An expression is at most ``MAX_EXPRESSION_CHARS`` characters and
``MAX_EXPRESSION_DEPTH`` levels of operations deep (``-(-(-1))`` is four; parentheses alone
do not count).
"""
from __future__ import annotations

import ast
import contextvars
import math
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..values import suggest as values_suggest
from . import arithmetic
from .arithmetic import FUNCTIONS, ArithmeticProblem, ListValue
from .limits import MAX_EXPRESSION_CHARS, MAX_EXPRESSION_DEPTH, MAX_EXPRESSION_STEPS, MAX_LIST_ITEMS

FUNCTION_LIST = ", ".join(sorted(FUNCTIONS))

_BINARY = {ast.Add: ("+", arithmetic.add), ast.Sub: ("-", arithmetic.subtract),
           ast.Mult: ("*", arithmetic.multiply), ast.Div: ("/", arithmetic.divide),
           ast.FloorDiv: ("//", arithmetic.floor_divide), ast.Mod: ("%", arithmetic.modulo),
           ast.Pow: ("**", arithmetic.power)}
_COMPARE = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_OPERATOR_TEXT = {ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<",
                  ast.RShift: ">>", ast.Invert: "~", ast.Is: "is", ast.IsNot: "is not", ast.In: "in",
                  ast.NotIn: "not in"}
_FORBIDDEN = {ast.Slice: "slices (x[a:b])", ast.Lambda: "lambda",
              ast.ListComp: "comprehensions", ast.SetComp: "comprehensions", ast.DictComp: "comprehensions",
              ast.GeneratorExp: "comprehensions", ast.Tuple: "tuples", ast.Set: "sets",
              ast.Dict: "dicts", ast.JoinedStr: "strings", ast.FormattedValue: "strings",
              ast.NamedExpr: "assignments (:=)", ast.Starred: "starred arguments (*x)",
              ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield"}
_SINGULAR = ("lambda", "await", "yield")
ALLOWED = f" (they take numbers, names, lists [a, b] and items x[i], arithmetic, comparisons, if-else and {FUNCTION_LIST})"


class ExpressionError(Exception):
    """A mistake in an expression; ``offset`` is the 0-based character position it points at."""

    def __init__(self, message: str, offset: int = 0, with_values: bool = False):
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.with_values = with_values  # the message gains the values of the expression's names


@dataclass(frozen=True)
class Expression:
    """A parsed, whitelisted expression: its text, syntax tree and the names it uses (first use first)."""

    text: str
    tree: ast.AST
    names: tuple
    lead: int  # characters of leading whitespace stripped before parsing
    size: int = 1  # nodes of the tree: the most steps one evaluation takes

    def offset(self, node: ast.AST) -> int:
        """Character position of ``node`` in ``text`` (ast counts UTF-8 bytes per line)."""
        lines = self.text[self.lead:].split("\n")
        line = getattr(node, "lineno", 1)
        before = sum(len(part) + 1 for part in lines[:line - 1])
        column = lines[line - 1].encode("utf-8")[:getattr(node, "col_offset", 0)].decode("utf-8", "ignore")
        return self.lead + before + len(column)


def suggest(word: str, options) -> str:
    """`` (did you mean x or y?)``: ``costmodel.values.suggest``, worded as spec messages word it."""
    return values_suggest(word, sorted(options), separator=" or ")


@lru_cache(maxsize=4096)
def parse_expression(text: str) -> Expression:
    """Parse and check ``text``; ``ExpressionError`` for bad syntax or anything off the whitelist."""
    if len(text) > MAX_EXPRESSION_CHARS:
        raise ExpressionError(f"the expression has {len(text)} characters, more than the limit of "
                              f"{MAX_EXPRESSION_CHARS}")
    stripped = text.strip()
    lead = len(text) - len(text.lstrip())
    if not stripped:
        raise ExpressionError("the expression is empty")
    if "\x00" in stripped:
        raise ExpressionError("invalid expression: it contains a null character", lead + stripped.index("\x00"))
    surrogate = next((i for i, character in enumerate(stripped) if "\ud800" <= character <= "\udfff"), None)
    if surrogate is not None:
        raise ExpressionError(f"invalid expression: it holds the lone surrogate \\u{ord(stripped[surrogate]):04x}, "
                              f"which is not a character", lead + surrogate)
    try:
        with warnings.catch_warnings():  # "invalid decimal literal" and the like: the error below says it
            warnings.simplefilter("ignore")
            tree = ast.parse(stripped, mode="eval").body
    except SyntaxError as error:
        column = error.offset if error.offset else len(stripped) + 1  # 0 or None: at the end
        offset = lead + column - 1 if (error.lineno or 1) == 1 else lead
        raise ExpressionError(f"invalid expression: {error.msg}", min(offset, len(text))) from None
    except (ValueError, RecursionError, MemoryError):
        raise ExpressionError("invalid expression: it is nested too deeply", lead) from None
    expression = Expression(text, tree, (), lead)
    names, size = _check(expression)
    return Expression(text, tree, tuple(names), lead, size)


def _check(expression: Expression) -> tuple:
    """Walk the tree (iteratively) and refuse anything off the whitelist; return the names used and the
    number of nodes."""
    names: list = []
    stack = [(expression.tree, 1)]
    size = 0
    while stack:
        node, depth = stack.pop()
        size += 1
        if depth > MAX_EXPRESSION_DEPTH:
            raise ExpressionError(f"the expression is nested more than {MAX_EXPRESSION_DEPTH} levels deep, "
                                  f"the limit", expression.offset(node))
        refusal = _refusal(node)
        if refusal:
            raise ExpressionError(refusal, expression.offset(node))
        if isinstance(node, ast.Name):
            if node.id not in names:
                names.append(node.id)
            continue
        if isinstance(node, ast.Constant):
            if isinstance(node.value, float):
                if not math.isfinite(node.value):
                    raise ExpressionError("the number is too large to be finite", expression.offset(node))
                written = ast.get_source_segment(expression.text[expression.lead:], node) or repr(node.value)
                try:
                    node.value = arithmetic.decimal(written)  # exact as written, never through the float
                except ArithmeticProblem as problem:
                    raise ExpressionError(str(problem), expression.offset(node)) from None
            continue
        if isinstance(node, ast.Call):
            fewest, most, _ = FUNCTIONS[node.func.id]
            count = len(node.args)
            if count < fewest or (most is not None and count > most):
                wanted = (f"{fewest}" if fewest == most else f"at least {fewest}" if most is None
                          else f"{fewest} to {most}")
                plural = "" if (most if most is not None else fewest) == 1 else "s"
                raise ExpressionError(f"{node.func.id} takes {wanted} argument{plural}, "
                                      f"got {count}", expression.offset(node))
            children = node.args
        else:
            children = [child for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr)]
        stack.extend((child, depth + 1) for child in reversed(children))
    return names, size


def _refusal(node: ast.AST) -> str | None:
    """Why the whitelist refuses ``node``, or None if it allows it."""
    thing = None
    if isinstance(node, ast.Attribute):
        thing = f"attribute access (.{node.attr}) is"
    elif type(node) in _FORBIDDEN:
        thing = f"{_FORBIDDEN[type(node)]} {'is' if _FORBIDDEN[type(node)] in _SINGULAR else 'are'}"
    elif isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, (str, bytes)):
            thing = f"strings ({value!r}) are"
        elif isinstance(value, bool) or value is None:
            thing = f"{value} is"
        elif isinstance(value, complex):
            thing = "complex numbers are"
        elif not isinstance(value, (int, float)):
            thing = f"{value!r} is"
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            thing = f"the operator '{_OPERATOR_TEXT.get(type(node.op), '?')}' is"
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.UAdd, ast.USub, ast.Not)):
            thing = "the operator '~' is"
    elif isinstance(node, ast.Compare):
        for op in node.ops:
            if type(op) not in _COMPARE:
                thing = f"the operator '{_OPERATOR_TEXT.get(type(op), '?')}' is"
    elif isinstance(node, ast.Call):
        if isinstance(node.func, ast.Attribute):
            thing = f"attribute access (.{node.func.attr}) is"
        elif not isinstance(node.func, ast.Name):
            thing = "calling the result of an expression is"
        elif node.func.id not in FUNCTIONS:
            return f"unknown function {node.func.id}(){suggest(node.func.id, FUNCTIONS)}; the functions are {FUNCTION_LIST}"
        elif node.keywords:
            thing = "keyword arguments (pass them in order) are"
    elif not isinstance(node, (ast.Name, ast.BoolOp, ast.IfExp, ast.Subscript, ast.List)):
        thing = f"{type(node).__name__} is"
    return None if thing is None else f"{thing} not allowed in expressions{ALLOWED}"


class StepBudget:
    """The steps left for the expressions of one spec (``MAX_EXPRESSION_STEPS``), every
    evaluation charged the size of its expression before it starts."""

    def __init__(self, steps: int | None = None):
        self.left = MAX_EXPRESSION_STEPS if steps is None else steps

    def charge(self, expression: Expression) -> None:
        self.left -= expression.size
        if self.left < 0:
            raise ExpressionError(f"the spec's expressions take more than {MAX_EXPRESSION_STEPS} steps to compute "
                                  f"(every repeat counted), the limit")


_BUDGET: contextvars.ContextVar = contextvars.ContextVar("expression_budget", default=None)


@contextmanager
def step_budget() -> Iterator[StepBudget]:
    """Charge every ``evaluate`` inside to one fresh ``StepBudget``."""
    budget = StepBudget()
    token = _BUDGET.set(budget)
    try:
        yield budget
    finally:
        _BUDGET.reset(token)


def evaluate(expression: Expression, names: Mapping[str, Any]) -> Any:
    """The exact value of ``expression`` with ``names`` (a mapping of name to int, Fraction or sympy)."""
    budget = _BUDGET.get()
    if budget is not None:
        budget.charge(expression)
    return _Walker(expression, names).value(expression.tree)


class _Walker:
    def __init__(self, expression: Expression, names: Mapping[str, Any]):
        self.expression = expression
        self.names = names

    def fail(self, node: ast.AST, message: str, with_values: bool = False) -> ExpressionError:
        return ExpressionError(message, self.expression.offset(node), with_values)

    def number(self, node: ast.AST) -> Any:
        """The value of ``node``, refused if it is a list (arithmetic, comparisons and functions take numbers)."""
        value = self.value(node)
        if isinstance(value, ListValue):
            text = ast.get_source_segment(self.expression.text[self.expression.lead:], node) or "a list"
            raise self.fail(node, f"{arithmetic.shown(text)} is the list {arithmetic.shown(value)}, where a number "
                                  f"is needed: take one item, {arithmetic.shown(text)}[i]", True)
        return value

    def item(self, node: ast.Subscript) -> Any:
        """``x[i]``: item i (from 0) of the list x, i a whole number from 0 to len(x) - 1."""
        container = self.value(node.value)
        text = ast.get_source_segment(self.expression.text[self.expression.lead:], node.value) or "it"
        if not isinstance(container, ListValue):
            raise self.fail(node, f"{arithmetic.shown(text)} is not a list: only a list has items x[i]", True)
        index = self.number(node.slice)
        if not arithmetic.is_number(index):
            raise self.fail(node.slice, f"the index {arithmetic.shown(index)} depends on symbols without values",
                            True)
        items = f"{arithmetic.shown(text)} has {len(container)} items, {arithmetic.shown(text)}[0] to " \
                f"{arithmetic.shown(text)}[{len(container) - 1}]"
        if not isinstance(index, int):
            raise self.fail(node.slice, f"index {arithmetic.shown(index)} is not a whole number: {items}", True)
        if not 0 <= index < len(container):
            raise self.fail(node.slice, f"index {arithmetic.shown(index)} is out of range: {items}", True)
        return container[index]

    def value(self, node: ast.AST) -> Any:
        try:
            return self._value(node)
        except ArithmeticProblem as problem:
            raise self.fail(node, str(problem), True) from None
        except (TypeError, ValueError, ArithmeticError, AttributeError, RecursionError) as error:
            raise self.fail(node, f"cannot be computed exactly ({type(error).__name__}: {error})", True) from None

    def _value(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            return arithmetic.normal(node.value)
        if isinstance(node, ast.Name):
            try:
                return self.names[node.id]
            except KeyError:
                known = sorted(self.names)
                listed = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
                raise self.fail(node, f"unknown name {node.id!r}{suggest(node.id, known)}; names here: "
                                      f"{listed or 'none'} (symbols are declared under symbols:)") from None
        if isinstance(node, ast.Subscript):
            return self.item(node)
        if isinstance(node, ast.List):
            if len(node.elts) > MAX_LIST_ITEMS:
                raise self.fail(node, f"the list has {len(node.elts)} items, more than the limit of {MAX_LIST_ITEMS}")
            return ListValue(self.value(item) for item in node.elts)
        if isinstance(node, ast.BinOp):
            left, right = self.number(node.left), self.number(node.right)
            return _BINARY[type(node.op)][1](left, right)
        if isinstance(node, ast.UnaryOp):
            operand = self.number(node.operand)
            if isinstance(node.op, ast.Not):
                return 0 if arithmetic.truth(operand) else 1
            return arithmetic.negate(operand) if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.Compare):
            left = self.number(node.left)
            for op, comparator in zip(node.ops, node.comparators):
                right = self.number(comparator)
                if not arithmetic.compare(_COMPARE[type(op)], left, right):
                    return 0
                left = right
            return 1
        if isinstance(node, ast.BoolOp):
            wanted = isinstance(node.op, ast.Or)  # 'or' stops at the first true, 'and' at the first false
            for operand in node.values:
                if arithmetic.truth(self.number(operand)) == wanted:
                    return int(wanted)
            return int(not wanted)
        if isinstance(node, ast.IfExp):
            chosen = node.body if arithmetic.truth(self.number(node.test)) else node.orelse
            return self.value(chosen)
        if isinstance(node, ast.Call):
            arguments = [self.number(argument) for argument in node.args]
            return FUNCTIONS[node.func.id][2](*arguments)
        raise self.fail(node, f"{type(node).__name__} is not allowed in expressions")  # the checker refused it


def values_seen(expression: Expression, names: Mapping[str, Any]) -> str:
    """`` (c = 2, t = 6)``: the values of the names ``expression`` uses, for error messages."""
    listed = []
    for name in expression.names:
        try:
            value = names[name]
        except Exception:  # noqa: BLE001, S112 - decoration only: a name that cannot be shown is left out
            continue
        if str(value) == name:  # a symbol without value stands for itself
            continue
        listed.append(f"{name} = {arithmetic.shown(value)}")
    return f" ({', '.join(listed)})" if listed else ""
