"""The specs shipped in costmodel/examples/: the G1 pair in closed form, the hand-written MobileNet v2 and
ShuffleNet v2 1x equal to the zoo builders layer by layer (name, stage, op, shapes, flops, params, mac), and six
torchvision networks whose totals are torchvision's own, as PyTorch recorded them."""
import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

import costmodel as cm
from costmodel.spec import EXAMPLES, load_spec
from costmodel.symbolic import symbols

# (flops, params) of torchvision 0.28.0 models under torch 2.13.0 (CPU), one 3x224x224 image (Inception v3:
# 3x299x299), no weights, GoogLeNet and Inception v3 without auxiliary classifiers: flops is
# torch.utils.flop_counter.FlopCounterMode's total / 2, params is sum(p.numel() for p in model.parameters()).
# Recorded by benchmarks/record_spec_examples.py (the same totals are in the onnx cross-check's reference.json).
TORCHVISION = {
    "densenet121": (2_834_161_664, 7_978_856),
    "googlenet": (1_498_376_192, 6_624_904),
    "efficientnet_b0": (385_814_752, 5_288_548),
    "mnasnet": (314_415_872, 4_383_312),  # torchvision's mnasnet1_0
    "regnet_x_400mf": (413_812_608, 5_495_976),
    "inception_v3": (5_713_216_096, 23_834_568),
}
SHIPPED = {"g1_block_pair", "shufflenet_v2_unit", "mobilenet_v2_block", "mobilenet_v2", "shufflenet_v2",
           *TORCHVISION}


def rows(analysis):
    return [(layer.name, layer.stage, layer.op, layer.node.input_shapes, layer.node.outputs, layer.flops,
             layer.params, layer.mac, layer.activations) for layer in analysis.layers]


def example(name):
    return EXAMPLES / f"{name}.yaml"


def test_every_example_is_shipped_and_loads():
    assert {path.stem for path in EXAMPLES.glob("*.yaml")} == SHIPPED
    for name in SHIPPED:
        assert len(load_spec(example(name))) > 0


def test_g1_pair_mac_is_the_closed_form_per_conv():
    c1, c2, h, w = symbols("c1 c2 h w")
    analysis = cm.analyze(load_spec(example("g1_block_pair"), {"h": "h", "w": "w"}))
    for layer in analysis.layers:
        assert (layer.mac - (h * w * (c1 + c2) + c1 * c2)).expand() == 0
        assert (layer.flops - h * w * c1 * c2).expand() == 0
    defaults = cm.analyze(load_spec(example("g1_block_pair")))
    assert (defaults.layers[0].mac - (56 * 56 * (c1 + c2) + c1 * c2)).expand() == 0


def test_g1_pair_with_values_gives_the_numbers():
    analysis = cm.analyze(load_spec(example("g1_block_pair"), {"c1": 128, "c2": 128}))
    assert [layer.mac for layer in analysis.layers] == [56 * 56 * 256 + 128 * 128] * 2
    assert analysis.totals.flops == 2 * 56 * 56 * 128 * 128


def test_shufflenet_unit_is_stage_two_of_the_network():
    unit = rows(cm.analyze(load_spec(example("shufflenet_v2_unit"))))
    network = [row for row in rows(cm.analyze(load_spec(example("shufflenet_v2")))) if row[1] == "stage2"]
    assert unit == network and len(unit) == 14 + 3 * 11


def test_mobilenet_block_is_a_residual_block_of_row_two():
    analysis = cm.analyze(load_spec(example("mobilenet_v2_block")))
    network = [row for row in rows(cm.analyze(load_spec(example("mobilenet_v2"))))
               if row[0].startswith("bottleneck2.1.")]
    assert [row[2:] for row in rows(analysis)] == [row[2:] for row in network]
    assert [layer.op.kind for layer in analysis.layers][-1] == "add"
    without_expansion = load_spec(example("mobilenet_v2_block"), {"t": 1, "stride": 2})
    assert [node.name for node in without_expansion] == ["block.dw", "block.dw_bn", "block.dw_relu6", "block.project",
                                                         "block.project_bn"]


