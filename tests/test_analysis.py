"""Totals, conventions, fusion switches, grouping, receptive fields; expected values written out here."""
from fractions import Fraction

import pytest

import costmodel as cm


def conv_bn_relu_graph(batch=1):
    g = cm.Graph("cbr", (16, 32, 32), batch=batch)
    with g.scope("stem"):
        x = g.add("conv", cm.Conv2d(32, kernel=3, padding=1), g.input)
        x = g.add("bn", cm.BatchNorm(), x)
        x = g.add("relu", cm.ReLU(), x)
    with g.scope("head"):
        x = g.add("pool", cm.GlobalAvgPool(), x)
        x = g.add("flatten", cm.Flatten(), x)
        g.add("fc", cm.Linear(10), x)
    return g


def test_acceptance_pointwise_conv_numbers_and_closed_form():
    g = cm.Graph("pw", (128, 56, 56))
    g.add("conv", cm.Conv2d(128, kernel=1), g.input)
    totals = cm.analyze(g).totals
    assert (totals.flops, totals.params, totals.mac) == (51_380_224, 16_384, 819_200)
    import sympy
    h, w, c1, c2 = cm.symbols("h w c1 c2")
    g = cm.Graph("pw", (c1, h, w))
    g.add("conv", cm.Conv2d(c2, kernel=1), g.input)
    mac = cm.analyze(g).totals.mac
    assert sympy.expand(mac - (h * w * (c1 + c2) + c1 * c2)) == 0


def test_totals_are_sums_and_conventions_differ_only_in_flops():
    g = conv_bn_relu_graph()
    paper, every = cm.analyze(g), cm.analyze(g, "all")
    n = 32 * 32 * 32  # elements of every feature map after the conv
    conv_flops = 9 * 16 * n
    assert paper.totals.flops == conv_flops + 32 * 10
    assert every.totals.flops == conv_flops + 2 * n + n + n + 32 * 10
    assert paper.totals.params == every.totals.params == 9 * 16 * 32 + 64 + 32 * 10 + 10
    assert paper.totals.mac == every.totals.mac == sum(l.mac for l in paper.layers)
    assert all(isinstance(v, int) for v in paper.totals.as_dict().values())


def test_batch_scales_everything_but_params():
    one, four = cm.analyze(conv_bn_relu_graph()), cm.analyze(conv_bn_relu_graph(batch=4))
    assert four.totals.flops == 4 * one.totals.flops
    assert four.totals.params == one.totals.params
    assert four.totals.activations == 4 * one.totals.activations
    assert four.totals.mac == 4 * (one.totals.mac - one.totals.params) + one.totals.params


def test_group_by_stage_kind_category():
    result = cm.analyze(conv_bn_relu_graph())
    stages = result.group_by("stage")
    assert list(stages) == ["stem", "head"]
    assert stages["stem"] + stages["head"] == result.totals
    kinds = result.group_by("kind")
    assert list(kinds) == ["conv", "batch_norm", "relu", "global_avg_pool", "flatten", "linear"]
    assert set(result.group_by("category")) == {"conv", "elementwise", "pool", "movement", "fc"}
    with pytest.raises(cm.UsageError):
        result.group_by("colour")


def test_fusion_changes_mac_only():
    g = conv_bn_relu_graph()
    plain = cm.analyze(g)
    folded = cm.analyze(g, fuse=["bn", "activation"])
    n = 32 * 32 * 32
    assert folded.layer("stem.bn").mac == 0 and folded.layer("stem.relu").mac == 0
    assert folded.totals.mac == plain.totals.mac - (2 * n + 64) - 2 * n
    assert (folded.totals.flops, folded.totals.params) == (plain.totals.flops, plain.totals.params)
    only_bn = cm.analyze(g, fuse=["bn"])
    assert only_bn.layer("stem.relu").mac == 2 * n  # its producer, the BatchNorm, stays a node
    with pytest.raises(cm.UsageError):
        cm.analyze(g, fuse=["everything"])
    with pytest.raises(cm.UsageError):
        cm.analyze(g, "some")


def test_activation_not_folded_when_conv_output_is_shared():
    g = cm.Graph("shared", (8, 8, 8))
    x = g.add("conv", cm.Conv2d(8, kernel=1), g.input)
    y = g.add("relu", cm.ReLU(), x)
    g.add("sum", cm.Add(), x, y)
    assert cm.analyze(g, fuse=["activation"]).layer("relu").mac == 2 * 512


