"""ShuffleNet v1 and v2 against the papers' tables (Zhang et al. 2018, ShuffleNet; Ma et al. 2018, ShuffleNet V2)
and torchvision's published parameter counts."""
from fractions import Fraction

import pytest
import sympy

import costmodel.zoo.shufflenet  # registers  # noqa: F401
from costmodel.analysis import analyze
from costmodel.errors import UsageError
from costmodel.ops import AvgPool2d, ChannelShuffle, Concat, Conv2d, Split
from costmodel.zoo import build
from costmodel.zoo.shufflenet import shufflenet_v1, shufflenet_v2

M = 10 ** 6
V1_1X = {1: 144, 2: 200, 3: 240, 4: 272, 8: 384}  # Table 1, Stage2 output channels at 1x


def totals(name, **params):
    return analyze(build(name, **params)).totals


def paper_rounding(value, printed, digits=1):
    """``printed`` M (e.g. 2.3) covers [printed - 0.05, printed + 0.05) M."""
    half = Fraction(5, 10 ** (digits + 1))
    return Fraction(printed) - half <= Fraction(value, M) < Fraction(printed) + half


# ----- ShuffleNet v1 -------------------------------------------------------------------------------------
# Zhang et al. 2018, ShuffleNet, Table 1, "Complexity" row, 1x: g = 1, 2, 3, 4, 8.
@pytest.mark.parametrize("groups, paper_mflops", [(1, 143), (2, 140), (3, 137), (4, 133), (8, 137)])
def test_v1_table1_complexity_per_group(groups, paper_mflops):
    assert abs(totals("shufflenet_v1", groups=groups).flops - paper_mflops * M) <= 2 * M


# Zhang et al. 2018, ShuffleNet, Table 8 (FLOPs column): ShuffleNet 0.5x (g=3) 38M, 2x (g=3) 524M.
@pytest.mark.parametrize("width, paper_mflops", [(0.5, 38), (2.0, 524)])
def test_v1_widths_at_g3(width, paper_mflops):
    assert abs(totals("shufflenet_v1", width=width, groups=3).flops - paper_mflops * M) <= 2 * M


def test_v1_1x_g3_supports_table1_137m_not_140m():
    """Table 1 prints 137M for 1x g=3, the speed table 140M: the count sides with Table 1."""
    flops = totals("shufflenet_v1").flops
    assert abs(flops - 137 * M) < abs(flops - 140 * M)
    assert abs(flops - 137 * M) < M


def test_v1_stage_channels_and_repeats_follow_table1():
    """Table 1, g = 3: stage outputs 240/480/960 at 28/14/7, units 1+3, 1+7, 1+3; conv1 24 at 112."""
    g = build("shufflenet_v1")
    assert g.node("conv1").outputs[0] == (24, 112, 112)
    assert g.node("maxpool").outputs[0] == (24, 56, 56)
    for stage, (channels, size, units) in {"stage2": (240, 28, 4), "stage3": (480, 14, 8),
                                           "stage4": (960, 7, 4)}.items():
        blocks = sorted({n.name.split(".")[1] for n in g if n.name.startswith(stage + ".")}, key=int)
        assert blocks == [str(i) for i in range(units)]
        for i in range(units):
            last = [n for n in g if n.name.startswith(f"{stage}.{i}.")][-1]
            assert last.outputs[0] == (channels, size, size)
    assert g.node("fc").outputs[0] == (1000,)


