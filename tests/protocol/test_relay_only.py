"""protocol.relay_only: what a relay-only (privacy) stream lets through, on SDP written the way
Chromium and aiortc write it."""

from __future__ import annotations

from swarmcast.protocol.relay_only import (
    candidate_type,
    relay_candidate,
    relay_only_sdp,
    relay_only_signal,
    signal_addresses,
)

HOST = "candidate:1 1 udp 2122260223 10.77.9.2 50000 typ host generation 0 ufrag ab network-id 1"
SRFLX = "candidate:2 1 udp 1686052607 203.0.113.7 50000 typ srflx raddr 10.77.9.2 rport 50000"
PRFLX = "candidate:5 1 udp 1845501695 203.0.113.7 50010 typ prflx raddr 10.77.9.2 rport 50010"
RELAY = "candidate:3 1 udp 41885439 10.77.200.1 49160 typ relay raddr 203.0.113.7 rport 50000"
RELAY_HIDDEN = "candidate:3 1 udp 41885439 10.77.200.1 49160 typ relay raddr 0.0.0.0 rport 0"

CHROMIUM_OFFER = "\r\n".join(
    [
        "v=0",
        "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
        "s=-",
        "t=0 0",
        "m=application 49160 UDP/DTLS/SCTP webrtc-datachannel",
        "c=IN IP4 10.77.200.1",
        f"a={HOST}",
        f"a={SRFLX}",
        f"a={RELAY}",
        "a=ice-ufrag:ab",
        "a=end-of-candidates",
        "",
    ]
)
AIORTC_ANSWER = "\r\n".join(
    [
        "v=0",
        "o=- 3910000000 3910000000 IN IP4 0.0.0.0",
        "m=application 50000 DTLS/SCTP 5000",
        "c=IN IP4 10.77.9.2",
        f"a={HOST}",
        "a=rtcp:9 IN IP6 fd00::2",
        "",
    ]
)


def test_candidate_types_and_relay_rewrite() -> None:
    assert [candidate_type(c) for c in (HOST, SRFLX, PRFLX, RELAY)] == [
        "host",
        "srflx",
        "prflx",
        "relay",
    ]
    assert candidate_type("garbage") is None and candidate_type("x typ") is None
    assert relay_candidate(RELAY) == RELAY_HIDDEN
    assert relay_candidate("a=" + RELAY) == "a=" + RELAY_HIDDEN
    assert [relay_candidate(c) for c in (HOST, SRFLX, PRFLX, "", "typ relay")] == [None] * 5


def test_sdp_keeps_only_relay_candidates_and_relay_addresses() -> None:
    offer = relay_only_sdp(CHROMIUM_OFFER)
    assert offer.split("\r\n") == [
        "v=0",
        "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
        "s=-",
        "t=0 0",
        "m=application 49160 UDP/DTLS/SCTP webrtc-datachannel",
        "c=IN IP4 10.77.200.1",  # the relay's address stays
        f"a={RELAY_HIDDEN}",
        "a=ice-ufrag:ab",
        "a=end-of-candidates",
        "",
    ]
    answer = relay_only_sdp(AIORTC_ANSWER)
    assert "10.77.9.2" not in answer and "fd00::2" not in answer
    assert "c=IN IP4 0.0.0.0\r\n" in answer and "a=rtcp:9 IN IP4 0.0.0.0\r\n" in answer
    assert "a=candidate" not in answer


def test_signal_filter() -> None:
    assert relay_only_signal("candidate", {"candidate": HOST, "sdpMid": "0"}) is None
    assert relay_only_signal("candidate", {"candidate": SRFLX}) is None
    assert relay_only_signal("candidate", {"sdpMid": "0"}) is None
    assert relay_only_signal("candidate", {"candidate": ""}) == {"candidate": ""}
    assert relay_only_signal("candidate", {"candidate": RELAY, "sdpMid": "0"}) == {
        "candidate": RELAY_HIDDEN,
        "sdpMid": "0",
    }
    offer = relay_only_signal("offer", {"type": "offer", "sdp": CHROMIUM_OFFER})
    assert offer is not None and offer["type"] == "offer"
    assert "typ host" not in offer["sdp"] and "typ srflx" not in offer["sdp"]


def test_signal_addresses_finds_every_viewer_address_and_none_after_filtering() -> None:
    raw = signal_addresses("offer", {"type": "offer", "sdp": CHROMIUM_OFFER})
    assert raw == {"10.77.200.1", "10.77.9.2", "203.0.113.7"}
    filtered = relay_only_signal("offer", {"type": "offer", "sdp": CHROMIUM_OFFER})
    assert filtered is not None
    assert signal_addresses("offer", filtered) == {"10.77.200.1", "0.0.0.0"}
    assert signal_addresses("candidate", {"candidate": SRFLX}) == {"203.0.113.7", "10.77.9.2"}
    assert signal_addresses("candidate", {"candidate": RELAY_HIDDEN}) == {"10.77.200.1", "0.0.0.0"}
    assert signal_addresses("candidate", {"candidate": ""}) == set()
    assert signal_addresses("candidate", {"candidate": "typ host junk"}) == set()
    assert signal_addresses("offer", {"sdp": 7}) == set()
