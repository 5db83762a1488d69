"""The expression language of spec files: exact arithmetic, the functions, the whitelist, the limits, and
the guarantee that nothing in a spec is executed and the all-numeric path never imports sympy."""
import subprocess
import sys
from fractions import Fraction

import pytest

from costmodel.spec.expressions import ExpressionError, evaluate, parse_expression
from costmodel.symbolic import symbols


def value(text, **names):
    return evaluate(parse_expression(text), names)


@pytest.mark.parametrize("text,expected", [
    ("7 / 2", Fraction(7, 2)), ("8 / 2", 4), ("7 // 2", 3), ("-7 // 2", -4), ("7 % 3", 1), ("-7 % 3", 2),
    ("2 ** 10", 1024), ("2 ** -2", Fraction(1, 4)), ("0.75 * 32", 24), ("0.1 + 0.2", Fraction(3, 10)),
    ("1e3", 1000), ("(1 + 2) * 3", 9), ("-(-3)", 3), ("+3", 3),
    ("floor(7 / 2)", 3), ("ceil(7 / 2)", 4), ("floor(-7 / 2)", -4), ("sqrt(16)", 4), ("sqrt(9 / 4)", Fraction(3, 2)),
    ("min(3, 1, 2)", 1), ("max(3, 1 / 2)", 3), ("make_divisible(32 * 0.75)", 24), ("make_divisible(30, 8)", 32),
    ("make_divisible(3, 8)", 8), ("make_divisible(3, 8, 4)", 4), ("make_divisible(4, 4, 1)", 4),
    ("3 == 3", 1), ("3 != 3", 0), ("1 < 2 <= 2", 1), ("1 < 2 > 3", 0), ("1 and 0", 0), ("0 or 5", 1),
    ("not 0", 1), ("2 if 1 > 0 else 3", 2), ("2 if 0 else 3", 3), ("1 if 1 else 1 // 0", 1),
])
def test_numbers_are_exact(text, expected):
    result = value(text)
    assert result == expected and type(result) is type(expected)


def test_names_take_their_values():
    assert value("c * t // 2", c=24, t=6) == 72
    assert value("c / 3", c=Fraction(3, 4)) == Fraction(1, 4)


def test_symbols_give_sympy_expressions():
    c, h = symbols("c h")
    assert value("c * h + 1", c=c, h=h) == c * h + 1
    assert value("floor(c / 2)", c=c).func.__name__ == "floor"
    assert value("max(c, 1)", c=c) == c  # c is a positive integer: max(c, 1) is c
    assert value("c == c", c=c) == 1
    assert value("c > 0", c=c) == 1


def test_irrational_square_roots_stay_exact():
    root = value("sqrt(2)")
    assert str(root) == "sqrt(2)"
    assert value("floor(sqrt(200))") == 14


@pytest.mark.parametrize("text,message", [
    ("__import__('os').system('true')", "attribute access (.system) is not allowed in expressions"),
    ("__import__('os')", "unknown function __import__()"),
    ("open('/etc/passwd')", "unknown function open()"),
    ("c.real", "attribute access (.real) is not allowed"),
    ("c[0:1]", "slices (x[a:b]) are not allowed"),
    ("c[0, 1]", "tuples are not allowed"),
    ("(lambda: 1)()", "calling the result of an expression is not allowed"),
    ("max(1, lambda: 1)", "lambda is not allowed"),
    ("max([x for x in (1, 2)])", "comprehensions are not allowed"),
    ("max(1, {x for x in (1, 2)})", "comprehensions are not allowed"),
    ("max(1, (x for x in (1, 2)))", "comprehensions are not allowed"),
    ("'a'", "strings ('a') are not allowed"),
    ("f'{c}'", "strings are not allowed"),
    ("max((1, 2))", "tuples are not allowed"),
    ("max({1: 2})", "dicts are not allowed"),
    ("True", "True is not allowed"),
    ("None", "None is not allowed"),
    ("1j", "complex numbers are not allowed"),
    ("1 << 40", "the operator '<<' is not allowed"),
    ("1 & 1", "the operator '&' is not allowed"),
    ("~1", "the operator '~' is not allowed"),
    ("c is c", "the operator 'is' is not allowed"),
    ("1 in c", "the operator 'in' is not allowed"),
    ("(c := 3)", "assignments (:=) are not allowed"),
    ("max(*c)", "starred arguments (*x) are not allowed"),
    ("make_divisible(30, divisor=8)", "keyword arguments (pass them in order) are not allowed"),
    ("flor(2)", "unknown function flor() (did you mean floor?)"),
    ("floor(1, 2)", "floor takes 1 argument, got 2"),
    ("min()", "min takes at least 1 argument, got 0"),
    ("make_divisible()", "make_divisible takes 1 to 3 arguments, got 0"),
    ("1 +", "invalid expression: invalid syntax"),
    ("", "the expression is empty"),
    ("x" * 1001, "the expression has 1001 characters, more than the limit of 1000"),
    ("-" * 40 + "1", "the expression is nested more than 32 levels deep, the limit"),
    ("1e999", "the number is too large to be finite"),
])
def test_the_whitelist_refuses_everything_else(text, message):
    with pytest.raises(ExpressionError) as caught:
        parse_expression(text)
    assert message in caught.value.message


