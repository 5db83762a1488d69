"""costmodel.spec.write_spec and ``costmodel convert``: every graph written as a spec reads back to the same
nodes, hence the same rows and totals (the independent source: the graph the spec was written from)."""
from __future__ import annotations

import json
from fractions import Fraction

import pytest
import sympy
from click.testing import CliRunner

import costmodel
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
               "group_norm": dict(groups=2), "lrn": dict(size=3), "gather": dict(axis=1, indices=(2, 3)),
               "expand": dict(shape=(2, 4, 8, 8)), "constant": dict(shape=(3, 5), learned=True),
               "reduce_l2": dict(axes=(0,), keepdims=False), "constant_arithmetic": dict(operation="div", shape=(8, 1))}
    written = []
    for kind, cls in OPS.items():
        graph = Graph(kind, (4, 8, 8))
        x = graph.input
        if kind == "max_unpool":
            x = graph.add("pool", OPS["max_pool"](kernel=2), x)
        if kind in ("linear",):
            x = graph.add("flat", OPS["flatten"](), x)
        op = cls(**samples.get(kind, {}))
        count = 0 if cls.max_inputs == 0 else max(cls.min_inputs, 1)
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
    from costmodel.ops.imported import Opaque
    graph = Graph("net", (3, 8, 8))
    graph.add("foo", Opaque("Foo", ((3, 8, 8),)), graph.input)  # an ONNX op counted as unknown
    with pytest.raises(GraphError, match=r"node 'foo': op Opaque \(unknown\) is not an op a spec can name"):
        write_spec(graph)
    graph = Graph("net", (3, 8, 8))
    graph.add_input("other", (3, 8, 8))
    graph.add("conv", Conv2d(4), graph.input)
    with pytest.raises(GraphError, match="has 2 inputs"):
        write_spec(graph)


def test_scopes_a_block_cannot_carry_are_flattened_with_their_names_kept_in_comments():
    """What a spec block cannot be, a graph built in Python can hold: a node named like a scope of others
    (``stem`` beside ``stem.conv``), a scope whose layers are not consecutive, a scope two of whose tensors
    are read outside it, a name part ``input``. Such scopes join the scope around them, ids joining the rest
    of the dotted name with ``_`` (``# was`` keeps the original); ops, shapes, stages and counts stay."""
    graph = Graph("odd", (4, 8, 8), input_name="x")
    with graph.scope("stem"):
        a = graph.add("conv", Conv2d(4, kernel=3, padding=1), graph.input)
    b = graph.add("stem", ReLU(), a)
    with graph.scope("split"):
        c = graph.add("left", ReLU(), b)
    d = graph.add("between", ReLU(), c)
    with graph.scope("split"):
        e = graph.add("right", ReLU(), d)
    with graph.scope("two"):
        f = graph.add("first", ReLU(), e)
        g = graph.add("second", ReLU(), f)
    with graph.scope("s"):
        h = graph.add("input", Add(), f, g)
    graph.add("input", ReLU(), h)
    text = write_spec(graph)
    again = load_spec(text)
    assert [n.name for n in again.nodes] == ["stem_conv", "stem", "split_left", "between", "split_right",
                                             "two_first", "two_second", "s.input_2", "input_2"]
    for original in ("stem.conv", "split.left", "split.right", "two.first", "two.second", "s.input"):
        assert f"(was {original})" in text
    assert [(n.op, n.stage, n.input_shapes, n.outputs) for n in again.nodes] == \
        [(n.op, n.stage, n.input_shapes, n.outputs) for n in graph.nodes]
    for convention in ("paper", "all"):
        assert analyze(again, convention).totals == analyze(graph, convention).totals


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


# ----- the renaming causes found on torchvision's exports, rebuilt with onnx.helper --------------------------
def onnx_model(tmp_path, nodes, channels=4, size=8, name="model.onnx"):
    """A model of ``nodes`` on a 1 x channels x size x size input ``x``; ``w<k>`` names a 3x3 (or 1x1 for
    ``v<k>``) conv weight of ``channels`` outputs, ``c<k>`` a concat's channels taken from the graph."""
    onnx = pytest.importorskip("onnx")
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    produced = {"x": channels}
    weights = {}
    for node in nodes:
        if node.op_type == "Conv":
            kernel = 3 if node.input[1].startswith("w") else 1
            weights[node.input[1]] = (channels, produced[node.input[0]], kernel, kernel)
            produced[node.output[0]] = channels
        elif node.op_type == "Concat":
            produced[node.output[0]] = sum(produced[i] for i in node.input)
        else:
            produced[node.output[0]] = produced[node.input[0]]
    initializers = [numpy_helper.from_array(np.zeros(shape, np.float32), key) for key, shape in weights.items()]
    graph = helper.make_graph(nodes, "net", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                           [1, channels, size, size])],
                              [helper.make_tensor_value_info(nodes[-1].output[0], TensorProto.FLOAT, None)],
                              initializers)
    path = tmp_path / name
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


