"""All Chromium viewers of a lab phase as browser contexts of ONE Chromium process (`bench lab
--browser-mode contexts`), run inside one viewer host's namespace.

`ip netns exec <host> python -m e2e.lab.context_worker --origin URL [--har FILE]` reads JSON
commands on stdin, one per line: `{"cmd": "join", "viewer": V, "url": U, "timeline_out": F}`
opens a new context and page for viewer V; `{"cmd": "leave", "viewer": V}` takes its final sample
(and timeline) and closes its context. It writes the same JSON lines as `viewer_worker` to
stdout, each with a `"viewer"` field. stdin closing, SIGTERM or `--max-seconds` end everything.

With `--har` (recorded by `viewer_worker --warmup --har-out`), the page's scripts and styles come
from that recording instead of the origin, as they come from the warmed HTTP cache when every
viewer has its own browser: the capped origin link carries media, playlists and signaling only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import queue
import signal
import sys
import threading
import time
from typing import Any

from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from swarmcast.e2e.lab.viewer_worker import (
    PROBE_JS,
    SAMPLE_JS,
    STATIC_URL,
    add_browser_arguments,
    chromium_flags,
    emit,
    save_timeline,
)


class ContextViewer:
    """One viewer: its own context (cookies, cache, storage) and page in the shared browser."""

    def __init__(self, name: str, context: BrowserContext, page: Page, timeline_out: str | None):
        self.name = name
        self.context = context
        self.page = page
        self.timeline_out = timeline_out
        self.console_errors: list[str] = []
        self.last: Any = None

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                self.console_errors.append(message.text[:300])

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.console_errors.append(f"pageerror: {error}"[:300]))
        page.on("crash", lambda _page: self.console_errors.append("page crashed"))

    def sample(self) -> None:
        try:
            sample = self.page.evaluate(SAMPLE_JS)
        except PlaywrightError as exc:
            self.console_errors.append(f"evaluate: {exc}"[:300])
            return
        if sample is not None:
            self.last = sample
            emit({"type": "sample", "viewer": self.name, "sample": sample,
                  "consoleErrors": self.console_errors[-5:]})  # fmt: skip

    def finish(self) -> None:
        """Final sample, timeline, context closed."""
        try:
            self.last = self.page.evaluate(SAMPLE_JS) or self.last
        except PlaywrightError as exc:
            self.console_errors.append(f"final evaluate: {exc}"[:300])
        if self.timeline_out:
            save_timeline(self.page, self.timeline_out, self.console_errors)
        emit({"type": "final", "viewer": self.name, "sample": self.last,
              "consoleErrors": self.console_errors[-50:]})  # fmt: skip
        with contextlib.suppress(PlaywrightError):  # the browser goes with the worker anyway
            self.context.close()


def read_commands(commands: queue.Queue[dict[str, Any] | None]) -> None:
    """stdin → command queue; None when stdin closes (everyone leaves)."""
    for line in sys.stdin:
        try:
            command = json.loads(line)
        except json.JSONDecodeError:
            emit({"type": "error", "error": f"bad command: {line[:200]!r}"})
            continue
        if isinstance(command, dict):
            commands.put(command)
    commands.put(None)


def join(browser: Browser, command: dict[str, Any], har: str | None) -> ContextViewer:
    context = browser.new_context(
        permissions=["camera", "microphone"], viewport={"width": 640, "height": 400}
    )
    if har:
        context.route_from_har(har, url=STATIC_URL, not_found="fallback")
    context.add_init_script(path=str(PROBE_JS))
    page = context.new_page()
    viewer = ContextViewer(str(command["viewer"]), context, page, command.get("timeline_out"))
    emit({"type": "launched", "viewer": viewer.name, "wall": time.time() * 1000})
    try:
        page.goto(str(command["url"]), wait_until="commit", timeout=30_000)
    except PlaywrightError as exc:
        emit({"type": "error", "viewer": viewer.name, "error": str(exc)[:500]})
    return viewer


def run(args: argparse.Namespace) -> int:
    commands: queue.Queue[dict[str, Any] | None] = queue.Queue()
    signal.signal(signal.SIGTERM, lambda *_: commands.put(None))
    threading.Thread(target=read_commands, args=(commands,), daemon=True).start()
    deadline = time.monotonic() + args.max_seconds
    viewers: dict[str, ContextViewer] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=args.chromium,
            args=chromium_flags(args.origin) + args.chromium_arg,
            headless=True,
        )
        next_tick = time.monotonic()
        running = True
        while running and time.monotonic() < deadline:
            # Commands first (joins must not wait for a sampling round), then samples on time.
            timeout = max(0.0, next_tick - time.monotonic())
            try:
                command = commands.get(timeout=timeout)
            except queue.Empty:
                command = {"cmd": "tick"}
            if command is None:
                running = False
            elif command.get("cmd") == "join" and command.get("viewer") not in viewers:
                viewer = join(browser, command, args.har)
                viewers[viewer.name] = viewer
            elif command.get("cmd") == "leave" and command.get("viewer") in viewers:
                viewers.pop(str(command["viewer"])).finish()
            if time.monotonic() >= next_tick:
                for viewer in list(viewers.values()):
                    viewer.sample()
                next_tick += args.interval
                next_tick = max(next_tick, time.monotonic())  # never a backlog of rounds
        for viewer in list(viewers.values()):
            viewer.finish()
        with contextlib.suppress(PlaywrightError):  # the lab kills what is left
            browser.close()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--origin", required=True, help="page origin, e.g. http://10.77.1.2:8080")
    add_browser_arguments(parser)
    parser.add_argument("--har", help="answer script/style requests from this HAR (warm-up)")
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
