"""Compiled sweeps (costmodel.numeric, costmodel sweep) agree exactly with the per-point analysis."""
from __future__ import annotations

import json
import random
from fractions import Fraction

import numpy as np
import pytest
from click.testing import CliRunner

from costmodel.analysis import analyze
from costmodel.errors import CostModelError, UsageError
from costmodel.numeric import COLUMNS, sweep
from costmodel.cli.settings import parse_grid
from costmodel.cli.sweep_command import sweep as sweep_command
from costmodel.zoo import build

WIDTHS = [Fraction(k, 20) for k in range(5, 41)]  # 0.25 ... 2.0 by 0.05, the grid
CASES = {
    "mobilenet_v2": {"width": WIDTHS, "resolution": list(range(96, 321, 32)) + [97, 225, 331]},
    "mobilenet_v1": {"width": [Fraction(1, 4), Fraction(1, 2), Fraction(3, 4), 1, Fraction(13, 10)],
                     "resolution": list(range(96, 321, 32))},
    "shufflenet_v2": {"resolution": list(range(32, 513, 32))},
    "resnet50": {"resolution": list(range(32, 513, 32))},
}


def per_point(name: str, point: dict) -> tuple:
    totals = analyze(build(name, **point)).totals
    return tuple(getattr(totals, c) for c in COLUMNS)


def row(result, i: int) -> dict:
    return {n: result.values[n][result.indices[n][i]] for n in result.names}


@pytest.mark.parametrize("name", sorted(CASES))
def test_sweep_agrees_with_analysis_at_random_points(name):
    result = sweep(name, CASES[name])
    assert len(result) == np.prod([len(v) for v in CASES[name].values()])
    for column in COLUMNS:
        assert result.columns[column].dtype == np.int64
    rng = random.Random(7)
    for i in rng.sample(range(len(result)), min(40, len(result))):
        point = row(result, i)
        assert tuple(int(result.columns[c][i]) for c in COLUMNS) == per_point(name, point), point


def test_mobilenet_v2_every_width_exact():
    """Every width of the issue's grid, where float floors go wrong (e.g. floor(0.75*32 + 0.5)) and where
    rounding gives a block a shortcut the symbolic graph lacks."""
    result = sweep("mobilenet_v2", {"width": WIDTHS, "resolution": [224]})
    for i in range(len(result)):
        point = row(result, i)
        assert tuple(int(result.columns[c][i]) for c in COLUMNS) == per_point("mobilenet_v2", point), point


def test_known_total():
    result = sweep("mobilenet_v2", {"resolution": [224]})
    assert (result.columns["flops"][0], result.columns["params"][0]) == (300774272, 3504872)


def test_chunking_gives_identical_results():
    grid = {"width": WIDTHS[:7], "resolution": list(range(96, 200))}
    whole = sweep("mobilenet_v2", grid)
    for chunk in (1, 7, 100, 10**6):
        parts = sweep("mobilenet_v2", grid, chunk=chunk)
        for key in whole.columns:
            assert np.array_equal(whole.columns[key], parts.columns[key])


def test_settings_and_enumerated_parameters():
    result = sweep("shufflenet_v2", {"width": [0.5, 1.0]}, values={"resolution": 160})
    for i in range(len(result)):
        point = {**row(result, i), "resolution": 160}
        assert tuple(int(result.columns[c][i]) for c in COLUMNS) == per_point("shufflenet_v2", point)


@pytest.mark.parametrize("grid, words", [
    ({"resolution": [100, 128]}, "resolution=100"),          # not a multiple of 32 for mobilenet_v1
    ({"width": [0, 1]}, "width=0"),
    ({"resolution": []}, "no values"),
    ({"resolution": [224.5]}, "resolution=224.5"),
    ({"depth": [1, 2]}, "depth"),
    ({}, "at least one"),
])
def test_bad_grids_fail_cleanly(grid, words):
    with pytest.raises(CostModelError) as raised:
        sweep("mobilenet_v1", grid)
    assert words in str(raised.value) and "\n" not in str(raised.value)


def test_parse_grid_exact_and_inclusive():
    name, values = parse_grid("width=0.25:2.0:0.05")
    assert name == "width" and values[0] == Fraction(1, 4) and values[-1] == 2 and len(values) == 36
    assert parse_grid("resolution=96:320:32")[1] == list(range(96, 321, 32))
    assert parse_grid("resolution=96:330:32")[1][-1] == 320
    assert parse_grid("r=1,2,5")[1] == [1, 2, 5]
    for bad in ("width", "width=1:0:0.1", "width=0:1:0", "width=a:b:c", "width=1:2"):
        with pytest.raises(UsageError):
            parse_grid(bad)


