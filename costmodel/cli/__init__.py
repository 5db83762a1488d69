"""The ``costmodel`` command: click commands over the library, the only place that parses command-line text.

One module per command or family (``table_command``: list and table; ``derive_command``; ``plot_command``;
``sweep_command``; ``convert_command``; ``export_command``; ``measure_command``: measure and calibrate); ``settings``
reads ``-s`` and ``--grid`` into typed
values. Every number comes from the analysis. Bad input of any kind ends in one line on stderr and exit
status 2, never a traceback.
"""
from __future__ import annotations

import errno
import os
import sys
import warnings

import click

from .. import __version__
from ..errors import CostModelError
from .check_command import check
from .compare_command import compare
from .convert_command import convert
from .derive_command import derive
from .export_command import export
from .measure_command import calibrate, measure
from .plot_command import plot
from .report_command import report
from .sweep_command import sweep
from .table_command import list_architectures, table


class _Group(click.Group):
    """Turns every ending into its exit status and at most one line on stderr.

    * our errors and click's usage errors: ``costmodel: error: ...``, status 2 (bad input);
    * the output cannot be written (a full disk, a closed terminal): one line, status 1 (not the input's
      fault); a reader that stops early (``costmodel list | head -1``): silence, status 0, as it got what
      it asked for;
    * Ctrl-C: ``costmodel: interrupted``, status 130 (128 + SIGINT);
    * a bug: ``costmodel: error: internal error: ...``, status 1; the traceback only with ``COSTMODEL_DEBUG``
      set to 1, true or yes.

    numpy's floating-point warnings are kept off stderr: a value that overflows is refused by a limit first.
    """

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except BrokenPipeError:  # click would turn it into a silent exit status 1
            raise _ReaderGone() from None
        except KeyboardInterrupt:  # click would print an empty line first
            raise _Interrupted() from None

    def main(self, args=None, prog_name=None, **extra):
        extra.pop("standalone_mode", None)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                super().main(args=args, prog_name=prog_name or "costmodel", standalone_mode=False, **extra)
                sys.stdout.flush()  # a full disk or a closed pipe shows here, while we can still say so
        except click.exceptions.NoArgsIsHelpError as shown:
            click.echo(shown.ctx.get_help() if shown.ctx else str(shown))
            sys.exit(0)
        except click.UsageError as error:
            _fail(error.format_message())
        except click.ClickException as error:
            _fail(error.format_message())
        except CostModelError as error:
            _fail(str(error))
        except (click.exceptions.Abort, KeyboardInterrupt, _Interrupted):
            _quiet_stdout()
            click.echo("costmodel: interrupted", err=True)
            sys.exit(130)
        except click.exceptions.Exit as done:
            sys.exit(done.exit_code)
        except (BrokenPipeError, _ReaderGone):
            _quiet_stdout()
            sys.exit(0)
        except OSError as error:
            if error.errno not in _OUTPUT_ERRNOS:
                _internal(error)
            _quiet_stdout()
            _fail(f"cannot write the output: {error.strerror or error}", status=1)
        except Exception as error:  # a bug, not bad input: one line, the traceback only on request
            _internal(error)
        sys.exit(0)


class _ReaderGone(Exception):
    """The reader of our output closed the pipe early."""


class _Interrupted(Exception):
    """Ctrl-C while a command ran."""


_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EPIPE, errno.EIO, errno.EDQUOT, errno.EFBIG, errno.EBADF}


def debugging() -> bool:
    """``COSTMODEL_DEBUG`` asks for tracebacks when it is 1, true or yes (0, false, no or empty do not)."""
    return os.environ.get("COSTMODEL_DEBUG", "").strip().lower() in ("1", "true", "yes")


def _internal(error: BaseException) -> None:
    if debugging():
        raise error
    _fail(f"internal error: {type(error).__name__}: {error} (set COSTMODEL_DEBUG=1 for the traceback and please "
          f"report it)", status=1)


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush of unwritable output says nothing."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file behind stdout (a test runner's buffer)
        pass


def _fail(message: str, status: int = 2) -> None:
    try:
        click.echo("costmodel: error: " + " ".join(str(message).split()), err=True)
    except OSError:  # stderr is gone too: the status still says it
        pass
    sys.exit(status)


HELP_OPTIONS = ["-h", "--help"]


@click.group(cls=_Group, no_args_is_help=True, context_settings={"help_option_names": HELP_OPTIONS})
@click.version_option(__version__, message="costmodel %(version)s")
def main():
    """Analytic cost model of convolutional networks: flops (multiply-adds), params and mac (memory access
    cost), per layer and in total, exact or in closed form."""


for _command in (list_architectures, table, check, compare, convert, export, derive, plot, report, sweep, measure,
                 calibrate):
    # each command carries -h itself: click remembers a command's help option the first time it is asked,
    # so a command invoked on its own (a test's group, a docs hook) would otherwise lose -h for good
    _command.context_settings = {"help_option_names": HELP_OPTIONS, **_command.context_settings}
    main.add_command(_command)

__all__ = ["main"]
