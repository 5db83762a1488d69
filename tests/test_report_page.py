"""``costmodel report``: one self-contained HTML page per network.

The structure is read back with Python's own HTML parser (html.parser): one row per layer, the totals the
analysis gives, user text as text. Then the page is opened in headless Chromium (the DevTools client of
test_docs_browser) from a file: no console error, no request leaving the file, the tree collapses and
expands, a header click reorders, the filter hides rows.
"""
import base64
import json
import os
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from costmodel import Conv2d, Graph, ReLU, analyze
from costmodel.cli import main
from costmodel.page import report_page
from costmodel.render import human
from costmodel.targets import target

HOSTILE = ('<script>alert(1)</script>', '"onload=alert(1)', "</style><b>x</b>")


class Page(HTMLParser):
    """Rows of the layer table, totals, every text node, every script and every tag's attributes."""

    def __init__(self, text: str):
        super().__init__()
        self.rows, self.totals, self.texts, self.scripts, self.tags, self.links = [], {}, [], [], [], []
        self._in, self._total = [], None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        self._in.append(tag)
        if tag == "tr" and "data-path" in attrs:
            self.rows.append(attrs)
        if attrs.get("data-total"):
            self._total = attrs["data-total"]
        if tag == "a" and attrs.get("href", "").startswith("#"):
            self.links.append(attrs["href"])

    def handle_endtag(self, tag):
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data):
        if self._in and self._in[-1] == "script":
            self.scripts.append(data)
        self.texts.append(data)
        if self._total:
            self.totals[self._total], self._total = data.strip(), None