def test_command_csv_and_json():
    runner = CliRunner()
    out = runner.invoke(sweep_command, ["mobilenet_v2", "--grid", "width=0.5:1.0:0.25", "--grid",
                                        "resolution=192:224:32"])
    assert out.exit_code == 0, out.output
    lines = out.output.strip().splitlines()
    assert lines[0] == "width,resolution,flops,params,mac" and len(lines) == 7
    assert lines[-1].startswith("1,224,300774272,3504872,")
    out = runner.invoke(sweep_command, ["resnet50", "--grid", "resolution=224:256:32", "--format", "json"])
    document = json.loads(out.output)
    assert [p["resolution"] for p in document["points"]] == [224, 256]
    assert document["points"][0]["flops"] == per_point("resnet50", {"resolution": 224})[0]


def test_command_bad_input_raises_usage_error():
    runner = CliRunner()
    out = runner.invoke(sweep_command, ["mobilenet_v1", "--grid", "resolution=100:200:50"])
    assert isinstance(out.exception, UsageError) and "resolution=100" in str(out.exception)
    out = runner.invoke(sweep_command, ["mobilenet_v2", "--grid", "width=1:0:1"])
    assert isinstance(out.exception, UsageError)


def test_exact_where_float_floors_and_irrationals_would_not_be():
    """GhostNet's rounding nests ITE conditions; g3_bench floors sqrt(2)*channels: both exact."""
    result = sweep("ghostnet", {"width": [Fraction(1, 4), Fraction(3, 4), 1, Fraction(13, 10)],
                                "resolution": [160, 224]})
    for i in range(len(result)):
        point = row(result, i)
        assert tuple(int(result.columns[c][i]) for c in COLUMNS) == per_point("ghostnet", point), point
    result = sweep("g3_bench", {"channels": [32, 64, 100]})
    for i in range(len(result)):
        point = row(result, i)
        assert tuple(int(result.columns[c][i]) for c in COLUMNS) == per_point("g3_bench", point), point


def test_iterables_and_refused_values_named():
    result = sweep("resnet18", {"resolution": (r for r in (224, 256))})
    assert result.columns["resolution"].tolist() == [224, 256]
    with pytest.raises(UsageError, match="width=0.3"):
        sweep("shufflenet_v2", {"width": [0.5, 0.3]})


def factory(width=1.0, resolution=224):
    """A stem, a depthwise-separable block and a classifier whose channels round 32 * width down (at least 8)."""
    import costmodel as cm

    c = max(8, int(32 * width))
    g = cm.Graph("factory", (3, resolution, resolution))
    x = g.add("stem", cm.Conv2d(c, 3, stride=2, padding=1), g.input)
    x = g.add("dw", cm.depthwise(c, 3), x)
    x = g.add("pw", cm.Conv2d(2 * c, 1), x)
    x = g.add("pool", cm.GlobalAvgPool(), x)
    x = g.add("flatten", cm.Flatten(), x)
    g.add("fc", cm.Linear(10), x)
    return g


def test_a_python_factory_sweeps_like_a_zoo_entry():
    import costmodel as cm

    grid = {"width": [0.25, 0.5, 0.75, 1, 1.3], "resolution": [96, 97, 128, 224]}
    result = cm.sweep(factory, grid)
    assert len(result) == 20
    for i in range(len(result)):
        point = row(result, i)
        expected = analyze(factory(**point)).totals
        assert tuple(int(result.columns[c][i]) for c in COLUMNS) == tuple(getattr(expected, c) for c in COLUMNS)
    # by hand at width 1/2, resolution 128: stem 3*3*3*16 per output on 64x64, depthwise 9*16, pointwise 16*32
    i = next(i for i in range(len(result)) if row(result, i) == {"width": Fraction(1, 2), "resolution": 128})
    assert result.columns["flops"][i] == 64 * 64 * (27 * 16 + 9 * 16 + 16 * 32) + 32 * 10


def test_values_are_typed_and_text_is_refused():
    with pytest.raises(UsageError, match="expected a number, got '160'"):
        sweep("mobilenet_v2", {"resolution": ["160"]})
    with pytest.raises(UsageError, match="mobilenet_v2 resolution must be a number or a sympy expression, got .160."):
        sweep("mobilenet_v2", {"width": [1]}, values={"resolution": "160"})
    with pytest.raises(UsageError, match="width is both given a fixed value and swept"):
        sweep("mobilenet_v2", {"width": [1]}, values={"width": 1})
