"""Tables and formats: every number read back equals the analysis; stage rows follow the block scopes."""
import csv
import io
import json

import pytest
import sympy

import costmodel as cm
from costmodel.render import human, render
from costmodel.report import op_class, table
from costmodel.zoo.common import classifier, conv_bn_act


def staged_network(resolution=64, width=16):
    g = cm.Graph("staged", (3, resolution, resolution))
    with g.stage("conv1"):
        x = conv_bn_act(g, "conv1", g.input, width, kernel=3, stride=2)
    with g.scope("stage2"):
        for i in range(4):
            with g.scope(str(i)):
                x = conv_bn_act(g, "dw", x, x.channels, kernel=3, stride=2 if i == 0 else 1, groups=x.channels)
                x = conv_bn_act(g, "pw", x, 2 * width, kernel=1)
    classifier(g, x, 10)
    return g


def test_layer_rows_match_the_analysis_and_json_round_trips():
    result = cm.analyze(staged_network())
    document = json.loads(render(table(result), "json", name="staged", parameters={"resolution": 64},
                                 convention="paper"))
    assert document["totals"] == dict(result.totals.as_dict(), mac_bytes=4 * result.totals.mac)
    assert [row["name"] for row in document["layers"]] == [l.name for l in result.layers]
    for row, layer in zip(document["layers"], result.layers):
        assert (row["flops"], row["params"], row["mac"], row["activations"]) == \
            (layer.flops, layer.params, layer.mac, layer.activations)
        assert row["output"] == list(layer.node.outputs[0])
    mac = 3 * 64 * 64 + 16 * 32 * 32 + 9 * 3 * 16
    assert document["layers"][0] == {"name": "conv1", "op": "conv", "stage": "conv1", "input": [3, 64, 64],
                                     "output": [16, 32, 32], "kernel": [3, 3], "stride": [2, 2], "groups": 1,
                                     "padding": [1, 1], "flops": 9 * 3 * 16 * 32 * 32, "params": 9 * 3 * 16,
                                     "mac": mac, "mac_bytes": 4 * mac, "activations": 16 * 32 * 32}
    pool = next(row for row in document["layers"] if row["op"] == "global_avg_pool")
    assert (pool["kernel"], pool["stride"], pool["groups"], pool["padding"]) == (None, None, None, None)


def test_stage_rows_group_blocks_by_stride():
    rows = table(cm.analyze(staged_network()), "stage").rows
    assert [(r["layer"], r["output size"], r["stride"], r["repeat"], r["channels"]) for r in rows] == [
        ("image", "64x64", None, None, 3), ("conv1", "32x32", 2, 1, 16), ("stage2", "16x16", 2, 1, 32),
        (None, "16x16", 1, 3, 32), ("globalpool", "1x1", None, 1, 32), ("fc", None, None, 1, 10)]
    costs = sum(r["flops"] for r in rows[1:])
    assert costs == cm.analyze(staged_network()).totals.flops


def test_op_classes_and_shares():
    result = cm.analyze(staged_network())
    classes = {op_class(l) for l in result.layers}
    assert classes == {"conv 3x3", "depthwise 3x3", "conv 1x1", "element-wise", "pool", "data movement", "fc"}
    rows = table(result, "op").rows
    assert sum(r["flops"] for r in rows) == result.totals.flops
    assert [r["flops"] for r in rows] == sorted((r["flops"] for r in rows), reverse=True)
    text = render(table(cm.analyze(staged_network(), "all"), "op"), "text")
    lines = text.splitlines()
    shares = [float(line.split()[-3].rstrip("%")) for line in lines[2:lines.index(lines[1], 2)]]
    assert sum(shares) == pytest.approx(100, abs=0.05)
    paper = render(table(result, "op"), "text").splitlines()
    assert paper[-1].startswith("note: flops % and params % are shares of the convolutions")
    element_wise = next(line for line in paper if line.startswith("element-wise"))
    assert element_wise.split()[-1].endswith("%") and len(element_wise.split()) == 6  # mac share only


def test_csv_keeps_exact_integers():
    result = cm.analyze(staged_network())
    rows = list(csv.DictReader(io.StringIO(render(table(result), "csv"))))
    assert sum(int(r["flops"]) for r in rows) == result.totals.flops
    assert rows[0]["output"] == "16x32x32"


def test_symbolic_json_is_sympy_readable():
    r = cm.symbols("r")
    result = cm.analyze(staged_network(resolution=r))
    document = json.loads(render(table(result), "json", name="staged", parameters={"resolution": r}))
    flops = sympy.sympify(document["totals"]["flops"], locals={"r": r})
    numeric = cm.analyze(staged_network(resolution=96)).totals.flops
    assert flops.subs(r, 96) == numeric
    assert document["parameters"] == {"resolution": "r"}


@pytest.mark.parametrize("value,text", [(999, "999"), (1000, "1.00k"), (999_999, "1.00M"), (568_740_352, "568.74M"),
                                        (4_866_000_000, "4.87G")])
