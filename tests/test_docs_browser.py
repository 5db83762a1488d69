"""Every page of the built docs, loaded in headless Chromium from a server on localhost, as a reader sees it.

For each page: no console error, no uncaught exception, no failed or non-2xx request (the server logs every
request too, and nothing may go to another host), a rendered body of real height, no page wider than the
window, and every image loaded. A full-page screenshot of each page is written to ``$COSTMODEL_SCREENSHOTS``
(default: the test's temporary directory) to be looked at.

Chromium is driven over its DevTools protocol (a WebSocket), with a small client written here so that no
browser-automation package is needed. The test skips only when no Chromium is installed; ``.ci/run``
installs Debian's chromium and sets ``COSTMODEL_REQUIRE_CHROMIUM``, so in CI it runs or fails.
"""
import base64
import functools
import http.server
import json
import os
import shutil
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM = next((found for name in ("chromium", "chromium-browser", "google-chrome")
                 if (found := shutil.which(name))), None)
REQUIRED = os.environ.get("COSTMODEL_REQUIRE_CHROMIUM", "") not in ("", "0")  # set by .ci/run in CI
pytestmark = pytest.mark.skipif(CHROMIUM is None and not REQUIRED, reason="no Chromium installed (.ci/run installs it)")


def test_chromium_is_there_when_required():
    assert CHROMIUM is not None or not REQUIRED, "COSTMODEL_REQUIRE_CHROMIUM is set but no chromium is installed"
WIDTH, HEIGHT = 1280, 900
LOAD_TIMEOUT = 30  # seconds per page


class DevTools:
    """A minimal DevTools-protocol client over one WebSocket (RFC 6455 text frames, client-masked)."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=LOAD_TIMEOUT)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
                          .encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += self.sock.recv(4096)
        head, self.buffer = answer.split(b"\r\n\r\n", 1)
        assert b" 101 " in head.split(b"\r\n", 1)[0], head
        self.next_id, self.events = 0, []

    def _read(self, count: int) -> bytes:
        while len(self.buffer) < count:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise ConnectionError("DevTools closed the connection")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def _message(self) -> dict:
        payload = b""
        while True:
            first, second = self._read(2)
            length = second & 0x7F
            if length == 126:
                length = struct.unpack(">H", self._read(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self._read(8))[0]
            payload += self._read(length)
            if first & 0x80:  # FIN
                return json.loads(payload)

    def send(self, method: str, **params) -> dict:
        self.next_id += 1
        data = json.dumps({"id": self.next_id, "method": method, "params": params}).encode()
        mask = os.urandom(4)
        header = bytes([0x81]) + (bytes([0x80 | len(data)]) if len(data) < 126
                                  else bytes([0x80 | 126]) + struct.pack(">H", len(data)))
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))
        while True:
            message = self._message()
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, method: str, deadline: float) -> None:
        if any(event.get("method") == method for event in self.events):
            return
        while time.monotonic() < deadline:
            message = self._message()
            self.events.append(message)
            if message.get("method") == method:
                return
        raise TimeoutError(method)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    requests: list = []

    def log_message(self, *args):
        pass

    def log_request(self, code="-", size="-"):
        type(self).requests.append((self.path, int(code) if str(code).isdigit() else code))


@pytest.fixture(scope="module")
def served(built_site, tmp_path_factory):
    """The built site, copied (a test adds a broken page to it) and served on 127.0.0.1 (a free port)."""
    site = tmp_path_factory.mktemp("served") / "site"
    shutil.copytree(built_site, site)
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield site, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium with a fresh profile and no background networking; its DevTools address."""
    profile = tmp_path_factory.mktemp("profile")
    process = subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--hide-scrollbars", "--mute-audio",
         f"--user-data-dir={profile}", f"--window-size={WIDTH},{HEIGHT}", "--remote-debugging-port=0",
         "about:blank"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file, deadline = profile / "DevToolsActivePort", time.monotonic() + 60
        while not (port_file.exists() and len(port_file.read_text().splitlines()) >= 2):
            assert process.poll() is None and time.monotonic() < deadline, "Chromium did not start"
            time.sleep(0.1)
        yield f"127.0.0.1:{port_file.read_text().splitlines()[0]}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def page_paths(site: Path) -> list[str]:
    folders = (p.relative_to(site).parent.as_posix() for p in site.rglob("index.html"))
    return sorted("/" if folder == "." else f"/{folder}/" for folder in folders)


def open_tab(address: str) -> tuple[str, DevTools]:
    import urllib.request

    request = urllib.request.Request(f"http://{address}/json/new?about:blank", method="PUT")
    with urllib.request.urlopen(request, timeout=LOAD_TIMEOUT) as answer:
        tab = json.load(answer)
    return tab["id"], DevTools(tab["webSocketDebuggerUrl"])


def close_tab(address: str, tab_id: str) -> None:
    import urllib.request

    urllib.request.urlopen(f"http://{address}/json/close/{tab_id}", timeout=LOAD_TIMEOUT).read()