@pytest.mark.parametrize("values,settings", [
    ({}, {}), ({"width": Fraction(3, 4), "resolution": 160}, {"width": 0.75, "resolution": 160}),
    ({"width": Fraction(7, 5)}, {"width": 1.4}), ({"width": Fraction(7, 20), "resolution": 96},
                                                  {"width": 0.35, "resolution": 96}),
    ({"resolution": "resolution", "classes": "classes"}, "symbolic"),
    # rounding makes the first block of row 1 (1/4: 32 and 16 times it round to 8) and of row 5 (3/20: 64 and
    # 96 times it round to 16) keep their width: the reference code and the zoo add the shortcut there
    ({"width": Fraction(1, 4)}, {"width": 0.25}), ({"width": Fraction(3, 20)}, {"width": 0.15}),
    ({"width": "alpha", "rounded_shortcuts": 0}, "symbolic width"),
])
def test_hand_written_mobilenet_v2_equals_the_zoo_layer_by_layer(values, settings):
    import costmodel.zoo.mobilenet  # noqa: F401  registers the builder
    from costmodel.zoo import build

    if settings == "symbolic":
        settings = dict(zip(("resolution", "classes"), symbols("resolution classes")))
    if settings == "symbolic width":
        import sympy
        settings = {"width": sympy.Symbol("alpha", positive=True)}
    mine = cm.analyze(load_spec(example("mobilenet_v2"), values))
    zoo = cm.analyze(build("mobilenet_v2", **settings))
    assert rows(mine) == rows(zoo)
    assert mine.totals == zoo.totals


@pytest.mark.parametrize("width,channels", [(1.0, (116, 232, 464, 1024)), (0.5, (48, 96, 192, 1024)),
                                            (1.5, (176, 352, 704, 1024)), (2.0, (244, 488, 976, 2048))])
def test_hand_written_shufflenet_v2_equals_the_zoo_layer_by_layer(width, channels):
    import costmodel.zoo.shufflenet  # noqa: F401  registers the builder
    from costmodel.zoo import build

    mine = cm.analyze(load_spec(example("shufflenet_v2"), dict(zip(("c2", "c3", "c4", "c5"), channels))))
    zoo = cm.analyze(build("shufflenet_v2", width=width))
    assert rows(mine) == rows(zoo)
    assert mine.totals == zoo.totals


def test_shufflenet_v2_totals_match_through_the_command_line():
    def totals(target):
        done = subprocess.run([sys.executable, "-m", "costmodel", "table", target, "--format", "json"],
                              check=False, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)["totals"]

    assert totals(str(example("shufflenet_v2"))) == totals("shufflenet_v2")


def test_g1_pair_through_the_command_line_symbolic_then_numeric():
    def mac(*settings):
        done = subprocess.run([sys.executable, "-m", "costmodel", "table", str(example("g1_block_pair")),
                               "--format", "json", *settings], check=False, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)["totals"]["mac"]

    c1, c2 = symbols("c1 c2")
    import sympy
    assert sympy.sympify(mac(), locals={"c1": c1, "c2": c2}) == 2 * (56 * 56 * (c1 + c2) + c1 * c2)
    assert mac("-s", "c1=128", "-s", "c2=128") == 2 * (56 * 56 * 256 + 128 * 128)


@pytest.mark.parametrize("name", sorted(TORCHVISION))
def test_torchvision_network_gives_torchvisions_counts(name):
    totals = cm.analyze(load_spec(example(name))).totals
    assert (totals.flops, totals.params) == TORCHVISION[name]


def test_regnet_example_with_800mf_stage_symbols_is_regnet_x_800mf():
    """The comment of regnet_x_400mf.yaml: torchvision's BlockParams for RegNetX-800MF (depth 16, w_0 56,
    w_a 35.73, w_m 2.28) give widths 64 128 288 672 and depths 1 3 7 5; torchvision 0.28.0 / torch 2.13.0
    count 799,699,712 multiply-adds (FlopCounterMode / 2) and 7,259,656 parameters for regnet_x_800mf
    (benchmarks/record_spec_examples.py)."""
    values = {"widths": [64, 128, 288, 672], "depths": [1, 3, 7, 5]}
    totals = cm.analyze(load_spec(example("regnet_x_400mf"), values)).totals
    assert (totals.flops, totals.params) == (799_699_712, 7_259_656)


