"""Tables of an analysis: one row per layer, per stage (the papers' layout), per op class, or a tree of
scopes down to a depth with subtotals (``costmodel.tree``).

Rows are plain dicts of exact values (ints, Fractions, sympy expressions, tuples for kernel / stride /
padding, lists for shapes, None for an empty cell); ``costmodel.render`` turns them into text, markdown,
csv, json, latex or html. Closed forms are made readable first (``costmodel.symbolic.readable``).
Nothing here computes a cost: every number is read from the ``costmodel.analysis.Analysis``.

In Jupyter a ``Table`` displays as an HTML table (``_repr_html_``), and ``to_pandas()`` gives a
DataFrame when pandas is installed.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from .analysis import DISPLAYS, Analysis, Cost, LayerCost
from .dims import exact_ratio, is_symbolic
from .errors import UsageError
from .progress import count, stage
from .values import as_rational, is_number, show

GROUPINGS = ("layer", "stage", "op")
MAX_BYTES_PER_ELEMENT = 1024  # a float64 complex is 16; more is a typo


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
    shown: tuple[str, ...] = ()  # the columns text, markdown, latex and html show by default (all when empty)
    levels: tuple[int, ...] = ()  # per row, its depth in a tree of scopes (tables by depth only)
    bytes_per_element: Any = 4
    more_totals: tuple[tuple[str, Any], ...] = ()  # total-row cells of columns that are not costs (time)

    def _repr_html_(self) -> str:
        from .render import render

        return render(self, "html")

    def to_pandas(self):
        """The rows as a ``pandas.DataFrame`` (exact values; shapes as lists), one column per table column."""
        try:
            import pandas
        except ImportError:
            raise UsageError("Table.to_pandas needs pandas, which is not installed: pip install pandas") from None
        from .render import exact

        return pandas.DataFrame([{c: exact(row.get(c)) for c in self.columns} for row in self.rows],
                                columns=list(self.columns))


def readable_costs(cost: Cost, bytes_per_element: Any = 4) -> dict[str, Any]:
    """``flops``, ``params``, ``mac``, ``mac_bytes`` and ``activations`` of ``cost``, closed forms made
    readable (``costmodel.symbolic.readable``)."""
    values = dict(cost.as_dict(), mac_bytes=cost.mac_bytes(bytes_per_element))
    if not cost.is_symbolic:
        return values
    from .symbolic import readable

    return {key: readable(value) for key, value in values.items()}


def check_bytes_per_element(value: Any) -> Any:
    """A positive exact number of bytes per element, at most ``MAX_BYTES_PER_ELEMENT`` (``0.5`` for 4-bit
    weights is fine); one ``UsageError`` otherwise."""
    number = as_rational(value)
    if not is_number(number) or not 0 < number <= MAX_BYTES_PER_ELEMENT:
        raise UsageError(f"bytes per element must be a positive number, at most {MAX_BYTES_PER_ELEMENT}, got "
                         f"{show(value, limit=60)}")
    return number


def shape_of(shapes: tuple, batch: Any = 1) -> Any:
    """A node's input/output: one shape as a list (batch prepended when not 1), several as a list of them."""
    lists = [([batch] if batch != 1 else []) + list(s) for s in shapes]
    return lists[0] if len(lists) == 1 else lists


def op_class(layer: LayerCost) -> str:
    """The layer's row in op tables, as its op states it (``table_class``):
    MobileNet v1's Table 2 kinds ``conv 1x1``, ``depthwise 3x3``, ``conv 3x3`` (full), ``fc``, then ``pool``,
    ``element-wise`` and ``data movement`` for what the paper leaves out."""
    return layer.op.table_class(layer.node.input_shapes)


HYPER = ("kernel", "stride", "groups", "padding")


def hyper(layer: LayerCost) -> dict[str, Any]:
    """The op's kernel, stride and padding (pairs) and groups, None where the op has none."""
    op = layer.op
    found = {name: getattr(op, name, None) for name in HYPER}
    return {name: value if isinstance(value, tuple) or (name == "groups" and value is not None) else None
            for name, value in found.items()}


