"""``costmodel list`` and ``costmodel table TARGET [-s NAME=VALUE]...``."""
from __future__ import annotations

import click

from ..analysis import CONVENTIONS, FUSIONS
from ..columns import TEXT_WIDTH
from ..render import FORMATS
from ..report import GROUPINGS
from .completion import complete_target
from .settings import naming_the_flag
from .unknown import (allow_unknown_option, build_listing_unknown, echo_unknown, find_target, pointing_at_the_flag,
                      with_unknown)


@click.command(name="list")
def list_architectures():
    """The zoo's architectures, their parameters and defaults."""
    from ..spec import EXAMPLES
    from ..zoo import ARCHITECTURES

    width = max(len(name) for name in ARCHITECTURES)
    for name, entry in ARCHITECTURES.items():
        parameters = ", ".join(f"{key}={value}" for key, value in entry.defaults.items())
        click.echo(f"{name.ljust(width)}  {parameters}")
        click.echo(f"{''.ljust(width)}  {entry.summary} [{entry.source}]")
    click.echo("\nexample specs shipped with costmodel (costmodel table PATH):")
    for path in sorted(EXAMPLES.glob("*.yaml")):
        click.echo(f"  {path}")


@click.command()
@click.argument("target", shell_complete=complete_target)
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="Set a parameter or symbol; a symbol name (or an expression in symbols) keeps it symbolic.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text: aligned columns; markdown, csv, json (exact numbers and closed forms) or latex.")
@click.option("--by", type=click.Choice(GROUPINGS), default="layer", show_default=True,
              help="One row per layer, per stage (the papers' layout) or per op kind.")
@click.option("--convention", type=click.Choice(CONVENTIONS), default="paper", show_default=True,
              help="paper: flops of convolutions and fully connected layers only; all: every op; a tool's name "
                   "(ptflops, ptflops-aten, fvcore, thop, torchinfo, torch): what that tool counts "
                   "(torch: 2 per multiply-add).")
@click.option("--fuse", multiple=True, type=click.Choice(FUSIONS),
              help="Fold BatchNorm / activations into convolutions, or merge concat+shuffle+split (mac only).")
@click.option("--depth", type=int, default=None, metavar="N",
              help="A tree of scopes down to depth N (stages, blocks, layers), each with its subtotal.")
@click.option("--columns", default=None, metavar="NAME,...",
              help="The columns to show, in order (e.g. name,flops,mac,flops%); 'all' for every one.")
@click.option("--width", type=int, default=TEXT_WIDTH, show_default=True, metavar="CHARS",
              help="text: leave out low-priority columns until the table fits; 0 for no limit.")
@click.option("--bytes-per-element", "bytes_per_element", default="4", show_default=True, metavar="BYTES",
              help="Bytes per tensor element for mac_bytes (4 float32, 2 float16, 1 int8, 0.5 int4).")
@click.option("--assume", "assumptions", multiple=True, metavar="NAME=integer|real|NAME>=NUMBER",
              help="Say what a symbol of -s is: integer (a whole-number parameter's default), real (any "
                   "positive number; a ratio's default), or at least a number (alpha>=1/4 resolves "
                   "max(floor(32*alpha), 8)).")
@click.option("--relax", is_flag=True, default=False,
              help="Drop rounding rules for symbolic values (channels width*c, sizes n/stride): closed forms "
                   "to hold against a paper's.")
@click.option("--device", default=None, metavar="NAME|FILE",
              help="Add each layer's predicted time, its share and the total on a device: cpu or gpu (the "
                   "roofline peaks), this (the machine 'costmodel calibrate' measured) or a device file.")
@allow_unknown_option
def table(target, settings, fmt, by, convention, fuse, depth, columns, width, bytes_per_element, assumptions,
          relax, allow_unknown, device):
    """Layer table of TARGET, a zoo name (see 'costmodel list'), a spec file or an ONNX file.

    Symbols in -s values are positive; in a whole-number parameter (resolution, channels) integers too, so
    -s resolution=32*k makes k a positive integer and every size a multiple of k, without floor;
    --assume k=real says otherwise (the floors then stay); --assume alpha>=1/4 resolves what that bound
    decides (max(floor(32*alpha), 8) is floor(32*alpha)).
    """
    from ..analysis import analyze
    from ..dims import relaxed
    from ..progress import stage
    from ..render import render
    from ..report import table as make_table
    from .progress import showing_progress
    from .settings import parse_assumptions, parse_bytes, parse_settings

    bytes_per_element = parse_bytes(bytes_per_element)
    for flag, value in (("--depth", depth), ("--width", width)):
        if value is not None and value < 0:
            raise click.UsageError(f"{flag} must be 0 or more, got {value}")
    if depth is not None and by != "layer":
        raise click.UsageError(f"--depth applies to the layer table, not to --by {by}")
    if columns is not None and fmt == "json":
        raise click.UsageError("--columns does not apply to --format json, whose rows carry every field; use csv")
    if device is not None and (by == "stage" or depth is not None):
        raise click.UsageError("--device applies to the layer table and --by op, not to --by stage or --depth")
    from .measure_command import load_named_device

    chosen_device = load_named_device(device)
    chosen = find_target(target, allow_unknown)
    kinds, bounds = parse_assumptions(assumptions)
    values = parse_settings(settings, chosen, kinds, bounds)
    with showing_progress():
        with pointing_at_the_flag(), relaxed(relax), stage("building"):
            graph, groups = build_listing_unknown(chosen, values)
        analysis = analyze(graph, convention, fuse)
        rows = make_table(analysis, by, depth=depth, bytes_per_element=bytes_per_element, at_least=bounds,
                          intensity=fmt != "json")
        if chosen_device is not None:
            from ..device.tables import with_times

            rows = with_times(rows, analysis, chosen_device.predict(graph))
        with naming_the_flag("--columns"):
            text = render(rows, fmt, name=chosen.name, parameters=chosen.values(**values), convention=convention,
                          columns=columns, width=width or None)
    click.echo(with_unknown(text, fmt, groups))
    if fmt in ("csv", "latex"):
        echo_unknown(groups)
