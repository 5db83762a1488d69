"""The command line: CliRunner for output, a subprocess for the one-line, exit-2 error contract."""
import subprocess
import sys

import pytest
from click.testing import CliRunner

from costmodel.cli import main
from costmodel.derivations import DERIVATIONS


def cli(*args):
    return subprocess.run([sys.executable, "-m", "costmodel", *args], capture_output=True, text=True, timeout=60)


def test_derive_lists_every_derivation():
    result = CliRunner().invoke(main, ["derive"])
    assert result.exit_code == 0
    assert [line.split()[0] for line in result.output.splitlines()] == list(DERIVATIONS)


def test_derive_mac_bound_prints_bound_and_equality():
    result = CliRunner().invoke(main, ["derive", "mac-bound"])
    assert result.exit_code == 0
    assert "bound 2*sqrt(h*w*B) + B/(h*w) = 2*sqrt(c1)*sqrt(c2)*h*w + c1*c2" in result.output
    assert "equality when c2" in result.output and "= c1" in result.output
    assert "FAILED" not in result.output


@pytest.mark.parametrize("args,needle", [
    (["derive", "nope"], "no derivation named 'nope'"),
    (["derive", "mac-bound", "extra"], "unexpected extra argument"),
    (["frobnicate"], "No such command 'frobnicate'"),
])
def test_bad_command_lines_give_one_line_and_exit_2(args, needle):
    done = cli(*args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert needle in done.stderr


def test_python_m_and_version():
    done = cli("--version")
    assert done.returncode == 0 and done.stdout.startswith("costmodel ")
