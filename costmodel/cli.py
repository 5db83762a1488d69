"""The ``costmodel`` command: a thin click layer over the library; every number comes from the analysis.

Bad input of any kind ends in one line on stderr and exit status 2, never a traceback.
"""
from __future__ import annotations

import sys

import click

from . import __version__
from .errors import CostModelError


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
        sys.exit(0)


def _fail(message: str) -> None:
    click.echo("costmodel: error: " + " ".join(str(message).split()), err=True)
    sys.exit(2)


@click.group(cls=_Group, no_args_is_help=True)
@click.version_option(__version__, message="costmodel %(version)s")
def main():
    """Analytic cost model of convolutional networks: flops (multiply-adds), params and mac (memory access
    cost), per layer and in total, exact or in closed form."""


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
