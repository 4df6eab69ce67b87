"""End to end for issue 13 (items 1-2): hls.js, Shaka Player and dash.js viewers of one
rendition form ONE swarm, over the same segment files (HLS playlist and DASH MPD name the same
`seg-<seq>.m4s`) and the same signed records, inside the test's private network namespace.

Acceptance: 2 viewers of each player on the demo page (`?player=hls|shaka|dashjs`), joining a
little apart, play the live stream with no player error (any Shaka `error` event, any dash.js
ERROR, any fatal hls.js error) and no stall after the first frame; once all play, the six take
>= 60 % of their media bytes from peers, and each player type >= 50 %; a lying seeder (the
Python peer of e2e/shim_corrupt_peer.py, every piece it serves has a bit flipped) joins once all
play and stays for the whole watch: its pieces fail verification, viewers report it, and every
segment a player received matches its signed record. (Per type the bar is lower: the election
hands each new segment's origin fetch to whichever member's turn it is, so with two viewers per
type one viewer that drew many turns moves its type's share by ~0.1 from run to run; hls.js at
0.59 was seen with the swarm at ~0.75. Counted from the whole visit, the first viewer's startup,
alone with the origin, also weighed on its type: hls.js at 0.46 failed a CI run with the swarm
at 0.74.) dash.js's live latency (capture clock of the frame on screen vs. now, measured the
same way for each player) is within one segment of hls.js's; Shaka's is printed.
A seventh page, the video.js example (`/examples/videojs`: video.js UI, hls.js underneath),
joins the same swarm and plays. One Chromium, one page per viewer: seven browsers would not fit
2 cores next to the encoder. The one rung is 240p: at 360p the seven pages, the encoder and the
liar held the machine at 87-99 % and stalls from CPU starvation came and went with its load (on
one machine, 360p failed 2 of 3 alternating runs and 240p passed 4 of 4:
bench/results/mixed-players-cpu-20261203/).
"""

from __future__ import annotations

import contextlib
import re
import statistics
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from swarmcast.e2e import shim_corrupt_peer
from swarmcast.e2e.browser import ensure_shim_bundle, webrtc_context
from swarmcast.e2e.serve_process import ServeProcess, http_get, serve_live
from swarmcast.e2e.test_shim_swarm import Viewer, _check_hashes

pytestmark = [pytest.mark.browser, pytest.mark.netns, pytest.mark.slow]

STREAM = "mixed"
RENDITION = "240p"
LADDER = "426x240@400"  # one rung: one swarm (ABR switches would split it)
SEGMENT_S = 2.0  # SegmenterConfig.segment_duration
PLAYERS = ("hls", "shaka", "dashjs")
VIEWERS_PER_PLAYER = 2
JOIN_GAP_S = 1.5
WATCH_S = 40.0
MIN_SHARE = 0.5  # per player type (see the module docstring)
SWARM_MIN_SHARE = 0.6  # all six viewers together

