"""The zoo's networks as torchvision builds them: each node's torch module and how torch calls the op.

costmodel's zoo names layers after the papers (``bottleneck2.1.expand``), torchvision after its modules
(``features.3.conv.0.0``). ``binding`` maps every node of a zoo graph that torchvision also builds to
``(module path, call)``: the module whose forward runs the op (a leaf module, or the parent whose forward
calls a functional op; ``""`` is the model's own forward) and the call (``costmodel.conventions.CALLS``).
The tool conventions need the call (ptflops counts ``nn.AdaptiveAvgPool2d`` twice, ``F.adaptive_avg_pool2d``
once and ``x.mean`` not at all); the benchmarks and tests need the path, to compare per module.

The networks (torchvision 0.28.0, ``torchvision/models/<file>.py``):

| zoo | torchvision | what torch calls outside modules |
|---|---|---|
| `mobilenet_v2` | `mobilenet_v2` | `F.adaptive_avg_pool2d`, `torch.flatten`, `x + conv(x)` |
| `shufflenet_v2` (variant torchvision) | `shufflenet_v2_x1_0` | `chunk`, `torch.cat`, `channel_shuffle`, `x.mean` |
| `resnet50` (variant torchvision) | `resnet50` | `out += identity`, `torch.flatten` |
| `mobilenet_v3_large` (variant torchvision) | `mobilenet_v3_large` | `scale * input`, `result += input`, `torch.flatten` |
| `squeezenet1_0` | `squeezenet1_0` | `torch.cat`, `torch.flatten` |
"""
from __future__ import annotations

import re
from typing import Any, Callable

from . import DEFAULT_CALLS

# zoo name -> (torchvision model, zoo values that build torchvision's network)
NETWORKS = {"mobilenet_v2": ("mobilenet_v2", {}), "shufflenet_v2": ("shufflenet_v2_x1_0", {"variant": "torchvision"}),
            "resnet50": ("resnet50", {"variant": "torchvision"}),
            "mobilenet_v3_large": ("mobilenet_v3_large", {"variant": "torchvision"}),
            "squeezenet1_0": ("squeezenet1_0", {})}
TORCHVISION_NAMES = {tv: zoo for zoo, (tv, _) in NETWORKS.items()}

# conv-norm-activation triples: torchvision's Conv2dNormActivation numbers them 0, 1, 2
CONV_NORM_ACT = {"": "0", "_bn": "1", "_relu6": "2", "_relu": "2", "_hard_swish": "2"}
SUFFIX = re.compile(r"^(?P<layer>.*?)(?P<suffix>_bn|_relu6|_relu|_hard_swish)?$")


def _split(name: str) -> tuple[str, str]:
    match = SUFFIX.match(name)
    return match["layer"], match["suffix"] or ""


def _blocks(graph, pattern: str) -> dict[str, int]:
    """The distinct block prefixes matching ``pattern`` in order of first appearance, numbered from 0."""
    found: dict[str, int] = {}
    for node in graph.nodes:
        match = re.match(pattern, node.name)
        if match and match[0] not in found:
            found[match[0]] = len(found)
    return found


def _mobilenet_v2(graph) -> Callable[[str], str]:
    blocks = _blocks(graph, r"bottleneck\d+\.\d+")
    names = {n.name for n in graph.nodes}
    fixed = {"globalpool": "", "flatten": "", "fc": "classifier.1"}

    def path(name: str) -> str:
        if name in fixed:
            return fixed[name]
        layer, suffix = _split(name)
        if layer in ("conv1", "conv2"):
            return f"features.{0 if layer == 'conv1' else len(blocks) + 1}.{CONV_NORM_ACT[suffix]}"
        block, part = layer.rsplit(".", 1)
        module = f"features.{blocks[block] + 1}"
        if part == "add":
            return module
        expand = f"{block}.expand" in names
        if part == "project":
            return f"{module}.conv.{1 + expand + (suffix == '_bn')}"
        return f"{module}.conv.{(part == 'dw') * expand}.{CONV_NORM_ACT[suffix]}"

    return path


def _shufflenet_v2(graph) -> Callable[[str], str]:
    branch = {"branch1": {"conv1": 0, "conv1_bn": 1, "conv2": 2, "conv2_bn": 3, "conv2_relu": 4},
              "branch2": {"conv1": 0, "conv1_bn": 1, "conv1_relu": 2, "conv2": 3, "conv2_bn": 4, "conv3": 5,
                          "conv3_bn": 6, "conv3_relu": 7}}
    fixed = {"maxpool": "maxpool", "globalpool": "", "flatten": "", "fc": "fc"}

    def path(name: str) -> str:
        if name in fixed:
            return fixed[name]
        parts = name.split(".")
        if len(parts) == 1:
            layer, suffix = _split(name)
            return f"{layer}.{CONV_NORM_ACT[suffix]}"
        if len(parts) == 3:  # stageS.i.concat / split / shuffle: in the unit's forward
            return ".".join(parts[:2])
        return f"{parts[0]}.{parts[1]}.{parts[2]}.{branch[parts[2]][parts[3]]}"

    return path


