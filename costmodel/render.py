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
from .columns import SHARE, TEXT_WIDTH, choose_columns, fit_columns
from .report import Table, readable_costs
from .values import is_expression, is_number, show, si_prefix

FORMATS = ("text", "markdown", "csv", "json", "latex", "html")
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
    return formula_text(value) if is_expression(value) else str(value)


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
    """A symbolic value (or a shape holding one) as ``$...$`` typeset by sympy (symbol names are checked
    when they are made: letters, digits and ``_``, never raw TeX)."""
    import sympy

    if isinstance(value, list):
        parts = [_latex_formula(v).text[1:-1] if isinstance(v, list) else sympy.latex(v) for v in value]
        return _Formula("$[" + ", ".join(parts) + "]$")
    return _Formula("$" + sympy.latex(value) + "$")


def _is_symbolic(value: Any) -> bool:
    return bool(getattr(value, "free_symbols", None))


HYPER_PAIRS = ("kernel", "stride", "padding")  # pairs shown as 3x3, or 2 when both are equal (stride, padding)


def _cells(table: Table, columns: list[str], human_numbers: bool, symbolic=None) -> list[list[Any]]:
    """Body rows then the total row, one cell per column."""
    totals = readable_costs(table.totals, table.bytes_per_element)
    base = (table.share_base or table.totals).as_dict()
    body = []
    for index, row in enumerate(table.rows):
        shown = table.share_rows[index] if table.share_rows else True
        cells = []
        for c in columns:
            if c.endswith(SHARE) and c not in table.columns:
                count = c[:-len(SHARE)]
                cells.append(share(row.get(count), base[count]) if shown or count == "mac" else "")
            else:
                value = row.get(c)
                cells.append(symbolic(value) if symbolic and _has_symbols(value) else _cell(c, value, human_numbers))
        body.append(cells)
    total_row = []
    for c in columns:
        if c.endswith(SHARE) and c not in table.columns:
            count = c[:-len(SHARE)]
            total_row.append(share(base[count], base[count]))
        elif c in ("flops", "params", "mac", "mac_bytes") and c in totals:
            value = totals[c]
            total_row.append(symbolic(value) if symbolic and _is_symbolic(value) else _cell(c, value, human_numbers))
        elif c in dict(table.more_totals):
            total_row.append(_cell(c, dict(table.more_totals)[c], human_numbers))
        else:
            total_row.append("")
    label = next((i for i, cell in enumerate(total_row) if cell == ""), None)
    if label is not None:
        total_row[label] = "total"
    body.append(total_row)
    return body


def _has_symbols(value: Any) -> bool:
    return _is_symbolic(value) or (isinstance(value, (list, tuple)) and any(_has_symbols(v) for v in value))


def _cell(column: str, value: Any, human_numbers: bool) -> Any:
    if value is None:
        return ""
    if not human_numbers:
        return value
    if column == "mac_bytes":
        return si_prefix(value, unit="B") if is_number(value) else text_of(value)
    if column == "time" and isinstance(value, float):
        from .device import duration

        return duration(value)
    if column in COUNTS:
        return human(value)
    if column in HYPER_PAIRS and isinstance(value, tuple):
        return str(value[0]) if column != "kernel" and value[0] == value[1] else "x".join(map(str, value))
    if column == "groups" and value == 1:
        return ""
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


_TEXT_LEFT = ("name", "op", "stage", "layer", "input", "output", "output size", "kernel", "padding")


def _indent(table: Table, columns: list[str], body: list[list[Any]], pad: str) -> None:
    """Indent each tree row's name by its level (``pad`` per level below the first)."""
    if table.levels and "name" in columns:
        at = columns.index("name")
        for cells, level in zip(body, table.levels):
            cells[at] = _Indented(pad * (level - 1), cells[at])


class _Indented:
    """A name cell with its indentation, which escaping leaves alone."""

    def __init__(self, pad: str, text: Any):
        self.pad, self.text = pad, text

    def __str__(self) -> str:
        return self.pad + str(self.text)


