"""The sweep issue's targets, as whole processes timed against one `costmodel table mobilenet_v2 --format
json` process measured in the same run (ratios cancel most machine noise; nothing here is asserted).

    PYTHONPATH=. .venv/bin/python benchmarks/sweep_targets.py [--repeat 3] [--only big,widths,tables,symbolic]
    PYTHONPATH=. .venv/bin/python benchmarks/sweep_targets.py --only scaling [--largest 8] [--plot PATH.png]

Targets (issue "Sweeps"):
  big       sweep mobilenet_v2 width=0.25:2.0:0.0005 x resolution=96:320:1 (787,725 rows) to a CSV file: <= 20
  widths    36-point width sweeps of GhostNet and MobileNet v3 (large, small): <= 5 each
  tables    table NET -s resolution=r --format json for every zoo network and shipped spec: <= 10 each
  symbolic  the same tables timed inside the process (after Python, sympy and costmodel.cli are imported):
            the closed forms of every zoo network and shipped spec in under 1 s
  scaling   whole-process sweeps of mobilenet_v2 (width x resolution) from 10 to 10**LARGEST points, CSV to
            /dev/null: seconds and peak RSS (the 10**8-point grid within 200 MB), and a log-log plot of time
            against points written to --plot (not made unless asked)
Each command is run ``--repeat`` times, interleaved with the baseline, and the median of each is used.
Zoo networks and shipped specs are found, not listed: every entry of ``costmodel.zoo.ARCHITECTURES`` and every
``costmodel/examples/*.yaml``; a spec's spatial symbols are those of its ``input:`` after the channels.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
EXAMPLES = ROOT / "costmodel" / "examples"
COSTMODEL = [sys.executable, "-m", "costmodel"]
BASELINE = ["table", "mobilenet_v2", "--format", "json"]
BIG = ["sweep", "mobilenet_v2", "--grid", "width=0.25:2.0:0.0005", "--grid", "resolution=96:320:1", "--format", "csv"]
WIDTHS = [["sweep", name, "--grid", "width=0.25:2.0:0.05"] for name in ("ghostnet", "mobilenet_v3_large",
                                                                         "mobilenet_v3_small", "mobilenet_v2")]


def zoo() -> list[str]:
    from costmodel.zoo import ARCHITECTURES

    return list(ARCHITECTURES)


def specs() -> dict[str, list[str]]:
    """Every shipped spec with ``-s`` settings making its spatial sizes symbolic (``resolution=r``; other
    names, ``size`` or ``h`` and ``w``, stay their own symbol)."""
    import yaml

    found = {}
    for path in sorted(EXAMPLES.glob("*.yaml")):
        document = yaml.safe_load(path.read_text())
        spatial = dict.fromkeys(v for v in document["input"][1:] if isinstance(v, str))
        found[path.name] = [a for n in spatial for a in ("-s", f"{n}={'r' if n == 'resolution' else n}")]
    return found


def tables() -> list[tuple[str, list[str]]]:
    """(label, arguments) of every symbolic table the targets cover."""
    out = [(f"table {n} -s resolution=r", ["table", n, "-s", "resolution=r", "--format", "json"]) for n in zoo()]
    out += [(f"table {spec} {' '.join(settings)}", ["table", str(EXAMPLES / spec), *settings, "--format", "json"])
            for spec, settings in specs().items()]
    return out


class Refused(Exception):
    """A command that exited with an error (its one-line message)."""


def run(arguments: list[str], output: Path | None = None) -> float:
    """Seconds of one whole process (its output to ``output`` or /dev/null)."""
    with open(output or os.devnull, "w") as sink:
        started = time.perf_counter()
        done = subprocess.run(COSTMODEL + arguments, stdout=sink, stderr=subprocess.PIPE, env=ENV, text=True)
        seconds = time.perf_counter() - started
    if done.returncode:
        raise Refused(done.stderr.strip())
    return seconds


def measure(arguments: list[str], repeat: int, output: Path | None = None) -> tuple[float, float]:
    """Medians of (the command, the baseline), the two run alternately."""
    ours, base = [], []
    for _ in range(repeat):
        base.append(run(BASELINE))
        ours.append(run(arguments, output))
    return statistics.median(ours), statistics.median(base)


def report(label: str, arguments: list[str], repeat: int, limit: float, output: Path | None = None) -> None:
    try:
        ours, base = measure(arguments, repeat, output)
    except Refused as refused:
        print(f"{label:58s} refused: {refused}", flush=True)
        return
    ratio = ours / base
    verdict = "met" if ratio <= limit else "NOT met"
    print(f"{label:58s} {ours:7.2f} s  {ratio:6.1f} table processes (target <= {limit:g}: {verdict})", flush=True)


#: run in a fresh interpreter: the seconds (wall and CPU) of one CLI call, after Python, sympy and
#: costmodel.cli are imported (what the call imports lazily, the spec reader and the renderers, is counted)
IN_PROCESS = """
import contextlib, io, sys, time
import sympy
import costmodel.cli
started, cpu = time.perf_counter(), time.process_time()
with contextlib.redirect_stdout(io.StringIO()):
    try:
        costmodel.cli.main.main(sys.argv[1:])
    except SystemExit as end:
        if end.code:
            raise
