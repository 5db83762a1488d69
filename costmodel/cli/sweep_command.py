"""``costmodel sweep TARGET --grid NAME=START:STOP:STEP ...``: totals over a grid, compiled once
(``costmodel.numeric``). Errors are ``UsageError`` (one line, exit 2)."""
from __future__ import annotations

import json

import click

from ..analysis import CONVENTIONS, FUSIONS
from ..errors import UsageError
from .completion import complete_target
from .unknown import allow_unknown_option


@click.command("sweep")
@click.argument("target", shell_complete=complete_target)
@click.option("--grid", "grids", multiple=True, required=True, metavar="NAME=START:STOP:STEP",
              help="A parameter's values, STOP included when it lands on the grid (exact decimal steps).")
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE", help="Hold a parameter fixed.")
@click.option("--format", "fmt", type=click.Choice(("csv", "json")), default="csv", show_default=True,
              help="csv: one row per grid point; json: the grid and the same points as objects.")
@click.option("--convention", type=click.Choice(CONVENTIONS), default="paper", show_default=True,
              help="paper: flops of convolutions and fully connected layers only; all: every op.")
@click.option("--fuse", multiple=True, type=click.Choice(FUSIONS), help="Fusion switches (mac only).")
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr (default: on a tty).")
@allow_unknown_option
def sweep(target, grids, settings, fmt, convention, fuse, progress, allow_unknown):
    """Totals (flops, params, mac) of TARGET at every point of the grid, compiled once."""
    from ..numeric import COLUMNS, compile_sweep, iter_sweep, output_value
    from .settings import parse_grids, parse_settings
    from .unknown import echo_unknown, find_target, listed_unknown, pointing_at_the_flag

    chosen = find_target(target, allow_unknown)
    grid = parse_grids(grids, chosen)
    values = parse_settings(settings, chosen)
    for name in grid:
        if name in values:
            raise UsageError(f"{name} is both set (-s) and swept (--grid)")
    with pointing_at_the_flag():
        echo_unknown(listed_unknown(chosen, values))
        plan = compile_sweep(chosen, grid, values=values, convention=convention, fuse=fuse, progress=progress)
    shown = {n: [output_value(v) for v in plan.values[n]] for n in plan.names}
    header = list(plan.names) + list(COLUMNS)

    def chunks():  # rows chunk by chunk, so memory stays bounded for CSV
        for part in iter_sweep(plan, progress=progress):
            index = [part[n + "_index"].tolist() for n in plan.names]
            totals = [part[c].tolist() for c in COLUMNS]
            yield [[shown[n][index[k][i]] for k, n in enumerate(plan.names)] + [t[i] for t in totals]
                   for i in range(len(totals[0]))]

    if fmt == "csv":
        click.echo(",".join(header))
        for rows in chunks():
            click.echo("\n".join(",".join(map(str, row)) for row in rows))
    else:  # streamed like CSV: the document is written point by point, never held whole
        head = json.dumps({"name": target, "convention": convention, "grid": shown}, indent=1)
        click.echo(head[:-2] + ',\n "points": [', nl=False)
        first = True
        for rows in chunks():
            parts = []
            for row in rows:
                parts.append(("\n  " if first else ",\n  ") + json.dumps(dict(zip(header, row))))
                first = False
            click.echo("".join(parts), nl=False)
        click.echo("\n ]\n}")
