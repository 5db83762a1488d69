"""`costmodel list` and `costmodel table` against the library and the papers' published tables."""
import json
from fractions import Fraction

import pytest
import sympy
from click.testing import CliRunner

from costmodel.analysis import analyze
from costmodel.cli import main
from costmodel.zoo import ARCHITECTURES, build


def run(*args):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_list_names_every_architecture_with_its_defaults():
    out = run("list")
    for name, entry in ARCHITECTURES.items():
        assert any(line.startswith(name + " ") and all(f"{k}={v}" in line for k, v in entry.defaults.items())
                   for line in out.splitlines())


def test_list_shows_the_shipped_example_specs_and_they_run():
    out = run("list")
    paths = [line.strip() for line in out.split("example specs shipped with costmodel")[1].splitlines()[1:]]
    assert any(path.endswith("shufflenet_v2.yaml") for path in paths)
    spec_totals = run("table", next(p for p in paths if p.endswith("shufflenet_v2.yaml"))).splitlines()[-1]
    assert spec_totals == run("table", "shufflenet_v2").splitlines()[-1]


def test_json_contract_and_totals_equal_the_analysis():
    document = json.loads(run("table", "shufflenet_v2", "--format", "json"))
    # Ma et al. 2018, ShuffleNet V2, Table 5: conv1 is 3x3/2, 3 -> 24 on 224x224 (built bias-free, BatchNorm apart):
    # flops 112*112*24*27, params 27*24, mac 3*224*224 + 24*112*112 + 648
    contract = {"name": "conv1", "op": "conv", "stage": "conv1", "input": [3, 224, 224], "output": [24, 112, 112],
                "flops": 8128512, "params": 648, "mac": 452232, "activations": 301056}
    first = document["layers"][0]
    assert {key: first[key] for key in contract} == contract
    # added fields (DESIGN section 4: fields are added, never removed): the conv's hyper-parameters, mac in bytes
    assert {key: first[key] for key in set(first) - set(contract)} == {
        "kernel": [3, 3], "stride": [2, 2], "groups": 1, "padding": [1, 1], "mac_bytes": 4 * 452232}
    assert document["name"] == "shufflenet_v2" and document["convention"] == "paper"
    assert document["parameters"] == {"width": 1.0, "resolution": 224, "classes": 1000, "variant": "paper"}
    totals = analyze(build("shufflenet_v2")).totals
    assert document["totals"] == dict(totals.as_dict(), mac_bytes=4 * totals.mac)
    assert sum(layer["flops"] for layer in document["layers"]) == document["totals"]["flops"]


def test_settings_and_convention_reach_the_analysis():
    document = json.loads(run("table", "mobilenet_v2", "-s", "width=0.75", "-s", "resolution=160",
                              "--convention", "all", "--fuse", "bn", "--format", "json"))
    expected = analyze(build("mobilenet_v2", width=Fraction(3, 4), resolution=160), "all", ["bn"]).totals
    assert document["totals"] == dict(expected.as_dict(), mac_bytes=4 * expected.mac)
    assert document["parameters"]["width"] == 0.75


def test_shufflenet_v2_by_stage_reproduces_table_5():
    # Ma et al. 2018, ShuffleNet V2, Table 5: output size, stride, repeat, 1x output channels per row
    expected = [("image", "224x224", "", "", "3"), ("conv1", "112x112", "2", "1", "24"),
                ("maxpool", "56x56", "2", "1", "24"),
                ("stage2", "28x28", "2", "1", "116"), ("", "28x28", "1", "3", "116"),
                ("stage3", "14x14", "2", "1", "232"), ("", "14x14", "1", "7", "232"),
                ("stage4", "7x7", "2", "1", "464"), ("", "7x7", "1", "3", "464"),
                ("conv5", "7x7", "1", "1", "1024"), ("globalpool", "1x1", "", "1", "1024"),
                ("fc", "", "", "1", "1000")]
    rows = [line.split(",") for line in run("table", "shufflenet_v2", "--by", "stage", "--format", "csv").splitlines()]
    assert rows[0][:6] == ["layer", "output size", "kernel", "stride", "repeat", "channels"]
    assert [(r[0], r[1], r[3], r[4], r[5]) for r in rows[1:]] == expected


