"""End to end for the browser shim (issue 4): `swarmcast serve` with a live synthetic stream,
real Chromium pages playing it through the swarmcast shim, peers exchanging verified segments
over WebRTC data channels inside the test's private network namespace.

Acceptance: 4 viewers joining a few seconds apart play 60 s (currentTime advances >= 50 s), the
swarm takes >= 50 % of its media bytes from peers, nobody stalls after the first frame, one
viewer leaving mid-stream stalls nobody; a Python peer serving corrupted pieces never gets a
corrupted segment into hls.js and is dropped; with `?p2p=0` every byte comes over HTTP.
One Chromium, one page per viewer (a browser per viewer would not fit 2 cores next to the encoder).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from swarmcast.e2e import shim_corrupt_peer
from swarmcast.e2e.browser import ensure_shim_bundle, webrtc_context
from swarmcast.e2e.serve_process import ServeProcess, http_get, serve_live

pytestmark = [pytest.mark.browser, pytest.mark.netns, pytest.mark.slow]

STREAM = "shim"
RENDITION = "360p"
# One rung: the whole audience shares one swarm (ABR switches would split it; the loader's ABR
# behaviour is covered by the unit tests against a fake hls.js context).
LADDER = "640x360@700"
READY_SEGMENTS = 4
WATCH_S = 60.0
JOIN_GAP_S = 3.0
# Hashes every media fragment hls.js receives (a copy: hls.js may transfer the buffer to its
# worker), so the test can compare what reached the player with the signed records.
HASH_HOOK = """
() => {
  const demo = window.swarmcastDemo;
  if (!demo || !demo.hls || demo.__hashHook) return Boolean(demo && demo.__hashHook);
  demo.__hashHook = true;
  demo.fragHashes = [];
  demo.shimEvents = []; // for failure reports: what the shim saw, with page time
  for (const name of ["stall", "verification-failure", "peer-connect", "peer-close", "warning"]) {
    demo.swarm.on(name, (e) => demo.shimEvents.push([Math.round(performance.now()), name, e]));
  }
  demo.hls.on(window.swarmcast.Hls.Events.FRAG_LOADED, (_e, data) => {
    if (typeof data.frag.sn !== "number") return;
    const copy = data.payload.slice(0);
    crypto.subtle.digest("SHA-256", copy).then((d) => demo.fragHashes.push({
      url: data.frag.url,
      sha256: Array.from(new Uint8Array(d)).map((b) => b.toString(16).padStart(2, "0")).join(""),
    }));
  });
  return true;
}
"""
STATE_JS = """
() => {
  const d = window.swarmcastDemo;
  return {
    currentTime: d.video.currentTime,
    firstFrameAt: d.firstFrameAt,
    errors: d.errors,
    mediaError: d.video.error && d.video.error.code,
    shim: d.swarm ? d.swarm.stats() : null,
    scheduler: d.swarm ? d.swarm.schedulerStats() : null,
  };
}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    ensure_shim_bundle()
    with serve_live(
        tmp_path_factory.mktemp("live"),
        stream=STREAM,
        ladder=LADDER,
        rendition=RENDITION,
        ready_segments=READY_SEGMENTS,
    ) as running:
        yield running


@pytest.fixture(scope="module")
def browser_context(server: ServeProcess) -> Iterator[Any]:
    with webrtc_context(viewport={"width": 640, "height": 400}) as context:
        yield context


class Viewer:
    """One demo page and what it reports."""

    def __init__(self, context: Any, url: str, name: str) -> None:
        self.name = name
        self.console: list[str] = []
        self.page = context.new_page()
        self.page.on("console", self._console)
        self.page.goto(url)
        self.page.wait_for_function("() => window.swarmcastDemo && window.swarmcastDemo.hls")
        assert self.page.evaluate(HASH_HOOK), "could not hook hls.js"
        self.last: dict[str, Any] = {}
        self.samples: list[tuple[float, float, float]] = []  # wall, currentTime, buffer ahead

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.console.append(f"{message.type}: {message.text}"[:400])

    def wait_first_frame(self, timeout_s: float = 30) -> None:
        self.page.wait_for_function(
            "() => window.swarmcastDemo.firstFrameAt !== null", timeout=timeout_s * 1000
        )

    def state(self) -> dict[str, Any]:
        self.last = dict(self.page.evaluate(STATE_JS))
        buffer = self.last["shim"]["bufferAheadS"] if self.last["shim"] else 0.0
        self.samples.append((time.monotonic(), self.last["currentTime"], buffer))
        return self.last

    def progress_summary(self) -> str:
        """Where playback fell behind wall time (for failure reports): slow 1 s+ intervals."""
        slow = []
        for (w0, t0, _), (w1, t1, b1) in zip(self.samples, self.samples[1:], strict=False):
            if w1 - w0 >= 0.5 and (t1 - t0) < 0.5 * (w1 - w0):
                at = w1 - self.samples[0][0]
                slow.append(f"{at:.0f}s: +{t1 - t0:.1f} in {w1 - w0:.1f} (buf {b1:.1f})")
        return "; ".join(slow[:20]) or "kept up"

    def events(self) -> list[Any]:
        """The shim's stall/peer/verification events so far (for failure reports)."""
        return list(self.page.evaluate("() => window.swarmcastDemo.shimEvents || []"))[-30:]

    def frag_hashes(self) -> list[dict[str, str]]:
        return list(self.page.evaluate("() => window.swarmcastDemo.fragHashes || []"))

    def close(self) -> None:
        self.page.close()


