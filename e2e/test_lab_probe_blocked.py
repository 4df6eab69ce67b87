"""The lab probe (e2e/lab/probe.js) in real Chromium: with `?timeline=1` it records a main thread
that was held for over a second; without it, it records nothing. Its list of the page's origin
requests (the timeline dump's `resources`)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from swarmcast.e2e.browser import webrtc_context
from swarmcast.e2e.lab.viewer_worker import PROBE_JS

# Holds the page's main thread, then waits (in the page) for the probe's timer to run again.
HOLD_JS = """async (ms) => {
  const until = performance.now() + ms;
  while (performance.now() < until) {}
  await new Promise((resolve) => setTimeout(resolve, 600));
  return window.__swarmLab.blocked();
}"""


class _Blank(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!doctype html><title>probe</title>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def blank_page_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Blank)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("query, recorded", [("?timeline=1", True), ("", False)])
def test_probe_records_a_held_main_thread_only_with_a_timeline(
    blank_page_url: str, query: str, recorded: bool
) -> None:
    with webrtc_context() as context:
        context.add_init_script(path=str(PROBE_JS))
        page = context.new_page()
        page.goto(blank_page_url + query)
        blocked = page.evaluate(HOLD_JS, 1500)
    if recorded:
        assert len(blocked) == 1, blocked
        assert blocked[0]["ms"] >= 1000 and blocked[0]["t"] > 0
    else:
        assert blocked == []


def test_probe_lists_the_pages_requests_to_its_origin(blank_page_url: str) -> None:
    with webrtc_context() as context:
        context.add_init_script(path=str(PROBE_JS))
        page = context.new_page()
        page.goto(blank_page_url + "?timeline=1")
        page.evaluate("() => fetch('/segment-7.m4s').then((r) => r.text())")
        resources = page.evaluate("() => window.__swarmLab.resources()")
    fetched = [r for r in resources if r["path"] == "/segment-7.m4s"]
    assert len(fetched) == 1, resources
    entry = fetched[0]
    assert entry["bytes"] > 0 and entry["t"] > 0
    assert entry["queuedMs"] >= 0 and entry["ttfbMs"] >= 0 and entry["transferMs"] >= 0
