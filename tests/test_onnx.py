"""ONNX import: models built with onnx.helper, expected counts from formulas written here."""
from __future__ import annotations

import subprocess
import sys

import pytest

onnx = pytest.importorskip("onnx")
np = pytest.importorskip("numpy")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from costmodel import analyze  # noqa: E402
from costmodel.analysis import substitute  # noqa: E402
from costmodel.errors import CostModelError, ModelError  # noqa: E402
from costmodel.onnx import HANDLERS, handles, onnx_target  # noqa: E402


def weight(name, *shape):
    return numpy_helper.from_array(np.zeros(shape, np.float32), name)


def ints(name, values):
    return numpy_helper.from_array(np.array(values, np.int64), name)


def floats(name, values):
    return numpy_helper.from_array(np.array(values, np.float32), name)


def save(tmp_path, nodes, inputs, outputs, initializers=(), opset=17, value_info=(), name="model.onnx"):
    graph = helper.make_graph(nodes, "net", inputs, outputs, list(initializers), value_info=list(value_info))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    path = tmp_path / name
    onnx.save(model, str(path))
    return path


def tensor(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def conv_out(n, k, s, p):
    return (n + 2 * p - k) // s + 1


# ----- a small classifier: Conv, BatchNormalization, Relu, MaxPool, Add, Concat, GAP, Flatten, Gemm ----------
def classifier(tmp_path, batch=1, opset=17):
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="/stem/stem.0/Conv", pads=[1, 1, 1, 1],
                         strides=[2, 2]),
        helper.make_node("BatchNormalization", ["c1", "s", "b", "m", "v"], ["bn"], name="/stem/stem.1/BatchNormalization"),
        helper.make_node("Relu", ["bn"], ["r"], name="/stem/stem.2/Relu"),
        helper.make_node("MaxPool", ["r"], ["p"], name="/pool/MaxPool", kernel_shape=[3, 3], strides=[2, 2],
                         pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["p", "w2"], ["c2"], name="/block/conv/Conv", pads=[1, 1, 1, 1], group=4),
        helper.make_node("Add", ["c2", "p"], ["a"], name="/block/Add"),
        helper.make_node("Concat", ["a", "p"], ["cat"], name="/block/Concat", axis=1),
        helper.make_node("GlobalAveragePool", ["cat"], ["g"], name="/avgpool/GlobalAveragePool"),
        helper.make_node("Flatten", ["g"], ["f"], name="/Flatten", axis=1),
        helper.make_node("Gemm", ["f", "fw", "fb"], ["y"], name="/fc/Gemm", transB=1),
    ]
    initializers = [weight("w1", 16, 3, 3, 3), weight("b1", 16), weight("s", 16), weight("b", 16),
                    weight("m", 16), weight("v", 16), weight("w2", 16, 4, 3, 3), weight("fw", 10, 32),
                    weight("fb", 10)]
    return save(tmp_path, nodes, [tensor("x", [batch, 3, 32, 32])], [tensor("y", [batch, 10])], initializers,
                opset)


