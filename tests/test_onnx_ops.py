"""ONNX handlers op by op: models built with onnx.helper, expected shapes and counts from formulas written
here (output sizes as the ONNX operator specification defines them; counts per element as each op's rule
states: under ``all`` a pooling window costs kh*kw per output element, an activation 1 or 2 per element)."""
from __future__ import annotations

import math

import pytest

onnx = pytest.importorskip("onnx")
np = pytest.importorskip("numpy")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from test_onnx import floats, ints, save, tensor, weight  # noqa: E402

from costmodel import analyze  # noqa: E402
from costmodel.analysis import substitute  # noqa: E402
from costmodel.errors import ModelError  # noqa: E402
from costmodel.onnx import onnx_target  # noqa: E402


def build(path):
    return onnx_target(path).build()


def one(tmp_path, op_type, shape, attributes=None, inputs=(), initializers=(), opset=17, out_shape=None):
    """A model of one node reading x and the named extra inputs."""
    node = helper.make_node(op_type, ["x", *inputs], ["y"], name=f"/layer/{op_type}", **(attributes or {}))
    return save(tmp_path, [node], [tensor("x", shape)], [tensor("y", out_shape)], initializers, opset)


def kinds(graph):
    return [n.op.kind for n in graph.nodes]


def numel(shape):
    return math.prod(shape)


# ----- pooling ------------------------------------------------------------------------------------------------
def pool_out(n, k, s, begin, end, ceil_mode):
    """ONNX's pooling output size: (n + pads - k) / s + 1, floored or ceiled; with ceil_mode a last window
    that would start in the end padding is dropped."""
    span = n + begin + end - k
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= n + begin:
        out -= 1
    return out


@pytest.mark.parametrize("size, pads, strides, ceil_mode", [
    (8, [1, 1, 1, 1], [2, 2], 0),
    (8, [1, 1, 1, 1], [2, 2], 1),     # 7 / 2 ceiled: one more window
    (9, [0, 0, 0, 0], [2, 2], 1),
    (10, [0, 0, 0, 0], [3, 3], 1),
    (9, [0, 0, 2, 2], [2, 2], 0),     # unequal pads with an even sum
])
@pytest.mark.parametrize("count_include_pad", [0, 1])
def test_average_pool(tmp_path, size, pads, strides, ceil_mode, count_include_pad):
    path = one(tmp_path, "AveragePool", [1, 4, size, size], {"kernel_shape": [3, 3], "strides": strides,
                                                              "pads": pads, "ceil_mode": ceil_mode,
                                                              "count_include_pad": count_include_pad})
    graph = build(path)
    out = pool_out(size, 3, strides[0], pads[0], pads[2], ceil_mode)
    assert kinds(graph) == ["avg_pool"] and graph.nodes[0].outputs[0] == (4, out, out)
    analysis = analyze(graph, convention="all")
    assert analysis.totals.flops == 3 * 3 * 4 * out * out      # kh*kw per output element
    assert analysis.totals.mac == 4 * size * size + 4 * out * out
    assert analyze(graph).totals.flops == 0


@pytest.mark.parametrize("op_type", ["AveragePool", "MaxPool"])
def test_pool_same_upper_with_odd_padding(tmp_path, op_type):
    # 8 wide, kernel 3, stride 2: ceil(8/2) = 4 outputs need 1 padding column, all of it after (SAME_UPPER)
    path = one(tmp_path, op_type, [1, 2, 8, 8], {"kernel_shape": [3, 3], "strides": [2, 2],
                                                 "auto_pad": "SAME_UPPER"})
    graph = build(path)
    assert graph.nodes[-1].outputs[0] == (2, 4, 4)
    assert analyze(graph, convention="all").totals.flops == 9 * 2 * 4 * 4


def test_global_max_pool(tmp_path):
    graph = build(one(tmp_path, "GlobalMaxPool", [1, 6, 5, 7], out_shape=[1, 6, 1, 1]))
    assert kinds(graph) == ["global_max_pool"] and graph.nodes[0].outputs[0] == (6, 1, 1)
    assert analyze(graph, convention="all").totals.flops == 6 * 5 * 7   # one comparison per input element
    assert analyze(graph).totals.flops == 0


