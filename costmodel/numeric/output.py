"""A sweep written as CSV or JSON text, chunk by chunk (memory bounded whatever the grid).

CSV: a header ``name,...,flops,params,mac`` then one line per row. JSON: ``{"name", "convention", "grid",
"points": [{...}, ...]}`` written point by point. Grid values are exact: whole numbers, exact decimals
written in full (``0.2505``; a JSON number), other fractions as the text ``p/q``. Totals are whole numbers
of any size. Each row's text is assembled from per-value strings made once per axis value.
"""
from __future__ import annotations

import json
from typing import Any, Iterator

from .grid import COLUMNS


def _text(values: Any) -> list[str]:
    """Whole numbers (a list or a numpy array) as decimal strings."""
    if not isinstance(values, list):
        values = values.tolist()
    return list(map(str, values))


def _pick(shown: list[str], indices: Any) -> list[str]:
    if not isinstance(indices, list):
        indices = indices.tolist()
    return [shown[i] for i in indices]


def csv_chunks(sweep: Any, chunk: int) -> Iterator[str]:
    """The CSV text of ``sweep`` (a ``costmodel.numeric.Sweep``), header first, a chunk of rows at a time."""
    from . import output_value

    names = sweep.names
    yield ",".join((*names, *COLUMNS)) + "\n"
    shown = {n: [str(output_value(v)) for v in sweep.values[n]] for n in names}
    for part in sweep.rows(chunk):
        columns = [_pick(shown[n], part.indices[k]) for k, n in enumerate(names)] + \
                  [_text(t) for t in part.totals]
        yield "\n".join(map(",".join, zip(*columns))) + "\n"


def json_value(value: Any) -> str:
    """A grid value as JSON: a number for whole numbers and exact decimals (all their digits), else the
    string ``"p/q"``."""
    from . import decimal_text

    if isinstance(value, int):
        return str(value)
    return decimal_text(value) or json.dumps(f"{value.numerator}/{value.denominator}")


def json_chunks(sweep: Any, chunk: int, name: str, convention: str) -> Iterator[str]:
    """The JSON document of ``sweep``, a chunk of points at a time (never held whole)."""
    names = sweep.names
    grid = ",\n  ".join(f"{json.dumps(n)}: [{', '.join(json_value(v) for v in sweep.values[n])}]" for n in names)
    yield (f'{{\n "name": {json.dumps(name)},\n "convention": {json.dumps(convention)},\n "grid": {{\n  {grid}\n }},\n'
           f' "points": [')
    shown = {n: [json_value(v) for v in sweep.values[n]] for n in names}
    keys = [json.dumps(k) + ": " for k in (*names, *COLUMNS)]
    first = True
    for part in sweep.rows(chunk):
        columns = [_pick(shown[n], part.indices[k]) for k, n in enumerate(names)] + \
                  [_text(t) for t in part.totals]
        prefixed = [[key + v for v in column] for key, column in zip(keys, columns)]
        rows = ["{" + ", ".join(cells) + "}" for cells in zip(*prefixed)]
        yield ("\n  " if first else ",\n  ") + ",\n  ".join(rows)
        first = False
    yield "\n ]\n}\n"
