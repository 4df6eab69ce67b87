"""One Chromium viewer of the swarm lab, run inside a viewer host's namespace.

`ip netns exec <host> python -m e2e.lab.viewer_worker --url URL ...` opens the page in its own
Chromium, injects `probe.js`, and writes one JSON object per line to stdout: `launched`, then a
`sample` about every `--interval` seconds, then `final` when it leaves. It leaves when stdin says
`leave` (or closes), on SIGTERM, or at `--max-seconds`, whichever comes first.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import ConsoleMessage, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError

PROBE_JS = Path(__file__).with_name("probe.js")
SAMPLE_JS = "() => (window.__swarmLab ? window.__swarmLab.sample() : null)"


def chromium_flags(page_origin: str) -> list[str]:
    """Flags that let Chromium do WebRTC and WebCrypto against the lab's plain-HTTP origin.

    The secure-context flag gives WebCrypto and media permissions to http://HOST:PORT; with
    the mDNS host-candidate obfuscation off, Chromium offers its veth address as a host
    candidate (peers in other namespaces cannot resolve `.local` names). The fake media
    device keeps a page that does call getUserMedia (LAB.md recipe) from failing.
    """
    return [
        f"--unsafely-treat-insecure-origin-as-secure={page_origin}",
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        "--disable-features=WebRtcHideLocalIpsWithMdns",
        "--autoplay-policy=no-user-gesture-required",
        "--mute-audio",
        "--disable-background-timer-throttling",
        "--disable-renderer-backgrounding",
        "--disable-backgrounding-occluded-windows",
    ]


def emit(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def watch_stdin(leave: threading.Event) -> None:
    """The lab writes `leave` (or closes our stdin) to end this viewer."""
    for line in sys.stdin:
        if line.strip() == "leave":
            break
    leave.set()


def run(args: argparse.Namespace) -> int:
    leave = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: leave.set())
    threading.Thread(target=watch_stdin, args=(leave,), daemon=True).start()
    parts = urlsplit(args.url)
    page_origin = f"{parts.scheme}://{parts.netloc}"
    deadline = time.monotonic() + args.max_seconds
    console_errors: list[str] = []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=args.chromium, args=chromium_flags(page_origin), headless=True
        )
        context = browser.new_context(
            permissions=["camera", "microphone"], viewport={"width": 640, "height": 400}
        )
        context.add_init_script(path=str(PROBE_JS))
        page = context.new_page()

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                console_errors.append(message.text[:300])

        def on_page_error(error: PlaywrightError) -> None:
            console_errors.append(f"pageerror: {error}"[:300])

        def on_crash(_page: Page) -> None:
            console_errors.append("page crashed")

        page.on("console", on_console)
        page.on("pageerror", on_page_error)
        page.on("crash", on_crash)
        emit({"type": "launched", "wall": time.time() * 1000})
        try:
            page.goto(args.url, wait_until="commit", timeout=30_000)
        except PlaywrightError as exc:
            emit({"type": "error", "wall": time.time() * 1000, "error": str(exc)[:500]})
        last: Any = None
        next_tick = time.monotonic()
        while not leave.is_set() and time.monotonic() < deadline:
            try:
                sample = page.evaluate(SAMPLE_JS)
            except PlaywrightError as exc:
                sample = None
                console_errors.append(f"evaluate: {exc}"[:300])
            if sample is not None:
                last = sample
                emit({"type": "sample", "sample": sample, "consoleErrors": console_errors[-5:]})
            next_tick += args.interval
            leave.wait(max(0.0, next_tick - time.monotonic()))
        try:
            last = page.evaluate(SAMPLE_JS) or last
        except PlaywrightError as exc:
            console_errors.append(f"final evaluate: {exc}"[:300])
        emit({"type": "final", "sample": last, "consoleErrors": console_errors[-50:]})
        try:
            context.close()
            browser.close()
        except PlaywrightError:
            pass  # the lab kills what is left
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="page to watch")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between samples")
    parser.add_argument("--max-seconds", type=float, default=900.0, help="hard stop")
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