def test_shufflenet_page_has_every_layer_and_the_analysis_totals(tmp_path):
    out = tmp_path / "r.html"
    result = CliRunner().invoke(main, ["report", "shufflenet_v2", "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = Page(out.read_text(encoding="utf-8"))
    analysis = analyze(target("shufflenet_v2").build())
    layers = [r for r in page.rows if r["class"] == "layer"]
    assert [r["data-path"] for r in layers] == [layer.name for layer in analysis.layers]
    assert {k: page.totals[k] for k in ("flops", "params", "mac")} == \
        {k: human(getattr(analysis.totals, k)) for k in ("flops", "params", "mac")}
    assert abs(analysis.totals.flops - 146e6) < 1e6  # ShuffleNet v2 1x: 146M flops (Ma et al. 2018, Table 5)
    paths = {r["data-path"] for r in page.rows}
    assert all(r["data-parent"] in paths | {""} for r in page.rows)
    assert page.links and all(link[len("#layer-"):] in paths for link in page.links)  # findings link to rows
    assert not [a for tag, a in page.tags if tag in ("script", "link", "img", "iframe") and ("src" in a or "href" in a)]
    assert sum("<svg" in t for t in [out.read_text()]) and "chart-roofline" in out.read_text()


def test_symbolic_width_shows_closed_forms_and_says_what_needs_numbers(tmp_path):
    out = tmp_path / "r.html"
    spec = Path(__file__).parents[1] / "costmodel" / "examples" / "mobilenet_v2.yaml"
    result = CliRunner().invoke(main, ["report", str(spec), "-s", "width=alpha", "-s", "rounded_shortcuts=0",
                                       "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.count("<math>") == 3 and ("<mi>&#945;</mi>" in text or "<mi>α</mi>" in text)
    page = Page(text)
    assert len([r for r in page.rows if r["class"] == "layer"]) == 152  # `costmodel table ... --format json` lists 152
    assert "The guideline check needs numbers" in text and "The charts need numbers" in text


def hostile_graph() -> Graph:
    g = Graph(HOSTILE[0] + HOSTILE[1], (8, 8, 8))
    with g.stage(HOSTILE[1]):
        x = g.add("conv", Conv2d(8, kernel=3, padding=1), g.input)
    with g.stage(HOSTILE[0]):
        g.add("relu", ReLU(), x)
    return g


def test_user_text_is_text_never_markup():
    text = report_page(hostile_graph(), parameters={HOSTILE[2]: HOSTILE[0]})
    page = Page(text)
    assert [tag for tag, _ in page.tags].count("script") == 1 and "<b>" not in text
    assert not any(key.startswith("on") for _, attrs in page.tags for key in attrs)
    joined = "".join(page.texts)
    assert all(h in joined for h in HOSTILE)
    assert not any("alert" in s for s in page.scripts)


def test_a_hostile_layer_name_is_refused_by_the_spec_in_one_line(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text('name: "<script>alert(1)</script>"\ninput: [3, 8, 8]\nlayers:\n'
                    '  - {id: "<script>alert(1)</script>", kind: conv, out_channels: 4, kernel: 1}\n')
    result = CliRunner().invoke(main, ["report", str(spec), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 2 and "error" in result.output and "Traceback" not in result.output


def test_report_errors_are_one_line(tmp_path):
    result = CliRunner().invoke(main, ["report", "shufflenet_v2", "-o", str(tmp_path / "no" / "r.html")])
    assert result.exit_code == 2 and "no directory" in result.output


# ----- in a real browser ---------------------------------------------------------------------------------------
from test_docs_browser import CHROMIUM, REQUIRED, browser, close_tab, open_tab  # noqa: E402,F401

needs_chromium = pytest.mark.skipif(CHROMIUM is None and not REQUIRED, reason="no Chromium installed")
VISIBLE = "[...document.querySelectorAll('#layers tbody tr')].filter(r => !r.classList.contains('hidden'))"


def _evaluate(tools, expression):
    answer = tools.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
    assert "exceptionDetails" not in answer, answer
    return answer["result"].get("value")


def _problems(tools) -> list[str]:
    problems = []
    for event in tools.events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert", "warning"):
            problems.append(f"console {params['type']}: {params.get('args')}")
        elif method in ("Runtime.exceptionThrown", "Page.javascriptDialogOpening"):
            problems.append(f"{method}: {params}")
        elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
            problems.append(f"log: {params['entry'].get('text')}")
        elif method == "Network.requestWillBeSent" and not params["request"]["url"].startswith(("file:", "data:")):
            problems.append(f"request: {params['request']['url']}")
    return problems


def _open(address, path: Path):
    tab_id, tools = open_tab(address)
    for domain in ("Page", "Runtime", "Log", "Network"):
        tools.send(f"{domain}.enable")
    tools.send("Page.navigate", url=path.as_uri())
    tools.wait_for("Page.loadEventFired", time.monotonic() + 60)
    return tab_id, tools


def screenshot(tools, path: Path) -> None:
    height = _evaluate(tools, "document.documentElement.scrollHeight")
    tools.send("Emulation.setDeviceMetricsOverride", width=1280, height=min(height, 4000), deviceScaleFactor=1,
               mobile=False)
    path.write_bytes(base64.b64decode(tools.send("Page.captureScreenshot", format="png")["data"]))


@needs_chromium
def test_the_page_works_in_chromium(browser, tmp_path):
    out = tmp_path / "r.html"
    assert CliRunner().invoke(main, ["report", "shufflenet_v2", "-o", str(out)]).exit_code == 0
    tab_id, tools = _open(browser, out)
    try:
        count = len(analyze(target("shufflenet_v2").build()).layers)
        assert _evaluate(tools, "document.querySelectorAll('#layers tr.layer').length") == count
        scopes = _evaluate(tools, f"{VISIBLE}.length")
        _evaluate(tools, "document.querySelector('#layers tr.scope .toggle').click()")  # expands the first scope
        expanded = _evaluate(tools, f"{VISIBLE}.length")
        assert expanded > scopes
        _evaluate(tools, "document.querySelector('#layers tr.scope .toggle').click()")
        assert _evaluate(tools, f"{VISIBLE}.length") == scopes
        _evaluate(tools, "document.getElementById('expand').click()")
        assert _evaluate(tools, f"{VISIBLE}.length") == len(Page(out.read_text()).rows)
        order = f"{VISIBLE}.map(r => r.dataset.path).join(' ')"
        before = _evaluate(tools, order)
        _evaluate(tools, "document.querySelector('#layers th[data-column=\"7\"]').click()")  # mac, largest first
        after = _evaluate(tools, order)
        assert after != before and sorted(after.split()) == sorted(before.split())
        top = _evaluate(tools, "[...document.querySelectorAll('#layers tbody tr')].filter(r => !r.dataset.parent)"
                               ".map(r => Number(r.cells[7].dataset.v))")
        assert top == sorted(top, reverse=True)  # the top-level rows (layers and scopes) by mac, largest first
        _evaluate(tools, "const f = document.getElementById('filter'); f.value = 'depthwise';"
                         "f.dispatchEvent(new Event('input'))")
        shown = _evaluate(tools, f"{VISIBLE}.filter(r => r.classList.contains('layer')).map(r => r.dataset.kind)")
        assert shown and len(shown) < count and all("depthwise" in kind for kind in shown), shown[:5]
        assert _problems(tools) == []
    finally:
        close_tab(browser, tab_id)


@needs_chromium
def test_hostile_names_fire_no_dialog_in_chromium(browser, tmp_path):
    out = tmp_path / "hostile.html"
    out.write_text(report_page(hostile_graph()), encoding="utf-8")
    tab_id, tools = _open(browser, out)
    try:
        assert HOSTILE[0] in _evaluate(tools, "document.body.innerText")
        assert _problems(tools) == []
    finally:
        close_tab(browser, tab_id)


@pytest.mark.skipif(not os.environ.get("COSTMODEL_REPORT_SHOTS"), reason="writes the docs' screenshots on demand")
def test_write_screenshots(browser, tmp_path):
    """COSTMODEL_REPORT_SHOTS=docs/report: the screenshots of docs/report.md."""
    folder = Path(os.environ["COSTMODEL_REPORT_SHOTS"])
    spec = Path(__file__).parents[1] / "costmodel" / "examples" / "mobilenet_v2.yaml"
    for name, arguments in (("shufflenet_v2", ["shufflenet_v2"]),
                            ("mobilenet_v2_alpha", [str(spec), "-s", "width=alpha", "-s", "rounded_shortcuts=0"]),
                            ("mobilenet_v2_alpha_relaxed", [str(spec), "-s", "width=alpha", "-s", "rounded_shortcuts=0",
                                                            "--relax"]),
                            ("shufflenet_v2_gpu", ["shufflenet_v2", "--device", "gpu"])):
        out = tmp_path / f"{name}.html"
        assert CliRunner().invoke(main, ["report", *arguments, "-o", str(out)]).exit_code == 0
        tab_id, tools = _open(browser, out)
        try:
            assert _evaluate(tools, "document.documentElement.scrollWidth") <= 1280  # nothing wider than the window
            _evaluate(tools, "document.querySelector('#layers tr.scope .toggle').click()")  # one scope open
            screenshot(tools, folder / f"{name}.png")
            assert json.dumps(_problems(tools)) == "[]"
        finally:
            close_tab(browser, tab_id)
