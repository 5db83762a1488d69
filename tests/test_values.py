"""The shared vocabulary: show, suggest, as_rational, parameter kinds and checks (costmodel.values)."""
from fractions import Fraction

import pytest
import sympy

from costmodel.errors import UsageError
from costmodel.values import (Parameter, as_rational, check_choice, check_flag, check_ratio, check_whole,
                              kind_of, show, suggest)


# ----- show -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, text", [
    (224, "224"),
    (-3, "-3"),
    (Fraction(3, 4), "0.75"),
    (Fraction(-1, 2), "-0.5"),
    (Fraction(5, 2), "2.5"),
    (Fraction(1, 1024), "0.0009765625"),  # 2**-10, ten decimal places exactly
    (Fraction(6, 3), "2"),
    (Fraction(1, 3), "1/3"),  # no finite decimal
    (Fraction(7, 6), "7/6"),
    (Fraction(1, 2 ** 30), "1/1073741824"),  # 30 decimal places: shown as p/q
    (0.7, "0.7"),
    (1.0, "1.0"),
    (True, "true"),
    (False, "false"),
    (None, "null"),
    ("paper", "'paper'"),
    ((3, 224, 224), "[3, 224, 224]"),
    ([64, (7, 7)], "[64, [7, 7]]"),
    ((Fraction(1, 4), "x", None), "[0.25, 'x', null]"),
    ((), "[]"),
])
def test_show_plain_values(value, text):
    assert show(value) == text


def test_show_sympy_values():
    alpha, r = sympy.symbols("alpha r", positive=True)
    assert show(32 * alpha) == "32*alpha"
    assert show(sympy.floor(r / 2)) == "floor(r/2)"
    assert show(sympy.Rational(3, 8)) == "0.375"
    assert show(sympy.Integer(12)) == "12"
    assert show((3, r, r)) == "[3, r, r]"


def test_show_is_one_line_and_shortened():
    assert show("a\nb") == "'a\\nb'"
    assert show("x" * 50, limit=10) == "'xxxxxx..."
    assert len(show("x" * 50, limit=10)) == 10
    assert show(12345, limit=10) == "12345"


# ----- suggest ------------------------------------------------------------------------------------------------
def test_suggest_names_close_options():
    assert suggest("widht", ["width", "resolution", "classes"]) == " (did you mean width?)"
    close = suggest("mobilenet_v9", ["mobilenet_v1", "mobilenet_v2", "resnet18"])
    assert close == " (did you mean mobilenet_v1, mobilenet_v2?)" or close == " (did you mean mobilenet_v2, mobilenet_v1?)"
    assert suggest("zzz", ["width", "classes"]) == ""
    assert suggest(3, ["width"]) == ""
    assert suggest("x", []) == ""


def test_suggest_lists_at_most_three():
    text = suggest("conv", ["conv1", "conv2", "conv3", "conv4"])
    assert text.startswith(" (did you mean ") and text.endswith("?)")
    assert len(text[len(" (did you mean "):-2].split(", ")) == 3


# ----- as_rational --------------------------------------------------------------------------------------------
def test_as_rational():
    assert as_rational(0.75) == Fraction(3, 4) and isinstance(as_rational(0.75), Fraction)
    assert as_rational(0.1) == Fraction(1, 10)  # the decimal, not the binary float
    assert as_rational(2.0) == 2 and type(as_rational(2.0)) is int
    assert type(as_rational(Fraction(8, 4))) is int
    assert as_rational(sympy.Rational(5, 2)) == Fraction(5, 2)
    assert type(as_rational(sympy.Integer(7))) is int
    assert as_rational(True) is True
    assert as_rational("abc") == "abc"
    alpha = sympy.Symbol("alpha")
    assert as_rational(alpha) is alpha


# ----- checks -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, shown", [
    (2.5, "2.5"), (Fraction(5, 2), "2.5"), (0, "0"), (-1, "-1"), (True, "true"), ("abc", "'abc'"),
    (None, "null"), (Fraction(1, 3), "1/3"), (float("nan"), "nan")])
def test_check_whole_refuses(value, shown):
    with pytest.raises(UsageError) as error:
        check_whole("net", "classes", value)
    assert str(error.value) == f"net classes must be a whole number, at least 1, got {shown}"


