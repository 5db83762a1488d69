"""``costmodel plot NAME [TARGET] [-s NAME=VALUE]... -o FILE``: draw one figure of ``costmodel.plots``.

Bad input raises ``UsageError``, which the group prints as one line (exit status 2).
"""
from __future__ import annotations

import math
import os
from pathlib import Path

import click

from ..errors import UsageError
from ..values import show
from .completion import complete_from, complete_target
from .unknown import allow_unknown_option

NAMES = ("g1", "g2", "g3", "g4", "breakdown", "roofline", "scaling", "pareto")
TARGETED = ("breakdown", "roofline", "scaling")


@click.command("plot")
@click.argument("name", metavar="NAME", shell_complete=complete_from(NAMES))
@click.argument("target", required=False, shell_complete=complete_target)
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="Set a parameter of TARGET (or of every zoo network, for pareto).")
@click.option("-o", "--output", required=True, metavar="FILE", help="Output file: .png, .svg or .pdf.")
@click.option("--by", type=click.Choice(["layer", "stage"]), default="layer", show_default=True,
              help="breakdown: one bar per layer or per stage.")
@click.option("--device", default="cpu", show_default=True, metavar="NAME|FILE",
              help="roofline: cpu = Intel Core i9-9900K, gpu = NVIDIA GeForce GTX 1080 Ti (see docs/gallery.md), "
                   "this (the machine 'costmodel calibrate' measured) or a device file: layers at their "
                   "predicted rates.")
@click.option("--peak-flops", type=float, default=None, metavar="OPS",
              help="roofline: peak multiply-adds per second (overrides --device's).")
@click.option("--bandwidth", type=float, default=None, metavar="BYTES",
              help="roofline: memory bandwidth in bytes per second (overrides --device's).")
@click.option("--convention", type=click.Choice(["paper", "all"]), default=None,
              help="breakdown and roofline: counting convention (defaults: paper, all).")
@click.option("--dpi", type=float, default=None, metavar="DPI",
              help="Dots per inch of the saved figure (10 to 1200; default 200): a png is inches x DPI pixels.")
@click.option("--size", default=None, metavar="WxH",
              help="Figure size in inches, such as 3.3x2.5 (1 to 40 each; default: the figure's own printed "
                   "size: 7.2 in wide, roofline 3.3). Text stays 8-9 pt.")
