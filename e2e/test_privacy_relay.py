"""End to end for relay-only (privacy) streams (issue 12): real coturn in the test's namespace,
`swarmcast serve --relay-only-stream`, three Chromium viewers, a Python edge seeder and a
"leaky" Python viewer that ignores the relay policy (gathers and sends host candidates, as a
modified client could), so the server's own filtering is under test too.

Acceptance: every page creates its peer connections with `iceTransportPolicy: "relay"`, gets
P2P bytes only over candidate pairs whose local end is its relay, and never receives a host,
srflx or prflx candidate (nor a relay candidate's real related address) in any SDP or trickled
candidate it is handed (recorded by wrapping RTCPeerConnection); the Python peer gathers relay
candidates only, serves pieces over relay/relay pairs, and receives relay candidates only; the
leaky viewer's host candidates reach nobody.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from swarmcast.e2e.browser import ensure_shim_bundle, webrtc_context
from swarmcast.e2e.coturn import Coturn, run_coturn
from swarmcast.e2e.recording_peer import P2P_MARK
from swarmcast.e2e.serve_process import REPO, ServeProcess, serve_live

pytestmark = [pytest.mark.browser, pytest.mark.netns, pytest.mark.slow]

STREAM = "privacy"
RENDITION = "360p"
LADDER = "640x360@700"
TURN_HOST = "10.77.0.1"  # the veth end of scripts/in-netns.sh
VIEWERS = 3
P2P_TIMEOUT_S = 45
PAIR_STATS_WAIT_S = 20
# Records every candidate a page gathers or is handed, and every remote SDP, before WebRTC sees
# them; keeps the connections so the test can read their selected candidate pairs.
ICE_RECORDER = """
(() => {
  const rec = (window.__ice = { local: [], remote: [], sdp: [], policies: [], pcs: [] });
  const Native = window.RTCPeerConnection;
  function Recorded(config, ...rest) {
    const pc = new Native(config, ...rest);
    rec.policies.push((config && config.iceTransportPolicy) || "all");
    rec.pcs.push(pc);
    pc.addEventListener("icecandidate", (e) => {
      if (e.candidate && e.candidate.candidate) rec.local.push(e.candidate.candidate);
    });
    return pc;
  }
  Recorded.prototype = Native.prototype;
  Object.setPrototypeOf(Recorded, Native);
  window.RTCPeerConnection = Recorded;
  const setRemote = Native.prototype.setRemoteDescription;
  Native.prototype.setRemoteDescription = function (d, ...rest) {
    if (d && typeof d.sdp === "string") rec.sdp.push(d.sdp);
    return setRemote.call(this, d, ...rest);
  };
  const addCandidate = Native.prototype.addIceCandidate;
  Native.prototype.addIceCandidate = function (c, ...rest) {
    if (c && c.candidate) rec.remote.push(c.candidate);
    return addCandidate.call(this, c, ...rest);
  };
})();
"""
# Every connected link's selected candidate pair, and every pair of its transport that has carried
# bytes (Chromium may move a link to another pair; the new one's counters start at zero). Waits,
# bounded by the argument (ms), until some pair has carried bytes to the page: the pages' shim
# counts P2P bytes before the stats (polled by Chromium) show them.
SELECTED_PAIRS = """
async (waitMs) => {
  const describe = (stats, pair) => {
    const type = (id) => (stats.find((s) => s.id === id) || {}).candidateType;
    return {local: type(pair.localCandidateId), remote: type(pair.remoteCandidateId),
            sent: pair.bytesSent || 0, received: pair.bytesReceived || 0};
  };
  const snapshot = async () => {
    const selected = [], carrying = [];
    for (const pc of window.__ice.pcs) {
      if (pc.connectionState !== "connected") continue;
      const stats = [...(await pc.getStats()).values()];
      const transport = stats.find((s) => s.type === "transport" && s.selectedCandidatePairId);
      const pair = transport && stats.find((s) => s.id === transport.selectedCandidatePairId);
      if (pair) selected.push(describe(stats, pair));
      for (const s of stats) {
        if (s.type === "candidate-pair" && (s.bytesSent || s.bytesReceived)) {
          carrying.push(describe(stats, s));
        }
      }
    }
    return {selected, carrying};
  };
  const end = Date.now() + waitMs;
  for (;;) {
    const out = await snapshot();
    if (out.carrying.some((p) => p.received > 0) || Date.now() > end) return out;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
"""
RECORD = """
() => ({
  local: window.__ice.local, remote: window.__ice.remote, sdp: window.__ice.sdp,
  policies: window.__ice.policies, shim: window.swarmcastDemo.swarm.stats(),
})
"""


@pytest.fixture(scope="module")
def turn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coturn]:
    with run_coturn(tmp_path_factory.mktemp("coturn"), TURN_HOST) as server:
        yield server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, turn: Coturn) -> Iterator[ServeProcess]:
    ensure_shim_bundle()
    with serve_live(
        tmp_path_factory.mktemp("live"),
        stream=STREAM,
        ladder=LADDER,
        rendition=RENDITION,
        ready_segments=3,
        extra_args=["--turn-url", turn.turn_url, "--relay-only-stream", STREAM],
        env={"SWARMCAST_TURN_SECRET": turn.secret},
    ) as running:
        yield running


def candidate_lines(sdp: str) -> list[str]:
    return [line[2:] for line in sdp.splitlines() if line.startswith("a=candidate:")]


def assert_relay_only(candidates: list[str], who: str) -> None:
    """Relay candidates only, their related address hidden (0.0.0.0 0)."""
    for text in candidates:
        tokens = text.split()
        kind = tokens[tokens.index("typ") + 1]
        assert kind == "relay", f"{who} got a {kind} candidate: {text}"
        if "raddr" in tokens:
            assert tokens[tokens.index("raddr") + 1] == "0.0.0.0", f"{who}: related address {text}"


def wait_for_p2p_mark(process: subprocess.Popen[str], who: str) -> None:
    """Reads the peer's stdout up to its P2P_MARK line: it has sent or received a piece. Bounded
    by the peer's --duration (it exits then, and the stdout ends)."""
    assert process.stdout is not None
    for line in process.stdout:
        if line.strip() == P2P_MARK:
            return
    raise AssertionError(f"the {who} exchanged no piece over a peer link before it stopped")


def test_privacy_stream_uses_relays_only_and_leaks_no_address(
    server: ServeProcess, turn: Coturn, tmp_path: Path
) -> None:
    argv = [sys.executable, "-m", "swarmcast.e2e.recording_peer", "--url", server.url.rstrip("/")]
    argv += ["--stream", STREAM, "--rendition", RENDITION, "--duration", "120"]
    peers = [
        subprocess.Popen([*argv, flag], stdout=subprocess.PIPE, text=True, cwd=REPO)
        for flag in ("--seed", "--leaky")
    ]
    try:
        with webrtc_context(viewport={"width": 640, "height": 400}) as context:
            context.add_init_script(ICE_RECORDER)
            pages = [context.new_page() for _ in range(VIEWERS)]
            for page in pages:
                page.goto(server.url)
            for page in pages:
                page.wait_for_function(
                    "() => window.swarmcastDemo && window.swarmcastDemo.swarm"
                    " && window.swarmcastDemo.swarm.stats().p2pBytes > 0",
                    timeout=P2P_TIMEOUT_S * 1000,
                )
            # The leaky viewer joins beside the pages; its first piece may come after theirs.
            wait_for_p2p_mark(peers[1], "leaky peer")
            records: list[dict[str, Any]] = [page.evaluate(RECORD) for page in pages]
            pairs: list[dict[str, list[dict[str, Any]]]] = [
                page.evaluate(SELECTED_PAIRS, PAIR_STATS_WAIT_S * 1000) for page in pages
            ]
            # Stopped while the pages are still there: their stats list their open links' pairs.
            for process in peers:
                process.send_signal(signal.SIGTERM)
            peer, leaky = (
                json.loads(p.communicate(timeout=30)[0].strip().splitlines()[-1]) for p in peers
            )
    finally:
        for process in peers:
            if process.poll() is None:
                process.kill()
                process.wait()

    for i, (record, links) in enumerate(zip(records, pairs, strict=True)):
        who = f"page {i}"
        selected, carrying = links["selected"], links["carrying"]
        print(who, record["shim"]["p2pBytes"], "P2P bytes,", len(record["remote"]), "trickled,",
              len(record["sdp"]), "SDPs, selected", selected, "carrying", carrying)  # fmt: skip
        assert record["policies"] and set(record["policies"]) == {"relay"}, record["policies"]
        assert record["shim"]["p2pBytes"] > 0
        assert_relay_only(record["local"], f"{who} (gathered)")
        assert_relay_only(record["remote"], who)
        for sdp in record["sdp"]:
            assert_relay_only(candidate_lines(sdp), f"{who} (SDP)")
        assert record["remote"] or any(candidate_lines(s) for s in record["sdp"])
        assert selected, f"{who}: no connected peer connection"
        # The page always talks from its relay. The remote end is a relay too, except with the
        # leaky viewer: its checks from its own host address show up as a peer-reflexive
        # candidate (a client can expose itself; it cannot expose anybody else).
        assert all(p["local"] == "relay" for p in selected + carrying), (selected, carrying)
        assert sum(p["remote"] != "relay" for p in selected) <= 1, selected
        assert sum(p["received"] for p in carrying) > 0, carrying

    print("python peer:", peer["bytes_uploaded"], "bytes uploaded, pairs", peer["candidate_pairs"])
    assert peer["bytes_uploaded"] > 0
    assert peer["received_candidates"], "the Python peer was handed no candidate at all"
    assert_relay_only(peer["received_candidates"], "python peer")
    assert peer["candidate_pairs"], "the seeder has no connected link"
    assert all(p.startswith("relay/") for p in peer["candidate_pairs"].values())
    assert list(peer["candidate_pairs"].values()).count("relay/relay") >= VIEWERS
    print(
        "leaky peer: sent",
        len(leaky["sent_candidates"]),
        "candidates, pairs",
        leaky["candidate_pairs"],
    )
    assert any(" typ host" in c for c in leaky["sent_candidates"]), (
        "the leaky peer sent no host candidate"
    )
    assert_relay_only(leaky["received_candidates"], "leaky peer")
    assert leaky["bytes_from_peers"] + leaky["bytes_uploaded"] > 0
    for line in peer["sdp_addresses"]:  # c= / a=rtcp: carry the relay's address or none
        assert line.split()[-1] in (TURN_HOST, "0.0.0.0"), line
