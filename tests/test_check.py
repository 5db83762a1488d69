"""``costmodel check`` and ``costmodel.check``: ShuffleNet V2's guidelines G1-G4 (Ma et al. 2018, section 2).

The numbers are checked against the paper's formulas, written here apart from costmodel's code: a 1x1 conv
moves ``hw(c1 + c2) + c1*c2`` elements, at least ``2*sqrt(hw*B) + B/hw`` at flops ``B = hw*c1*c2``
(G1); a 1x1 group conv moves ``hw*c1 + B*g/c1 + B/hw`` at fixed ``B`` and ``c1`` (G2); ReLU reads and
writes each element once, an addition reads two and writes one (G4); the G1-G4 benchmark networks at the
sizes of the paper's Tables 1-4.
"""
import json
import math

import pytest
import sympy
from click.testing import CliRunner

import costmodel as cm
from costmodel.cli import main
from costmodel.errors import UsageError

HW = 56 * 56  # the benchmarks' feature map (Ma et al. 2018, section 2)
# Table 1: c1:c2 at (nearly) fixed flops, the GPU x1 widths and the ARM x1 widths
TABLE1 = [((128, 128), (90, 180), (52, 312), (36, 432)), ((32, 32), (22, 44), (13, 78), (9, 108))]
TABLE2 = [(1, 128), (2, 180), (4, 256), (8, 360)]  # Table 2, GPU x1: groups, channels


def paper_bound(hw, c1, c2):
    flops = hw * c1 * c2
    return 2 * math.sqrt(hw * flops) + flops / hw


def run(*args):
    return CliRunner().invoke(main, ["check", *args])


@pytest.mark.parametrize("widths", TABLE1)
def test_g1_bench_bound_equals_the_papers_formula(widths):
    for c1, c2 in widths:
        result = cm.check("g1_bench", c1=c1, c2=c2)
        findings = result.of("G1")
        assert result.summaries["G1"].checked == 20
        if c1 == c2:
            assert findings == [] and result.summaries["G1"].findings == 0
            continue
        assert len(findings) == 20
        mac = HW * (c1 + c2) + c1 * c2
        for f in findings:
            assert (f.hw, f.flops, f.mac) == (HW, HW * c1 * c2, mac)
            assert f.bound == pytest.approx(paper_bound(HW, c1, c2), rel=1e-12)
            assert f.excess == pytest.approx(mac - paper_bound(HW, c1, c2), rel=1e-9)
            assert f.ratio == pytest.approx(mac / paper_bound(HW, c1, c2), rel=1e-12)
            assert f.balanced == pytest.approx(math.sqrt(c1 * c2), rel=1e-12)


def test_g1_thresholds_flag_the_papers_imbalances():
    """1:2 is the paper's mildest imbalance, measured slower (Table 1): ratio 1.059 > 1.05; 1:12: 1.86."""
    ratios = {c2 // c1: cm.check("g1_bench", c1=c1, c2=c2).summaries["G1"].worst_value
              for c1, c2 in TABLE1[0][1:]}
    assert ratios[2] == pytest.approx((HW * 270 + 90 * 180) / paper_bound(HW, 90, 180))
    assert 1.05 < ratios[2] < ratios[6] < ratios[12]
    assert cm.check("g1_bench", c1=90, c2=180, thresholds={"G1": 1.06}).summaries["G1"].over == 0


def test_g1_on_a_biased_balanced_conv_is_no_finding():
    g = cm.Graph("biased", (64, 8, 8))
    g.add("conv", cm.Conv2d(64, 1, bias=True), g.input)
    assert cm.check(g).of("G1") == []
    assert cm.analyze(g).layer("conv").mac == 64 * (64 + 64) + 64 * 64 + 64  # the tool's mac has the bias