def _resnet50(graph) -> Callable[[str], str]:
    fixed = {"conv1": "conv1", "conv1_bn": "bn1", "conv1_relu": "relu", "maxpool": "maxpool",
             "globalpool": "avgpool", "flatten": "", "fc": "fc"}
    inner = {"conv1": "conv1", "conv1_bn": "bn1", "conv1_relu": "relu", "conv2": "conv2", "conv2_bn": "bn2",
             "conv2_relu": "relu", "conv3": "conv3", "conv3_bn": "bn3", "downsample": "downsample.0",
             "downsample_bn": "downsample.1", "relu": "relu", "add": ""}

    def path(name: str) -> str:
        if name in fixed:
            return fixed[name]
        stage, index, part = name.split(".")
        module = f"layer{int(stage[4]) - 1}.{index}"
        return f"{module}.{inner[part]}" if inner[part] else module

    return path


def _mobilenet_v3_large(graph) -> Callable[[str], str]:
    names = {n.name for n in graph.nodes}
    blocks = _blocks(graph, r"bneck\d+")
    fixed = {"globalpool": "avgpool", "flatten": "", "fc1": "classifier.0", "fc1_hard_swish": "classifier.1",
             "fc": "classifier.3"}
    se = {"pool": "avgpool", "fc1": "fc1", "relu": "activation", "fc2": "fc2", "hard_sigmoid": "scale_activation",
          "scale": ""}

    def path(name: str) -> str:
        if name in fixed:
            return fixed[name]
        parts = name.split(".")
        layer, suffix = _split(parts[0])
        if len(parts) == 1:
            return f"features.{0 if layer == 'conv1' else len(blocks) + 1}.{CONV_NORM_ACT[suffix]}"
        block = parts[0]
        module = f"features.{blocks[block] + 1}"
        order = [p for p in ("expand", "dw", "se", "project")
                 if f"{block}.{p}" in names or (p == "se" and f"{block}.se.pool" in names)]
        if parts[1] == "add":
            return module
        if parts[1] == "se":
            inner = se[parts[2]]
            return f"{module}.block.{order.index('se')}" + (f".{inner}" if inner else "")
        layer, suffix = _split(parts[1])
        return f"{module}.block.{order.index(layer)}.{CONV_NORM_ACT[suffix]}"

    return path


def _squeezenet1_0(graph) -> Callable[[str], str]:
    features = {"conv1": "0", "conv1_relu": "1", "maxpool1": "2", "fire2": "3", "fire3": "4", "fire4": "5",
                "maxpool4": "6", "fire5": "7", "fire6": "8", "fire7": "9", "fire8": "10", "maxpool8": "11",
                "fire9": "12"}
    fire = {"squeeze1x1": "squeeze", "squeeze1x1_relu": "squeeze_activation", "expand1x1": "expand1x1",
            "expand1x1_relu": "expand1x1_activation", "expand3x3": "expand3x3",
            "expand3x3_relu": "expand3x3_activation", "concat": ""}
    fixed = {"conv10": "classifier.1", "conv10_relu": "classifier.2", "avgpool10": "classifier.3", "flatten": ""}

    def path(name: str) -> str:
        if name in fixed:
            return fixed[name]
        head, _, part = name.partition(".")
        module = f"features.{features[head]}"
        return f"{module}.{fire[part]}" if fire.get(part) else module

    return path


PATHS = {"mobilenet_v2": _mobilenet_v2, "shufflenet_v2": _shufflenet_v2, "resnet50": _resnet50,
         "mobilenet_v3_large": _mobilenet_v3_large, "squeezenet1_0": _squeezenet1_0}
# the calls torchvision makes that differ from DEFAULT_CALLS and "module": (zoo network, node) -> call
CALL_EXCEPTIONS = {("mobilenet_v2", "globalpool"): "functional", ("shufflenet_v2", "globalpool"): "method"}


def binding(graph) -> dict[str, tuple[str, str]] | None:
    """``{node: (torch module path, call)}`` for a zoo graph torchvision also builds, else None.

    A graph is recognised by its name and by every node name mapping (a spec that reuses a zoo name but not its
    layers gets None).
    """
    make = PATHS.get(graph.name)
    if make is None:
        return None
    try:
        path = make(graph)
        paths = {node.name: path(node.name) for node in graph.nodes}
    except (KeyError, ValueError, IndexError, TypeError):
        return None
    return {node.name: (paths[node.name], call_of(graph.name, node)) for node in graph.nodes}


def call_of(network: str, node) -> str:
    return CALL_EXCEPTIONS.get((network, node.name)) or DEFAULT_CALLS.get(node.op.kind, "module")


def calls(graph) -> dict[str, str]:
    """How torch calls each node's op: torchvision's calls for the networks it builds, else the defaults."""
    return {node.name: call_of(graph.name, node) for node in graph.nodes}
