"""The spec format, feature by feature: input and batch, symbols and values, layers and from, multi-output
references, groups and stages, blocks with repeat, args and overrides, when, automatic names, limits."""
from fractions import Fraction

import pytest

import costmodel as cm
from costmodel.spec import limits, load_spec, spec_symbols
from costmodel.symbolic import symbols


def names(graph):
    return [node.name for node in graph]


def test_sequential_layers_with_hyper_parameters_and_batch():
    graph = load_spec("""
input: [3, 32, 32]
batch: 8
layers:
  - {kind: conv, out_channels: 16, kernel: 3, stride: 2, padding: 1, bias: true}
  - {kind: batch_norm}
  - {kind: relu6}
  - {kind: max_pool, kernel: [2, 2]}
""")
    assert names(graph) == ["conv1", "batch_norm1", "relu6_1", "max_pool1"]
    conv = graph.node("conv1").op
    assert (conv.out_channels, conv.kernel, conv.stride, conv.padding, conv.bias) == (16, (3, 3), (2, 2), (1, 1), True)
    assert graph.batch == 8 and graph.nodes[-1].outputs == ((16, 8, 8),)


def test_from_branches_and_joins_and_split_outputs_are_numbered():
    graph = load_spec("""
input: [16, 8, 8]
layers:
  - {id: halves, kind: split}
  - {id: left, kind: relu, from: halves.0}
  - {id: right, kind: conv, out_channels: 8, kernel: 3, padding: 1, from: halves.1}
  - {id: joined, kind: concat, from: [left, right]}
  - {id: sum, kind: add, from: [joined, input]}
""")
    node = graph.node("joined")
    assert [(t.node, t.index) for t in node.inputs] == [("left", 0), ("right", 0)]
    assert graph.node("left").inputs[0].index == 0 and graph.node("right").inputs[0].index == 1
    assert [t.node for t in graph.node("sum").inputs] == ["joined", "input"]


def test_groups_and_stage_labels_report_layers_together():
    graph = load_spec("""
input: [3, 8, 8]
layers:
  - stage: stem
    layers:
      - {id: conv, kind: conv, out_channels: 8}
      - {id: conv_relu, kind: relu}
  - {id: pool, kind: global_avg_pool}
  - {id: flat, kind: flatten, stage: head}
  - {id: fc, kind: linear, out_features: 10, stage: head, from: flat}
""")
    assert [(node.name, node.stage) for node in graph] == [
        ("conv", "stem"), ("conv_relu", "stem"), ("pool", "pool"), ("flat", "head"), ("fc", "head")]
    assert list(cm.analyze(graph).group_by("stage")) == ["stem", "pool", "head"]


BLOCKS = """
symbols: {c: 16}
input: [c, 16, 16]
blocks:
  unit:
    params: {out: null, stride: 1, mid: out // 2}
    layers:
      - {id: reduce, kind: conv, out_channels: mid, kernel: 1}
      - {id: conv, kind: conv, out_channels: out, kernel: 3, stride: stride, padding: 1}
      - {id: add, kind: add, from: [input, conv], when: stride == 1 and in_channels == out}
layers:
  - {id: stage2, block: unit, repeat: 3, args: {out: 2 * c}, overrides: {0: {stride: 2}, 2: {mid: 4}}}
  - {id: tail, block: unit, args: {out: in_channels}}
"""


def test_blocks_repeat_with_per_instance_arguments_as_scopes():
    graph = load_spec(BLOCKS)
    assert names(graph) == ["stage2.0.reduce", "stage2.0.conv",
                            "stage2.1.reduce", "stage2.1.conv", "stage2.1.add",
                            "stage2.2.reduce", "stage2.2.conv", "stage2.2.add",
                            "tail.reduce", "tail.conv", "tail.add"]
    assert {node.stage for node in graph} == {"stage2", "tail"}
    assert graph.node("stage2.0.conv").op.stride == (2, 2) and graph.node("stage2.1.conv").op.stride == (1, 1)
    assert graph.node("stage2.1.reduce").op.out_channels == 16 and graph.node("stage2.2.reduce").op.out_channels == 4
    assert graph.node("tail.conv").outputs == ((32, 8, 8),)


