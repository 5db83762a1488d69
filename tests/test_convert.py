"""costmodel.spec.write_spec and ``costmodel convert``: every graph written as a spec reads back to the same
nodes, hence the same rows and totals (the independent source: the graph the spec was written from)."""
from __future__ import annotations

import json
from fractions import Fraction

import pytest
import sympy
from click.testing import CliRunner

from costmodel import analyze
from costmodel.cli import main
from costmodel.cli.settings import parse_settings
from costmodel.errors import CostModelError, GraphError
from costmodel.graph import Graph
from costmodel.ops import OPS, Add, Concat, Conv2d, LeakyReLU, ReLU, Split
from costmodel.spec import EXAMPLES, load_spec, read, write_spec
from costmodel.targets import target
from costmodel.zoo import ARCHITECTURES


def rows(graph, convention):
    analysis = analyze(graph, convention)
    return list(_layer_rows(analysis)), analysis.totals


def _layer_rows(analysis):
    from costmodel.report import table
    return table(analysis, "layer").rows


def assert_round_trip(graph):
    text = write_spec(graph)
    again = load_spec(text)
    assert [(n.name, n.op, n.stage, n.input_shapes, n.outputs) for n in again.nodes] == \
        [(n.name, n.op, n.stage, n.input_shapes, n.outputs) for n in graph.nodes]
    assert again.batch == graph.batch and again.input.shape == graph.input.shape
    for convention in ("paper", "all"):
        assert rows(again, convention) == rows(graph, convention)
    return text


NETWORKS = [(name, {}) for name in ARCHITECTURES] + [
    (name, {"variant": "torchvision"}) for name, entry in ARCHITECTURES.items()
    if "variant" in entry.defaults and "torchvision" in (getattr(entry, "choices", {}) or {}).get("variant", ("torchvision",))]


@pytest.mark.parametrize("name, values", NETWORKS, ids=[f"{n}-{'-'.join(v.values()) or 'default'}" for n, v in NETWORKS])
def test_every_zoo_network_round_trips(name, values):
    try:
        graph = target(name).build(**values)
    except CostModelError:
        pytest.skip(f"{name} has no {values}")
    assert_round_trip(graph)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_spec_round_trips(path):
    assert_round_trip(load_spec(path))


@pytest.mark.parametrize("name, settings", [
    ("mobilenet_v1", ["width=alpha"]), ("mobilenet_v1", ["width=alpha", "resolution=r"]),
    ("mobilenet_v2", ["width=alpha", "resolution=r"]), ("shufflenet_v2", ["resolution=r"]),
    ("resnet50", ["resolution=r"]), ("g1_bench", ["c1=c"])])
def test_symbolic_widths_and_resolutions_round_trip(name, settings):
    chosen = target(name)
    text = assert_round_trip(chosen.build(**parse_settings(settings, chosen)))
    assert "symbols:" in text


def test_symbols_are_declared_and_settable():
    chosen = target("mobilenet_v1")
    text = write_spec(chosen.build(**parse_settings(["width=alpha"], chosen)))
    assert "  alpha: {integer: false}" in text
    spec = read(text)
    assert [s.name for s in spec.symbols] == ["alpha"]
    assert analyze(spec.build({"alpha": Fraction(1, 2)})).totals.flops == \
        analyze(target("mobilenet_v1").build(width=Fraction(1, 2))).totals.flops


def test_batch_is_kept():
    n = sympy.Symbol("n", positive=True, integer=True)
    for batch in (4, n):
        graph = Graph("b", (3, 8, 8), batch=batch)
        graph.add("conv", Conv2d(4, kernel=3, padding=1), graph.input)
        assert load_spec(write_spec(graph)).batch == batch


def test_layout_one_line_per_layer_from_only_where_needed():
    graph = Graph("net", (8, 16, 16))
    with graph.scope("stage1"):
        x = graph.add("conv", Conv2d(8, kernel=3, stride=2, padding=1), graph.input)
        y = graph.add("relu", ReLU(), x)
        graph.add("add", Add(), y, x)
    text = assert_round_trip(graph)
    assert "      - {id: conv, kind: conv, out_channels: 8, kernel: 3, stride: 2, padding: 1}  # [8, 16, 16] -> " \
           "[8, 8, 8]" in text
    assert "- {id: relu, kind: relu}  #" in text
    assert "- {id: add, kind: add, from: [relu, conv]}  #" in text
    assert "- {id: stage1, block: stage1}  # [8, 16, 16] -> [8, 8, 8]" in text