def conv(name, source, out, weight):
    from onnx import helper
    pads = [1, 1, 1, 1] if weight[0] == "w" else [0] * 4
    return helper.make_node("Conv", [source, weight], [out], name=name, pads=pads)


def node(op, name, sources, out, **attributes):
    from onnx import helper
    return helper.make_node(op, list(sources), [out], name=name, **attributes)


def table_json(target, convention):
    result = CliRunner().invoke(main, ["table", str(target), "--format", "json", "--convention", convention])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    data.pop("name"), data.pop("parameters")
    return data


def assert_onnx_round_trip(path, tmp_path):
    """``costmodel convert`` then ``costmodel table``: the same JSON table (names, ops, shapes, every cost) as
    ``costmodel table model.onnx``, under both conventions; returns the spec's text."""
    from costmodel.onnx import onnx_target

    spec = tmp_path / f"{path.stem}.yaml"
    result = CliRunner().invoke(main, ["convert", str(path), "-o", str(spec)])
    assert result.exit_code == 0, result.output
    for convention in ("paper", "all"):
        assert table_json(spec, convention) == table_json(path, convention)
    text = spec.read_text(encoding="utf-8")
    assert "(was " not in text
    assert_round_trip(onnx_target(path).build())
    return text


def test_a_node_named_like_its_scope_is_named_inside_it(tmp_path):
    """ResNet's residual Add: the exporter names it /layer1/layer1.0/Add, the scope of layer1.0.conv1 too. It
    is imported as layer1.0.add, so layer1.0 is a scope (a block instance in the spec) holding all its nodes."""
    nodes = [conv("/conv1/Conv", "x", "s", "w0")]
    for block, source in (("0", "s"), ("1", "r0")):
        scope = f"/layer1/layer1.{block}"
        nodes += [conv(f"{scope}/conv1/Conv", source, f"a{block}", f"w1{block}"),
                  node("Relu", f"{scope}/relu/Relu", [f"a{block}"], f"b{block}"),
                  conv(f"{scope}/conv2/Conv", f"b{block}", f"c{block}", f"w2{block}"),
                  node("Add", f"{scope}/Add", [f"c{block}", source], f"d{block}"),
                  node("Relu", f"{scope}/relu_1/Relu", [f"d{block}"], f"r{block}")]
    path = onnx_model(tmp_path, nodes)
    graph = costmodel.load(path)
    assert [n.name for n in graph.nodes] == ["conv1"] + [f"layer1.{b}.{leaf}" for b in "01" for leaf in
                                                         ("conv1", "relu", "conv2", "add", "relu_1")]
    analysis = analyze(graph, "all")
    per_block = sum((layer.cost.flops for layer in analysis.layers if layer.name.startswith("layer1.0.")))
    h = w = 8  # two 3x3 convs of 4 -> 4 channels, a ReLU, the Add and a ReLU, one per output element (all)
    assert per_block == 2 * (3 * 3 * 4 * 4 * h * w) + 3 * (4 * h * w)
    assert analysis.group_by("stage")["layer1"].flops == 2 * per_block
    text = assert_onnx_round_trip(path, tmp_path)
    assert "- {id: add, kind: add, from: [conv2, input]}" in text
    assert "- {id: \"1\", block: layer1_0}" in text  # both instances of one block


def test_a_node_named_like_a_scope_at_every_level(tmp_path):
    nodes = [conv("/a/a.b/c/Conv", "x", "c", "w0"),
             node("Add", "/a/a.b/Add", ["c", "x"], "ab"),
             node("Relu", "/a/Relu", ["ab"], "a1"),
             node("Add", "/a/Add", ["a1", "x"], "a2"),
             node("Relu", "/Relu", ["a2"], "y")]
    path = onnx_model(tmp_path, nodes)
    assert [n.name for n in costmodel.load(path).nodes] == ["a.b.c", "a.b.add", "a.relu", "a.add", "Relu"]
    assert_onnx_round_trip(path, tmp_path)


