"""The docs page "Why the numbers differ" (``docs/why-numbers-differ.md``), written from the rule tables.

    python -m costmodel.differences_page > docs/why-numbers-differ.md

Every rule, version, unit and count on the page comes from ``costmodel.conventions`` and the zoo's analyses;
``tests/test_compat.py`` fails when the committed page is not what this module writes.
"""
from __future__ import annotations

from .analysis import analyze
from .compare import compare
from .conventions import CALLS, DEFAULT_CALLS, REGISTRY, TOOLS
from .conventions.torchvision import CALL_EXCEPTIONS, NETWORKS
from .render import markdown_safe
from .targets import load

CALL_WORDS = {"module": "an `nn` module (`nn.ReLU()`)", "functional": "a `torch.nn.functional` call or "
              "`torch.` function (`F.relu(x)`, `torch.cat`)", "method": "a tensor method (`x.mean([2, 3])`)",
              "operator": "a Python operator (`x + y`, `scale * x`)"}


def _cell(text: str) -> str:
    return markdown_safe(text)


def _examples() -> list[tuple[str, dict, dict]]:
    rows = []
    for zoo, (torchvision_name, values) in NETWORKS.items():
        graph = load(zoo, **values)
        counts = {name: analyze(graph, name).totals.flops for name in ("paper", *TOOLS)}
        rows.append((zoo, values, counts | {"torchvision": torchvision_name}))
    return rows


def _rule_table() -> list[str]:
    kinds: list[str] = []
    for tool in TOOLS:
        kinds += [kind for kind in REGISTRY[tool].rules if kind not in kinds]
    lines = ["| op kind | " + " | ".join(f"`{tool}`" for tool in TOOLS) + " |",
             "|---|" + "---|" * len(TOOLS)]
    for kind in kinds:
        cells = [_cell(REGISTRY[tool].rule(kind).text) for tool in TOOLS]
        lines.append(f"| `{kind}` | " + " | ".join(cells) + " |")
    lines.append("| any other kind | " + " | ".join(_cell(REGISTRY[tool].default.text) for tool in TOOLS) + " |")
    return lines


def _breakdown(zoo: str, values: dict) -> list[str]:
    result = compare(load(zoo, **values))
    lines = ["| tool | op kind | nodes | difference from `paper` | share | rule |", "|---|---|---|---|---|---|"]
    for item in result["differences"]:
        lines.append(f"| `{item['tool']}` | `{item['op']}` | {item['nodes']} | {item['difference']:+,} | "
                     f"{item['share']:.1%} | {_cell(item['rule'])} |")
    return lines


