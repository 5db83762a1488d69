"""``costmodel sweep TARGET --grid NAME=START:STOP:STEP ...``: totals over a grid, compiled (see numeric.py).

The lead registers it with ``main.add_command(sweep)``; errors are :class:`UsageError` (one line, exit 2).
"""
from __future__ import annotations

import json
import re
from fractions import Fraction

import click

from .analysis import CONVENTIONS, FUSIONS
from .errors import UsageError

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
MAX_POINTS = 10 ** 7  # values per grid axis


def _number(text: str, what: str) -> Fraction:
    try:
        return Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        raise UsageError(f"--grid {what}: {text!r} is not a number") from None


def parse_grid(spec: str) -> tuple[str, list]:
    """``width=0.25:2.0:0.05`` -> ``("width", [1/4, 3/10, ..., 2])`` (exact; STOP included when on the grid).
    Also ``NAME=VALUE`` (one value) and ``NAME=V1,V2,...`` (a list)."""
    name, sep, text = spec.partition("=")
    name = name.strip()
    if not sep or not _NAME.match(name) or not text.strip():
        raise UsageError(f"--grid expects NAME=START:STOP:STEP, got {spec!r}")
    if ":" not in text:
        values = [_number(v, name) for v in text.split(",")]
    else:
        parts = text.split(":")
        if len(parts) != 3:
            raise UsageError(f"--grid {name}: expected START:STOP:STEP, got {text!r}")
        start, stop, step = (_number(p, name) for p in parts)
        if step <= 0:
            raise UsageError(f"--grid {name}: STEP must be positive, got {parts[2]}")
        if stop < start:
            raise UsageError(f"--grid {name}: STOP {parts[1]} is below START {parts[0]}")
        count = int((stop - start) // step) + 1
        if count > MAX_POINTS:
            raise UsageError(f"--grid {name}: {count} values is too many (at most {MAX_POINTS})")
        values = [start + k * step for k in range(count)]
    return name, [v.numerator if v.denominator == 1 else v for v in values]


@click.command("sweep")
@click.argument("target")
@click.option("--grid", "grids", multiple=True, required=True, metavar="NAME=START:STOP:STEP",
              help="A parameter's values, STOP included when it lands on the grid (exact decimal steps).")
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE", help="Hold a parameter fixed.")
@click.option("--format", "fmt", type=click.Choice(("csv", "json")), default="csv", show_default=True)
@click.option("--convention", type=click.Choice(CONVENTIONS), default="paper", show_default=True)
@click.option("--fuse", multiple=True, type=click.Choice(FUSIONS), help="Fusion switches (mac only).")
@click.option("--progress/--no-progress", default=None, help="Progress bar on stderr (default: on a tty).")
def sweep(target, grids, settings, fmt, convention, fuse, progress):
    """Totals (flops, params, mac) of TARGET at every point of the grid, compiled once."""
    from .numeric import COLUMNS, compile_sweep, iter_sweep, show_value
    from .targets import parse_settings

    grid: dict[str, list] = {}
    for spec in grids:
        name, values = parse_grid(spec)
        if name in grid:
            raise UsageError(f"--grid {name} given twice")
        grid[name] = values
    plan = compile_sweep(target, grid, settings=parse_settings(settings), convention=convention, fuse=fuse,
                         progress=progress)
    shown = {n: [show_value(v) for v in plan.values[n]] for n in plan.names}
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
    else:
        document = {"name": target, "convention": convention, "grid": shown,
                    "points": [dict(zip(header, row)) for rows in chunks() for row in rows]}
        click.echo(json.dumps(document, indent=1))