def test_the_conv_mac_rule_is_the_papers():
    for c1, c2, h, w in ((3, 5, 7, 11), (128, 32, 56, 56)):
        g = cm.Graph("one", (c1, h, w))
        g.add("conv", cm.Conv2d(c2, 1), g.input)
        assert cm.analyze(g).layer("conv").mac == h * w * (c1 + c2) + c1 * c2


@pytest.mark.parametrize("groups,channels", TABLE2)
def test_g2_bench_mac_against_fewer_groups_is_the_papers_formula(groups, channels):
    findings = cm.check("g2_bench", groups=groups, channels=channels).of("G2")
    if groups == 1:
        assert findings == []
        return
    assert len(findings) == 20
    c1 = channels
    flops = HW * c1 * channels // groups

    def paper_mac(g):  # ShuffleNet V2, G2: mac = hw*c1 + B*g/c1 + B/hw at fixed B and c1
        return HW * c1 + flops * g // c1 + flops // HW

    for f in findings:
        assert (f.groups, f.flops, f.mac) == (groups, flops, paper_mac(groups))
        assert [a.groups for a in f.alternatives] == [d for d in (1, 2, 4) if d < groups]
        for a in f.alternatives:
            assert a.mac == paper_mac(a.groups) and a.excess == paper_mac(groups) - paper_mac(a.groups)
            assert a.out_channels == channels * a.groups // groups
        assert f.ratio == pytest.approx(paper_mac(groups) / paper_mac(1))
        assert f.over


@pytest.mark.parametrize("fragments,arrangement,paths,convs,over", [
    (1, "series", 1, 1, False), (2, "series", 1, 2, False), (4, "series", 1, 4, False),
    (2, "parallel", 2, 2, False), (4, "parallel", 4, 4, True)])
def test_g3_bench_paths_and_fragments(fragments, arrangement, paths, convs, over):
    result = cm.check("g3_bench", fragments=fragments, arrangement=arrangement)
    findings = result.of("G3")
    assert result.summaries["G3"].checked == 10
    if paths == 1:
        assert findings == []
    else:
        assert [(f.paths, f.fragments, f.kernels, f.over) for f in findings] == \
            [(paths, convs, convs + 1, over)] * 10  # the parallel convs and their concat
    strict = cm.check("g3_bench", fragments=fragments, arrangement=arrangement, thresholds={"G3-kernels": 3})
    assert strict.summaries["G3"].over == (10 if fragments == 4 else 0)


