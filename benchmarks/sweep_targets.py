"""The sweep issue's targets, as whole processes timed against one `costmodel table mobilenet_v2 --format
json` process measured in the same run (ratios cancel most machine noise; nothing here is asserted).

    PYTHONPATH=. .venv/bin/python benchmarks/sweep_targets.py [--repeat 3] [--only big,widths,tables]

Targets (issue "Sweeps"):
  big      sweep mobilenet_v2 width=0.25:2.0:0.0005 x resolution=96:320:1 (787,725 rows) to a CSV file: <= 20
  widths   36-point width sweeps of GhostNet and MobileNet v3 (large, small): <= 5 each
  tables   table NET -s resolution=r --format json for every zoo network and shipped spec: <= 10 each
Each command is run ``--repeat`` times, interleaved with the baseline, and the median of each is used.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "costmodel" / "examples"
COSTMODEL = [sys.executable, "-m", "costmodel"]
BASELINE = ["table", "mobilenet_v2", "--format", "json"]
BIG = ["sweep", "mobilenet_v2", "--grid", "width=0.25:2.0:0.0005", "--grid", "resolution=96:320:1", "--format", "csv"]
WIDTHS = [["sweep", name, "--grid", "width=0.25:2.0:0.05"] for name in ("ghostnet", "mobilenet_v3_large",
                                                                         "mobilenet_v3_small", "mobilenet_v2")]
ZOO = ["mobilenet_v1", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small", "shufflenet_v1",
       "shufflenet_v2", "squeezenet1_0", "squeezenet1_1", "ghostnet", "resnet18", "resnet34", "resnet50",
       "resnext50_32x4d", "g1_bench", "g2_bench", "g3_bench", "g4_bench"]
SPECS = {"g1_block_pair.yaml": ["-s", "h=h", "-s", "w=w"], "mobilenet_v2.yaml": ["-s", "resolution=r"],
         "mobilenet_v2_block.yaml": ["-s", "size=h"], "shufflenet_v2.yaml": ["-s", "resolution=r"],
         "shufflenet_v2_unit.yaml": ["-s", "size=h"]}


def run(arguments: list[str], output: Path | None = None) -> float:
    """Seconds of one whole process (its output to ``output`` or /dev/null)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open(output or os.devnull, "w") as sink:
        started = time.perf_counter()
        done = subprocess.run(COSTMODEL + arguments, stdout=sink, stderr=subprocess.PIPE, env=env, text=True)
        seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"{' '.join(arguments)} failed: {done.stderr.strip()}")
    return seconds


def measure(arguments: list[str], repeat: int, output: Path | None = None) -> tuple[float, float]:
    """Medians of (the command, the baseline), the two run alternately."""
    ours, base = [], []
    for _ in range(repeat):
        base.append(run(BASELINE))
        ours.append(run(arguments, output))
    return statistics.median(ours), statistics.median(base)


def report(label: str, arguments: list[str], repeat: int, limit: float, output: Path | None = None) -> None:
    ours, base = measure(arguments, repeat, output)
    ratio = ours / base
    verdict = "met" if ratio <= limit else "NOT met"
    print(f"{label:58s} {ours:7.2f} s  {ratio:6.1f} table processes (target <= {limit:g}: {verdict})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="big,widths,tables")
    args = parser.parse_args()
    parts = set(args.only.split(","))
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
        for name in ZOO:
            parameter = "resolution=r"
            report(f"table {name} -s {parameter} --format json", ["table", name, "-s", parameter, "--format", "json"],
                   args.repeat, 10)
        for spec, settings in SPECS.items():
            report(f"table {spec} {' '.join(settings)} --format json",
                   ["table", str(EXAMPLES / spec), *settings, "--format", "json"], args.repeat, 10)


if __name__ == "__main__":
    main()
