"""One Chromium viewer of the swarm lab, run inside a viewer host's namespace.

`ip netns exec <host> python -m e2e.lab.viewer_worker --url URL ...` opens the page in its own
Chromium, injects `probe.js`, and writes one JSON object per line to stdout: `launched`, then a
`sample` about every `--interval` seconds, then `final` when it leaves. It leaves when stdin says
`leave` (or closes), on SIGTERM, or at `--max-seconds`, whichever comes first. `--warmup` only
loads the page into `--profile`'s HTTP cache and exits.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import (
    BrowserContext,
    CDPSession,
    ConsoleMessage,
    Page,
    Playwright,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError

PROBE_JS = Path(__file__).with_name("probe.js")
SAMPLE_JS = "() => (window.__swarmLab ? window.__swarmLab.sample() : null)"
# What a warm-up HAR keeps for `context_worker --har`: the page's static scripts and styles (never
# media, never the API, never the page itself, whose query string differs per viewer).
STATIC_URL = re.compile(r".*\.(js|mjs|css)(\?.*)?$")
# The shim's timeline (player-shim/src/timeline.ts), recorded when the page has `?timeline=1`.
TIMELINE_JS = """() => {
  const dump = window.swarmcast && typeof window.swarmcast.timeline === 'function'
    ? window.swarmcast.timeline() : null;
  if (!dump) return null;
  // The lab probe's view (probe.js): the page's requests to the origin and the moments its
  // main thread ran late.
  dump.resources = window.__swarmLab ? window.__swarmLab.resources() : [];
  dump.blocked = window.__swarmLab ? window.__swarmLab.blocked() : [];
  return dump;
}"""


def chromium_flags(page_origin: str) -> list[str]:
    """Flags that let Chromium do WebRTC and WebCrypto against the lab's plain-HTTP origin.

    The secure-context flag gives WebCrypto and media permissions to http://HOST:PORT; with
    the mDNS host-candidate obfuscation off, Chromium offers its veth address as a host
    candidate (peers in other namespaces cannot resolve `.local` names). The fake media
    device keeps a page that does call getUserMedia (docs/testing.md, Chromium recipe) from failing.
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


def watch_stdin(leave: threading.Event, go: threading.Event | None = None) -> None:
    """The lab writes `go` (with `--wait-go`: open the page now) and `leave` (or closes our
    stdin) to end this viewer."""
    for line in sys.stdin:
        if line.strip() == "go" and go is not None:
            go.set()
        if line.strip() == "leave":
            break
    leave.set()


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def open_context(playwright: Playwright, args: argparse.Namespace) -> BrowserContext:
    """Chromium with the lab's flags; with `--profile`, on that (pre-warmed) user-data dir."""
    options: dict[str, Any] = {
        "executable_path": args.chromium,
        "args": chromium_flags(_origin_of(args.url)) + args.chromium_arg + net_log_flags(args),
        "headless": True,
    }
    context_options: dict[str, Any] = {
        "permissions": ["camera", "microphone"],
        "viewport": {"width": 640, "height": 400},
    }
    if args.profile:
        return playwright.chromium.launch_persistent_context(
            args.profile, **options, **context_options
        )
    return playwright.chromium.launch(**options).new_context(**context_options)


def warm_up(args: argparse.Namespace) -> int:
    """Load the page once so its scripts sit in the profile's HTTP cache, then exit.

    Viewers start from a copy of this profile: their player scripts come from cache (as from
    a CDN), so a capped origin link carries media and API traffic, not 1 MB of JavaScript.
    With `--har-out` (browser contexts of one Chromium share no profile) the scripts are
    recorded into a HAR file instead, which `context_worker --har` answers them from."""
    with sync_playwright() as playwright:
        if args.har_out:
            browser = playwright.chromium.launch(
                executable_path=args.chromium,
                args=chromium_flags(_origin_of(args.url)) + args.chromium_arg,
                headless=True,
            )
            context = browser.new_context(
                record_har_path=args.har_out, record_har_content="embed",
                record_har_url_filter=STATIC_URL,
            )  # fmt: skip
        else:
            context = open_context(playwright, args)
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(args.url, wait_until="load", timeout=60_000)
        emit({"type": "warmed", "wall": time.time() * 1000})
        context.close()
    return 0


def save_timeline(page: Page, path: str, console_errors: list[str]) -> None:
    """Write the page's timeline as JSON (null when the page records none)."""
    try:
        dump = page.evaluate(TIMELINE_JS)
    except PlaywrightError as exc:
        console_errors.append(f"timeline evaluate: {exc}"[:300])
        dump = None
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(dump, separators=(",", ":")))


