"""Chromium for e2e tests: Debian's binary through Playwright, with the flags WebRTC needs inside
the test's network namespace (docs/testing.md, "Chromium with WebRTC inside a namespace")."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
SHIM_DIR = Path(__file__).resolve().parent.parent / "player-shim"
# Playback without a user gesture, in background pages too.
PLAYBACK_ARGS = [
    "--autoplay-policy=no-user-gesture-required",
    "--disable-background-networking",
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
    "--disable-component-update",
    "--no-first-run",
    "--mute-audio",
]
WEBRTC_ARGS = [
    *PLAYBACK_ARGS,
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    # Host candidates as plain addresses: nobody resolves mDNS names in the namespace.
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]
# Chromium in a namespace gathers ICE candidates once the page has used the camera; contexts
# also need permissions=["camera", "microphone"].
GUM_INIT_SCRIPT = """
window.__gum = navigator.mediaDevices.getUserMedia({audio: true, video: true})
  .then((s) => { s.getTracks().forEach((t) => t.stop()); return "ok"; }, (e) => String(e));
"""


def ensure_shim_bundle() -> None:
    """`make test` builds the bundle (`make shim`); a bare pytest run builds it here."""
    bundle = SHIM_DIR.parent / "swarmcast" / "player" / "swarmcast.js"  # what the origin serves
    sources = [*(SHIM_DIR / "src").rglob("*.ts"), SHIM_DIR / "build.mjs"]
    if bundle.exists() and bundle.stat().st_mtime >= max(p.stat().st_mtime for p in sources):
        return
    subprocess.run(["node", "build.mjs"], cwd=SHIM_DIR, check=True, timeout=300)


@contextmanager
def webrtc_context(args: Sequence[str] = (), **context_options: Any) -> Iterator[Any]:
    """A Playwright browser context of one headless Chromium that can do WebRTC in the test's
    namespace (media permissions + the getUserMedia init script); closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=[*WEBRTC_ARGS, *args]
        )
        try:
            context = browser.new_context(permissions=["camera", "microphone"], **context_options)
            context.add_init_script(GUM_INIT_SCRIPT)
            yield context
            context.close()
        finally:
            browser.close()
