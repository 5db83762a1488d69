"""Render a ``Table`` as text, markdown, csv, json or latex.

Text, markdown and latex show counts with SI prefixes (k, M, G, T: ``costmodel.values.si_prefix``, the
style plots share) and each
row's share of the totals; csv and json keep exact integers. Symbolic values are printed as sympy writes
them, which ``sympy.sympify`` reads back; in latex they are typeset by ``sympy.latex``.

Nothing a user wrote (a network, stage or layer name, a parameter) becomes markup or a formula: every cell
is escaped for its format. Text: control characters are shown as ``\\x..`` escapes (no terminal control
sequence passes). Markdown: ``\\ ` * _ [ ] | !`` are backslash-escaped and ``& < > ~ $`` become entities,
so ``2048*w**2`` shows as written. CSV: a cell starting with ``= + - @``, a tab or a carriage return is prefixed
with ``'`` (OWASP's rule against spreadsheet formulas). LaTeX: every special character, ``^`` included
(TeX's ``^^5c`` is a backslash), is written as its text command.
"""
from __future__ import annotations

import csv
import io
import json
from fractions import Fraction
from typing import Any

from .errors import UsageError, printable
from .report import Table
from .values import si_prefix

FORMATS = ("text", "markdown", "csv", "json", "latex")
COUNTS = ("flops", "params", "mac", "activations")  # shown with k/M/G; other columns as they are


