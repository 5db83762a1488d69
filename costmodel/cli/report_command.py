"""``costmodel report TARGET -o FILE [-s NAME=VALUE]... [--device NAME|FILE]``: one self-contained HTML page
(``costmodel.page.report_page``)."""
from __future__ import annotations

import os
from pathlib import Path

import click

from ..errors import UsageError
from ..values import show
from .completion import complete_target


@click.command()
@click.argument("target", shell_complete=complete_target)
@click.option("-o", "--output", required=True, metavar="FILE",
              help="The HTML file to write (one file: opens offline, fetches nothing).")
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="Set a parameter or symbol; a symbol name keeps it symbolic (the page then shows closed "
                   "forms, and no charts or guideline check).")
@click.option("--device", default=None, metavar="NAME|FILE",
              help="Add each layer's predicted time and place the roofline on a device: cpu or gpu (the "
                   "roofline peaks), this (the machine 'costmodel calibrate' measured) or a device file.")
@click.option("--assume", "assumptions", multiple=True, metavar="NAME=integer|real|NAME>=NUMBER",
              help="Say what a symbol of -s is, as 'costmodel table --assume' takes (alpha>=1/4 resolves "
                   "max(floor(32*alpha), 8)).")
@click.option("--relax", is_flag=True, default=False,
              help="Drop rounding rules for symbolic values (channels width*c, sizes n/stride): readable "
                   "closed forms.")
def report(target, output, settings, device, assumptions, relax):
    """One HTML page of TARGET (a zoo name, a spec file or an ONNX file): summary, stage table, the layer
    tree (sortable, filterable), charts, guideline findings and a diagram of each block."""
    from .measure_command import load_named_device
    from .progress import showing_progress
    from ..dims import relaxed
    from .settings import parse_assumptions, parse_settings
    from .unknown import find_target, pointing_at_the_flag

    if Path(output).is_dir() or output.endswith(("/", os.sep)):
        raise UsageError(f"report output {show(output, limit=80)} is a directory; give a file name such as "
                         f"report.html")
    if not Path(output).parent.exists():
        raise UsageError(f"report output {show(output, limit=80)}: no directory {show(str(Path(output).parent))}")
    chosen_device = load_named_device(device)
    chosen = find_target(target, False)
    kinds, bounds = parse_assumptions(assumptions)
    values = parse_settings(settings, chosen, kinds, bounds)
    import matplotlib

    matplotlib.use("Agg")  # the command writes a file and needs no display; the library never chooses a backend
    from ..page import report_page

    with showing_progress():
        with pointing_at_the_flag(), relaxed(relax):
            graph = chosen.build(**values)
        text = report_page(graph, name=chosen.name, parameters=chosen.values(**values), device=chosen_device,
                           at_least=bounds)
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot write report output {show(output, limit=80)}: {error.strerror or error}") from None
    click.echo(f"wrote {output}")
