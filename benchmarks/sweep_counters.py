"""Width sweeps through ptflops, fvcore and FlopCounterMode against costmodel's, on the same configurations,
timed in one run (so the ratios share the machine's load), and the counts compared where the conventions
allow.

    /work/torchvenv/bin/pip install ptflops fvcore          # beside torch 2.13.0+cpu, torchvision 0.28.0
    PYTHONPATH=. /work/torchvenv/bin/python benchmarks/sweep_counters.py [--networks mobilenet_v2,...]

Per network, the 36 widths 0.25, 0.30, ..., 2.00 at resolution 224:

* each PyTorch counter: per width, ``torchvision.models.<name>(weights=None, width_mult=w)`` in eval mode
  (the build is part of a counter's sweep: the model is the configuration), then one count under
  ``torch.no_grad()``: ptflops ``get_model_complexity_info(..., backend="pytorch")``, fvcore
  ``FlopCountAnalysis(model, x).total()``, ``FlopCounterMode`` around the forward pass;
* costmodel in the process: ``costmodel.sweep(name, {"width": widths}, convention=...)``, once per convention
  (the first call pays costmodel's imports, about 0.1 s);
* costmodel as a whole process: ``costmodel sweep NAME --grid width=0.25:2.0:0.05 --convention ...``, run with
  the dev venv's Python (``--python``; the torch venv has no click).

Printed: seconds per sweep, configurations per second, and each counter's time as a multiple of costmodel's
(in the process and as a process). Then, per width, the counter's total against costmodel's total under the
counter's convention (``ptflops``, ``fvcore``, ``torch``: 2 per multiply-add) and ``sum(p.numel())`` against
costmodel's params. costmodel's networks: ``mobilenet_v2`` (torchvision's rounding is the reference code's)
and ``mobilenet_v3_large -s variant=torchvision``.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
started_import = time.perf_counter()
import torch  # noqa: E402

import onnx_crosscheck  # noqa: E402,F401  tolerates torchvision's compiled ops, one torch thread
import torchvision.models  # noqa: E402

TORCH_IMPORT = time.perf_counter() - started_import
WIDTHS = [round(0.25 + 0.05 * i, 2) for i in range(36)]
GRID = "width=0.25:2.0:0.05"
#: torchvision builder -> (costmodel target, fixed costmodel values)
NETWORKS = {"mobilenet_v2": ("mobilenet_v2", {}),
            "mobilenet_v3_large": ("mobilenet_v3_large", {"variant": "torchvision"})}
#: counter -> the costmodel convention counting what it counts
CONVENTION = {"ptflops": "ptflops", "fvcore": "fvcore", "FlopCounterMode": "torch"}


def count_ptflops(model, x) -> int:
    from ptflops import get_model_complexity_info

    with contextlib.redirect_stdout(io.StringIO()):
        total, _ = get_model_complexity_info(model, tuple(x.shape[1:]), as_strings=False,
                                             print_per_layer_stat=False, backend="pytorch")
    return int(total)


def count_fvcore(model, x) -> int:
    from fvcore.nn import FlopCountAnalysis

    analysis = FlopCountAnalysis(model, x)
    analysis.unsupported_ops_warnings(False)
    analysis.uncalled_modules_warnings(False)
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return int(analysis.total())


def count_torch(model, x) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter:
        model(x)
    return int(counter.get_total_flops())


COUNTERS = {"ptflops": count_ptflops, "fvcore": count_fvcore, "FlopCounterMode": count_torch}


def counter_sweep(network: str, count) -> tuple[float, list[int], list[int]]:
    """(seconds, totals, params) of one counter over every width, each model built anew."""
    totals, params = [], []
    started = time.perf_counter()
    for width in WIDTHS:
        torch.manual_seed(0)
        model = getattr(torchvision.models, network)(weights=None, width_mult=width).eval()
        with torch.no_grad():
            totals.append(count(model, torch.rand(1, 3, 224, 224)))
        params.append(sum(p.numel() for p in model.parameters()))
    return time.perf_counter() - started, totals, params


def costmodel_sweep(target: str, values: dict, convention: str) -> tuple[float, list[int], list[int]]:
    import costmodel

    started = time.perf_counter()
    result = costmodel.sweep(target, {"width": WIDTHS}, values=values, convention=convention)
    seconds = time.perf_counter() - started
    return seconds, [int(v) for v in result.columns["flops"]], [int(v) for v in result.columns["params"]]


def costmodel_process(python: str, target: str, values: dict, convention: str) -> float:
    settings = [a for k, v in values.items() for a in ("-s", f"{k}={v}")]
    command = [python, "-m", "costmodel", "sweep", target, "--grid", GRID, *settings, "--convention", convention]
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr.strip()}")
    return seconds


def agreement(name: str, theirs: list[int], ours: list[int]) -> str:
    differing = [(w, t, o) for w, t, o in zip(WIDTHS, theirs, ours) if t != o]
    if not differing:
        return f"{name} equal at all {len(WIDTHS)} widths"
    shown = ", ".join(f"{w}: {t:,} vs {o:,}" for w, t, o in differing[:3])
    return f"{name} differ at {len(differing)} of {len(WIDTHS)} widths ({shown}{', ...' if len(differing) > 3 else ''})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", default=",".join(NETWORKS))
    parser.add_argument("--python", default="/work/venv/bin/python" if Path("/work/venv/bin/python").exists()
                        else sys.executable, help="the Python running `costmodel sweep` (needs click)")
    args = parser.parse_args()
    import costmodel

    print(f"torch {torch.__version__} import (with torchvision): {TORCH_IMPORT:.2f} s; "
          f"{len(WIDTHS)} widths {WIDTHS[0]}..{WIDTHS[-1]} at 224x224, seconds per sweep of all widths")
    for network in args.networks.split(","):
        target, values = NETWORKS[network]
        shown = target + "".join(f" -s {k}={v}" for k, v in values.items())
        print(f"\n{network} (costmodel {shown}):")
        lines, checks = [], []
        for counter, count in COUNTERS.items():
            convention = CONVENTION[counter]
            theirs, totals, params = counter_sweep(network, count)
            ours, flops, our_params = costmodel_sweep(target, values, convention)
            process = costmodel_process(args.python, target, values, convention)
            lines.append(f"  {counter:16s} {theirs:7.2f} s {len(WIDTHS) / theirs:8.1f} configs/s | costmodel "
                         f"--convention {convention:8s} in process {ours:6.3f} s ({theirs / ours:6.0f}x), "
                         f"process {process:5.2f} s ({theirs / process:4.0f}x)")
            checks.append(f"  flops: {counter} and costmodel --convention {convention}: "
                          + agreement("totals", totals, flops))
            if counter == "ptflops":
                checks.append("  params: sum(p.numel()) and costmodel: " + agreement("counts", params, our_params))
            print(lines[-1], flush=True)
        print("\n".join(checks))
    print(f"\ncostmodel {costmodel.__version__ if hasattr(costmodel, '__version__') else ''} from {ROOT}")


if __name__ == "__main__":
    main()