def test_a_scope_reading_two_tensors_from_outside_is_an_instance_of_two(tmp_path):
    """An Inception-like fusion: scope fuse reads the outputs of pre and side."""
    nodes = [conv("/pre/Conv", "x", "p", "w0"),
             conv("/side/Conv", "x", "s", "v1"),
             conv("/fuse/conv/Conv", "p", "c", "w2"),
             node("Add", "/fuse/Add", ["c", "s"], "a"),
             node("Relu", "/fuse/relu/Relu", ["a"], "y")]
    path = onnx_model(tmp_path, nodes)
    text = assert_onnx_round_trip(path, tmp_path)
    assert "- {id: conv, kind: conv, out_channels: 4, kernel: 3, padding: 1, from: input.0}" in text
    assert "- {id: add, kind: add, from: [conv, input.1]}" in text
    assert "- {id: fuse, block: fuse, from: [pre, side]}  # [4, 8, 8] + [4, 8, 8] -> [4, 8, 8]" in text


def test_dense_layers_reading_every_earlier_output_share_one_block(tmp_path):
    """DenseNet: layer k concatenates the block's input and the outputs of layers 1 .. k-1; the block ends
    with a concat of all of them (/block/Concat, named block.concat)."""
    nodes, outputs = [], ["x"]
    for k in range(1, 6):
        scope = f"/block/block.layer{k}"
        source = outputs[0]
        if k > 1:
            nodes.append(node("Concat", f"{scope}/Concat", outputs, f"cat{k}", axis=1))
            source = f"cat{k}"
        nodes += [node("Relu", f"{scope}/relu/Relu", [source], f"r{k}"),
                  conv(f"{scope}/conv/Conv", f"r{k}", f"o{k}", f"w{k}")]
        outputs = [*outputs, f"o{k}"]
    nodes.append(node("Concat", "/block/Concat", outputs, "y", axis=1))
    path = onnx_model(tmp_path, nodes)
    graph = costmodel.load(path)
    assert graph.nodes[-1].name == "block.concat" and graph.nodes[-1].outputs == ((6 * 4, 8, 8),)
    text = assert_onnx_round_trip(path, tmp_path)
    assert text.count("kind: concat, from: inputs") == 1  # layers 2 to 5: one block
    assert "  block_layer2:  # 4 instances; the shapes are those of block.layer2" in text
    assert "- {id: layer5, block: block_layer2, from: [input, layer1, layer2, layer3, layer4]}  # 5 x [4, 8, 8] " \
           "-> [4, 8, 8]" in text


HOSTILE_NAMES = ["", "", "dup", "dup", "/a: b/#c/Relu", "/[k]/{y}/&z/Relu", "/*ref/!tag/Relu", "/ünï/😀/Relu",
                 "/0/1/Relu", "/01/Relu", "/1e3/Relu", "/0x10/Relu", "/1:30/Relu", "/yes/no/Relu", "/true/Relu",
                 "/null/Relu", "/NO/Relu", "/input/Relu", "/inputs/x/Relu", "/w/input/Relu", "/_/__/Relu",
                 "/.../Relu", "/%TAG/Relu", "/q\"uote/back\\slash/Relu", "/line\nbreak/Relu", "/tab\there/Relu",
                 "/Relu", "/Relu", "Relu_7", "/a..b/./Relu", "a.b.c", "a.b", "/-a/--/Relu", "/x.y/x.y.z/Relu",
                 "/x.y/Relu", "/layer/layer.0/Relu", "/layer/Relu"]


def test_hostile_node_names_import_and_round_trip(tmp_path):
    nodes = [node("Relu", name, [f"t{i}" if i else "x"], f"t{i + 1}") for i, name in enumerate(HOSTILE_NAMES)]
    path = onnx_model(tmp_path, nodes)
    graph = costmodel.load(path)
    names = [n.name for n in graph.nodes]
    assert len(set(names)) == len(names) == len(HOSTILE_NAMES)
    scopes = {".".join(name.split(".")[:depth]) for name in names for depth in range(1, name.count(".") + 1)}
    assert not scopes & set(names)  # no node is named like a scope
    assert all(part not in ("input", "inputs") for name in names for part in name.split("."))
    shown = dict(zip(HOSTILE_NAMES[4:], names[4:]))
    assert shown["/yes/no/Relu"] == "yes.no" and shown["/0/1/Relu"] == "0.1" and shown["/input/Relu"] == "input_"
    assert shown["/a: b/#c/Relu"] == "a_b.c" and shown["/ünï/😀/Relu"] == "n"
    assert shown["/a..b/./Relu"] == "a.b.relu" and shown["a.b"] == "a.b.relu_relu"  # a.b is a scope of a.b.c
    assert shown["/layer/Relu"] == "layer.relu"
    assert_onnx_round_trip(path, tmp_path)
