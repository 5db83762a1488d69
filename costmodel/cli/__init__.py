"""The ``costmodel`` command: click commands over the library, the only place that parses command-line text.

One module per command or family (:mod:`.table_command`: list and table; :mod:`.derive_command`;
:mod:`.plot_command`; :mod:`.sweep_command`); :mod:`.settings` reads ``-s`` and ``--grid`` into typed
values. Every number comes from the analysis. Bad input of any kind ends in one line on stderr and exit
status 2, never a traceback.
"""
from __future__ import annotations

import os
import sys

import click

from .. import __version__
from ..errors import CostModelError
from .derive_command import derive
from .plot_command import plot
from .sweep_command import sweep
from .table_command import list_architectures, table


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


for _command in (list_architectures, table, derive, plot, sweep):
    main.add_command(_command)

__all__ = ["main"]
