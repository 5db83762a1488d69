"""The tool conventions against the counts the tools themselves printed.

``tests/data/tool_counts.json`` was recorded by ``benchmarks/tool_counts.py record`` from ptflops 0.7.5,
fvcore 0.1.5.post20221221, thop 0.1.1.post2209072238, torchinfo 1.8.0 and torch 2.13.0 (FlopCounterMode) on
torchvision 0.28.0's networks (random weights, eval mode, one 1x3x224x224 input): each tool's total and its
count per torch module. costmodel's zoo graphs, analysed under each tool's convention and summed per torch
module (:func:`costmodel.conventions.torchvision.binding`), must give the same integers.
"""
import json
from pathlib import Path

import pytest

import costmodel
from costmodel.conventions import CONVENTIONS, TOOL_VERSIONS, TOOLS
from costmodel.compare import tool_counts
from costmodel.conventions.torchvision import NETWORKS, binding

RECORDS = json.loads((Path(__file__).parent / "data" / "tool_counts.json").read_text())
MODELS = sorted(RECORDS["models"])


def test_records_are_of_the_pinned_versions():
    assert RECORDS["versions"] == {"torch": "2.13.0+cpu", "torchvision": "0.28.0", "ptflops": "0.7.5",
                                   "fvcore": "0.1.5.post20221221", "thop": "0.1.1.post2209072238",
                                   "torchinfo": "1.8.0"}
    for tool in TOOLS:
        name, version = TOOL_VERSIONS[tool].split()[-2:]
        assert RECORDS["versions"][name].split("+")[0] == version


def test_five_networks_six_tools_recorded():
    assert MODELS == ["mobilenet_v2", "mobilenet_v3_large", "resnet50", "shufflenet_v2_x1_0", "squeezenet1_0"]
    assert all(sorted(RECORDS["models"][m]) == sorted(TOOLS) for m in MODELS)


def test_the_issue_figures_are_what_the_tools_printed():
    # issue 17 quotes them for MobileNet v2 (in millions) and ResNet-50 (4.089 G to 4.134 G)
    mobilenet = {tool: RECORDS["models"]["mobilenet_v2"][tool]["total"] for tool in TOOLS}
    assert {t: round(n / 1e6, 2) for t, n in mobilenet.items()} == {
        "ptflops": 320.30, "ptflops-aten": 300.78, "fvcore": 314.19, "thop": 327.49, "torchinfo": 300.81,
        "torch": 601.55}
    resnet = [RECORDS["models"]["resnet50"][t]["total"] for t in TOOLS if t != "torch"]
    assert (round(min(resnet) / 1e9, 3), round(max(resnet) / 1e9, 3)) == (4.089, 4.134)


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("model", MODELS)
def test_totals_and_every_module_equal_the_tool(model, tool):
    recorded = RECORDS["models"][model][tool]
    ours = tool_counts(model, tool)
    assert ours["total"] == recorded["total"]
    assert ours["modules"] == recorded["modules"]


@pytest.mark.parametrize("model", MODELS)
def test_torch_counts_two_per_multiply_add_of_paper(model):
    zoo = {tv: z for z, (tv, _) in NETWORKS.items()}[model]
    graph = costmodel.load(zoo, **NETWORKS[zoo][1])
    paper = costmodel.analyze(graph).totals.flops
    assert RECORDS["models"][model]["torch"]["total"] == 2 * paper


SINGLE = RECORDS["single_ops"]


def single_graph(kind, fields, shapes):  # the same few lines are in benchmarks/tool_counts.py
    graph = costmodel.Graph("single", shapes[0])
    extra = [graph.add_input(f"input{i}", shape) for i, shape in enumerate(shapes[1:], 1)]
    graph.add("op", costmodel.OPS[kind](**fields), graph.input, *extra)
    return graph


@pytest.mark.parametrize("case", sorted(SINGLE))
def test_one_op_counts_as_each_tool_printed(case):
    recorded = SINGLE[case]
    graph = single_graph(recorded["op"], recorded["fields"], recorded["inputs"])
    assert {tool: costmodel.analyze(graph, tool).totals.flops for tool in TOOLS} == recorded["counts"], \
        recorded["torch"]