def test_an_instance_may_read_several_tensors():
    """from: of an instance lists what it reads; inside, input.N is the N-th and inputs all of them in order;
    in_channels of its arguments is the first's."""
    graph = load_spec("""
input: [4, 8, 8]
blocks:
  dense:
    params: {growth: in_channels}
    layers:
      - {id: cat, kind: concat, from: inputs}
      - {id: conv, kind: conv, out_channels: growth, kernel: 3, padding: 1}
  fuse:
    output: add
    layers:
      - {id: conv, kind: conv, out_channels: 4, from: input.1}
      - {id: add, kind: add, from: [conv, input.0]}
      - {id: side, kind: relu, from: input.0, output: true}
layers:
  - {id: stem, kind: conv, out_channels: 4}
  - {id: d1, block: dense, from: [input, stem]}
  - {id: d2, block: dense, from: [input, stem, d1]}
  - {id: f, block: fuse, from: [d2, d1]}
""")
    assert names(graph) == ["stem", "d1.cat", "d1.conv", "d2.cat", "d2.conv", "f.conv", "f.add", "f.side"]
    assert [t.node for t in graph.node("d2.cat").inputs] == ["input", "stem", "d1.conv"]
    assert graph.node("d2.cat").outputs == ((12, 8, 8),) and graph.node("d2.conv").op.out_channels == 4
    assert [t.node for t in graph.node("f.conv").inputs] == ["d1.conv"]
    assert [t.node for t in graph.node("f.add").inputs] == ["f.conv", "d2.conv"]
    assert graph.node("f.side").inputs[0].node == "d2.conv"


@pytest.mark.parametrize("layers, message", [
    ("- {id: b, block: pair, from: [input, a], repeat: 2}",
     "10:32: an instance with repeat reads one tensor (each instance reads the one before), got 2 in from:"),
    ("- {id: b, block: first, from: [input, a]}",
     "3:20: relu1 reads the block's input, which is 2 tensors here: say which with from: input.0 or input.1, or "
     "inputs for all of them (in b, an instance of block first)"),
    ("- {id: b, block: pair, from: a}",
     "6:37: add1 reads input.1, but the instance reads one tensor, input (or input.0) (in b, an instance of "
     "block pair)"),
    ("- {id: b, block: whole, from: [input, a]}",
     "7:39: relu1 reads input, which is 2 tensors here: refer to input.0 or input.1, or inputs for all of them "
     "(in b, an instance of block whole)"),
])
def test_several_inputs_mistakes(layers, message):
    text = f"""input: [4, 8, 8]
blocks:
  first: {{layers: [{{kind: relu}}]}}
  pair:
    layers:
      - {{kind: add, from: [input.0, input.1]}}
  whole: {{layers: [{{kind: relu, from: input}}]}}
layers:
  - {{id: a, kind: relu}}
  {layers}
"""
    with pytest.raises(cm.errors.SpecError) as caught:
        load_spec(text)
    assert str(caught.value).endswith(message), str(caught.value)


@pytest.mark.parametrize("text, message", [
    ("input: [4, 8, 8]\nlayers:\n  - {kind: relu, from: input.1}\n",
     "3:24: the spec's input is one tensor; refer to it as input (input.N is the N-th tensor a block instance "
     "reads, inside a block)"),
    ("input: [4, 8, 8]\nlayers:\n  - {id: inputs, kind: relu}\n",
     "3:10: id 'inputs' must be letters, digits, '_' and '-' (and not 'input' or 'inputs')"),
    ("input: [4, 8, 8]\nblocks:\n  b: {output: inputs, layers: [{kind: relu}]}\nlayers:\n  - {block: b}\n",
     "3:15: the output of block b is one tensor: an id, input or input.N, not inputs"),
    ("input: [4, 8, 8]\nblocks:\n  b: {layers: [{kind: concat, from: inputs.1}]}\nlayers:\n  - {block: b}\n",
     "3:37: inputs stands for all the tensors the scope reads; write input.1 for one of them"),
])
def test_input_references_are_checked_when_read(text, message):
    with pytest.raises(cm.errors.SpecError) as caught:
        load_spec(text)
    assert str(caught.value) == f"<spec>:{message}"


def test_alternatives_under_when_may_share_an_id():
    text = """
symbols: {stride: 1}
input: [8, 8, 8]
layers:
  - when: stride == 1
    layers: [{id: body, kind: relu}]
  - when: stride == 2
    layers: [{id: body, kind: max_pool, kernel: 2}]
  - {id: out, kind: add, from: [body, body]}
"""
    assert names(load_spec(text)) == ["body", "out"] and load_spec(text).node("body").op.kind == "relu"
    assert load_spec(text, {"stride": 2}).node("body").op.kind == "max_pool"


def test_symbols_take_caller_values_then_defaults_then_stay_symbolic():
    text = """
symbols:
  c1: 32
  c2: null
  h: {default: 7, description: height}
  width: {default: 0.5, integer: false}
  c3: make_divisible(c1 * width, 8)
input: [c1, h, h]
layers:
  - {kind: conv, out_channels: c2, kernel: 1}
  - {kind: conv, out_channels: c3, kernel: 1}
"""
    c2, h = symbols("c2 h")
    assert spec_symbols(text) == {"c1": 32, "c2": c2, "h": 7, "width": Fraction(1, 2), "c3": 16}
    assert spec_symbols(text, {"h": "h", "c2": 64, "width": 0.75})["c3"] == 24
    alpha = symbols("alpha", integer=False)
    assert spec_symbols(text, {"width": "alpha"})["width"] == alpha
    graph = load_spec(text, {"c1": 64, "h": h})
    assert graph.input.shape == (64, h, h)
    assert cm.analyze(graph).totals.flops == h**2 * 64 * c2 + h**2 * c2 * 32
    import sympy
    assert spec_symbols(text, {"c2": sympy.Integer(12)})["c2"] == 12


