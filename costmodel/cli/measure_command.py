"""``costmodel measure TARGET`` (time it in ONNX Runtime, per layer) and ``costmodel calibrate`` (fit the
device model of this machine); ``device_option`` is the ``--device NAME|FILE`` of ``table`` and ``plot``."""
from __future__ import annotations

import json

import click

from ..errors import UsageError
from .completion import complete_target

DEVICE_HELP = ("Device model for predicted times: cpu or gpu (the roofline peaks), this (the machine "
               "'costmodel calibrate' measured) or a device file (JSON).")


def load_named_device(text: str | None):
    """The device of ``--device`` (None when not given); a bad file ends in one line naming it."""
    if text is None:
        return None
    from ..device import load_device

    return load_device(text)


@click.command()
@click.argument("target", shell_complete=complete_target)
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="Set a parameter of TARGET (every symbol needs a number: a network is run, not counted).")
@click.option("--threads", type=int, default=1, show_default=True, metavar="N",
              help="ONNX Runtime intra-op and inter-op threads.")
@click.option("--runs", type=int, default=20, show_default=True, metavar="N",
              help="Timed runs (the wall time is their median, with quartiles, minimum and maximum).")
@click.option("--warmup", type=int, default=5, show_default=True, metavar="N",
              help="Untimed runs first (of the timed session and of the profiled one).")
@click.option("--profile-runs", type=int, default=None, metavar="N",
              help="Profiled runs for the per-layer times (default: runs, at most 10).")
@click.option("--device", default=None, metavar="NAME|FILE", help=DEVICE_HELP + " Adds predicted times.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: a table per layer and the totals; json: every number, in seconds.")
def measure(target, settings, threads, runs, warmup, profile_runs, device, fmt):
    """Run TARGET in ONNX Runtime on this machine (batch 1) and time it: wall time per run, and per layer
    from ONNX Runtime's profile, fused kernels given to the nodes they fuse (needs the measure extra:
    pip install 'costmodel[measure]')."""
    from ..measure import INSTALL, check_counts, have_onnxruntime

    check_counts(runs, warmup, threads, profile_runs)
    if not have_onnxruntime():
        raise UsageError(INSTALL)
    chosen_device = load_named_device(device)
    graph, name, parameters = _build(target, settings)
    from ..measure import measure as run_measure

    measured = run_measure(graph, threads=threads, runs=runs, warmup=warmup, profile_runs=profile_runs)
    prediction = chosen_device.predict(graph) if chosen_device is not None else None
    if fmt == "json":
        data = {"parameters": parameters, **measured.as_dict()}
        data["name"] = name
        if prediction is not None:
            data["device"] = {"name": prediction.device, "total": prediction.total,
                              "layers": prediction.seconds}
        click.echo(json.dumps(data, indent=1, default=str))
        return
    click.echo(measure_text(measured, name, parameters, prediction))


def _build(target: str, settings):
    from ..dims import is_symbolic
    from ..targets import target as find
    from ..values import show
    from .settings import parse_settings

    chosen = find(target)
    values = parse_settings(settings, chosen)
    graph = chosen.build(**values)
    parameters = chosen.values(**values)
    free = [k for k, v in parameters.items() if is_symbolic(v)]
    if free:
        raise UsageError(f"measure runs a network and needs numbers: parameter {free[0]} is "
                         f"{show(parameters[free[0]], limit=40)}; set it with -s {free[0]}=NUMBER")
    return graph, chosen.name, parameters


