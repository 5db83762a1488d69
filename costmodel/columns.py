"""Which columns a table shows: the ones a user names (``--columns``), else the table's default, and, for
text, the ones of highest priority that fit a width (``--width``, 100 characters by default).

A share column is its count's name and `` %`` (``flops %``); it may be named ``flops%`` or ``flops %``.
"""
from __future__ import annotations

from typing import Any

from .errors import UsageError
from .report import Table
from .values import show, suggest

SHARE = " %"  # a share column is its count's name and " %" ("flops %"); chosen as "flops%" or "flops %"


def available(table: Table) -> list[str]:
    """Every column ``table`` can show: its own, then a share column per count it shares."""
    return list(table.columns) + [c + SHARE for c in table.share_of]


def choose_columns(table: Table, columns: Any = None) -> list[str]:
    """The columns named in ``columns`` (a list, or text ``"name,flops,mac%"``; ``"all"`` for every one), in
    the order given; None gives the table's default. One ``UsageError`` names an unknown, a repeated or
    an empty choice and lists the choices."""
    options = available(table)
    if columns is None:
        shown = list(table.shown or table.columns)
        return [c for c in options if c in shown or (c.endswith(SHARE) and c[:-len(SHARE)] in shown)]
    names = columns.split(",") if isinstance(columns, str) else list(columns)
    if not all(isinstance(n, str) for n in names):
        raise UsageError(f"columns must be names of columns, got {show(columns, limit=60)}")
    if [n.strip().lower() for n in names] == ["all"]:
        return options
    by_key = {c.replace(" ", ""): c for c in options}
    chosen: list[str] = []
    for name in names:
        key = name.replace(" ", "")
        if not key:
            raise UsageError(f"columns: an empty name in {show(columns, limit=80)}; choose among "
                             f"{', '.join(by_key)} (or all)")
        if key not in by_key:
            raise UsageError(f"columns: no column {show(name, limit=40)} in the {table.title} table"
                             f"{suggest(key, by_key)}; choose among {', '.join(by_key)} (or all)")
        if by_key[key] in chosen:
            raise UsageError(f"columns: {show(name, limit=40)} is named twice")
        chosen.append(by_key[key])
    return chosen


TEXT_WIDTH = 100  # characters a text table fits in by default
# the columns a narrow text table keeps first; the others go, last first, until the table fits
TEXT_PRIORITY = ("name", "layer", "op", "flops", "params", "mac", "time", "time %", "mac_bytes", "output", "output size", "flops %",
                 "kernel", "stride", "channels", "repeat", "nodes", "mac %", "groups", "params %", "input",
                 "intensity", "padding", "activations", "stage", "depth")


def fit_columns(columns: list[str], widths: list[int], width: int) -> list[str]:
    """The columns of ``columns`` (each ``widths`` wide, two spaces apart) that fit ``width`` characters,
    taken in order of priority (``TEXT_PRIORITY``), a wide one skipped for narrower ones after it; the first
    column always stays. Shown in their own order."""
    ranked = sorted(columns[1:], key=lambda c: TEXT_PRIORITY.index(c) if c in TEXT_PRIORITY else len(TEXT_PRIORITY))
    wide = dict(zip(columns, widths))
    kept, used = {columns[0]}, wide[columns[0]]
    for column in ranked:
        if used + 2 + wide[column] <= width:
            kept.add(column)
            used += 2 + wide[column]
    return [c for c in columns if c in kept]