# ----- Pad, Resize, Upsample ----------------------------------------------------------------------------------
@pytest.mark.parametrize("opset", [11, 18])
def test_pad_as_an_input(tmp_path, opset):
    pads = [0, 0, 1, 2, 0, 0, 3, 4]              # begins of N, C, H, W, then ends
    path = one(tmp_path, "Pad", [1, 3, 5, 6], {"mode": "constant"}, ["pads", "value"],
               [ints("pads", pads), floats("value", 0.0)], opset, out_shape=[1, 3, 5 + 1 + 3, 6 + 2 + 4])
    graph = build(path)
    assert kinds(graph) == ["pad"] and graph.nodes[0].outputs[0] == (3, 9, 12)
    analysis = analyze(graph, convention="all")
    assert analysis.totals.flops == 0 and analysis.totals.mac == 3 * 5 * 6 + 3 * 9 * 12


def test_pad_with_axes_input(tmp_path):
    path = one(tmp_path, "Pad", [1, 3, 5, 6], {}, ["pads", "", "axes"], [ints("pads", [1, 1]), ints("axes", [3])],
               18)
    assert build(path).nodes[0].outputs[0] == (3, 5, 6 + 2)


def test_pad_of_the_batch_axis_is_refused(tmp_path):
    path = one(tmp_path, "Pad", [1, 3, 5, 6], {}, ["pads"], [ints("pads", [1, 0, 0, 0, 0, 0, 0, 0])], 13)
    with pytest.raises(ModelError, match=r"node '/layer/Pad' \(Pad\): padding the batch axis is not supported"):
        build(path)


@pytest.mark.parametrize("mode, per_output", [("nearest", 0), ("linear", 4)])
@pytest.mark.parametrize("given", ["scales", "sizes"])
def test_resize(tmp_path, mode, per_output, given):
    if given == "scales":
        inputs, initializers = ["", "scales"], [floats("scales", [1, 1, 2, 3])]
    else:
        inputs, initializers = ["", "", "sizes"], [ints("sizes", [1, 4, 10, 18])]
    path = one(tmp_path, "Resize", [1, 4, 5, 6], {"mode": mode}, inputs, initializers, 13,
               out_shape=[1, 4, 10, 18])
    graph = build(path)
    assert kinds(graph) == ["upsample"] and graph.nodes[0].outputs[0] == (4, 10, 18)
    analysis = analyze(graph, convention="all")
    assert analysis.totals.flops == per_output * 4 * 10 * 18   # bilinear: 4 per output element
    assert analysis.totals.mac == 4 * 5 * 6 + 4 * 10 * 18


def test_upsample_op(tmp_path):
    path = one(tmp_path, "Upsample", [1, 4, 5, 6], {"mode": "nearest"}, ["scales"],
               [floats("scales", [1, 1, 2, 2])], 9)
    assert build(path).nodes[0].outputs[0] == (4, 10, 12)


def test_resize_of_channels_is_refused(tmp_path):
    path = one(tmp_path, "Resize", [1, 4, 5, 6], {}, ["", "scales"], [floats("scales", [1, 2, 2, 2])], 13)
    with pytest.raises(ModelError, match="resizing the batch or channel axis"):
        build(path)


# ----- ConvTranspose ------------------------------------------------------------------------------------------
def deconv_out(n, k, s, begin, end, output_padding=0, d=1):
    """ONNX ConvTranspose: stride * (n - 1) + output_padding + ((k - 1) * dilation + 1) - pads."""
    return s * (n - 1) + output_padding + (k - 1) * d + 1 - begin - end


