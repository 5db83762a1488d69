"""The device model: its arithmetic against the formula written out here, device-file validation, the named
profiles, calibration (a quick run) and the --device options of table and plot roofline."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from costmodel import BatchNorm, Conv2d, Graph, Linear, ReLU, Sigmoid, UsageError, load
from costmodel.cli import main
from costmodel.device import (CLASSES, Device, Rates, config_path, device_class, load_device, padding_waste,
                              parse_device, read_device)
from costmodel.device.calibrate import fit

T0, F, B, FS, BS = 2e-6, 40e9, 20e9, 10e9, 5e9


def device(combine="sum", overhead=1e-5) -> Device:
    rates = Rates(T0, F, B, FS, BS)
    return Device("test", {k: rates for k in CLASSES}, combine, 8, overhead)


def network() -> Graph:
    g = Graph("net", (16, 10, 10))
    x = g.add("conv", Conv2d(24, kernel=3, padding=1), g.input)   # aligned: 16 and 24 are multiples of 8
    x = g.add("bn", BatchNorm(), x)
    x = g.add("relu", ReLU(), x)
    x = g.add("odd", Conv2d(13, kernel=1), x)                      # 13 channels out: misaligned
    x = g.add("dw", Conv2d(13, kernel=3, padding=1, groups=13), x)  # depthwise on 13 channels
    x = g.add("sig", Sigmoid(), x)                                 # fused into dw (activation fusion)
    return g


def test_layer_times_follow_the_formula():
    """t = t0 + flops' / F + 4 mac / B, flops' padded to multiples of 8 channels, slow rates when misaligned."""
    prediction = device().predict(network())
    got = prediction.seconds
    conv_flops = 3 * 3 * 16 * 24 * 10 * 10
    conv_mac = 16 * 100 + 24 * 100 + 3 * 3 * 16 * 24
    assert got["conv"] == pytest.approx(T0 + conv_flops / F + 4 * conv_mac / B, rel=1e-12)
    assert got["bn"] == 0 and got["relu"] == 0  # fused into conv
    odd_flops = 24 * 13 * 100 * (24 / 24) * (16 / 13)  # padded: 13 -> 16 output channels
    odd_mac = 24 * 100 + 13 * 100 + 24 * 13
    assert got["odd"] == pytest.approx(T0 + odd_flops / FS + 4 * odd_mac / BS, rel=1e-12)
    dw_flops = 9 * 13 * 100 * 16 / 13
    dw_mac = 13 * 100 + 13 * 100 + 9 * 13
    assert got["dw"] == pytest.approx(T0 + dw_flops / FS + 4 * dw_mac / BS, rel=1e-12)
    assert got["sig"] == 0
    assert prediction.total == pytest.approx(sum(got.values()) + 1e-5, rel=1e-12)
    assert prediction.share(["conv"]) == pytest.approx(got["conv"] / sum(got.values()))
    assert [l.op_class for l in prediction.layers] == ["conv", "elementwise", "elementwise", "conv1x1",
                                                       "depthwise", "elementwise"]


def test_far_bytes_past_the_cache():
    """A node moving more than cache_bytes adds bytes / B_far."""
    rates = Rates(T0, F, B, FS, BS, 2e9)
    model = Device("far", {k: rates for k in CLASSES}, "sum", 8, 0.0, cache_bytes=10_000)
    got = model.predict(network()).seconds
    conv_flops = 3 * 3 * 16 * 24 * 10 * 10
    conv_bytes = 4 * (16 * 100 + 24 * 100 + 3 * 3 * 16 * 24)  # 29824 > 10000
    assert got["conv"] == pytest.approx(T0 + conv_flops / F + conv_bytes / B + conv_bytes / 2e9, rel=1e-12)
    dw_bytes = 4 * (13 * 100 + 13 * 100 + 9 * 13)  # 10868 > 10000 too
    assert got["dw"] == pytest.approx(T0 + 9 * 13 * 100 * 16 / 13 / FS + dw_bytes / BS + dw_bytes / 2e9, rel=1e-12)
    assert read_device(model.save(Path(tempfile.mkdtemp()) / "far.json")).cache_bytes == 10_000


def test_alignment_decides_what_is_slow():
    """With alignment 4, 12 channels are aligned (padded to 16, still wasted), 13 are not."""
    rates = Rates(T0, F, B, FS, BS)
    model = Device("a4", {k: rates for k in CLASSES}, "sum", 8, 0.0, alignment=4)
    g = Graph("a", (16, 10, 10))
    g.add("twelve", Conv2d(12, kernel=1), g.input)
    g.add("thirteen", Conv2d(13, kernel=1), g.input)
    got = {l.name: l for l in model.predict(g).layers}
    assert not got["twelve"].slow and got["thirteen"].slow
    flops = 16 * 12 * 100 * 16 / 12
    assert got["twelve"].seconds == pytest.approx(T0 + flops / F + 4 * (1600 + 1200 + 192) / B, rel=1e-12)
    assert {l.name: l.slow for l in device().predict(g).layers} == {"twelve": True, "thirteen": True}


def test_max_combine_is_a_roofline():
    got = device("max", 0.0).predict(network()).seconds
    conv_flops = 3 * 3 * 16 * 24 * 10 * 10
    conv_mac = 16 * 100 + 24 * 100 + 3 * 3 * 16 * 24
    assert got["conv"] == pytest.approx(T0 + max(conv_flops / F, 4 * conv_mac / B), rel=1e-12)


def test_named_rooflines():
    cpu = load_device("cpu")
    assert cpu.combine == "max" and cpu.classes["conv"].flops_per_s == 8 * 3.6e9 * 2 * 8
    g = Graph("fc", (1024,))
    g.add("fc", Linear(1000), g.input)
    mac = 1024 + 1000 + 1024 * 1000 + 1000  # in, out, weights, bias
    assert cpu.predict(g).total == pytest.approx(max(1024 * 1000 / 460.8e9, 4 * mac / 41.6e9))
    assert load_device("gpu").classes["fc"].bytes_per_s == 484e9


def test_classes_and_padding():
    from costmodel.device import analysed

    layers = {l.name: l for l in analysed(load("shufflenet_v1", groups=3)).layers}
    kinds = {device_class(l) for l in layers.values()}
    assert {"conv", "group_conv", "depthwise", "fc", "pool", "movement"} <= kinds
    conv = Graph("g", (12, 4, 4))
    conv.add("c", Conv2d(20, groups=2), conv.input)
    layer = analysed(conv).layers[0]
    assert padding_waste(layer, 8) == pytest.approx((8 / 6) * (16 / 10))


def test_fit_recovers_coefficients():
    rows = [[1, f, b, 0, 0, 0] for f, b in ((1e6, 1e4), (5e6, 3e5), (2e7, 1e5), (1e5, 2e6), (3e6, 7e6))]
    truth = [2e-6, 1 / 30e9, 1 / 10e9, 0, 0, 0]
    seconds = [sum(a * x for a, x in zip(row, truth)) for row in rows]
    got = fit(rows, seconds)
    assert got[:3] == pytest.approx(truth[:3], rel=1e-6)
    assert got[3:] == [0, 0, 0]


def good_file(tmp_path, **changes):
    data = device().as_dict()
    data.update(changes)
    path = tmp_path / "device.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_device_file_round_trip(tmp_path):
    path = device().save(tmp_path / "sub" / "d.json")
    again = read_device(path)
    assert again.classes == device().classes and again.run_overhead == 1e-5 and again.combine == "sum"


BAD = {
    "not json": (b"{\"format\": ", "not valid JSON"),
    "truncated": (json.dumps(device().as_dict()).encode()[:200], "truncated?"),
    "nan": (json.dumps(device().as_dict()).replace("1e-05", "NaN").encode(), "NaN is not a number"),
    "list": (b"[1, 2]", "must hold a JSON object"),
    "binary": (b"\xff\xfe\x00garbage", "not UTF-8"),
    "deep": (b"[" * 100_000 + b"]" * 100_000, "nests too deeply"),
    "huge": (b" " * (2 << 20), "larger than"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_device_files(tmp_path, case):
    raw, said = BAD[case]
    path = tmp_path / "bad.json"
    path.write_bytes(raw)
    with pytest.raises(UsageError, match="device file") as error:
        read_device(path)
    assert said in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize("change, said", [
    ({"format": "other"}, "format must be"),
    ({"version": 2}, "version must be 1"),
    ({"combine": "min"}, "combine must be"),
    ({"vector_width": 0}, "vector_width"),
    ({"run_overhead": -1}, "run_overhead"),
    ({"cache_bytes": 1.5}, "cache_bytes"),
    ({"alignment": 16}, "alignment must be a whole number from 1 to vector_width"),
    ({"surprise": 1}, "unknown field 'surprise'"),
    ({"name": "\x1b[31mred"}, "printable text"),
])
def test_bad_device_fields(tmp_path, change, said):
    with pytest.raises(UsageError, match=said):
        read_device(good_file(tmp_path, **change))


def test_bad_device_classes():
    data = device().as_dict()
    del data["classes"]["fc"]
    with pytest.raises(UsageError, match="op class fc is missing"):
        parse_device(data)
    data = device().as_dict()
    data["classes"]["conv"]["flops_per_s"] = -5
    with pytest.raises(UsageError, match=r"classes.conv.flops_per_s must be a positive rate"):
        parse_device(data)
    data = device().as_dict()
    data["classes"]["conv"]["flops_per_s"] = True
    with pytest.raises(UsageError, match="positive rate"):
        parse_device(data)
    data = device().as_dict()
    data["classes"]["warp"] = data["classes"]["conv"]
    with pytest.raises(UsageError, match="unknown op class 'warp'"):
        parse_device(data)


def test_this_needs_calibration(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert config_path() == tmp_path / "costmodel" / "device.json"
    with pytest.raises(UsageError, match="not calibrated yet"):
        load_device("this")
    with pytest.raises(UsageError, match="neither a profile"):
        load_device("laptop")


def test_table_with_device(tmp_path):
    path = device().save(tmp_path / "d.json")
    runner = CliRunner()
    result = runner.invoke(main, ["table", "g1_bench", "-s", "blocks=1", "--device", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    expected = device().predict(load("g1_bench", blocks=1))
    assert [row["time"] for row in data["layers"]] == pytest.approx(list(expected.seconds.values()))
    assert data["totals"]["time"] == pytest.approx(expected.total)
    text = runner.invoke(main, ["table", "g1_bench", "-s", "blocks=1", "--device", "cpu", "--by", "op"])
    assert text.exit_code == 0 and "time %" in text.output and "predicted by device cpu" in text.output


@pytest.mark.parametrize("args", [["table", "g1_bench", "--device"], ["plot", "roofline", "g1_bench", "-o",
                                                                        "x.png", "--device"]])
def test_bad_device_on_the_command_line(tmp_path, args):
    path = tmp_path / "bad.json"
    path.write_text('{"format": "costmodel-device", "version": 1, "classes": ', encoding="utf-8")
    result = CliRunner().invoke(main, args + [str(path)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("costmodel: error: device file") and "truncated" in lines[0]


def test_plot_roofline_with_device(tmp_path):
    path = device().save(tmp_path / "d.json")
    out = tmp_path / "roof.svg"
    result = CliRunner().invoke(main, ["plot", "roofline", "g4_bench", "--device", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 1000
    refused = CliRunner().invoke(main, ["plot", "breakdown", "g4_bench", "--device", str(path), "-o", str(out)])
    assert refused.exit_code == 2 and "roofline only" in refused.output


def test_calibrate_numpy_quick(tmp_path):
    out = tmp_path / "np.json"
    result = CliRunner().invoke(main, ["calibrate", "--quick", "--backend", "numpy", "-o", str(out)])
    assert result.exit_code == 0, result.output
    made = read_device(out)
    assert made.info["backend"] == "numpy" and set(made.classes) == set(CLASSES)


def test_calibrate_quick_writes_this(tmp_path, monkeypatch):
    pytest.importorskip("onnxruntime")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    result = CliRunner().invoke(main, ["calibrate", "--quick"])
    assert result.exit_code == 0, result.output
    made = load_device("this")
    assert made.name == "this" and made.info["quick"] is True and set(made.classes) == set(CLASSES)
    table = CliRunner().invoke(main, ["table", "g4_bench", "-s", "blocks=1", "--device", "this"])
    assert table.exit_code == 0 and "predicted by device this" in table.output
