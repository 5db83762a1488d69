"""The ops added for imported networks (matmul, norms, GELU and other activations, layout ops, reductions),
each against formulas written out here, independently of costmodel/ops: shape, params, flops under
``paper`` and ``all``, mac (elements read + written + params), numerically and with symbols, and the exact
error of every violated constraint."""
import pytest
import sympy

import costmodel as cm
from costmodel.ops import (GELU, OPS, BiasAdd, Clip, Div, Erf, GlobalMaxPool, GroupNorm, InstanceNorm, LayerNorm,
                           LayerScale, Linear, MatMul, Pad, PReLU, ReduceMean, Reshape, Slice, Softmax, Squeeze,
                           Sub, Tanh, Transpose, Unsqueeze, Upsample, Concat, Split)
from costmodel.report import by_layer
from costmodel.spec import load_spec

H, W, C, L, D = sympy.symbols("h w c l d", positive=True, integer=True)


def prod(values):
    result = 1
    for v in values:
        result *= v
    return result


def costs(op, *shapes, batch=1):
    """(output shapes, paper cost, all cost) of ``op`` on graph inputs of ``shapes``."""
    results = []
    for convention in ("paper", "all"):
        g = cm.Graph("t", shapes[0], batch=batch)
        extra = [g.add_input(f"in{i}", s) for i, s in enumerate(shapes[1:], 1)]
        g.add("node", op, g.input, *extra)
        results.append(cm.analyze(g, convention).layers[0].cost)
    return g.nodes[0].outputs, results[0], results[1]


def same(a, b):
    return sympy.expand(a - b) == 0


def node_error(op, *shapes):
    g = cm.Graph("t", shapes[0])
    extra = [g.add_input(f"in{i}", s) for i, s in enumerate(shapes[1:], 1)]
    with pytest.raises(cm.NodeError) as caught:
        g.add("bad", op, g.input, *extra)
    return str(caught.value)


def op_error(make):
    with pytest.raises(cm.OpError) as caught:
        make()
    return str(caught.value)


# ----- matmul and linear ------------------------------------------------------------------------------------

@pytest.mark.parametrize("a,b,out,batch,m,k,n", [
    ((196, 64), (64, 196), (196, 196), 1, 196, 64, 196),               # one head of attention, Q K^T
    ((12, 197, 64), (12, 64, 197), (12, 197, 197), 12, 197, 64, 197),  # 12 heads
    ((12, 197, 197), (1, 197, 64), (12, 197, 64), 12, 197, 197, 64),   # a 1 broadcast
    ((5, 3, 8, 4), (4, 6), (5, 3, 8, 6), 15, 8, 4, 6),                 # lower rank broadcast
    ((4,), (4, 6), (6,), 1, 1, 4, 6),                                  # a row vector
    ((8, 4), (4,), (8,), 1, 8, 4, 1),                                  # a column vector
])
def test_matmul(a, b, out, batch, m, k, n):
    outputs, paper, every = costs(MatMul(), a, b)
    assert outputs == (out,)
    assert paper.flops == every.flops == batch * m * k * n
    assert paper.params == 0
    assert paper.mac == prod(a) + prod(b) + prod(out)


def test_matmul_symbolic_and_batch():
    outputs, paper, _ = costs(MatMul(), (L, D), (D, L), batch=2)
    assert outputs == ((L, L),)
    assert same(paper.flops, 2 * L * D * L)
    assert same(paper.mac, 2 * (2 * L * D + L * L))


def test_matmul_errors():
    assert node_error(MatMul(), (8, 4), (5, 6)) == (
        "node 'bad' (MatMul): inputs inner sizes must match ([.., M, K] x [.., K, N]), got [8, 4] and [5, 6]: "
        "4 != 5")
    assert node_error(MatMul(), (3, 8, 4), (2, 4, 6)) == (
        "node 'bad' (MatMul): inputs batch axes must match (or be 1 to broadcast), got [3] and [2]")
    assert node_error(MatMul(), (4,), (4,)) == (
        "node 'bad' (MatMul): inputs of rank 1 each give a scalar, got [4] and [4]")
    g = cm.Graph("t", (8, 4))
    with pytest.raises(cm.NodeError, match=r"takes exactly 2 input tensor\(s\), got 1"):
        g.add("bad", MatMul(), g.input)


