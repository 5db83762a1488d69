"""Closed forms a person can read: --relax gives MobileNet v1's paper formula, a resolution of 32*k prints
without floor, common symbolic factors come out, and every rewrite keeps the value."""
import json
import re
from fractions import Fraction

import pytest
import sympy
from click.testing import CliRunner

import costmodel as cm
from costmodel.cli import main
from costmodel.symbolic import drop_rounding, readable

# Howard et al. 2017 (MobileNets), Table 1, as printed: (type, stride, filter shape, input size). The last
# depthwise row prints s2 but its input and output are both 7x7 (stride 1, as the TF-slim reference builds it).
TABLE_1 = [
    ("conv", 2, (3, 3, 3, 32), 224),
    ("dw", 1, (3, 3, 32), 112), ("pw", 1, (1, 1, 32, 64), 112),
    ("dw", 2, (3, 3, 64), 112), ("pw", 1, (1, 1, 64, 128), 56),
    ("dw", 1, (3, 3, 128), 56), ("pw", 1, (1, 1, 128, 128), 56),
    ("dw", 2, (3, 3, 128), 56), ("pw", 1, (1, 1, 128, 256), 28),
    ("dw", 1, (3, 3, 256), 28), ("pw", 1, (1, 1, 256, 256), 28),
    ("dw", 2, (3, 3, 256), 28), ("pw", 1, (1, 1, 256, 512), 14),
] + [("dw", 1, (3, 3, 512), 14), ("pw", 1, (1, 1, 512, 512), 14)] * 5 + [
    ("dw", 2, (3, 3, 512), 14), ("pw", 1, (1, 1, 512, 1024), 7),
    ("dw", 1, (3, 3, 1024), 7), ("pw", 1, (1, 1, 1024, 1024), 7),
    ("fc", 1, (1024, 1000), 1),
]


def paper_mult_adds(alpha, rho):
    """Section 3.3: a depthwise separable layer costs Dk*Dk*aM*pDF*pDF + aN*aM*pDF*pDF (depthwise, then
    pointwise), a full conv Dk*Dk*M*aN*pDF*pDF (its M is the image's 3 channels), the fc aM*N (N the 1000
    classes). DF is the layer's output size, the input size over the stride."""
    total = 0
    for kind, stride, shape, size in TABLE_1:
        out = rho * sympy.Rational(size, stride)
        if kind == "conv":
            k, _, m, n = shape
            total += k * k * m * (alpha * n) * out * out
        elif kind == "dw":
            k, _, m = shape
            total += k * k * (alpha * m) * out * out
        elif kind == "pw":
            _, _, m, n = shape
            total += (alpha * m) * (alpha * n) * out * out
        else:
            m, n = shape
            total += (alpha * m) * n
    return total


def run(*args):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("typed, symbol", [("r", "r"), ("beta", "β")])  # the issue's own command uses beta
def test_relaxed_mobilenet_v1_is_the_papers_formula_summed_over_table_1(typed, symbol):
    out = run("table", "mobilenet_v1", "-s", "width=alpha", "-s", f"resolution={typed}", "--relax", "--columns",
              "name,flops")
    total_line = out.splitlines()[-1]  # a long total goes under the table: "total flops: ..."
    assert total_line.startswith("total flops: ") and "floor" not in out and "Max" not in out
    printed = sympy.sympify(total_line[len("total flops: "):])
    alpha, r = sympy.Symbol("alpha"), sympy.Symbol(symbol)
    assert sympy.expand(printed - paper_mult_adds(alpha, r / 224)) == 0
    assert printed.is_polynomial(alpha, r)


def test_relaxed_json_reads_back_to_the_same_polynomial_and_to_569m_at_the_defaults():
    document = json.loads(run("table", "mobilenet_v1", "-s", "width=alpha", "-s", "resolution=r", "--relax",
                              "--format", "json"))
    alpha, r = sympy.Symbol("alpha"), sympy.Symbol("r")
    flops = sympy.sympify(document["totals"]["flops"])
    assert sympy.expand(flops - paper_mult_adds(alpha, r / 224)) == 0
    assert flops.subs({alpha: 1, r: 224}) == 568_740_352  # Table 1's 569 M mult-adds, and our exact count
    per_layer = sum(sympy.sympify(row["flops"]) for row in document["layers"])
    assert sympy.expand(per_layer - flops) == 0


def test_relax_in_python_matches_the_cli_and_leaves_numbers_alone():
    alpha, r = cm.symbols("alpha", integer=False), cm.symbols("r")
    relaxed = cm.analyze(cm.load("mobilenet_v1", width=alpha, resolution=r, relax=True)).totals.flops
    assert sympy.expand(relaxed - paper_mult_adds(alpha, r / 224)) == 0
    exact = cm.analyze(cm.load("mobilenet_v1", width=Fraction(1, 2), resolution=160, relax=True)).totals
    assert exact == cm.analyze(cm.load("mobilenet_v1", width=Fraction(1, 2), resolution=160)).totals
    with pytest.raises(cm.UsageError, match="relax must be true or false"):
        cm.load("mobilenet_v1", relax="yes")