def test_every_rule_is_checked_against_a_recording():
    """Each op kind a tool table names appears in the records (whole networks or one op)."""
    from costmodel.conventions import REGISTRY
    recorded = {case["op"] for case in SINGLE.values()} | {"conv", "linear", "batch_norm", "relu", "relu6",
                                                            "max_pool", "global_avg_pool", "add", "mul"}
    for tool in TOOLS:
        assert set(REGISTRY[tool].rules) <= recorded, tool


# torchvision 0.28.0's module names, read from torchvision/models/*.py (the Sequential indices counted there)
NAMED = {
    "mobilenet_v2": {"conv1": "features.0.0", "conv1_relu6": "features.0.2", "bottleneck1.0.dw": "features.1.conv.0.0",
                     "bottleneck1.0.project": "features.1.conv.1", "bottleneck1.0.project_bn": "features.1.conv.2",
                     "bottleneck2.1.expand_bn": "features.3.conv.0.1", "bottleneck2.1.dw": "features.3.conv.1.0",
                     "bottleneck2.1.project_bn": "features.3.conv.3", "bottleneck2.1.add": "features.3",
                     "conv2_bn": "features.18.1", "globalpool": "", "fc": "classifier.1"},
    "shufflenet_v2": {"conv1_bn": "conv1.1", "stage2.0.branch1.conv2_relu": "stage2.0.branch1.4",
                      "stage3.2.branch2.conv3": "stage3.2.branch2.5", "stage4.1.concat": "stage4.1",
                      "conv5_relu": "conv5.2", "globalpool": "", "fc": "fc"},
    "resnet50": {"conv1_bn": "bn1", "conv2_x.0.downsample": "layer1.0.downsample.0",
                 "conv3_x.0.downsample_bn": "layer2.0.downsample.1", "conv4_x.5.conv2_relu": "layer3.5.relu",
                 "conv5_x.2.add": "layer4.2", "conv5_x.2.relu": "layer4.2.relu", "globalpool": "avgpool"},
    "mobilenet_v3_large": {"conv1_hard_swish": "features.0.2", "bneck1.dw": "features.1.block.0.0",
                           "bneck1.project_bn": "features.1.block.1.1", "bneck4.se.pool": "features.4.block.2.avgpool",
                           "bneck4.se.hard_sigmoid": "features.4.block.2.scale_activation",
                           "bneck4.se.scale": "features.4.block.2", "bneck4.project": "features.4.block.3.0",
                           "bneck15.add": "features.15", "conv2": "features.16.0", "fc1_hard_swish": "classifier.1",
                           "fc": "classifier.3"},
    "squeezenet1_0": {"maxpool4": "features.6", "fire5.squeeze1x1_relu": "features.7.squeeze_activation",
                      "fire9.expand3x3": "features.12.expand3x3", "fire9.concat": "features.12",
                      "conv10": "classifier.1", "avgpool10": "classifier.3"},
}


@pytest.mark.parametrize("zoo", sorted(NETWORKS))
def test_layer_names_map_to_torchvision_modules(zoo):
    graph = costmodel.load(zoo, **NETWORKS[zoo][1])
    mapping = binding(graph)
    assert {name: mapping[name][0] for name in NAMED[zoo]} == NAMED[zoo]
    weighted = [mapping[n.name][0] for n in graph.nodes if n.op.kind in ("conv", "linear", "batch_norm")]
    assert len(weighted) == len(set(weighted)), "two weighted layers on one module"
    recorded = RECORDS["models"][NETWORKS[zoo][0]]["torchinfo"]["modules"]  # torch's leaf modules with weights
    assert sorted(weighted) == sorted(recorded)


def test_a_graph_reusing_a_zoo_name_with_other_layers_is_not_bound():
    graph = costmodel.Graph("resnet50", (3, 32, 32))
    graph.add("stem", costmodel.Conv2d(8, 3), graph.input)
    assert binding(graph) is None


