"""The ops added for imported transformers (gather, expand, reduce_l2, constant, constant_arithmetic) and the
analysis of what is computed from constants (once per batch), each against formulas written out here: shape,
params, flops under ``paper`` and ``all``, mac (elements read + written + params), numerically and with
symbols, the exact error of every violated constraint, and a spec that builds each."""
import pytest
import sympy

import costmodel as cm
from costmodel.ops import (Add, Constant, ConstantArithmetic, Expand, Gather, LayerScale, Linear, MatMul,
                           ReduceL2, ReLU)
from costmodel.report import by_layer
from costmodel.spec import load_spec
from test_ops_new import costs, node_error, op_error, prod

N, L, D, T = sympy.symbols("n l d t", positive=True, integer=True)


# ----- gather ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,axis,indices,out", [
    ((225, 3), 0, (2401,), (2401, 3)),            # Swin's relative-position bias: table[index]
    ((225, 3), 0, (49, 49), (49, 49, 3)),         # an index grid
    ((4, 10, 6), -2, (3,), (4, 3, 6)),
    ((4, 10, 6), 2, (2, 5), (4, 10, 2, 5)),
])
def test_gather(shape, axis, indices, out):
    outputs, paper, every = costs(Gather(indices, axis), shape)
    assert outputs == (out,)
    assert paper.flops == every.flops == 0 and paper.params == 0
    assert paper.mac == prod(shape) + prod(indices) + prod(out)   # the table, the indices, the picked entries


def test_gather_symbolic_batch_and_errors():
    _, paper, _ = costs(Gather((T,), 0), (L, D), batch=N)
    assert sympy.expand(paper.mac - N * (L * D + T + T * D)) == 0
    assert node_error(Gather((3,), 2), (4, 5)) == (
        "node 'bad' (Gather): axis must be between -2 and 1 for an input of rank 2, got 2")
    assert op_error(lambda: Gather((0,))) == "Gather indices sizes must be at least 1, got [0]"
    assert op_error(lambda: Gather((3,), 1.5)) == "Gather axis must be a whole number, got 1.5"


# ----- expand ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,target", [((3, 49, 1), (3, 49, 32)), ((1, 768), (4, 1, 768)), ((5,), (2, 5))])
def test_expand(shape, target):
    outputs, paper, every = costs(Expand(target), shape)
    assert outputs == (target,)
    assert paper.flops == every.flops == 0
    assert paper.mac == prod(shape) + prod(target)


def test_expand_errors():
    assert node_error(Expand((3, 2)), (3, 4)) == (
        "node 'bad' (Expand): shape must keep each input size or stretch a 1, got [3, 2] for input [3, 4]")
    assert node_error(Expand((4,)), (2, 4)) == (
        "node 'bad' (Expand): shape must have at least the input's 2 axes, got [4] for input [2, 4]")
    assert op_error(lambda: Expand(())) == "Expand shape must have at least one axis, got []"


# ----- reduce_l2 ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("axes,keepdims,out", [((-1,), True, (3, 49, 1)), ((2,), False, (3, 49)),
                                              (None, True, (1, 1, 1))])
def test_reduce_l2(axes, keepdims, out):
    outputs, paper, every = costs(ReduceL2(axes, keepdims), (3, 49, 32))
    assert outputs == (out,)
    assert paper.flops == 0
    assert every.flops == 3 * 49 * 32          # one square accumulated per element
    assert paper.mac == 3 * 49 * 32 + prod(out)


# ----- constant_arithmetic ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("operation", ["add", "sub", "mul", "div"])
def test_constant_arithmetic(operation):
    outputs, paper, every = costs(ConstantArithmetic(operation, (64, 1, 49, 49)), (64, 3, 49, 49))
    assert outputs == ((64, 3, 49, 49),)
    assert paper.flops == 0 and every.flops == 64 * 3 * 49 * 49 and paper.params == 0
    assert paper.mac == 2 * 64 * 3 * 49 * 49     # the constant is not a parameter and not counted as read


def test_constant_arithmetic_errors():
    assert op_error(lambda: ConstantArithmetic("pow")) == (
        "ConstantArithmetic operation must be add, sub, mul or div, got 'pow'")


# ----- constant, and what is computed from constants ---------------------------------------------------------------
def test_a_learned_constant_holds_params_and_a_buffer_none():
    for learned, params in ((True, 768), (False, 0)):
        g = cm.Graph("t", (196, 768), batch=N)
        token = g.add("token", Constant((1, 768), learned=learned))
        g.add("cat", cm.Concat(), token, g.input)
        token_cost, cat_cost = cm.analyze(g).layers
        assert g.nodes[0].outputs == ((1, 768),) and g.nodes[1].outputs == ((197, 768),)
        assert token_cost.params == params
        assert token_cost.mac == params and token_cost.activations == 768     # once, not N times
        # the concat is per sample: N times its output and the image part; the token is read once
        assert sympy.expand(cat_cost.mac - (N * (196 * 768 + 197 * 768) + 768)) == 0