@pytest.mark.parametrize("attributes, out", [
    ({"strides": [2, 2], "pads": [1, 1, 1, 1]}, deconv_out(5, 3, 2, 1, 1)),
    ({"strides": [2, 2], "pads": [1, 1, 1, 1], "output_padding": [1, 1]}, deconv_out(5, 3, 2, 1, 1, 1)),
    ({"strides": [2, 2], "output_shape": [10, 10]}, 10),
    ({"strides": [2, 2], "auto_pad": "SAME_UPPER"}, 5 * 2),
    ({"strides": [2, 2], "auto_pad": "SAME_LOWER"}, 5 * 2),
    ({"strides": [2, 2], "auto_pad": "VALID"}, deconv_out(5, 3, 2, 0, 0)),
    ({"strides": [1, 1], "pads": [0, 0, 1, 1]}, deconv_out(5, 3, 1, 0, 1)),   # odd total padding
])
@pytest.mark.parametrize("group", [1, 2])
def test_conv_transpose(tmp_path, attributes, out, group):
    c_in, per_group = 4, 3
    path = one(tmp_path, "ConvTranspose", [1, c_in, 5, 5], {**attributes, "group": group}, ["w", "b"],
               [weight("w", c_in, per_group, 3, 3), weight("b", per_group * group)],
               out_shape=[1, per_group * group, out, out])
    graph = build(path)
    assert graph.nodes[-1].outputs[0] == (per_group * group, out, out)
    analysis = analyze(graph)
    # every input element is multiplied into a kh x kw x (c_out / group) patch
    assert analysis.totals.flops == 3 * 3 * c_in * per_group * 5 * 5
    assert analysis.totals.params == c_in * per_group * 3 * 3 + per_group * group


# ----- normalisation and activations ---------------------------------------------------------------------------
def test_instance_normalization(tmp_path):
    graph = build(one(tmp_path, "InstanceNormalization", [1, 6, 4, 5], {"epsilon": 1e-5}, ["scale", "bias"],
                      [weight("scale", 6), weight("bias", 6)]))
    analysis = analyze(graph, convention="all")
    assert kinds(graph) == ["instance_norm"] and analysis.totals.params == 2 * 6
    assert analysis.totals.flops == 5 * 6 * 4 * 5   # statistics, normalise, scale, shift


def test_batch_norm_params_exclude_running_statistics(tmp_path):
    graph = build(one(tmp_path, "BatchNormalization", [1, 8, 3, 3], {}, ["s", "b", "m", "v"],
                      [weight(n, 8) for n in ("s", "b", "m", "v")]))
    assert analyze(graph).totals.params == 2 * 8    # scale and shift; mean and variance are buffers


@pytest.mark.parametrize("slope_shape, params", [((6, 1, 1), 6), ((1,), 1)])
def test_prelu_slopes_are_params(tmp_path, slope_shape, params):
    graph = build(one(tmp_path, "PRelu", [1, 6, 4, 4], {}, ["slope"], [weight("slope", *slope_shape)]))
    analysis = analyze(graph, convention="all")
    assert kinds(graph) == ["prelu"] and analysis.totals.params == params
    assert analysis.totals.flops == 6 * 16


@pytest.mark.parametrize("op_type, attributes, kind, per_element, opset", [
    ("LeakyRelu", {"alpha": 0.1}, "leaky_relu", 1, 17),
    ("HardSigmoid", {"alpha": 0.25, "beta": 0.4}, "hard_sigmoid", 1, 17),
    ("HardSwish", {}, "hard_swish", 2, 17),
    ("Tanh", {}, "tanh", 1, 17),
    ("Sigmoid", {}, "sigmoid", 1, 17),
    ("Gelu", {}, "gelu", 2, 20),
    ("Softmax", {"axis": 1}, "softmax", 3, 13),
])
def test_activations(tmp_path, op_type, attributes, kind, per_element, opset):
    graph = build(one(tmp_path, op_type, [1, 6, 4, 5], attributes, opset=opset, out_shape=[1, 6, 4, 5]))
    assert kinds(graph) == [kind]
    analysis = analyze(graph, convention="all")
    assert analysis.totals.flops == per_element * 6 * 4 * 5 and analysis.totals.params == 0
    assert analyze(graph).totals.flops == 0


def test_leaky_relu_keeps_its_slope(tmp_path):
    graph = build(one(tmp_path, "LeakyRelu", [1, 2, 3, 3], {"alpha": 0.25}))
    assert graph.nodes[0].op.negative_slope == pytest.approx(0.25)


@pytest.mark.parametrize("opset, axis, expected", [(11, None, 0), (13, None, 1), (13, -2, 0), (13, 1, 0)])
def test_softmax_default_axis_by_opset(tmp_path, opset, axis, expected):
    attributes = {} if axis is None else {"axis": axis}
    graph = build(one(tmp_path, "Softmax", [1, 10, 16], attributes, opset=opset))
    assert graph.nodes[0].op.axis == expected   # per-sample axis: ONNX axis - 1


