"""``costmodel derive [NAME]``: the papers' closed forms, each checked by sympy."""
from __future__ import annotations

import click

from ..errors import CostModelError


@click.command()
@click.argument("name", required=False)
def derive(name):
    """List the derivations, or show derivation NAME checked by sympy."""
    from ..derivations import DERIVATIONS, derive as run

    if name is None:
        width = max(len(n) for n in DERIVATIONS)
        for key, builder in DERIVATIONS.items():
            click.echo(f"{key.ljust(width)}  {builder.__doc__.strip().splitlines()[0].replace('``', '')}")
        return
    result = run(name)
    click.echo(result.text())
    if not result.holds:
        raise CostModelError(f"derivation {name} does not hold")
