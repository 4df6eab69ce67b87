"""The lab's side of its viewer workers, against a real subprocess that speaks their line
protocol (no browser): samples and finals reach the right viewer's record, leaving waits for the
final sample, output that is not JSON is noted, and a worker that dies releases every waiter.
And a real `viewer_worker --wait-go` (Chromium): launched ahead, it opens the page only at `go`."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from aiohttp import web

from swarmcast.e2e.browser import CHROMIUM
from swarmcast.e2e.lab.processes import BrowserViewer, LabProcess, SharedBrowser, ViewerRecord

# A stand-in `context_worker`: joins answer with a sample, leaves with a final sample.
FAKE_WORKER = r"""
import json, sys
print("not json", flush=True)
for line in sys.stdin:
    command = json.loads(line)
    viewer = command["viewer"]
    if command["cmd"] == "join":
        print(json.dumps({"type": "sample", "viewer": viewer, "sample": {"wall": 1}}), flush=True)
        print(json.dumps({"type": "sample", "viewer": "nobody", "sample": {"wall": 1}}), flush=True)
    elif command["cmd"] == "leave":
        print(json.dumps({"type": "final", "viewer": viewer, "sample": {"wall": 2},
                          "consoleErrors": ["x"]}), flush=True)
        if viewer == "v2":
            sys.exit(0)  # dies with v3 still in it
"""


def _record(name: str) -> ViewerRecord:
    return ViewerRecord(name, "browser", "p2p", 0, "10.77.2.2", 0.0)


def test_shared_browser_routes_lines_per_viewer_and_leaves_cleanly(tmp_path: Path) -> None:
    async def scenario() -> list[ViewerRecord]:
        argv = [sys.executable, "-c", FAKE_WORKER]
        browser = SharedBrowser(LabProcess("fake", "", argv, tmp_path / "fake.log"))
        await browser.start()
        records = [_record(f"v{i}") for i in (1, 2, 3)]
        viewers = [await browser.join(r, "http://x/", None) for r in records]
        await asyncio.wait_for(viewers[0].leave(5.0), 10)
        await asyncio.wait_for(viewers[1].leave(5.0), 10)  # the worker exits after this one
        await asyncio.wait_for(viewers[2].leave(0.5), 10)  # nobody answers: bounded wait
        await browser.stop(grace_s=2.0)
        assert browser.errors and "not JSON" in browser.errors[0]
        return records

    v1, v2, v3 = asyncio.run(scenario())
    assert v1.samples == [{"wall": 1}] and v1.final == {"wall": 2}
    assert v1.console_errors == ["x"] and v1.left_wall is not None
    assert v2.final == {"wall": 2}
    assert v3.final is None and "no final sample" in v3.errors[0]
    assert v1.exit_code == 0


@pytest.mark.browser
@pytest.mark.timeout(120)
def test_prelaunched_viewer_opens_the_page_only_when_told(tmp_path: Path) -> None:
    async def scenario() -> tuple[int, ViewerRecord]:
        requested = asyncio.Event()
        hits = 0

        async def page(_request: web.Request) -> web.Response:
            nonlocal hits
            hits += 1
            requested.set()
            return web.Response(text="<html><body>lab</body></html>", content_type="text/html")

        app = web.Application()
        app.router.add_get("/", page)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        argv = [
            sys.executable, "-m", "swarmcast.e2e.lab.viewer_worker",
            "--url", f"http://127.0.0.1:{port}/", "--chromium", CHROMIUM,
            "--interval", "0.5", "--max-seconds", "90", "--wait-go",
        ]  # fmt: skip
        record = _record("b01")
        viewer = BrowserViewer(LabProcess("b01", "", argv, tmp_path / "b01.log"), record)
        await viewer.start()
        try:
            await asyncio.wait_for(viewer.ready.wait(), 60)
            before_go = hits  # the browser is up on a blank page
            await viewer.go()
            await asyncio.wait_for(requested.wait(), 30)
            await asyncio.wait_for(viewer.leave(10.0), 30)
        finally:
            await viewer.process.stop(grace_s=2.0)
            await runner.cleanup()
        return before_go, record

    before_go, record = asyncio.run(scenario())
    assert before_go == 0
    assert record.exit_code == 0, record.errors
