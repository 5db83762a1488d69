"""Tables a person reads: a tree of scopes with subtotals (--depth), chosen columns, 100 characters wide by
default, mac in bytes, stage in CSV, hyper-parameters and nulls in JSON, booktabs said in LaTeX, HTML for
Jupyter, -h on every command and shell completion. Numbers are checked against formulas written here."""
import csv
import io
import json
import re

import markdown
import pytest
from click.testing import CliRunner

import costmodel as cm
from costmodel.cli import main
from costmodel.render import render
from costmodel.report import table


def run(*args, code=0):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == code, result.output
    return result.output


def cells(line):
    return re.split(r"\s{2,}", line.strip())


# He et al. 2016, Table 1: ResNet-50's conv2_x .. conv5_x stages of 3, 4, 6, 3 bottleneck blocks
RESNET50_BLOCKS = {"conv2_x": 3, "conv3_x": 4, "conv4_x": 6, "conv5_x": 3}


def bottleneck(size, width, channels_in):
    """A stride-1 bottleneck block without projection: 1x1 c_in->w, 3x3 w->w, 1x1 w->4w at size x size;
    multiply-adds size^2 (c_in*w + 9*w*w + w*4w), params the convs plus BatchNorm's 2 per channel."""
    flops = size * size * (channels_in * width + 9 * width * width + width * 4 * width)
    params = channels_in * width + 9 * width * width + width * 4 * width + 2 * (width + width + 4 * width)
    return flops, params


def test_resnet50_depth_2_reads_like_torchinfo_stages_then_blocks_with_subtotals():
    out = run("table", "resnet50", "--depth", "2")
    lines = out.splitlines()
    body = lines[2:lines.index(lines[1], 2)]
    names = [line.split()[0] for line in body]
    assert names == ["conv1", "conv1_bn", "conv1_relu", "maxpool"] + [
        n for stage, blocks in RESNET50_BLOCKS.items() for n in [stage] + [f"{stage}.{i}" for i in range(blocks)]
    ] + ["globalpool", "flatten", "fc"]
    blocks = [line for line in body if re.match(r"^  conv\d_x\.\d", line)]  # indented one level
    assert len(blocks) == sum(RESNET50_BLOCKS.values())
    assert max(len(line) for line in lines) <= 100
    assert cells(body[4])[:2] == ["conv2_x", "32 layers"]


def test_depth_subtotals_add_up_and_equal_the_bottleneck_formula():
    analysis = cm.analyze(cm.load("resnet50"))
    rows = table(analysis, depth=2).rows
    by_name = {row["name"]: row for row in rows}
    flops, params = bottleneck(56, 64, 256)  # conv2_x.1: 256 -> 64 -> 64 -> 256 at 56x56
    assert (by_name["conv2_x.1"]["flops"], by_name["conv2_x.1"]["params"]) == (flops, params)
    for depth in (1, 2, 3):
        level = [row for row in table(analysis, depth=depth).rows if row["depth"] == 1]
        assert sum(row["flops"] for row in level) == analysis.totals.flops
        assert sum(row["mac"] for row in level) == analysis.totals.mac
    for stage, blocks in RESNET50_BLOCKS.items():
        inside = [by_name[f"{stage}.{i}"] for i in range(blocks)]
        assert sum(row["params"] for row in inside) == by_name[stage]["params"]


def test_depth_0_is_the_total_and_a_huge_depth_the_full_tree():
    analysis = cm.analyze(cm.load("mobilenet_v1"))
    assert table(analysis, depth=0).rows == ()
    out = run("table", "mobilenet_v1", "--depth", "0", "--width", "0")
    assert out.splitlines()[-1].startswith("total") and len(out.splitlines()) == 4  # header, rule, rule, total
    deep = table(analysis, depth=10**9).rows
    assert [row["name"] for row in deep if row["op"] in {l.op.kind for l in analysis.layers}] == \
        [layer.name for layer in analysis.layers]
    run("table", "mobilenet_v1", "--depth", "-1", code=2)
    run("table", "mobilenet_v1", "--depth", "2", "--by", "stage", code=2)
    for bad in (-1, True, 1.5, "2"):
        with pytest.raises(cm.UsageError, match="depth must be a whole number"):
            table(analysis, depth=bad)


