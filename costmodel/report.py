"""Tables of an analysis: one row per layer, per stage (the papers' layout) or per op class.

Rows are plain dicts of exact values (ints, Fractions, sympy expressions); ``costmodel.render`` turns
them into text, markdown, csv, json or latex. Nothing here computes a cost: every number is read from the
``Analysis``.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from .analysis import Analysis, Cost, LayerCost
from .dims import exact_ratio
from .errors import UsageError

GROUPINGS = ("layer", "stage", "op")


@dataclass(frozen=True)
class Table:
    """Rows with their columns, the totals, and what the table is of."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]
    totals: Cost
    share_of: tuple[str, ...] = ()  # columns that also get a share-of-total column
    share_base: Cost | None = None  # what shares are taken of, when not the totals
    share_rows: tuple[bool, ...] = ()  # per row, whether its flops and params shares are shown
    note: str = ""
    caption: str = ""  # a line above the table (text, markdown): what its flops are, when not ours


def shape_of(shapes: tuple, batch: Any = 1) -> Any:
    """A node's input/output: one shape as a list (batch prepended when not 1), several as a list of them."""
    lists = [([batch] if batch != 1 else []) + list(s) for s in shapes]
    return lists[0] if len(lists) == 1 else lists


def op_class(layer: LayerCost) -> str:
    """The layer's row in op tables, as its op states it (``table_class``):
    MobileNet v1's Table 2 kinds ``conv 1x1``, ``depthwise 3x3``, ``conv 3x3`` (full), ``fc``, then ``pool``,
    ``element-wise`` and ``data movement`` for what the paper leaves out."""
    return layer.op.table_class(layer.node.input_shapes)


def _hyper(layer: LayerCost) -> dict[str, Any]:
    op = layer.op
    kernel = getattr(op, "kernel", None)
    stride = getattr(op, "stride", None)
    return {"kernel": "x".join(map(str, kernel)) if isinstance(kernel, tuple) else "",
            "stride": (stride[0] if stride[0] == stride[1] else "x".join(map(str, stride)))
            if isinstance(stride, tuple) else "",
            "groups": getattr(op, "groups", "") if getattr(op, "groups", 1) != 1 else ""}


def by_layer(analysis: Analysis, intensity: bool = True) -> Table:
    """One row per node: name, op, shapes, kernel/stride/groups, costs, intensity (left out with
    ``intensity=False``: in closed form it is a slow sympy division, and JSON has no place for it)."""
    batch = analysis.graph.batch
    rows = []
    for layer in analysis.layers:
        row = {"name": layer.name, "op": layer.op.kind, "stage": layer.stage,
               "input": shape_of(layer.node.input_shapes, batch), "output": shape_of(layer.node.outputs, batch)}
        row.update(_hyper(layer))
        row.update(layer.cost.as_dict())
        if intensity:
            row["intensity"] = layer.cost.intensity
        rows.append(row)
    columns = ("name", "op", "input", "output", "kernel", "stride", "groups", "flops", "params", "mac") + \
        (("intensity",) if intensity else ())
    return Table("layers", columns, tuple(rows), analysis.totals, ("flops", "params", "mac"))


def by_op(analysis: Analysis) -> Table:
    """Totals and shares per op class (MobileNet v1 Table 2's breakdown).

    Under ``paper`` the flops and params shares are taken over convolutions and fully connected layers
    only, as the paper's Table 2 does (it leaves BatchNorm out); mac shares are always of the total.
    """
    groups: dict[str, tuple[Cost, int, bool]] = {}
    for layer in analysis.layers:
        key = op_class(layer)
        cost, count, _ = groups.get(key, (Cost(), 0, False))
        groups[key] = (cost + layer.cost, count + 1, layer.op.counted_in_paper)
    rows = [({"op": key, "nodes": count, **cost.as_dict()}, counted) for key, (cost, count, counted) in groups.items()]
    if all(isinstance(row["flops"], int) for row, _ in rows):
        rows.sort(key=lambda pair: -pair[0]["flops"])
    base, shown = None, ()
    if analysis.convention == "paper":
        counted = sum((l.cost for l in analysis.layers if l.op.counted_in_paper), Cost())
        base = Cost(counted.flops, counted.params, analysis.totals.mac, analysis.totals.activations)
        shown = tuple(flag for _, flag in rows)
    note = ("flops % and params % are shares of the convolutions and fully connected layers, as MobileNet v1's "
            "Table 2 gives them (BatchNorm parameters left out); mac % is of the whole network") if base else ""
    return Table("op kinds", ("op", "nodes", "flops", "params", "mac"), tuple(row for row, _ in rows),
                 analysis.totals, ("flops", "params", "mac"), base, shown, note)