def test_softmax_over_the_batch_axis_is_refused(tmp_path):
    with pytest.raises(ModelError, match="axis 0 is the batch axis"):
        build(one(tmp_path, "Softmax", [1, 10, 16], {"axis": 0}))


def gate(tmp_path, gate_type, **attributes):
    nodes = [helper.make_node(gate_type, ["x"], ["g"], name=f"/act/{gate_type}", **attributes),
             helper.make_node("Mul", ["x", "g"], ["y"], name="/act/Mul")]
    return save(tmp_path, nodes, [tensor("x", [1, 6, 4, 5])], [tensor("y", [1, 6, 4, 5])])


def test_swish_pattern_is_one_node(tmp_path):
    imported = onnx_target(gate(tmp_path, "Sigmoid")).imported()
    assert kinds(imported.graph) == ["swish"] and imported.report.folded == 1
    assert analyze(imported.graph, convention="all").totals.flops == 2 * 6 * 4 * 5


def test_hard_swish_pattern_is_one_node(tmp_path):
    graph = build(gate(tmp_path, "HardSigmoid", alpha=1 / 6, beta=0.5))
    assert kinds(graph) == ["hard_swish"]
    assert analyze(graph, convention="all").totals.flops == 2 * 6 * 4 * 5


def test_a_gate_with_other_constants_is_two_nodes(tmp_path):
    graph = build(gate(tmp_path, "HardSigmoid", alpha=0.2, beta=0.5))
    assert kinds(graph) == ["hard_sigmoid", "mul"]


def gelu_nodes(half="half", order=("x", "a")):
    return [helper.make_node("Div", ["x", "sqrt2"], ["d"], name="/act/Div"),
            helper.make_node("Erf", ["d"], ["e"], name="/act/Erf"),
            helper.make_node("Add", ["e", "one"], ["a"], name="/act/Add"),
            helper.make_node("Mul", list(order), ["m"], name="/act/Mul"),
            helper.make_node("Mul", ["m", half], ["y"], name="/act/Mul_1")]


@pytest.mark.parametrize("order", [("x", "a"), ("a", "x")])
def test_gelu_pattern_counts_as_one_gelu(tmp_path, order):
    initializers = [floats("sqrt2", 2 ** 0.5), floats("one", 1.0), floats("half", 0.5)]
    graph = build(save(tmp_path, gelu_nodes(order=order), [tensor("x", [1, 6, 10])], [tensor("y", [1, 6, 10])],
                       initializers))
    assert kinds(graph) == ["gelu"]
    assert analyze(graph, convention="all").totals.flops == 2 * 6 * 10


def test_gelu_pattern_with_other_constants_is_costed_node_by_node(tmp_path):
    initializers = [floats("sqrt2", 2 ** 0.5), floats("one", 1.0), floats("half", 0.25)]
    graph = build(save(tmp_path, gelu_nodes(), [tensor("x", [1, 6, 10])], [tensor("y", [1, 6, 10])],
                       initializers))
    assert kinds(graph) == ["constant_arithmetic", "erf", "constant_arithmetic", "mul", "constant_arithmetic"]


# ----- folding: Range, ConstantOfShape ---------------------------------------------------------------------------
def test_range_and_constant_of_shape_are_folded(tmp_path):
    minus_one = helper.make_tensor("minus", TensorProto.INT64, [1], [-1])
    nodes = [
        helper.make_node("Range", ["two", "four", "step"], ["hw"], name="/Range"),
        helper.make_node("ReduceMean", ["x", "hw"], ["m"], name="/pool/ReduceMean", keepdims=1),
        helper.make_node("Shape", ["m"], ["shape"], name="/Shape"),
        helper.make_node("Gather", ["shape", "zero"], ["n"], name="/Gather", axis=0),
        helper.make_node("ConstantOfShape", ["one"], ["rest"], name="/ConstantOfShape", value=minus_one),
        helper.make_node("Concat", ["n", "rest"], ["target"], name="/Concat", axis=0),
        helper.make_node("Reshape", ["m", "target"], ["y"], name="/flat/Reshape"),
    ]
    initializers = [numpy_helper.from_array(np.array(v, np.int64), name) for name, v in
                    (("two", 2), ("four", 4), ("step", 1))] + [ints("zero", [0]), ints("one", [1])]
    imported = onnx_target(save(tmp_path, nodes, [tensor("x", ["N", 8, 5, 5])], [tensor("y", ["N", 8])],
                                initializers, 18)).imported(N=3)
    assert [(n.op.kind, n.outputs[0]) for n in imported.graph.nodes] == [("global_avg_pool", (8, 1, 1)),
                                                                        ("flatten", (8,))]
    assert imported.report.folded == 5