LAYER_COLUMNS = ("name", "op", "stage", "input", "output", "kernel", "stride", "groups", "padding", "flops",
                 "params", "mac", "mac_bytes", "activations", "intensity")
LAYER_SHOWN = ("name", "op", "input", "output", "kernel", "stride", "groups", "flops", "params", "mac",
               "intensity")


def layer_row(layer: LayerCost, batch: Any, bytes_per_element: Any, intensity: bool = True) -> dict[str, Any]:
    """A layer's row: name, op, stage, input and output shapes, kernel/stride/groups/padding, costs, and
    intensity unless ``intensity=False`` (in closed form a slow sympy division, which JSON does not show)."""
    count("tabulating")
    batch = 1 if layer.per_batch else batch   # a constant's shapes have no batch
    row = {"name": layer.name, "op": layer.op.kind, "stage": layer.stage,
           "input": shape_of(layer.node.input_shapes, batch), "output": shape_of(layer.node.outputs, batch)}
    row.update(hyper(layer))
    row.update(readable_costs(layer.cost, bytes_per_element))
    row["intensity"] = _readable(layer.cost.intensity) if intensity else None
    return row


def _readable(value: Any) -> Any:
    if not is_symbolic(value):
        return value
    from .symbolic import readable

    return readable(value)


def by_layer(analysis: Analysis, bytes_per_element: Any = 4, intensity: bool = True) -> Table:
    """One row per node: name, op, shapes, kernel/stride/groups/padding, costs, intensity (see
    ``layer_row``)."""
    batch = analysis.graph.batch
    rows = tuple(layer_row(layer, batch, bytes_per_element, intensity) for layer in analysis.layers)
    return Table("layers", LAYER_COLUMNS, rows, analysis.totals, ("flops", "params", "mac"),
                 shown=_with_bytes(LAYER_SHOWN, bytes_per_element), bytes_per_element=bytes_per_element)


def _with_bytes(shown: tuple[str, ...], bytes_per_element: Any) -> tuple[str, ...]:
    """The default columns, ``mac_bytes`` after ``mac`` when the bytes per element are not the default 4."""
    if bytes_per_element == 4 or "mac" not in shown:
        return shown
    at = shown.index("mac") + 1
    return shown[:at] + ("mac_bytes",) + shown[at:]


def by_op(analysis: Analysis, bytes_per_element: Any = 4) -> Table:
    """Totals and shares per op class (MobileNet v1 Table 2's breakdown).

    Under ``paper`` the flops and params shares are taken over convolutions and fully connected layers
    only, as the paper's Table 2 does (it leaves BatchNorm out); mac shares are always of the total.
    """
    groups: dict[str, tuple[Cost, int, bool]] = {}
    for layer in analysis.layers:
        key = op_class(layer)
        cost, count, _ = groups.get(key, (Cost(), 0, False))
        groups[key] = (cost + layer.cost, count + 1, layer.op.counted_in_paper)
    rows = [({"op": key, "nodes": count, **readable_costs(cost, bytes_per_element)}, counted)
            for key, (cost, count, counted) in groups.items()]
    if all(isinstance(row["flops"], int) for row, _ in rows):
        rows.sort(key=lambda pair: -pair[0]["flops"])
    base, shown = None, ()
    if analysis.convention == "paper":
        counted = sum((l.cost for l in analysis.layers if l.op.counted_in_paper), Cost())
        base = Cost(counted.flops, counted.params, analysis.totals.mac, analysis.totals.activations)
        shown = tuple(flag for _, flag in rows)
    note = ("flops % and params % are shares of the convolutions and fully connected layers, as MobileNet v1's "
            "Table 2 gives them (BatchNorm parameters left out); mac % is of the whole network") if base else ""
    columns = ("op", "nodes", "flops", "params", "mac", "mac_bytes", "activations")
    return Table("op kinds", columns, tuple(row for row, _ in rows), analysis.totals, ("flops", "params", "mac"),
                 base, shown, note, shown=_with_bytes(("op", "nodes", "flops", "params", "mac"), bytes_per_element),
                 bytes_per_element=bytes_per_element)