@pytest.mark.parametrize("text,names,message", [
    ("1 / 0", {}, "division by zero"), ("c // (t - 6)", {"c": 32, "t": 6}, "division by zero"),
    ("5 % 0", {}, "division by zero"), ("0 ** -1", {}, "division by zero (0 to a negative power)"),
    ("2 ** 10 ** 10", {}, "2 ** 10000000000 would grow beyond 256 bits, the limit"),
    ("2 ** 200 * 2 ** 100", {}, "a number grows beyond 256 bits, the limit"),
    ("4 ** (1 / 2)", {}, "the exponent must be a whole number, got 1/2 (use sqrt for roots)"),
    ("sqrt(-4)", {}, "sqrt of the negative number -4"),
    ("make_divisible(30, 0)", {}, "make_divisible's divisor must be a whole number of at least 1, got 0"),
    ("make_divisible(sqrt(2))", {}, "make_divisible needs a rational or symbolic value, got sqrt(2)"),
    ("c3 * 2", {"c1": 1, "c2": 2}, "unknown name 'c3'; names here: c1, c2"),
    ("widht", {"width": 1}, "unknown name 'widht' (did you mean width?)"),
])
def test_arithmetic_mistakes_are_refused_with_a_reason(text, names, message):
    with pytest.raises(ExpressionError) as caught:
        value(text, **names)
    assert message in caught.value.message


def test_undecidable_conditions_are_refused():
    c = symbols("c")
    with pytest.raises(ExpressionError, match="cannot decide c > 8: it depends on symbols without values"):
        value("1 if c > 8 else 2", c=c)


def test_errors_point_into_the_expression():
    with pytest.raises(ExpressionError) as caught:
        parse_expression("1 + foo(2)")
    assert caught.value.offset == 4
    with pytest.raises(ExpressionError) as caught:
        value("  c + d", c=1)
    assert caught.value.offset == 6


def test_a_hostile_spec_runs_nothing(tmp_path, monkeypatch):
    """The acceptance case: the expression is refused at parse time and no call reaches os.system."""
    import os

    from costmodel.errors import SpecError
    from costmodel.spec import load_spec

    calls = []
    monkeypatch.setattr(os, "system", lambda command: calls.append(command) or 0)
    marker = tmp_path / "ran"
    spec = tmp_path / "hostile.yaml"
    spec.write_text(f"input: [3, 8, 8]\nlayers:\n  - {{kind: conv, out_channels: \"__import__('os').system('touch "
                    f"{marker}')\"}}\n")
    with pytest.raises(SpecError) as caught:
        load_spec(spec)
    assert str(caught.value).startswith(f"{spec}:3:33: out_channels ")
    assert "attribute access (.system) is not allowed" in str(caught.value)
    assert calls == [] and not marker.exists()


def test_the_numeric_path_never_imports_sympy():
    code = ("import sys; from costmodel.spec import load_spec, EXAMPLES; import costmodel as cm; "
            "[cm.analyze(load_spec(p, {'c1': 128, 'c2': 128} if 'g1' in p.name else None)) "
            "for p in EXAMPLES.glob('*.yaml')]; print('sympy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
