"""branches: parallel branches on one input, joined by one op; counts checked against formulas written here
and against the same network written with from: input."""
import pytest

import costmodel as cm
from costmodel.errors import SpecError
from costmodel.spec import load_spec

INCEPTION_3A = """
input: [192, 28, 28]
layers:
  - id: inception3a
    join: concat
    branches:
      branch1: {kind: conv, out_channels: 64, kernel: 1}
      branch2:
        - {kind: conv, out_channels: 96, kernel: 1}
        - {kind: conv, out_channels: 128, kernel: 3, padding: 1}
      branch3:
        - {kind: conv, out_channels: 16, kernel: 1}
        - {kind: conv, out_channels: 32, kernel: 5, padding: 2}
      branch4:
        - {kind: max_pool, kernel: 3, stride: 1, padding: 1}
        - {kind: conv, out_channels: 32, kernel: 1}
"""

WITHOUT_BRANCHES = """
input: [192, 28, 28]
layers:
  - {id: b1, kind: conv, out_channels: 64, kernel: 1, from: input}
  - {id: b2a, kind: conv, out_channels: 96, kernel: 1, from: input}
  - {id: b2b, kind: conv, out_channels: 128, kernel: 3, padding: 1}
  - {id: b3a, kind: conv, out_channels: 16, kernel: 1, from: input}
  - {id: b3b, kind: conv, out_channels: 32, kernel: 5, padding: 2}
  - {id: b4a, kind: max_pool, kernel: 3, stride: 1, padding: 1, from: input}
  - {id: b4b, kind: conv, out_channels: 32, kernel: 1}
  - {id: inception3a, kind: concat, from: [b1, b2b, b3b, b4b]}
"""


def conv_flops(k, c_in, c_out, hw):
    return k * k * c_in * c_out * hw


def test_an_inception_module_counts_as_its_formula_and_as_the_same_module_written_with_from():
    graph = load_spec(INCEPTION_3A)
    hw = 28 * 28
    flops = (conv_flops(1, 192, 64, hw) + conv_flops(1, 192, 96, hw) + conv_flops(3, 96, 128, hw)
             + conv_flops(1, 192, 16, hw) + conv_flops(5, 16, 32, hw) + conv_flops(1, 192, 32, hw))
    params = 192 * 64 + 192 * 96 + 9 * 96 * 128 + 192 * 16 + 25 * 16 * 32 + 192 * 32
    totals = cm.analyze(graph).totals
    assert (totals.flops, totals.params) == (flops, params)
    assert graph.nodes[-1].name == "inception3a" and graph.nodes[-1].outputs == ((64 + 128 + 32 + 32, 28, 28),)
    assert [node.name for node in graph][:3] == ["branch1.conv1", "branch2.conv1", "branch2.conv2"]
    assert {node.stage for node in graph} == {"inception3a"}
    plain = cm.analyze(load_spec(WITHOUT_BRANCHES))
    assert (totals.flops, totals.params, totals.mac) == (plain.totals.flops, plain.totals.params, plain.totals.mac)
    concat = [t.shape for t in graph.nodes[-1].inputs]
    assert concat == [(64, 28, 28), (128, 28, 28), (32, 28, 28), (32, 28, 28)]  # in the order written


def test_a_residual_is_two_branches_joined_by_add_one_of_them_the_input():
    graph = load_spec("""
input: [c, 14, 14]
symbols: [c]
layers:
  - id: res
    join: add
    branches:
      main: [{kind: conv, out_channels: c, kernel: 3, padding: 1}, {kind: batch_norm}]
      shortcut: input
  - {kind: relu}
""")
    add = graph.node("res")
    assert [t.node for t in add.inputs] == ["main.batch_norm1", "input"]
    c = cm.symbols("c")
    assert cm.analyze(graph).totals.flops == 9 * c * c * 14 * 14