def classifier_counts(n=32):
    h1 = conv_out(n, 3, 2, 1)          # stem conv
    h2 = conv_out(h1, 3, 2, 1)         # max pool
    stem = 3 * 3 * 3 * 16 * h1 * h1
    block = 3 * 3 * (16 // 4) * 16 * h2 * h2
    fc = 32 * 10
    params = (3 * 3 * 3 * 16 + 16) + 2 * 16 + 3 * 3 * 4 * 16 + (32 * 10 + 10)
    return stem + block + fc, params


def test_classifier_flops_params_and_names(tmp_path):
    imported = onnx_target(classifier(tmp_path)).imported()
    analysis = analyze(imported.graph)
    flops, params = classifier_counts()
    assert analysis.totals.flops == flops
    assert analysis.totals.params == params  # BatchNorm: scale and bias; running mean and variance are not
    names = [layer.name for layer in analysis.layers]
    # /block/Add and /block/Concat sit in the scope of /block/conv/Conv: named inside it by their op kind
    assert names == ["stem.0", "stem.1", "stem.2", "pool", "block.conv", "block.add", "block.concat", "avgpool",
                     "Flatten", "fc"]
    assert [layer.op.kind for layer in analysis.layers][:4] == ["conv", "batch_norm", "relu", "max_pool"]
    assert analysis.group_by("stage")["stem"].flops == 3 * 3 * 3 * 16 * 16 * 16
    assert imported.report.shapes_checked == 1 and imported.report.unknown == []


def test_opset11_reads_the_same(tmp_path):
    assert analyze(onnx_target(classifier(tmp_path, opset=11)).build()).totals.flops == classifier_counts()[0]


def test_symbolic_batch_is_a_parameter(tmp_path):
    target = onnx_target(classifier(tmp_path, batch="batch_size"))
    assert list(target.parameters) == ["batch_size"]
    assert target.parameters["batch_size"].kind == "whole"
    total = analyze(target.build()).totals.flops
    flops, _ = classifier_counts()
    assert str(total) == f"{flops}*batch_size"
    assert analyze(target.build(batch_size=3)).totals.flops == 3 * flops


def test_dynamic_height_and_width_give_closed_forms(tmp_path):
    nodes = [helper.make_node("Conv", ["x", "w"], ["y"], name="/conv/Conv", pads=[1, 1, 1, 1], strides=[2, 2])]
    path = save(tmp_path, nodes, [tensor("x", ["N", 3, "H?", "W?"])], [tensor("y", None)], [weight("w", 8, 3, 3, 3)])
    target = onnx_target(path)
    assert list(target.parameters) == ["N", "height", "width"]  # dim_params that are not names get axis names
    closed = analyze(target.build()).totals.flops
    for size in (31, 32, 160, 224):
        assert analyze(target.build(N=2, height=size, width=size)).totals.flops == \
            2 * 3 * 3 * 3 * 8 * conv_out(size, 3, 2, 1) ** 2
        assert substitute(closed, {"N": 2, "height": size, "width": size}) == 2 * 27 * 8 * conv_out(size, 3, 2, 1) ** 2


def one_conv(tmp_path, size=(9, 9), opset=17, **attributes):
    nodes = [helper.make_node("Conv", ["x", "w"], ["y"], name="/conv/Conv", **attributes)]
    return save(tmp_path, nodes, [tensor("x", [1, 4, *size])], [tensor("y", None)], [weight("w", 8, 4, 3, 3)],
                opset)


@pytest.mark.parametrize("attributes, out", [
    ({"auto_pad": "SAME_UPPER"}, (9, 9)),
    ({"auto_pad": "SAME_LOWER"}, (9, 9)),
    ({"auto_pad": "VALID"}, (7, 7)),
    ({"auto_pad": "SAME_UPPER", "strides": [3, 3]}, (3, 3)),
    ({"pads": [0, 0, 2, 2]}, (9, 9)),                # unequal, even sum: the same as 1 on each side
    ({"pads": [1, 0, 1, 0], "dilations": [2, 2]}, (7, 5)),
])
def test_conv_padding_variants(tmp_path, attributes, out):
    graph = onnx_target(one_conv(tmp_path, **attributes)).build()
    (node,) = graph.nodes
    assert node.outputs[0] == (8, *out)
    assert analyze(graph).totals.flops == 3 * 3 * 4 * 8 * out[0] * out[1]


def test_conv_group_error_names_the_node(tmp_path):
    nodes = [helper.make_node("Conv", ["x", "w"], ["y"], name="/features/features.3/conv/conv.0/Conv", group=3)]
    path = save(tmp_path, nodes, [tensor("x", [1, 32, 8, 8])], [tensor("y", None)], [weight("w", 6, 10, 1, 1)])
    with pytest.raises(ModelError) as error:
        onnx_target(path).build()
    assert str(error.value) == (f"{path}: node '/features/features.3/conv/conv.0/Conv' (Conv): Conv2d groups must "
                                f"divide input channels, but 3 does not divide 32")


def test_value_info_mismatch_is_an_error(tmp_path):
    nodes = [helper.make_node("Conv", ["x", "w"], ["y"], name="/conv/Conv")]
    path = save(tmp_path, nodes, [tensor("x", [1, 4, 9, 9])], [tensor("y", [1, 8, 9, 9])], [weight("w", 8, 4, 3, 3)])
    with pytest.raises(ModelError, match=r"node '/conv/Conv' \(Conv\): output 'y' has shape \[1, 8, 7, 7\] by our "
                                         r"rules, but the file's value_info says \[1, 8, 9, 9\]"):
        onnx_target(path).build()


def test_shape_arithmetic_is_folded(tmp_path):
    nodes = [
        helper.make_node("GlobalAveragePool", ["x"], ["g"], name="/pool/GlobalAveragePool"),
        helper.make_node("Shape", ["g"], ["shape"], name="/Shape"),
        helper.make_node("Gather", ["shape", "zero"], ["n"], name="/Gather", axis=0),
        helper.make_node("Unsqueeze", ["n", "axis0"], ["n1"], name="/Unsqueeze"),
        helper.make_node("Concat", ["n1", "minus_one"], ["target"], name="/Concat", axis=0),
        helper.make_node("Reshape", ["g", "target"], ["f"], name="/Reshape"),
        helper.make_node("MatMul", ["f", "w"], ["y"], name="/fc/MatMul"),
    ]
    initializers = [numpy_helper.from_array(np.array(0, np.int64), "zero"), ints("axis0", [0]),
                    ints("minus_one", [-1]), weight("w", 16, 5)]
    path = save(tmp_path, nodes, [tensor("x", ["batch", 16, 7, 7])], [tensor("y", ["batch", 5])], initializers)
    imported = onnx_target(path).imported(batch=4)
    assert [n.op.kind for n in imported.graph.nodes] == ["global_avg_pool", "flatten", "linear"]
    assert imported.report.folded == 4
    assert analyze(imported.graph).totals.flops == 4 * 16 * 5


def test_channel_shuffle_is_one_node(tmp_path):
    nodes = [
        helper.make_node("Reshape", ["x", "grouped"], ["r"], name="/stage/Reshape"),
        helper.make_node("Transpose", ["r"], ["t"], name="/stage/Transpose", perm=[0, 2, 1, 3, 4]),
        helper.make_node("Reshape", ["t", "back"], ["y"], name="/stage/Reshape_1"),
    ]
    path = save(tmp_path, nodes, [tensor("x", [1, 12, 5, 5])], [tensor("y", [1, 12, 5, 5])],
                [ints("grouped", [1, 3, 4, 5, 5]), ints("back", [1, -1, 5, 5])])
    imported = onnx_target(path).imported()
    (node,) = imported.graph.nodes
    assert node.op.kind == "channel_shuffle" and node.op.groups == 3 and node.name == "stage"
    assert imported.report.folded == 2


@pytest.mark.parametrize("opset", [6, 11])
def test_clip_0_6_is_relu6(tmp_path, opset):
    if opset < 11:
        node = helper.make_node("Clip", ["x"], ["y"], name="/act/Clip", min=0.0, max=6.0)
        initializers = []
    else:
        node = helper.make_node("Clip", ["x", "low", "high"], ["y"], name="/act/Clip")
        initializers = [floats("low", 0.0), floats("high", 6.0)]
    path = save(tmp_path, [node], [tensor("x", [1, 4, 3, 3])], [tensor("y", None)], initializers, opset)
    assert [n.op.kind for n in onnx_target(path).build().nodes] == ["relu6"]


@pytest.mark.parametrize("opset", [11, 13, 18])
def test_split_squeeze_and_reduce_mean_axes_by_opset(tmp_path, opset):
    as_input = opset >= 13
    split = helper.make_node("Split", ["x", "sizes"] if as_input else ["x"], ["a", "b"], name="/split/Split", axis=1,
                             **({} if as_input else {"split": [2, 6]}))
    mean_axes = {"axes": [2, 3]} if opset < 18 else {}
    mean = helper.make_node("ReduceMean", ["b", "hw"] if opset >= 18 else ["b"], ["m"], name="/mean/ReduceMean",
                            keepdims=1, **mean_axes)
    squeeze = helper.make_node("Squeeze", ["m", "sq"] if as_input else ["m"], ["y"], name="/Squeeze",
                               **({} if as_input else {"axes": [2, 3]}))
    initializers = [ints("sizes", [2, 6]), ints("hw", [2, 3]), ints("sq", [2, 3])]
    path = save(tmp_path, [split, mean, squeeze], [tensor("x", [1, 8, 5, 5])], [tensor("y", [1, 6]), tensor("a", None)],
                initializers, opset)
    graph = onnx_target(path).build()
    assert [(n.op.kind, n.outputs) for n in graph.nodes] == [
        ("split", ((2, 5, 5), (6, 5, 5))), ("global_avg_pool", ((6, 1, 1),)), ("flatten", ((6,),))]


def test_dropout_and_identity_are_free(tmp_path):
    nodes = [helper.make_node("Dropout", ["x"], ["d"], name="/drop/Dropout"),
             helper.make_node("Identity", ["d"], ["i"], name="/id/Identity"),
             helper.make_node("Relu", ["i"], ["y"], name="/act/Relu")]
    imported = onnx_target(save(tmp_path, nodes, [tensor("x", [1, 4])], [tensor("y", None)])).imported()
    assert [n.name for n in imported.graph.nodes] == ["act"] and imported.report.folded == 2


# ----- unknown ops --------------------------------------------------------------------------------------------
def unknown_model(tmp_path, shapes=True):
    nodes = [helper.make_node("Relu", ["x"], ["r"], name="/a/Relu"),
             helper.make_node("Foo", ["r"], ["f"], name="/b/Foo"),
             helper.make_node("Foo", ["f"], ["g"], name="/c/Foo"),
             helper.make_node("Bar", ["g"], ["y"], name="/d/Bar")]
    info = [tensor("f", [1, 4, 6, 6]), tensor("g", [1, 4, 6, 6])] if shapes else []
    return save(tmp_path, nodes, [tensor("x", [1, 4, 6, 6])], [tensor("y", [1, 2, 6, 6])], value_info=info)


def test_unknown_ops_are_listed_in_one_error(tmp_path):
    path = unknown_model(tmp_path)
    with pytest.raises(ModelError) as error:
        onnx_target(path).build()
    assert str(error.value) == (f"{path}: unsupported ONNX ops: Bar (1 node, first '/d/Bar'); Foo (2 nodes, first "
                                f"'/b/Foo')")


def test_allow_unknown_counts_zero_flops_and_moves_data(tmp_path):
    imported = onnx_target(unknown_model(tmp_path), allow_unknown=True).imported()
    analysis = analyze(imported.graph, convention="all")
    assert [u.op_type for u in imported.report.unknown] == ["Foo", "Foo", "Bar"]
    foo = analysis.layer("b")
    assert foo.flops == 0 and foo.mac == 2 * 4 * 36
    assert analysis.layer("d").mac == 4 * 36 + 2 * 36


def test_allow_unknown_needs_the_output_shape(tmp_path):
    with pytest.raises(ModelError, match="does not give the shape of 'f'"):
        onnx_target(unknown_model(tmp_path, shapes=False), allow_unknown=True).build()


def test_handlers_refuse_a_second_registration():
    with pytest.raises(ValueError, match="two handlers"):
        handles("Conv")(lambda ctx: None)
    assert HANDLERS["Conv"].__name__ == "conv"


# ----- hostile files --------------------------------------------------------------------------------------------
def varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def field(number, payload):
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def int_field(number, value):
    return varint(number << 3) + varint(value)


def input_with_dim(dim):
    shape = field(2, field(1, int_field(1, dim)))
    return field(1, b"x") + field(2, field(1, int_field(1, 1) + shape))


def model_bytes(graph):
    return field(7, graph) + field(8, int_field(2, 17))


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", "not an ONNX model"),
    (b"hello world, not a model", "not an ONNX model"),
    (model_bytes(field(11, input_with_dim(10 ** 30))), "malformed number"),  # wider than 64 bits
    (model_bytes(field(11, input_with_dim(2 ** 40))), "dimension 1099511627776 .dimensions are 0 to 2,147,483,648"),
    (model_bytes(field(11, input_with_dim(2 ** 64 - 5))), "dimension -5"),
    (model_bytes(field(1, field(4, b"Relu")) * (10 ** 6)), "more than 100,000 nodes"),
])
def test_hostile_bytes_are_one_clean_error(tmp_path, content, message):
    path = tmp_path / "bad.onnx"
    path.write_bytes(content)
    with pytest.raises(ModelError, match=message):
        onnx_target(path).build()


