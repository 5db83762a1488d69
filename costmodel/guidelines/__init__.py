"""``check(target)``: ShuffleNet V2's four guidelines (Ma et al. 2018, section 2) as findings per layer,
per block and for the network, each with its numbers, from the analysis's own counts (convention ``paper``).

* **G1** (equal channel width minimises mac). A 1x1 convolution, one group, stride 1, with ``c1`` inputs,
  ``c2`` outputs on ``h x w`` (``hw = N*h*w``) does ``B = hw*c1*c2`` multiply-adds and moves
  ``mac = hw(c1 + c2) + c1*c2`` elements, at least ``2*sqrt(hw*B) + B/hw``, reached at ``c1 = c2 =
  sqrt(B/hw)`` (the balanced widths). A finding: the layer's mac above that bound (bias elements, ``c2``,
  added to the bound: they are not part of the trade-off). ``ratio = mac / bound``.
* **G2** (excessive group convolution increases mac). A ``k x k`` convolution with ``g`` groups
  (``1 < g``, not depthwise) at fixed flops ``B`` and fixed ``c1`` has ``mac = hw*c1 + B*g/(k*k*c1) + B/hw``
  (the paper's ``hw*c1 + B*g/c1 + B/hw`` at ``k = 1``): with fewer groups ``g'`` (every divisor of ``g``)
  the same flops need only ``c2*g'/g`` outputs, and the weights stay the same. Each alternative is costed
  by the op's own rules; ``ratio = mac / mac at g' = 1``.
* **G3** (fragmentation reduces parallelism). Per block: ``paths``, the paths from the block's inputs to
  its outputs (the paper's parallel fragments: 1 for a chain, n for n branches; an identity shortcut is a
  path), ``kernels`` (its nodes that run, fused ones left out) and ``fragments`` (its convolutions, fully
  connected layers and matrix products, the paper's series fragments). A finding: more than one path.
* **G4** (element-wise operations are not negligible). Per block and for the network: the share of mac
  moved by element-wise ops (the ops of category ``elementwise``: activations, additions, BatchNorm
  unless folded with ``fuse=("bn",)``), and the share with depthwise convolutions added, which the paper
  counts as element-wise too. A finding: any element-wise mac. With a ``device`` (``costmodel.device``),
  also their share of the predicted time (``time_share``: the device model's seconds of the nodes as
  checked, with the same ``fuse``; ``fuse=("bn", "activation")`` is the network the device model's own
  ``predict`` times, as an inference engine runs it).

A block is a node's scope up to its last numbered part (``stage2.0`` of ``stage2.0.branch2.conv1``), or its
first scope when none is numbered (``fire4`` of ``fire4.concat``); nodes outside any scope belong to none.
A finding is ``over`` when its value passes its guideline's threshold (``THRESHOLDS``; see
docs/guidelines.md for why each default). Findings need numbers: a graph left symbolic is refused.
``costmodel.guidelines.findings`` holds the findings' dataclasses, ``costmodel.guidelines.output`` writes a check
as text or JSON.
"""
from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Iterable, Mapping

from ..analysis import Analysis, LayerCost, analyze, node_cost
from ..errors import UsageError
from ..graph import Graph, Node
from ..values import is_symbolic
from .findings import (GUIDELINES, THRESHOLDS, TITLES, Check, G1Finding, G2Finding, G3Finding, G4Finding,
                       GroupAlternative, Summary, check_guidelines, thresholds_of)

__all__ = ["GUIDELINES", "THRESHOLDS", "TITLES", "Check", "G1Finding", "G2Finding", "G3Finding", "G4Finding",
           "GroupAlternative", "Summary", "block_of", "check", "check_guidelines", "paths_through", "thresholds_of"]


def block_of(name: str) -> str:
    """The block of a node name: its scope up to the last all-digit part (``stage2.0`` of
    ``stage2.0.branch2.conv1``), else its first scope (``fire4`` of ``fire4.concat``), else ``""``."""
    parts = name.split(".")[:-1]
    numbered = [i for i, part in enumerate(parts) if part.isdigit()]
    if numbered:
        return ".".join(parts[:numbered[-1] + 1])
    return parts[0] if parts else ""


