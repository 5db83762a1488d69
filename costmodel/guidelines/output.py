"""The text and JSON of a guideline ``Check`` (``costmodel.guidelines``): names shown with control characters
escaped, JSON with stable keys and exact integers."""
from __future__ import annotations

import json
from dataclasses import asdict
from fractions import Fraction
from typing import Any

from ..errors import printable
from ..values import show
from . import GUIDELINES, TITLES, Check, Summary


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def finding_dict(finding: Any) -> dict:
    """A finding as JSON-ready data: ``guideline`` first, integers exact, other numbers to 6 decimals."""
    return {"guideline": finding.guideline, **_rounded(asdict(finding))}


def to_json(result: Check) -> str:
    """The check as JSON: name, parameters, fuse, thresholds, one summary per guideline, then the findings."""
    head = {"name": result.name, "parameters": {k: _json_value(v) for k, v in result.parameters.items()},
            "fuse": list(result.fuse), "device": result.device, "thresholds": result.thresholds,
            "summary": {g: {k: _rounded(v) for k, v in asdict(s).items() if k != "guideline"}
                        for g, s in result.summaries.items()}}
    lines = ["{"] + [f"  {json.dumps(k)}: {json.dumps(v)}," for k, v in head.items()]
    rows = [finding_dict(f) for f in result.findings]
    lines.append('  "findings": [')
    lines += [f"    {json.dumps(row)}{',' if i < len(rows) - 1 else ''}"
              for i, row in enumerate(rows)]
    lines += ["  ]", "}"]
    return "\n".join(lines)


def _json_value(value: Any) -> Any:
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else float(value)
    return value if isinstance(value, (int, float, str, bool)) or value is None else str(value)


_COLUMNS = {
    "G1": (("layer", "layer"), ("c1:c2", None), ("hw", "hw"), ("mac", "mac"), ("bound", "bound"),
           ("excess", "excess"), ("ratio", "ratio"), ("balanced", "balanced")),
    "G2": (("layer", "layer"), ("groups", "groups"), ("c1->c2", None), ("mac", "mac"), ("mac g=1", None),
           ("excess", "excess"), ("ratio", "ratio"), ("fewer groups (g:mac)", None)),
    "G3": (("block", "block"), ("paths", "paths"), ("kernels", "kernels"), ("fragments", "fragments")),
    "G4": (("block", "block"), ("mac", "mac"), ("element-wise", "elementwise"), ("share", "share"),
           ("with depthwise", "share_with_depthwise")),
}


def _cell(finding: Any, title: str, key: str | None) -> str:
    if key is None:
        if title == "c1:c2":
            return f"{finding.c1}:{finding.c2}"
        if title == "c1->c2":
            return f"{finding.c1}->{finding.c2}"
        if title == "mac g=1":
            return str(finding.alternatives[0].mac)
        return " ".join(f"{a.groups}:{a.mac}" for a in finding.alternatives)
    value = getattr(finding, key)
    if key in ("share", "share_with_depthwise", "time_share"):
        return f"{100 * value:.1f}%"
    if key == "ratio":
        return f"x{value:.3f}"
    if isinstance(value, float):
        return f"{value:.1f}" if key != "balanced" else f"{value:.2f}"
    return printable(str(value))


TEXT_ROWS = 10  # findings shown per guideline in text, worst first (every one with everything=True)


def to_text(result: Check, everything: bool = False) -> str:
    """The check for a terminal: per guideline its title, a table of the findings over the threshold, worst
    first (at most ``TEXT_ROWS``; every finding, over or not, with ``everything``) and a summary line. Names
    are shown with control characters escaped."""
    lines = [f"check {printable(result.name)}" + (
        " (" + ", ".join(f"{printable(k)}={printable(show(v))}" for k, v in result.parameters.items()) + ")"
        if result.parameters else "") + (f", fused: {', '.join(result.fuse)}" if result.fuse else "") + (
        f", device: {printable(result.device)}" if result.device else "")]
    for guideline in GUIDELINES:
        summary = result.summaries[guideline]
        findings = [f for f in result.of(guideline) if everything or f.over]
        columns = _COLUMNS[guideline] + ((("time share", "time_share"),) if guideline == "G4" and result.device
                                         else ())
        if not everything:
            findings = sorted(findings, key=lambda f: -f.value)
        left_out = len(findings) - TEXT_ROWS if not everything and len(findings) > TEXT_ROWS else 0
        findings = findings[:len(findings) - left_out]
        lines += ["", f"{guideline}  {TITLES[guideline]}"]
        if findings:
            rows = [[title for title, _ in columns]] + [[_cell(f, t, k) for t, k in columns] for f in findings]
            widths = [max(len(row[i]) for row in rows) for i in range(len(columns))]
            for row in rows:
                cells = [c.ljust(widths[i]) if i == 0 or columns[i][0].startswith("fewer") else c.rjust(widths[i])
                         for i, c in enumerate(row)]
                lines.append("  " + "  ".join(cells).rstrip())
        if left_out:
            lines.append(f"  ... and {left_out} more over the threshold (--all lists every finding)")
        lines.append("  " + summary_line(summary))
    return "\n".join(lines)


_CHECKED = {"G1": "1x1 convs", "G2": "group convs", "G3": "blocks"}
_FOUND = {"G1": "above the bound", "G2": "costlier than fewer groups", "G3": "with more than one path",
          "G4": "with element-wise mac"}
_MEASURE = {"G1": "ratio", "G2": "ratio", "G3": "paths", "G4": "share"}


def summary_line(summary: Summary) -> str:
    """``G1: 34 1x1 convs checked, 20 above the bound, 12 over the threshold ratio > 1.05 (worst: x, 1.43)``."""
    g = summary.guideline
    blocks = summary.checked - 1
    checked = f"the network and {blocks} block{'s' * (blocks != 1)}" if g == "G4" else \
        f"{summary.checked} {_CHECKED[g].rstrip('s') if summary.checked == 1 else _CHECKED[g]}"
    text = f"{g}: {checked} checked, {summary.findings} {_FOUND[g]}"
    if summary.threshold is None:
        text += f", no threshold set"
    else:
        text += f", {summary.over} over the threshold {_MEASURE[g]} > {summary.threshold:g}"
    if summary.worst is not None:
        worst = f"{100 * summary.worst_value:.1f}%" if g == "G4" else (
            str(summary.worst_value) if g == "G3" else f"x{summary.worst_value:.3f}")
        text += f" (worst: {printable(summary.worst)}, {worst})"
    return text
