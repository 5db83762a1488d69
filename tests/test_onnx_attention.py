"""ONNX import of attention as torch exports it, where the batch leaves axis 0: nn.MultiheadAttention (ViT),
Swin's window partition and reverse with its shifted-window mask, and Swin v2's cosine attention and
relative-position MLP. Models built with onnx.helper (the node sequences of torch.onnx.export, opset 17),
expected values from formulas written here; each with a static batch of 1 and of 2 and with a symbolic batch
(a dim_param, the reshape targets computed from Shape as the exporter writes them)."""
from __future__ import annotations

import math

import pytest
import sympy

onnx = pytest.importorskip("onnx")
np = pytest.importorskip("numpy")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from costmodel import analyze  # noqa: E402
from costmodel.errors import ModelError  # noqa: E402
from costmodel.onnx import onnx_target  # noqa: E402
from test_onnx import save, tensor  # noqa: E402


class Builder:
    """Nodes and initializers of one model; ``target`` writes a Reshape target, as a constant for a static
    batch, or, for a symbolic one, as the exporter's shape arithmetic on ``Shape(input)[0]``."""

    def __init__(self, batch):
        self.batch = batch
        self.nodes, self.initializers = [], []
        self.count = 0
        if isinstance(batch, str):
            self.node("Shape", ["x"], "shape")
            self.node("Gather", ["shape", self.ints([0])], "n")

    def name(self, stem):
        self.count += 1
        return f"{stem}{self.count}"

    def node(self, op, inputs, output=None, scope="/attn", **attributes):
        output = output or self.name(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [output], name=f"{scope}/{op}_{self.count}", **attributes))
        self.count += 1
        return output

    def ints(self, values):
        name = self.name("i")
        self.initializers.append(numpy_helper.from_array(np.array(values, np.int64), name))
        return name

    def weight(self, shape, name=None, dtype=np.float32):
        name = name or self.name("w")
        self.initializers.append(numpy_helper.from_array(np.zeros(shape, dtype), name))
        return name

    def target(self, *parts):
        """A Reshape target of ``parts``: ints, or ``("n", k)`` for the batch times k."""
        if not isinstance(self.batch, str):
            return self.ints([self.batch * p[1] if isinstance(p, tuple) else p for p in parts])
        pieces = [self.node("Mul", ["n", self.ints([p[1]])]) if isinstance(p, tuple) else self.ints([p])
                  for p in parts]
        return self.node("Concat", pieces, axis=0)

    def save(self, tmp_path, inputs, output, output_shape):
        return save(tmp_path, self.nodes, inputs, [tensor(output, output_shape)], self.initializers,
                    name=f"model_{self.batch}.onnx")


BATCHES = [1, 2, "batch"]


def sizes(batch):
    """The batches a model is checked at: its own, or several for a symbolic one."""
    return [batch] if isinstance(batch, int) else [1, 2, 5]


def at(value, batch):
    """A closed form at a batch (an int stays itself)."""
    return int(value.subs(sympy.Symbol("batch", positive=True, integer=True), batch)) \
        if hasattr(value, "subs") else value


