"""costmodel measure: every node of a network is traced to ONNX Runtime's kernels (or said fused or removed),
the command's text and JSON, and its refusals. No timing is asserted: timings belong to benchmarks/."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from costmodel import Add, BatchNorm, ChannelShuffle, Concat, Conv2d, Graph, ReLU, Split, load
from costmodel.cli import main

pytest.importorskip("onnxruntime")

from costmodel.measure import attribute, measure  # noqa: E402


def tiny() -> Graph:
    """conv-BN-ReLU, a residual add, a split / concat / shuffle (ShuffleNet V2's unit), 13 channels off the
    vector width and 16 on it, so that both of ONNX Runtime's convolution paths and their fusions appear."""
    g = Graph("tiny", (16, 8, 8))
    x = g.add("conv1", Conv2d(16, kernel=3, padding=1), g.input)
    x = g.add("bn1", BatchNorm(), x)
    x = g.add("relu1", ReLU(), x)
    y = g.add("conv2", Conv2d(16, kernel=3, padding=1), x)
    y = g.add("bn2", BatchNorm(), y)
    y = g.add("add", Add(), y, x)
    y = g.add("relu2", ReLU(), y)
    a, b = g.add("split", Split(2), y)
    b = g.add("odd", Conv2d(13, kernel=1), b)
    b = g.add("odd_relu", ReLU(), b)
    b = g.add("back", Conv2d(8, kernel=1), b)
    y = g.add("concat", Concat(), a, b)
    g.add("shuffle", ChannelShuffle(2), y)
    return g


def test_every_node_is_traced():
    graph = tiny()
    measured = measure(graph, runs=2, warmup=1, profile_runs=2)
    rows = {row.name: row for row in measured.layers}
    assert list(rows) == [node.name for node in graph.nodes]
    for row in rows.values():
        traced = bool(row.kernels) or bool(row.into) or row.removed
        assert traced, row
        assert not (row.into and row.kernels), row
    assert rows["bn1"].into == "conv1" and rows["relu1"].into == "conv1"
    assert "bn1" in rows["conv1"].fused and rows["conv1"].note.startswith("fused: conv1+")
    assert rows["bn2"].into == "conv2"
    assert rows["odd_relu"].into == "odd"
    assert rows["shuffle"].kernels  # Reshape, Transpose, Reshape: the exporter's shuffle/<part> nodes
    assert measured.unattributed == 0
    assert len(measured.wall) == 2 and measured.profile_runs == 2
    assert measured.quartiles[0] <= measured.median <= measured.quartiles[1]


def test_a_zoo_network_is_traced():
    graph = load("mobilenet_v3_small")
    measured = measure(graph, runs=1, warmup=0, profile_runs=1)
    assert all(row.kernels or row.into or row.removed for row in measured.layers)
    assert measured.unattributed == 0


def test_fusion_is_read_from_tensors():
    """A kernel ONNX Runtime named after the last node it fuses (``relu1_nchwc``) is the first node's."""
    from onnx import helper

    g = Graph("t", (8, 4, 4))
    x = g.add("conv1", Conv2d(8, kernel=1), g.input)
    g.add("relu1", ReLU(), x)
    model = helper.make_model(helper.make_graph(
        [helper.make_node("Conv", ["input", "w"], ["conv1"], name="conv1"),
         helper.make_node("Relu", ["conv1"], ["relu1"], name="relu1")], "t", [], []))
    optimized = helper.make_model(helper.make_graph(
        [helper.make_node("ReorderInput", ["input"], ["r0"], name="ReorderInput"),
         helper.make_node("Conv", ["r0", "w"], ["r1"], name="relu1_nchwc"),
         helper.make_node("ReorderOutput", ["r1"], ["relu1"], name="ReorderOutput")], "t", [], []))
    rows, lost = attribute(g, model, optimized, {"relu1_nchwc": ("Conv", 3.0), "ReorderInput": ("ReorderInput", 1.0),
                                                 "ReorderOutput": ("ReorderOutput", 0.5)})
    conv, relu = rows
    assert conv.seconds == 4.5 and conv.layout == 2 and conv.fused == ("relu1",) and conv.kernels == ("Conv",)
    assert relu.into == "conv1" and relu.seconds == 0 and lost == 0


def test_prefixed_kernel_names():
    """ONNX Runtime names a Gemm + ReLU fusion ``fused fc6``: still fc6's."""
    from onnx import helper

    from costmodel import Linear

    g = Graph("t", (8,))
    x = g.add("fc6", Linear(4), g.input)
    g.add("fc6_relu", ReLU(), x)
    model = helper.make_model(helper.make_graph(
        [helper.make_node("Gemm", ["input", "w", "b"], ["fc6"], name="fc6"),
         helper.make_node("Relu", ["fc6"], ["fc6_relu"], name="fc6_relu")], "t", [], []))
    optimized = helper.make_model(helper.make_graph(
        [helper.make_node("FusedGemm", ["input", "w", "b"], ["fc6_relu"], name="fused fc6")], "t", [], []))
    (fc, relu), lost = attribute(g, model, optimized, {"fused fc6": ("FusedGemm", 2.0)})
    assert fc.seconds == 2.0 and fc.fused == ("fc6_relu",) and relu.into == "fc6" and lost == 0


def test_command_text_and_json(tmp_path):
    runner = CliRunner()
    text = runner.invoke(main, ["measure", "g4_bench", "-s", "blocks=1", "-s", "resolution=8", "--runs", "2",
                                "--warmup", "0", "--device", "cpu"])
    assert text.exit_code == 0, text.output
    assert "wall time per run: median" in text.output and "predicted by device cpu" in text.output
    for name in ("blocks.0.conv1", "blocks.0.add", "blocks.0.relu"):
        assert name in text.output
    result = runner.invoke(main, ["measure", "g4_bench", "-s", "blocks=1", "-s", "resolution=8", "--runs", "2",
                                  "--warmup", "0", "--format", "json"])
    data = json.loads(result.output)
    assert data["runs"] == 2 and data["threads"] == 1 and data["batch"] == 1
    assert [row["name"] for row in data["layers"]] == [n.name for n in load("g4_bench", blocks=1, resolution=8).nodes]
    assert set(data["wall"]) == {"median", "q1", "q3", "min", "max"}


@pytest.mark.parametrize("args, said", [
    (["--runs", "0"], "runs must be a whole number from 1"),
    (["--threads", "0"], "threads must be"),
    (["--warmup", "-1"], "warmup must be"),
    (["-s", "resolution=r"], "needs numbers"),
    (["--device", "nowhere.json"], "neither a profile"),
])
def test_refusals(args, said):
    result = CliRunner().invoke(main, ["measure", "g1_bench", "-s", "blocks=1"] + args)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and said in lines[0], result.output


def test_without_onnxruntime(monkeypatch):
    import costmodel.cli.measure_command as command

    monkeypatch.setattr("costmodel.measure.have_onnxruntime", lambda: False)
    result = CliRunner().invoke(main, ["measure", "g1_bench"])
    assert result.exit_code == 2
    assert result.output.strip() == "costmodel: error: costmodel measure needs onnx and onnxruntime: pip install " \
                                    "'costmodel[measure]'"
    assert command is not None
