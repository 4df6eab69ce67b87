"""Pure parts of WHIP ingest: the RTP media clock, sdpfrag parsing, the address guard."""

from __future__ import annotations

import itertools

import pytest

from swarmcast.server.whip_clock import RtpClock
from swarmcast.server.whip_config import WhipConfig
from swarmcast.server.whip_guard import AddressGuard
from swarmcast.server.whip_sdpfrag import MAX_CANDIDATES, SdpFragError, parse_sdpfrag


def test_rtp_clock_follows_rtp_spacing_not_arrival_jitter() -> None:
    clock = RtpClock(90_000)
    start = 4_000_000_000  # wraps past 2^32 after ~3.3 s of 90 kHz
    times = []
    for n in range(300):
        jitter = 0.03 * (n % 3)  # late arrivals of up to 60 ms
        times.append(clock.media_time(start + n * 3000, 5.0 + n / 30 + jitter))
    # The first frame anchors at its arrival; every later one is exactly 1/30 s further.
    assert times[0] == pytest.approx(5.0)
    assert all(b - a == pytest.approx(1 / 30) for a, b in itertools.pairwise(times))
    assert clock.reanchors == 0


def test_rtp_clock_moves_to_the_minimum_delay_path() -> None:
    clock = RtpClock(48_000)
    assert clock.media_time(0, 1.2) == pytest.approx(1.2)  # the first packet was 200 ms late
    # The next one (20 ms later in RTP) arrives with less delay: the clock shifts down to it.
    assert clock.media_time(960, 1.02) == pytest.approx(1.02)
    assert clock.media_time(1920, 1.10) == pytest.approx(1.04)


def test_rtp_clock_reanchors_on_a_backwards_jump_and_stays_monotonic() -> None:
    clock = RtpClock(90_000, max_delay=1.0)
    before = [clock.media_time(900_000 + n * 3000, n / 30) for n in range(30)]
    # The sender restarts its RTP clock at a new random value (far behind).
    after = clock.media_time(12_345, 1.0)
    assert clock.reanchors == 1
    assert after == pytest.approx(1.0) and after >= before[-1]
    assert clock.media_time(12_345 + 3000, 1.0 + 1 / 30) == pytest.approx(1.0 + 1 / 30)


def test_rtp_clock_forward_jump_lands_at_arrival() -> None:
    clock = RtpClock(90_000)
    clock.media_time(0, 0.0)
    # A timestamp 100 s ahead cannot be in the future: it is pinned to its arrival.
    assert clock.media_time(9_000_000, 0.05) == pytest.approx(0.05)


def test_rtp_clock_unwraps_32_bit_timestamps() -> None:
    clock = RtpClock(90_000)
    assert clock.unwrap(2**32 - 10) == 2**32 - 10
    assert clock.unwrap(5) == 2**32 + 5
    assert clock.unwrap(2**32 - 20) == 2**32 - 20  # a slightly reordered packet before wrap


def test_sdpfrag_trickle_and_restart() -> None:
    frag = parse_sdpfrag(
        "a=ice-ufrag:abcd\r\na=ice-pwd:secret\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n"
        "a=candidate:1 1 udp 2122260223 10.77.0.2 50000 typ host\r\na=end-of-candidates\r\n"
    )
    assert frag.candidates == [("0", "1 1 udp 2122260223 10.77.0.2 50000 typ host")]
    assert frag.end_of_candidates
    assert not frag.is_ice_restart("abcd")
    assert frag.is_ice_restart("old-ufrag")
    with pytest.raises(SdpFragError):
        parse_sdpfrag("this is not sdp")
    with pytest.raises(SdpFragError):
        parse_sdpfrag("a=candidate:1 1 udp 1 10.0.0.1 1 typ host\n" * (MAX_CANDIDATES + 1))


def test_address_guard_rate_limit_and_lockout() -> None:
    guard = AddressGuard(rate=1.0, burst=3, max_failures=2, lockout_s=60, max_addresses=2)
    assert [guard.admit("a", 0.0) for _ in range(3)] == [None, None, None]
    assert guard.admit("a", 0.0) == pytest.approx(1.0)
    assert guard.admit("a", 1.0) is None  # refilled
    assert guard.admit("b", 0.0) is None  # other addresses are not affected
    assert not guard.failed_auth("b", 0.0)
    assert guard.failed_auth("b", 1.0)  # second wrong token: locked out
    assert guard.admit("b", 2.0) == pytest.approx(59.0)
    assert guard.admit("b", 62.0) is None
    guard.admit("c", 0.0)  # a third address evicts the least recent one
    assert len(guard._entries) == 2


def test_whip_config_validates() -> None:
    assert WhipConfig(stream_keys={"k": "cam"}).stream_for_key("k") == "cam"
    assert WhipConfig(stream_keys={"k": "cam"}).stream_for_key("K") is None
    with pytest.raises(ValueError):
        WhipConfig(stream_keys={"has space": "cam"})
    with pytest.raises(ValueError):
        WhipConfig(stream_keys={"k": "bad/name"})
    with pytest.raises(ValueError):
        WhipConfig(idle_timeout_s=0)


def test_whip_source_bounds_frames_but_never_control_events() -> None:
    import threading

    import av

    from swarmcast.segmenter.sources import CapturedVideo, PublisherStarted
    from swarmcast.server.whip_source import WhipSource

    source = WhipSource("cam", max_queued_frames=3)
    frame = av.VideoFrame(16, 16, "yuv420p")
    assert not source.offer(CapturedVideo(frame, 0.0, 0.0))  # no publisher yet: ignored
    source.publisher_started("first")
    accepted = [source.offer(CapturedVideo(frame, n / 30, n / 30)) for n in range(5)]
    assert accepted == [True, True, True, False, False] and source.dropped_frames == 2
    source.publisher_started("second")  # a takeover closes the first span itself
    source.publisher_ended("gone")
    source.publisher_ended("gone twice")  # ignored: nothing is publishing
    stop = threading.Event()
    events = source.events(stop)
    kinds = [type(next(events)).__name__ for _ in range(7)]
    assert kinds == ["PublisherStarted", *["CapturedVideo"] * 3, "PublisherEnded",
                     "PublisherStarted", "PublisherEnded"]  # fmt: skip
    assert source.offer(CapturedVideo(frame, 1.0, 1.0)) is False  # ended: not publishing
    source.publisher_started("third")
    assert source.offer(CapturedVideo(frame, 1.0, 1.0))  # the queue drained: room again
    assert isinstance(next(events), PublisherStarted)
    assert isinstance(next(events), CapturedVideo)
    source.close()
    assert list(events) == []  # closed: the iterator ends (the segmenter's finish() flushes)
