"""Sweeps by both methods (costmodel.numeric): every row equals the independent per-point analysis of the
graph built at that point, integers past int64 equal Python-int formulas written here, refusals name the
point, and what a user writes for a grid is checked. Timings live in benchmarks/sweep_targets.py."""
from __future__ import annotations

import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import costmodel as cm
from costmodel.analysis import analyze
from costmodel.cli import main
from costmodel.cli.settings import parse_grid
from costmodel.errors import UsageError
from costmodel.numeric import COLUMNS, iter_sweep, plan_sweep, sweep

EXAMPLES = Path(cm.__file__).parent / "examples"


def net(width=1.0, resolution=32):
    """A stem of ``floor(32*width)`` channels in 4 groups' worth of a grouped conv: widths whose channels 4
    does not divide are refused by the conv's own check, in the middle of any grid."""
    c = 32 * width // 1
    g = cm.Graph("net", (3, resolution, resolution))
    x = g.add("stem", cm.Conv2d(4 * c, 3, stride=2, padding=1), g.input)
    x = g.add("grouped", cm.Conv2d(c, 3, padding=1, groups=4), x)
    x = g.add("pool", cm.GlobalAvgPool(), x)
    x = g.add("flatten", cm.Flatten(), x)
    g.add("fc", cm.Linear(10), x)
    return g


CASES = {
    "mobilenet_v2": {"width": [Fraction(k, 40) for k in range(10, 17)] + [1, Fraction(7, 4)],
                     "resolution": [96, 97, 224]},
    "mobilenet_v1": {"width": [Fraction(1, 4), Fraction(3, 4), 1], "resolution": [96, 160]},
    "shufflenet_v2": {"width": [0.5, 1.0, 2.0], "resolution": [96, 224]},
    "resnet50": {"resolution": [64, 97, 224], "classes": [10, 1000]},
    "squeezenet1_0": {"resolution": [96, 97, 224]},
    "mobilenet_v3_small": {"resolution": [96, 225]},
    "g1_bench": {"c1": [8, 100], "c2": [8, 33], "resolution": [14, 56]},
    str(EXAMPLES / "mobilenet_v2.yaml"): {"width": [Fraction(1, 2), 1], "resolution": [96, 160]},
    str(EXAMPLES / "shufflenet_v2_unit.yaml"): {"size": [28, 57], "channels": [116, 232]},
}


def per_point(target, point: dict) -> tuple:
    totals = analyze(cm.load(target, **point)).totals
    return tuple(getattr(totals, c) for c in COLUMNS)


def rows_of(result) -> list[tuple]:
    return [tuple(int(result.columns[c][i]) for c in COLUMNS) for i in range(len(result))]


def points_of(result) -> list[dict]:
    return [{n: result.values[n][result.indices[n][i]] for n in result.names} for i in range(len(result))]


@pytest.mark.parametrize("target", sorted(CASES))
def test_factored_rows_equal_the_analysis_of_each_point(target):
    grid = CASES[target]
    assert plan_sweep(target, grid, method="factored").method == "factored"
    result = sweep(target, grid, method="factored")
    assert len(result) == np.prod([len(v) for v in grid.values()])
    for point, row in zip(points_of(result), rows_of(result)):
        assert row == per_point(target, point), point


def test_rows_follow_the_grid_order_last_axis_fastest():
    grid = {"resolution": [96, 128], "width": [Fraction(1, 2), 1, Fraction(3, 2)]}
    for method in ("pointwise", "factored"):
        result = sweep("mobilenet_v2", grid, method=method)
        assert result.names == ("resolution", "width")
        assert result.columns["resolution"].tolist() == [96, 96, 96, 128, 128, 128]
        assert result.columns["width"].tolist() == [0.5, 1.0, 1.5] * 2


def test_widths_whose_rounding_builds_another_graph():
    """At widths below 0.28 MobileNet v2's first block gets a shortcut the symbolic graph lacks (its input
    and output round to 8 channels): those configurations are built and checked apart, every row exact."""
    grid = {"width": [Fraction(k, 400) for k in range(100, 121)], "resolution": [96, 131]}
    result = sweep("mobilenet_v2", grid, method="factored")
    shortcut = [p["width"] for p in points_of(result)
                if "bottleneck1.0.add" in {n.name for n in cm.load("mobilenet_v2", **p).nodes}]
    assert shortcut and len(shortcut) < len(result)
    for point, row in zip(points_of(result), rows_of(result)):
        assert row == per_point("mobilenet_v2", point), point