# ----- nn.MultiheadAttention (ViT's encoder block) ------------------------------------------------------------
def multihead_attention(tmp_path, batch, tokens, embed, heads):
    """torch's export of MultiheadAttention(batch_first=True) on x [N, L, E], need_weights=False."""
    b = Builder(batch)
    head = embed // heads
    x = b.node("Transpose", ["x"], perm=[1, 0, 2])                                   # [L, N, E]
    qkv = b.node("Add", [b.weight((3 * embed,), "in_proj_bias"), b.node("MatMul", [x, b.weight((embed, 3 * embed))])])
    qkv = b.node("Reshape", [qkv, b.target(tokens, ("n", 1), 3, embed)])               # [L, N, 3, E]
    qkv = b.node("Unsqueeze", [qkv, b.ints([0])])
    qkv = b.node("Transpose", [qkv], perm=[3, 1, 2, 0, 4])                             # [3, L, N, 1, E]
    qkv = b.node("Squeeze", [qkv, b.ints([3])])                                        # [3, L, N, E]
    q, k, v = (b.node("Gather", [qkv, b.ints(i)], axis=0) for i in (0, 1, 2))          # [L, N, E]
    q, k, v = (b.node("Transpose", [b.node("Reshape", [t, b.target(tokens, ("n", heads), head)])], perm=[1, 0, 2])
               for t in (q, k, v))                                                     # [N*h, L, d]
    q, k, v = (b.node("Reshape", [t, b.target(("n", 1), heads, tokens, head)]) for t in (q, k, v))  # [N, h, L, d]
    scale = b.node("Constant", [], value=helper.make_tensor("s", TensorProto.FLOAT, [], [head ** -0.25]))
    scores = b.node("MatMul", [b.node("Mul", [q, scale]),
                               b.node("Mul", [b.node("Transpose", [k], perm=[0, 1, 3, 2]), scale])])
    out = b.node("MatMul", [b.node("Softmax", [scores], axis=-1), v])                   # [N, h, L, d]
    out = b.node("Transpose", [out], perm=[2, 0, 1, 3])                                # [L, N, h, d]
    out = b.node("Reshape", [out, b.target(("n", tokens), embed)])                     # [L*N, E]
    out = b.node("Gemm", [out, b.weight((embed, embed)), b.weight((embed,))], transB=1)
    out = b.node("Reshape", [out, b.target(tokens, ("n", 1), embed)])                  # [L, N, E]
    y = b.node("Transpose", [out], "y", perm=[1, 0, 2])
    return b.save(tmp_path, [tensor("x", [batch, tokens, embed])], y, [batch, tokens, embed])


@pytest.mark.parametrize("batch", BATCHES)
def test_multihead_attention_counts_projections_and_both_products_per_sample(tmp_path, batch):
    tokens, embed, heads = 7, 12, 3
    head = embed // heads
    graph = onnx_target(multihead_attention(tmp_path, batch, tokens, embed, heads)).build()
    analysis = analyze(graph)
    per_sample = (tokens * embed * 3 * embed             # in-projection, q k v at once
                  + heads * tokens * head * tokens       # Q K^T, per head
                  + heads * tokens * tokens * head       # A V
                  + tokens * embed * embed)              # out-projection
    for n in sizes(batch):
        assert at(analysis.totals.flops, n) == n * per_sample
    assert analysis.totals.params == 3 * embed * embed + 3 * embed + embed * embed + embed
    matmuls = [node for node in graph.nodes if node.op.kind == "matmul"]
    assert [node.input_shapes for node in matmuls] == [((heads, tokens, head), (heads, head, tokens)),
                                                      ((heads, tokens, tokens), (heads, tokens, head))]
    assert graph.nodes[-1].outputs == ((tokens, embed),)   # the batch first again, as the file declares


def test_multihead_attention_moves_every_element_in_its_transposes(tmp_path):
    tokens, embed, heads = 7, 12, 3
    analysis = analyze(onnx_target(multihead_attention(tmp_path, 2, tokens, embed, heads)).build())
    first = analysis.layers[0]              # [N, L, E] -> [L, N, E]: per sample the order is kept, yet moved
    assert first.op.kind == "transpose" and first.op.perm == (0, 1)
    assert first.cost.mac == 2 * 2 * tokens * embed