def human(value: Any) -> str:
    """568740352 -> '568.74M'; small ints as they are; Fractions to 2 decimals; symbols as sympy prints."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int):
        return si_prefix(value)
    if isinstance(value, Fraction):
        return f"{float(value):.2f}" if value.denominator != 1 else str(value.numerator)
    if isinstance(value, list):
        return shape_text(value)
    return text_of(value)


def text_of(value: Any) -> str:
    """``str(value)``, closed forms by ``formula_text``."""
    return formula_text(value) if hasattr(value, "free_symbols") else str(value)


def shape_text(value: list) -> str:
    """``[3, 224, 224]``; several shapes side by side."""
    if value and isinstance(value[0], list):
        return " ".join(shape_text(v) for v in value)
    return "[" + ", ".join(text_of(v) for v in value) + "]"


def formula_text(value: Any) -> str:
    """``str(value)`` of a sympy expression, each sub-expression printed once (see ``_printer``)."""
    return _printer().doprint(value)


def _printer() -> Any:
    """sympy's ``str`` printer, remembering what it printed: the closed forms of a table share most of their
    parts (the floor chain of a spatial size recurs in every layer after it), and sympy prints each part
    anew every time it meets it. The text is the same as ``str`` gives (a Float alone prints differently at
    the top level than inside an expression: it is never remembered)."""
    global _PRINTER
    if _PRINTER is None:
        from sympy import Basic, Float
        from sympy.printing.str import StrPrinter

        class Remembering(StrPrinter):
            def __init__(self):
                super().__init__({"order": None})
                self.seen: dict = {}

            def _print(self, expr, **kwargs):
                if kwargs or not isinstance(expr, Basic) or isinstance(expr, Float):
                    return super()._print(expr, **kwargs)
                text = self.seen.get(expr)
                if text is None:
                    text = self.seen[expr] = super()._print(expr)
                return text

        _PRINTER = Remembering()
    if len(_PRINTER.seen) > 100_000:  # bounded memory over a long session
        _PRINTER.seen.clear()
    return _PRINTER


_PRINTER = None


def exact(value: Any) -> Any:
    """A JSON-ready exact value: ints stay ints, Fractions and symbols become sympy-readable strings."""
    if isinstance(value, bool) or isinstance(value, int) or isinstance(value, str) or value is None:
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    if isinstance(value, (list, tuple)):
        return [exact(v) for v in value]
    if getattr(value, "is_Integer", False):
        return int(value)
    return text_of(value)


def share(value: Any, total: Any) -> str:
    """``value`` as a percentage of ``total``, 2 decimals; blank when either is symbolic or not a count."""
    if not isinstance(value, int) or not isinstance(total, int) or total == 0:
        return ""
    return f"{100 * value / total:.2f}%"


class _Formula:
    """A cell already typeset (by sympy.latex): not escaped again."""

    def __init__(self, text: str):
        self.text = text

    def __str__(self) -> str:
        return self.text


def _latex_formula(value: Any) -> Any:
    """A symbolic value as ``$...$`` typeset by sympy (symbol names are ours to check, never raw TeX)."""
    import sympy

    return _Formula("$" + sympy.latex(value) + "$")


def _is_symbolic(value: Any) -> bool:
    return bool(getattr(value, "free_symbols", None))


def _cells(table: Table, human_numbers: bool, symbolic=None) -> tuple[list[str], list[list[Any]]]:
    shares = list(table.share_of)
    header = list(table.columns) + [f"{c} %" for c in shares]
    totals = table.totals.as_dict()
    base = (table.share_base or table.totals).as_dict()
    body = []
    for index, row in enumerate(table.rows):
        cells = [symbolic(row[c]) if symbolic and _is_symbolic(row.get(c)) else _cell(c, row.get(c, ""), human_numbers)
                 for c in table.columns]
        shown = table.share_rows[index] if table.share_rows else True
        cells += [share(row.get(c), base[c]) if shown or c == "mac" else "" for c in shares]
        body.append(cells)
    total_row = ["total"] + [""] * (len(table.columns) - 1)
    for c in ("flops", "params", "mac"):
        if c in table.columns:
            value = totals[c]
            total_row[table.columns.index(c)] = symbolic(value) if symbolic and _is_symbolic(value) else \
                human(value) if human_numbers else value
    total_row += [share(base[c], base[c]) for c in shares]
    body.append(total_row)
    return header, body


def _cell(column: str, value: Any, human_numbers: bool) -> Any:
    if not human_numbers:
        return value
    if column in COUNTS:
        return human(value)
    if isinstance(value, list):
        return shape_text(value)
    if isinstance(value, Fraction):
        return human(value)
    return value


def text_safe(value: Any) -> str:
    """A cell for a terminal: control characters (ANSI escapes, line breaks) shown as ``\\x1b``-style escapes."""
    return printable(text_of(value))


_MARKDOWN_ESCAPED = set("\\`*_[]|!")  # backslash escapes both CommonMark and Python-Markdown honour
_MARKDOWN_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "~": "&#126;", "$": "&#36;"}


def markdown_safe(value: Any) -> str:
    """A table cell for Markdown (and the HTML it becomes), shown as written: ``\\ ` * _ [ ] | !`` are
    backslash-escaped, ``& < > ~ $`` written as entities (no tag, entity, strike-through or math forms), and
    control characters shown as escapes. Block syntax (``#``, ``1.``, ``-``) has no meaning inside a cell."""
    return "".join("\\" + c if c in _MARKDOWN_ESCAPED else _MARKDOWN_ENTITIES.get(c, c) for c in text_safe(value))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """A CSV cell a spreadsheet will not run: text starting with ``= + - @``, tab or CR gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
                  "%": r"\%", "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
                  "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}"}


def latex_safe(value: Any) -> str:
    """Text for LaTeX: each special character as its text command (no macro, no ``^^`` escape survives)."""
    return "".join(_LATEX_SPECIAL.get(c, c) for c in " ".join(text_safe(value).split()))


def _text(table: Table) -> str:
    header, body = _cells(table, True)
    rows = [[text_safe(c) for c in header]] + [[text_safe(c) for c in r] for r in body]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    numeric = [i for i, name in enumerate(header) if name not in ("name", "op", "stage", "layer", "input",
                                                                    "output", "output size", "kernel")]

    def line(cells):
        return "  ".join(c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    out = [text_safe(table.caption)] if table.caption else []
    out += [line(header), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in rows[1:-1]]
    out += ["  ".join("-" * w for w in widths), line(rows[-1])]
    if table.note:
        out.append("note: " + table.note)
    return "\n".join(l.rstrip() for l in out)


def _markdown(table: Table) -> str:
    header, body = _cells(table, True)
    out = [f"*{markdown_safe(table.caption)}*", ""] if table.caption else []
    out += ["| " + " | ".join(markdown_safe(h) for h in header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(markdown_safe(c) for c in r) + " |" for r in body]
    if table.note:
        out += ["", f"*{markdown_safe(table.note)}*"]
    return "\n".join(out)


def _csv(table: Table) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([csv_safe(c) for c in table.columns])
    for row in table.rows:
        writer.writerow([csv_safe(_csv_cell(row.get(c, ""))) for c in table.columns])
    return buffer.getvalue().rstrip("\n")


def _csv_cell(value: Any) -> Any:
    if isinstance(value, list):
        return "x".join(text_of(v) for v in value) if not value or not isinstance(value[0], list) \
            else " ".join("x".join(text_of(v) for v in part) for part in value)
    if isinstance(value, Fraction):
        return f"{float(value):.4f}" if value.denominator != 1 else value.numerator
    return text_of(value) if hasattr(value, "free_symbols") else value


def _latex(table: Table) -> str:
    header, body = _cells(table, True, symbolic=_latex_formula)

    def esc(cell: Any) -> str:
        return cell.text if isinstance(cell, _Formula) else latex_safe(cell)

    align = "l" * 2 + "r" * (len(header) - 2)
    out = [r"\begin{tabular}{" + align + "}", r"\toprule", " & ".join(esc(h) for h in header) + r" \\", r"\midrule"]
    out += [" & ".join(esc(c) for c in r) + r" \\" for r in body[:-1]]
    out += [r"\midrule", " & ".join(esc(c) for c in body[-1]) + r" \\", r"\bottomrule", r"\end{tabular}"]
    return "\n".join(out)


def to_json(table: Table, name: str, parameters: dict[str, Any], convention: str) -> str:
    """The JSON table: name, parameters, convention, totals, then ``layers`` (or ``stages`` / ``ops``)."""
    if table.title == "layers":
        keys = ("name", "op", "stage", "input", "output", "flops", "params", "mac", "activations")
        rows = [{k: exact(row[k]) for k in keys} for row in table.rows]
        key = "layers"
    else:
        rows = [{k: exact(v) for k, v in row.items()} for row in table.rows]
        key = "stages" if table.title == "stages" else "ops"
    head = {"name": name, "parameters": {k: _parameter(v) for k, v in parameters.items()},
            "convention": convention, "totals": {k: exact(v) for k, v in table.totals.as_dict().items()}}
    lines = ["{"] + [f"  {json.dumps(k)}: {json.dumps(v)}," for k, v in head.items()]
    lines.append(f"  {json.dumps(key)}: [")
    lines += [f"    {json.dumps(row)}{',' if i < len(rows) - 1 else ''}" for i, row in enumerate(rows)]
    lines += ["  ]", "}"]
    return "\n".join(lines)


def _parameter(value: Any) -> Any:
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else float(value)
    return exact(value)


def render(table: Table, fmt: str, *, name: str = "", parameters: dict[str, Any] | None = None,
           convention: str = "paper") -> str:
    """``table`` in format ``fmt`` (text, markdown, csv, json, latex)."""
    if fmt not in FORMATS:
        raise UsageError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if fmt == "json":
        return to_json(table, name, parameters or {}, convention)
    return {"text": _text, "markdown": _markdown, "csv": _csv, "latex": _latex}[fmt](table)
