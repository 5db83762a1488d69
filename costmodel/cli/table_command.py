"""``costmodel list`` and ``costmodel table TARGET [-s NAME=VALUE]...``."""
from __future__ import annotations

import click

from ..analysis import CONVENTIONS, FUSIONS
from ..render import FORMATS
from ..report import GROUPINGS
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
@click.argument("target")
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
@allow_unknown_option
def table(target, settings, fmt, by, convention, fuse, allow_unknown):
    """Layer table of TARGET, a zoo name (see 'costmodel list'), a spec file or an ONNX file."""
    from ..analysis import analyze
    from ..render import render
    from ..report import table as make_table
    from .settings import parse_settings

    chosen = find_target(target, allow_unknown)
    values = parse_settings(settings, chosen)
    with pointing_at_the_flag():
        graph, groups = build_listing_unknown(chosen, values)
    analysis = analyze(graph, convention, fuse)
    click.echo(with_unknown(render(make_table(analysis, by, intensity=fmt != "json"), fmt, name=chosen.name,
                                   parameters=chosen.values(**values), convention=convention), fmt, groups))
    if fmt in ("csv", "latex"):
        echo_unknown(groups)