def page() -> str:
    """The whole page, Markdown."""
    examples = _examples()
    out = ["# Why the numbers differ", "",
           "Six popular counters print six different numbers for the same network, and none of them is the "
           "papers' multiply-add count (costmodel's `paper` convention). They differ in what they count "
           "(BatchNorm, activations, biases, pooling), in how they find it (module hooks, patched functions, "
           "traced or dispatched aten ops, parameter counts) and in their unit. costmodel reproduces each one "
           "exactly, per layer and in total: `costmodel table TARGET --convention TOOL`, "
           "`costmodel.analyze(graph, convention=TOOL)`, and `costmodel compare TARGET` for all of them at once.",
           "", "This page is written by `python -m costmodel.differences_page` from the rule tables in "
           "`costmodel/conventions/tools.py`; a test fails when it is out of date.", "",
           "## The counters and their versions", "",
           "| convention | tool, pinned version | what it prints | run as |", "|---|---|---|---|"]
    for tool in TOOLS:
        convention = REGISTRY[tool]
        unit = convention.unit + (", per image whatever the batch" if convention.per_image else "")
        out.append(f"| `{tool}` | {_cell(convention.tool)}: {_cell(convention.summary)} | {_cell(unit)} | "
                   f"`{convention.run}` |")
    out += ["", "Units, as each tool names them: ptflops prints MACs (multiply-accumulates, one per "
            "multiply-add), fvcore \"flops\" counting one multiply-add as one flop, thop MACs, torchinfo "
            "\"Mult-Adds\"; PyTorch's `FlopCounterMode` counts a multiply and an add apart, 2 per multiply-add. "
            "Only `torch` is in a different unit from `paper`; every other difference below is in what is "
            "counted.", "",
            "## The zoo's networks", "",
            "Each zoo network below is built as torchvision 0.28.0 builds it; the counts are costmodel's under "
            "each convention, and equal what each tool printed for torchvision's model (random weights, eval "
            "mode, one 1×3×224×224 input), in total and per module (`tests/data/tool_counts.json`, recorded and "
            "re-checked by `benchmarks/tool_counts.py`). `costmodel table TARGET --convention TOOL --by layer` "
            "shows each layer's count; under `ptflops` the counts of its patched functionals (`F.relu` inside "
            "`nn.ReLU`, `F.adaptive_avg_pool2d`), which ptflops adds to its total only, are on the layer that "
            "calls them, so that the layers add up to the total.", "",
            "| zoo network | torchvision | `paper` | " + " | ".join(f"`{t}`" for t in TOOLS) + " |",
            "|---|---|" + "---:|" * (len(TOOLS) + 1)]
    for zoo, values, counts in examples:
        setting = " ".join(f"`-s {k}={v}`" for k, v in values.items())
        out.append(f"| `{zoo}` {setting} | `{counts['torchvision']}` | "
                   + " | ".join(f"{counts[name]:,}" for name in ("paper", *TOOLS)) + " |")
    out += ["", "## What each counter counts, op by op", "",
            "Every rule below was read from the tool's source and is checked against the tool: on the networks "
            "above and on one op at a time (`single_ops` in `tests/data/tool_counts.json`: each op kind of the "
            "table run alone through each tool). "
            "\"ours\" is the op's multiply-adds as costmodel counts them (the `all` rule: "
            "k_h·k_w·(C/g)·C'·H'·W' for a convolution, in·out for a fully connected layer); \"per element\" is "
            "per element of the op's input. C', H', W' are the output's channels, height and width.", ""]
    out += _rule_table()
    out += ["", "## It depends on how PyTorch calls the op", "",
            "A hook-based counter sees only modules, and ptflops also patches some `torch.nn.functional` "
            "calls: `nn.ReLU` is counted twice (its module hook, then the patched `F.relu` it calls), a bare "
            "`F.relu` once, `x.mean()` never. So the tool conventions need to know how torch calls each op, "
            "one of:", ""]
    out += [f"* `{call}`: {CALL_WORDS[call]}" for call in CALLS]
    defaults = ", ".join(f"`{kind}` {call}" for kind, call in DEFAULT_CALLS.items())
    exceptions = ", ".join(f"`{zoo}` `{node}` {call}" for (zoo, node), call in CALL_EXCEPTIONS.items())
    out += ["", f"Every op kind is taken as a module except these defaults: {defaults}. Where torchvision "
            f"does otherwise in a zoo network, the binding in `costmodel/conventions/torchvision.py` says so: "
            f"{exceptions}. The same binding maps each zoo layer to its torchvision module "
            "(`bottleneck2.1.expand` is `features.3.conv.0.0`), which is how the per-module counts are compared.",
            "", "## Where the differences come from: MobileNet v2", ""]
    out += _breakdown("mobilenet_v2", {})
    out += ["", "The same for any network: `costmodel compare TARGET` (text) or `--format json`. With symbolic "
            "sizes (`-s resolution=r`) each count is the tool's closed form.", "",
            "## Limits", "",
            "* The rules are those of the pinned versions, and other versions may count differently (ptflops 0.7.5's "
            "README names `aten` as the default backend; its code's default is `pytorch`, which is what "
            "`ptflops` here reproduces).",
            "* An ONNX file exported in eval mode has its BatchNorm folded into the convolutions, so for an "
            "imported model the counters that count BatchNorm print more on the torch model than costmodel "
            "can reproduce from the file; `costmodel compare` says so.",
            "* fvcore rounds an einsum's count (numpy's printed cost) for the whole batch; costmodel rounds it per "
            "sample and multiplies by the batch, so at a batch above 1 the two can differ in the last digits.",
            "* A graph that is not one of the zoo networks above takes the default calls; a `torch.add` where the "
            "defaults say `+` (or an `F.relu` where they say `nn.ReLU`) is counted as the default by the "
            "`ptflops` convention.",
            "* Op kinds a tool has no rule for count 0 under its convention, as the tool itself counts unknown "
            "modules and unsupported ops; ops imported with `--allow-unknown` count 0 for every counter.", ""]
    return "\n".join(out)


if __name__ == "__main__":
    print(page(), end="")
