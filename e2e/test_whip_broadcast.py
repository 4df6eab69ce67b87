"""End to end: the `/broadcast` page in real Chromium publishes its (fake) camera over WHIP to
`swarmcast serve --whip`, an hls.js, a Shaka and a dash.js viewer (the demo page) watch it
live; the publisher drops and comes back (EXT-X-DISCONTINUITY, a second DASH Period), and all
three play on into the second publisher's media without a media error (the DASH players across
the Period boundary); the live MPD with two Periods, and its update, pass the conformance
checks of tests/segmenter/mpd_conformance.py; a wrong key is refused. Inside the test's network
namespace (Chromium needs the media-permission recipe of docs/testing.md to gather candidates
there)."""

from __future__ import annotations

import signal
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from swarmcast.e2e.browser import CHROMIUM, WEBRTC_ARGS
from swarmcast.e2e.serve_process import http_get, serve_whip
from swarmcast.segmenter.config import Rendition, SegmenterConfig
from tests.segmenter.mpd_conformance import duration_s, mpd_violations, update_violations
from tests.segmenter.stream_checks import DASH, check_stream_dir

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext

KEY = "broadcast-key"
LADDER = "426x240@400"
CONFIG = SegmenterConfig(renditions=(Rendition.parse(LADDER),), segment_duration=1.0)
SPAN_SEGMENTS = 8  # ~8 s per publisher span; two spans make the ~20 s broadcast


@pytest.fixture
def whip_server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`swarmcast serve --whip` (no source: the stream waits for a publisher)."""
    with serve_whip(tmp_path, ladder=LADDER, stream_key=KEY) as running:
        yield running


def _playlist(base: str) -> str:
    return http_get(f"{base}live/cam/240p/index.m3u8").decode()


def _wait_log(path: Path, line: str, deadline_s: float = 20.0) -> None:
    """Poll the server's log (a separate process: its log is the signal) for `line`."""
    deadline = time.monotonic() + deadline_s
    while line not in path.read_text():
        assert time.monotonic() < deadline, f"no {line!r} in the server log in time"
        time.sleep(0.2)


def _mpd(base: str) -> str:
    return http_get(f"{base}live/cam/manifest.mpd").decode()


# Resolves once the viewer played `until` (MPD presentation time for the DASH players, seconds
# since its first frame for hls.js) or recorded an error.
PLAYED_JS = """
(until) => { const d = window.swarmcastDemo;
             const at = d.playerName === "hls" ? d.video.currentTime - d.firstFrameMediaTime
                                               : d.video.currentTime;
             return at >= until || d.errors.length
                 ? {at, errors: d.errors, mediaError: d.video.error && d.video.error.code}
                 : false; }
"""


def _wait_segments(base: str, count: int, discontinuity: int, deadline_s: float = 60.0) -> str:
    """Poll the playlist (as a player does) until `count` segments of publisher span
    `discontinuity` (its `init-<d>.mp4`) are listed."""
    marker = f'#EXT-X-MAP:URI="init-{discontinuity}.mp4"'
    deadline = time.monotonic() + deadline_s
    text = ""
    while time.monotonic() < deadline:
        try:
            text = _playlist(base)
        except OSError:
            text = ""
        span = text.partition(marker)[2].partition("#EXT-X-MAP")[0] if marker in text else ""
        if span.count("#EXTINF") >= count:
            return text
        time.sleep(0.3)
    raise AssertionError(f"fewer than {count} segments in time:\n{text}")