def test_relaxed_mobilenet_v2_channels_are_width_times_c():
    alpha = cm.symbols("alpha", integer=False)
    graph = cm.load("mobilenet_v2", width=alpha, relax=True)
    conv1 = next(node for node in graph.nodes if node.name == "conv1")
    assert conv1.outputs[0] == (32 * alpha, 112, 112)  # Sandler et al. 2018, Table 2: 32 channels, 112x112


def test_resolution_32k_prints_without_floor_and_equals_the_numeric_table():
    out = run("table", "mobilenet_v1", "-s", "resolution=32*k", "--width", "0")
    assert "floor" not in out and "ceiling" not in out and "Max" not in out
    header = re.split(r"\s{2,}", out.splitlines()[0].strip())
    assert header[:4] == ["name", "op", "input", "output"]
    total = re.split(r"\s{2,}", out.splitlines()[-1].strip())  # total, flops, params, mac, shares
    flops, mac = sympy.sympify(total[1]), sympy.sympify(total[3])
    k = sympy.Symbol("k")
    for value in (5, 7, 9):  # 160, 224, 288
        numeric = cm.analyze(cm.load("mobilenet_v1", resolution=32 * value)).totals
        assert (flops.subs(k, value), mac.subs(k, value)) == (numeric.flops, numeric.mac)


def test_readable_pulls_out_common_symbolic_factors_and_keeps_the_value():
    alpha, b, k = sympy.symbols("alpha b k", positive=True)
    cases = [(10752 * alpha**2 * b**2 + 1024000 * alpha, alpha), (alpha * b + alpha * b**2 / 2, alpha * b),
             (11264 * k**2 + 864, None), (3 * alpha, None)]
    for expression, factor in cases:
        shown = readable(expression)
        assert sympy.expand(shown - expression) == 0
        if factor is None:
            assert shown == expression
        else:
            assert shown.is_Mul and sympy.expand(shown / factor).is_Add


def test_drop_rounding_removes_floor_max_and_piecewise():
    alpha, r = sympy.symbols("alpha r", positive=True)
    rounded = sympy.Max(8, sympy.floor(32 * alpha)) * (sympy.floor(r / 2) + 1)
    assert drop_rounding(rounded) == sympy.expand(32 * alpha * (r / 2 + 1))
    piecewise = sympy.Piecewise((alpha + 8, alpha < 1), (sympy.ceiling(alpha), True))
    assert drop_rounding(piecewise) == alpha
    assert drop_rounding(7) == 7


def test_a_lower_bound_on_the_width_resolves_the_minimum_of_8_channels():
    # MobileNet v1's width rule (TF-slim depth()): max(floor(c*alpha), 8); with alpha >= 1/4 every c*alpha
    # (c >= 32) is at least 8, so the max is gone; below the bound it must stay
    out = run("table", "mobilenet_v1", "-s", "width=alpha", "--assume", "alpha>=1/4", "--columns", "name,output",
              "--format", "csv")
    assert "Max" not in out and "floor(32*alpha)" in out
    kept = run("table", "mobilenet_v1", "-s", "width=alpha", "--assume", "alpha>=1/8", "--format", "csv",
               "--columns", "name,output")
    assert "Max(8, floor(32*alpha))" in kept and "Max" not in kept.split("block1.pw")[1].split("\n")[0]
    alpha = cm.symbols("alpha", integer=False)
    analysis = cm.analyze(cm.load("mobilenet_v1", width=alpha))
    bounded = cm.table(analysis, at_least={"alpha": Fraction(1, 4)}).totals.flops
    assert not bounded.has(sympy.Max)
    for width in (Fraction(1, 4), Fraction(3, 4), Fraction(1)):
        numeric = cm.analyze(cm.load("mobilenet_v1", width=width)).totals.flops
        assert bounded.subs(alpha, sympy.Rational(width.numerator, width.denominator)) == numeric


def test_assume_real_keeps_the_floors_and_bad_assumptions_are_one_line():
    out = run("table", "mobilenet_v1", "-s", "resolution=32*k", "--assume", "k=real", "--format", "csv",
              "--columns", "name,output")
    assert "floor(16*k - 1/2)" in out
    for bad, said in ((["--assume", "q=real"], "no -s value uses the symbol q"),
                      (["--assume", "k=complex"], "expects NAME=integer, NAME=real or NAME>=NUMBER"),
                      (["--assume", "k>=0"], "give one bound above 0"), (["--assume", "k>=x"], "NAME>=NUMBER"),
                      (["--assume", "k=real", "--assume", "k=integer"], "twice")):
        result = CliRunner().invoke(main, ["table", "mobilenet_v1", "-s", "resolution=32*k", *bad])
        assert result.exit_code == 2 and said in result.output, (bad, result.output)
        assert len(result.output.strip().splitlines()) == 1