def commands_in_comments():
    """Every ``costmodel table FILE.yaml ...`` an example's comments show, as (example, arguments)."""
    import re
    import shlex

    found = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        for line in path.read_text().splitlines():
            match = re.match(r"^#\s+costmodel table (\S+\.yaml)(.*?)(\s{2,}.*)?$", line)
            if match:
                assert match.group(1) == path.name, f"{path.name} shows a command on {match.group(1)}"
                found.append((path.stem, shlex.split(match.group(2))))
    return found


@pytest.mark.parametrize("name,arguments", commands_in_comments(), ids=lambda value: str(value))
def test_every_command_an_example_shows_runs(name, arguments):
    from click.testing import CliRunner

    from costmodel.cli import main

    ran = CliRunner().invoke(main, ["table", str(example(name)), *arguments, "--format", "json"])
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.output)["totals"]["flops"]


def test_mobilenet_v2_rounding_adds_the_shortcuts_the_reference_code_adds():
    """The widths seen by the first blocks of rows 1 and 5, by the reference code's rule written here."""
    def make_divisible(value, divisor=8):
        new = max(divisor, int(value + divisor / 2) // divisor * divisor)
        return new + divisor if new < 0.9 * value else new

    def adds(width):
        graph = load_spec(example("mobilenet_v2"), {"width": width})
        return {node.name for node in graph if node.op.kind == "add"}

    assert make_divisible(32 * 0.25) == make_divisible(16 * 0.25) and "bottleneck1.0.add" in adds(Fraction(1, 4))
    assert make_divisible(64 * 0.15) == make_divisible(96 * 0.15) and "bottleneck5.0.add" in adds(Fraction(3, 20))
    assert not {"bottleneck1.0.add", "bottleneck5.0.add"} & adds(1)


WITHOUT_BRANCHES = Path(__file__).parent / "specs"


@pytest.mark.parametrize("name", ["googlenet", "inception_v3"])
def test_written_with_branches_equals_written_without(name):
    """The shipped example (modules as `branches:` joined by a concat) and the same network written with
    `from: input` on every branch (tests/specs/NAME_without_branches.yaml) give the same layers (op, shapes,
    flops, params, mac, activations; names differ) and the same totals; only the first repeats `from: input`."""
    def costs(path):
        analysis = cm.analyze(load_spec(path))
        layers = sorted((layer.op.kind, layer.node.input_shapes, layer.node.outputs, layer.flops, layer.params,
                         layer.mac, layer.activations) for layer in analysis.layers)
        return analysis.totals, layers

    flat = WITHOUT_BRANCHES / f"{name}_without_branches.yaml"
    assert costs(example(name)) == costs(flat)
    assert "from: input" in flat.read_text() and "from: input" not in example(name).read_text()


# FlopCounterMode / 2 per module (its aten.convolution count) for torchvision 0.28.0 under torch 2.13.0, as
# benchmarks/onnx_crosscheck.py recorded them (reference.json, flop_counter_per_module).
TORCHVISION_MODULES = {
    "googlenet": {"inception3a": 121_626_624, "inception3b": 265_732_096, "inception4a": 71_199_744,
                  "inception4b": 83_091_456, "inception4c": 95_033_344, "inception4d": 112_093_184,
                  "inception4e": 157_151_232, "inception5a": 47_867_904, "inception5b": 65_881_088},
    "inception_v3": {"Mixed_5b": 312_345_600, "Mixed_5c": 338_688_000, "Mixed_5d": 348_096_000,
                     "Mixed_6a": 401_937_408, "Mixed_6b": 374_063_104, "Mixed_6c": 487_702_528,
                     "Mixed_6d": 487_702_528, "Mixed_6e": 617_914_368, "Mixed_7a": 291_004_416,
                     "Mixed_7b": 322_437_120, "Mixed_7c": 388_497_408},
}


@pytest.mark.parametrize("name", sorted(TORCHVISION_MODULES))
def test_each_inception_module_is_torchvisions_in_the_stage_table(name):
    from costmodel.report import table

    rows = table(cm.analyze(load_spec(example(name))), "stage").rows
    assert {row["layer"]: row["flops"] for row in rows if row["layer"] in TORCHVISION_MODULES[name]} == \
        TORCHVISION_MODULES[name]