def _small(batch):
    graph = costmodel.Graph("net", (3, 32, 32), batch=batch)
    x = graph.add("conv", costmodel.Conv2d(8, 3, padding=1), graph.input)
    x = graph.add("bn", costmodel.BatchNorm(), x)
    x = graph.add("relu", costmodel.ReLU(), x)
    x = graph.add("pool", costmodel.GlobalAvgPool(), x)
    x = graph.add("flat", costmodel.Flatten(), x)
    graph.add("fc", costmodel.Linear(10), x)
    return graph


def test_ptflops_counts_per_image_the_others_the_batch():
    one, four = _small(1), _small(4)
    for tool in TOOLS:
        a, b = costmodel.analyze(one, tool).totals.flops, costmodel.analyze(four, tool).totals.flops
        assert b == (a if tool.startswith("ptflops") else 4 * a)


def test_small_network_by_hand():
    # conv 3x3 3->8 on 32x32: 3*9*8*1024 = 221184 multiply-adds; BN, ReLU on 8192 elements; fc 8->10 with bias
    counts = {tool: costmodel.analyze(_small(1), tool).totals.flops for tool in TOOLS}
    conv, elements, fc = 3 * 9 * 8 * 32 * 32, 8 * 32 * 32, 8 * 10
    assert counts == {
        "ptflops": conv + 2 * elements + 2 * elements + 2 * elements + fc + 10,  # BN 2, nn.ReLU 2, pool 2
        "ptflops-aten": conv + fc + 10,
        "fvcore": conv + 2 * elements + elements + fc,  # BN 2, adaptive_avg_pool2d 1 per input element
        "thop": conv + 4 * elements + (32 * 32 + 1) * 8 + fc,
        "torchinfo": conv + 2 * 8 + fc + 10,  # BN: its 2C parameters
        "torch": 2 * (conv + fc)}


def test_unknown_convention_lists_the_valid_ones():
    graph = costmodel.load("mobilenet_v2")
    with pytest.raises(costmodel.UsageError) as error:
        costmodel.analyze(graph, "fvcor")
    assert str(error.value).startswith("convention must be one of " + ", ".join(CONVENTIONS) + ", got 'fvcor'")
    assert "did you mean fvcore" in str(error.value)


# ----- costmodel compare ---------------------------------------------------------------------------------------
def _compare(*args):
    from click.testing import CliRunner

    from costmodel.cli import main
    return CliRunner().invoke(main, ["compare", *args])


@pytest.mark.parametrize("model", MODELS)
def test_compare_json_prints_every_tools_total(model):
    zoo = {tv: z for z, (tv, _) in NETWORKS.items()}[model]
    settings = [f"-s{k}={v}" for k, v in NETWORKS[zoo][1].items()]
    result = _compare(zoo, *settings, "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert list(document) == ["name", "counts", "differences"]
    assert document["name"] == zoo
    recorded = {tool: RECORDS["models"][model][tool]["total"] for tool in TOOLS}
    paper = costmodel.analyze(costmodel.load(zoo, **NETWORKS[zoo][1])).totals.flops
    assert document["counts"] == {"paper": paper, **recorded}
    assert all(type(n) is int for n in document["counts"].values())
    for tool in TOOLS:  # the op kinds behind each difference add up to it, their shares to 1
        items = [d for d in document["differences"] if d["tool"] == tool]
        assert sum(d["difference"] for d in items) == recorded[tool] - paper
        assert sum(d["share"] for d in items) == pytest.approx(1, abs=1e-3)


def test_compare_text_names_the_ops_and_the_torch_unit():
    result = _compare("mobilenet_v2")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[2].split()[:2] == ["paper", "300,774,272"]
    ptflops = next(line for line in lines if line.startswith("ptflops "))
    assert "320,300,008" in ptflops and "+19,525,736" in ptflops and "per image" in ptflops
    assert any(line.split()[:2] == ["batch_norm", "+13,356,224"] for line in lines)  # 2 x 6,678,112 elements
    assert "flops (2 per multiply-add)" in next(line for line in lines if line.startswith("torch "))


def test_compare_symbolic_sizes_give_each_tools_closed_form():
    import sympy
    result = _compare("resnet50", "-svariant=torchvision", "-sresolution=r", "--format", "json")
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output)["counts"]
    r = sympy.Symbol("r")
    assert {tool: int(sympy.sympify(form).subs(r, 224)) for tool, form in counts.items() if tool != "paper"} == {
        tool: RECORDS["models"]["resnet50"][tool]["total"] for tool in TOOLS}