def test_check_whole_accepts_and_types():
    assert check_whole("net", "classes", 10) == 10
    assert type(check_whole("net", "classes", 10.0)) is int
    assert check_whole("net", "resolution", 32, minimum=32) == 32
    with pytest.raises(UsageError, match="^net resolution must be a whole number, at least 32, got 31$"):
        check_whole("net", "resolution", 31, minimum=32)
    r = sympy.Symbol("r", positive=True, integer=True)
    assert check_whole("net", "resolution", r) is r


@pytest.mark.parametrize("value, shown", [(0, "0"), (-0.5, "-0.5"), ("abc", "'abc'"), (False, "false"),
                                          (float("inf"), "inf"), ((1, 2), "[1, 2]")])
def test_check_ratio_refuses(value, shown):
    with pytest.raises(UsageError) as error:
        check_ratio("net", "width", value)
    assert str(error.value) == f"net width must be a positive number, got {shown}"


def test_check_ratio_accepts_and_types():
    assert check_ratio("net", "width", 0.75) == Fraction(3, 4)
    assert type(check_ratio("net", "width", 1.0)) is int
    assert check_ratio("net", "width", Fraction(1, 3)) == Fraction(1, 3)
    alpha = sympy.Symbol("alpha", positive=True)
    assert check_ratio("net", "width", alpha) is alpha


def test_check_flag():
    assert check_flag("net", "relu", False) is False
    for value, shown in ((1, "1"), ("yes", "'yes'"), (None, "null")):
        with pytest.raises(UsageError, match=f"^net relu must be true or false, got {shown}$"):
            check_flag("net", "relu", value)


def test_check_choice():
    assert check_choice("net", "variant", "paper", ("paper", "torchvision")) == "paper"
    with pytest.raises(UsageError, match="^net variant must be one of paper, torchvision, got 'tf'$"):
        check_choice("net", "variant", "tf", ("paper", "torchvision"))
    with pytest.raises(UsageError, match=r"^net width must be one of 0.5, 1.0, 2, got 0.75$"):
        check_choice("net", "width", Fraction(3, 4), (0.5, 1.0, 2))
    assert check_choice("net", "width", Fraction(1, 2), (0.5, 1.0)) == Fraction(1, 2)
    with pytest.raises(UsageError, match="^net groups must be one of 1, 2, got g$"):
        check_choice("net", "groups", sympy.Symbol("g"), (1, 2))


# ----- parameters ---------------------------------------------------------------------------------------------
def test_kinds_follow_defaults():
    assert [kind_of(d) for d in (224, 1.0, Fraction(1, 2), True, "paper")] == \
        ["whole", "ratio", "ratio", "flag", "choice"]
    with pytest.raises(TypeError):
        kind_of(None)


def test_parameter_from_default_and_check():
    width = Parameter.from_default("width", 1.0)
    assert (width.kind, width.default, type(width.default)) == ("ratio", 1, Fraction)
    assert width.check("net", 0.5) == Fraction(1, 2)
    groups = Parameter.from_default("groups", 3, choices=(1, 2, 3))
    assert groups.kind == "whole" and groups.choices == (1, 2, 3)
    with pytest.raises(UsageError, match="^net groups must be a whole number, at least 1, got 2.5$"):
        groups.check("net", 2.5)
    with pytest.raises(UsageError, match="^net groups must be one of 1, 2, 3, got 5$"):
        groups.check("net", 5)
    variant = Parameter.from_default("variant", "paper", choices=("paper", "torchvision"))
    assert variant.kind == "choice"
    with pytest.raises(ValueError):
        Parameter("variant", "paper", "choice")
    with pytest.raises(ValueError):
        Parameter("x", 1, "integer")


@pytest.mark.parametrize("value,decimals,unit,text", [
    (999, 2, "", "999"), (1000, 2, "", "1.00k"), (999_999, 2, "", "1.00M"), (568_740_352, 2, "", "568.74M"),
    (1500, None, "", "1.5k"), (2 * 10**12, None, "", "2T"), (-1500, 2, "", "-1.50k"), (512, 2, "B", "512B"),
    (2048, 2, "B", "2.05kB"), (0.5, None, "", "0.5")])
def test_si_prefix_is_one_style_for_tables_and_plots(value, decimals, unit, text):
    from costmodel.values import si_prefix

    assert si_prefix(value, decimals, unit) == text
    if abs(value) >= 1000:  # the prefix is the power of ten the text drops: reading it back gives the value
        number, prefix = float(text.rstrip("B")[:-1]), text.rstrip("B")[-1]
        scale = {"k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}[prefix]
        assert number * scale == pytest.approx(value, rel=0.01)