# ----- Swin: window partition, shifted-window mask, window reverse ----------------------------------------------
def swin_window_attention(tmp_path, batch, side, window, channels, heads):
    """Swin's shifted-window attention on x [N, H, W, C] (H = W = side), one linear projection as q = k = v."""
    b = Builder(batch)
    per_side, tokens = side // window, window * window
    windows, head = per_side * per_side, channels // heads
    x = b.node("Reshape", ["x", b.target(("n", 1), per_side, window, per_side, window, channels)])
    x = b.node("Transpose", [x], perm=[0, 1, 3, 2, 4, 5])
    x = b.node("Reshape", [x, b.target(("n", windows), tokens, channels)])              # [N*nW, T, C]
    x = b.node("Add", [b.node("MatMul", [x, b.weight((channels, channels))]), b.weight((channels,))])
    q = b.node("Transpose", [b.node("Reshape", [x, b.target(("n", windows), tokens, heads, head)])],
               perm=[0, 2, 1, 3])                                                      # [N*nW, h, T, d]
    scores = b.node("MatMul", [q, b.node("Transpose", [q], perm=[0, 1, 3, 2])])         # [N*nW, h, T, T]
    scores = b.node("Add", [scores, b.weight((1, heads, tokens, tokens), "relative_position_bias")])
    scores = b.node("Reshape", [scores, b.target(("n", 1), windows, heads, tokens, tokens)])
    mask = b.node("Constant", [], value=numpy_helper.from_array(
        np.zeros((1, windows, 1, tokens, tokens), np.float32), "mask"))
    scores = b.node("Reshape", [b.node("Add", [scores, mask]), b.ints([-1, heads, tokens, tokens])])
    out = b.node("MatMul", [b.node("Softmax", [scores], axis=-1), q])                   # [N*nW, h, T, d]
    out = b.node("Reshape", [b.node("Transpose", [out], perm=[0, 2, 1, 3]), b.target(("n", windows), tokens, channels)])
    out = b.node("Reshape", [out, b.target(("n", 1), per_side, per_side, window, window, channels)])
    out = b.node("Transpose", [out], perm=[0, 1, 3, 2, 4, 5])
    y = b.node("Reshape", [out, b.target(("n", 1), side, side, channels)], "y")
    return b.save(tmp_path, [tensor("x", [batch, side, side, channels])], y, [batch, side, side, channels])