@pytest.mark.parametrize("shape", [(768,), (197, 768), (14, 14, 96)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_any_rank(shape, bias):
    out = 3 * shape[-1]
    outputs, paper, every = costs(Linear(out, bias=bias, any_rank=True), shape)
    leading = prod(shape[:-1])
    assert outputs == (shape[:-1] + (out,),)
    assert paper.params == shape[-1] * out + (out if bias else 0)
    assert paper.flops == every.flops == leading * shape[-1] * out
    assert paper.mac == prod(shape) + leading * out + paper.params


def test_linear_rank_one_unchanged_and_symbolic():
    flat, _, _ = costs(Linear(10), (64,))
    any_rank, _, _ = costs(Linear(10, any_rank=True), (64,))
    assert flat == any_rank == ((10,),)
    outputs, paper, _ = costs(Linear(D, any_rank=True), (L, C))
    assert outputs == ((L, D),)
    assert same(paper.flops, L * C * D)
    assert same(paper.params, C * D + D)
    assert node_error(Linear(10), (4, 64)) == (
        "node 'bad' (Linear): input must be flat [features], got [4, 64] (add a flatten before it)")
    assert op_error(lambda: Linear(10, any_rank=1)) == "Linear any_rank must be true or false, got 1"


# ----- normalisations ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,dims,affine,bias", [
    ((197, 768), 1, True, True), ((197, 768), 1, True, False), ((197, 768), 1, False, True),
    ((96, 14, 14), 3, True, True), ((14, 14, 96), 1, True, True), ((8, 6, 5), 2, True, False),
])
def test_layer_norm(shape, dims, affine, bias):
    outputs, paper, every = costs(LayerNorm(dims, affine=affine, bias=bias), shape)
    normalised = prod(shape[-dims:])
    per_element = 2 + 1 + ((2 if bias else 1) if affine else 0)  # statistics, normalise, scale, shift
    params = ((2 if bias else 1) * normalised) if affine else 0
    assert outputs == (shape,)
    assert paper.params == every.params == params
    assert paper.flops == 0
    assert every.flops == per_element * prod(shape)
    assert paper.mac == 2 * prod(shape) + params


@pytest.mark.parametrize("affine", [True, False])
def test_instance_and_group_norm(affine):
    shape = (32, 28, 28)
    for op in (InstanceNorm(affine=affine), GroupNorm(8, affine=affine)):
        outputs, paper, every = costs(op, shape)
        assert outputs == (shape,)
        assert paper.params == (2 * 32 if affine else 0)
        assert paper.flops == 0
        assert every.flops == (5 if affine else 3) * 32 * 28 * 28
        assert paper.mac == 2 * 32 * 28 * 28 + paper.params


def test_norms_symbolic():
    _, _, every = costs(LayerNorm(), (L, C))
    assert same(every.flops, 5 * L * C) and same(every.params, 2 * C)
    _, _, every = costs(InstanceNorm(), (C, H, W))
    assert same(every.flops, 5 * C * H * W) and same(every.params, 2 * C)
    _, _, every = costs(GroupNorm(4), (4 * C, H, W))
    assert same(every.mac, 2 * 4 * C * H * W + 8 * C)


def test_norm_errors():
    assert node_error(LayerNorm(3), (197, 768)) == (
        "node 'bad' (LayerNorm): normalized_dims must be at most the input's rank 2, got 3 for input [197, 768]")
    assert op_error(lambda: LayerNorm(0)) == "LayerNorm normalized_dims must be at least 1, got 0"
    assert op_error(lambda: LayerNorm(D)) == "LayerNorm normalized_dims must be a number (it counts axes), got d"
    assert op_error(lambda: LayerNorm(affine="yes")) == "LayerNorm affine must be true or false, got 'yes'"
    assert op_error(lambda: LayerNorm(bias=None)) == "LayerNorm bias must be true or false, got None"
    assert node_error(InstanceNorm(), (64,)) == (
        "node 'bad' (InstanceNorm): input must have shape [C, H, W] (channels and at least one spatial axis), "
        "got [64]")
    assert op_error(lambda: InstanceNorm(affine=0)) == "InstanceNorm affine must be true or false, got 0"
    assert node_error(GroupNorm(3), (32, 8, 8)) == (
        "node 'bad' (GroupNorm): groups must divide input channels, but 3 does not divide 32")
    assert op_error(lambda: GroupNorm(0)) == "GroupNorm groups must be at least 1, got 0"