def check(graph_or_target: Any, *, thresholds: Mapping[str, Any] | None = None, fuse: Iterable[str] = (),
          device: Any = None, **values: Any) -> Check:
    """The four guidelines on a Graph, a zoo name, a spec or ONNX path or a graph factory built with
    ``values``; ``thresholds`` replace defaults of ``THRESHOLDS``; ``fuse`` as for ``analyze`` (``("bn",)``
    folds BatchNorm, so that G4 sees what an inference engine runs); ``device`` (a ``Device``, a profile
    name or a device file, as ``costmodel.load_device`` takes) adds G4's share of predicted time."""
    from ..targets import target as find

    if isinstance(graph_or_target, Graph):
        if values:
            raise UsageError(f"check of a Graph takes no values, got {', '.join(values)}")
        graph, name, parameters = graph_or_target, graph_or_target.name, {}
    else:
        chosen = find(graph_or_target)
        graph, name, parameters = chosen.build(**values), chosen.name, chosen.values(**values)
    limits = thresholds_of(thresholds)
    analysis = analyze(graph, "paper", tuple(fuse))
    _refuse_symbols(analysis)
    blocks = _blocks(analysis)
    seconds, device_name = None, None
    if device is not None:
        from ..device import load_device

        chosen_device = load_device(device)
        seconds = {layer.name: chosen_device.layer_time(layer).seconds for layer in analysis.layers}
        device_name = chosen_device.name
    findings = [*_g1(analysis, limits), *_g2(analysis, limits), *_g3(analysis, blocks, limits),
                *_g4(analysis, blocks, limits, seconds)]
    checked = {"G1": sum(_is_g1(l) for l in analysis.layers), "G2": sum(_is_g2(l) for l in analysis.layers),
               "G3": len(blocks), "G4": len(blocks) + 1}
    summaries = {g: _summary(g, checked[g], [f for f in findings if f.guideline == g], limits[g])
                 for g in GUIDELINES}
    return Check(name, parameters, tuple(sorted(analysis.fuse)), limits, tuple(findings), summaries, device_name)


def _refuse_symbols(analysis: Analysis) -> None:
    if is_symbolic(analysis.graph.batch) or analysis.totals.is_symbolic or \
            any(l.cost.is_symbolic for l in analysis.layers):
        free = sorted({str(s) for l in analysis.layers for v in l.cost.as_dict().values()
                       for s in getattr(v, "free_symbols", ())} | {str(s) for s in getattr(analysis.graph.batch,
                                                                                           "free_symbols", ())})
        raise UsageError(f"check needs numbers, but {analysis.graph.name} is symbolic in "
                         f"{', '.join(free[:5]) or 'its sizes'}: the guidelines compare values with thresholds; "
                         f"give every parameter a number")


def _summary(guideline: str, checked: int, findings: list, threshold: Any) -> Summary:
    if not findings:
        return Summary(guideline, checked, 0, 0, threshold)
    worst = max(findings, key=lambda f: f.value)
    return Summary(guideline, checked, len(findings), sum(f.over for f in findings), threshold,
                   getattr(worst, "layer", None) or worst.block, worst.value)


def _over(value: float, threshold: float | None) -> bool:
    return threshold is not None and value > threshold


# ----- G1 ------------------------------------------------------------------------------------------------------
def _is_g1(layer: LayerCost) -> bool:
    """A 1x1 convolution, one group, its output the size of its input (stride 1, no padding)."""
    op, node = layer.op, layer.node
    return op.kind == "conv" and tuple(op.kernel) == (1, 1) and op.groups == 1 and \
        tuple(node.input_shapes[0][1:]) == tuple(node.outputs[0][1:])


def _g1(analysis: Analysis, limits: dict) -> list[G1Finding]:
    found = []
    for layer in analysis.layers:
        if not _is_g1(layer) or layer.fused or layer.per_batch:
            continue
        node = layer.node
        c1, h, w = node.input_shapes[0]
        c2 = node.outputs[0][0]
        hw = analysis.graph.batch * h * w
        flops, mac = layer.flops, layer.mac
        bias = c2 if layer.op.bias else 0
        moved = mac - bias - flops // hw  # mac less B/hw and the bias: hw(c1 + c2) for the tool's rule
        if moved <= 0 or moved * moved <= 4 * hw * flops:  # exact: moved > 2*sqrt(hw*B)?
            continue
        bound = 2 * math.sqrt(hw) * math.sqrt(flops) + flops / hw + bias
        ratio = mac / bound
        found.append(G1Finding(node.name, block_of(node.name), hw, c1, c2, flops, mac, bound, mac - bound, ratio,
                               math.sqrt(flops / hw), _over(ratio, limits["G1"])))
    return found