def test_activation_folds_into_linear_and_add():
    g = cm.Graph("fold", (8, 4, 4))
    x = g.add("conv", cm.Conv2d(8, kernel=1), g.input)
    s = g.add("sum", cm.Add(), x, g.input)
    r = g.add("relu", cm.ReLU(), s)
    f = g.add("flatten", cm.Flatten(), r)
    y = g.add("fc", cm.Linear(4), f)
    g.add("fc_relu", cm.ReLU(), y)
    fused = cm.analyze(g, fuse=["activation"])
    assert fused.layer("relu").mac == 0 and fused.layer("fc_relu").mac == 0
    assert cm.analyze(g).layer("fc_relu").mac == 8


def test_a_tensor_fed_twice_is_read_once():
    g = cm.Graph("twice", (8, 4, 4))
    g.add("double", cm.Add(), g.input, g.input)
    g.add("cat", cm.Concat(), g.input, g.input, g.input)
    result = cm.analyze(g, "all")
    assert result.layer("double").mac == 128 + 128
    assert result.layer("double").flops == 128
    assert result.layer("cat").mac == 128 + 3 * 128


def test_shuffle_fusion_keeps_one_data_movement():
    g = cm.Graph("v2", (32, 7, 7))
    a, b = g.add("split", cm.Split(2), g.input)
    b = g.add("conv", cm.Conv2d(16, kernel=1), b)
    x = g.add("concat", cm.Concat(), a, b)
    x = g.add("shuffle", cm.ChannelShuffle(2), x)
    g.add("next_split", cm.Split(2), x)
    fused = cm.analyze(g, fuse=["shuffle"])
    n = 32 * 49
    assert fused.layer("concat").mac == 2 * n
    assert fused.layer("shuffle").mac == 0 and fused.layer("next_split").mac == 0
    assert fused.layer("split").mac == 2 * n  # the first split follows no concat
    assert cm.analyze(g).layer("shuffle").mac == 2 * n


def test_receptive_field_and_effective_stride():
    # three stacked 3x3 convs see 7x7 (VGG); ResNet's 7x7/2 conv + 3x3/2 pool see 11x11 at stride 4
    g = cm.Graph("vgg", (3, 32, 32))
    x = g.input
    for i in range(3):
        x = g.add(f"c{i}", cm.Conv2d(8, kernel=3, padding=1), x)
    assert cm.analyze(g).layers[-1].field == (7, 7, 1, 1)
    g = cm.Graph("stem", (3, 224, 224))
    x = g.add("conv1", cm.Conv2d(64, kernel=7, stride=2, padding=3), g.input)
    x = g.add("pool", cm.MaxPool2d(3, 2, padding=1), x)
    x = g.add("dilated", cm.Conv2d(64, kernel=3, padding=2, dilation=2), x)
    x = g.add("up", cm.Upsample(2), x)
    fields = [l.field for l in cm.analyze(g).layers]
    assert fields[1] == (11, 11, 4, 4)
    assert fields[2] == (11 + 2 * 2 * 4, 11 + 2 * 2 * 4, 4, 4)
    assert fields[3] == (27, 27, 2, 2)
    g = cm.Graph("up", (3, 8, 8))
    x = g.add("up", cm.Upsample(2), g.input)
    x = g.add("conv", cm.Conv2d(3, kernel=3, padding=1), x)
    assert cm.analyze(g).layers[-1].field == (2, 2, Fraction(1, 2), Fraction(1, 2))


def test_branches_take_the_larger_field():
    g = cm.Graph("branches", (4, 16, 16))
    a = g.add("a", cm.Conv2d(4, kernel=5, padding=2), g.input)
    b = g.add("b", cm.Conv2d(4, kernel=1), g.input)
    g.add("sum", cm.Add(), a, b)
    assert cm.analyze(g).layer("sum").field == (5, 5, 1, 1)


def test_symbolic_field_uses_max_of_branches():
    k = cm.symbols("k")
    g = cm.Graph("sym", (4, 64, 64))
    a = g.add("a", cm.Conv2d(4, kernel=k), g.input)
    b = g.add("b", cm.Conv2d(4, kernel=k), g.input)
    g.add("cat", cm.Concat(), a, b)
    assert cm.analyze(g).layer("cat").field.size_h == k


def test_subs_turns_symbols_into_ints():
    h, c = cm.symbols("h c")
    g = cm.Graph("sym", (c, h, h))
    g.add("conv", cm.Conv2d(2 * c, kernel=3, stride=2, padding=1), g.input)
    result = cm.analyze(g).subs({"h": 225, "c": 8})
    assert result.totals.flops == 9 * 8 * 16 * 113 * 113
    assert type(result.totals.flops) is int
