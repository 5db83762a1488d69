"""Time costmodel against the issue's targets (no PyTorch needed):

    PYTHONPATH=. .venv/bin/python benchmarks/bench_costmodel.py [--repeat 11]

1. ``costmodel table mobilenet_v2 --format json`` as a whole process (median of N), target < 0.3 s;
2. in-process numeric analysis of MobileNet v2 (build + analyze, and analyze alone), target < 5 ms;
3. the compiled sweep of MobileNet v2 totals: compilation (grid checks, symbolic build, lambdify) < 2 s,
   throughput after compilation >= 1,000,000 configurations/s;
4. a generated 10,000-node network (conv/BN/ReLU chain), build and analysis, target < 1 s.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def median_time(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def report(label, seconds, target=None, unit="s", scale=1.0):
    value = seconds * scale
    verdict = "" if target is None else ("  (target < %g %s: %s)" % (target, unit, "met" if value < target
                                                                      else "MISSED"))
    print(f"{label:<58} {value:10.3f} {unit}{verdict}")


def chain(nodes):
    from costmodel.graph import Graph
    from costmodel.ops import BatchNorm, Conv2d, ReLU
    g = Graph("chain", (16, 32, 32))
    x = g.input
    for i in range(nodes // 3):
        x = g.add(f"conv{i}", Conv2d(16, kernel=3, padding=1), x)
        x = g.add(f"bn{i}", BatchNorm(), x)
        x = g.add(f"relu{i}", ReLU(), x)
    return g


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=11)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "costmodel", "table", "mobilenet_v2", "--format", "json"]
    subprocess.run(command, check=True, capture_output=True, env=env)  # warm the file cache
    report("1. process: costmodel table mobilenet_v2 --format json",
           median_time(lambda: subprocess.run(command, check=True, capture_output=True, env=env), args.repeat),
           0.3)
    bare = [sys.executable, "-c", "pass"]
    report("   (bare python startup, for reference)",
           median_time(lambda: subprocess.run(bare, check=True, env=env), args.repeat))

    from costmodel.analysis import analyze
    from costmodel.zoo import build
    graph = build("mobilenet_v2")
    report("2. in-process: build + analyze mobilenet_v2", median_time(
        lambda: analyze(build("mobilenet_v2")), 50), 5, "ms", 1e3)
    report("   in-process: analyze mobilenet_v2 (graph built)", median_time(lambda: analyze(graph), 50),
           5, "ms", 1e3)
    print(f"   sympy imported on the numeric path: {'sympy' in sys.modules}")

    from costmodel.numeric import compile_sweep, iter_sweep
    widths = [Fraction(k, 20) for k in range(5, 41)]  # 0.25:2.0:0.05, the grid
    resolutions = list(range(96, 321, 32))
    start = time.perf_counter()
    plan = compile_sweep("mobilenet_v2", {"width": widths, "resolution": resolutions})
    compile_time = time.perf_counter() - start
    report(f"3. sweep compile: mobilenet_v2, {len(widths)} widths x {len(resolutions)} resolutions",
           compile_time, 2)
    big = list(range(32, 32 + 28000))  # 36 x 28,000 = 1,008,000 configurations, inner grid vectorised
    start = time.perf_counter()
    plan = compile_sweep("mobilenet_v2", {"width": widths, "resolution": big})
    report("   sweep compile: 36 widths x 28,000 resolutions (one check build per value)",
           time.perf_counter() - start)

    def run():
        return sum(len(part["flops"]) for part in iter_sweep(plan, progress=False))
    count = run()
    seconds = median_time(run, 5)
    rate = count / seconds
    print(f"{'   sweep throughput after compilation (%d configurations)' % count:<58} "
          f"{rate:10,.0f} configs/s  (target >= 1,000,000: {'met' if rate >= 1e6 else 'MISSED'})")

    for nodes in (1_000, 10_000):
        built = []
        build_t = median_time(lambda: built.append(chain(nodes)), 3)
        g = built[-1]
        report(f"4. {len(g.nodes)}-node chain: build", build_t)
        report(f"   {len(g.nodes)}-node chain: analyze", median_time(lambda: analyze(g), 3),
               1 if nodes == 10_000 else None)


if __name__ == "__main__":
    main()