def test_compare_onnx_with_unknown_ops_says_they_count_zero(tmp_path):
    from test_onnx_cli import unknown_model
    refused = _compare(str(unknown_model(tmp_path)))
    assert refused.exit_code == 2 and "--allow-unknown" in refused.output
    result = _compare(str(unknown_model(tmp_path)), "--allow-unknown", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert any("unknown ops counted as 0 flops" in note and "every counter" in note for note in document["notes"])
    assert any("BatchNorm folded" in note for note in document["notes"])


def test_table_under_an_unknown_convention_is_one_line_exit_2():
    from click.testing import CliRunner

    from costmodel.cli import main
    result = CliRunner().invoke(main, ["table", "mobilenet_v2", "--convention", "fvcor"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "costmodel: error: Invalid value for '--convention': 'fvcor' is not one of "
        + ", ".join(f"'{c}'" for c in CONVENTIONS) + "."]


def test_table_under_torch_says_two_per_multiply_add():
    from click.testing import CliRunner

    from costmodel.cli import main
    result = CliRunner().invoke(main, ["table", "resnet50", "-s", "variant=torchvision", "--convention", "torch"])
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == ("flops under convention torch: what FlopCounterMode of torch 2.13.0 "
                                             "counts, in flops (2 per multiply-add)")
    assert "8.18G" in result.output


def test_the_docs_page_is_written_from_the_rule_tables():
    from costmodel.differences_page import page
    committed = (Path(__file__).parent.parent / "docs" / "why-numbers-differ.md").read_text()
    assert committed == page(), "run: python -m costmodel.differences_page > docs/why-numbers-differ.md"


def test_the_docs_page_shows_every_rule_and_network():
    from costmodel.conventions import REGISTRY
    from costmodel.render import markdown_safe
    text = (Path(__file__).parent.parent / "docs" / "why-numbers-differ.md").read_text()
    for tool in TOOLS:
        assert REGISTRY[tool].tool in text
        for rule in REGISTRY[tool].rules.values():
            assert markdown_safe(rule.text) in text
    for model in MODELS:
        assert all(f"{RECORDS['models'][model][tool]['total']:,}" in text for tool in TOOLS)


def test_compare_a_spec_in_symbols_gives_closed_forms_by_hand():
    import sympy
    example = Path(costmodel.__file__).parent / "examples" / "mobilenet_v2_block.yaml"
    result = _compare(str(example), "-sc=c", "-ssize=h", "--format", "json")
    assert result.exit_code == 0, result.output
    counts = {tool: sympy.sympify(form) for tool, form in json.loads(result.output)["counts"].items()}
    c, h = sympy.symbols("c h")
    # t = 6, stride 1: expand 1x1 c->6c, depthwise 3x3 on 6c, project 1x1 6c->c, on h x h; BatchNorm on
    # 6c + 6c + c channels, ReLU6 on 6c + 6c; the residual + counts 0 for every tool
    convs, bn, relu6 = 6 * c * c * h * h + 9 * 6 * c * h * h + 6 * c * c * h * h, 13 * c * h * h, 12 * c * h * h
    expected = {"paper": convs, "ptflops": convs + 2 * bn + relu6, "ptflops-aten": convs, "fvcore": convs + 2 * bn,
                "thop": convs + 4 * bn, "torchinfo": convs + 2 * 13 * c, "torch": 2 * convs}
    assert {tool: sympy.expand(counts[tool] - expected[tool]) for tool in expected} == dict.fromkeys(expected, 0)
    text = _compare(str(example), "-sc=c", "-ssize=h")
    assert text.exit_code == 0, text.output
    aten = next(line for line in text.output.splitlines() if line.startswith("ptflops-aten"))
    assert aten.split()[1:3] == ["12*c**2*h**2", "+"] and "+0 vs paper" in aten