def g1_totals(c1: int, c2: int, size: int, blocks: int = 10) -> tuple:
    """ShuffleNet V2's G1 block (two 1x1 convs c1 -> c2 -> c1 on size x size), in Python ints: flops
    2*hw*c1*c2 per block, params 2*c1*c2, mac 2*(hw*(c1 + c2) + c1*c2) (section 2, G1)."""
    hw = size * size
    return blocks * 2 * hw * c1 * c2, blocks * 2 * c1 * c2, blocks * 2 * (hw * (c1 + c2) + c1 * c2)


@pytest.mark.parametrize("method", ["pointwise", "factored"])
def test_totals_past_int64_are_exact_python_ints(method):
    grid = {"c1": [3, 2 ** 30, 2 ** 31], "c2": [2 ** 31 - 1, 5], "resolution": [7, 2 ** 20]}
    result = sweep("g1_bench", grid, method=method)
    assert result.columns["flops"].dtype == object
    assert max(result.columns["flops"].tolist()) > 2 ** 63
    for point, row in zip(points_of(result), rows_of(result)):
        assert row == g1_totals(point["c1"], point["c2"], point["resolution"]), point


def test_small_totals_stay_int64():
    result = sweep("g1_bench", {"c1": [8, 16], "resolution": [14, 28]}, method="factored")
    assert all(result.columns[c].dtype == np.int64 for c in COLUMNS)
    assert rows_of(result) == [g1_totals(c1, 128, r) for c1 in (8, 16) for r in (14, 28)]


def test_chunks_give_the_same_rows():
    grid = {"width": [Fraction(1, 2), Fraction(3, 4), 1], "resolution": list(range(96, 140))}
    whole = rows_of(sweep("mobilenet_v2", grid, method="factored"))
    for chunk in (1, 7, 44, 100, 10 ** 6):
        parts = list(iter_sweep("mobilenet_v2", grid, method="factored", chunk=chunk))
        assert max(len(p) for p in parts) <= max(chunk, 44)
        assert [r for p in parts for r in rows_of(p)] == whole


def test_auto_picks_pointwise_for_small_grids_and_says_why_it_falls_back():
    small = plan_sweep("mobilenet_v2", {"width": [0.5, 1.0]})
    assert (small.method, small.why) == ("pointwise", "a small grid")
    big = plan_sweep("mobilenet_v2", {"width": [Fraction(k, 100) for k in range(50, 80)],
                                      "resolution": list(range(96, 126))})
    if big.method == "factored":  # the machine decides which is faster: either way the reason is known
        assert big.builds < 60  # one build per configuration, not per point
    else:
        assert "longer than evaluating point by point" in big.why
    assert plan_sweep("mobilenet_v2", {"width": [0.5, 1.0]}, method="factored").builds == 2


def test_irrational_floors_fall_back_to_points():
    """g3_bench's fragments round sqrt-sized channels: evaluated point by point, exactly."""
    grid = {"channels": [32, 64, 100], "resolution": list(range(20, 190))}
    planned = plan_sweep("g3_bench", grid)
    result = sweep("g3_bench", grid)
    for i in (0, 1, len(result) - 1):
        point = points_of(result)[i]
        assert rows_of(result)[i] == per_point("g3_bench", point), (planned.method, point)


@pytest.mark.parametrize("method", ["pointwise", "factored"])
def test_a_width_that_breaks_the_network_in_the_middle_is_refused(method):
    grid = {"width": [0.25, 0.5, 0.28125, 1.0], "resolution": [32, 64]}  # 0.28125: 9 channels in 4 groups
    with pytest.raises(UsageError, match=r"grid point width=0\.28125, resolution=32 is refused: .*groups") as raised:
        sweep(net, grid, method=method)
    assert "\n" not in str(raised.value)
    with pytest.raises(UsageError, match=r"resolution=100.*multiple of 32"):
        sweep("mobilenet_v1", {"width": [0.5, 1.0], "resolution": [96, 100, 128]}, method=method)


