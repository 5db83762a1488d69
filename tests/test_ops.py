"""Each op's shape and cost rules against formulas written out here, independently of costmodel/ops.

Expected values follow PyTorch's documented output-size formulas and the counting conventions of
docs/conventions.md (multiply-add = 1; biases not in flops; mac = elements read + written + params).
"""
import pytest

import costmodel as cm


def out_len(n, k, s=1, p=0, d=1):
    """PyTorch Conv2d/MaxPool2d: floor((n + 2p - d(k-1) - 1) / s) + 1."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def run(shape, op, convention="paper", batch=1):
    g = cm.Graph("t", shape, batch=batch)
    g.add("node", op, g.input)
    return g.nodes[0], cm.analyze(g, convention).layers[0].cost


# (c_in, h, w, c_out, kernel, stride, padding, dilation, groups, bias)
CONV_CASES = [
    (3, 224, 224, 32, 3, 2, 1, 1, 1, False),        # MobileNet conv1
    (32, 112, 112, 32, 3, 1, 1, 1, 32, False),      # depthwise
    (32, 112, 112, 64, 1, 1, 0, 1, 1, False),       # pointwise
    (240, 28, 28, 60, 1, 1, 0, 1, 3, False),        # grouped 1x1 (ShuffleNet g=3)
    (64, 56, 56, 64, 3, 1, 2, 2, 1, True),          # dilated, biased
    (16, 15, 17, 8, (1, 5), (1, 2), (0, 2), 1, 2, False),  # non-square kernel, stride, padding
    (6, 10, 10, 12, 3, 3, 0, 1, 6, True),           # depthwise multiplier 2, strided, odd leftover
]


@pytest.mark.parametrize("c_in,h,w,c_out,k,s,p,d,g,bias", CONV_CASES)
def test_conv2d(c_in, h, w, c_out, k, s, p, d, g, bias):
    kh, kw = k if isinstance(k, tuple) else (k, k)
    sh, sw = s if isinstance(s, tuple) else (s, s)
    ph, pw = p if isinstance(p, tuple) else (p, p)
    node, cost = run((c_in, h, w), cm.Conv2d(c_out, kernel=k, stride=s, padding=p, dilation=d, groups=g, bias=bias))
    ho, wo = out_len(h, kh, sh, ph, d), out_len(w, kw, sw, pw, d)
    weights = c_out * (c_in // g) * kh * kw
    assert node.outputs == ((c_out, ho, wo),)
    assert cost.params == weights + (c_out if bias else 0)
    assert cost.flops == weights * ho * wo
    assert cost.mac == c_in * h * w + c_out * ho * wo + cost.params
    assert cost.activations == c_out * ho * wo


def test_conv_flops_identical_under_both_conventions_and_scale_with_batch():
    _, paper = run((8, 9, 9), cm.Conv2d(4, kernel=3))
    _, every = run((8, 9, 9), cm.Conv2d(4, kernel=3), "all")
    _, batched = run((8, 9, 9), cm.Conv2d(4, kernel=3), batch=5)
    assert paper == every
    assert batched.flops == 5 * paper.flops
    assert batched.params == paper.params
    assert batched.mac == 5 * (8 * 81 + 4 * 49) + paper.params
    assert batched.activations == 5 * 4 * 49


@pytest.mark.parametrize("c_in,h,c_out,k,s,p,op_pad,g", [(64, 7, 32, 4, 2, 1, 0, 1), (16, 5, 16, 3, 2, 1, 1, 4),
                                                         (8, 3, 4, 2, 1, 0, 0, 1)])
def test_conv_transpose(c_in, h, c_out, k, s, p, op_pad, g):
    node, cost = run((c_in, h, h), cm.ConvTranspose2d(c_out, kernel=k, stride=s, padding=p, output_padding=op_pad,
                                                      groups=g, bias=True))
    size = (h - 1) * s - 2 * p + (k - 1) + op_pad + 1
    weights = c_in * (c_out // g) * k * k
    assert node.outputs == ((c_out, size, size),)
    assert cost.params == weights + c_out
    assert cost.flops == weights * h * h  # every input pixel scatters a k x k x c_out/g patch
    assert cost.mac == c_in * h * h + c_out * size * size + cost.params


def test_deformable_conv_counts_offsets_sampling_and_conv():
    c_in, h, c_out, k = 16, 14, 32, 3
    node, cost = run((c_in, h, h), cm.DeformableConv2d(c_out, kernel=k, padding=1))
    _, every = run((c_in, h, h), cm.DeformableConv2d(c_out, kernel=k, padding=1), "all")
    offsets = 2 * k * k  # (dy, dx) per tap
    out = h * h
    assert node.outputs == ((c_out, h, h),)
    assert cost.params == (k * k * c_in * offsets + offsets) + k * k * c_in * c_out
    assert cost.flops == (k * k * c_in * offsets + k * k * c_in * c_out) * out  # the two convolutions
    assert every.flops == cost.flops + 4 * k * k * c_in * out  # and the bilinear sampling
    assert cost.mac == c_in * out + c_out * out + 2 * offsets * out + cost.params


@pytest.mark.parametrize("cls", [cm.MaxPool2d, cm.AvgPool2d])
@pytest.mark.parametrize("k,s,p,ceil,h", [(3, 2, 1, False, 112), (2, 2, 0, False, 7), (3, 2, 0, True, 56),
                                          (3, 2, 0, False, 56), (3, 2, 0, True, 13)])
def test_window_pools(cls, k, s, p, ceil, h):
    node, paper = run((24, h, h), cls(kernel=k, stride=s, padding=p, ceil_mode=ceil))
    _, every = run((24, h, h), cls(kernel=k, stride=s, padding=p, ceil_mode=ceil), "all")
    if ceil:
        size = -(-(h + 2 * p - k) // s) + 1
        if (size - 1) * s >= h + p:
            size -= 1
    else:
        size = out_len(h, k, s, p)
    assert node.outputs == ((24, size, size),)
    assert paper.flops == 0 and paper.params == 0
    assert every.flops == k * k * 24 * size * size
    assert paper.mac == 24 * h * h + 24 * size * size


def test_ceil_mode_matches_known_squeezenet_sizes():
    # SqueezeNet 1.0 (torchvision): 111 -> 55 -> 27 -> 13 with 3x3/2 ceil_mode max pools
    sizes = [111]
    for _ in range(3):
        node, _ = run((96, sizes[-1], sizes[-1]), cm.MaxPool2d(3, 2, ceil_mode=True))
        sizes.append(node.outputs[0][1])
    assert sizes == [111, 55, 27, 13]


def test_ceil_mode_sizes_follow_pytorch_rule_for_numbers_and_symbols():
    """PyTorch's rule as its pooling_output_shape writes it: ceil((n + 2p - span)/s) + 1, less one when the
    last window would start in the right padding. A symbolic size gives the same numbers once substituted."""
    import itertools
    import math

    n = cm.symbols("n")
    for size, kernel, stride, padding in itertools.product(range(2, 30), range(1, 5), range(1, 4), range(0, 3)):
        if padding > kernel // 2 or kernel > size + 2 * padding:
            continue
        expected = math.ceil((size + 2 * padding - kernel) / stride) + 1
        if (expected - 1) * stride >= size + padding:
            expected -= 1
        pool = cm.MaxPool2d(kernel, stride, padding, ceil_mode=True)
        node, _ = run((4, size, size), pool)
        assert node.outputs[0][1] == expected, (size, kernel, stride, padding)
        if size >= kernel:
            symbolic, _ = run((4, n, n), pool)
            assert symbolic.outputs[0][1].subs(n, size) == expected, (size, kernel, stride, padding)


def test_global_avg_pool_and_linear():
    node, every = run((1024, 7, 7), cm.GlobalAvgPool(), "all")
    assert node.outputs == ((1024, 1, 1),)
    assert every.flops == 1024 * 49
    g = cm.Graph("t", (1024, 7, 7))
    x = g.add("pool", cm.GlobalAvgPool(), g.input)
    x = g.add("flatten", cm.Flatten(), x)
    g.add("fc", cm.Linear(1000), x)
    fc = cm.analyze(g).layer("fc").cost
    flatten = cm.analyze(g).layer("flatten").cost
    assert g.node("fc").outputs == ((1000,),)
    assert fc.params == 1024 * 1000 + 1000
    assert fc.flops == 1024 * 1000
    assert fc.mac == 1024 + 1000 + fc.params
    assert flatten == cm.Cost(0, 0, 0, 1024)


def test_max_unpool_reads_values_and_indices():
    node, cost = run((8, 28, 28), cm.MaxUnpool2d(kernel=2, stride=2))
    assert node.outputs == ((8, 56, 56),)
    assert cost.flops == 0
    assert cost.mac == 2 * 8 * 28 * 28 + 8 * 56 * 56


def test_batch_norm():
    _, paper = run((32, 10, 10), cm.BatchNorm())
    _, every = run((32, 10, 10), cm.BatchNorm(), "all")
    assert paper.params == 64 and paper.flops == 0
    assert every.flops == 2 * 3200
    assert paper.mac == 2 * 3200 + 64


@pytest.mark.parametrize("op,per_element", [(cm.ReLU(), 1), (cm.ReLU6(), 1), (cm.LeakyReLU(0.1), 1),
                                            (cm.Sigmoid(), 1), (cm.HardSigmoid(), 1), (cm.Swish(), 2),
                                            (cm.HardSwish(), 2)])
def test_activations(op, per_element):
    _, paper = run((16, 8, 8), op)
    _, every = run((16, 8, 8), op, "all")
    assert paper.flops == 0 and paper.params == 0
    assert every.flops == per_element * 1024
    assert paper.mac == 2 * 1024


def test_add_and_broadcast_mul():
    g = cm.Graph("se", (64, 14, 14))
    s = g.add("pool", cm.GlobalAvgPool(), g.input)
    m = g.add("scale", cm.Mul(), g.input, s)
    total = g.add("sum", cm.Add(), m, g.input, g.input)
    every = cm.analyze(g, "all")
    assert g.node("scale").outputs == ((64, 14, 14),)
    assert every.layer("scale").flops == 64 * 196
    assert every.layer("scale").mac == 64 * 196 + 64 + 64 * 196
    assert every.layer("sum").flops == 2 * 64 * 196  # three inputs: two additions per element
    assert every.layer("sum").mac == 3 * 64 * 196  # the input fed twice is read once
    assert total.shape == (64, 14, 14)
    assert cm.analyze(g).layer("sum").flops == 0


def test_concat_split_shuffle():
    g = cm.Graph("unit", (116, 28, 28))
    left, right = g.add("split", cm.Split(2), g.input)
    joined = g.add("concat", cm.Concat(), left, right, g.input)
    shuffled = g.add("shuffle", cm.ChannelShuffle(2), joined)
    a, b, c = g.add("uneven", cm.Split(sizes=[100, 100, 32]), shuffled)
    assert left.shape == right.shape == (58, 28, 28)
    assert joined.shape == (232, 28, 28)
    assert (a.shape[0], b.shape[0], c.shape[0]) == (100, 100, 32)
    result = cm.analyze(g, "all")
    n = 28 * 28
    assert result.layer("split").cost == cm.Cost(0, 0, 2 * 116 * n, 116 * n)
    assert result.layer("concat").cost == cm.Cost(0, 0, 2 * 232 * n, 232 * n)
    assert result.layer("shuffle").cost == cm.Cost(0, 0, 2 * 232 * n, 232 * n)


def test_upsample_shift_identity():
    node, nearest = run((8, 5, 7), cm.Upsample(2), "all")
    _, bilinear = run((8, 5, 7), cm.Upsample((2, 3), mode="bilinear"), "all")
    _, shift = run((8, 5, 7), cm.Shift(3), "all")
    _, identity = run((8, 5, 7), cm.Identity(), "all")
    assert node.outputs == ((8, 10, 14),)
    assert nearest.flops == 0 and nearest.mac == 8 * 35 + 8 * 140
    assert bilinear.flops == 4 * 8 * 10 * 21
    assert shift == cm.Cost(0, 0, 2 * 8 * 35, 8 * 35)
    assert identity == cm.Cost(0, 0, 0, 8 * 35)


def test_depthwise_helper():
    op = cm.depthwise(32, kernel=5, stride=2)
    assert (op.groups, op.out_channels, op.padding, op.stride) == (32, 32, (2, 2), (2, 2))


def test_intensity_is_exact():
    _, cost = run((128, 56, 56), cm.Conv2d(128))
    from fractions import Fraction
    assert cost.intensity == Fraction(51380224, 819200)
    assert run((8, 4, 4), cm.Identity())[1].intensity == 0


def test_local_response_norm():
    _, paper = run((96, 55, 55), cm.LocalResponseNorm(5))
    _, every = run((96, 55, 55), cm.LocalResponseNorm(5), "all")
    n = 96 * 55 * 55
    assert paper == cm.Cost(0, 0, 2 * n, n)
    assert every.flops == 7 * n
