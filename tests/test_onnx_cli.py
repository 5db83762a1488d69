"""``--allow-unknown`` on the commands that take a TARGET, and ``allow_unknown`` on costmodel.target/load."""
from __future__ import annotations

import json

import pytest

onnx = pytest.importorskip("onnx")
from click.testing import CliRunner  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402

import costmodel  # noqa: E402
from costmodel import analyze  # noqa: E402
from costmodel.cli import main  # noqa: E402
from costmodel.errors import ModelError, UsageError  # noqa: E402


def tensor(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def unknown_model(tmp_path, batch=1):
    """Relu, then two Foo nodes and a Bar node, none of which costmodel has a rule for."""
    nodes = [helper.make_node("Relu", ["x"], ["r"], name="/a/Relu"),
             helper.make_node("Foo", ["r"], ["f"], name="/b/Foo"),
             helper.make_node("Foo", ["f"], ["g"], name="/c/Foo"),
             helper.make_node("Bar", ["g"], ["y"], name="/d/Bar")]
    graph = helper.make_graph(nodes, "net", [tensor("x", [batch, 4, 6, 6])], [tensor("y", [batch, 2, 6, 6])],
                              value_info=[tensor("f", [batch, 4, 6, 6]), tensor("g", [batch, 4, 6, 6])])
    path = tmp_path / "unknown.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    return path


ACTIVATION = 4 * 6 * 6          # elements of x, r, f, g
OUTPUT = 2 * 6 * 6              # elements of y
LISTED = "unknown ops counted as 0 flops: 2 x Foo (first: /b/Foo), 1 x Bar (first: /d/Bar)"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_without_the_flag_every_unsupported_op_type_is_named_and_the_exit_is_2(tmp_path):
    path = unknown_model(tmp_path)
    result = run("table", path)
    assert result.exit_code == 2
    assert result.output.strip() == (f"costmodel: error: {path}: unsupported ONNX ops: Bar (1 node, first '/d/Bar'); "
                                     f"Foo (2 nodes, first '/b/Foo') (--allow-unknown counts them as 0 flops and "
                                     f"lists them)")


def test_table_lists_the_unknown_ops_under_the_text_table(tmp_path):
    result = run("table", unknown_model(tmp_path), "--allow-unknown", "--convention", "all")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[-1] == LISTED
    total = next(line for line in lines if line.startswith("total")).split()  # a note on left-out columns may follow
    assert total[:3] == ["total", str(ACTIVATION), "0"]  # under `all` only Relu counts (1 per element)


def test_table_json_has_a_top_level_unknown_list(tmp_path):
    result = run("table", unknown_model(tmp_path), "--allow-unknown", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["unknown"] == [{"op": "Foo", "count": 2, "first": "/b/Foo", "layers": ["b", "c"]},
                                   {"op": "Bar", "count": 1, "first": "/d/Bar", "layers": ["d"]}]
    rows = {row["name"]: row for row in document["layers"]}
    assert rows["b"]["flops"] == 0 and rows["b"]["mac"] == 2 * ACTIVATION  # read one tensor, write one
    assert rows["d"]["mac"] == ACTIVATION + OUTPUT
    assert document["totals"]["mac"] == 4 * ACTIVATION + 2 * ACTIVATION + ACTIVATION + OUTPUT


def test_csv_keeps_its_rows_and_says_it_on_stderr(tmp_path):
    result = CliRunner().invoke(main, ["table", str(unknown_model(tmp_path)), "--allow-unknown",
                                                       "--format", "csv"])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].startswith("name,op,")
    assert result.stderr.strip() == "costmodel: note: " + LISTED


def test_sweep_and_plot_take_the_flag(tmp_path):
    path = unknown_model(tmp_path, batch="batch")
    result = CliRunner().invoke(main, ["sweep", str(path), "--grid", "batch=1:2:1", "--allow-unknown"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ["batch,flops,params,mac", f"1,0,0,{7 * ACTIVATION + OUTPUT}",
                                          f"2,0,0,{2 * (7 * ACTIVATION + OUTPUT)}"]
    assert LISTED in result.stderr
    assert run("sweep", path, "--grid", "batch=1:2:1").exit_code == 2
    output = tmp_path / "breakdown.png"
    result = CliRunner().invoke(main, ["plot", "breakdown", str(path), "-s", "batch=1", "-o",
                                                       str(output), "--allow-unknown"])
    assert result.exit_code == 0, result.stderr
    assert output.stat().st_size > 0 and LISTED in result.stderr
    result = run("plot", "breakdown", path, "-o", output)
    assert result.exit_code == 2 and "unsupported ONNX ops" in result.output


def test_the_flag_is_refused_where_it_means_nothing(tmp_path):
    result = run("table", "mobilenet_v2", "--allow-unknown")
    assert result.exit_code == 2
    assert result.output.strip() == ("costmodel: error: --allow-unknown applies to ONNX files only, and "
                                     "'mobilenet_v2' is not one")
    result = run("plot", "g1", "-o", tmp_path / "g1.png", "--allow-unknown")
    assert result.exit_code == 2 and "--allow-unknown applies to plots of a TARGET" in result.output


def test_library_target_and_load_take_allow_unknown(tmp_path):
    path = unknown_model(tmp_path)
    with pytest.raises(ModelError, match="unsupported ONNX ops: Bar"):
        costmodel.load(str(path))
    graph = costmodel.load(str(path), allow_unknown=True)
    assert analyze(graph).layer("b").mac == 2 * ACTIVATION
    strict = costmodel.target(str(path))
    allowing = costmodel.target(strict, allow_unknown=True)
    assert allowing.allow_unknown and not strict.allow_unknown   # the given target is left as it was
    assert [u.op_type for u in allowing.imported().report.unknown] == ["Foo", "Foo", "Bar"]
    with pytest.raises(UsageError, match="allow_unknown applies to ONNX files only"):
        costmodel.target("mobilenet_v2", allow_unknown=True)