def test_every_op_kind_is_writable():
    """One instance of every registered op, with its non-default fields where it has any."""
    samples = {"conv": dict(out_channels=6, kernel=(3, 1), padding=(1, 0), bias=True),
               "conv_transpose": dict(out_channels=4, kernel=2, stride=2, output_padding=1),
               "deform_conv": dict(out_channels=4, kernel=3, padding=1, offset_groups=2),
               "linear": dict(out_features=5), "leaky_relu": dict(negative_slope=0.2),
               "clip": dict(min=0.0, max=6.5), "layer_scale": dict(shape=(4, 1, 1)), "bias_add": dict(shape=(4, 1, 1)),
               "transpose": dict(perm=(0, 2, 1)), "reshape": dict(shape=(4, 64)), "unsqueeze": dict(axes=(0,)),
               "pad": dict(pads=(0, 1, 1, 0, 1, 1), mode="reflect"), "slice": dict(axis=0, start=1, stop=3),
               "split": dict(sizes=(1, 3)), "upsample": dict(scale=2, mode="bilinear"),
               "max_pool": dict(kernel=3, stride=2, padding=1, ceil_mode=True), "softmax": dict(axis=0),
               "reduce_mean": dict(axes=(1, 2), keepdims=False), "prelu": dict(channels=4),
               "group_norm": dict(groups=2), "lrn": dict(size=3)}
    written = []
    for kind, cls in OPS.items():
        graph = Graph(kind, (4, 8, 8))
        x = graph.input
        if kind == "max_unpool":
            x = graph.add("pool", OPS["max_pool"](kernel=2), x)
        if kind in ("linear",):
            x = graph.add("flat", OPS["flatten"](), x)
        op = cls(**samples.get(kind, {}))
        count = max(cls.min_inputs, 1)
        try:
            out = graph.add("layer", op, *([x] * count))
        except CostModelError:
            continue  # an op this input does not suit; others below
        if isinstance(out, tuple):
            graph.add("join", Concat(), *out)
        assert_round_trip(graph)
        written.append(kind)
    assert set(written) >= set(OPS) - {"matmul"}  # matmul needs [.., M, K] x [.., K, N]
    graph = Graph("mm", (2, 4, 4))
    graph.add("mm", OPS["matmul"](), graph.input, graph.input)
    assert_round_trip(graph)


@pytest.mark.parametrize("stage", ["a: b", "#x", "*ref", "&anchor", "!!python/object:os.system", "- lead",
                                   "ünïcødé 😀", '"quoted" \\ back', "{flow}", "[list]", "yes", "null", "0x10",
                                   "1:30", "  spaced  ", "%TAG"])
def test_hostile_stage_labels_stay_text(stage):
    graph = Graph(stage, (3, 8, 8))
    with graph.stage(stage):
        x = graph.add("conv", Conv2d(4), graph.input)
    graph.add("relu", ReLU(), x)
    text = assert_round_trip(graph)
    assert load_spec(text).name == stage


@pytest.mark.parametrize("name", ["yes", "null", "true", "0", "01", "1e3", "a-b", "input_", "_x", "NO"])
def test_node_names_yaml_would_misread_are_quoted(name):
    graph = Graph("net", (3, 8, 8))
    with graph.scope("s"):
        graph.add(name, Conv2d(4), graph.input)
    assert_round_trip(graph)


def test_what_a_spec_cannot_hold_is_refused_with_one_line():
    graph = Graph("net", (3, 8, 8))
    with graph.stage("two\nlines"):
        graph.add("conv", Conv2d(4), graph.input)
    with pytest.raises(GraphError, match=r"node 'conv': stage 'two\\nlines' is not one line of printable text"):
        write_spec(graph)
    bad = sympy.Symbol("lambda", positive=True, integer=True)
    graph = Graph("net", (3, bad, 8))
    graph.add("conv", Conv2d(4), graph.input)
    with pytest.raises(GraphError, match="symbol 'lambda'"):
        write_spec(graph)
    graph = Graph("net", (3, 8, 8))
    graph.add_input("other", (3, 8, 8))
    graph.add("conv", Conv2d(4), graph.input)
    with pytest.raises(GraphError, match="has 2 inputs"):
        write_spec(graph)


def test_scopes_a_block_cannot_carry_are_flattened_with_their_names_kept_in_ids():
    """A scope read at two tensors from outside (a dense connection) is not a block instance: its layers join
    the scope around them, ids joining the rest of the dotted name with '_'; ops, shapes, stages and counts
    stay the same."""
    graph = Graph("dense", (4, 8, 8))
    x0 = graph.input
    with graph.scope("block"):
        with graph.scope("layer1"):
            x1 = graph.add("conv", Conv2d(4, kernel=3, padding=1), x0)
        with graph.scope("layer2"):
            joined = graph.add("cat", Concat(), x0, x1)
            x2 = graph.add("conv", Conv2d(4, kernel=3, padding=1), joined)
        graph.add("out", Concat(), x0, x1, x2)
    text = write_spec(graph)
    again = load_spec(text)
    assert [n.name for n in again.nodes] == ["block.layer1.conv", "block.layer2_cat", "block.layer2_conv", "block.out"]
    assert "(was block.layer2.cat)" in text
    assert [(n.op, n.stage, n.input_shapes, n.outputs) for n in again.nodes] == \
        [(n.op, n.stage, n.input_shapes, n.outputs) for n in graph.nodes]
    assert analyze(again, "all").totals == analyze(graph, "all").totals