def test_v1_unit_structure():
    """Official ShuffleV1Block: bottleneck out/4; stage 2's first 1x1 dense, the rest grouped; shuffle after
    the first 1x1; stride-2 units: 3x3/2 average-pool shortcut (padding 1), residual out - in, concat."""
    g = build("shufflenet_v1", groups=3)
    first = g.node("stage2.0.conv1").op
    assert isinstance(first, Conv2d) and first.groups == 1 and first.out_channels == 240 // 4
    assert g.node("stage2.1.conv1").op.groups == 3
    assert g.node("stage3.0.conv1").op.groups == 3 and g.node("stage3.0.conv1").op.out_channels == 480 // 4
    names = [n.name for n in g if n.name.startswith("stage2.0.")]
    assert names.index("stage2.0.shuffle") == names.index("stage2.0.conv1_relu") + 1
    assert g.node("stage2.0.shuffle").op == ChannelShuffle(3)
    assert g.node("stage2.0.conv2").op.groups == 60  # depthwise
    pool = g.node("stage3.0.shortcut").op
    assert isinstance(pool, AvgPool2d) and pool.kernel == (3, 3) and pool.stride == (2, 2) and pool.padding == (1, 1)
    assert g.node("stage3.0.conv3").outputs[0][0] == 480 - 240
    assert isinstance(g.node("stage3.0.concat").op, Concat)
    assert g.node("stage3.1.add").outputs[0] == (480, 14, 14)


def test_v1_groups_1_has_no_shuffle():
    assert not any(isinstance(n.op, ChannelShuffle) for n in build("shufflenet_v1", groups=1))


@pytest.mark.parametrize("width, groups, stem", [(0.5, 3, 12), (0.5, 8, 16), (1.0, 3, 24), (1.5, 8, 24),
                                                 (2.0, 3, 48)])
def test_v1_stem_as_official_code(width, groups, stem):
    """megvii-model/ShuffleNet-Series ShuffleNetV1/network.py: stage_out_channels[1] per size and group."""
    assert build("shufflenet_v1", width=width, groups=groups).node("conv1").outputs[0][0] == stem


