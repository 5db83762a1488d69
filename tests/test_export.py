"""``costmodel export``: every network written as ONNX passes onnx.checker (shape inference included, against
the shapes we declare) and reads back to the same table. The independent sources: onnx's checker and shape
inference, ONNX Runtime running the file, and the graph the file was written from."""
from __future__ import annotations

import os

import numpy as np
import pytest
from click.testing import CliRunner

onnx = pytest.importorskip("onnx")

import costmodel  # noqa: E402
from costmodel import analyze  # noqa: E402
from costmodel.cli import main  # noqa: E402
from costmodel.errors import CostModelError, ExportError, UsageError  # noqa: E402
from costmodel.graph import Graph  # noqa: E402
from costmodel.onnx.export import export, layer_of, to_onnx  # noqa: E402
from costmodel.ops import (GELU, Add, AvgPool2d, BatchNorm, BiasAdd, ChannelShuffle, Clip, Concat,  # noqa: E402
                           Constant, ConstantArithmetic, Conv2d, ConvTranspose2d, DeformableConv2d, Div, Einsum,
                           Erf, Expand, Flatten, Gather, GlobalAvgPool, GlobalMaxPool, GroupNorm, HardSigmoid,
                           HardSwish, InstanceNorm, LayerNorm, LayerScale, LeakyReLU, Linear, LocalResponseNorm,
                           MatMul, MaxPool2d, Mul, Pad, PReLU, ReduceL2, ReduceMean, ReLU, ReLU6, Reshape, Shift,
                           Sigmoid, Slice, Softmax, Split, Squeeze, Sub, Swish, Tanh, Transpose, Unsqueeze, Upsample)
from costmodel.report import table  # noqa: E402
from costmodel.spec import EXAMPLES  # noqa: E402
from costmodel.zoo import ARCHITECTURES  # noqa: E402


def rows(graph, convention="paper"):
    analysis = analyze(graph, convention)
    return list(table(analysis, "layer").rows), analysis.totals


def round_trip(graph, path, weights=None, **options):
    """Export, check the file with onnx's own checker, import it again; the tables must be equal."""
    export(graph, path, weights=weights, **options)
    onnx.checker.check_model(str(path), full_check=True)
    again = costmodel.load(str(path))
    for convention in ("paper", "all"):
        ours, theirs = rows(graph, convention), rows(again, convention)
        assert theirs[1] == ours[1]
        assert theirs[0] == ours[0]
    return again


# ----- every zoo network and every shipped spec -------------------------------------------------------------
@pytest.mark.parametrize("name", list(ARCHITECTURES))
def test_every_zoo_network_round_trips(name, tmp_path):
    round_trip(costmodel.load(name), tmp_path / f"{name}.onnx")


SPEC_VALUES = {"g1_block_pair.yaml": {"c1": 64, "c2": 128}}   # symbolic by default: numbers to export


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_spec_round_trips(path, tmp_path):
    graph = costmodel.load(str(path), **SPEC_VALUES.get(path.name, {}))
    round_trip(graph, tmp_path / "spec.onnx")


@pytest.mark.parametrize("name, values", [("shufflenet_v1", {"groups": 8}), ("shufflenet_v1", {"width": 0.5}),
                                          ("shufflenet_v2", {"width": 0.5}), ("mobilenet_v2", {"width": 0.35}),
                                          ("mobilenet_v3_small", {"resolution": 160, "classes": 10}),
                                          ("resnet50", {"variant": "torchvision"}),
                                          ("g4_bench", {"relu": False, "shortcut": False})])
def test_non_default_settings_round_trip(name, values, tmp_path):
    round_trip(costmodel.load(name, **values), tmp_path / "net.onnx")


