"""``costmodel export TARGET -o net.onnx [-s NAME=VALUE]... [--weights random|zero] [--no-weights]``."""
from __future__ import annotations

import click

from ..errors import UsageError


@click.command()
@click.argument("target")
@click.option("-o", "--output", "output", required=True, metavar="PATH",
              help="The ONNX file to write ('costmodel table PATH' reads it back; Netron shows it).")
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="Set a parameter; every size must be a number (symbols cannot be exported).")
@click.option("--weights", type=click.Choice(["random", "zero"]), default="random", show_default=True,
              help="Weight values: random (seeded, scaled by fan-in) or all zero.")
@click.option("--no-weights", "no_weights", is_flag=True,
              help="Write no weight values: each weight is a graph input of its shape (a small file for Netron).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Picks the random weights (a whole number, 0 or more).")
@click.option("--batch", "batch", default=None, metavar="N|NAME",
              help="Batch size to write (a number, default the network's), or a name such as N for a symbolic "
                   "batch dimension.")
def export(target, output, settings, weights, no_weights, seed, batch):
    """Write TARGET (a zoo name, a spec file or an ONNX file) as an ONNX model, opset 17, checked with
    onnx.checker; node names are the layers' names ('<layer>/<part>' for the helpers of a layer written as
    several ONNX nodes), and 'costmodel table' reads it back to the same table."""
    from ..onnx.export import export as write
    from ..onnx.export import output_path
    from ..progress import stage
    from ..targets import target as find
    from .progress import showing_progress
    from .settings import parse_settings

    output_path(output, "-o")
    chosen = find(target)
    values = parse_settings(settings, chosen)
    if batch is not None:
        if batch.isdigit() and int(batch) >= 1:
            batch = int(batch)
        elif not batch.isidentifier():
            raise UsageError(f"--batch {batch}: give a positive whole number or a name such as N")
    with showing_progress():
        with stage("building"):
            graph = chosen.build(**values)
        write(graph, output, weights=None if no_weights else weights, seed=seed, batch=batch)
    click.echo(f"wrote {output} ({len(graph)} layers, opset 17, "
               f"{'no weights' if no_weights else weights + ' weights'})")