def test_unread_outputs_are_marked():
    graph = Graph("two_heads", (3, 8, 8))
    x = graph.add("conv", Conv2d(4), graph.input)
    graph.add("head1", ReLU(), x)
    graph.add("head2", LeakyReLU(0.1), x)
    text = assert_round_trip(graph)
    assert "{id: head1, kind: relu, output: true}" in text


def test_split_outputs_are_referenced_by_index():
    graph = Graph("halves", (8, 4, 4))
    a, b = graph.add("split", Split(2), graph.input)
    graph.add("cat", Concat(), b, a)
    text = assert_round_trip(graph)
    assert "from: [split.1, split.0]" in text


# ----- the command ------------------------------------------------------------------------------------------
def test_cli_convert_round_trip(tmp_path):
    out = tmp_path / "net.yaml"
    runner = CliRunner()
    result = runner.invoke(main, ["convert", "shufflenet_v2", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output == f"wrote {out} (195 layers)\n"
    for convention in ("paper", "all"):
        direct = runner.invoke(main, ["table", "shufflenet_v2", "--format", "json", "--convention", convention])
        converted = runner.invoke(main, ["table", str(out), "--format", "json", "--convention", convention])
        assert converted.exit_code == 0, converted.output
        direct, converted = json.loads(direct.output), json.loads(converted.output)
        for table in (direct, converted):  # the zoo's parameters (width, ...) are not the spec's
            table.pop("name"), table.pop("parameters")
        assert direct == converted


def test_cli_convert_with_settings(tmp_path):
    out = tmp_path / "v1.yaml"
    result = CliRunner().invoke(main, ["convert", "mobilenet_v1", "-s", "width=alpha", "-o", str(out)])
    assert result.exit_code == 0, result.output
    direct = CliRunner().invoke(main, ["table", "mobilenet_v1", "-s", "width=0.5", "--format", "json"])
    converted = CliRunner().invoke(main, ["table", str(out), "-s", "alpha=0.5", "--format", "json"])
    assert [line for line in direct.output.splitlines() if '"layers"' in line or '{"name"' in line] == \
        [line for line in converted.output.splitlines() if '"layers"' in line or '{"name"' in line]


@pytest.mark.parametrize("make_output, message", [
    (lambda tmp: str(tmp), "is a directory"),
    (lambda tmp: str(tmp / "missing" / "net.yaml"), "does not exist"),
])
def test_cli_convert_bad_output_is_one_line_exit_2(tmp_path, make_output, message):
    result = CliRunner().invoke(main, ["convert", "alexnet", "-o", make_output(tmp_path)])
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1


def test_cli_convert_unknown_target_exit_2(tmp_path):
    result = CliRunner().invoke(main, ["convert", "no_such_net", "-o", str(tmp_path / "x.yaml")])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1


# ----- ONNX models built with onnx.helper ---------------------------------------------------------------------
def test_onnx_import_write_load_identical(tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper
    import numpy as np

    from costmodel.onnx import onnx_target

    def weight(name, *shape):
        return numpy_helper.from_array(np.zeros(shape, np.float32), name)

    nodes = [
        helper.make_node("Conv", ["x", "w1"], ["c1"], name="/stem/stem.0/Conv", pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("Relu", ["c1"], ["r"], name="/stem/stem.1/Relu"),
        helper.make_node("Conv", ["r", "w2"], ["c2"], name="/block/conv/Conv", pads=[1, 1, 1, 1], group=4),
        helper.make_node("Add", ["c2", "r"], ["a"], name="/residual/Add"),
        helper.make_node("GlobalAveragePool", ["a"], ["g"], name="/avgpool/GlobalAveragePool"),
        helper.make_node("Flatten", ["g"], ["f"], name="/Flatten", axis=1),
        helper.make_node("Gemm", ["f", "fw", "fb"], ["y"], name="/fc/Gemm", transB=1),
    ]
    graph = helper.make_graph(nodes, "net", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                           ["batch", 3, "height", "width"])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 10])],
                              [weight("w1", 16, 3, 3, 3), weight("w2", 16, 4, 3, 3), weight("fw", 10, 16),
                               weight("fb", 10)])
    path = tmp_path / "net.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    chosen = onnx_target(path)
    assert_round_trip(chosen.build())  # batch, height and width symbolic
    assert_round_trip(chosen.build(**{name: 32 for name in chosen.parameters}))
    renamed = tmp_path / "n.onnx"  # a dim_param sympy reads as something else (N is sympy's evaluator)
    graph.input[0].type.tensor_type.shape.dim[0].dim_param = "N"
    graph.output[0].type.tensor_type.shape.dim[0].dim_param = "N"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(renamed))
    with pytest.raises(GraphError, match="symbol 'N' .in batch. is not a name a spec can declare"):
        write_spec(onnx_target(renamed).build())
