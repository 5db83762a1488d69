"""Progress of long commands: the library's stages (costmodel.progress) and the bar that draws them.

The bar is tested through a fake terminal; what is counted is checked against the graph itself (one
``building`` step per node added, one ``analysing`` step per node analysed)."""
from __future__ import annotations

import io
import sys

import pytest
from click.testing import CliRunner

import costmodel as cm
from costmodel.analysis import analyze
from costmodel.cli import main as cli
from costmodel.cli.progress import ProgressBar, line, showing_progress
from costmodel.compare import compare
from costmodel.conventions import TOOLS
from costmodel.progress import count, reporting, stage


class Recorder:
    def __init__(self):
        self.calls = []

    def __call__(self, name, done, total):
        self.calls.append((name, done, total))

    def last(self, name):
        return [c for c in self.calls if c[0] == name][-1]

    def stages(self):
        return list(dict.fromkeys(c[0] for c in self.calls))


def test_nothing_is_told_without_a_listener():
    with stage("analysing", 3) as step:
        step()  # a no-op: nobody listens
    count("building")


def test_a_stage_counts_its_steps_and_ends_at_its_total():
    heard = Recorder()
    with reporting(heard), stage("work", 4) as step:
        step()
        step(2)
    assert heard.calls == [("work", 0, 4), ("work", 1, 4), ("work", 3, 4), ("work", 4, 4)]


def test_inner_stages_are_quiet_unless_they_share_the_name():
    heard = Recorder()
    with reporting(heard), stage("outer", 2) as outer:
        with stage("inner", 5) as inner:
            inner()
        with stage("outer") as same:
            same()
        outer()
    assert heard.stages() == ["outer"]
    assert heard.calls[-1] == ("outer", 2, 2)


def test_building_counts_every_node_added():
    heard = Recorder()
    with reporting(heard), stage("building"):
        graph = cm.load("mobilenet_v2")
    assert heard.last("building") == ("building", len(graph.nodes), None)


def test_analysing_counts_every_node():
    graph = cm.load("resnet18")
    heard = Recorder()
    with reporting(heard):
        analyze(graph)
    assert heard.calls[0] == ("analysing", 0, len(graph.nodes))
    assert heard.last("analysing") == ("analysing", len(graph.nodes), len(graph.nodes))


def test_compare_is_one_analysing_stage_over_every_convention():
    graph = cm.load("squeezenet1_1")
    heard = Recorder()
    with reporting(heard):
        compare(graph)
    total = (1 + len(TOOLS)) * len(graph.nodes)
    assert heard.stages() == ["analysing"]
    assert heard.last("analysing") == ("analysing", total, total)


def test_a_table_reports_building_analysing_tabulating():
    heard = Recorder()
    with reporting(heard):
        graph = cm.load("shufflenet_v2")
        cm.table(analyze(graph))
    assert heard.stages() == ["analysing", "tabulating"]
    assert heard.last("tabulating") == ("tabulating", len(graph.nodes), len(graph.nodes))


def test_bar_line_without_a_known_total_shows_count_and_rate():
    assert line("building", 300, None, 2.0) == "building 300 150/s"


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_bar_erased_at_the_end_when_output_follows():
    terminal = Terminal()
    clock = iter(range(100))
    bar = ProgressBar(stream=terminal, delay=0, clock=lambda: next(clock))
    bar("analysing", 5, 10)
    bar.close(keep=False)
    assert terminal.getvalue().endswith("\r\x1b[K")
    assert "analysing [############" in terminal.getvalue()


def test_showing_progress_draws_nothing_off_a_terminal(monkeypatch):
    pipe = io.StringIO()
    monkeypatch.setattr(sys, "stderr", pipe)
    with showing_progress():
        cm.table(analyze(cm.load("mobilenet_v1")))
    assert pipe.getvalue() == ""


@pytest.mark.parametrize("arguments", [
    ["table", "resnet18", "-s", "resolution=r"],
    ["compare", "mobilenet_v2"],
    ["plot", "scaling", "mobilenet_v2", "-o", "{tmp}/scaling.png"],
])
def test_commands_print_no_progress_when_not_on_a_terminal(arguments, tmp_path):
    arguments = [a.replace("{tmp}", str(tmp_path)) for a in arguments]
    result = CliRunner().invoke(cli, arguments)
    assert result.exit_code == 0, result.output
    assert "\r" not in result.output and "\x1b[K" not in result.output