def test_layer_kinds_come_back_as_themselves(tmp_path):
    """A shuffle comes back as channel_shuffle (not reshape/transpose), a depthwise conv as depthwise."""
    again = round_trip(costmodel.load("shufflenet_v2"), tmp_path / "s.onnx", weights="random")
    kinds = {node.op.kind for node in again}
    assert {"channel_shuffle", "split", "concat"} <= kinds and not {"reshape", "transpose", "slice"} & kinds
    assert any(node.op.table_class(node.input_shapes).startswith("depthwise") for node in again)


# ----- every op kind the exporter writes ---------------------------------------------------------------------
def small(shape=(8, 12, 12)):
    return Graph("ops", shape)


def convolutions():
    g = small()
    x = g.add("c", Conv2d(16, kernel=3, stride=2, padding=1, groups=2, bias=True), g.input)
    x = g.add("d", Conv2d(16, kernel=(3, 1), padding=(2, 0), dilation=2, groups=16), x)
    g.add("t", ConvTranspose2d(8, kernel=3, stride=2, padding=1, output_padding=1, groups=4, bias=True), x)
    return g


def pools():
    g = small()
    a = g.add("mp", MaxPool2d(3, 2, 1, ceil_mode=True), g.input)
    b = g.add("ap", AvgPool2d(2), a)
    g.add("gm", GlobalMaxPool(), b)
    g.add("ga", GlobalAvgPool(), b)
    return g


def fully_connected():
    g = small()
    x = g.add("f", Flatten(), g.add("gp", GlobalAvgPool(), g.input))
    x = g.add("bn", BatchNorm(), g.add("fc", Linear(10), x))
    g.add("fc2", Linear(4, bias=False), x)
    return g


def activations():
    g = small()
    x = g.input
    for i, op in enumerate([BatchNorm(), LocalResponseNorm(5), ReLU(), ReLU6(), LeakyReLU(0.2), Sigmoid(), Swish(),
                            HardSigmoid(), HardSwish(), GELU(), Tanh(), Erf(), PReLU(8), PReLU(1), Clip(-1.0, 2.0),
                            Clip(0.5), Softmax(0), Softmax(-1)]):
        x = g.add(f"a{i}", op, x)
    return g


def arithmetic():
    g = small()
    a = g.add("r", ReLU(), g.input)
    b = g.add("gp", GlobalAvgPool(), a)
    x = g.add("div", Div(), g.add("sub", Sub(), g.add("mul", Mul(), g.add("add", Add(), g.input, a), b), a), b)
    x = g.add("ba", BiasAdd((12,)), g.add("ls", LayerScale((8, 1, 1)), x))
    x = g.add("ca", ConstantArithmetic("mul", ()), x)
    x = g.add("ca2", ConstantArithmetic("add", (12, 12)), x)
    g.add("ca3", ConstantArithmetic("div", (1,)), x)
    return g


def movement():
    g = small()
    a, b = g.add("split", Split(sizes=(3, 5)), g.input)
    x = g.add("shuffle", ChannelShuffle(4), g.add("cat", Concat(), b, a))
    x = g.add("tr", Transpose((1, 2, 0)), g.add("cat3", Concat(axis=-1), x, x, x))
    x = g.add("sq", Squeeze((0,)), g.add("un", Unsqueeze((0,)), g.add("rs", Reshape((12, -1)), x)))
    x = g.add("sq2", Squeeze(), g.add("un2", Unsqueeze((-1,)), x))
    x = g.add("pad2", Pad((1, 1, 1, 1), mode="reflect"), g.add("pad", Pad((1, 2, 0, 3)), x))
    x = g.add("sl2", Slice(0, -3), g.add("sl", Slice(1, 2, -1, 2), x))
    g.add("gather", Gather((2, 3), axis=1), x)
    return g


def resizing_and_reductions():
    g = small()
    x = g.add("up", Upsample(2), g.input)
    x = g.add("up3", Upsample(scale=0.5), g.add("up2", Upsample(mode="bilinear", size=(5, 7)), x))
    x = g.add("ex", Expand((8, 4, 6)), g.add("gp", GlobalAvgPool(), x))
    g.add("l2", ReduceL2((1,)), g.add("rm", ReduceMean((0,), keepdims=False), x))
    return g