@pytest.mark.netns
@pytest.mark.browser
@pytest.mark.slow
def test_browser_broadcast_is_watched_live_and_survives_a_drop(
    whip_server: tuple[str, subprocess.Popen[str]], tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    base, process = whip_server
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=WEBRTC_ARGS
        )
        try:

            def broadcaster(key: str) -> tuple[BrowserContext, dict[str, Any]]:
                context = browser.new_context(permissions=["camera", "microphone"])
                page = context.new_page()
                page.goto(f"{base}broadcast?key={key}")
                page.click("#start")
                handle = page.wait_for_function(
                    """() => { const b = window.swarmcastBroadcast;
                               return ["live", "refused", "failed"].includes(b.state)
                                   ? {state: b.state, status: b.status, error: b.error,
                                      text: document.getElementById("state").textContent}
                                   : false; }""",
                    timeout=30_000,
                )
                return context, handle.json_value()

            wrong_context, refused = broadcaster("not-the-key")
            assert refused["state"] == "refused" and refused["status"] == 401, refused
            wrong_context.close()

            first_context, first = broadcaster(KEY)
            assert first["state"] == "live", first
            _wait_segments(base, 3, 0)
            viewers = {}
            for player in ("hls", "shaka", "dashjs"):
                viewers[player] = browser.new_page()
                viewers[player].goto(f"{base}?stream=cam&p2p=0&player={player}")
            for viewer in viewers.values():
                viewer.wait_for_function(
                    "() => window.swarmcastDemo && window.swarmcastDemo.firstFrameAt !== null",
                    timeout=30_000,
                )
            # An ICE restart (RFC 9725 §4.3.2) moves the publish to new ICE credentials and
            # candidates; the publisher span, and so the discontinuity, stay the same.
            first_page = first_context.pages[0]
            restarted = first_page.evaluate("() => window.swarmcastBroadcast.restartIce()")
            assert restarted is True, first_page.evaluate("() => window.swarmcastBroadcast.error")
            # The browser stays "connected" on the old path meanwhile: the server's swap to the
            # new agent is what completes the restart.
            _wait_log(tmp_path / "serve.log", "ICE restart completed (1 so far)")
            # A restart whose PATCH goes before gathering ends (a slow machine) leaves out the
            # end of candidates and trickles the rest (RFC 9725 §4.3.1): it completes too.
            restarted = first_page.evaluate(
                "() => window.swarmcastBroadcast.restartIce({gatherWaitMs: 0})"
            )
            assert restarted is True, first_page.evaluate("() => window.swarmcastBroadcast.error")
            _wait_log(tmp_path / "serve.log", "ICE restart completed (2 so far)")
            # ... and the trickled rest was taken (204), whether it came before or after.
            first_page.wait_for_function(
                "() => window.swarmcastBroadcast.trickles === 1", timeout=30_000
            )
            _wait_segments(base, SPAN_SEGMENTS, 0)
            assert 'URI="init-1.mp4"' not in _playlist(base)
            one_period = _mpd(base)
            first_context.close()  # the publisher drops

            second_context, second = broadcaster(KEY)
            assert second["state"] == "live", second
            text = _wait_segments(base, SPAN_SEGMENTS, 1)
            assert "#EXT-X-DISCONTINUITY" in text and 'URI="init-1.mp4"' in text, text
            two_periods = _mpd(base)
            assert mpd_violations(two_periods) == []
            assert update_violations(one_period, two_periods) == []
            second_start = next(
                duration_s(period.get("start", ""))
                for period in ET.fromstring(two_periods).findall("d:Period", DASH)
                if period.get("id") == "p1"
            )
            # Every viewer played through the drop and into the second publisher's media: the
            # DASH players 2 s into the second Period.
            played = {
                player: viewer.wait_for_function(
                    PLAYED_JS,
                    arg=10 if player == "hls" else second_start + 2,
                    timeout=30_000,
                    polling=250,
                ).json_value()
                for player, viewer in viewers.items()
            }
            second_context.close()
        finally:
            browser.close()
    for player, result in played.items():
        assert result["errors"] == [] and result["mediaError"] is None, (player, result)

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    log = (tmp_path / "serve.log").read_text()
    assert "refused POST, invalid stream key" in log
    assert "ICE restart completed" in log  # the server swapped to the new ICE agent
    check = check_stream_dir(tmp_path / "cam", CONFIG, ended=True)
    assert {segment.discontinuity for segment in check.segments} == {0, 1}
    assert len(check.mpd.findall("d:Period", DASH)) == 2
    full = [segment for segment in check.segments if segment.duration == 1.0]
    assert len(full) >= 2 * SPAN_SEGMENTS - 2
    assert all(segment.frames["240p"] == 30 for segment in full)