def test_truncated_file(tmp_path):
    good = classifier(tmp_path).read_bytes()
    path = tmp_path / "cut.onnx"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(ModelError, match="not an ONNX model, or a damaged one"):
        onnx_target(path).build()


def test_cycle_and_missing_edge(tmp_path):
    cycle = [helper.make_node("Relu", ["x", "b"], ["a"], name="first"), helper.make_node("Relu", ["a"], ["b"], name="second")]
    path = save(tmp_path, cycle, [tensor("x", [1, 4])], [tensor("b", None)], name="cycle.onnx")
    with pytest.raises(ModelError, match="cycle: 2 node"):
        onnx_target(path).build()
    missing = [helper.make_node("Relu", ["nowhere"], ["y"], name="lost")]
    path = save(tmp_path, missing, [tensor("x", [1, 4])], [tensor("y", None)], name="missing.onnx")
    with pytest.raises(ModelError, match="node 'lost' \\(Relu\\): input 'nowhere' is made by no node"):
        onnx_target(path).build()


def test_model_errors_are_costmodel_errors():
    assert issubclass(ModelError, CostModelError)


def test_reading_needs_neither_the_onnx_package_nor_the_weights(tmp_path):
    path = classifier(tmp_path)
    script = ("import sys; from costmodel.onnx import onnx_target; from costmodel import analyze; "
              f"print(analyze(onnx_target({str(path)!r}).build()).totals.flops, 'onnx' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.split() == [str(classifier_counts()[0]), "False"]


# ----- ops added for imported networks --------------------------------------------------------------------------
def test_odd_padding_gets_a_pad_node_and_exact_counts(tmp_path):
    graph = onnx_target(one_conv(tmp_path, size=(8, 8), auto_pad="SAME_UPPER", strides=[2, 2])).build()
    assert [n.op.kind for n in graph.nodes] == ["pad", "conv"]
    assert graph.nodes[0].outputs[0] == (4, 9, 9)      # SAME_UPPER: 0 before, 1 after
    assert graph.nodes[1].outputs[0] == (8, 4, 4)      # ceil(8 / 2)
    assert analyze(graph).totals.flops == 3 * 3 * 4 * 8 * 4 * 4


def test_channel_slices_are_slices(tmp_path):
    nodes = [helper.make_node("Slice", ["x", "s0", "e0", "ax"], ["a"], name="/stage/Slice"),
             helper.make_node("Slice", ["x", "e0", "big", "ax"], ["b"], name="/stage/Slice_1"),
             helper.make_node("Concat", ["b", "a"], ["y"], name="/stage/Concat", axis=1)]
    initializers = [ints("s0", [0]), ints("e0", [3]), ints("big", [2 ** 63 - 1]), ints("ax", [1])]
    graph = onnx_target(save(tmp_path, nodes, [tensor("x", [1, 8, 4, 4])], [tensor("y", [1, 8, 4, 4])],
                             initializers)).build()
    assert [(n.op.kind, n.outputs[0]) for n in graph.nodes] == [
        ("slice", (3, 4, 4)), ("slice", (5, 4, 4)), ("concat", (8, 4, 4))]
    assert analyze(graph).layer("stage").mac == 2 * 3 * 16  # a slice reads only what it keeps


def test_gelu_pattern_is_one_node_and_its_constants_are_not_params(tmp_path):
    nodes = [helper.make_node("Div", ["x", "sqrt2"], ["d"], name="/act/Div"),
             helper.make_node("Erf", ["d"], ["e"], name="/act/Erf"),
             helper.make_node("Add", ["e", "one"], ["a"], name="/act/Add"),
             helper.make_node("Mul", ["x", "a"], ["m"], name="/act/Mul"),
             helper.make_node("Mul", ["m", "half"], ["y"], name="/act/Mul_1")]
    initializers = [floats("sqrt2", 2 ** 0.5), floats("one", 1.0), floats("half", 0.5)]
    imported = onnx_target(save(tmp_path, nodes, [tensor("x", [1, 6, 10])], [tensor("y", [1, 6, 10])],
                                initializers)).imported()
    assert [n.op.kind for n in imported.graph.nodes] == ["gelu"]
    assert analyze(imported.graph).totals.params == 0 and imported.report.folded == 4


def test_two_activation_matmul_and_layer_norm(tmp_path):
    nodes = [helper.make_node("LayerNormalization", ["x", "g", "b"], ["n"], name="/norm/LayerNormalization", axis=-1),
             helper.make_node("MatMul", ["n", "w"], ["q"], name="/proj/MatMul"),
             helper.make_node("Transpose", ["q"], ["k"], name="/attn/Transpose", perm=[0, 2, 1]),
             helper.make_node("MatMul", ["q", "k"], ["s"], name="/attn/MatMul"),
             helper.make_node("Softmax", ["s"], ["y"], name="/attn/Softmax", axis=-1)]
    initializers = [weight("g", 16), weight("b", 16), weight("w", 16, 8)]
    graph = onnx_target(save(tmp_path, nodes, [tensor("x", [1, 10, 16])], [tensor("y", [1, 10, 10])],
                             initializers)).build()
    analysis = analyze(graph)
    assert [n.op.kind for n in graph.nodes] == ["layer_norm", "linear", "transpose", "matmul", "softmax"]
    assert analysis.totals.flops == 10 * 16 * 8 + 10 * 8 * 10   # tokens x in x out, then M x K x N
    assert analysis.totals.params == 2 * 16 + 16 * 8


def test_learned_and_fixed_constants(tmp_path):
    nodes = [helper.make_node("Mul", ["x", "gamma"], ["s"], name="/block/Mul"),
             helper.make_node("Add", ["s", "beta"], ["b"], name="/block/Add"),
             helper.make_node("Div", ["b", "eight"], ["y"], name="/block/Div")]
    initializers = [weight("gamma", 6, 1, 1), weight("beta", 6, 1, 1), floats("eight", 8.0)]
    graph = onnx_target(save(tmp_path, nodes, [tensor("x", [1, 6, 4, 4])], [tensor("y", [1, 6, 4, 4])],
                             initializers)).build()
    analysis = analyze(graph, convention="all")
    assert [n.op.kind for n in graph.nodes] == ["layer_scale", "bias_add", "constant_arithmetic"]
    assert analysis.totals.params == 6 + 6           # the single number 8 is not a parameter
    assert analysis.totals.flops == 3 * 6 * 16       # one per element each under `all`
