"""The ``costmodel`` command: a thin click layer over the library; every number comes from the analysis.

Bad input of any kind ends in one line on stderr and exit status 2, never a traceback.
"""
from __future__ import annotations

import os
import sys

import click

from . import __version__
from .analysis import CONVENTIONS, FUSIONS
from .errors import CostModelError
from .render import FORMATS
from .report import GROUPINGS


class _Group(click.Group):
    """Turns click's usage errors and our own errors into one line on stderr, exit status 2."""

    def main(self, args=None, prog_name=None, **extra):
        extra.pop("standalone_mode", None)
        try:
            return super().main(args=args, prog_name=prog_name or "costmodel", standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as shown:
            click.echo(shown.ctx.get_help() if shown.ctx else str(shown))
            sys.exit(0)
        except click.UsageError as error:
            _fail(error.format_message())
        except click.ClickException as error:
            _fail(error.format_message())
        except CostModelError as error:
            _fail(str(error))
        except click.exceptions.Abort:
            _fail("aborted")
        except click.exceptions.Exit as done:
            sys.exit(done.exit_code)
        except BrokenPipeError:
            sys.exit(0)
        except Exception as error:  # a bug, not bad input: one line, the traceback only on request
            if os.environ.get("COSTMODEL_DEBUG"):
                raise
            _fail(f"internal error: {type(error).__name__}: {error} (set COSTMODEL_DEBUG=1 for the traceback "
                  f"and please report it)", status=1)
        sys.exit(0)


def _fail(message: str, status: int = 2) -> None:
    click.echo("costmodel: error: " + " ".join(str(message).split()), err=True)
    sys.exit(status)


@click.group(cls=_Group, no_args_is_help=True)
@click.version_option(__version__, message="costmodel %(version)s")
def main():
    """Analytic cost model of convolutional networks: flops (multiply-adds), params and mac (memory access
    cost), per layer and in total, exact or in closed form."""


@main.command(name="list")
def list_architectures():
    """The zoo's architectures, their parameters and defaults."""
    from .zoo import ARCHITECTURES

    width = max(len(name) for name in ARCHITECTURES)
    for name, entry in ARCHITECTURES.items():
        parameters = ", ".join(f"{key}={value}" for key, value in entry.defaults.items())
        click.echo(f"{name.ljust(width)}  {parameters}")
        click.echo(f"{''.ljust(width)}  {entry.summary} [{entry.source}]")
    from .spec import EXAMPLES

    click.echo("\nexample specs shipped with costmodel (costmodel table PATH):")
    for path in sorted(EXAMPLES.glob("*.yaml")):
        click.echo(f"  {path}")


@main.command()
@click.argument("target")
@click.option("-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="Set a parameter or symbol; a symbol name as VALUE keeps it symbolic.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--by", type=click.Choice(GROUPINGS), default="layer", show_default=True,
              help="One row per layer, per stage (the papers' layout) or per op kind.")
@click.option("--convention", type=click.Choice(CONVENTIONS), default="paper", show_default=True,
              help="paper: flops of convolutions and fully connected layers only; all: every op.")
@click.option("--fuse", multiple=True, type=click.Choice(FUSIONS),
              help="Fold BatchNorm / activations into convolutions, or merge concat+shuffle+split (mac only).")
def table(target, settings, fmt, by, convention, fuse):
    """Layer table of TARGET, a zoo name (see 'costmodel list') or a spec file."""
    from .analysis import analyze
    from .render import render
    from .report import table as make_table
    from .targets import parse_settings, resolve

    built = resolve(target, parse_settings(settings))
    analysis = analyze(built.graph, convention, fuse)
    click.echo(render(make_table(analysis, by), fmt, name=built.name, parameters=built.parameters,
                      convention=convention))


@main.command()
@click.argument("name", required=False)
def derive(name):
    """List the derivations, or show derivation NAME checked by sympy."""
    from .derivations import DERIVATIONS, derive as run

    if name is None:
        width = max(len(n) for n in DERIVATIONS)
        for key, builder in DERIVATIONS.items():
            click.echo(f"{key.ljust(width)}  {builder.__doc__.strip().splitlines()[0].replace('``', '')}")
        return
    result = run(name)
    click.echo(result.text())
    if not result.holds:
        raise CostModelError(f"derivation {name} does not hold")


def _register_commands() -> None:
    """Commands whose heavy parts (matplotlib, compiled sweeps) load only when they run."""
    from .plot_command import plot
    from .sweep_command import sweep

    main.add_command(plot)
    main.add_command(sweep)


_register_commands()