@pytest.mark.parametrize("values,message", [
    ({"c4": 1}, "<spec>:1:1: a value is given for 'c4', which the spec does not declare; its symbols: c1, c2"),
    ({"c1": 1.5}, ("<spec>:2:3: symbol c1 is a whole number (declare it with integer: false to allow fractions), "
                   "got 3/2")),
    ({"c1": True}, "<spec>:2:3: the value True given for symbol c1: true/false is not a number"),
    ({"c1": "__import__('os')"}, ("<spec>:2:3: the value \"__import__('os')\" given for symbol c1: unknown "
                                  "function __import__(); the functions are ceil, floor, make_divisible, max, min, round, sqrt")),
    ({"c1": object()}, None),
    ([("c1", 1)], "<spec>: values must map symbol names to values, got list"),
])
def test_bad_caller_values_are_spec_errors(values, message):
    text = "symbols:\n  c1: 8\n  c2: 8\ninput: [c1, 4, 4]\nlayers:\n  - {kind: relu}\n"
    with pytest.raises(cm.SpecError) as caught:
        load_spec(text, values)
    if message is None:
        assert "give a number, a Fraction, a sympy expression, text or a list of them" in str(caught.value)
    else:
        assert str(caught.value) == message


def test_paths_texts_and_file_names(tmp_path):
    path = tmp_path / "net.yaml"
    path.write_text("input: [3, 4, 4]\nlayers:\n  - {kind: relu}\n")
    assert load_spec(path).name == "net" and load_spec(str(path)).name == "net"
    assert load_spec(path.read_text()).name == "spec"
    assert load_spec(path.read_bytes()).name == "spec"
    assert load_spec("name: mine\n" + path.read_text()).name == "mine"
    with pytest.raises(cm.SpecError) as caught:
        load_spec(tmp_path / "missing.yaml")
    assert str(caught.value) == f"{tmp_path / 'missing.yaml'}: cannot read the spec file (No such file or directory)"
    with pytest.raises(cm.SpecError, match=r"^shown\.yaml:3:12: unknown op 'nope'"):
        load_spec("input: [3, 4, 4]\nlayers:\n  - {kind: nope}\n", filename="shown.yaml")
    with pytest.raises(cm.SpecError, match="load_spec takes a path or the text of a spec, got int"):
        load_spec(3)


def test_library_errors_point_at_the_hyper_parameter_and_name_the_node():
    text = """
input: [32, 8, 8]
blocks:
  unit:
    params: {g: 1}
    layers: [{id: conv1, kind: conv, out_channels: 64, kernel: 3, padding: 1, groups: g}]
layers:
  - {id: stage2, block: unit, repeat: 2, overrides: {1: {g: 3}}}
"""
    with pytest.raises(cm.SpecError) as caught:
        load_spec(text)
    assert str(caught.value) == ("<spec>:6:87: node 'stage2.1.conv1' (Conv2d): groups must divide input channels, "
                                 "but 3 does not divide 64")


def test_sizes_above_the_limit_and_too_many_layers_are_refused(monkeypatch):
    with pytest.raises(cm.SpecError, match="output \\[4294967296, 1, 1\\] is above the limit of 2\\*\\*31 on sizes"):
        load_spec("input: [2147483648, 1, 1]\nlayers:\n  - {kind: concat, from: [input, input]}\n")
    monkeypatch.setattr(limits, "MAX_NODES", 5)
    monkeypatch.setattr("costmodel.spec.builder.MAX_NODES", 5)
    text = "input: [3, 4, 4]\nlayers:\n" + "  - {kind: relu}\n" * 6
    with pytest.raises(cm.SpecError, match="more than 5 layers, the limit"):
        load_spec(text)


def test_symbolic_shapes_flow_through_every_layer():
    graph = load_spec("""
symbols: [c, h]
input: [c, h, h]
layers:
  - {kind: conv, out_channels: 2 * c, kernel: 3, stride: 2, padding: 1, groups: c}
  - {kind: split}
""", {})
    c, h = symbols("c h")
    assert graph.nodes[0].outputs == ((2 * c, (h - 1) // 2 + 1, (h - 1) // 2 + 1),)
    assert graph.nodes[1].outputs[0][0] == c