# Howard et al. 2017, MobileNets, Table 2: shares of Mult-Adds and of parameters per layer type. The paper's
# "Conv 3x3 1.19 %" of Mult-Adds is a misprint for 1.91 %: 10,838,016 / 568,740,352 (the four printed
# Mult-Adds shares add up to 99.29 % as printed, to 100.01 % with 1.91).
TABLE_2 = {"conv 1x1": (94.86, 74.59), "depthwise 3x3": (3.06, 1.06), "conv 3x3": (1.91, 0.02), "fc": (0.18, 24.33)}


def test_mobilenet_v1_by_op_gives_table_2_shares():
    lines = run("table", "mobilenet_v1", "--by", "op").splitlines()
    for op, (flops_share, params_share) in TABLE_2.items():
        cells = next(line for line in lines if line.startswith(op + " ")).split()
        assert float(cells[-3].rstrip("%")) == pytest.approx(flops_share, abs=0.1)
        assert float(cells[-2].rstrip("%")) == pytest.approx(params_share, abs=0.1)
    assert 1.19 + 94.86 + 3.06 + 0.18 == pytest.approx(99.29)


def test_symbolic_mobilenet_v1_equals_the_numeric_tables_at_every_grid_point():
    document = json.loads(run("table", "mobilenet_v1", "-s", "width=alpha", "-s", "resolution=r",
                              "--format", "json"))
    alpha, r = sympy.Symbol("alpha"), sympy.Symbol("r")
    totals = {key: sympy.sympify(value, locals={"alpha": alpha, "r": r})
              for key, value in document["totals"].items()}
    grid = [(Fraction(1), 224), (Fraction(3, 4), 224), (Fraction(1, 2), 224), (Fraction(1, 4), 224),
            (Fraction(1), 192), (Fraction(1), 160), (Fraction(1), 128)]
    for width, resolution in grid:
        numeric = analyze(build("mobilenet_v1", width=width, resolution=resolution)).totals.as_dict()
        numeric["mac_bytes"] = 4 * numeric["mac"]
        point = {alpha: sympy.Rational(width.numerator, width.denominator), r: resolution}
        assert {key: int(expr.subs(point)) for key, expr in totals.items()} == numeric


@pytest.mark.parametrize("fmt", ["text", "markdown", "csv", "json", "latex"])
@pytest.mark.parametrize("by", ["layer", "stage", "op"])
def test_every_format_and_grouping(fmt, by):
    assert run("table", "squeezenet1_1", "--format", fmt, "--by", by).strip()


@pytest.mark.parametrize("args,needle", [
    (["table", "no/such/net.yaml"], "no spec file 'no/such/net.yaml'"),
    (["table", "mobilenet_v9"], "unknown architecture 'mobilenet_v9' (did you mean mobilenet_v2"),
    (["table", "mobilenet_v2", "--format", "xml"], "'xml' is not one of"),
    (["table", "mobilenet_v2", "-s", "width"], "-s expects NAME=VALUE"),
    (["table", "mobilenet_v2", "-s", "widht=2"], "has no parameter 'widht' (did you mean width?)"),
    (["table", "mobilenet_v2", "-s", "width=0"], "width"),
    (["table", "shufflenet_v2", "-s", "width=0.7"], "must be one of 0.5, 1.0, 1.5, 2.0, got 0.7"),
    (["table", "g4_bench", "-s", "relu=maybe"], "expected true or false, got 'maybe'"),
    (["table", "mobilenet_v2", "-s", "width=1+1"], "neither a number nor a symbol name"),
    (["table", "mobilenet_v2", "-s", "width=__import__"], "neither a number nor a symbol name"),
])
def test_bad_table_command_lines(args, needle):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert needle in result.output
    assert "Traceback" not in result.output