def _watch(viewers: list[Viewer], seconds: float) -> None:
    """Samples every viewer about once a second for `seconds` (watching wall time is the test
    itself here, not synchronisation: the live stream plays in real time)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for viewer in viewers:
            viewer.state()
        time.sleep(1.0)


def _swarm_bytes(states: list[dict[str, Any]]) -> tuple[int, int]:
    http = sum(s["shim"]["httpBytes"] for s in states)
    p2p = sum(s["shim"]["p2pBytes"] for s in states)
    return http, p2p


def _check_hashes(server: ServeProcess, viewer: Viewer) -> int:
    """Every fragment hls.js got matches its signed record's SHA-256; returns how many."""
    hashes = viewer.frag_hashes()
    records: dict[str, str] = {}
    for entry in hashes:
        url = entry["url"]
        if url not in records:
            records[url] = json.loads(http_get(url + ".integrity.json"))["sha256"]
        assert entry["sha256"] == records[url], f"{viewer.name}: corrupted {url} reached hls.js"
    return len(hashes)


def test_http_only_with_p2p_off(server: ServeProcess, browser_context: Any) -> None:
    """`?p2p=0`: the shim still plays and counts, but every byte comes from the origin."""
    viewers = [Viewer(browser_context, f"{server.url}?p2p=0", f"http{i}") for i in range(2)]
    try:
        for viewer in viewers:
            viewer.wait_first_frame()
        _watch(viewers, 12)
        for viewer in viewers:
            shim = viewer.last["shim"]
            print(f"{viewer.name}: first frame {shim['firstFrameMs']:.0f} ms, {shim}")
            assert shim["p2pEnabled"] is False
            assert shim["httpBytes"] > 0
            assert shim["p2pBytes"] == 0
            assert shim["uploadedBytes"] == 0
            assert shim["peersConnected"] == 0
            assert shim["stalls"] == 0, viewer.console[-10:]
            assert viewer.last["errors"] == [] and viewer.last["mediaError"] is None
            assert _check_hashes(server, viewer) >= 4
    finally:
        for viewer in viewers:
            viewer.close()


def test_four_viewers_share_the_stream(server: ServeProcess, browser_context: Any) -> None:
    """4 viewers a few seconds apart watch 60 s; one leaves halfway; P2P share, no stalls."""
    viewers: list[Viewer] = []
    for i in range(4):
        viewers.append(Viewer(browser_context, server.url, f"viewer{i}"))
        time.sleep(JOIN_GAP_S)  # staggered arrivals, as the issue asks (not synchronisation)
    for viewer in viewers:
        viewer.wait_first_frame()
    start = {v.name: v.state()["currentTime"] for v in viewers}
    leaver = viewers[1]
    staying = [v for v in viewers if v is not leaver]
    _watch(viewers, WATCH_S / 2)
    left = leaver.state()
    leaver.close()
    _watch(staying, WATCH_S / 2)

    final = [v.state() for v in staying]
    http, p2p = _swarm_bytes([*final, left])
    share = p2p / (http + p2p)
    played = {v.name: s["currentTime"] - start[v.name] for v, s in zip(staying, final, strict=True)}
    print(f"swarm: http {http} B, p2p {p2p} B, P2P share {share:.2f}; played {played}")
    for viewer, state in [*zip(staying, final, strict=True), (leaver, left)]:
        shim = state["shim"]
        print(
            f"{viewer.name}: first frame {shim['firstFrameMs']:.0f} ms, stalls {shim['stalls']},"
            f" http {shim['httpBytes']} B ({shim['segmentsHttp']} seg), p2p {shim['p2pBytes']} B"
            f" ({shim['segmentsP2p']} seg, {shim['segmentsMixed']} mixed), uploaded"
            f" {shim['uploadedBytes']} B, peers {shim['peersConnected']}/-{shim['peersClosed']};"
            f" progress: {viewer.progress_summary()}"
        )
        print(viewer.name, "scheduler", json.dumps(state["scheduler"]))
    for viewer, state in zip(staying, final, strict=True):
        shim = state["shim"]
        assert state["errors"] == [] and state["mediaError"] is None, viewer.console[-10:]
        assert shim["stalls"] == 0, (viewer.name, shim, viewer.events(), viewer.console[-10:])
        assert played[viewer.name] >= 50, f"{viewer.name} played {played[viewer.name]:.1f} s"
        assert shim["verificationFailures"] == 0
        assert _check_hashes(server, viewer) >= 25
    assert left["shim"]["stalls"] == 0, left
    assert share >= 0.5, f"P2P share {share:.2f} < 0.5"
    for viewer in staying:
        viewer.close()


def test_corrupting_peer_is_dropped(server: ServeProcess, browser_context: Any) -> None:
    """A Python edge seeder that flips a bit in every piece it serves: viewers verify, drop and
    report it, and keep playing from the origin and each other; hls.js sees only good bytes."""
    pytest.importorskip("swarmcast.peer.peer_node", reason="the Python peer (peer/) has not landed")
    viewers = [Viewer(browser_context, server.url, f"victim{i}") for i in range(2)]
    try:
        with shim_corrupt_peer.running(server.url, STREAM, RENDITION, 40):
            for viewer in viewers:
                viewer.wait_first_frame()
            start = {v.name: v.state()["currentTime"] for v in viewers}
            _watch(viewers, 30)
            failures = sum(v.last["shim"]["verificationFailures"] for v in viewers)
            assert failures >= 1, [(v.last["shim"], v.console[-10:]) for v in viewers]
            for viewer in viewers:
                state = viewer.last
                assert state["errors"] == [] and state["mediaError"] is None, viewer.console[-10:]
                assert state["shim"]["stalls"] == 0, (state["shim"], viewer.events())
                assert state["currentTime"] - start[viewer.name] >= 24
                assert _check_hashes(server, viewer) >= 10
            print("corrupt peer:", [v.last["shim"] for v in viewers])
    finally:
        for viewer in viewers:
            viewer.close()