def test_human_numbers(value, text):
    assert human(value) == text


def test_every_format_renders_every_grouping():
    result = cm.analyze(staged_network(), "all", fuse=["bn"])
    for by in ("layer", "stage", "op"):
        for fmt in ("text", "markdown", "csv", "json", "latex"):
            assert render(table(result, by), fmt, name="staged", parameters={}).strip()
    latex = render(table(result, "stage"), "latex")
    first, tabular = latex.split("\n", 1)
    assert first == r"% needs \usepackage{booktabs} (\toprule, \midrule, \bottomrule)"
    assert tabular.startswith(r"\begin{tabular}") and latex.endswith(r"\end{tabular}")
    with pytest.raises(cm.UsageError):
        render(table(result), "xml")
    with pytest.raises(cm.UsageError):
        table(result, "colour")


def test_dense_blocks_collapse_to_one_row_with_their_channel_range():
    """DenseNet-121 (Huang et al. 2017, Table 1): dense blocks of 6, 12, 24, 16 layers, growth 32, on 64, 128,
    256, 512 input channels (the stem's 64, then each transition halving): layer i of a block outputs
    c0 + 32*i channels. One row per block (the layers differ only in channels), 13 rows in all."""
    from costmodel.spec import EXAMPLES, load_spec

    rows = table(cm.analyze(load_spec(EXAMPLES / "densenet121.yaml")), "stage").rows
    dense = [r for r in rows if (r["layer"] or "").startswith("denseblock")]
    expected = [(f"denseblock{b}", n, f"{c0 + 32}–{c0 + 32 * n}") for b, (n, c0) in
                enumerate(zip((6, 12, 24, 16), (64, 128, 256, 512)), 1)]
    assert [(r["layer"], r["repeat"], r["channels"]) for r in dense] == expected
    assert len(rows) == 1 + 2 + 4 + 3 + 3  # image, stem conv and pool, blocks, transitions, norm5 pool fc
    assert sum(r["flops"] for r in rows[1:]) == cm.analyze(load_spec(EXAMPLES / "densenet121.yaml")).totals.flops


def test_blocks_of_other_layers_join_only_with_equal_outputs():
    """Blocks of other layers share a row only with the same output, as before: ResNet-50's conv2_x (a
    projection in the first block only) is one row of 3; MobileNet v2's row 5 at width 1 one row of 3."""
    def rows(name):
        return table(cm.analyze(cm.load(name)), "stage").rows

    def run_of(found, stage):
        at = next(i for i, r in enumerate(found) if r["layer"] == stage)
        return (found[at]["repeat"], found[at]["channels"])

    assert run_of(rows("resnet50"), "conv2_x") == (3, 256)
    assert run_of(rows("mobilenet_v2"), "bottleneck5") == (3, 96)


def test_a_branching_stage_shows_every_kernel_not_its_first_conv():
    """GoogLeNet's inception modules (torchvision: 1x1; 1x1, 3x3; 1x1, 3x3; 3x3 max pool, 1x1) and Inception v3's
    (Mixed_6b: 1x1, 1x7, 7x1 and a 3x3 average pool; Mixed_6a reduces with stride-2 convs and pool)."""
    from costmodel.spec import EXAMPLES, load_spec

    def stage_rows(name):
        return {r["layer"]: r for r in table(cm.analyze(load_spec(EXAMPLES / f"{name}.yaml")), "stage").rows}

    googlenet = stage_rows("googlenet")
    assert (googlenet["inception3a"]["kernel"], googlenet["inception3a"]["stride"]) == ("1x1, 3x3", 1)
    assert googlenet["conv1"]["kernel"] == (7, 7)  # a chain keeps its first window op's kernel
    inception = stage_rows("inception_v3")
    assert inception["Mixed_6b"]["kernel"] == "1x1, 1x7, 7x1, 3x3"
    assert (inception["Mixed_6a"]["kernel"], inception["Mixed_6a"]["stride"]) == ("3x3, 1x1", 2)
    text = render(table(cm.analyze(load_spec(EXAMPLES / "googlenet.yaml")), "stage"), "text")
    assert any(line.startswith("inception4a") and "1x1, 3x3" in line for line in text.splitlines())


def test_make_divisible_is_exported_at_the_top_level():
    """The reference code's rule (new = max(8, int(v + 4) // 8 * 8), plus 8 when below 0.9 v), computed here
    with floats for a few widths of 32 channels, against costmodel.make_divisible on exact fractions."""
    from fractions import Fraction

    def reference(value, divisor=8):
        new = max(divisor, int(value + divisor / 2) // divisor * divisor)
        return new + divisor if new < 0.9 * value else new

    for width in (Fraction(1, 4), Fraction(7, 20), Fraction(1, 2), Fraction(3, 4), Fraction(7, 5)):
        assert cm.make_divisible(32 * width) == reference(32 * float(width))
    assert "make_divisible" in cm.__all__