@pytest.mark.parametrize("relu", [True, False])
@pytest.mark.parametrize("shortcut", [True, False])
def test_g4_bench_elementwise_share(relu, shortcut):
    c = 32
    result = cm.check("g4_bench", relu=relu, shortcut=shortcut, channels=c)
    findings = {f.block: f for f in result.of("G4")}
    elementwise = (2 * (2 * HW * c // 4) + 2 * HW * c if relu else 0) + (3 * HW * c if shortcut else 0)
    convs = 2 * (HW * (c + c // 4) + c * c // 4) + HW * 2 * c // 4 + 9 * (c // 4) ** 2
    if not elementwise:
        assert findings == {}
        return
    block = findings["blocks.3"]
    assert (block.mac, block.elementwise, block.depthwise) == (convs + elementwise, elementwise, 0)
    assert block.share == pytest.approx(elementwise / (convs + elementwise))
    network = findings["network"]
    assert (network.mac, network.elementwise) == (10 * (convs + elementwise), 10 * elementwise)
    folded = cm.check("g4_bench", relu=relu, shortcut=shortcut, channels=c, fuse=("activation",))
    assert folded.of("G4") == [] if not shortcut else folded.summaries["G4"].findings == 11


def test_zoo_networks_as_the_papers_say():
    v2 = cm.check("shufflenet_v2")
    assert v2.summaries["G1"].over <= 1 and v2.summaries["G2"].findings == 0
    v1 = cm.check("shufflenet_v1")
    group_convs = [n for n in cm.load("shufflenet_v1").nodes if n.op.kind == "conv" and n.op.groups > 1
                   and n.op.groups != n.input_shapes[0][0]]
    assert len(v1.of("G2")) == len(group_convs) > 0 and all(f.over for f in v1.of("G2"))
    mobile = cm.check("mobilenet_v2")
    names = {f.layer.rpartition(".")[2] for f in mobile.of("G1") if f.over}
    assert names == {"expand", "project"}
    assert mobile.summaries["G1"].over >= 30


def test_fail_on_exit_status():
    assert run("g1_bench", "--fail-on", "G1").exit_code == 0
    assert run("g1_bench", "-s", "c2=256", "--fail-on", "G1").exit_code == 1
    assert run("g1_bench", "-s", "c2=256", "--fail-on", "G2,G3,G4").exit_code == 0
    assert run("g2_bench", "-s", "groups=2", "-s", "channels=180", "--fail-on", "g2").exit_code == 1
    assert run("g1_bench", "-s", "c2=256", "--fail-on", "G1", "--threshold", "G1=off").exit_code == 0


@pytest.mark.parametrize("args,needle", [
    (["--fail-on", "G5"], "--fail-on: unknown guideline 'G5'"),
    (["--threshold", "G9=1"], "--threshold: unknown threshold 'G9'"),
    (["--threshold", "G1"], "--threshold expects NAME=VALUE"),
    (["--threshold", "G3=1.5"], "whole number"),
    (["-s", "resolution=r"], "check needs numbers"),
])
def test_bad_input_is_one_line_and_exit_2(args, needle):
    result = run("g1_bench", *args)
    assert result.exit_code == 2
    assert needle in result.output and len(result.output.strip().splitlines()) == 1


def test_text_and_json():
    text = run("shufflenet_v1").output
    assert "G2  excessive group convolution" in text and "... and 21 more over the threshold" in text
    assert text.rstrip().splitlines()[-1].startswith("  G4: the network and 16 blocks checked, 17 with")
    data = json.loads(run("g2_bench", "-s", "groups=4", "-s", "channels=256", "--format", "json").output)
    assert list(data) == ["name", "parameters", "fuse", "device", "thresholds", "summary", "findings"]
    assert data["summary"]["G2"] == {"checked": 20, "findings": 20, "over": 20, "threshold": 1.05,
                                     "worst": "blocks.0.conv1", "worst_value": data["findings"][0]["ratio"]}
    first = data["findings"][0]
    assert first["guideline"] == "G2" and first["mac"] == HW * (256 + 256) + 256 * 256 // 4
    assert first["alternatives"][0] == {"groups": 1, "out_channels": 64, "mac": HW * 256 + HW * 64 + 256 * 64,
                                        "excess": first["mac"] - (HW * 256 + HW * 64 + 256 * 64)}


def test_hostile_names_no_convs_and_huge_values(tmp_path):
    spec = tmp_path / "net.yaml"
    spec.write_text('name: "<b>*x*</b> [a](b) &amp;"\ninput: [8, 4, 4]\nlayers:\n  - {id: r, kind: relu}\n')
    result = run(str(spec))
    assert result.exit_code == 0 and "check <b>*x*</b> [a](b) &amp;" in result.output
    assert "G1: 0 1x1 convs checked" in result.output and "network  256           256  100.0%" in result.output
    assert json.loads(run(str(spec), "--format", "json").output)["name"] == "<b>*x*</b> [a](b) &amp;"
    big = tmp_path / "big.yaml"
    big.write_text("name: big\ninput: [100000, 100000, 100000]\nlayers:\n"
                   "  - {id: conv1, kind: conv, out_channels: 2000000000, kernel: 1}\n")
    data = json.loads(run(str(big), "--format", "json").output)
    hw, c1, c2 = 10 ** 10, 10 ** 5, 2 * 10 ** 9
    assert data["findings"][0]["mac"] == hw * (c1 + c2) + c1 * c2  # exact, beyond float precision
    assert data["findings"][0]["ratio"] == pytest.approx((hw * (c1 + c2) + c1 * c2) / paper_bound(hw, c1, c2))


def test_library_refusals():
    with pytest.raises(UsageError, match="unknown guideline"):
        cm.check("g1_bench").failing(["G7"])
    with pytest.raises(UsageError, match="must be a number"):
        cm.check("g1_bench", thresholds={"G1": "high"})
    with pytest.raises(UsageError, match="check needs numbers"):
        cm.check("g1_bench", c1=sympy.Symbol("c", positive=True, integer=True))


def test_an_onnx_file_with_hostile_node_names(tmp_path):
    onnx = pytest.importorskip("onnx")
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    weights = [numpy_helper.from_array(np.zeros((64, 16, 1, 1), np.float32), "w1"),
               numpy_helper.from_array(np.zeros((64, 16, 3, 3), np.float32), "w2")]
    nodes = [helper.make_node("Conv", ["x", "w1"], ["a"], name="/blk/0/conv<b>*x*", kernel_shape=[1, 1]),
             helper.make_node("Relu", ["a"], ["b"], name="/blk/0/relu\x1b[31m"),
             helper.make_node("Conv", ["b", "w2"], ["c"], name="/blk/0/g\nconv", kernel_shape=[3, 3],
                              pads=[1, 1, 1, 1], group=4)]
    graph = helper.make_graph(nodes, "m", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 16, 28, 28])],
                              [helper.make_tensor_value_info("c", TensorProto.FLOAT, [1, 64, 28, 28])], weights)
    path = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    result = run(str(path), "--all")
    assert result.exit_code == 0 and "\x1b" not in result.output
    hw = 28 * 28
    data = json.loads(run(str(path), "--format", "json").output)
    g1, g2 = (next(f for f in data["findings"] if f["guideline"] == g) for g in ("G1", "G2"))
    assert g1["mac"] == hw * (16 + 64) + 16 * 64
    assert g2["mac"] == hw * (64 + 64) + 9 * 64 * 64 // 4
    assert [(a["groups"], a["mac"]) for a in g2["alternatives"]] == \
        [(g, hw * (64 + 64 * g // 4) + 9 * 64 * 64 // 4) for g in (1, 2)]


def test_g4_time_share_on_a_device_is_the_device_formula():
    """A device of fixed cost t0 per node plus bytes / B (costmodel.device.model's formula with no compute
    term): the element-wise share of time, from the node counts and mac of the ResNet unit written here."""
    from costmodel.device import CLASSES, Device, Rates

    t0, rate = 1e-6, 1e9
    device = Device("toy", {k: Rates(t0=t0, bytes_per_s=rate, misaligned_bytes_per_s=rate) for k in CLASSES})
    c = 32
    elementwise = 2 * (2 * HW * c // 4) + 2 * HW * c + 3 * HW * c  # three ReLUs and the add
    convs = 2 * (HW * (c + c // 4) + c * c // 4) + HW * 2 * c // 4 + 9 * (c // 4) ** 2
    expected = (4 * t0 + 4 * elementwise / rate) / (7 * t0 + 4 * (elementwise + convs) / rate)
    result = cm.check("g4_bench", device=device)
    assert result.device == "toy"
    for f in result.of("G4"):
        assert f.time_share == pytest.approx(expected, rel=1e-12)
    assert cm.check("g4_bench", device=device, thresholds={"G4": None, "G4-time": 0.5}).summaries["G4"].over == \
        (11 if expected > 0.5 else 0)
    assert all(f.time_share is None for f in cm.check("g4_bench").of("G4"))


def test_device_option():
    data = json.loads(run("g4_bench", "--device", "cpu", "--format", "json").output)
    assert data["device"] == "cpu" and all(0 < f["time_share"] < 1 for f in data["findings"] if f["guideline"] == "G4")
    assert "time share" in run("g4_bench", "--device", "gpu").output
    bad = run("g4_bench", "--device", "nope")
    assert bad.exit_code == 2 and "neither a profile" in bad.output
