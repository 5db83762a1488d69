"""Nothing a user writes becomes markup, a formula or a terminal control sequence in what we render.

Names reach tables through stage labels (``Graph.stage``), which take any text. Each format is checked by an
independent reader: Python-Markdown renders the markdown table to HTML, the csv module reads the CSV back,
and the LaTeX is scanned token by token.
"""
import csv
import io
import re
from html import unescape

import markdown
import pytest
import sympy

from costmodel import Conv2d, Graph, ReLU, analyze
from costmodel.render import csv_safe, latex_safe, markdown_safe, render, text_safe
from costmodel.report import table

HOSTILE = [
    r"\input{/etc/passwd}", r"^^5cinput{x}", r"\write18{rm -rf /}", "$x$", "a & b", "100%", "#1", "~user", "{}",
    "=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR",
    "*bold*", "_italic_", "**strong**", "`code`", "<script>alert(1)</script>", "[link](javascript:alert(1))",
    "![img](x.png)", "a|b", "&amp;", "&#60;", "\x1b[31mred\x1b[0m", "line\nbreak", "back\\slash",
]


def hostile_graph(label: str) -> Graph:
    g = Graph("net", (8, 8, 8))
    with g.stage(label):
        x = g.add("conv", Conv2d(8, kernel=3, padding=1), g.input)
        g.add("relu", ReLU(), x)
    return g


@pytest.mark.parametrize("label", HOSTILE)
def test_markdown_cells_render_as_the_text_written(label):
    rendered = render(table(analyze(hostile_graph(label)), "stage"), "markdown")
    html = markdown.markdown(rendered, extensions=["tables"])
    assert "<script" not in html and "<em>" not in html and "<strong>" not in html and "<a " not in html
    assert "<img" not in html and "<code>" not in html
    shown = [unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", html, flags=re.S)]
    assert text_safe(label) in shown, (label, shown)
    assert all(line.count("|") - line.count("\\|") == rendered.splitlines()[0].count("|")
               for line in rendered.splitlines()[2:] if line.startswith("|"))


@pytest.mark.parametrize("label", HOSTILE)
def test_csv_cells_never_start_a_formula(label):
    rows = list(csv.reader(io.StringIO(render(table(analyze(hostile_graph(label)), "layer"), "csv"))))
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert csv_safe(label) == ("'" + label if label[0] in "=+-@\t\r" else label)


_OURS = re.compile(r"\\(textbackslash|textasciicircum|textasciitilde|textless|textgreater|textbar)\{\}|"
                   r"\\[{}$&#%_]")


@pytest.mark.parametrize("label", HOSTILE)
def test_latex_has_no_command_of_the_user(label):
    out = render(table(analyze(hostile_graph(label)), "stage"), "latex")
    body = "\n".join(out.splitlines()[3:-2])  # between our \toprule/\midrule and \bottomrule
    remaining = _OURS.sub("", body).replace(r"\\", "").replace(r"\midrule", "")
    assert "\\" not in remaining and "^" not in remaining and "$" not in remaining, remaining
    assert not set("{}&#%_~") & set(remaining.replace(" & ", " ")), remaining


def test_escapers_on_their_own():
    assert markdown_safe("2048*w**2") == r"2048\*w\*\*2"
    assert latex_safe("a_b^c") == r"a\_b\textasciicircum{}c"
    assert text_safe("\x1b[2J") == r"\x1b[2J"
    assert csv_safe("=1+2") == "'=1+2" and csv_safe(5) == 5


def test_symbolic_cells_are_typeset_by_sympy_in_latex_and_escaped_in_markdown():
    w = sympy.Symbol("w", positive=True, integer=True)
    g = Graph("net", (8, w, w))
    g.add("conv", Conv2d(32, kernel=1), g.input)
    result = analyze(g)
    latex = render(table(result), "latex")
    assert "$" + sympy.latex(result.totals.flops) + "$" in latex  # 256 w^{2}
    assert sympy.latex(result.totals.flops) == "256 w^{2}"
    md = render(table(result), "markdown")
    assert r"256\*w\*\*2" in md
    html = markdown.markdown(md, extensions=["tables"])
    assert "<em>" not in html and "256*w**2" in html