def test_columns_choose_and_order_and_refuse_unknown_duplicate_or_empty_names():
    out = run("table", "mobilenet_v1", "--columns", "flops,name,flops%")
    assert cells(out.splitlines()[0]) == ["flops", "name", "flops %"]
    assert cells(out.splitlines()[-1]) == ["568.74M", "total", "100.00%"]
    for bad, said in (("name,fo", "no column 'fo'"), ("name,name", "'name' is named twice"), ("", "an empty name"),
                      (",", "an empty name"), ("name,,flops", "an empty name")):
        result = CliRunner().invoke(main, ["table", "mobilenet_v1", "--columns", bad])
        assert result.exit_code == 2 and said in result.output and "--columns" in result.output, result.output
        assert "Traceback" not in result.output
    assert "did you mean flops" in run("table", "mobilenet_v1", "--columns", "flop", code=2)
    run("table", "mobilenet_v1", "--columns", "name", "--format", "json", code=2)
    every = run("table", "mobilenet_v1", "--columns", "all")
    assert {"stage", "padding", "activations", "mac_bytes", "mac %"} <= set(cells(every.splitlines()[0]))


def test_text_fits_100_characters_by_default_and_says_what_it_left_out():
    out = run("table", "resnet50")
    assert max(len(line) for line in out.splitlines()) <= 100
    assert "left out to fit 100 characters" in " ".join(out.splitlines()[-2:])
    wide = run("table", "resnet50", "--width", "0")
    assert max(len(line) for line in wide.splitlines()) > 100 and "left out" not in wide
    assert cells(wide.splitlines()[0])[:4] == ["name", "op", "input", "output"]


def test_bytes_per_element_scales_mac_and_shows_si_bytes():
    analysis = cm.analyze(cm.load("mobilenet_v1"))
    conv1 = analysis.layer("conv1").mac  # 3*224*224 + 32*112*112 + 864
    assert conv1 == 3 * 224 * 224 + 32 * 112 * 112 + 27 * 32
    document = json.loads(run("table", "mobilenet_v1", "--format", "json", "--bytes-per-element", "2"))
    assert document["layers"][0]["mac_bytes"] == 2 * conv1 and document["bytes_per_element"] == 2
    assert document["totals"]["mac_bytes"] == 2 * analysis.totals.mac
    out = run("table", "mobilenet_v1", "--bytes-per-element", "2", "--columns", "name,mac,mac_bytes")
    first = cells(out.splitlines()[2])
    assert first == ["conv1", f"{conv1 / 1e3:.2f}k", f"{2 * conv1 / 1e6:.2f}MB"]
    half = json.loads(run("table", "mobilenet_v1", "--format", "json", "--bytes-per-element", "0.5"))
    assert half["layers"][0]["mac_bytes"] == conv1 // 2 or half["layers"][0]["mac_bytes"] == f"{conv1}/2"
    for bad in ("0", "-1", "1e30", "nan", "inf", "four", ""):
        result = CliRunner().invoke(main, ["table", "mobilenet_v1", "--bytes-per-element", bad])
        assert result.exit_code == 2 and "--bytes-per-element" in result.output, (bad, result.output)
        assert len(result.output.strip().splitlines()) == 1


def test_csv_has_the_stage_and_json_has_hyper_parameters_and_nulls():
    rows = list(csv.DictReader(io.StringIO(run("table", "resnet50", "--format", "csv"))))
    assert rows[4]["name"] == "conv2_x.0.conv1" and rows[4]["stage"] == "conv2_x"
    stages = json.loads(run("table", "shufflenet_v2", "--by", "stage", "--format", "json"))["stages"]
    image = stages[0]
    assert image["layer"] == "image" and image["flops"] is None and image["kernel"] is None
    assert "" not in [value for row in stages for value in row.values()]
    layers = json.loads(run("table", "shufflenet_v2", "--format", "json"))["layers"]
    depthwise = next(row for row in layers if row["name"] == "stage2.0.branch1.conv1")
    assert (depthwise["kernel"], depthwise["stride"], depthwise["groups"], depthwise["padding"]) == \
        ([3, 3], [2, 2], 24, [1, 1])  # Ma et al. 2018, Fig. 3(d): 3x3 depthwise, stride 2, on 24 channels