# ----- activations ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("op,per_element", [(GELU(), 2), (Tanh(), 1), (Erf(), 1), (Clip(0.0, 1.0), 1),
                                            (Clip(), 1), (PReLU(), 1), (Softmax(), 3), (Softmax(0), 3)])
def test_activations(op, per_element):
    shape = (24, 7, 9)
    outputs, paper, every = costs(op, shape)
    params = op.channels if isinstance(op, PReLU) else 0
    assert outputs == (shape,)
    assert paper.flops == 0
    assert every.flops == per_element * 24 * 7 * 9
    assert paper.params == params
    assert paper.mac == 2 * 24 * 7 * 9 + params
    _, _, symbolic = costs(op, (C, H, W))
    assert same(symbolic.flops, per_element * C * H * W)


def test_prelu_per_channel():
    _, paper, _ = costs(PReLU(24), (24, 7, 9))
    assert paper.params == 24
    assert paper.mac == 2 * 24 * 7 * 9 + 24
    _, symbolic, _ = costs(PReLU(C), (C, H, W))
    assert same(symbolic.mac, 2 * C * H * W + C)


def test_activation_errors():
    assert node_error(PReLU(16), (24, 7, 9)) == (
        "node 'bad' (PReLU): channels must be 1 or the input channels 24, got 16")
    assert op_error(lambda: PReLU(0)) == "PReLU channels must be at least 1, got 0"
    assert op_error(lambda: Clip(6.0, 0.0)) == "Clip min must be at most max, got min 6.0 and max 0.0"
    assert op_error(lambda: Clip("0", 6.0)) == "Clip min must be a number, got '0'"
    assert op_error(lambda: Clip(0.0, True)) == "Clip max must be a number, got True"
    assert op_error(lambda: Softmax(1.5)) == "Softmax axis must be a whole number, got 1.5"
    assert node_error(Softmax(3), (24, 7, 9)) == (
        "node 'bad' (Softmax): axis must be between -3 and 2 for an input of rank 3, got 3")


def fused_mac(first, second, shape, fuse):
    g = cm.Graph("t", shape)
    g.add("second", second, g.add("first", first, g.input))
    return cm.analyze(g, "paper", fuse).layers[1].cost.mac


@pytest.mark.parametrize("op", [GELU(), Tanh(), Erf(), PReLU(), Clip(0.0, 6.0)])
def test_activation_fusion_folds_the_new_activations(op):
    assert fused_mac(cm.Conv2d(8, kernel=1), op, (4, 5, 5), ["activation"]) == 0
    assert fused_mac(cm.Conv2d(8, kernel=1), op, (4, 5, 5), ["bn"]) == 2 * 8 * 5 * 5 + op.params(((8, 5, 5),))


@pytest.mark.parametrize("op", [Softmax(), LayerNorm(), InstanceNorm(), GroupNorm(2)])
def test_norms_and_softmax_are_never_folded(op):
    params = op.params(((8, 5, 5),))
    assert fused_mac(cm.Conv2d(8, kernel=1), op, (4, 5, 5), ["bn", "activation", "shuffle"]) == \
        2 * 8 * 5 * 5 + params


# ----- element-wise arithmetic ------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", [Sub, Div])
def test_sub_div(cls):
    outputs, paper, every = costs(cls(), (16, 8, 8), (16, 1, 1))
    assert outputs == ((16, 8, 8),)
    assert paper.flops == 0 and paper.params == 0
    assert every.flops == 16 * 8 * 8
    assert paper.mac == 16 * 8 * 8 + 16 + 16 * 8 * 8
    _, _, symbolic = costs(cls(), (C, H, W), (C, H, W))
    assert same(symbolic.mac, 3 * C * H * W)
    assert node_error(cls(), (16, 8, 8), (8, 8, 8)) == (
        f"node 'bad' ({cls.__name__}): inputs shapes must match (or have 1 to broadcast), but got [16, 8, 8] and "
        f"[8, 8, 8]")
    assert node_error(cls(), (4,), (4,), (4,)) == (
        f"node 'bad' ({cls.__name__}): inputs takes exactly 2 input tensor(s), got 3")