# ----- Conv padding ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("auto_pad", ["SAME_UPPER", "SAME_LOWER"])
def test_conv_same_padding_stride_2_on_odd_and_even_sizes(tmp_path, auto_pad):
    h, w = 9, 8
    path = one(tmp_path, "Conv", [1, 4, h, w], {"auto_pad": auto_pad, "strides": [2, 2]}, ["w"],
               [weight("w", 8, 4, 3, 3)])
    graph = build(path)
    out_h, out_w = -(-h // 2), -(-w // 2)                       # SAME: ceil(n / stride)
    total_h, total_w = (out_h - 1) * 2 + 3 - h, (out_w - 1) * 2 + 3 - w   # 2 and 1
    assert (total_h, total_w) == (2, 1)
    assert kinds(graph) == ["pad", "conv"]
    pad = graph.nodes[0].op.pads
    extra_before = 1 if auto_pad == "SAME_LOWER" else 0       # the odd column: after (UPPER), before (LOWER)
    assert pad == (0, 0, extra_before, 0, 0, 1 - extra_before)
    assert graph.nodes[1].outputs[0] == (8, out_h, out_w)
    assert analyze(graph).totals.flops == 3 * 3 * 4 * 8 * out_h * out_w


@pytest.mark.parametrize("pads", [[0, 1, 2, 1], [0, 0, 1, 0], [2, 0, 0, 1]])
def test_conv_asymmetric_pads(tmp_path, pads):
    h, w = 9, 7
    graph = build(one(tmp_path, "Conv", [1, 4, h, w], {"pads": pads}, ["w"], [weight("w", 8, 4, 3, 3)]))
    out_h, out_w = h + pads[0] + pads[2] - 3 + 1, w + pads[1] + pads[3] - 3 + 1
    assert graph.nodes[-1].outputs[0] == (8, out_h, out_w)
    assert analyze(graph).totals.flops == 3 * 3 * 4 * 8 * out_h * out_w


# ----- MatMul and Gemm ------------------------------------------------------------------------------------------
def test_matmul_of_two_activations_is_batched(tmp_path):
    nodes = [helper.make_node("MatMul", ["a", "b"], ["y"], name="/attn/MatMul")]
    graph = build(save(tmp_path, nodes, [tensor("a", [1, 2, 5, 8]), tensor("b", [1, 2, 8, 3])],
                       [tensor("y", [1, 2, 5, 3])]))
    analysis = analyze(graph)
    assert kinds(graph) == ["matmul"] and graph.nodes[0].outputs[0] == (2, 5, 3)
    assert analysis.totals.flops == 2 * 5 * 8 * 3 and analysis.totals.params == 0


@pytest.mark.parametrize("trans_b", [0, 1])
@pytest.mark.parametrize("alpha, beta", [(1.0, 1.0), (0.5, 2.0)])
def test_gemm(tmp_path, trans_b, alpha, beta):
    shape = (10, 16) if trans_b else (16, 10)
    path = one(tmp_path, "Gemm", [1, 16], {"transB": trans_b, "alpha": alpha, "beta": beta}, ["B", "C"],
               [weight("B", *shape), weight("C", 10)], out_shape=[1, 10])
    analysis = analyze(build(path))
    assert analysis.totals.flops == 16 * 10 and analysis.totals.params == 16 * 10 + 10


def test_gemm_trans_a_is_refused(tmp_path):
    path = one(tmp_path, "Gemm", [1, 16], {"transA": 1}, ["B"], [weight("B", 1, 10)])
    with pytest.raises(ModelError, match=r"node '/layer/Gemm' \(Gemm\): transA=1 would make the batch axis"):
        build(path)


# ----- axes as attributes or inputs ----------------------------------------------------------------------------
@pytest.mark.parametrize("opset", [11, 13])
def test_unsqueeze_axes_by_opset(tmp_path, opset):
    if opset < 13:
        path = one(tmp_path, "Unsqueeze", [1, 6], {"axes": [2, 3]}, opset=opset)
    else:
        path = one(tmp_path, "Unsqueeze", [1, 6], {}, ["axes"], [ints("axes", [2, 3])], opset)
    graph = build(path)
    assert graph.nodes[0].outputs[0] == (6, 1, 1)


@pytest.mark.parametrize("opset", [11, 13, 18])
def test_split_into_equal_parts(tmp_path, opset):
    node = helper.make_node("Split", ["x"], ["a", "b", "c"], name="/split/Split", axis=1,
                            **({"num_outputs": 3} if opset >= 18 else {}))
    graph = build(save(tmp_path, [node], [tensor("x", [1, 9, 4, 4])], [tensor(n, None) for n in "abc"], opset=opset))
    assert [n.op.kind for n in graph.nodes] == ["split"] and graph.nodes[0].outputs == ((3, 4, 4),) * 3


# ----- value_info and symbolic sizes ---------------------------------------------------------------------------
def test_intermediate_value_info_that_disagrees_names_the_node_and_both_shapes(tmp_path):
    nodes = [helper.make_node("MaxPool", ["x"], ["p"], name="/pool/MaxPool", kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Relu", ["p"], ["y"], name="/act/Relu")]
    path = save(tmp_path, nodes, [tensor("x", [1, 4, 9, 9])], [tensor("y", None)],
                value_info=[tensor("p", [1, 4, 5, 5])])
    with pytest.raises(ModelError) as error:
        build(path)
    assert str(error.value) == (f"{path}: node '/pool/MaxPool' (MaxPool): output 'p' has shape [1, 4, 4, 4] by "
                                f"our rules, but the file's value_info says [1, 4, 5, 5]")


def small_net(tmp_path, shape, name):
    """Conv (stride 2, pad 1) -> Relu -> MaxPool (3, stride 2, pad 1) -> Conv 1x1 -> GlobalAveragePool ->
    Flatten -> Gemm, on an input of ``shape`` (numbers, or dim_params)."""
    nodes = [helper.make_node("Conv", ["x", "w1", "b1"], ["c"], name="/stem/Conv", pads=[1, 1, 1, 1], strides=[2, 2]),
             helper.make_node("Relu", ["c"], ["r"], name="/stem/Relu"),
             helper.make_node("MaxPool", ["r"], ["p"], name="/pool/MaxPool", kernel_shape=[3, 3], strides=[2, 2],
                              pads=[1, 1, 1, 1]),
             helper.make_node("Conv", ["p", "w2"], ["d"], name="/block/Conv"),
             helper.make_node("GlobalAveragePool", ["d"], ["g"], name="/head/GlobalAveragePool"),
             helper.make_node("Flatten", ["g"], ["f"], name="/head/Flatten"),
             helper.make_node("Gemm", ["f", "fw", "fb"], ["y"], name="/fc/Gemm", transB=1)]
    initializers = [weight("w1", 8, 3, 3, 3), weight("b1", 8), weight("w2", 16, 8, 1, 1), weight("fw", 5, 16),
                    weight("fb", 5)]
    return save(tmp_path, nodes, [tensor("x", shape)], [tensor("y", [shape[0], 5])], initializers, name=name)


@pytest.mark.parametrize("convention", ["paper", "all"])
def test_dynamic_batch_height_and_width_equal_static_imports(tmp_path, convention):
    target = onnx_target(small_net(tmp_path, ["batch", 3, "height", "width"], "dynamic.onnx"))
    assert list(target.parameters) == ["batch", "height", "width"]
    closed = analyze(target.build(), convention=convention).totals
    for batch, h, w in ((1, 32, 32), (2, 57, 40), (3, 224, 160)):
        static = analyze(build(small_net(tmp_path, [batch, 3, h, w], f"static{h}.onnx")), convention=convention)
        at = {"batch": batch, "height": h, "width": w}
        for column in ("flops", "params", "mac"):
            assert substitute(getattr(closed, column), at) == getattr(static.totals, column), column
        if convention == "paper":   # and the static count is the formula's
            h1, w1 = (h + 2 - 3) // 2 + 1, (w + 2 - 3) // 2 + 1
            h2, w2 = (h1 + 2 - 3) // 2 + 1, (w1 + 2 - 3) // 2 + 1
            assert static.totals.flops == batch * (27 * 8 * h1 * w1 + 8 * 16 * h2 * w2 + 16 * 5)


@pytest.mark.parametrize("scales, out", [
    ([1, 1, 1.5, 0.5], (math.floor(5 * 1.5), math.floor(6 * 0.5))),
    ([1, 1, 0.3, 2.5], (math.floor(5 * 3 / 10), math.floor(6 * 5 / 2))),   # float32(0.3) as written: 3/10
])
def test_resize_by_fractional_scales(tmp_path, scales, out):
    path = one(tmp_path, "Resize", [1, 4, 5, 6], {"mode": "linear"}, ["", "scales"], [floats("scales", scales)], 13)
    graph = build(path)
    assert graph.nodes[0].outputs[0] == (4, *out)
    assert analyze(graph, convention="all").totals.flops == 4 * 4 * out[0] * out[1]


def test_resize_to_sizes_that_are_not_multiples(tmp_path):
    path = one(tmp_path, "Resize", [1, 4, 5, 6], {}, ["", "", "sizes"], [ints("sizes", [1, 4, 7, 9])], 13,
               out_shape=[1, 4, 7, 9])
    assert build(path).nodes[0].outputs[0] == (4, 7, 9)


# ----- the tanh approximation of GELU ---------------------------------------------------------------------------
def tanh_gelu(tmp_path, cube="mul", kappa=0.044715, swapped=False):
    """0.5 * x * (1 + tanh(sqrt(2/pi) * (x + kappa * x^3))) as PyTorch exports approximate="tanh"."""
    def mul(a, b, out, name):
        return helper.make_node("Mul", [b, a] if swapped else [a, b], [out], name=f"/act/{name}")
    if cube == "mul":
        nodes = [helper.make_node("Mul", ["x", "x"], ["sq"], name="/act/Mul"), mul("x", "sq", "cube", "Mul_1")]
    else:
        nodes = [helper.make_node("Pow", ["x", "three"], ["cube"], name="/act/Pow")]
    nodes += [mul("kappa", "cube", "k", "Mul_2"),
              helper.make_node("Add", ["x", "k"], ["s"], name="/act/Add"),
              mul("beta", "s", "inner", "Mul_3"),
              helper.make_node("Tanh", ["inner"], ["t"], name="/act/Tanh"),
              helper.make_node("Add", ["one", "t"], ["u"], name="/act/Add_1"),
              mul("x", "u", "v", "Mul_4"),
              mul("half", "v", "y", "Mul_5")]
    initializers = [floats("kappa", kappa), floats("beta", math.sqrt(2 / math.pi)), floats("one", 1.0),
                    floats("half", 0.5), floats("three", 3.0)]
    return save(tmp_path, nodes, [tensor("x", [1, 6, 10])], [tensor("y", [1, 6, 10])], initializers)


@pytest.mark.parametrize("cube", ["mul", "pow"])
@pytest.mark.parametrize("swapped", [False, True])
def test_tanh_gelu_pattern_is_one_gelu(tmp_path, cube, swapped):
    imported = onnx_target(tanh_gelu(tmp_path, cube, swapped=swapped)).imported()
    assert kinds(imported.graph) == ["gelu"] and imported.graph.nodes[0].name == "act"
    analysis = analyze(imported.graph, convention="all")
    assert analysis.totals.flops == 2 * 6 * 10 and analysis.totals.params == 0
    assert imported.report.folded == (9 if cube == "mul" else 8) - 1


def test_tanh_gelu_with_another_constant_is_costed_node_by_node(tmp_path):
    graph = build(tanh_gelu(tmp_path, kappa=0.05))
    assert kinds(graph) == ["mul", "mul", "constant_arithmetic", "add", "constant_arithmetic", "tanh",
                            "constant_arithmetic", "mul", "constant_arithmetic"]