# Hashes every media segment the player itself receives (hls.js FRAG_LOADED, a Shaka response
# filter, a dash.js response interceptor: all run after the swarm adapters), and records the
# shim's stall/peer/verification events for failure reports.
HOOK_JS = """
() => {
  const d = window.swarmcastDemo;
  if (!d || !d.swarm || d.__hashHook) return Boolean(d && d.__hashHook);
  const hex = (h) => Array.from(new Uint8Array(h))
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  const hash = (url, data) => {
    const copy = data instanceof ArrayBuffer ? data.slice(0)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice().buffer;
    crypto.subtle.digest("SHA-256", copy).then((h) => d.fragHashes.push({url, sha256: hex(h)}));
  };
  if (d.playerName === "hls") {
    if (!d.hls) return false;
    d.hls.on(window.swarmcast.Hls.Events.FRAG_LOADED, (_e, data) => {
      if (typeof data.frag.sn === "number") hash(data.frag.url, data.payload);
    });
  } else if (d.playerName === "shaka") {
    if (!d.player || !d.player.getNetworkingEngine()) return false;
    const N = window.shaka.net.NetworkingEngine;
    d.player.getNetworkingEngine().registerResponseFilter((type, response, context) => {
      const media = context && context.type === N.AdvancedRequestType.MEDIA_SEGMENT;
      if (type === N.RequestType.SEGMENT && media) hash(response.uri, response.data);
    });
  } else {
    if (!d.player) return false;
    d.player.addResponseInterceptor((response) => {
      const custom = response.request && response.request.customData;
      const request = custom && custom.request;
      if (request && request.type === "MediaSegment" && response.data) {
        hash(response.request.url, response.data);
      }
      return Promise.resolve(response);
    });
  }
  d.__hashHook = true;
  d.fragHashes = [];
  d.shimEvents = [];
  for (const name of ["stall", "verification-failure", "peer-connect", "peer-close", "warning"]) {
    d.swarm.on(name, (e) => d.shimEvents.push([Math.round(performance.now()), name, e]));
  }
  return true;
}
"""
# Latency, the same way for every player: now minus the capture clock of the picture on screen,
# as the manifest maps media time to it. hls.js: the segment's PROGRAM-DATE-TIME plus the offset
# into it (hls.playingDate). Shaka and dash.js put MPD presentation time on the <video>, and
# availabilityStartTime + presentation time is the capture clock (Period@start is the publisher's
# capture time - availabilityStartTime). The players' own figures (`playerLatency`: Shaka's
# getPlayheadTimeAsDate, dash.js's getCurrentLiveLatency) are printed beside it.
STATE_JS = """
(ast) => {
  const d = window.swarmcastDemo;
  let latency = null;
  if (d.firstFrameAt !== null && !d.video.paused) {
    if (d.playerName === "hls") {
      if (d.hls && d.hls.playingDate) latency = (Date.now() - d.hls.playingDate.getTime()) / 1000;
    } else {
      latency = Date.now() / 1000 - ast - d.video.currentTime;
    }
  }
  return {
    currentTime: d.video.currentTime,
    firstFrameAt: d.firstFrameAt,
    errors: d.errors,
    mediaError: d.video.error && d.video.error.code,
    latency: latency,
    playerLatency: d.stats.latency === undefined ? null : d.stats.latency,
    shim: d.swarm ? d.swarm.stats() : null,
  };
}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    ensure_shim_bundle()
    with serve_live(
        tmp_path_factory.mktemp("live"), stream=STREAM, ladder=LADDER, rendition=RENDITION
    ) as running:
        yield running


@pytest.fixture(scope="module")
def browser_context(server: ServeProcess) -> Iterator[Any]:
    with webrtc_context(viewport={"width": 480, "height": 320}) as context:
        yield context


class PlayerViewer(Viewer):
    """One demo page with one player (the hls.js viewer of test_shim_swarm, any player)."""

    def __init__(
        self, context: Any, server: ServeProcess, player: str, name: str, ast: float
    ) -> None:
        self.player = player
        self.name = name
        self.ast = ast
        self.console: list[str] = []
        self.page = context.new_page()
        self.page.on("console", self._console)
        self.page.goto(f"{server.url}?player={player}&stream={STREAM}")
        self.page.wait_for_function(HOOK_JS, timeout=30_000)
        self.last: dict[str, Any] = {}
        self.samples: list[tuple[float, float, float]] = []
        self.latencies: list[float] = []
        self.player_latencies: list[float] = []

    def state(self) -> dict[str, Any]:
        self.last = dict(self.page.evaluate(STATE_JS, self.ast))
        if self.last["latency"] is not None:
            self.latencies.append(float(self.last["latency"]))
        if self.last["playerLatency"] is not None:
            self.player_latencies.append(float(self.last["playerLatency"]))
        return self.last


VIDEOJS_STATE_JS = """
() => {
  const s = window.swarmcastVideojs;
  return {currentTime: s.player.currentTime(), firstFrameAt: s.firstFrameAt, errors: s.errors,
          shim: s.swarm.stats()};
}
"""


def _availability_start(server: ServeProcess) -> float:
    """The live MPD's availabilityStartTime (Unix seconds)."""
    mpd = ET.fromstring(http_get(f"{server.url}live/{STREAM}/manifest.mpd"))
    value = mpd.get("availabilityStartTime")
    assert value is not None, "a live MPD has an availabilityStartTime"
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _bad_piece_reports(server: ServeProcess) -> float:
    """Signaling's count of `bad-piece` reports about neighbours (`/metrics`)."""
    text = http_get(f"{server.url}metrics").decode()
    pattern = r'^swarmcast_signaling_reports_total\{reason="bad-piece"\} (\S+)$'
    match = re.search(pattern, text, re.M)
    return float(match.group(1)) if match else 0.0


def _median_by_player(viewers: list[PlayerViewer], attribute: str) -> dict[str, float]:
    return {
        p: statistics.median(x for v in viewers if v.player == p for x in getattr(v, attribute))
        for p in PLAYERS
    }


def _report(
    viewers: list[PlayerViewer], start: dict[str, float], start_bytes: dict[str, tuple[int, int]]
) -> dict[str, float]:
    """Prints what each viewer did; returns the P2P share per player type and of the swarm over
    the watch (the bytes since `start_bytes`, (http, p2p) per viewer, taken once all played)."""

    def watched(group: list[PlayerViewer]) -> float:
        http: int = sum(v.last["shim"]["httpBytes"] - start_bytes[v.name][0] for v in group)
        p2p: int = sum(v.last["shim"]["p2pBytes"] - start_bytes[v.name][1] for v in group)
        return p2p / max(1, http + p2p)

    shares = {player: watched([v for v in viewers if v.player == player]) for player in PLAYERS}
    shares["swarm"] = watched(viewers)
    print(f"P2P share per player: {shares}")
    for viewer in viewers:
        shim = viewer.last["shim"]
        print(
            f"{viewer.name}: first frame {shim['firstFrameMs']:.0f} ms, stalls"
            f" {shim['stalls']}, http {shim['httpBytes']} B ({shim['segmentsHttp']} seg),"
            f" p2p {shim['p2pBytes']} B ({shim['segmentsP2p']} seg, {shim['segmentsMixed']}"
            f" mixed), uploaded {shim['uploadedBytes']} B, peers {shim['peersConnected']}"
            f"/-{shim['peersClosed']}, bad pieces {shim['verificationFailures']}, played"
            f" {viewer.last['currentTime'] - start[viewer.name]:.1f} s, median latency"
            f" {statistics.median(viewer.latencies):.2f} s"
        )
    return shares