@pytest.mark.parametrize("cls", [LayerScale, BiasAdd])
@pytest.mark.parametrize("x,learned", [((96, 14, 14), (96, 1, 1)), ((14, 14, 96), (96,)), ((197, 768), (768,)),
                                       ((8, 4), (8, 4))])
def test_layer_scale_and_bias_add(cls, x, learned):
    outputs, paper, every = costs(cls(learned), x)
    assert outputs == (x,)
    assert paper.params == prod(learned)
    assert paper.flops == 0
    assert every.flops == prod(x)
    assert paper.mac == 2 * prod(x) + prod(learned)


def test_layer_scale_symbolic_and_errors():
    _, _, every = costs(LayerScale((C, 1, 1)), (C, H, W))
    assert same(every.mac, 2 * C * H * W + C) and same(every.flops, C * H * W)
    assert node_error(LayerScale((32, 1, 1)), (96, 14, 14)) == (
        "node 'bad' (LayerScale): shape must broadcast to the input (right-aligned, each size equal or 1), got "
        "[32, 1, 1] for input [96, 14, 14]")
    assert node_error(BiasAdd((1, 96, 1, 1)), (96, 14, 14)) == (
        "node 'bad' (BiasAdd): shape must not have more axes than the input, got [1, 96, 1, 1] for input "
        "[96, 14, 14]")
    assert op_error(lambda: LayerScale(())) == "LayerScale shape must have at least one axis, got []"
    assert op_error(lambda: LayerScale((0, 1))) == "LayerScale shape sizes must be at least 1, got [0, 1]"
    assert op_error(lambda: LayerScale(96)) == "LayerScale shape must be a list of sizes, got 96"
    assert op_error(lambda: BiasAdd((1.5,))) == "BiasAdd shape must hold integers or symbols, got [1.5]"


# ----- layout ops -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,perm", [((3, 4, 5), (1, 2, 0)), ((12, 197, 64), (0, 2, 1)), ((7, 9), (1, 0))])
def test_transpose(shape, perm):
    outputs, paper, every = costs(Transpose(perm), shape)
    assert outputs == (tuple(shape[i] for i in perm),)
    assert paper.flops == every.flops == 0 and paper.params == 0
    assert paper.mac == 2 * prod(shape)


def test_transpose_symbolic_and_errors():
    outputs, paper, _ = costs(Transpose((1, 2, 0)), (C, H, W))
    assert outputs == ((H, W, C),) and same(paper.mac, 2 * C * H * W)
    assert node_error(Transpose((0, 1)), (3, 4, 5)) == (
        "node 'bad' (Transpose): perm must be a permutation of 0..2 for an input of rank 3, got [0, 1]")
    assert node_error(Transpose((0, 0, 1)), (3, 4, 5)) == (
        "node 'bad' (Transpose): perm must be a permutation of 0..2 for an input of rank 3, got [0, 0, 1]")
    assert op_error(lambda: Transpose((0, 1.0))) == "Transpose perm must be a list of whole numbers, got (0, 1.0)"


@pytest.mark.parametrize("shape,target,out", [((64, 7, 7), (3136,), (3136,)), ((64, 7, 7), (-1, 49), (64, 49)),
                                              ((12, 4, 5), (2, 6, -1), (2, 6, 20)), ((6,), (1, 6, 1), (1, 6, 1))])
def test_reshape_is_a_view(shape, target, out):
    outputs, paper, every = costs(Reshape(target), shape)
    assert outputs == (out,)
    assert paper.mac == every.mac == every.flops == paper.params == 0


def test_reshape_symbolic_and_errors():
    outputs, _, _ = costs(Reshape((-1, H * W)), (C, H, W))
    assert outputs == ((C, H * W),)
    outputs, _, _ = costs(Reshape((2, -1)), (2 * C, H))
    assert same(outputs[0][1], C * H)
    assert node_error(Reshape((5, -1)), (64, 7, 7)) == (
        "node 'bad' (Reshape): shape cannot hold the 3136 elements of input [64, 7, 7]: 5 does not divide 3136")
    assert node_error(Reshape((64, 49, 2)), (64, 7, 7)) == (
        "node 'bad' (Reshape): shape must hold the 3136 elements of input [64, 7, 7], but [64, 49, 2] holds 6272")
    assert op_error(lambda: Reshape((-1, -1))) == "Reshape shape may hold at most one -1, got [-1, -1]"
    assert op_error(lambda: Reshape((0, 4))) == "Reshape shape sizes must be at least 1 (or one -1), got [0, 4]"
    assert op_error(lambda: Reshape(())) == "Reshape shape must have at least one axis, got []"