def test_latex_says_it_needs_booktabs_and_typesets_symbols_with_sympy():
    out = run("table", "mobilenet_v1", "-s", "resolution=32*k", "--format", "latex")
    assert out.splitlines()[0] == r"% needs \usepackage{booktabs} (\toprule, \midrule, \bottomrule)"
    assert r"$221184 k^{2}$" in out and "**" not in out  # conv1: 27*32*(16k)^2
    assert r"$[3, 32 k, 32 k]$" in out


HOSTILE = ["<script>alert(1)</script>", "a & b", "\"quoted\"", "=SUM(A1)", "$x$", r"\input{x}", "*b*|c|",
           "\x1b[31mred", "line\nbreak"]


@pytest.mark.parametrize("label", HOSTILE)
def test_hostile_names_stay_text_in_html_and_the_tree(label):
    g = cm.Graph("net", (8, 8, 8))
    with g.stage(label):
        x = g.add("conv", cm.Conv2d(8, kernel=3, padding=1), g.input)
        g.add("relu", cm.ReLU(), x)
    analysis = cm.analyze(g)
    html = analysis._repr_html_()
    assert "<script" not in html and "\x1b" not in html and html.count("<tr>") == len(analysis.layers) + 2
    staged = render(table(analysis, "stage"), "html")
    assert "<script" not in staged and "&lt;script&gt;" in staged or "<" not in label
    tree = table(analysis, depth=2)
    html_of_markdown = markdown.markdown(render(tree, "markdown"), extensions=["tables"])
    assert "<script" not in html_of_markdown and "<em>" not in html_of_markdown
    rows = list(csv.reader(io.StringIO(render(tree, "csv"))))
    assert [row[0] for row in rows[1:]] == ["1", "1"]  # a stage label is no scope: two layers at depth 1
    assert rows[0][:4] == ["depth", "name", "op", "stage"]
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    latex = render(tree, "latex")
    assert "\\input" not in latex.replace("\\textbackslash{}input", "") and "$x$" not in latex


def test_rich_display_and_pandas():
    analysis = cm.analyze(cm.load("mobilenet_v1"))
    html = analysis._repr_html_()
    assert html.startswith('<table class="costmodel">') and "block1.dw" in html and "568.74M" in html
    assert table(analysis, "stage")._repr_html_().count("<tr>") == len(table(analysis, "stage").rows) + 2
    k = cm.symbols("k")
    latex = cm.analyze(cm.load("mobilenet_v1", resolution=32 * k)).totals._repr_latex_()
    assert latex.startswith("$") and r"k^{2}" in latex
    assert analysis.totals._repr_latex_() is None
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(cm.UsageError, match="pip install pandas"):
            analysis.to_pandas()
    else:
        frame = analysis.to_pandas()
        assert int(frame["flops"].sum()) == analysis.totals.flops


@pytest.mark.parametrize("command", sorted(main.commands))
def test_h_is_help_on_every_command(command):
    assert "Usage:" in run(*([command, "-h"]))
    assert "Usage:" in run("-h")


def test_h_stays_help_after_a_command_ran_on_its_own():
    """click remembers a command's help option once asked: a command run under another group first (as
    test_plots does) must keep -h."""
    import click

    alone = click.Group("alone")
    alone.add_command(main.commands["plot"])
    CliRunner().invoke(alone, ["plot", "--help"])
    assert "Usage:" in run("plot", "-h")


def test_shell_completion_of_zoo_names_plot_names_and_paths():
    from costmodel.cli.completion import complete_from, complete_target
    from costmodel.cli.plot_command import NAMES

    names = [item.value for item in complete_target(None, None, "mobilenet_v") if item.type == "plain"]
    assert names == ["mobilenet_v1", "mobilenet_v2", "mobilenet_v3_large", "mobilenet_v3_small"]
    assert [item.type for item in complete_target(None, None, "./ne")] == ["file"]
    assert [item.value for item in complete_from(NAMES)(None, None, "g")] == ["g1", "g2", "g3", "g4"]
    result = CliRunner().invoke(main, [], prog_name="costmodel", env={"_COSTMODEL_COMPLETE": "bash_source"})
    assert "_COSTMODEL_COMPLETE" in result.output or "complete" in result.output