LAYOUT = """(() => {
  const body = document.body, main = document.querySelector('[role=main], main, .col-md-9') || body;
  const images = [...document.images];
  return JSON.stringify({
    height: document.documentElement.scrollHeight, width: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth, mainHeight: main.getBoundingClientRect().height,
    text: (main.innerText || '').trim().length, title: document.title,
    h1: [...document.querySelectorAll('h1')].map(h => h.innerText.trim()),
    brokenImages: images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src),
    stylesheets: document.styleSheets.length,
  });
})()"""


def load(address: str, url: str) -> tuple[dict, list[str], bytes]:
    """Load ``url`` in a new tab: its layout facts, the problems seen, and a full-page PNG screenshot."""
    tab_id, tools = open_tab(address)
    try:
        for domain in ("Page", "Runtime", "Log", "Network"):
            tools.send(f"{domain}.enable")
        tools.send("Page.navigate", url=url)
        tools.wait_for("Page.loadEventFired", time.monotonic() + LOAD_TIMEOUT)
        layout = json.loads(tools.send("Runtime.evaluate", expression=LAYOUT, returnByValue=True)["result"]["value"])
        height = max(HEIGHT, min(layout["height"], 30000))
        tools.send("Emulation.setDeviceMetricsOverride", width=WIDTH, height=height, deviceScaleFactor=1,
                   mobile=False)
        shot = base64.b64decode(tools.send("Page.captureScreenshot", format="png")["data"])
        problems = []
        for event in tools.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                problems.append("console error: " + " ".join(str(a.get("value", a.get("description", "")))
                                                              for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                problems.append("exception: " + params["exceptionDetails"].get("text", "")
                                + " " + str(params["exceptionDetails"].get("exception", {}).get("description", "")))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                problems.append(f"log error: {params['entry'].get('text')} {params['entry'].get('url', '')}")
            elif method == "Network.loadingFailed" and not params.get("canceled"):
                problems.append(f"request failed: {params.get('errorText')} ({params.get('type')})")
            elif method == "Network.responseReceived" and params["response"]["status"] >= 400:
                problems.append(f"HTTP {params['response']['status']}: {params['response']['url']}")
            elif method == "Network.requestWillBeSent":
                host = urlsplit(params["request"]["url"]).hostname
                if host not in (None, "127.0.0.1") and not params["request"]["url"].startswith("data:"):
                    problems.append(f"request to another host: {params['request']['url']}")
        return layout, problems, shot
    finally:
        close_tab(address, tab_id)


def layout_problems(layout: dict) -> list[str]:
    """What looks broken in a page's layout facts (see ``LAYOUT``)."""
    problems = []
    if layout["height"] < 400 or layout["mainHeight"] < 200 or layout["text"] < 200:
        problems.append(f"page barely rendered: {layout}")
    if layout["width"] > layout["innerWidth"] + 1:
        problems.append(f"page {layout['width']} px wide in a {layout['innerWidth']} px window")
    if layout["brokenImages"]:
        problems.append(f"images not loaded: {layout['brokenImages']}")
    if len(layout["h1"]) != 1 or layout["stylesheets"] < 2:
        problems.append(f"expected one h1 and the theme's stylesheets: {layout}")
    return problems


def test_every_docs_page_loads_cleanly_in_chromium(served, browser, tmp_path):
    site, base = served
    shots = Path(os.environ.get("COSTMODEL_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    paths = page_paths(site)
    assert "/" in paths and "/cli/" in paths and "/api/" in paths and len(paths) >= 10
    _QuietHandler.requests.clear()
    failures = {}
    for path in paths:
        layout, problems, shot = load(browser, base + path)
        (shots / (path.strip("/").replace("/", "_") or "index")).with_suffix(".png").write_bytes(shot)
        assert shot[:8] == b"\x89PNG\r\n\x1a\n"
        problems += layout_problems(layout)
        if problems:
            failures[path] = problems
    failed_requests = [(p, code) for p, code in _QuietHandler.requests if not (isinstance(code, int) and code < 400)]
    assert failures == {} and failed_requests == []


def test_the_browser_check_sees_a_broken_page(served, browser, tmp_path):
    """A page with a missing stylesheet, a script error and a broken image is reported, not passed."""
    site, base = served
    broken = site / "broken-check"
    broken.mkdir(exist_ok=True)
    (broken / "index.html").write_text("<html><head><link rel=stylesheet href='missing.css'></head><body>"
                                       "<h1>x</h1><img src='missing.png'><script>undefined_name()</script>"
                                       "</body></html>")
    (broken / "wide.html").write_text("<html><head><link rel=stylesheet href='../css/site.css'></head><body>"
                                      "<h1>x</h1><div style='width:3000px'>wide</div></body></html>")
    layout, problems, _ = load(browser, base + "/broken-check/")
    text = " ".join(problems + layout_problems(layout))
    assert "HTTP 404" in text and "undefined_name" in text and "images not loaded" in text
    assert "barely rendered" in text
    layout, problems, _ = load(browser, base + "/broken-check/wide.html")
    assert any("px wide in a" in problem for problem in layout_problems(layout))
