"""Predicted times in a table: ``with_times(table, analysis, prediction)`` adds a device's seconds per row."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..analysis import Analysis
from ..errors import UsageError
from ..report import Table, op_class

TIME_COLUMNS = ("time", "time %")


def with_times(made: Table, analysis: Analysis, prediction: Any) -> Table:
    """``made`` with a device's predicted seconds per row (``time``), their share of the nodes' sum
    (``time %``) and the predicted total (the nodes and the device's fixed cost of one run) in the total
    row; ``prediction`` is a ``costmodel.device.Prediction`` of the analysed graph. Layer and op tables."""
    seconds = prediction.seconds
    whole = sum(seconds.values())
    if made.title == "layers" and not made.levels:
        fused = {layer.name for layer in prediction.layers if layer.fused}
        times = [None if row["name"] in fused else seconds.get(row["name"], 0.0) for row in made.rows]
    elif made.title == "op kinds":
        per_class: dict[str, float] = {}
        for layer in analysis.layers:
            key = op_class(layer)
            per_class[key] = per_class.get(key, 0.0) + seconds.get(layer.name, 0.0)
        times = [per_class.get(row["op"], 0.0) for row in made.rows]
    else:
        raise UsageError("predicted times apply to the layer table and the table by op, not to a table by "
                         f"{'depth' if made.levels else made.title}")
    rows = tuple({**row, "time": t, "time %": f"{100 * t / whole:.2f}%" if whole and t is not None else ""}
                 for row, t in zip(made.rows, times))
    shown = (made.shown or made.columns) + TIME_COLUMNS
    note = (made.note + "; " if made.note else "") + f"time: predicted by device {prediction.device}" + (
        " (blank: fused into the layer before)" if made.title == "layers" else "") + (
        f"; the total adds one run's fixed cost ({prediction.run_overhead * 1e6:.3g} us)"
        if prediction.run_overhead else "")
    return replace(made, columns=made.columns + TIME_COLUMNS, rows=rows, shown=shown, note=note,
                   more_totals=(("time", prediction.total), ("time %", "100.00%" if whole else "")))