def _escaped(cell: Any, escape) -> str:
    if isinstance(cell, _Indented):
        return cell.pad + escape(cell.text)
    return cell.text if isinstance(cell, _Formula) else escape(cell)


def _text_cells(table: Table, columns: list[str]) -> list[list[str]]:
    """The header and every row as terminal-safe strings, the total row last."""
    body = _cells(table, columns, True)
    _indent(table, columns, body, "  ")
    return [[text_safe(c) for c in columns]] + [[_escaped(c, text_safe) for c in r] for r in body]


TOTAL_WIDENS = 30  # characters a total may widen its column to; a longer one goes under the table


def _text(table: Table, columns: list[str], width: int | None) -> str:
    """Aligned columns; a total that would widen its column past ``TOTAL_WIDENS`` characters (a long closed
    form) goes under the table, one line per count (``total flops: ...``), so that it does not widen every
    row."""
    rows = _text_cells(table, columns)
    widths = [max(len(r[i]) for r in rows[:-1]) for i in range(len(columns))]
    total_fits = all(len(cell) <= max(w, TOTAL_WIDENS) for cell, w in zip(rows[-1], widths))
    if total_fits:
        widths = [max(w, len(cell)) for w, cell in zip(widths, rows[-1])]
    kept = fit_columns(columns, widths, width) if width else columns
    at = [columns.index(c) for c in kept]

    def line(cells):
        return "  ".join(cells[i].ljust(widths[i]) if columns[i] in _TEXT_LEFT else cells[i].rjust(widths[i])
                         for i in at)

    rule = "  ".join("-" * widths[i] for i in at)
    out = [text_safe(table.caption)] if table.caption else []
    out += [line(rows[0]), rule] + [line(r) for r in rows[1:-1]] + [rule]
    if total_fits:
        out.append(line(rows[-1]))
    else:
        out += [f"total {column}: {cell}" for column, cell in zip(columns, rows[-1])
                if cell and cell != "total" and not column.endswith(SHARE)]
    if table.note:
        out.append("note: " + table.note)
    left_out = [c for c in columns if c not in kept]
    if left_out:
        import textwrap

        out += textwrap.wrap(f"({', '.join(left_out)} left out to fit {width} characters: --width 0 or --columns "
                             f"all shows them)", width=max(width, 40))
    return "\n".join(l.rstrip() for l in out)