@pytest.mark.parametrize("grid, words", [
    ({"width": [0, 1]}, "grid width=0 is refused"),                       # rounds like 0.01: still refused
    ({"width": [0.5, 0.3]}, "grid width=0.3 is refused"),                 # ShuffleNet v2 takes four widths
    ({"depth": [1, 2]}, "has no parameter 'depth'"),
    ({"resolution": []}, "grid resolution has no values"),
    ({"resolution": [224, 224]}, "repeats the value 224"),
    ({"resolution": [224.5]}, "grid resolution=224.5 is refused"),
    ({"resolution": "224"}, "expected a list of numbers"),
    ({"resolution": [float("nan")]}, "not a finite number"),
    ({"variant": [1, 2]}, "variant is a choice"),
    ({}, "at least one grid parameter"),
])
def test_bad_grids_fail_with_one_line(grid, words):
    with pytest.raises(UsageError) as raised:
        sweep("shufflenet_v2", grid)
    assert words in str(raised.value) and "\n" not in str(raised.value)


def test_huge_grids_are_refused_before_any_work_or_streamed():
    with pytest.raises(UsageError, match="more than 100000000 points"):
        plan_sweep("g1_bench", {"c1": range(1, 10001), "c2": range(1, 10001), "resolution": [1, 2]})
    with pytest.raises(UsageError, match="use iter_sweep"):
        sweep("g1_bench", {"c1": range(1, 10001), "c2": range(1, 10001)})
    with pytest.raises(UsageError, match="more than 10000 values"):
        sweep("g1_bench", {"c1": range(1, 10002)})
    stream = iter_sweep("g1_bench", {"c1": range(1, 10001), "c2": range(1, 10001)}, chunk=5000)
    first = next(stream)  # 10**8 points, evaluated a chunk at a time
    assert len(first) == 5000 and rows_of(first)[4999] == g1_totals(1, 5000, 56)


def test_float_steps_are_exact_decimals():
    name, values = parse_grid("width=0.1:1.0:0.1")
    assert values == [Fraction(k, 10) for k in range(1, 11)]
    assert parse_grid("width=0.25:2.0:0.0005")[1][-1] == 2 and len(parse_grid("width=0.25:2.0:0.0005")[1]) == 3501
    result = sweep("mobilenet_v2", {"width": [0.1, 0.2, 0.3]})
    assert result.values["width"] == (Fraction(1, 10), Fraction(1, 5), Fraction(3, 10))
    out = CliRunner().invoke(main, ["sweep", "mobilenet_v2", "--grid", "width=0.1:0.3:0.1"])
    assert [line.split(",")[0] for line in out.output.splitlines()[1:]] == ["0.1", "0.2", "0.3"]


@pytest.mark.parametrize("spec", ["width=1:0:0.1", "width=0:1:0", "width=0:1:-0.1", "width=a:b:c", "width=1:2",
                                  "width=", "resolution=1,,2", "resolution=1e400:2:1"])
def test_bad_ranges_are_refused(spec):
    with pytest.raises(UsageError):
        parse_grid(spec)


def test_command_csv_json_and_no_progress_text_when_piped():
    runner = CliRunner()
    grid = ["--grid", "width=0.5:1.0:0.25", "--grid", "resolution=192:224:32"]
    for method in ("pointwise", "factored"):
        out = runner.invoke(main, ["sweep", "mobilenet_v2", *grid, "--method", method])
        assert out.exit_code == 0, out.output
        lines = out.stdout.strip().splitlines()
        assert lines[0] == "width,resolution,flops,params,mac" and len(lines) == 7
        assert lines[-1] == "1,224," + ",".join(map(str, per_point("mobilenet_v2", {"width": 1, "resolution": 224})))
        assert out.stderr == ""  # not a terminal: no bar, no estimate, nothing
    out = runner.invoke(main, ["sweep", "mobilenet_v2", "--grid", "width=0.25:0.3:0.025", "--format", "json"])
    document = json.loads(out.stdout)
    assert document["grid"]["width"] == [0.25, 0.275, 0.3]
    assert [p["width"] for p in document["points"]] == [0.25, 0.275, 0.3]
    assert document["points"][1]["flops"] == per_point("mobilenet_v2", {"width": Fraction(11, 40)})[0]