def test_squeeze_unsqueeze_are_views():
    outputs, paper, _ = costs(Squeeze(), (64, 1, 1))
    assert outputs == ((64,),) and paper.mac == 0
    outputs, _, _ = costs(Squeeze((-1,)), (1, 64, 1))
    assert outputs == ((1, 64),)
    outputs, paper, _ = costs(Unsqueeze((1, 2)), (64,))
    assert outputs == ((64, 1, 1),) and paper.mac == 0
    outputs, _, _ = costs(Unsqueeze((-1,)), (C, H))
    assert outputs == ((C, H, 1),)
    assert node_error(Squeeze((0,)), (64, 1, 1)) == (
        "node 'bad' (Squeeze): axes must name axes of size 1, but axis 0 of input [64, 1, 1] has size 64")
    assert node_error(Squeeze(), (1, 1)) == "node 'bad' (Squeeze): axes would remove every axis of input [1, 1]"
    assert node_error(Squeeze((3,)), (64, 1, 1)) == (
        "node 'bad' (Squeeze): axes must be between -3 and 2 for an input of rank 3, got 3")
    assert node_error(Unsqueeze((0, -3)), (64,)) == (
        "node 'bad' (Unsqueeze): axes must not repeat an axis, got [0, -3] for an output of rank 3")
    assert op_error(lambda: Unsqueeze(())) == "Unsqueeze axes must name at least one axis, got []"
    assert op_error(lambda: Squeeze("0")) == "Squeeze axes must be a list of whole numbers, got '0'"


@pytest.mark.parametrize("shape,pads,mode,out", [
    ((3, 224, 224), (0, 1, 1, 0, 1, 1), "constant", (3, 226, 226)),
    ((3, 224, 224), (0, 0, 0, 0, 1, 1), "edge", (3, 225, 225)),          # asymmetric, TensorFlow "same"
    ((3, 8, 8), (0, 3, 3, 0, 3, 3), "reflect", (3, 14, 14)),
    ((3, 8, 8), (0, -1, -1, 0, -1, -1), "wrap", (3, 6, 6)),              # negative pads crop
])
def test_pad(shape, pads, mode, out):
    outputs, paper, every = costs(Pad(pads, mode), shape)
    assert outputs == (out,)
    assert every.flops == 0 and paper.params == 0
    assert paper.mac == prod(shape) + prod(out)


def test_pad_symbolic_and_errors():
    outputs, paper, _ = costs(Pad((0, 1, 1, 0, 1, 1)), (C, H, W))
    assert outputs == ((C, H + 2, W + 2),)
    assert same(paper.mac, C * H * W + C * (H + 2) * (W + 2))
    assert node_error(Pad((1, 1)), (3, 8, 8)) == (
        "node 'bad' (Pad): pads must hold 2 entries per axis (6 for input [3, 8, 8]), got 2")
    assert node_error(Pad((0, 8, 0, 0, 0, 0), "reflect"), (3, 8, 8)) == (
        "node 'bad' (Pad): pads must be smaller than the input in reflect mode, but axis 1 of [3, 8, 8] is padded "
        "by 8 and 0")
    assert op_error(lambda: Pad((0, 1), "zeros")) == (
        "Pad mode must be one of constant, reflect, edge, wrap, got 'zeros'")
    assert op_error(lambda: Pad(1)) == "Pad pads must be a list of sizes, got 1"


def python_slice_length(n, start, stop, step):
    return len(range(n)[start:stop:step])


@pytest.mark.parametrize("axis,start,stop,step", [(0, 0, 58, 1), (0, 58, None, 1), (0, 58, 116, 1), (1, 1, -1, 2),
                                                  (-1, -3, None, 1), (2, 5, 1, -1), (2, 100, None, -2),
                                                  (0, -200, 1000, 1), (1, 5, 5, 1)])
