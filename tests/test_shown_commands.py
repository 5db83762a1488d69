"""Every command shown on the home page (docs/index.md), the guidelines page (docs/guidelines.md) and in
README.md prints the output shown under it.

The pages show commands in ``console`` blocks: a line ``$ costmodel ...`` and, under it, what it prints. Each
command runs here (``costmodel``'s click entry point, in a fresh directory holding the files the page asks the reader
to save, such as ``my_net.yaml``), and its stdout must equal the lines shown; a line ``...`` stands for any
number of lines (long output is cut on the page). A ``costmodel`` command in a block without its output
fails too, so no command is shown without what it prints.

After a deliberate change of output, refresh the pages with
``PYTHONPATH=. python tests/test_shown_commands.py --update`` (it keeps each ``...`` cut) and read the diff.
"""
from __future__ import annotations

import os
import re
import shlex
import sys
import tempfile
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", ROOT / "docs" / "index.md", ROOT / "docs" / "guidelines.md"]
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```\n", re.S | re.M)
SAVED = re.compile(r"Save this as `([^`/]+)`:\s*\n\s*```\w*\n(.*?)^```", re.S | re.M)
CUT = "..."


class Ran(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


def shown(page: Path) -> list[tuple[int, str, list[str]]]:
    """The page's commands: (line number, command, output lines shown), in page order."""
    text = page.read_text()
    found = []
    for block in BLOCK.finditer(text):
        if block.group(1) != "console":
            continue
        first_line = text.count("\n", 0, block.start(2)) + 1
        for offset, line in enumerate(block.group(2).splitlines()):
            if line.startswith("$ "):
                found.append((first_line + offset, line[2:], []))
            elif found and found[-1][0] >= first_line:
                found[-1][2].append(line)
    return found


def saved_files(page: Path) -> dict[str, str]:
    return {name: body for name, body in SAVED.findall(page.read_text())}


def run(command: str, cwd: Path) -> Ran:
    """Run ``command`` as ``costmodel`` would from ``cwd`` (in this process, through click's test runner: the
    same entry point, without an interpreter start per command)."""
    from click.testing import CliRunner

    from costmodel.cli import main

    words = shlex.split(command)
    assert words[0] == "costmodel", f"only costmodel commands are run: {command}"
    before = os.getcwd()
    os.chdir(cwd)
    try:
        done = CliRunner().invoke(main, words[1:], prog_name="costmodel")
    finally:
        os.chdir(before)
    return Ran(done.exit_code, done.stdout, done.stderr if done.stderr_bytes is not None else "")


def matches(expected: list[str], actual: list[str]) -> bool:
    """``actual`` equals ``expected`` line by line (trailing spaces aside), a ``...`` line matching any run."""
    if not expected:
        return not actual
    if expected[0] == CUT:
        return any(matches(expected[1:], actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and actual[0].rstrip() == expected[0].rstrip() and matches(expected[1:], actual[1:])


def results(page: Path):
    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        for name, body in saved_files(page).items():
            (cwd / name).write_text(body)
        for line, command, output in shown(page):
            yield line, command, output, run(command, cwd)


def test_the_pages_show_commands():
    for page in PAGES:
        assert len(shown(page)) >= 5, page


def test_every_costmodel_command_shown_has_its_output():
    for page in PAGES:
        text = page.read_text()
        for block in BLOCK.finditer(text):
            if block.group(1) in ("sh", "bash", "shell", ""):
                bare = [line for line in block.group(2).splitlines() if re.search(r"(^|&& )costmodel ", line)
                        and not line.startswith("pip install ")]
                assert bare == [], f"{page.name}: show these in a console block with their output: {bare}"


def test_every_shown_command_prints_what_the_page_shows():
    wrong = []
    for page in PAGES:
        for line, command, output, done in results(page):
            if done.returncode != 0 or not output or not matches(output, done.stdout.splitlines()):
                wrong.append(f"{page.name}:{line}: $ {command} (exit {done.returncode})\n{done.stderr}"
                             f"{done.stdout[:2000]}")
    assert wrong == [], "\n".join(wrong) + "\nrefresh: PYTHONPATH=. python tests/test_shown_commands.py --update"


def test_the_matcher_fails_on_a_difference():
    assert matches(["a", CUT, "z"], ["a", "b", "c", "z"]) and matches(["a", CUT], ["a"])
    assert not matches(["a", "b"], ["a", "c"]) and not matches(["a"], ["a", "b"]) and not matches(["a", CUT, "z"], ["a"])


def update(page: Path) -> None:
    """Rewrite each command's output in ``page`` with what it prints now, keeping the shown head and tail
    around a ``...`` cut."""
    lines = page.read_text().splitlines()
    replacements = []
    for line, command, output, done in results(page):
        actual = done.stdout.splitlines()
        if CUT in output:
            head, tail = output.index(CUT), len(output) - output.index(CUT) - 1
            actual = actual[:head] + [CUT] + (actual[-tail:] if tail else [])
        replacements.append((line, len(output), actual))
    for line, count, actual in reversed(replacements):
        lines[line:line + count] = actual
    page.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: PYTHONPATH=. python tests/test_shown_commands.py --update")
    for each in PAGES:
        update(each)
        print(f"updated {each.relative_to(ROOT)}")