def by_stage(analysis: Analysis) -> Table:
    """The papers' layout: layer, output size, kernel, stride, repeat, output channels, costs.

    A stage built of numbered blocks (``stage2.0``, ``stage2.1``…) gives one row per run of consecutive
    blocks with the same stride and output channels (ShuffleNet's "stride 2, repeat 1" then "stride 1,
    repeat 3"); a stage of single layers gives one row with the kernel and stride of its first window op.
    """
    graph = analysis.graph
    stages: dict[str, list[LayerCost]] = {}
    for layer in analysis.layers:
        stages.setdefault(layer.stage, []).append(layer)
    first = graph.input.shape
    rows: list[dict[str, Any]] = [{"layer": "image", "output size": _size(first), "kernel": "", "stride": "",
                                   "repeat": "", "channels": first[0], "flops": "", "params": "", "mac": ""}]
    for stage, layers in stages.items():
        blocks = _blocks(stage, layers)
        if blocks is None:
            rows.append(_single_row(stage, layers))
            continue
        for index, run in enumerate(_runs(blocks)):
            cost = sum((l.cost for block in run for l in block), Cost())
            out = run[0][-1].node.outputs[0]
            rows.append({"layer": stage if index == 0 else "", "output size": _size(out), "kernel": "",
                         "stride": _stride(run[0]), "repeat": len(run), "channels": out[0], **_costs(cost)})
    columns = ("layer", "output size", "kernel", "stride", "repeat", "channels", "flops", "params", "mac")
    return Table("stages", columns, tuple(rows), analysis.totals, ("flops", "params", "mac"))


def _costs(cost: Cost) -> dict[str, Any]:
    return {"flops": cost.flops, "params": cost.params, "mac": cost.mac}


def _size(shape: tuple) -> str:
    return f"{shape[1]}x{shape[2]}" if len(shape) == 3 else ""


def _blocks(stage: str, layers: list[LayerCost]) -> list[list[LayerCost]] | None:
    """The stage's nodes grouped by block scope (``stage.N.…``), or None when it has no numbered blocks."""
    blocks: dict[str, list[LayerCost]] = {}
    for layer in layers:
        parts = layer.name.split(".")
        if len(parts) < 3 or parts[0] != stage or not parts[1].isdigit():
            return None
        blocks.setdefault(parts[1], []).append(layer)
    return list(blocks.values())


def _stride(block: list[LayerCost]) -> Any:
    size_in = block[0].node.input_shapes[0]
    size_out = block[-1].node.outputs[0]
    if len(size_in) != 3 or len(size_out) != 3:
        return ""
    return exact_ratio(size_in[1], size_out[1])


def _runs(blocks: list[list[LayerCost]]) -> list[list[list[LayerCost]]]:
    runs: list[list[list[LayerCost]]] = []
    for block in blocks:
        signature = (_stride(block), block[-1].node.outputs[0])
        if runs and (_stride(runs[-1][0]), runs[-1][0][-1].node.outputs[0]) == signature:
            runs[-1].append(block)
        else:
            runs.append([block])
    return runs


def _single_row(stage: str, layers: list[LayerCost]) -> dict[str, Any]:
    first = layers[0]
    if first.op.kind == "global_avg_pool":
        _, h, w = first.node.input_shapes[0]
        hyper = {"kernel": f"{h}x{w}", "stride": ""}
    else:
        window = next((l for l in layers if isinstance(getattr(l.op, "kernel", None), tuple)), None)
        hyper = _hyper(window) if window is not None else {"kernel": "", "stride": ""}
    out = layers[-1].node.outputs[0]
    cost = sum((l.cost for l in layers), Cost())
    return {"layer": stage, "output size": _size(out), "kernel": hyper["kernel"], "stride": hyper["stride"],
            "repeat": 1, "channels": out[0], **_costs(cost)}


def table(analysis: Analysis, by: str = "layer", *, intensity: bool = True) -> Table:
    """The table of ``analysis`` grouped ``by`` layer, stage or op (``intensity``: see ``by_layer``)."""
    if by not in GROUPINGS:
        raise UsageError(f"table grouping must be one of {', '.join(GROUPINGS)}, got {by!r}")
    made = by_layer(analysis, intensity) if by == "layer" else {"stage": by_stage, "op": by_op}[by](analysis)
    heading = convention_heading(analysis.convention)
    return replace(made, caption=heading) if heading else made


def convention_heading(name: str) -> str:
    """What ``flops`` means in a table under a tool's convention (its unit, tool and version); "" for ours."""
    from .conventions import REGISTRY
    convention = REGISTRY[name]
    if not convention.tool:
        return ""
    per = ", per image whatever the batch" if convention.per_image else ""
    return f"flops under convention {name}: what {convention.tool} counts, in {convention.unit}{per}"