def by_stage(analysis: Analysis, bytes_per_element: Any = 4) -> Table:
    """The papers' layout: layer, output size, kernel, stride, repeat, output channels, costs.

    A stage built of numbered blocks (``stage2.0``, ``stage2.1``…) gives one row per run of consecutive
    blocks with the same stride and output (ShuffleNet's "stride 2, repeat 1" then "stride 1, repeat 3");
    blocks of the same layers (names, ops, kernels) that differ only in channel count share a row too, whose
    channels are the range, first to last (DenseNet's dense blocks, ``96–256``). A stage of single
    layers gives one row with the kernel and stride of its first window op; a stage whose layers branch
    (some layer reads other than the layer before it: Inception modules) shows every kernel of its window
    ops in order (``1x1, 3x3, 5x5``) and the largest stride.
    """
    graph = analysis.graph
    stages: dict[str, list[LayerCost]] = {}
    for layer in analysis.layers:
        stages.setdefault(layer.stage, []).append(layer)
    first = graph.input.shape
    rows: list[dict[str, Any]] = [{"layer": "image", "output size": _size(first), "kernel": None, "stride": None,
                                   "repeat": None, "channels": first[0], "flops": None, "params": None,
                                   "mac": None, "mac_bytes": None}]
    for stage, layers in stages.items():
        blocks = _blocks(stage, layers)
        if blocks is None:
            rows.append(_single_row(stage, layers, bytes_per_element))
            continue
        for index, run in enumerate(_runs(blocks)):
            cost = sum((l.cost for block in run for l in block), Cost())
            out = run[0][-1].node.outputs[0]
            rows.append({"layer": stage if index == 0 else None, "output size": _size(out), "kernel": None,
                         "stride": _stride(run[0]), "repeat": len(run), "channels": _channels(run),
                         **_costs(cost, bytes_per_element)})
    columns = ("layer", "output size", "kernel", "stride", "repeat", "channels", "flops", "params", "mac",
               "mac_bytes")
    return Table("stages", columns, tuple(rows), analysis.totals, ("flops", "params", "mac"),
                 shown=_with_bytes(columns[:-1], bytes_per_element), bytes_per_element=bytes_per_element)


def _costs(cost: Cost, bytes_per_element: Any) -> dict[str, Any]:
    values = readable_costs(cost, bytes_per_element)
    return {key: values[key] for key in ("flops", "params", "mac", "mac_bytes")}


def _size(shape: tuple) -> str | None:
    return f"{shape[1]}x{shape[2]}" if len(shape) == 3 else None


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
        return None
    return exact_ratio(size_in[1], size_out[1])


def _layers(block: list[LayerCost]) -> tuple:
    """Each layer's name in the block, op kind and kernel: what blocks that differ only in channels share."""
    return tuple((l.name.split(".", 2)[2], l.op.kind, getattr(l.op, "kernel", None)) for l in block)


def _same_row(first: list[LayerCost], block: list[LayerCost]) -> bool:
    """Same stride and output, or same stride and output size and the same layers (channels aside)."""
    if _stride(first) != _stride(block):
        return False
    first_out, out = first[-1].node.outputs[0], block[-1].node.outputs[0]
    return first_out == out or (first_out[1:] == out[1:] and _layers(first) == _layers(block))


def _runs(blocks: list[list[LayerCost]]) -> list[list[list[LayerCost]]]:
    runs: list[list[list[LayerCost]]] = []
    for block in blocks:
        if runs and _same_row(runs[-1][0], block):
            runs[-1].append(block)
        else:
            runs.append([block])
    return runs


def _channels(run: list[list[LayerCost]]) -> Any:
    """The run's output channels, or ``first–last`` when its blocks' differ."""
    first, last = run[0][-1].node.outputs[0][0], run[-1][-1].node.outputs[0][0]
    if all(block[-1].node.outputs[0][0] == first for block in run):
        return first
    from .render import text_of

    return f"{text_of(first)}–{text_of(last)}"


def _branches(layers: list[LayerCost]) -> bool:
    """Whether some layer of the stage reads other than the output of the layer before it."""
    return any(tuple(t.node for t in layer.node.inputs) != (before.name,) for before, layer in zip(layers, layers[1:]))


