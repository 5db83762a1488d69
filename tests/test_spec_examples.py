"""The specs shipped in costmodel/examples/: the G1 pair in closed form, and the hand-written MobileNet v2 and
ShuffleNet v2 1x equal to the zoo builders layer by layer (name, stage, op, shapes, flops, params, mac)."""
import json
import subprocess
import sys
from fractions import Fraction

import pytest

import costmodel as cm
from costmodel.spec import EXAMPLES, load_spec
from costmodel.symbolic import symbols

SHIPPED = {"g1_block_pair", "shufflenet_v2_unit", "mobilenet_v2_block", "mobilenet_v2", "shufflenet_v2"}


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
])
def test_hand_written_mobilenet_v2_equals_the_zoo_layer_by_layer(values, settings):
    import costmodel.zoo.mobilenet  # noqa: F401  registers the builder
    from costmodel.zoo import build

    if settings == "symbolic":
        settings = dict(zip(("resolution", "classes"), symbols("resolution classes")))
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