def attention():
    g = Graph("attention", (16, 32))
    q = g.add("q", Linear(32, bias=False, any_rank=True), g.add("proj", Linear(32, any_rank=True), g.input))
    scores = g.add("sm", Softmax(-1), g.add("s", MatMul(), q, g.add("kt", Transpose((1, 0)), q)))
    out = g.add("o", MatMul(), scores, q)
    g.add("e", Einsum("ij,kj->ik"), out, q)
    g.add("in", InstanceNorm(), g.add("ln2", LayerNorm(2, bias=False), g.add("ln", LayerNorm(1), out)))
    return g


def stages():
    g = small()
    with g.stage("stem"):
        x = g.add("conv", Conv2d(8, 3, padding=1), g.input)
        x = g.add("gelu", GELU(), g.add("shuffle", ChannelShuffle(2), g.add("swish", Swish(), x)))
    with g.scope("block"), g.scope("_0"):
        g.add("conv_", Conv2d(8, 1), x)
    return g


def class_token():
    """ViT's class token: a learned constant concatenated in front of the patch tokens."""
    g = Graph("tokens", (16, 32))
    token = g.add("class_token", Constant((1, 32), learned=True))
    g.add("ln", LayerNorm(1), g.add("cat", Concat(), token, g.input))
    return g


OP_GRAPHS = [convolutions, pools, fully_connected, activations, arithmetic, movement, resizing_and_reductions,
             attention, stages, class_token]