def measure_text(measured, name: str, parameters: dict, prediction=None) -> str:
    """The text report: the run's settings, the wall time, then one row per layer and the totals."""
    from ..device import duration
    from ..render import text_safe
    from ..values import show

    q1, q3 = measured.quartiles
    shown = ", ".join(f"{k}={show(v)}" for k, v in parameters.items())
    lines = [f"measured {text_safe(name)}{f' ({shown})' if shown else ''} with ONNX Runtime {measured.onnxruntime}, "
             f"{measured.threads} thread{'s' if measured.threads > 1 else ''}, batch 1",
             f"wall time per run: median {duration(measured.median)} (quartiles {duration(q1)} to {duration(q3)}, "
             f"min {duration(min(measured.wall))}, max {duration(max(measured.wall))}) over {len(measured.wall)} "
             f"runs after {measured.warmup} warm-up",
             f"per layer: ONNX Runtime's profile, median of {measured.profile_runs} runs (profiling adds time)"]
    if measured.cpu_median is not None:
        lines.insert(2, f"cpu time per run: median {duration(measured.cpu_median)} (the computing thread's; "
                        f"less than the wall time when other processes share the cores)")
    if prediction is not None:
        reference = measured.cpu_median or measured.median
        lines.append(f"predicted by device {text_safe(prediction.device)}: {duration(prediction.total)} per run "
                     f"({prediction.total / reference - 1:+.0%} against the measured "
                     f"{'cpu' if measured.cpu_median else 'wall'} median)")
    whole = measured.profiled_total
    header = ["name", "op", "kernels", "time", "time %"] + (["predicted"] if prediction else []) + ["note"]
    rows = []
    predicted = prediction.seconds if prediction else {}
    for layer in measured.layers:
        row = [text_safe(layer.name), layer.op, ",".join(layer.kernels),
               duration(layer.seconds) if layer.seconds or layer.kernels else "",
               f"{100 * layer.seconds / whole:.2f}%" if whole and layer.seconds else ""]
        if prediction:
            row.append(duration(predicted.get(layer.name, 0.0)) if predicted.get(layer.name) else "")
        row.append(text_safe(layer.note))
        rows.append(row)
    if measured.unattributed:
        rows.append(["(not traced to a node)", "", "", duration(measured.unattributed),
                     f"{100 * measured.unattributed / whole:.2f}%"] + ([""] if prediction else []) + [""])
    total = ["total", "", "", duration(whole), "100.00%" if whole else ""]
    if prediction:
        total.append(duration(sum(predicted.values())))
    rows.append(total + [f"wall median {duration(measured.median)}"])
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    right = {"time", "time %", "predicted"}

    def line(cells):
        return "  ".join(str(c).rjust(w) if h in right else str(c).ljust(w)
                         for c, w, h in zip(cells, widths, header)).rstrip()

    return "\n".join(lines + ["", line(header)] + [line(r) for r in rows])


@click.command()
@click.option("-o", "--output", default=None, metavar="FILE",
              help="Where to write the device file (default: the device 'this', in the user's config folder: "
                   "$XDG_CONFIG_HOME/costmodel/device.json or ~/.config/costmodel/device.json).")
@click.option("--backend", type=click.Choice(["auto", "onnxruntime", "numpy"]), default="auto", show_default=True,
              help="onnxruntime: micro-benchmarks of single ops per op class; numpy: GEMM rate, copy bandwidth "
                   "and call cost only (coarse); auto: onnxruntime when installed.")
@click.option("--quick", is_flag=True, default=False,
              help="A handful of tiny benchmarks (seconds): checks that calibration works; not for predictions.")
@click.option("--verbose", is_flag=True, default=False, help="One line per micro-benchmark on stderr.")
def calibrate(output, backend, quick, verbose):
    """Measure this machine (one thread) and fit the device model: per op class a fixed cost per node,
    multiply-adds per second and bytes per second (see docs/speed.md for the formula). Run it on a quiet
    machine: other processes slow the benchmarks down."""
    import os
    from pathlib import Path

    from ..device import calibrate as run_calibrate
    from ..device import config_path, duration
    from ..values import si_prefix, show

    path = Path(output) if output else config_path()
    if path.is_dir() or (output or "").endswith(("/", os.sep)):
        raise UsageError(f"-o {show(str(path), limit=80)} is a folder; give the device file's path, such as "
                         f"device.json")
    progress = (lambda text: click.echo(text, err=True)) if verbose else None
    device = run_calibrate(quick=quick, backend=backend, progress=progress)
    written = device.save(path)
    click.echo(f"{device.description}")
    click.echo(f"{'class':12s} {'t0':>9s} {'multiply-adds/s':>16s} {'bytes/s':>10s} {'slow m-a/s':>11s} "
               f"{'slow B/s':>10s} {'far B/s':>10s}")
    for kind, rates in device.classes.items():
        cells = [si_prefix(r) if r else "-" for r in (rates.flops_per_s, rates.bytes_per_s, rates.misaligned_flops_per_s,
                                                       rates.misaligned_bytes_per_s, rates.far_bytes_per_s)]
        click.echo(f"{kind:12s} {duration(rates.t0):>9s} {cells[0]:>16s} {cells[1]:>10s} {cells[2]:>11s} "
                   f"{cells[3]:>10s} {cells[4]:>10s}")
    click.echo(f"run overhead {duration(device.run_overhead)}; vector width {device.vector_width} float32; "
               f"far bytes past {device.cache_bytes // 1024} KiB")
    click.echo(f"wrote {written}" + (" (device 'this')" if not output else ""))