def test_hls_shaka_and_dashjs_viewers_share_one_swarm(
    server: ServeProcess, browser_context: Any
) -> None:
    """Six viewers and a lying seeder (every piece it serves has a bit flipped) in one swarm."""
    ast = _availability_start(server)
    viewers: list[PlayerViewer] = []
    videojs = None
    # The liar joins once everyone plays and stays for the whole watch (its stats are printed
    # when it stops): startup, with no buffer yet, is not what this test is about.
    with contextlib.ExitStack() as stack:
        try:
            for round_ in range(VIEWERS_PER_PLAYER):
                for player in PLAYERS:  # interleaved: an early and a late viewer of each type
                    name = f"{player}{round_}"
                    viewers.append(PlayerViewer(browser_context, server, player, name, ast))
                    time.sleep(JOIN_GAP_S)  # staggered arrivals (not synchronisation)
            videojs = browser_context.new_page()
            videojs.goto(f"{server.url}examples/videojs?stream={STREAM}")
            for viewer in viewers:
                viewer.wait_first_frame()
            videojs.wait_for_function("() => window.swarmcastVideojs.firstFrameAt !== null")
            videojs_start = videojs.evaluate(VIDEOJS_STATE_JS)["currentTime"]
            states = {v.name: v.state() for v in viewers}
            start = {name: state["currentTime"] for name, state in states.items()}
            start_bytes = {
                name: (state["shim"]["httpBytes"], state["shim"]["p2pBytes"])
                for name, state in states.items()
            }
            stack.enter_context(
                shim_corrupt_peer.running(server.url, STREAM, RENDITION, WATCH_S + 60)
            )
            end = time.monotonic() + WATCH_S
            while time.monotonic() < end:  # the stream plays in real time: watching is the test
                for viewer in viewers:
                    viewer.state()
                time.sleep(1.0)
            videojs_state = videojs.evaluate(VIDEOJS_STATE_JS)
            print(f"video.js example: {videojs_state}")
            shares = _report(viewers, start, start_bytes)
            latency = _median_by_player(viewers, "latencies")
            own = _median_by_player(viewers, "player_latencies")
            print(f"median latency (s), one measure for all: {latency}; players' own: {own}")
            for player in ("shaka", "dashjs"):
                print(f"{player} - hls.js latency: {latency[player] - latency['hls']:+.2f} s")
            failures = sum(v.last["shim"]["verificationFailures"] for v in viewers)
            reports = _bad_piece_reports(server)
            print(f"verification failures {failures}, bad-piece reports at signaling {reports}")
            for viewer in viewers:
                state = viewer.last
                assert state["errors"] == [] and state["mediaError"] is None, (
                    viewer.name, state["errors"], viewer.console[-10:])  # fmt: skip
                assert state["shim"]["stalls"] == 0, (viewer.name, state, viewer.events())
                played = state["currentTime"] - start[viewer.name]
                assert played >= WATCH_S - 2 * SEGMENT_S, f"{viewer.name} played {played:.1f} s"
                # Every byte verified: what reached each player matches its signed record.
                assert _check_hashes(server, viewer) >= WATCH_S / SEGMENT_S / 2
            # The lying seeder was caught (its pieces failed verification) and reported.
            assert failures >= 1, [v.events() for v in viewers]
            assert reports >= 1
            assert shares["swarm"] >= SWARM_MIN_SHARE, shares
            for player in PLAYERS:
                assert shares[player] >= MIN_SHARE, f"{player}: P2P share {shares[player]:.2f}"
            assert videojs_state["errors"] == []
            assert videojs_state["currentTime"] - videojs_start >= WATCH_S - 2 * SEGMENT_S
            assert videojs_state["shim"]["stalls"] == 0
            assert videojs_state["shim"]["p2pBytes"] > 0  # the same swarm as the demo pages
            # dash.js plays within one segment of hls.js's distance from live (the adapter's
            # dashLiveDelaySegments). Shaka's is printed, not asserted: it counts the MPD's
            # suggestedPresentationDelay from the newest segment at load, so it varies by up to
            # a segment with the join time and came within 0.2 s of the limit in 3 of 7 runs
            # (docs/segmenter.md, "Live delay").
            assert abs(latency["dashjs"] - latency["hls"]) <= SEGMENT_S, latency
        finally:
            if videojs is not None:
                videojs.close()
            for viewer in viewers:
                viewer.close()