def test_a_computation_on_constants_is_counted_once_per_batch():
    """Swin v2's relative-position MLP: a coordinate table through two linear layers, added to the attention
    scores of every sample. Its multiply-adds do not grow with the batch; the scores' do."""
    windows, heads, tokens, hidden = 64, 3, 49, 512
    g = cm.Graph("t", (windows, heads, tokens, tokens), batch=N)
    table = g.add("table", Constant((tokens * tokens, 2)))
    h = g.add("mlp0", Linear(hidden, any_rank=True), table)
    h = g.add("relu", ReLU(), h)
    bias = g.add("mlp2", Linear(heads, bias=False, any_rank=True), h)
    bias = g.add("view", cm.ops.Reshape((1, heads, tokens, tokens)), bias)
    scores = g.add("scaled", LayerScale((heads, 1, 1)), g.input)
    g.add("add", Add(), scores, bias)
    layers = {layer.name: layer.cost for layer in cm.analyze(g).layers}
    mlp_flops = tokens * tokens * 2 * hidden + tokens * tokens * hidden * heads
    assert layers["mlp0"].flops + layers["mlp2"].flops == mlp_flops            # not N times
    assert layers["relu"].activations == tokens * tokens * hidden
    assert layers["mlp0"].mac == tokens * tokens * 2 + tokens * tokens * hidden + (2 * hidden + hidden)
    scores_size = windows * heads * tokens * tokens
    assert sympy.expand(layers["add"].mac - (N * 2 * scores_size + heads * tokens * tokens)) == 0
    assert sympy.expand(layers["add"].activations - N * scores_size) == 0
    totals = cm.analyze(g).totals
    assert sympy.expand(totals.flops - mlp_flops) == 0
    assert totals.params == 2 * hidden + hidden + hidden * heads + heads
    assert cm.analyze(g, "all").totals.flops.subs(N, 1) != cm.analyze(g, "all").totals.flops.subs(N, 2)
    rows = {row["name"]: row for row in by_layer(cm.analyze(g)).rows}
    assert rows["mlp0"]["output"] == [tokens * tokens, hidden]                # no batch: computed once
    assert rows["add"]["output"] == [N, windows, heads, tokens, tokens]


def test_matmul_of_a_constant_and_a_sample_is_per_sample():
    g = cm.Graph("t", (4, 6), batch=3)
    keys = g.add("keys", Constant((6, 5)))
    g.add("mm", MatMul(), g.input, keys)
    mm = cm.analyze(g).layers[1].cost
    assert mm.flops == 3 * 4 * 6 * 5
    assert mm.mac == 3 * (4 * 6 + 4 * 5) + 6 * 5


def test_constant_errors():
    assert op_error(lambda: Constant(())) == "Constant shape must have at least one axis, got []"
    assert op_error(lambda: Constant((0, 3))) == "Constant shape sizes must be at least 1, got [0, 3]"
    g = cm.Graph("t", (3,))
    with pytest.raises(cm.NodeError, match=r"takes exactly 0 input tensor\(s\), got 1"):
        g.add("c", Constant((3,)), g.input)


# ----- specs ------------------------------------------------------------------------------------------------------
def test_every_new_op_builds_from_a_spec():
    graph = load_spec("""name: t
input: [196, 32, 1]
batch: 2
layers:
  - {id: x, kind: squeeze, axes: [2]}
  - {id: token, kind: constant, shape: [1, 32], learned: true}
  - {id: tokens, kind: concat, from: [token, x]}
  - {id: norm, kind: reduce_l2, axes: [-1]}
  - {id: wide, kind: expand, shape: [197, 32]}
  - {id: unit, kind: div, from: [tokens, wide]}
  - {id: scaled, kind: constant_arithmetic, operation: mul}
  - {id: table, kind: constant, shape: [15, 32]}
  - {id: picked, kind: gather, indices: [197], axis: 0}
  - {id: out, kind: add, from: [scaled, picked]}
""")
    ops = {node.name: node.op for node in graph.nodes}
    assert ops["token"] == Constant((1, 32), True) and ops["table"] == Constant((15, 32))
    assert ops["picked"] == Gather((197,), 0) and ops["wide"] == Expand((197, 32))
    assert ops["norm"] == ReduceL2((-1,)) and ops["scaled"] == ConstantArithmetic("mul")
    assert graph.node("tokens").inputs[0].node == "token" and graph.node("picked").inputs[0].node == "table"
    analysis = cm.analyze(graph)
    assert analysis.totals.params == 32
    assert analysis.layer("picked").cost.mac == 15 * 32 + 197 + 197 * 32   # once: the table is a constant
    assert analysis.layer("out").cost.mac == 2 * 2 * 197 * 32 + 197 * 32


def test_a_constant_reads_no_input_in_a_spec():
    with pytest.raises(cm.SpecError, match=r"node 'c' \(Constant\) takes no input; leave out from:"):
        load_spec("name: t\ninput: [4]\nlayers:\n  - {id: c, kind: constant, shape: [4], from: input}\n")


@pytest.mark.parametrize("method", ["pointwise", "factored"])
def test_a_sweep_over_the_batch_counts_constants_once(tmp_path, method):
    spec = tmp_path / "net.yaml"
    spec.write_text("""name: t
input: [4, 6, 1]
symbols: {b: 1}
batch: b
layers:
  - {id: x, kind: squeeze, axes: [2]}
  - {id: table, kind: constant, shape: [5, 6]}
  - {id: mlp, kind: linear, out_features: 6, bias: false, any_rank: true}
  - {id: keys, kind: transpose, perm: [1, 0]}
  - {id: scores, kind: matmul, from: [x, keys]}
""")
    result = cm.sweep(str(spec), {"b": [1, 2, 3]}, method=method)
    # the MLP on the table once (5 rows of 6 -> 6), the scores per sample ([4, 6] x [6, 5])
    assert [int(f) for f in result.columns["flops"]] == [4 * 6 * 5 * b + 5 * 6 * 6 for b in (1, 2, 3)]