def test_progress_bar_only_when_asked_or_on_a_terminal():
    from costmodel.cli.progress import ProgressBar, line

    out = CliRunner().invoke(main, ["sweep", "resnet18", "--grid", "resolution=96:100:1", "--progress"])
    assert out.exit_code == 0 and out.stdout.count("\n") == 6  # rows untouched; the bar, if any, on stderr
    assert line("sweep", 50, 200, 2.0) == "sweep [######..................] 50/200 25/s 6 s left"

    class Terminal:
        written = ""

        def isatty(self):
            return True

        def write(self, text):
            self.written += text

        def flush(self):
            pass

    terminal, now = Terminal(), iter([0.0, 1.0, 4.0, 4.5, 5.0])  # the bar's clock: start, three calls, the end
    bar = ProgressBar(stream=terminal, delay=0, clock=lambda: next(now))
    bar("checking", 0, 10)
    bar("checking", 3, 10)  # 3 in 3 s: 7 s left
    bar("checking", 10, 10)
    bar.close()
    assert "checking [#######.................] 3/10 1/s 7 s left" in terminal.written
    assert terminal.written.endswith("checking: done in 5.0 s\x1b[K\n")
    stopped, now = Terminal(), iter([0.0, 1.0, 4.0, 6.0])  # Ctrl-C or an error after 3 of 10: not "done"
    bar = ProgressBar(stream=stopped, delay=0, clock=lambda: next(now))
    bar("checking", 0, 10)
    bar("checking", 3, 10)
    bar.close()
    assert stopped.written.endswith("checking [#######.................] 3/10 1/s 7 s left\x1b[K\n")
    assert "done" not in stopped.written
    assert line("building", 0, 1, 2.0) == "building ... 2 s"
    assert line("building", 1, 1, 3.0) == "building ... 3 s"  # drawn once the build is over (no call in between)
    quiet = ProgressBar(stream=type("Pipe", (Terminal,), {"isatty": lambda self: False})(), delay=0)
    quiet("sweep", 1, 2)
    quiet.close()
    assert quiet.stream.written == ""


def test_the_budget_extrapolates_the_check_builds_not_the_symbolic_build(monkeypatch):
    # a clock on which the symbolic build takes 10 s and each check build 1 ms: 100 resolutions cost
    # 10 s + 0.1 s, within a budget of 20 s (extrapolating the 10 s by the builds made 200 s: a fallback)
    from costmodel.numeric import factored
    from costmodel.numeric.grid import make_grid

    class Clock:
        calls = 0

        @classmethod
        def perf_counter(cls):  # the first call (the plan's start) at 0, then 10 s on, 1 ms a call
            cls.calls += 1
            return 0.0 if cls.calls == 1 else 10.0 + cls.calls / 1000

    monkeypatch.setattr(factored, "time", Clock)
    grid = make_grid("mobilenet_v2", {"width": [Fraction(1, 2), 1], "resolution": list(range(96, 196))})
    assert factored.plan(grid, None, budget=20.0).builds >= 100
    Clock.calls = 0
    with pytest.raises(factored.Fallback, match="checking"):
        factored.plan(grid, None, budget=10.05)  # 10 s spent, 0.1 s more to come: over


def test_python_api_returns_numpy_arrays_and_frames_when_asked():
    result = sweep("resnet18", {"resolution": [96, 128], "classes": [10, 100]})
    assert isinstance(result.columns["flops"], np.ndarray) and result.columns["resolution"].dtype == np.int64
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(UsageError, match="pip install pandas"):
            sweep("resnet18", {"resolution": [96]}, as_frame=True)
        return
    frame = sweep("resnet18", {"resolution": [96, 128], "classes": [10, 100]}, as_frame=True)
    assert list(frame.columns) == ["resolution", "classes", *COLUMNS]
    assert frame["flops"].tolist() == result.columns["flops"].tolist()


def test_progress_callback_sees_the_stages():
    seen = []
    sweep("mobilenet_v2", {"width": [Fraction(k, 100) for k in range(50, 80)], "resolution": list(range(96, 126))},
          progress=lambda stage, done, total: seen.append((stage, done, total)))
    assert {"building", "checking", "sweep"} <= {s for s, _, _ in seen}
    assert seen[-1] == ("sweep", 900, 900)


def test_small_sweeps_load_neither_sympy_nor_numpy():
    code = ("import sys; from click.testing import CliRunner; from costmodel.cli import main; "
            "r = CliRunner().invoke(main, ['sweep', 'ghostnet', '--grid', 'width=0.5:1.5:0.25']); "
            "assert r.exit_code == 0, r.output; print('sympy' in sys.modules, 'numpy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]