def _branch_window(layers: list[LayerCost]) -> dict[str, Any]:
    """Every distinct kernel of the stage's window ops, in order (``1x1, 3x3``), and the largest stride."""
    windows = [hyper(l) for l in layers if isinstance(getattr(l.op, "kernel", None), tuple)]
    kernels = list(dict.fromkeys(w["kernel"] for w in windows))
    strides = [w["stride"] for w in windows if isinstance(w["stride"], tuple)]
    largest = max(strides, key=lambda s: s[0] * s[1]) if strides and all(is_number(v) for s in strides for v in s) \
        else None
    return {"kernel": ", ".join("x".join(map(str, k)) for k in kernels) or None, "stride": largest}


def _single_row(stage: str, layers: list[LayerCost], bytes_per_element: Any) -> dict[str, Any]:
    first = layers[0]
    if first.op.kind == "global_avg_pool":
        _, h, w = first.node.input_shapes[0]
        window = {"kernel": (h, w), "stride": None}
    elif _branches(layers):
        window = _branch_window(layers)
    else:
        found = next((l for l in layers if isinstance(getattr(l.op, "kernel", None), tuple)), None)
        window = hyper(found) if found is not None else {"kernel": None, "stride": None}
    out = layers[-1].node.outputs[0]
    cost = sum((l.cost for l in layers), Cost())
    stride = window["stride"]
    return {"layer": stage, "output size": _size(out), "kernel": window["kernel"],
            "stride": stride[0] if isinstance(stride, tuple) and stride[0] == stride[1] else stride,
            "repeat": 1, "channels": out[0], **_costs(cost, bytes_per_element)}


def table(analysis: Analysis, by: str = "layer", *, depth: int | None = None, bytes_per_element: Any = 4,
          at_least: dict | None = None, intensity: bool = True) -> Table:
    """The table of ``analysis`` grouped ``by`` layer, stage or op.

    ``depth`` (layer tables only): a tree of scopes down to that depth, each with its subtotal
    (``costmodel.tree.by_depth``). ``bytes_per_element`` (default 4, float32) gives ``mac_bytes``, shown in
    text when it is not 4. ``at_least`` maps symbols (or their names) to lower bounds, and every cell is
    shown with what they decide resolved (``costmodel.symbolic.at_least``: ``{"alpha": Fraction(1, 4)}``
    turns ``Max(8, floor(32*alpha))`` into ``floor(32*alpha)``). ``intensity=False`` leaves the layers'
    intensity out (see ``layer_row``). Under a tool's convention the table's caption says what its flops are.
    """
    with stage("tabulating", len(analysis.layers)):
        made = _table(analysis, by, depth, bytes_per_element, intensity)
    made = bounded(made, at_least) if at_least else made
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


def bounded(made: Table, at_least: dict) -> Table:
    """``made`` with every symbolic cell, shape and total rewritten under the lower bounds ``at_least``."""
    from .symbolic import at_least as resolve

    def cell(value: Any) -> Any:
        if isinstance(value, list):
            return [cell(v) for v in value]
        return _readable(resolve(value, at_least)) if is_symbolic(value) else value

    rows = tuple({key: cell(value) for key, value in row.items()} for row in made.rows)
    totals = Cost(*(cell(v) for v in made.totals.as_dict().values()))
    return replace(made, rows=rows, totals=totals)


def _table(analysis: Analysis, by: str, depth: int | None, bytes_per_element: Any, intensity: bool) -> Table:
    if not isinstance(by, str) or by not in GROUPINGS:
        raise UsageError(f"table grouping must be one of {', '.join(GROUPINGS)}, got {show(by, limit=40)}")
    bytes_per_element = check_bytes_per_element(bytes_per_element)
    if depth is not None:
        if by != "layer":
            raise UsageError(f"table depth applies to the layer table, not to a table by {by}")
        from .tree import by_depth

        return by_depth(analysis, depth, bytes_per_element, intensity)
    if by == "layer":
        return by_layer(analysis, bytes_per_element, intensity)
    return {"stage": by_stage, "op": by_op}[by](analysis, bytes_per_element)


def _html_of(analysis: Analysis) -> str:
    from .render import render

    return render(table(analysis), "html")


DISPLAYS.update(table=table, html=_html_of)
