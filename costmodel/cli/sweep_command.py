"""``costmodel sweep TARGET --grid NAME=START:STOP:STEP ...``: totals over a grid (``costmodel.numeric``),
written as CSV or JSON chunk by chunk. Errors are UsageError (one line, exit 2)."""
from __future__ import annotations

import click

from ..analysis import CONVENTIONS, FUSIONS
from ..errors import UsageError
from .completion import complete_target
from .unknown import allow_unknown_option


@click.command("sweep")
@click.argument("target", shell_complete=complete_target)
@click.option("--grid", "grids", multiple=True, required=True, metavar="NAME=START:STOP:STEP",
              help="A parameter's values, STOP included when it lands on the grid (exact decimal steps); "
                   "or NAME=V1,V2,... Rows vary the last --grid fastest.")
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE", help="Hold a parameter fixed.")
@click.option("--format", "fmt", type=click.Choice(("csv", "json")), default="csv", show_default=True,
              help="csv: one row per grid point; json: the grid and the same points as objects.")
@click.option("--convention", type=click.Choice(CONVENTIONS), default="paper", show_default=True,
              help="paper: flops of convolutions and fully connected layers only; all: every op.")
@click.option("--fuse", multiple=True, type=click.Choice(FUSIONS), help="Fusion switches (mac only).")
@click.option("--method", type=click.Choice(("auto", "pointwise", "factored")), default="auto", show_default=True,
              help="pointwise: build every point; factored: build once with symbols and combine per-group "
                   "factors; auto: the faster for the grid.")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar with an estimate on stderr (default: when stderr is a terminal and the rows go "
                   "to a file or a pipe).")
@allow_unknown_option
def sweep(target, grids, settings, fmt, convention, fuse, method, progress, allow_unknown):
    """Totals (flops, params, mac) of TARGET at every point of the grid, exactly."""
    from ..numeric import plan_sweep
    from ..numeric.output import csv_chunks, json_chunks
    from .progress import ProgressBar
    from .settings import parse_grids, parse_settings
    from .unknown import echo_unknown, find_target, listed_unknown, pointing_at_the_flag

    chosen = find_target(target, allow_unknown)
    grid = parse_grids(grids, chosen)
    values = parse_settings(settings, chosen)
    for name in grid:
        if name in values:
            raise UsageError(f"{name} is both set (-s) and swept (--grid)")
    bar = ProgressBar(enabled=progress if progress is not None else None if not _stdout_is_terminal() else False)
    try:
        with pointing_at_the_flag():
            echo_unknown(listed_unknown(chosen, values))
            planned = plan_sweep(chosen, grid, values=values, convention=convention, fuse=fuse, method=method,
                                 progress=bar)
        chunk = 1 << 16
        chunks = csv_chunks(planned, chunk) if fmt == "csv" else json_chunks(planned, chunk, target, convention)
        for text in chunks:
            click.echo(text, nl=False)
    finally:
        bar.close()


def _stdout_is_terminal() -> bool:
    """Rows going to the terminal the bar would be drawn on: no bar then (the rows show the progress)."""
    import sys

    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False
