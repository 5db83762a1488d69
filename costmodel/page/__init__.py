"""One self-contained HTML page of a network: ``report_page(graph, ...)`` returns its text.

Everything shown comes from the library: the totals and layer costs from ``costmodel.analysis.analyze``,
the stage and op tables from ``costmodel.report.table`` (rendered by ``costmodel.render``), the tree of
scopes with subtotals from ``costmodel.tree.by_depth``, the findings from ``costmodel.guidelines.check``,
predicted times from a device (``costmodel.device.tables.with_times``), the charts from ``costmodel.plots``
as inline SVG, closed forms as presentation MathML (``sympy.printing.mathml``). The page fetches nothing:
its CSS and JavaScript are written inline, and user text (names, labels, parameters) is escaped by jinja2's
autoescape; nothing user-written goes into a script.
"""
from __future__ import annotations

import io
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from .. import __version__
from ..analysis import analyze
from ..errors import CostModelError, UsageError
from ..graph import Graph
from ..render import _cell, human, render, share, text_of
from ..report import op_class, table
from .diagram import diagrams

COLUMNS = ("name", "op", "input", "output", "flops", "flops %", "params", "mac", "mac %", "intensity")
NUMERIC = ("flops", "params", "mac", "intensity", "time")
TOTALS = ("flops", "params", "mac")


def report_page(graph: Graph, *, name: str | None = None, parameters: dict | None = None, device: Any = None,
                convention: str = "paper", at_least: dict | None = None) -> str:
    """The page of ``graph`` (its ``name`` and ``parameters`` shown in the summary); ``device`` (a
    ``costmodel.device.Device``) adds each layer's predicted time and places the roofline on it;
    ``at_least`` (lower bounds of symbols, as ``costmodel.report.table`` takes) simplifies closed forms."""
    try:
        import jinja2
    except ImportError:
        raise UsageError("the HTML report needs the jinja2 package: pip install 'costmodel[report]'") from None

    analysis = analyze(graph, convention)
    symbolic = any(_symbolic(getattr(analysis.totals, key)) for key in TOTALS)
    prediction = device.predict(graph) if device is not None else None
    bounds = at_least or None
    if bounds:
        analysis = replace(analysis, totals=table(analysis, by="op", at_least=bounds).totals)
    rows = _tree_rows(analysis, prediction, bounds)
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(str(Path(__file__).parent)), autoescape=True,
                                     undefined=jinja2.StrictUndefined)
    return environment.get_template("template.html").render(
        name=name or graph.name, version=__version__, convention=convention,
        parameters=[(key, text_of(value)) for key, value in (parameters or {}).items()],
        totals=[(key, human(getattr(analysis.totals, key)), _mathml(getattr(analysis.totals, key)))
                for key in TOTALS],
        layer_count=len(analysis.layers), symbolic=symbolic,
        stage_table=_markup(render(table(analysis, by="stage", at_least=bounds), "html")), relaxed=graph.relaxed,
        columns=COLUMNS + (("time",) if prediction else ()), rows=rows,
        op_shares=_op_shares(analysis), findings=_findings(graph, device, {row["path"] for row in rows}), charts=_charts(analysis, graph, device),
        diagrams=diagrams(graph), device=_device_line(prediction))


def _device_line(prediction) -> str | None:
    """The device and its predicted time of one run (the nodes and its fixed cost), or None."""
    if prediction is None:
        return None
    from ..device import duration

    return f"{prediction.device}: {duration(prediction.total)} predicted per run (blank times: fused away)"


def _markup(text: str):
    from markupsafe import Markup

    return Markup(text)


def _symbolic(value: Any) -> bool:
    return bool(getattr(value, "free_symbols", None))


def _mathml(value: Any):
    """A closed form as presentation MathML (sympy's printer escapes the text it writes); None for a number."""
    if not _symbolic(value):
        return None
    from sympy.printing.mathml import mathml

    return _markup('<math>' + mathml(value, printer="presentation") + "</math>")


def _sort_key(value: Any) -> str:
    """A number for the page's sorting (the value itself, as a float); blank for a closed form."""
    try:
        return repr(float(value)) if value is not None and not _symbolic(value) else ""
    except (TypeError, ValueError):
        return ""