def test_branches_nest_in_branches_and_in_blocks_with_a_when():
    """Inception v3's InceptionE 3x3 branch: a 1x1 conv, then a 1x3 and a 3x1 conv side by side, concatenated."""
    graph = load_spec("""
input: [64, 8, 8]
blocks:
  module:
    params: {c: null, pool: 1}
    layers:
      - id: out
        join: concat
        branches:
          b1: {kind: conv, out_channels: c, kernel: 1}
          b3:
            - {kind: conv, out_channels: c, kernel: 1}
            - join: concat
              branches:
                a: {kind: conv, out_channels: c, kernel: [1, 3], padding: [0, 1]}
                b: {kind: conv, out_channels: c, kernel: [3, 1], padding: [1, 0]}
          pool: [{kind: avg_pool, kernel: 3, stride: 1, padding: 1, when: pool == 1}, {kind: conv, out_channels: c}]
layers:
  - {id: m1, block: module, args: {c: 8}}
  - {id: m2, block: module, args: {c: 4, pool: 0}}
""")
    hw = 64
    m1 = conv_flops(1, 64, 8, hw) * 3 + 2 * (3 * 8 * 8 * hw)
    m2 = conv_flops(1, 32, 4, hw) * 3 + 2 * (3 * 4 * 4 * hw)
    assert cm.analyze(graph).totals.flops == m1 + m2
    assert graph.node("m1.out").outputs == ((8 + 16 + 8, 8, 8),)
    assert "m1.b3.a.conv1" in {node.name for node in graph} and "m1.b3.concat1" in {node.name for node in graph}
    assert not any(node.name.startswith("m2.pool.avg_pool") for node in graph)
    assert {node.stage for node in graph} == {"m1", "m2"}


@pytest.mark.parametrize("layers, message", [
    ("[{join: concat, branches: {}}]", "branches must map two or more branch names to their layers"),
    ("[{join: concat, branches: {a: [], b: input}}]", "branch a must be a list of one or more layers"),
    ("[{join: sub, branches: {a: input, b: input}}]", "join 'sub' is not an op that joins branches"),
    ("[{join: add, branches: {a: input, b: {kind: conv, out_channels: 4}}}]",
     "node 'add1' (Add): inputs shapes must match (or have 1 to broadcast), but got [8, 8, 8] and [4, 8, 8] "
     "(a gives [8, 8, 8], b gives [4, 8, 8])"),
    ("[{join: concat, branches: {a: input, b: {kind: split}}}]",
     "branch b of 'concat1' ends with split1 (split), which has 2 outputs"),
    ("[{id: x, kind: relu}, {join: add, branches: {a: input, b: {kind: relu, from: x}}}]",
     "unknown id 'x'; the ids here: input (a branch sees its own ids and input"),
    ("[{join: add, branches: {a: input, b: {kind: relu, from: input.1}}}]", "a branch reads one tensor"),
    ("[{id: x, kind: relu}, {join: add, from: [x, input], branches: {a: input, b: input}}]",
     "branches read one tensor, which each branch gets; from: lists 2"),
    ("[{join: add, branches: {a: input, b: [{id: r, kind: relu}, {kind: sigmoid, from: input}]}}]",
     "the output of layer 'b.r' (relu) is never read"),
    ("[{join: add, branches: {a: input, b: input}}, {join: add, branches: {a: input, c: input}}]",
     "branch 'a' is also a branch of the branches: item at line 2: branch names are unique in a scope"),
    ("[{id: a, kind: relu}, {join: add, branches: {a: input, c: input}}]",
     "branch 'a' has the name of the id at line 2: its layers are named a.<id>, so rename one"),
])
def test_mistakes_in_branches_are_one_line_at_the_place(layers, message):
    with pytest.raises(SpecError) as caught:
        load_spec(f"input: [8, 8, 8]\nlayers: {layers}\n")
    text = str(caught.value)
    assert message in text and "\n" not in text and text.startswith("<spec>:2:")


def test_deeply_nested_branches_stop_at_the_yaml_depth_limit():
    item = "{kind: relu}"
    for _ in range(40):
        item = "{join: add, branches: {a: input, b: " + item + "}}"
    with pytest.raises(SpecError, match="nesting deeper than the limit"):
        load_spec(f"input: [8, 8, 8]\nlayers:\n  - {item}\n")
