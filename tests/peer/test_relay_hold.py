"""peer/relay_hold.py: remote relay candidates are held back (with end-of-candidates) so direct
checks get a head start; a relay-only description keeps everything."""

from __future__ import annotations

from swarmcast.peer.relay_hold import hold_relays

HOST = "a=candidate:1 1 udp 2130706431 10.0.0.2 5000 typ host"
SRFLX = "a=candidate:2 1 udp 1694498815 198.51.100.2 5000 typ srflx raddr 10.0.0.2 rport 5000"
RELAY = "a=candidate:3 1 udp 16777215 203.0.113.3 49200 typ relay raddr 0.0.0.0 rport 0"
END = "a=end-of-candidates"


def sdp(*lines: str) -> str:
    return "\r\n".join(["v=0", "m=application 9 UDP/DTLS/SCTP webrtc-datachannel", *lines, ""])


def test_relay_candidates_and_the_end_are_held() -> None:
    kept, held = hold_relays(sdp(HOST, SRFLX, RELAY, END))
    assert kept == sdp(HOST, SRFLX)
    assert held == [RELAY.removeprefix("a=")]


def test_nothing_held_without_a_direct_candidate_or_a_relay() -> None:
    for text in (sdp(RELAY, END), sdp(HOST, SRFLX, END)):
        assert hold_relays(text) == (text, [])