def _markdown(table: Table, columns: list[str]) -> str:
    body = _cells(table, columns, True)
    _indent(table, columns, body, "\u00a0\u00a0")
    out = [f"*{markdown_safe(table.caption)}*", ""] if table.caption else []
    out += ["| " + " | ".join(markdown_safe(h) for h in columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    out += ["| " + " | ".join(_escaped(c, markdown_safe) for c in r) + " |" for r in body]
    if table.note:
        out += ["", f"*{markdown_safe(table.note)}*"]
    return "\n".join(out)


def _csv(table: Table, columns: list[str]) -> str:
    rows = [[csv_safe(c) for c in columns]] + [[csv_safe(_csv_cell(row.get(c))) for c in columns]
                                               for row in table.rows]
    return "\n".join(_csv_line(row) for row in rows)


def _csv_line(cells: list[Any]) -> str:
    """One CSV record ending in nothing; a cell holding a line break or CR is quoted (the writer quotes what
    its line terminator holds, hence ``\\r\\n``, then taken off)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()[:-2]


def _csv_cell(value: Any) -> Any:
    """Shapes and pairs as ``3x224x224``; None as an empty field; Fractions to 4 decimals."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "x".join(text_of(v) for v in value) if not value or not isinstance(value[0], list) \
            else " ".join("x".join(text_of(v) for v in part) for part in value)
    if isinstance(value, Fraction):
        return f"{float(value):.4f}" if value.denominator != 1 else value.numerator
    return text_of(value) if is_expression(value) else value


LATEX_PACKAGES = "% needs \\usepackage{booktabs} (\\toprule, \\midrule, \\bottomrule)"


def _latex(table: Table, columns: list[str]) -> str:
    body = _cells(table, columns, True, symbolic=_latex_formula)
    _indent(table, columns, body, "\\quad ")
    align = "".join("l" if c in _TEXT_LEFT else "r" for c in columns)
    out = [LATEX_PACKAGES, r"\begin{tabular}{" + align + "}", r"\toprule",
           " & ".join(latex_safe(h) for h in columns) + r" \\", r"\midrule"]
    out += [" & ".join(_escaped(c, latex_safe) for c in r) + r" \\" for r in body[:-1]]
    out += [r"\midrule", " & ".join(_escaped(c, latex_safe) for c in body[-1]) + r" \\", r"\bottomrule",
            r"\end{tabular}"]
    return "\n".join(out)


def html_safe(value: Any) -> str:
    """Text for HTML: ``& < > " '`` as entities, control characters as escapes."""
    import html

    return html.escape(text_safe(value), quote=True)


def _html(table: Table, columns: list[str]) -> str:
    body = _cells(table, columns, True)
    _indent(table, columns, body, "&nbsp;&nbsp;")

    def row(cells, tag="td"):
        return "<tr>" + "".join(f'<{tag} style="text-align:{"left" if c in _TEXT_LEFT else "right"}">'
                                f"{_escaped(cell, html_safe)}</{tag}>" for c, cell in zip(columns, cells)) + "</tr>"

    out = [f'<table class="costmodel"><caption>{html_safe(table.caption or table.title)}</caption>', "<thead>",
           row(columns, "th"), "</thead>", "<tbody>"]
    out += [row(r) for r in body[:-1]]
    out += ["</tbody>", "<tfoot>", row(body[-1]), "</tfoot>", "</table>"]
    if table.note:
        out.append(f"<p><em>{html_safe(table.note)}</em></p>")
    return "\n".join(out)


JSON_KEYS = {"layers": ("name", "op", "stage", "input", "output", "kernel", "stride", "groups", "padding", "flops",
                        "params", "mac", "mac_bytes", "activations")}


def to_json(table: Table, name: str, parameters: dict[str, Any], convention: str) -> str:
    """The JSON table: name, parameters, convention, totals, then ``layers`` (``stages``, ``ops`` or, for a
    tree, ``scopes`` with each row's ``depth``). Empty cells are null; pairs (kernel, stride, padding) lists."""
    if table.title == "layers":
        keys = JSON_KEYS["layers"] + (("time",) if "time" in table.columns else ())
        key = "layers"
    else:
        keys = table.columns
        key = {"stages": "stages", "op kinds": "ops"}.get(table.title, "scopes")
    rows = [{k: exact(row.get(k)) for k in keys} for row in table.rows]
    totals = {k: exact(v) for k, v in readable_costs(table.totals, table.bytes_per_element).items()}
    totals.update((k, v) for k, v in table.more_totals if k == "time")
    head = {"name": name, "parameters": {k: _parameter(v) for k, v in parameters.items()},
            "convention": convention, "bytes_per_element": exact(table.bytes_per_element), "totals": totals}
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
           convention: str = "paper", columns: Any = None, width: int | None = TEXT_WIDTH) -> str:
    """``table`` in format ``fmt`` (text, markdown, csv, json, latex, html).

    ``columns`` chooses the columns and their order (``choose_columns``; csv defaults to every column,
    the others to the table's own choice; json rows always carry every field). ``width``: text tables leave
    out columns of low priority until they fit that many characters, and say which (None or 0: no limit)."""
    if fmt not in FORMATS:
        raise UsageError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if width is not None and (isinstance(width, bool) or not isinstance(width, int) or width < 0):
        raise UsageError(f"width must be a whole number of characters (0 for no limit), got {show(width)}")
    if fmt == "json":
        if columns is not None:
            raise UsageError("columns do not apply to json, whose rows carry every field; use csv to choose them")
        return to_json(table, name, parameters or {}, convention)
    if fmt == "csv":
        chosen = list(table.columns) if columns is None else choose_columns(table, columns)
        return _csv(table, chosen)
    chosen = choose_columns(table, columns)
    if fmt == "text":
        return _text(table, chosen, width if columns is None else None)
    return {"markdown": _markdown, "latex": _latex, "html": _html}[fmt](table, chosen)