# Diagnosis, not a figure: with this set, every browser viewer records a CPU profile of its page's
# JavaScript (Chrome DevTools Profiler) for the whole visit and writes it into the directory as
# `<viewer>.cpuprofile` (the timeline's file name; DevTools and speedscope open it).
CPU_PROFILE_DIR_ENV = "SWARMCAST_LAB_CPU_PROFILE_DIR"
CPU_PROFILE_INTERVAL_ENV = "SWARMCAST_LAB_CPU_PROFILE_INTERVAL_US"


# Diagnosis, not a figure: with this set, every browser viewer (not the warm-up) writes Chromium's
# net log (sockets, connection pools, each request's phases) to `<viewer>.netlog.json` there;
# it shows whether a slow origin fetch waited for a socket, a TCP connect, or bytes.
NET_LOG_DIR_ENV = "SWARMCAST_LAB_NETLOG_DIR"


def net_log_flags(args: argparse.Namespace) -> list[str]:
    directory = os.environ.get(NET_LOG_DIR_ENV)
    if not directory or args.warmup or not args.name:
        return []
    Path(directory).mkdir(parents=True, exist_ok=True)
    return [f"--log-net-log={Path(directory) / f'{args.name}.netlog.json'}"]


def start_cpu_profile(
    context: BrowserContext, page: Page, args: argparse.Namespace, console_errors: list[str]
) -> CDPSession | None:
    if not os.environ.get(CPU_PROFILE_DIR_ENV):
        return None
    try:
        cdp = context.new_cdp_session(page)
        cdp.send("Profiler.enable")
        # V8 samples every 1 ms by default; 10 ms is enough to find seconds-long stretches and
        # costs the page (and the two cores it shares) ten times less.
        interval_us = int(os.environ.get(CPU_PROFILE_INTERVAL_ENV) or 10_000)
        cdp.send("Profiler.setSamplingInterval", {"interval": interval_us})
        cdp.send("Profiler.start")
        return cdp
    except PlaywrightError as exc:
        console_errors.append(f"cpu profile: {exc}"[:300])
        return None


def save_cpu_profile(cdp: CDPSession, args: argparse.Namespace, console_errors: list[str]) -> None:
    name = args.name or (Path(args.timeline_out).stem if args.timeline_out else None)
    name = name or f"viewer-{os.getpid()}"
    out = Path(os.environ[CPU_PROFILE_DIR_ENV]) / f"{name}.cpuprofile"
    try:
        profile = cdp.send("Profiler.stop")["profile"]
    except PlaywrightError as exc:
        console_errors.append(f"cpu profile stop: {exc}"[:300])
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(profile, separators=(",", ":")))


def run(args: argparse.Namespace) -> int:
    if args.warmup:
        return warm_up(args)
    leave = threading.Event()
    go = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: leave.set())
    threading.Thread(target=watch_stdin, args=(leave, go), daemon=True).start()
    deadline = time.monotonic() + args.max_seconds
    console_errors: list[str] = []

    with sync_playwright() as playwright:
        context = open_context(playwright, args)
        context.add_init_script(path=str(PROBE_JS))
        page = context.pages[0] if context.pages else context.new_page()

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
        profiler = start_cpu_profile(context, page, args, console_errors)
        if args.wait_go:
            # Launched ahead of the viewer's arrival: the lab says `go` at its join time, so one
            # viewer's page load never shares the CPU with other browsers' launches.
            emit({"type": "ready", "wall": time.time() * 1000})
            while not go.wait(0.2):
                if leave.is_set() or time.monotonic() >= deadline:
                    return 0
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
        if args.timeline_out:
            save_timeline(page, args.timeline_out, console_errors)
        if profiler is not None:
            save_cpu_profile(profiler, args, console_errors)
        emit({"type": "final", "sample": last, "consoleErrors": console_errors[-50:]})
        try:
            browser = context.browser
            context.close()
            if browser is not None:
                browser.close()
        except PlaywrightError:
            pass  # the lab kills what is left
    return 0


def add_browser_arguments(parser: argparse.ArgumentParser) -> None:
    """What every viewer worker (this one, `context_worker`) takes."""
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between samples")
    parser.add_argument("--max-seconds", type=float, default=900.0, help="hard stop")
    parser.add_argument(
        "--chromium-arg", action="append", default=[], metavar="FLAG",
        help="one more Chromium flag (repeatable; the page edge's name and certificate)",
    )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True, help="page to watch")
    add_browser_arguments(parser)
    parser.add_argument("--profile", help="Chromium user-data dir (default: a fresh one)")
    parser.add_argument("--warmup", action="store_true", help="load the page once and exit")
    parser.add_argument("--timeline-out", help="on leaving, write the shim's timeline here")
    parser.add_argument("--name", help="the viewer's name in the lab (names its CPU profile)")
    parser.add_argument("--har-out", help="--warmup: record the page's scripts into this HAR")
    parser.add_argument(
        "--wait-go", action="store_true",
        help="launch Chromium, print `ready`, and open the page only when stdin says `go`",
    )  # fmt: skip
    return run(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