def _tree_rows(analysis, prediction, bounds) -> list[dict]:
    """The full tree of scopes (a table by depth past the deepest path): each row's cells, sort keys, parent."""
    depth = max((layer.name.count(".") + 1 for layer in analysis.layers), default=1)
    made = table(analysis, depth=depth, at_least=bounds)
    times = {}
    if prediction is not None:
        from ..device import duration
        from ..device.tables import with_times

        timed = with_times(table(analysis), analysis, prediction)
        times = {row["name"]: row["time"] for row in timed.rows}
    layers = {layer.name: op_class(layer) for layer in analysis.layers}
    paths = {row["name"] for row in made.rows}
    base = analysis.totals
    rows = []
    for row, level in zip(made.rows, made.levels):
        path = row["name"]
        parent = path.rpartition(".")[0]
        cells = []
        for column in COLUMNS + (("time",) if prediction else ()):
            if column.endswith(" %"):
                count = column[:-2]
                shown = share(row.get(count), getattr(base, count))
                cells.append((column, shown, shown.rstrip("%")))
            elif column == "time":
                seconds = times.get(path)
                cells.append((column, duration(seconds) if seconds is not None else "", _sort_key(seconds)))
            elif column == "name":
                cells.append((column, path.rpartition(".")[2], path))
            else:
                shown = _cell(column, row.get(column), True)
                cells.append((column, text_of(shown), _sort_key(row.get(column)) if column in NUMERIC else
                              text_of(shown)))
        rows.append({"path": path, "parent": parent if parent in paths else "", "level": level,
                     "leaf": path in layers, "kind": layers.get(path, ""),
                     "cells": cells})
    return rows


def _op_shares(analysis) -> list[dict]:
    """The table by op (``costmodel.report.table(by="op")``): each class's flops and mac, their shares."""
    made = table(analysis, by="op")
    out = []
    for row in made.rows:
        out.append({"op": row["op"], "flops": human(row["flops"]), "mac": human(row["mac"]),
                    "flops_share": share(row["flops"], analysis.totals.flops),
                    "mac_share": share(row["mac"], analysis.totals.mac)})
    return out


def _findings(graph, device, paths: set) -> dict:
    """The guideline check's findings (``costmodel.guidelines.check``), each with the row it links to (one of
    ``paths``; none for the whole network), or why there are none."""
    from ..guidelines import check
    from ..guidelines.output import finding_dict

    try:
        result = check(graph, device=device)
    except CostModelError as error:
        return {"refused": str(error), "items": [], "summaries": []}
    items = []
    for finding in result.findings:
        where = getattr(finding, "layer", None) or finding.block
        details = {k: f"{v:.4g}" if isinstance(v, float) else v for k, v in finding_dict(finding).items()
                   if k not in ("guideline", "layer", "block", "alternatives", "over") and v is not None}
        items.append({"guideline": finding.guideline, "where": where or graph.name, "anchor": where if where in paths else None,
                      "over": finding.over, "details": ", ".join(f"{k} {v}" for k, v in details.items())})
    from ..guidelines.output import summary_line

    return {"refused": None, "items": items, "summaries": [summary_line(s) for s in result.summaries.values()]}


def _charts(analysis, graph, device) -> dict:
    """The breakdown per layer and the roofline of every layer as inline SVG, or why they cannot be drawn."""
    try:
        from .. import plots

        drawn = {"breakdown": plots.breakdown(analysis, by="layer"),
                 "roofline": plots.roofline(graph, device=device if device is not None else "cpu")}
        return {"refused": None, "svgs": {key: _markup(_svg(fig)) for key, fig in drawn.items()}}
    except CostModelError as error:
        return {"refused": str(error), "svgs": {}}


def _svg(fig) -> str:
    """``fig`` as an inline ``<svg>`` element (matplotlib writes text as paths, comments escaped)."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return re.sub(r'(<svg[^>]*?) width="[^"]*" height="[^"]*"', r"\1", text[text.index("<svg"):], count=1)


__all__ = ["report_page"]