print(time.perf_counter() - started, time.process_time() - cpu)
"""


def in_process(arguments: list[str], repeat: int) -> tuple[float, float]:
    """Medians of (wall, CPU) seconds of the CLI call ``arguments`` inside a fresh process."""
    walls, cpus = [], []
    for _ in range(repeat):
        done = subprocess.run([sys.executable, "-c", IN_PROCESS, *arguments], capture_output=True, env=ENV,
                              text=True)
        if done.returncode:
            raise Refused(done.stderr.strip().splitlines()[-1])
        wall, cpu = map(float, done.stdout.split())
        walls.append(wall)
        cpus.append(cpu)
    return statistics.median(walls), statistics.median(cpus)


def symbolic(repeat: int) -> None:
    print("closed forms inside the process (target < 1 s each; CPU time is less disturbed by other load):")
    for label, arguments in tables():
        try:
            wall, cpu = in_process(arguments, repeat)
        except Refused as refused:
            print(f"  {label:52s} refused: {refused}", flush=True)
            continue
        verdict = "met" if wall < 1 else "NOT met"
        print(f"  {label:52s} {wall:6.3f} s wall {cpu:6.3f} s CPU  ({verdict})", flush=True)


def scaling_grid(power: int) -> list[str]:
    """A mobilenet_v2 grid of 10**power points: 10**ceil(power/2) widths from 0.25 in steps of 0.0001 (each
    axis has at most 10,000 values, MAX_GRID_VALUES) times 10**floor(power/2) resolutions from 96."""
    widths, resolutions = 10 ** ((power + 1) // 2), 10 ** (power // 2)
    last = Fraction(1, 4) + Fraction(widths - 1, 10_000)
    return ["sweep", "mobilenet_v2", "--grid", f"width=0.25:{float(last)}:0.0001",
            "--grid", f"resolution=96:{95 + resolutions}:1"]


def peak(arguments: list[str]) -> tuple[float, int]:
    """(seconds, peak RSS in bytes) of one whole process, its output to /dev/null."""
    with open(os.devnull, "w") as sink:
        started = time.perf_counter()
        child = subprocess.Popen(COSTMODEL + arguments, stdout=sink, stderr=subprocess.PIPE, env=ENV)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        error = child.stderr.read().decode()
        child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise Refused(error.strip())
    return seconds, usage.ru_maxrss * 1024


def scaling(largest: int, plot: Path | None) -> None:
    print("whole-process sweeps of mobilenet_v2, CSV to /dev/null:")
    points, seconds = [], []
    for power in range(1, largest + 1):
        arguments = scaling_grid(power)
        spent, rss = peak(arguments)
        points.append(10 ** power)
        seconds.append(spent)
        memory = f"(target 200 MB: {'met' if rss <= 200e6 else 'NOT met'})" if power == 8 else ""
        print(f"  10**{power} points  {spent:8.2f} s  {10 ** power / spent:12,.0f} points/s  peak RSS "
              f"{rss / 1e6:6.1f} MB {memory}", flush=True)
    if plot:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot

        figure, axes = pyplot.subplots(figsize=(6, 4))
        axes.loglog(points, seconds, "o-", label="costmodel sweep (whole process)")
        axes.loglog(points, [seconds[0] + p / 1e6 for p in points], ":", color="grey",
                    label=f"{seconds[0]:.2f} s + 1 µs per point")
        axes.set_xlabel("grid points (mobilenet_v2, width x resolution)")
        axes.set_ylabel("seconds")
        axes.set_title("costmodel sweep to CSV: time against grid size")
        axes.grid(True, which="both", alpha=0.3)
        axes.legend()
        figure.tight_layout()
        figure.savefig(plot, dpi=100)
        print(f"  plot written to {plot}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="big,widths,tables,symbolic")
    parser.add_argument("--largest", type=int, default=8, help="scaling: the largest grid, 10**LARGEST points")
    parser.add_argument("--plot", type=Path, help="scaling: write the log-log plot to this PNG")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    if "scaling" in parts:
        scaling(args.largest, args.plot)
    if not parts & {"big", "widths", "tables", "symbolic"}:
        return
    base = statistics.median(run(BASELINE) for _ in range(args.repeat))
    print(f"baseline: costmodel {' '.join(BASELINE)}: {base:.3f} s (median of {args.repeat})")
    if "big" in parts:
        with tempfile.TemporaryDirectory() as folder:
            csv = Path(folder) / "grid.csv"
            report("sweep mobilenet_v2 787,725 points -> CSV file", BIG, args.repeat, 20, csv)
            rows = sum(1 for _ in open(csv)) - 1
            print(f"  ({rows} rows, {csv.stat().st_size / 1e6:.1f} MB)")
    if "widths" in parts:
        for arguments in WIDTHS:
            report(f"sweep {arguments[1]} width=0.25:2.0:0.05 (36 points)", arguments, args.repeat, 5)
    if "tables" in parts:
        for label, arguments in tables():
            report(f"{label} --format json", arguments, args.repeat, 10)
    if "symbolic" in parts:
        symbolic(args.repeat)


if __name__ == "__main__":
    main()