@pytest.mark.parametrize("build", OP_GRAPHS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("weights", ["random", "zero", None])
def test_every_op_kind_round_trips(build, weights, tmp_path):
    round_trip(build(), tmp_path / "ops.onnx", weights=weights)


def test_the_op_graphs_cover_every_op_kind_the_exporter_writes():
    from costmodel.onnx.export import REFUSED, written_kinds

    written = written_kinds()
    covered = {node.op.kind for build in OP_GRAPHS for node in build()}
    assert written == covered | {"identity"}   # identity: below
    assert written | set(REFUSED) >= set(costmodel.OPS)   # every kind is written or refused with a reason


def test_an_identity_is_written_and_read_back_as_nothing(tmp_path):
    """ONNX Identity is what an identity is, but the importer passes it on without a node (it costs
    nothing): the one op whose row does not come back."""
    from costmodel.ops import Identity

    g = small()
    g.add("relu", ReLU(), g.add("same", Identity(), g.input))
    export(g, tmp_path / "identity.onnx")
    again = costmodel.load(str(tmp_path / "identity.onnx"))
    assert [n.name for n in again] == ["relu"]
    ours, theirs = analyze(g).totals, analyze(again).totals
    assert (theirs.flops, theirs.params, theirs.mac) == (ours.flops, ours.params, ours.mac)
    assert theirs.activations == ours.activations - 8 * 12 * 12   # the identity's output is not counted


# ----- ONNX Runtime runs the files ------------------------------------------------------------------------------
@pytest.mark.parametrize("name, weights", [("shufflenet_v2", "random"), ("mobilenet_v3_small", "random"),
                                           ("squeezenet1_1", "zero"), ("g3_bench", "random")])
def test_onnx_runtime_runs_the_exported_model(name, weights):
    ort = pytest.importorskip("onnxruntime")
    graph = costmodel.load(name)
    model = to_onnx(graph, weights=weights, batch="N")
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    (given,) = session.get_inputs()
    x = np.random.default_rng(1).standard_normal((2, *graph.input.shape)).astype(np.float32)
    outputs = session.run(None, {given.name: x})
    unread = [n for n in graph for i in range(len(n.outputs)) if (n.name, i) not in graph.consumers()]
    assert [o.shape for o in outputs] == [(2, *n.outputs[0]) for n in unread]
    assert all(np.isfinite(o).all() for o in outputs)


@pytest.mark.parametrize("build", OP_GRAPHS, ids=lambda f: f.__name__)
def test_onnx_runtime_runs_every_op_kind(build):
    ort = pytest.importorskip("onnxruntime")
    graph = build()
    session = ort.InferenceSession(to_onnx(graph).SerializeToString(), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(2).standard_normal((1, *graph.input.shape)).astype(np.float32)
    outputs = session.run(None, {session.get_inputs()[0].name: x})
    names = [o.name for o in session.get_outputs()]
    shapes = {n.name if len(n.outputs) == 1 else f"{n.name}:{i}": s for n in graph for i, s in enumerate(n.outputs)}
    assert [o.shape for o in outputs] == [(1, *shapes[name]) for name in names]


# ----- the file's names, weights and batch ------------------------------------------------------------------
def test_onnx_names_are_our_names_and_helpers_are_under_them():
    graph = stages()
    model = to_onnx(graph)
    names = [node.name for node in model.graph.node]
    ours = {node.name for node in graph}
    assert ours <= set(names)
    assert all(layer_of(name) in ours for name in names)
    assert {"shuffle/group", "shuffle/ungroup", "swish/sigmoid", "gelu/erf"} <= set(names)
    assert {"proj", "proj/bias"} <= {node.name for node in to_onnx(attention()).graph.node}
    by_name = {node.name: node for node in model.graph.node}
    assert by_name["shuffle"].op_type == "Transpose" and by_name["swish"].op_type == "Mul"
    assert {"conv.weight", "block._0.conv_.weight"} <= {t.name for t in model.graph.initializer}


def test_weights_random_are_seeded_and_zero_are_zero():
    graph = costmodel.load("g1_bench")
    first, again, other = (to_onnx(graph, seed=s) for s in (0, 0, 1))
    weights = [onnx.numpy_helper.to_array(t) for t in first.graph.initializer if t.name.endswith(".weight")]
    assert [w.tobytes() for w in weights] == [onnx.numpy_helper.to_array(t).tobytes()
                                              for t in again.graph.initializer if t.name.endswith(".weight")]
    assert first.SerializeToString() != other.SerializeToString()
    fan_in = weights[0].shape[1] * weights[0].shape[2] * weights[0].shape[3]
    assert 0 < np.abs(weights[0]).max() <= np.sqrt(3 / fan_in)      # U(-b, b), b = sqrt(3/fan_in)
    zero = to_onnx(graph, weights="zero")
    assert all(not onnx.numpy_helper.to_array(t).any() for t in zero.graph.initializer if t.name.endswith(".weight"))


def test_no_weights_writes_shapes_as_graph_inputs():
    graph = costmodel.load("mobilenet_v2")
    model = to_onnx(graph, weights=None)
    assert not [t for t in model.graph.initializer if t.data_type == onnx.TensorProto.FLOAT and len(t.dims) > 1]
    weight_inputs = [i for i in model.graph.input if i.name.endswith(".weight")]
    params = sum(int(np.prod([d.dim_value for d in i.type.tensor_type.shape.dim])) for i in weight_inputs)
    expected = sum(n.op.kernel[0] * n.op.kernel[1] * n.inputs[0].shape[0] // n.op.groups * n.op.out_channels
                   if n.op.kind == "conv" else n.inputs[0].shape[0] * n.op.out_features
                   for n in graph if n.op.kind in ("conv", "linear"))
    assert params == expected
    assert len(model.SerializeToString()) < 200_000      # shapes only: 3.5M weights are not in the file


def test_batch_number_and_symbolic_batch(tmp_path):
    graph = costmodel.load("resnet18")
    four = round_trip_batch(graph, tmp_path / "b4.onnx", 4)
    assert four.batch == 4 and analyze(four).totals.flops == 4 * analyze(graph).totals.flops
    target = costmodel.target(str(export(graph, tmp_path / "bn.onnx", weights=None, batch="N")))
    assert list(target.parameters) == ["N"]
    assert rows(target.build(N=1)) == rows(graph)


def round_trip_batch(graph, path, batch):
    export(graph, path, weights=None, batch=batch)
    return costmodel.load(str(path))


def test_hostile_names_still_give_a_valid_file(tmp_path):
    spec = tmp_path / "hostile.yaml"
    spec.write_text('name: "hostile \'net\' \\"q\\" / ü <b> & {x}"\ninput: [3, 8, 8]\nlayers:\n'
                    '  - {id: conv-1_, kind: conv, out_channels: 4, kernel: 3}\n  - {id: _x, kind: relu}\n'
                    '  - {id: "9", kind: swish}\n', encoding="utf-8")
    graph = costmodel.load(str(spec))
    model = to_onnx(graph)
    assert model.graph.name == graph.name
    round_trip(graph, tmp_path / "hostile.onnx", weights="random")


# ----- refusals ----------------------------------------------------------------------------------------------
def test_symbolic_sizes_are_refused(tmp_path):
    path = tmp_path / "r.onnx"
    with pytest.raises(ExportError, match=r"input 'input' has the symbolic shape \[3, r, r\]; ONNX export needs "
                                          r"numbers"):
        export("shufflenet_v2", path, resolution=costmodel.symbols("r"))
    with pytest.raises(ExportError, match=r"symbolic"):
        export(str(EXAMPLES / "g1_block_pair.yaml"), path)
    assert not path.exists()


@pytest.mark.parametrize("op, shape, reason", [
    (Shift(3), (8, 6, 6), r"ONNX has no shift op"),
    (DeformableConv2d(8, 3, padding=1), (8, 6, 6), r"opset 19"),
    (GroupNorm(2), (8, 6, 6), r"opset 18"),
    (LayerNorm(1, affine=False), (8, 6), r"always has a scale"),
    (LayerScale((1,)), (8, 6, 6), r"holds one number"),
    (Split(2, axis=1), (8, 6, 6), r"along the channels"),
    (Expand((2, 8, 6)), (8, 6), r"adds axes"),
])
def test_ops_without_a_faithful_onnx_form_are_refused(op, shape, reason, tmp_path):
    g = Graph("refused", shape)
    g.add("odd", op, g.input)
    path = tmp_path / "refused.onnx"
    with pytest.raises(ExportError, match=rf"cannot export node 'odd' \({type(op).__name__}\): .*{reason}"):
        export(g, path)
    assert not path.exists()


def test_a_constant_other_than_a_learned_one_read_by_concat_is_refused():
    g = Graph("c", (16, 32))
    g.add("add", Add(), g.input, g.add("table", Constant((16, 32))))
    with pytest.raises(ExportError, match=r"node 'table' \(Constant\): .*only a learned one read by Concat"):
        to_onnx(g)
    with pytest.raises(ExportError, match=r"node 'class_token' \(Constant\): .*needs the batch size as a number"):
        to_onnx(class_token(), batch="N")


def test_an_add_of_three_tensors_is_refused():
    g = small()
    g.add("sum", Add(), g.input, g.input, g.input)
    with pytest.raises(ExportError, match=r"node 'sum' \(Add\): it takes 3 inputs, and ONNX Add takes two"):
        to_onnx(g)


def test_bad_paths_and_arguments(tmp_path):
    with pytest.raises(UsageError, match=r"is a directory"):
        export("g3_bench", tmp_path)
    with pytest.raises(UsageError, match=r"the folder .*missing does not exist"):
        export("g3_bench", tmp_path / "missing" / "net.onnx")
    for bad in ({"weights": "ones"}, {"opset": 18}, {"seed": -1}, {"batch": "2 N"}, {"batch": 0}):
        with pytest.raises(UsageError):
            to_onnx("g3_bench", **bad)


def test_a_file_that_cannot_be_created_is_one_clear_error(tmp_path):
    path = tmp_path / ("x" * 300 + ".onnx")     # longer than a file name may be
    with pytest.raises(UsageError, match=r"cannot write the ONNX file \(File name too long\)"):
        export("g3_bench", path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_output_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(UsageError, match=r"cannot write the ONNX file"):
            export("g3_bench", locked / "net.onnx")
    finally:
        locked.chmod(0o700)


def test_without_onnx_one_line_says_what_to_install(monkeypatch):
    import builtins

    real = builtins.__import__

    def no_onnx(name, *args, **kwargs):
        if name == "onnx" or name.startswith("onnx."):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_onnx)
    with pytest.raises(UsageError, match=r"pip install 'costmodel\[onnx\]'"):
        to_onnx("g3_bench")


# ----- the command ---------------------------------------------------------------------------------------------
def test_cli_export_then_table_gives_the_same_table(tmp_path):
    runner = CliRunner()
    path = tmp_path / "s1.onnx"
    result = runner.invoke(main, ["export", "shufflenet_v1", "-s", "groups=8", "-o", str(path), "--no-weights"])
    assert result.exit_code == 0, result.output
    assert result.output == f"wrote {path} (170 layers, opset 17, no weights)\n"
    ours = runner.invoke(main, ["table", "shufflenet_v1", "-s", "groups=8", "--format", "csv"])
    theirs = runner.invoke(main, ["table", str(path), "--format", "csv"])
    assert theirs.exit_code == 0 and theirs.output == ours.output


@pytest.mark.parametrize("arguments, message", [
    (["shufflenet_v2", "-s", "resolution=r"], "costmodel: error: graph 'shufflenet_v2': input 'input' has the "
                                              "symbolic shape [3, r, r]"),
    (["g3_bench", "--batch", "x y"], "costmodel: error: --batch x y: give a positive whole number or a name"),
    (["g3_bench", "--weights", "ones"], "Invalid value for '--weights'"),
])
def test_cli_refusals_are_one_line_and_status_2(arguments, message, tmp_path):
    result = CliRunner().invoke(main, ["export", *arguments, "-o", str(tmp_path / "x.onnx")])
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "x.onnx").exists()


def test_cli_refuses_a_missing_folder():
    result = CliRunner().invoke(main, ["export", "g3_bench", "-o", "/nonexistent-dir/x.onnx"])
    assert result.exit_code == 2 and "the folder /nonexistent-dir does not exist" in result.output


def test_import_errors_stay_cost_model_errors(tmp_path):
    assert issubclass(ExportError, CostModelError)


def test_progress_is_told_per_node_written():
    from costmodel.progress import reporting

    graph = costmodel.load("g3_bench")
    seen = []
    with reporting(lambda stage, done, total: seen.append((stage, done, total))):
        to_onnx(graph)
    assert [s for s in seen if s[0] == "writing ONNX"][-1] == ("writing ONNX", len(graph), len(graph))
    assert seen[-1][0] == "checking ONNX"


def test_weights_above_what_one_file_holds_are_refused_before_they_are_made():
    g = Graph("huge", (1024,))
    g.add("fc", Linear(2 ** 19), g.input)            # 2**29 weights: 2 GiB of float32
    with pytest.raises(ExportError, match=r"node 'fc' \(Linear\): the weights up to this layer take 2.0 GB, above "
                                          r"the 2 GB an ONNX file holds; write it without weights"):
        to_onnx(g)
    assert to_onnx(g, weights=None).ByteSize() < 10_000


def test_the_file_appears_whole_with_the_usual_mode(tmp_path):
    path = export("g3_bench", tmp_path / "net.onnx")
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask
    assert [p.name for p in tmp_path.iterdir()] == ["net.onnx"]      # no temporary file left beside it
