"""The layer table as a tree of scopes down to a depth, each scope with its subtotal (torchinfo's
``depth``, fvcore's ``max_depth``).

A node's dotted name is its path (``conv2_x.0.conv1``: scope ``conv2_x``, block ``conv2_x.0``, layer
``conv1``). Depth ``d`` shows every scope and layer whose path has at most ``d`` parts; a scope at depth
``d`` holding deeper nodes is one row, their sum. Rows come in graph order, each scope before what it holds
(its ``level`` gives the indentation). Depth 0 leaves only the total; a depth past the deepest path is the
full tree. The subtotals are sums of the analysis's per-node costs, so every level adds up to the total.
"""
from __future__ import annotations

from typing import Any

from .analysis import Analysis, Cost, LayerCost
from .errors import UsageError
from .report import LAYER_COLUMNS, LAYER_SHOWN, Table, _readable, _with_bytes, layer_row, readable_costs, shape_of
from .values import show

TREE_COLUMNS = ("depth",) + LAYER_COLUMNS


def by_depth(analysis: Analysis, depth: int, bytes_per_element: Any = 4, intensity: bool = True) -> Table:
    """Scopes and layers down to ``depth`` (0 or more), scopes with their subtotals (see the module doc)."""
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
        raise UsageError(f"table depth must be a whole number, 0 or more, got {show(depth, limit=40)}")
    entries: dict[tuple[str, bool], list[LayerCost]] = {}  # (path, is a layer) -> its nodes, first met first
    for layer in analysis.layers:
        parts = layer.name.split(".")
        for level in range(1, min(depth, len(parts)) + 1):
            entries.setdefault((".".join(parts[:level]), level == len(parts)), []).append(layer)
    batch = analysis.graph.batch
    rows, levels = [], []
    for (path, is_layer), layers in entries.items():
        row = layer_row(layers[0], batch, bytes_per_element, intensity) if is_layer else \
            _scope_row(path, layers, batch, bytes_per_element, intensity)
        rows.append({"depth": path.count(".") + 1, **row})
        levels.append(path.count(".") + 1)
    return Table(f"scopes to depth {depth}", TREE_COLUMNS, tuple(rows), analysis.totals, ("flops", "params", "mac"),
                 shown=_with_bytes(LAYER_SHOWN, bytes_per_element), levels=tuple(levels),
                 bytes_per_element=bytes_per_element)


def _scope_row(path: str, layers: list[LayerCost], batch: Any, bytes_per_element: Any, intensity: bool
               ) -> dict[str, Any]:
    """A scope's row: its path, how many layers it holds, the first one's input, the last one's output, and
    the sum of their costs."""
    cost = sum((layer.cost for layer in layers), Cost())
    return {"name": path, "op": f"{len(layers)} layers", "stage": layers[0].stage,
            "input": shape_of(layers[0].node.input_shapes, batch), "output": shape_of(layers[-1].node.outputs, batch),
            "kernel": None, "stride": None, "groups": None, "padding": None,
            **readable_costs(cost, bytes_per_element), "intensity": _readable(cost.intensity) if intensity else None}
