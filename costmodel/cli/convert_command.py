"""``costmodel convert TARGET -o net.yaml [-s NAME=VALUE]...``: any target written as an editable spec."""
from __future__ import annotations

import os

import click

from ..errors import UsageError


@click.command()
@click.argument("target")
@click.option("-o", "--output", "output", required=True, metavar="PATH",
              help="The spec file to write (YAML; 'costmodel table PATH' reads it back).")
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="Set a parameter or symbol; a symbol name (or an expression in symbols) keeps it symbolic.")
def convert(target, output, settings):
    """Write TARGET (an ONNX file, a zoo name or a spec file) as a spec: one line per layer, scopes as
    blocks, shapes in comments; 'costmodel table' gives the same table for both."""
    from ..progress import stage
    from ..spec import write_spec
    from .progress import showing_progress
    from ..targets import target as find
    from .settings import parse_settings

    if os.path.isdir(output):
        raise UsageError(f"-o {output}: is a directory; give the path of the spec file to write")
    parent = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(parent):
        raise UsageError(f"-o {output}: the folder {parent} does not exist")
    chosen = find(target)
    values = parse_settings(settings, chosen)
    with showing_progress():
        with stage("building"):
            graph = chosen.build(**values)
        text = write_spec(graph)
    try:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        raise UsageError(f"-o {output}: cannot write the spec file ({error.strerror or error})") from None
    click.echo(f"wrote {output} ({len(graph)} layers)")