@pytest.mark.parametrize("batch", BATCHES)
def test_swin_window_attention_per_window_per_sample(tmp_path, batch):
    side, window, channels, heads = 8, 4, 6, 2
    windows, tokens, head = (side // window) ** 2, window * window, channels // heads
    graph = onnx_target(swin_window_attention(tmp_path, batch, side, window, channels, heads)).build()
    analysis = analyze(graph)
    per_sample = side * side * channels * channels + 2 * windows * heads * tokens * tokens * head
    for n in sizes(batch):
        assert at(analysis.totals.flops, n) == n * per_sample
    assert analysis.totals.params == channels * channels + channels + heads * tokens * tokens
    shapes = {node.op.kind: node.outputs[0] for node in graph.nodes}
    assert shapes["linear"] == (windows, tokens, channels)          # the windows of one sample
    assert shapes["matmul"] == (windows, heads, tokens, head)
    mask = next(node for node in graph.nodes if node.op.kind == "constant_arithmetic")
    assert mask.op.shape == (windows, 1, tokens, tokens) and analysis.layer(mask.name).cost.params == 0
    assert graph.nodes[-1].outputs == ((side, side, channels),)


# ----- Swin v2: cosine attention, logit scale, relative-position MLP on constants ------------------------------
def swin_v2_attention(tmp_path, batch, side, window, channels, heads, hidden):
    b = Builder(batch)
    per_side, tokens = side // window, window * window
    windows, head, table = per_side * per_side, channels // heads, 2 * window - 1
    x = b.node("Reshape", ["x", b.target(("n", 1), per_side, window, per_side, window, channels)])
    x = b.node("Reshape", [b.node("Transpose", [x], perm=[0, 1, 3, 2, 4, 5]), b.target(("n", windows), tokens, channels)])
    q = b.node("Transpose", [b.node("Reshape", [x, b.target(("n", windows), tokens, heads, head)])], perm=[0, 2, 1, 3])
    norm = b.node("Clip", [b.node("ReduceL2", [q], axes=[-1], keepdims=1),
                           b.node("Constant", [], value=helper.make_tensor("eps", TensorProto.FLOAT, [], [1e-12]))])
    q = b.node("Div", [q, b.node("Expand", [norm, b.node("Shape", [q])])])               # F.normalize(q, dim=-1)
    scores = b.node("MatMul", [q, b.node("Transpose", [q], perm=[0, 1, 3, 2])])
    clamp = b.node("Constant", [], value=helper.make_tensor("max", TensorProto.FLOAT, [], [math.log(100)]))
    scale = b.node("Exp", [b.node("Clip", [b.weight((heads, 1, 1), "logit_scale"), "", clamp])])
    scores = b.node("Mul", [scores, scale])
    mlp = b.node("MatMul", [b.weight((1, table, table, 2), "relative_coords_table"), b.weight((2, hidden))],
                 scope="/attn/cpb_mlp/cpb_mlp.0")
    mlp = b.node("Relu", [b.node("Add", [b.weight((hidden,)), mlp], scope="/attn/cpb_mlp/cpb_mlp.0")],
                 scope="/attn/cpb_mlp/cpb_mlp.1")
    mlp = b.node("MatMul", [mlp, b.weight((hidden, heads))], scope="/attn/cpb_mlp/cpb_mlp.2")
    bias = b.node("Gather", [b.node("Reshape", [mlp, b.ints([-1, heads])]),
                             b.weight((tokens * tokens,), "relative_position_index", np.int64)], axis=0)
    bias = b.node("Transpose", [b.node("Reshape", [bias, b.ints([tokens, tokens, -1])])], perm=[2, 0, 1])
    sixteen = b.node("Constant", [], value=helper.make_tensor("k", TensorProto.FLOAT, [], [16.0]))
    bias = b.node("Mul", [b.node("Sigmoid", [b.node("Unsqueeze", [bias, b.ints([0])])]), sixteen])
    y = b.node("Softmax", [b.node("Add", [scores, bias])], "y", axis=-1)
    shape = ["windows" if isinstance(batch, str) else batch * windows, heads, tokens, tokens]
    return b.save(tmp_path, [tensor("x", [batch, side, side, channels])], y, shape)


@pytest.mark.parametrize("batch", BATCHES)
def test_swin_v2_relative_position_mlp_is_counted_once_per_batch(tmp_path, batch):
    side, window, channels, heads, hidden = 8, 4, 6, 2, 16
    windows, tokens, head, table = (side // window) ** 2, window * window, channels // heads, 2 * window - 1
    graph = onnx_target(swin_v2_attention(tmp_path, batch, side, window, channels, heads, hidden)).build()
    analysis = analyze(graph)
    attention = windows * heads * tokens * head * tokens                   # the cosine scores, per sample
    mlp = table * table * 2 * hidden + table * table * hidden * heads     # once, on the coordinate table
    for n in sizes(batch):
        assert at(analysis.totals.flops, n) == n * attention + mlp
    # the MLP's weights and bias; the coordinate table is a buffer, the clamped logit scale a folded constant
    assert analysis.totals.params == 2 * hidden + hidden + hidden * heads
    table_node = next(node for node in graph.nodes if node.op.kind == "constant")
    assert table_node.name.endswith("relative_coords_table") and table_node.outputs == ((1, table, table, 2),)
    reduce = next(layer for layer in analyze(graph, "all").layers if layer.op.kind == "reduce_l2")
    n = sizes(batch)[-1]
    assert at(reduce.cost.flops, n) == n * windows * heads * tokens * head   # one square per element
    gather = next(node for node in graph.nodes if node.op.kind == "gather")
    assert gather.outputs == ((tokens * tokens, heads),)


# ----- red team: what the layouts refuse, with the reason --------------------------------------------------------
def simple(tmp_path, nodes, input_shape, output, output_shape, initializers=()):
    return save(tmp_path, nodes, [tensor("x", input_shape)], [tensor(output, output_shape)], initializers)


def shape(name, values):
    return numpy_helper.from_array(np.array(values, np.int64), name)


def test_a_reshape_that_splits_the_batch_is_refused(tmp_path):
    nodes = [helper.make_node("Reshape", ["x", "t"], ["y"], name="/Reshape")]
    path = simple(tmp_path, nodes, [4, 6, 5], "y", [2, 12, 5], [shape("t", [2, 12, 5])])
    with pytest.raises(ModelError, match=r"'/Reshape'.*reshaping \[4, 6, 5\] to \[2, 12, 5\]: the target "
                                         r"\[2, 12, 5\] splits or reorders the batch"):
        onnx_target(path).build()


def test_a_reshape_that_reorders_a_symbolic_batch_is_refused(tmp_path):
    nodes = [helper.make_node("Shape", ["x"], ["s"], name="/Shape"),
             helper.make_node("Gather", ["s", "zero"], ["n"], name="/Gather"),
             helper.make_node("Concat", ["six", "n", "five"], ["t"], name="/Concat", axis=0),
             helper.make_node("Reshape", ["x", "t"], ["y"], name="/Reshape")]
    path = simple(tmp_path, nodes, ["batch", 6, 5], "y", [6, "batch", 5],
                  [shape("zero", [0]), shape("six", [6]), shape("five", [5])])
    with pytest.raises(ModelError, match=r"'/Reshape'.*splits or reorders the batch"):
        onnx_target(path).build()


def test_a_constant_reshape_target_under_a_symbolic_batch_is_refused(tmp_path):
    nodes = [helper.make_node("Reshape", ["x", "t"], ["y"], name="/Reshape")]
    path = simple(tmp_path, nodes, ["batch", 4, 2, 3], "y", [8, 3], [shape("t", [8, 3])])
    with pytest.raises(ModelError, match=r"'/Reshape'.*splits or reorders the batch"):
        onnx_target(path).build()


@pytest.mark.parametrize("perm,message", [([0, 0, 2], r"perm \[0, 0, 2\] is not a permutation of the 3 axes"),
                                          ([1, 0], r"attribute 'perm' must have 3 values, got \[1, 0\]")])
def test_malformed_perms_are_refused(tmp_path, perm, message):
    nodes = [helper.make_node("Transpose", ["x"], ["y"], name="/Transpose", perm=perm)]
    with pytest.raises(ModelError, match=r"'/Transpose'.*" + message):
        onnx_target(simple(tmp_path, nodes, [1, 4, 5], "y", None)).build()


def merged_heads(extra, batch=2):
    """x [N, L, E] -> [L, N, E] -> [L, N*h, d] -> [N*h, L, d], then ``extra`` nodes on 'm'."""
    return [helper.make_node("Transpose", ["x"], ["a"], name="/T1", perm=[1, 0, 2]),
            helper.make_node("Reshape", ["a", "t"], ["b"], name="/R"),
            helper.make_node("Transpose", ["b"], ["m"], name="/T2", perm=[1, 0, 2]), *extra], \
        [shape("t", [5, batch * 2, 3])]


def test_softmax_along_the_axis_holding_the_batch_is_refused(tmp_path):
    nodes, initializers = merged_heads([helper.make_node("Softmax", ["m"], ["y"], name="/Softmax", axis=0)])
    with pytest.raises(ModelError, match=r"'/Softmax'.*Softmax runs along axis 0, which holds the "
                                         r"batch at axis 0 \(merged, 2 per-sample elements below it\): that would "
                                         r"mix the samples"):
        onnx_target(simple(tmp_path, nodes, [2, 5, 6], "y", None, initializers)).build()


def test_a_matmul_contracting_the_batch_is_refused(tmp_path):
    nodes = [helper.make_node("Transpose", ["x"], ["a"], name="/T1", perm=[1, 0, 2]),          # [L, N, E]
             helper.make_node("Transpose", ["x"], ["b"], name="/T2", perm=[1, 2, 0]),          # [L, E, N]
             helper.make_node("MatMul", ["a", "b"], ["y"], name="/MatMul")]
    with pytest.raises(ModelError, match=r"'/MatMul'.*MatMul runs along axis 1, 2"):
        onnx_target(simple(tmp_path, nodes, [2, 5, 6], "y", None)).build()


def test_a_gemm_contracting_the_batch_is_refused(tmp_path):
    nodes = [helper.make_node("Transpose", ["x"], ["a"], name="/T", perm=[1, 0]),
             helper.make_node("Gemm", ["a", "w"], ["y"], name="/Gemm")]
    weight = numpy_helper.from_array(np.zeros((2, 3), np.float32), "w")
    with pytest.raises(ModelError, match=r"'/Gemm'.*contracting axis 1"):
        onnx_target(simple(tmp_path, nodes, [2, 6], "y", None, [weight])).build()


def test_an_expand_that_stretches_the_batch_is_refused(tmp_path):
    nodes = [helper.make_node("Expand", ["x", "t"], ["y"], name="/Expand")]
    with pytest.raises(ModelError, match=r"'/Expand'.*stretches the batch axis 0"):
        onnx_target(simple(tmp_path, nodes, [1, 5], "y", None, [shape("t", [4, 5])])).build()


def test_a_constant_concatenated_with_the_wrong_batch_is_refused(tmp_path):
    token = numpy_helper.from_array(np.zeros((3, 1, 4), np.float32), "token")
    nodes = [helper.make_node("Concat", ["token", "x"], ["y"], name="/Concat", axis=1)]
    with pytest.raises(ModelError, match=r"'/Concat'.*input 0 \[3, 1, 4\] has size 3 on the batch axis 0"):
        onnx_target(simple(tmp_path, nodes, [2, 5, 4], "y", None, [token])).build()


def test_a_batch_free_tensor_meets_a_per_sample_one_without_its_batch_axis(tmp_path):
    """A tensor computed from constants ([1, 5, 2]) added to an activation whose batch has its own axis 0: the
    constant side is viewed without that axis (it is 1 there)."""
    table = numpy_helper.from_array(np.zeros((1, 5, 3), np.float32), "table")
    weight = numpy_helper.from_array(np.zeros((3, 2), np.float32), "w")
    nodes = [helper.make_node("MatMul", ["table", "w"], ["c"], name="/mlp/MatMul"),
             helper.make_node("Add", ["x", "c"], ["y"], name="/Add")]
    graph = onnx_target(simple(tmp_path, nodes, ["batch", 5, 2], "y", ["batch", 5, 2], [table, weight])).build()
    assert [(node.op.kind, node.outputs[0]) for node in graph.nodes] == [
        ("constant", (1, 5, 3)), ("linear", (1, 5, 2)), ("reshape", (5, 2)), ("add", (5, 2))]
    totals = analyze(graph).totals
    assert totals.flops == 5 * 3 * 2                  # once, whatever the batch
    assert totals.params == 3 * 2


# ----- folding the constants exporters compute: pads, masks, scales, the class token ------------------------------
def constant(name, values, dtype=np.int64):
    return helper.make_node("Constant", [], [name], name=f"/{name}",
                            value=numpy_helper.from_array(np.array(values, dtype), f"{name}_value"))


def reshaped_by(tmp_path, nodes, initializers, elements, target):
    """x [1, elements] reshaped to the folded tensor 'target'; returns the per-sample output shape."""
    nodes = [*nodes, helper.make_node("Reshape", ["x", target], ["y"], name="/Reshape")]
    graph = onnx_target(simple(tmp_path, nodes, [1, elements], "y", None, initializers)).build()
    return graph.nodes[-1].outputs[0]


def test_swin_pads_fold_through_a_reversed_two_dimensional_slice_and_a_transpose(tmp_path):
    # torch's F.pad export: pads [[a, b], [c, d]] read back to front, transposed, flattened
    nodes = [constant("pairs", [[2, 3], [1, 4]]), constant("start", [-1]), constant("end", [-(2 ** 63)]),
             constant("axis", [0]), constant("step", [-1]),
             helper.make_node("Slice", ["pairs", "start", "end", "axis", "step"], ["rows"], name="/Slice"),
             helper.make_node("Transpose", ["rows"], ["columns"], name="/Transpose", perm=[1, 0]),
             constant("flat", [-1]), helper.make_node("Reshape", ["columns", "flat"], ["sizes"], name="/Flat"),
             constant("one", [1]), helper.make_node("Concat", ["one", "sizes"], ["target"], name="/Cat", axis=0)]
    # rows reversed: [[1, 4], [2, 3]]; transposed: [[1, 2], [4, 3]]; flat: [1, 2, 4, 3]
    assert reshaped_by(tmp_path, nodes, [], 24, "target") == (1, 2, 4, 3)


def test_scales_fold_through_pow_clip_and_exp(tmp_path):
    nodes = [constant("two", [2.0], np.float32), constant("three", [3.0], np.float32),
             constant("ten", [10.0], np.float32), constant("four", [4.0], np.float32),
             constant("zero", [0.0], np.float32), constant("one", [1]),
             helper.make_node("Pow", ["two", "three"], ["eight"], name="/Pow"),
             helper.make_node("Clip", ["ten", "", "four"], ["clipped"], name="/Clip"),
             helper.make_node("Exp", ["zero"], ["unit"], name="/Exp"),
             *(helper.make_node("Cast", [a], [f"{a}_int"], name=f"/Cast_{a}", to=TensorProto.INT64)
               for a in ("eight", "clipped", "unit")),
             helper.make_node("Concat", ["one", "eight_int", "clipped_int", "unit_int"], ["target"], name="/Cat",
                              axis=0)]
    assert reshaped_by(tmp_path, nodes, [], 32, "target") == (8, 4, 1)   # 2^3, min(10, 4), e^0


def test_a_two_dimensional_mask_folds_through_equal_not_and_where(tmp_path):
    nodes = [constant("dims", [1, 2]), helper.make_node("ConstantOfShape", ["dims"], ["zeros"], name="/Zeros",
                                                          value=helper.make_tensor("v", TensorProto.INT64, [1], [0])),
             constant("zero", 0), helper.make_node("Equal", ["zeros", "zero"], ["is_zero"], name="/Equal"),
             helper.make_node("Not", ["is_zero"], ["nonzero"], name="/Not"),
             constant("yes", [[9, 9]]), constant("no", [[3, 2]]),
             helper.make_node("Where", ["nonzero", "yes", "no"], ["picked"], name="/Where"),
             constant("flat", [-1]), helper.make_node("Reshape", ["picked", "flat"], ["sizes"], name="/Flat"),
             constant("one", [1]), helper.make_node("Concat", ["one", "sizes"], ["target"], name="/Cat", axis=0)]
    assert reshaped_by(tmp_path, nodes, [], 6, "target") == (3, 2)


def test_a_large_shifted_window_mask_keeps_its_shape_and_is_not_a_parameter(tmp_path):
    side = 12
    nodes = [constant("dims", [side, side]),
             helper.make_node("ConstantOfShape", ["dims"], ["zeros"], name="/Zeros"),
             constant("where", [[0, 0], [1, 1]]), constant("ones", [1.0, 2.0], np.float32),
             helper.make_node("ScatterND", ["zeros", "where", "ones"], ["regions"], name="/ScatterND"),
             constant("zero", 0.0, np.float32), constant("minus", -100.0, np.float32),
             helper.make_node("Equal", ["regions", "zero"], ["same"], name="/Equal"),
             helper.make_node("Not", ["same"], ["differ"], name="/Not"),
             helper.make_node("Where", ["differ", "minus", "zero"], ["mask"], name="/Where"),
             helper.make_node("Add", ["x", "mask"], ["y"], name="/attn/Add")]
    graph = onnx_target(simple(tmp_path, nodes, [1, 3, side, side], "y", [1, 3, side, side])).build()
    (node,) = graph.nodes
    assert (node.op.kind, node.op.operation, node.op.shape) == ("constant_arithmetic", "add", (side, side))
    assert analyze(graph).totals.params == 0


@pytest.mark.parametrize("batch", BATCHES)
def test_the_class_token_is_expanded_to_the_batch_and_concatenated_as_a_learned_constant(tmp_path, batch):
    tokens, embed = 3, 4
    b = Builder(batch)
    shape = b.target(("n", 1), 1, embed) if isinstance(batch, int) else b.node(
        "Concat", ["n", b.ints([1, embed])], axis=0)
    token = b.node("Expand", [b.weight((1, 1, embed), "class_token"), shape])
    x = b.node("Concat", [token, "x"], axis=1, scope="")
    y = b.node("Add", [x, b.weight((1, tokens + 1, embed), "pos_embedding")], "y", scope="/encoder")
    graph = onnx_target(b.save(tmp_path, [tensor("x", [batch, tokens, embed])], y,
                               [batch, tokens + 1, embed])).build()
    assert [(n.op.kind, n.outputs[0]) for n in graph.nodes] == [
        ("constant", (1, embed)), ("concat", (tokens + 1, embed)), ("bias_add", (tokens + 1, embed))]
    assert graph.nodes[0].name == "class_token" and graph.nodes[1].inputs[0].node == "class_token"
    analysis = analyze(graph)
    assert analysis.totals.params == embed + (tokens + 1) * embed          # the token and the position embedding
    for n in sizes(batch):
        concat = analysis.layers[1].cost.mac
        assert at(concat, n) == n * (tokens * embed + (tokens + 1) * embed) + embed   # the token read once