@allow_unknown_option
def plot(name, target, settings, output, by, device, peak_flops, bandwidth, convention, dpi, size, allow_unknown):
    """Draw figure NAME (g1, g2, g3, g4, breakdown, roofline, scaling, pareto) into FILE.

    breakdown, roofline and scaling need a TARGET (zoo name or spec path); the others take none.
    """
    if name not in NAMES:
        from ..values import suggest

        raise UsageError(f"unknown plot {name!r}{suggest(name, NAMES)}; plots are {', '.join(NAMES)}")
    if name in TARGETED and target is None:
        raise UsageError(f"plot {name} needs a TARGET (a zoo name or a spec file)")
    if name not in TARGETED and target is not None:
        raise UsageError(f"plot {name} takes no TARGET, got {target!r}")
    if name not in TARGETED and name != "pareto" and settings:
        raise UsageError(f"plot {name} takes no -s settings")
    if Path(output).is_dir() or output.endswith(("/", os.sep)):
        raise UsageError(f"plot output {show(output, limit=80)} is a directory; give a file name such as "
                         f"{name}.png")
    extension = output.rsplit(".", 1)[-1].lower() if "." in output else ""
    if extension not in ("png", "svg", "pdf"):
        raise UsageError(f"plot output {show(output, limit=80)} must end in .png, .svg or .pdf")
    for flag, value in (("--peak-flops", peak_flops), ("--bandwidth", bandwidth)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise UsageError(f"{flag} must be a positive number, got {show(value)}")
    if name != "roofline" and (peak_flops is not None or bandwidth is not None):
        raise UsageError("--peak-flops and --bandwidth apply to roofline only")
    if convention is not None and name not in ("breakdown", "roofline"):
        raise UsageError("--convention applies to breakdown and roofline only")
    if device not in ("cpu", "gpu"):
        if name != "roofline":
            raise UsageError("--device applies to roofline only")
        from .measure_command import load_named_device

        device = load_named_device(device)
    size = _size(size)
    import matplotlib

    matplotlib.use("Agg")  # the command writes files and needs no display; the library never chooses a backend
    from .. import plots  # loads matplotlib only now

    if size is not None:
        size = plots.check_size(size)
    dpi = plots.check_dpi(plots.DPI if dpi is None else dpi, size or (1, 1))  # pixels again once drawn
    shape = {} if size is None else {"size": size}
    from .progress import showing_progress
    from .settings import parse_settings
    from .unknown import echo_unknown, find_target, listed_unknown, pointing_at_the_flag

    if name in TARGETED:
        chosen = find_target(target, allow_unknown)
        values = parse_settings(settings, chosen)
    elif allow_unknown:
        raise UsageError(f"--allow-unknown applies to plots of a TARGET ({', '.join(TARGETED)}), not to {name}")
    if name in TARGETED:
        with pointing_at_the_flag():
            echo_unknown(listed_unknown(chosen, values))
    with showing_progress():
        fig = _figure(plots, name, chosen if name in TARGETED else None, values if name in TARGETED else {},
                      settings, by, device, peak_flops, bandwidth, convention, shape)
    for note in fig.notes:  # what the figure left out (values a builder refused): said once, not an error
        click.echo(f"costmodel: note: {note}", err=True)
    try:
        path = plots.save(fig, output, dpi=dpi)
    except OSError as error:
        raise UsageError(f"cannot write plot output {show(output, limit=80)}: {error.strerror or error}") from None
    click.echo(f"wrote {path}")


def _figure(plots, name, chosen, values, settings, by, device, peak_flops, bandwidth, convention, shape):
    """The figure NAME asks for, drawn by the library (this only picks the call)."""
    if name == "breakdown":
        return plots.breakdown(chosen, values=values, by=by, convention=convention or "paper", **shape)
    if name == "roofline":
        return plots.roofline(chosen, values=values, device=device, peak_flops=peak_flops, bandwidth=bandwidth,
                              convention=convention or "all", **shape)
    if name == "scaling":
        if not [p for p in ("width", "resolution") if p in chosen.parameters and p not in values]:
            raise UsageError(f"scaling: {chosen.name} takes neither width nor resolution (or -s fixed them)")
        return plots.scaling(chosen, values=values, **shape)
    if name == "pareto":
        return plots.pareto(values=_pareto_values(settings), **shape)
    return plots.PLOTS[name](**shape)


def _size(text: str | None) -> tuple[float, float] | None:
    """``--size WxH`` (inches, such as ``3.3x2.5``) as two floats; their bounds are checked by the library."""
    if text is None:
        return None
    width, sep, height = text.strip().lower().partition("x")
    try:
        if not sep:
            raise ValueError
        return float(width), float(height)
    except ValueError:
        raise UsageError(f"--size must be WIDTHxHEIGHT in inches, such as 3.3x2.5, got {show(text, limit=40)}") \
            from None


def _pareto_values(settings) -> dict:
    """pareto builds every zoo network: only resolution and classes, which all take, may be set."""
    from ..targets import Parameter
    from .settings import parse_value, split_settings

    allowed = {"resolution": Parameter("resolution", 224, "whole"), "classes": Parameter("classes", 1000, "whole")}
    parsed = split_settings(settings)
    unknown = sorted(set(parsed) - set(allowed))
    if unknown:
        raise UsageError(f"plot pareto takes -s resolution or classes only, got {', '.join(unknown)}")
    return {key: parse_value(key, text, allowed[key]) for key, text in parsed.items()}