# ----- G2 ------------------------------------------------------------------------------------------------------
def _is_g2(layer: LayerCost) -> bool:
    """A grouped convolution that is not depthwise (groups between 1 and the input channels)."""
    op = layer.op
    return op.kind == "conv" and op.groups != 1 and op.groups != layer.node.input_shapes[0][0]


def _g2(analysis: Analysis, limits: dict) -> list[G2Finding]:
    found = []
    for layer in analysis.layers:
        if not _is_g2(layer):
            continue
        node, op = layer.node, layer.op
        g, c1, c2 = op.groups, node.input_shapes[0][0], node.outputs[0][0]
        alternatives = []
        for fewer in [d for d in range(1, g) if g % d == 0]:
            out = c2 * fewer // g
            other = replace(op, out_channels=out, groups=fewer)
            alt = Node(node.name, other, node.inputs, other.output_shapes(node.input_shapes), node.stage)
            cost = node_cost(alt, "paper", analysis.graph.batch)
            alternatives.append(GroupAlternative(fewer, out, cost.mac, layer.mac - cost.mac))
        ratio = layer.mac / alternatives[0].mac
        found.append(G2Finding(node.name, block_of(node.name), g, tuple(op.kernel), c1, c2, layer.flops, layer.mac,
                               tuple(alternatives), alternatives[0].excess, ratio, _over(ratio, limits["G2"])))
    return found


# ----- G3 ------------------------------------------------------------------------------------------------------
def _blocks(analysis: Analysis) -> dict[str, list[LayerCost]]:
    blocks: dict[str, list[LayerCost]] = {}
    for layer in analysis.layers:
        name = block_of(layer.name)
        if name:
            blocks.setdefault(name, []).append(layer)
    return blocks


def paths_through(nodes: list[Node]) -> int:
    """Paths from the inputs of ``nodes`` (in graph order) to their outputs: each node sums the paths of its
    inputs (1 for an input from outside), the block those of the nodes nothing inside reads."""
    inside = {n.name for n in nodes}
    paths: dict[str, int] = {}
    read: set[str] = set()
    for node in nodes:
        paths[node.name] = sum((paths[t.node] if t.node in inside else 1) for t in node.inputs) or 1
        read.update(t.node for t in node.inputs if t.node in inside)
    return sum(paths[n.name] for n in nodes if n.name not in read)


def _g3(analysis: Analysis, blocks: dict, limits: dict) -> list[G3Finding]:
    found = []
    for name, layers in blocks.items():
        paths = paths_through([l.node for l in layers])
        kernels = sum(not l.fused for l in layers)
        fragments = sum(l.op.category in ("conv", "fc", "matmul") for l in layers)
        if paths > 1 or _over(kernels, limits["G3-kernels"]):
            found.append(G3Finding(name, paths, kernels, fragments,
                                   _over(paths, limits["G3"]) or _over(kernels, limits["G3-kernels"])))
    return found


# ----- G4 ------------------------------------------------------------------------------------------------------
def _is_depthwise(layer: LayerCost) -> bool:
    op = layer.op
    return op.kind == "conv" and op.groups != 1 and op.groups == layer.node.input_shapes[0][0]


def _g4(analysis: Analysis, blocks: dict, limits: dict, seconds: dict | None) -> list[G4Finding]:
    found = []
    for name, layers in [*blocks.items(), ("network", list(analysis.layers))]:
        mac = sum(l.mac for l in layers)
        elementwise = sum(l.mac for l in layers if l.op.category == "elementwise")
        if not elementwise:
            continue
        depthwise = sum(l.mac for l in layers if _is_depthwise(l))
        share = elementwise / mac
        time_share = None
        if seconds is not None:
            whole = sum(seconds[l.name] for l in layers)
            time_share = sum(seconds[l.name] for l in layers if l.op.category == "elementwise") / whole \
                if whole else 0.0
        over = _over(share, limits["G4"]) or (time_share is not None and _over(time_share, limits["G4-time"]))
        found.append(G4Finding(name, mac, elementwise, share, depthwise, (elementwise + depthwise) / mac, over,
                               time_share))
    return found
