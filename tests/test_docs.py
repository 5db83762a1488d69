"""The documentation site: it builds in strict mode, and the built HTML shows what a reader needs.

The site is built once (``mkdocs build --strict``, any warning fails) and its HTML is checked for the
renderings that broke before: click's ``Sentinel.UNSET`` or ``N/A`` in the CLI reference, raw Sphinx roles
(``:class:`` …) from docstrings, assets loaded from other hosts (highlighting must work offline), ``*`` in
formulas eaten by Markdown emphasis. The CLI reference is checked against ``costmodel COMMAND --help``, an
independent rendering of the same click objects.
"""
import html
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from costmodel.cli import main

ROOT = Path(__file__).resolve().parent.parent
ROLE = re.compile(r":(?:py:)?(?:class|func|meth|attr|mod|data|exc|obj):(?:`|<code>)")


@pytest.fixture(scope="module")
def site(built_site):
    return built_site


def pages(site):
    return sorted(site.rglob("*.html"))


def visible_text(markup: str) -> str:
    """The text a reader sees: tags dropped, entities decoded, whitespace collapsed."""
    markup = re.sub(r"<(script|style)\b.*?</\1>", " ", markup, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def test_every_docs_page_is_in_the_navigation():
    nav = (ROOT / "mkdocs.yml").read_text()
    names = sorted(p.name for p in (ROOT / "docs").glob("*.md"))
    assert [p for p in names if p not in nav] == []


# --- the CLI reference ---------------------------------------------------------------------------------

class _Sections(HTMLParser):
    """The CLI page as {command path: [[cell text, ...] per table row]}, from its h2 headings and tables."""

    def __init__(self):
        super().__init__()
        self.sections, self.current, self.row, self.cell, self.heading = {}, None, None, None, None

    def handle_starttag(self, tag, attrs):
        if tag == "h2":
            self.heading = []
        elif tag == "tr" and self.current is not None:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "h2" and self.heading is not None:
            self.current = " ".join("".join(self.heading).replace("¶", "").split())
            self.sections[self.current], self.heading = [], None
        elif tag in ("td", "th") and self.cell is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.sections[self.current].append(self.row)
            self.row = None

    def handle_data(self, data):
        for part in (self.heading, self.cell):
            if part is not None:
                part.append(data)


def help_options(command: str) -> dict[str, tuple[str, str | None]]:
    """``costmodel COMMAND --help``'s options: {names: (help text, the default it names or None)}."""
    shown = CliRunner().invoke(main, [command, "--help"], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    options, names = {}, None
    for line in shown.output.split("Options:", 1)[1].splitlines():
        if re.match(r"^  \S", line):
            names, _, text = line.strip().partition("  ")
            options[names] = text.strip()
        elif line.strip() and names:
            options[names] += " " + line.strip()
    parsed = {}
    for names, text in options.items():
        default = re.search(r"\[default: ([^\]]+)\]", text)
        text = re.sub(r"\s*\[(default: [^\]]+|required)\]", "", text).strip()
        parsed[names] = (" ".join(text.split()), default.group(1) if default else None)
    return parsed


def test_cli_reference_shows_every_default_and_help_text(site):
    markup = (site / "cli" / "index.html").read_text()
    text = visible_text(markup)
    assert "Sentinel" not in text and "UNSET" not in text
    assert "N/A" not in text
    parser = _Sections()
    parser.feed(markup)
    for command in main.commands:
        rows = {row[0]: row for row in parser.sections.get(f"costmodel {command}", []) if row[0].startswith("-")}
        expected = help_options(command)
        assert set(rows) == set(expected), command
        for names, (help_text, default) in expected.items():
            _, shown_default, shown_help = rows[names]
            assert shown_help == help_text, (command, names)
            assert help_text, f"costmodel {command} {names} has no help text"
            if default is not None:
                assert shown_default == default, (command, names)
            assert shown_default, (command, names)


def test_cli_reference_escapes_help_text():
    sys.path.insert(0, str(ROOT / "docs" / "hooks"))
    try:
        import cli_reference
    finally:
        sys.path.remove(str(ROOT / "docs" / "hooks"))
    escaped = cli_reference.text("a*b + c*d, <b>x</b> | `y` _z_ [l](u)")
    assert not re.search(r"[*<>|`_\[\]]", escaped)
    assert html.unescape(escaped) == "a*b + c*d, <b>x</b> | `y` _z_ [l](u)"


# --- docstrings and formulas ---------------------------------------------------------------------------

def test_no_page_shows_a_raw_sphinx_role(site):
    shown = {p.relative_to(site).as_posix(): ROLE.findall(p.read_text()) for p in pages(site)}
    assert {page: roles for page, roles in shown.items() if roles} == {}


def test_no_docstring_uses_a_sphinx_role():
    """The docstring style is Markdown (code spans in backticks) with Google-style sections; no roles."""
    found = [f"{path.relative_to(ROOT)}:{number}" for path in sorted((ROOT / "costmodel").rglob("*.py"))
             for number, line in enumerate(path.read_text().splitlines(), 1) if ROLE.search(line)]
    assert found == []


EATEN = re.compile(r"[\w)\]]<em>|</em>[\w(\[]|<em>[^<]*[+=/^][^<]*</em>")


def test_no_star_in_a_formula_is_read_as_emphasis(site):
    eaten = {p.relative_to(site).as_posix(): EATEN.findall(p.read_text()) for p in pages(site)}
    assert {page: found for page, found in eaten.items() if found} == {}


def test_the_emphasis_detector_sees_an_eaten_star():
    import markdown

    assert EATEN.search(markdown.markdown("a 1x1 group conv's mac is hw*c1 + B*g/c1"))
    assert not EATEN.search(markdown.markdown("a 1x1 group conv's mac is `hw*c1 + B*g/c1`, *ShuffleNet V2*"))


# --- offline: nothing loaded from another host, code highlighted at build time --------------------------

REMOTE = re.compile(r"""<(?:script|img|iframe|source)\b[^>]*\bsrc=["']?(?:https?:)?//|"""
                    r"""<link\b[^>]*\bhref=["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import\s+["']?(?:https?:)?//""",
                    re.I)


def test_no_page_loads_anything_from_another_host(site):
    remote = {p.relative_to(site).as_posix(): REMOTE.findall(p.read_text(errors="replace"))
              for p in [*pages(site), *site.rglob("*.css")]}
    assert {page: found for page, found in remote.items() if found} == {}


def test_the_remote_detector_sees_a_cdn():
    assert REMOTE.search('<script src="https://cdnjs.cloudflare.com/ajax/libs/highlight.js/11.8.0/highlight.min.js">')
    assert REMOTE.search('<link rel="stylesheet" href="//cdn.example/x.css">')
    assert not REMOTE.search('<script src="../js/base.js">')


def test_code_is_highlighted_in_the_html(site):
    index = (site / "index.html").read_text()
    assert 'class="highlight"' in index and re.search(r'<span class="(k|kn|nn|s2|nb)">', index)
    assert "css/pygments.css" in index and (site / "css" / "pygments.css").stat().st_size > 1000


# --- the API reference ---------------------------------------------------------------------------------

def test_api_reference_documents_op_fields_plots_and_sweep_and_no_private_helper(site):
    api = (site / "api" / "index.html").read_text()
    ids = set(re.findall(r'id="(costmodel\.[\w.]+)"', api))
    for name in ("costmodel.plots.g1", "costmodel.plots.breakdown", "costmodel.plots.save",
                 "costmodel.numeric.sweep", "costmodel.ops.Conv2d", "costmodel.graph.Graph"):
        assert name in ids, name
    conv = visible_text(api.split('id="costmodel.ops.Conv2d"', 1)[1].split('id="costmodel.ops.', 1)[0])
    for field in ("out_channels", "kernel", "stride", "padding", "dilation", "groups", "bias"):
        assert re.search(rf"\b{field}\b", conv), field
    from costmodel import OPS

    assert {f"costmodel.ops.{cls.__name__}" for cls in OPS.values()} <= ids
    private = {name for name in ids if any(part.startswith("_") for part in name.split("."))}
    helpers = {"costmodel.ops.conv.check_groups", "costmodel.ops.conv.with_kernel", "costmodel.report.shape_of",
               "costmodel.zoo.common.check_size", "costmodel.errors.printable", "costmodel.ops.elementwise.broadcast"}
    assert private == set() and ids & helpers == set()