def test_slice(axis, start, stop, step):
    shape = (116, 12, 10)
    length = python_slice_length(shape[axis], start, stop, step)
    if length == 0:
        assert "would be empty" in node_error(Slice(axis, start, stop, step), shape)
        return
    outputs, paper, every = costs(Slice(axis, start, stop, step), shape)
    expected = list(shape)
    expected[axis] = length
    assert outputs == (tuple(expected),)
    assert every.flops == 0 and paper.params == 0
    assert paper.mac == 2 * prod(expected)


def test_two_channel_slices_cost_a_channel_split():
    g = cm.Graph("t", (116, 28, 28))
    g.add("left", Slice(0, 0, 58), g.input)
    g.add("right", Slice(0, 58, None), g.input)
    split = cm.Graph("s", (116, 28, 28))
    split.add("split", Split(2), split.input)
    assert cm.analyze(g).totals.mac == cm.analyze(split).totals.mac == 2 * 116 * 28 * 28


def test_slice_symbolic_and_errors():
    outputs, paper, _ = costs(Slice(0, 0, None), (C, H, W))
    assert outputs == ((C, H, W),)
    outputs, _, _ = costs(Slice(1, 1, None, 2), (C, H, W))
    assert same(outputs[0][1], -((1 - H) // 2))  # ceil((h - 1) / 2)
    assert op_error(lambda: Slice(0, 0, 4, 0)) == "Slice step must not be 0"
    assert op_error(lambda: Slice(0, 0.5)) == "Slice start must be a whole number, got 0.5"
    assert op_error(lambda: Slice(0, 0, "end")) == "Slice stop must be a whole number or null, got 'end'"
    assert node_error(Slice(3), (4, 4, 4)) == (
        "node 'bad' (Slice): axis must be between -3 and 2 for an input of rank 3, got 3")


# ----- reductions -------------------------------------------------------------------------------------------

def test_global_max_pool():
    outputs, paper, every = costs(GlobalMaxPool(), (1280, 7, 7))
    assert outputs == ((1280, 1, 1),)
    assert paper.flops == 0 and every.flops == 1280 * 7 * 7
    assert paper.mac == 1280 * 7 * 7 + 1280
    _, _, symbolic = costs(GlobalMaxPool(), (C, H, W))
    assert same(symbolic.flops, C * H * W)
    assert node_error(GlobalMaxPool(), (64,)) == (
        "node 'bad' (GlobalMaxPool): input must have shape [C, H, W], got [64]")


@pytest.mark.parametrize("axes,keepdims,out", [((1, 2), True, (64, 1, 1)), ((1, 2), False, (64,)),
                                              ((-1,), True, (64, 7, 1)), (None, True, (1, 1, 1)),
                                              ((0,), False, (7, 7))])
def test_reduce_mean(axes, keepdims, out):
    outputs, paper, every = costs(ReduceMean(axes, keepdims), (64, 7, 7))
    assert outputs == (out,)
    assert paper.flops == 0 and every.flops == 64 * 7 * 7
    assert paper.mac == 64 * 7 * 7 + prod(out)


def test_reduce_mean_over_h_w_costs_a_global_avg_pool_and_errors():
    _, _, mean = costs(ReduceMean((1, 2)), (C, H, W))
    _, _, pool = costs(cm.GlobalAvgPool(), (C, H, W))
    assert same(mean.flops, pool.flops) and same(mean.mac, pool.mac)
    assert node_error(ReduceMean(None, False), (64, 7, 7)) == (
        "node 'bad' (ReduceMean): keepdims must be true when every axis of input [64, 7, 7] is reduced (a per-sample "
        "scalar has no shape)")
    assert node_error(ReduceMean((3,)), (64, 7, 7)) == (
        "node 'bad' (ReduceMean): axes must be between -3 and 2 for an input of rank 3, got 3")
    assert op_error(lambda: ReduceMean((1,), "no")) == "ReduceMean keepdims must be true or false, got 'no'"


# ----- every new op in a spec file --------------------------------------------------------------------------

SPEC_LAYERS = {
    "matmul": "{id: prev, kind: transpose, perm: [1, 0]}\n  - {id: op, kind: matmul, from: [x, prev]}",
    "layer_norm": "{id: op, kind: layer_norm, normalized_dims: 1, affine: true, bias: false}",
    "instance_norm": "{id: op, kind: instance_norm, affine: false}",
    "group_norm": "{id: op, kind: group_norm, groups: 2}",
    "gelu": "{id: op, kind: gelu}",
    "tanh": "{id: op, kind: tanh}",
    "erf": "{id: op, kind: erf}",
    "softmax": "{id: op, kind: softmax, axis: -1}",
    "prelu": "{id: op, kind: prelu, channels: 4}",
    "clip": "{id: op, kind: clip, min: 0, max: 6.5}",
    "sub": "{id: prev, kind: identity}\n  - {id: op, kind: sub, from: [x, prev]}",
    "div": "{id: prev, kind: identity}\n  - {id: op, kind: div, from: [x, prev]}",
    "layer_scale": "{id: op, kind: layer_scale, shape: [6]}",
    "bias_add": "{id: op, kind: bias_add, shape: [4, 1]}",
    "transpose": "{id: op, kind: transpose, perm: [1, 0]}",
    "reshape": "{id: op, kind: reshape, shape: [2, -1]}",
    "squeeze": "{id: op, kind: squeeze, axes: null}",
    "unsqueeze": "{id: op, kind: unsqueeze, axes: [0]}",
    "pad": "{id: op, kind: pad, pads: [0, 1, 0, 1], mode: reflect}",
    "slice": "{id: op, kind: slice, axis: 1, start: 1, stop: null, step: 2}",
    "global_max_pool": "{kind: unsqueeze, axes: [0]}\n  - {id: op, kind: global_max_pool}",
    "reduce_mean": "{id: op, kind: reduce_mean, axes: [1], keepdims: false}",
}
SPEC_OPS = {
    "matmul": MatMul(), "layer_norm": LayerNorm(1, affine=True, bias=False), "instance_norm": InstanceNorm(False),
    "group_norm": GroupNorm(2), "gelu": GELU(), "tanh": Tanh(), "erf": Erf(), "softmax": Softmax(-1),
    "prelu": PReLU(4), "clip": Clip(0.0, 6.5), "sub": Sub(), "div": Div(), "layer_scale": LayerScale((6,)),
    "bias_add": BiasAdd((4, 1)), "transpose": Transpose((1, 0)), "reshape": Reshape((2, -1)), "squeeze": Squeeze(),
    "unsqueeze": Unsqueeze((0,)), "pad": Pad((0, 1, 0, 1), "reflect"), "slice": Slice(1, 1, None, 2),
    "global_max_pool": GlobalMaxPool(), "reduce_mean": ReduceMean((1,), False),
}


def test_the_spec_cases_cover_every_new_kind():
    new_kinds = {cls.kind for cls in map(type, SPEC_OPS.values())}
    assert new_kinds == set(SPEC_LAYERS) and new_kinds <= set(OPS)


@pytest.mark.parametrize("kind", sorted(SPEC_LAYERS))
def test_every_new_op_builds_from_a_spec_and_shows_in_tables(kind):
    graph = load_spec(f"name: t\ninput: [4, 6, 1]\nlayers:\n  - {{id: x, kind: squeeze, axes: [2]}}\n"
                      f"  - {SPEC_LAYERS[kind]}\n")
    node = graph.node("op")
    assert node.op == SPEC_OPS[kind]
    for convention in ("paper", "all"):
        layer = cm.analyze(graph, convention).layers[-1]
        assert layer.op.kind == kind
        rows = by_layer(cm.analyze(graph, convention)).rows
        assert rows[-1]["op"] == kind and rows[-1]["flops"] == layer.cost.flops


def test_linear_any_rank_from_a_spec():
    graph = load_spec("name: t\ninput: [197, 768, 1]\nlayers:\n  - {kind: squeeze}\n"
                      "  - {id: fc, kind: linear, out_features: 3072, any_rank: true}\n")
    assert graph.node("fc").outputs == ((197, 3072),)
    assert cm.analyze(graph).totals.flops == 197 * 768 * 3072


# ----- Concat, Split and Upsample, generalised ----------------------------------------------------------------

def test_concat_and_split_along_any_axis():
    outputs, paper, _ = costs(Concat(axis=1), (197, 64), (197, 32))
    assert outputs == ((197, 96),) and paper.mac == 2 * 197 * 96
    outputs, _, _ = costs(Concat(axis=-1), (C, H, W), (C, H, 2 * W))
    assert outputs == ((C, H, 3 * W),)
    assert costs(Concat(axis=-3), (8, 5, 5), (4, 5, 5))[0] == costs(Concat(), (8, 5, 5), (4, 5, 5))[0] == \
        ((12, 5, 5),)
    outputs, paper, _ = costs(Split(3, axis=-1), (197, 2304))
    assert outputs == ((197, 768),) * 3 and paper.mac == 2 * 197 * 2304
    outputs, _, _ = costs(Split(sizes=[1, 196], axis=0), (197, 768))
    assert outputs == ((1, 768), (196, 768))
    outputs, _, _ = costs(Split(2, axis=1), (C, 2 * H, W))
    assert outputs == ((C, H, W), (C, H, W))


def test_concat_and_split_axis_errors():
    assert node_error(Concat(axis=1), (197, 64), (196, 32)) == (
        "node 'bad' (Concat): inputs must agree in every axis but axis 1, but got [197, 64] and [196, 32]")
    assert node_error(Concat(axis=1), (197, 64), (197, 64, 1)) == (
        "node 'bad' (Concat): inputs must have the same rank, got [197, 64] and [197, 64, 1]")
    assert node_error(Concat(axis=2), (197, 64), (197, 64)) == (
        "node 'bad' (Concat): axis must be between -2 and 1 for an input of rank 2, got 2")
    assert op_error(lambda: Concat(axis="c")) == "Concat axis must be a whole number, got 'c'"
    assert node_error(Split(3, axis=1), (197, 64)) == (
        "node 'bad' (Split): sections must divide input's axis 1, but 3 does not divide 64")
    assert node_error(Split(sizes=[4, 4], axis=-1), (197, 64)) == (
        "node 'bad' (Split): sizes must add up to the input's axis -1 64, but 4 + 4 = 8")
    assert op_error(lambda: Split(2, axis=None)) == "Split axis must be a whole number, got None"


@pytest.mark.parametrize("scale,out", [(2, (14, 18)), ((2, 3), (14, 27)), (0.5, (3, 4)), ((1.5, 2.0), (10, 18)),
                                       (sympy.Rational(1, 3), (2, 3))])
@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_upsample_scales(scale, out, mode):
    outputs, paper, every = costs(Upsample(scale, mode), (3, 7, 9))
    assert outputs == ((3,) + out,)  # floor(7 * scale), floor(9 * scale): ONNX Resize's output size
    assert paper.flops == 0
    assert every.flops == (4 * 3 * out[0] * out[1] if mode == "bilinear" else 0)
    assert paper.mac == 3 * 7 * 9 + 3 * out[0] * out[1]


def test_upsample_to_a_size_and_symbolic():
    outputs, _, every = costs(Upsample(size=(10, 12), mode="bilinear"), (3, 7, 9))
    assert outputs == ((3, 10, 12),) and every.flops == 4 * 3 * 10 * 12
    outputs, _, every = costs(Upsample(0.5), (C, H, W))
    assert outputs == ((C, H // 2, W // 2),)
    outputs, _, every = costs(Upsample(size=(2 * H, W)), (C, H, W))
    assert outputs == ((C, 2 * H, W),)
    assert same(every.mac, C * H * W + 2 * C * H * W)


def test_upsample_errors():
    assert op_error(lambda: Upsample(3, size=(10, 10))) == (
        "Upsample size is given with scale 3: give scale or size, not both")
    assert op_error(lambda: Upsample(-0.5)) == "Upsample scale must be above 0, got -0.5"
    assert op_error(lambda: Upsample((0.5, 1.0, 2.0))) == (
        "Upsample scale must be one value or a pair (height, width), got [0.5, 1.0, 2.0]")
    assert op_error(lambda: Upsample(size=(0, 4))) == "Upsample size must be at least 1, got 0"


def test_generalised_ops_from_a_spec():
    graph = load_spec("name: t\ninput: [8, 5, 6]\nlayers:\n"
                      "  - {id: a, kind: split, sections: 2, axis: 2}\n"
                      "  - {id: b, kind: concat, axis: -1, from: [a.1, a.0]}\n"
                      "  - {id: c, kind: upsample, size: [9, 11], mode: bilinear}\n")
    assert graph.node("a").outputs == ((8, 5, 3), (8, 5, 3))
    assert graph.node("b").outputs == ((8, 5, 6),)
    assert graph.node("c").outputs == ((8, 9, 11),)