@pytest.mark.parametrize("groups, stem", [(1, 6), (3, 6), (8, 8)])
def test_v1_quarter_width(groups, stem):
    """0.25x builds for groups 1, 3, 8 (Table 1 x 0.25: bottlenecks 9, 15, 24 split into whole groups);
    its conv1 is 24 x 0.25 = 6 rounded up to a multiple of the groups, the rule that gives the official 16
    for 0.5x g=8."""
    g = build("shufflenet_v1", width=0.25, groups=groups)
    assert g.node("conv1").outputs[0][0] == stem
    assert g.node("stage2.3.relu").outputs[0] == (V1_1X[groups] // 4, 28, 28)


@pytest.mark.parametrize("params, words", [
    ({"groups": 5}, "groups must be one of 1, 2, 3, 4, 8"),
    ({"width": 0.75}, "width must be one of 0.25, 0.5, 1.0, 1.5, 2.0"),
    ({"width": 0.5, "groups": 2}, "does not split into 2 groups"),
    ({"resolution": 100}, "multiple of 32"),
])
def test_v1_bad_arguments(params, words):
    with pytest.raises(UsageError, match=words):
        build("shufflenet_v1", **params)


def test_v1_direct_call_refuses_bad_group():
    with pytest.raises(UsageError, match="got 6"):
        shufflenet_v1(width=1, groups=6, resolution=224, classes=1000)


# ----- ShuffleNet v2 -------------------------------------------------------------------------------------
# Ma et al. 2018, ShuffleNet V2, Table 5: FLOPs 41M / 146M / 299M / 591M, # of Weights 1.4M / 2.3M / 3.5M / 7.4M.
TABLE5 = [(0.5, 41, "1.4"), (1.0, 146, "2.3"), (1.5, 299, "3.5"), (2.0, 591, "7.4")]


@pytest.mark.parametrize("width, paper_mflops, paper_mparams", TABLE5)
def test_v2_table5_flops_and_params(width, paper_mflops, paper_mparams):
    cost = totals("shufflenet_v2", width=width)
    tolerance = M if paper_mflops < 100 else paper_mflops * M // 100
    assert abs(cost.flops - paper_mflops * M) <= tolerance
    assert paper_rounding(cost.params, paper_mparams)


# torchvision shufflenet_v2_x0_5 ... x2_0, sum(p.numel() for p in model.parameters()) as published in
# torchvision's model documentation (num_params).
@pytest.mark.parametrize("width, torchvision_params", [(0.5, 1366792), (1.0, 2278604), (1.5, 3503624),
                                                      (2.0, 7393996)])
def test_v2_torchvision_params_exact(width, torchvision_params):
    assert totals("shufflenet_v2", width=width, variant="torchvision").params == torchvision_params


@pytest.mark.parametrize("width, out", [(0.5, 48), (1.0, 116), (1.5, 176), (2.0, 244)])
def test_v2_variants_differ_only_in_stage2_first_unit(width, out):
    """Independent formula for the difference. Stage 2's first unit sees in = 24 channels at 28x28; the
    official unit has branch1 1x1 in->in and branch2's last 1x1 out/2 -> out-in, torchvision's in->out/2 and
    out/2->out/2 (stages 3-4: in = out/2, identical). BatchNorm widths balance (2in + 2(out-in) = 4 out/2);
    torchvision's FC has a bias (1000), Megvii's not."""
    c_in, half = 24, out // 2
    weights = c_in * c_in + half * (out - c_in) - c_in * half - half * half
    paper, tv = totals("shufflenet_v2", width=width), totals("shufflenet_v2", width=width, variant="torchvision")
    assert paper.flops - tv.flops == 28 * 28 * weights
    assert paper.params - tv.params == weights - 1000


def test_v2_conv1_row_of_the_json_contract():
    """Ma et al. 2018, ShuffleNet V2, Table 5: conv1 is the 3x3 stride-2 3->24 conv on 224x224 (built bias-free,
    its BatchNorm separate): flops 112*112*24*27, params 27*24, mac 3*224*224 + 24*112*112 + 648."""
    layer = analyze(build("shufflenet_v2")).layer("conv1")
    assert (layer.name, layer.op.kind, layer.stage) == ("conv1", "conv", "conv1")
    assert layer.node.input_shapes == ((3, 224, 224),) and layer.node.outputs == ((24, 112, 112),)
    assert (layer.flops, layer.params, layer.mac, layer.activations) == (8128512, 648, 452232, 301056)


def stage_rows(g):
    """Table rows derived from block scopes as a stage table would: (stage, size, stride, repeat, channels)."""
    blocks = {}
    for node in g:
        parts = node.name.split(".")
        if len(parts) > 2 and parts[0].startswith("stage"):
            blocks.setdefault((parts[0], parts[1]), []).append(node)
    rows, size = [], g.node("maxpool").outputs[0][1]
    for (stage, _), nodes in blocks.items():
        channels, out_size, _ = nodes[-1].outputs[0]
        stride = size // out_size
        if rows and tuple(rows[-1][:3]) == (stage, out_size, stride) and rows[-1][4] == channels:
            rows[-1][3] += 1
        else:
            rows.append([stage, out_size, stride, 1, channels])
        size = out_size
    return [tuple(r) for r in rows]


@pytest.mark.parametrize("variant", ["paper", "torchvision"])
@pytest.mark.parametrize("width, channels", [(0.5, (48, 96, 192, 1024)), (1.0, (116, 232, 464, 1024)),
                                             (1.5, (176, 352, 704, 1024)), (2.0, (244, 488, 976, 2048))])
def test_v2_table5_rows_from_block_scopes(variant, width, channels):
    """Table 5: Stage2 28x28 stride 2 x1 then stride 1 x3; Stage3 14x14 x1 + x7; Stage4 7x7 x1 + x3."""
    g = build("shufflenet_v2", width=width, variant=variant)
    c2, c3, c4, c5 = channels
    assert stage_rows(g) == [("stage2", 28, 2, 1, c2), ("stage2", 28, 1, 3, c2),
                             ("stage3", 14, 2, 1, c3), ("stage3", 14, 1, 7, c3),
                             ("stage4", 7, 2, 1, c4), ("stage4", 7, 1, 3, c4)]
    assert g.node("conv1").outputs[0] == (24, 112, 112) and g.node("maxpool").outputs[0] == (24, 56, 56)
    assert g.node("conv5").outputs[0] == (c5, 7, 7) and g.node("conv5").op.kernel == (1, 1)
    assert g.node("globalpool").outputs[0] == (c5, 1, 1) and g.node("fc").outputs[0] == (1000,)
    assert [s for s in dict.fromkeys(n.stage for n in g)] == ["conv1", "maxpool", "stage2", "stage3", "stage4",
                                                               "conv5", "globalpool", "fc"]


def test_v2_split_concat_shuffle_are_nodes():
    """Official code: shuffle + split at the start of each stride-1 unit (13); torchvision: a shuffle after
    every unit (16). Every unit ends in a concat; stride-1 units split their input in two."""
    for variant, shuffles in (("paper", 13), ("torchvision", 16)):
        g = build("shufflenet_v2", variant=variant)
        kinds = [type(n.op) for n in g]
        assert kinds.count(ChannelShuffle) == shuffles
        assert kinds.count(Concat) == 16 and kinds.count(Split) == 13
    g = build("shufflenet_v2")
    assert g.node("stage2.0.branch2.conv1").outputs[0] == (58, 56, 56)
    assert g.node("stage2.0.branch1.conv2").outputs[0] == (24, 28, 28)  # official: branch1 keeps 24
    assert g.node("stage2.0.branch2.conv3").outputs[0] == (116 - 24, 28, 28)
    tv = build("shufflenet_v2", variant="torchvision")
    assert tv.node("stage2.0.branch1.conv2").outputs[0] == (58, 28, 28)
    assert tv.node("stage2.0.branch2.conv3").outputs[0] == (58, 28, 28)


def test_v2_shuffle_fusion_only_lowers_mac():
    """Merging concat + shuffle + split (ShuffleNet V2, section 3) leaves flops and params alone."""
    g = build("shufflenet_v2")
    plain, fused = analyze(g), analyze(g, fuse=["shuffle"])
    assert (fused.totals.flops, fused.totals.params) == (plain.totals.flops, plain.totals.params)
    # each of the 13 stride-1 units saves its shuffle and split: 2 reads + 2 writes of the unit input
    saved = sum(4 * c * s * s * n for c, s, n in ((116, 28, 3), (232, 14, 7), (464, 7, 3)))
    assert plain.totals.mac - fused.totals.mac == saved


@pytest.mark.parametrize("name, params", [("shufflenet_v2", {}), ("shufflenet_v2", {"variant": "torchvision"}),
                                          ("shufflenet_v1", {"groups": 8})])
def test_symbolic_resolution_substitutes_to_numeric(name, params):
    r = sympy.Symbol("r", positive=True, integer=True)
    symbolic = analyze(build(name, resolution=r, **params)).totals
    assert symbolic.is_symbolic
    assert symbolic.subs({"r": 224}) == totals(name, **params)
    assert symbolic.subs({"r": 160}) == totals(name, resolution=160, **params)


@pytest.mark.parametrize("params, words", [
    ({"width": 0.75}, "width must be one of 0.5, 1.0, 1.5, 2.0"),
    ({"variant": "megvii"}, "variant must be one of paper, torchvision"),
    ({"resolution": 230}, "multiple of 32"),
])
def test_v2_bad_arguments(params, words):
    with pytest.raises(UsageError, match=words):
        build("shufflenet_v2", **params)


def test_v2_direct_call_refuses_other_widths():
    with pytest.raises(UsageError, match="width must be one of 0.5, 1.0, 1.5, 2.0, got 0.75"):
        shufflenet_v2(width=Fraction(3, 4), resolution=224, classes=1000, variant="paper")
    with pytest.raises(UsageError, match="variant must be one of paper, torchvision, got 'tf'"):
        shufflenet_v2(width=1, resolution=224, classes=1000, variant="tf")
