"""ONNX import of the pieces transformer exports use: Gather on an activation (picking the class token) and
Mod in shape arithmetic. Models built with onnx.helper, expected values from formulas written here."""
from __future__ import annotations

import pytest

onnx = pytest.importorskip("onnx")
np = pytest.importorskip("numpy")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from costmodel import analyze  # noqa: E402
from costmodel.errors import ModelError  # noqa: E402
from costmodel.onnx import onnx_target  # noqa: E402


def save(tmp_path, nodes, inputs, outputs, initializers=(), opset=17):
    graph = helper.make_graph(nodes, "net", inputs, outputs, list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    path = tmp_path / "model.onnx"
    onnx.save(model, str(path))
    return path


def tensor(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def ints(name, values):
    return numpy_helper.from_array(np.array(values, np.int64), name)


def class_token_head(tmp_path, tokens, dim, classes, index, scalar=True):
    """x[:, index] of a [1, tokens, dim] sequence, then a linear head [dim, classes]."""
    nodes = [
        helper.make_node("Gather", ["x", "index"], ["token"], name="/Gather", axis=1),
        helper.make_node("MatMul", ["token", "w"], ["y"], name="/heads/head/MatMul"),
    ]
    picked = np.array(index if scalar else [index], np.int64)
    initializers = [numpy_helper.from_array(picked, "index"),
                    numpy_helper.from_array(np.zeros((dim, classes), np.float32), "w")]
    out = [1, classes] if scalar else [1, 1, classes]
    return save(tmp_path, nodes, [tensor("x", [1, tokens, dim])], [tensor("y", out)], initializers)


@pytest.mark.parametrize("index", [0, 3, -1])
def test_gather_of_the_class_token_is_a_slice_and_a_view(tmp_path, index):
    tokens, dim, classes = 5, 8, 3
    graph = onnx_target(class_token_head(tmp_path, tokens, dim, classes, index)).build()
    assert [(n.op.kind, n.outputs[0]) for n in graph.nodes] == [
        ("slice", (1, dim)), ("squeeze", (dim,)), ("linear", (classes,))]
    analysis = analyze(graph)
    assert analysis.totals.flops == dim * classes          # the head only; picking a token is data movement
    assert analysis.totals.params == dim * classes
    slice_layer, squeeze_layer = analysis.layers[:2]
    assert slice_layer.flops == 0 and squeeze_layer.flops == 0
    assert squeeze_layer.mac == 0                           # a view
    assert slice_layer.mac == 2 * dim                     # the token read once and written once


def test_gather_with_a_one_element_index_keeps_the_axis(tmp_path):
    tokens, dim, classes = 4, 6, 2
    graph = onnx_target(class_token_head(tmp_path, tokens, dim, classes, 1, scalar=False)).build()
    assert [(n.op.kind, n.outputs[0]) for n in graph.nodes] == [("slice", (1, dim)), ("linear", (1, classes))]


def test_gather_out_of_range_names_the_node_and_the_size(tmp_path):
    path = class_token_head(tmp_path, 5, 8, 3, 5)
    with pytest.raises(ModelError, match=r"'/Gather'.*index 5 out of range for axis 1 of size 5"):
        onnx_target(path).build()


def test_gather_of_an_index_tensor_is_a_gather(tmp_path):
    """x[:, [0, 2, 2]] of a [1, 5, 8] sequence: the picked tokens are read and written, the indices read."""
    nodes = [helper.make_node("Gather", ["x", "index"], ["y"], name="/Gather", axis=1)]
    path = save(tmp_path, nodes, [tensor("x", [1, 5, 8])], [tensor("y", [1, 3, 8])], [ints("index", [0, 2, 2])])
    graph = onnx_target(path).build()
    assert [(n.op.kind, n.op.axis, n.op.indices, n.outputs[0]) for n in graph.nodes] == [("gather", 0, (3,), (3, 8))]
    assert analyze(graph).totals.mac == 5 * 8 + 3 + 3 * 8


def test_gather_of_float_indices_is_refused(tmp_path):
    nodes = [helper.make_node("Gather", ["x", "index"], ["y"], name="/Gather", axis=1)]
    index = numpy_helper.from_array(np.array([0.0, 1.0], np.float32), "index")
    with pytest.raises(ModelError, match=r"'/Gather'.*indices must be integers"):
        onnx_target(save(tmp_path, nodes, [tensor("x", [1, 5, 8])], [tensor("y", None)], [index])).build()


def test_gather_along_the_batch_axis_is_refused(tmp_path):
    nodes = [helper.make_node("Gather", ["x", "index"], ["y"], name="/Gather", axis=0)]
    path = save(tmp_path, nodes, [tensor("x", [1, 5, 8])], [tensor("y", [5, 8])],
                [numpy_helper.from_array(np.array(0, np.int64), "index")])
    with pytest.raises(ModelError, match=r"'/Gather'.*batch axis"):
        onnx_target(path).build()


@pytest.mark.parametrize("dividend, divisor, fmod", [(14, 4, 0), (-14, 4, 0), (14, -4, 0), (-14, 4, 1),
                                                     (14, -4, 1), (-14, -4, 1)])
def test_mod_folds_into_a_reshape_target(tmp_path, dividend, divisor, fmod):
    # fmod=0: the remainder has the divisor's sign (floor division); fmod=1: the dividend's (truncation)
    quotient = dividend // divisor if not fmod else int(dividend / divisor)
    remainder = dividend - divisor * quotient
    size = abs(remainder)                                   # the Reshape target takes |remainder| via Mul
    sign = 1 if remainder >= 0 else -1
    elements = 24
    nodes = [
        helper.make_node("Mod", ["a", "b"], ["r"], name="/Mod", fmod=fmod),
        helper.make_node("Mul", ["r", "sign"], ["size"], name="/Mul"),
        helper.make_node("Concat", ["one", "size", "minus_one"], ["target"], name="/Concat", axis=0),
        helper.make_node("Reshape", ["x", "target"], ["y"], name="/Reshape"),
    ]
    initializers = [ints("a", [dividend]), ints("b", [divisor]), ints("sign", [sign]), ints("one", [1]),
                    ints("minus_one", [-1])]
    path = save(tmp_path, nodes, [tensor("x", [1, elements])], [tensor("y", [1, size, elements // size])],
                initializers)
    imported = onnx_target(path).imported()
    assert [n.outputs[0] for n in imported.graph.nodes] == [(size, elements // size)]
    assert imported.report.folded == 3


def test_mod_by_zero_is_one_clear_error(tmp_path):
    nodes = [helper.make_node("Mod", ["a", "b"], ["r"], name="/Mod"),
             helper.make_node("Reshape", ["x", "r"], ["y"], name="/Reshape")]
    path = save(tmp_path, nodes, [tensor("x", [1, 4])], [tensor("y", None)], [ints("a", [1, 4]), ints("b", [1, 0])])
    with pytest.raises(ModelError, match=r"'/Mod'.*Mod by zero"):
        onnx_target(path).build()


def attention_einsums(tmp_path, windows, heads, tokens, dim):
    """MaxViT's attention as torchvision exports it: scores = einsum(q, k), out = einsum(scores, v)."""
    nodes = [
        helper.make_node("Einsum", ["q", "k"], ["scores"], name="/attn/Einsum",
                         equation="B G H I D, B G H J D -> B G H I J"),
        helper.make_node("Softmax", ["scores"], ["p"], name="/attn/Softmax", axis=-1),
        helper.make_node("Einsum", ["p", "v"], ["y"], name="/attn/Einsum_1",
                         equation="B G H I J, B G H J D -> B G H I D"),
    ]
    shape = [1, windows, heads, tokens, dim]
    return save(tmp_path, nodes, [tensor("q", shape), tensor("k", shape), tensor("v", shape)],
                [tensor("y", shape)])


def test_einsum_is_the_batched_matmul_it_is(tmp_path):
    windows, heads, tokens, dim = 4, 2, 7, 5
    graph = onnx_target(attention_einsums(tmp_path, windows, heads, tokens, dim)).build()
    assert [(n.op.kind, n.outputs[0]) for n in graph.nodes] == [
        ("einsum", (windows, heads, tokens, tokens)), ("softmax", (windows, heads, tokens, tokens)),
        ("einsum", (windows, heads, tokens, dim))]
    scores, _, out = analyze(graph).layers
    # Q·Kᵀ: for each of windows*heads matrices, tokens x tokens outputs of dim products each; A·V the same count
    assert scores.flops == windows * heads * tokens * tokens * dim
    assert out.flops == windows * heads * tokens * dim * tokens
    assert scores.params == 0
    q_elements = windows * heads * tokens * dim
    assert scores.mac == 2 * q_elements + windows * heads * tokens * tokens   # both inputs + the output


def test_einsum_flops_match_matmul_of_the_transposed_operand():
    from costmodel.ops import Einsum, MatMul

    left, right = (3, 6, 4), (3, 5, 4)                    # [b, i, k] x [b, j, k] -> [b, i, j]
    einsum = Einsum("bik,bjk->bij")
    (shape,) = einsum.output_shapes((left, right))
    assert shape == (3, 6, 5)
    matmul = MatMul()
    transposed = (3, 4, 5)
    assert einsum.multiply_adds((left, right), (shape,)) == matmul.multiply_adds((left, transposed), (shape,))


@pytest.mark.parametrize("equation, message", [
    ("bij,bjk", "must name its output after '->'"),
    ("b...j,bjk->bik", "letters only"),
    ("bii,bij->bj", "repeats an index"),
    ("bij,bjk->bz", "output indices 'z' appear in no operand"),
    ("bij->bi", "two operands"),
])
def test_einsum_equations_we_cannot_cost_are_refused_by_name(equation, message):
    from costmodel.errors import OpError
    from costmodel.ops import Einsum

    with pytest.raises(OpError, match=message):
        Einsum(equation)


def test_einsum_whose_size_disagrees_names_the_index(tmp_path):
    nodes = [helper.make_node("Einsum", ["a", "b"], ["y"], name="/Einsum", equation="bij,bjk->bik")]
    path = save(tmp_path, nodes, [tensor("a", [1, 3, 4]), tensor("b", [1, 5, 2])], [tensor("y", None)])
    with pytest.raises(ModelError, match=r"'/Einsum'.*index 'j'.*sizes 4 and 5"):
        onnx_target(path).build()


def test_einsum_that_does_not_lead_with_the_batch_index_is_refused(tmp_path):
    nodes = [helper.make_node("Einsum", ["a", "b"], ["y"], name="/Einsum", equation="ibj,bjk->bik")]
    path = save(tmp_path, nodes, [tensor("a", [1, 3, 4]), tensor("b", [1, 4, 2])], [tensor("y", None)])
    with pytest.raises(ModelError, match=r"'/Einsum'.*start with the same \(batch\) index"):
        onnx_target(path).build()
