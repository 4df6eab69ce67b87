"""segmenter.rtmp_admission (pure) and the broadcaster-lockout attacks on a real RTMP server:
silent connections reopened from one and from many addresses, and key guessing. The real
publisher (FFmpeg via PyAV) must get in on its first try every time."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time

import pytest

from swarmcast.segmenter.log_limit import RateLimitedLog
from swarmcast.segmenter.rtmp_admission import RtmpAdmission
from swarmcast.segmenter.rtmp_config import RtmpConfig
from swarmcast.segmenter.sources import PublisherEnded, PublisherStarted
from tests.segmenter.rtmp_publisher import EXIT_OK, RawPublisher, start_publisher
from tests.segmenter.test_rtmp_server import KEY, Ingest, ingest  # noqa: F401 (fixture)


def config(**overrides: object) -> RtmpConfig:
    return RtmpConfig(stream_keys={KEY: "demo"}, **overrides)  # type: ignore[arg-type]


def test_an_address_full_of_silent_connections_displaces_its_own_oldest() -> None:
    admission = RtmpAdmission(config(max_connections_per_address=3))
    for conn in range(3):
        assert admission.admit(float(conn), conn, "10.0.0.9").evict == ()
    decision = admission.admit(3.0, 3, "10.0.0.9")
    assert decision.admitted and decision.evict == (0,)


def test_a_connection_past_the_handshake_outlives_fresh_ones() -> None:
    admission = RtmpAdmission(config(max_connections_per_address=3))
    admission.admit(0.0, "publisher", "10.0.0.9")
    admission.progressed("publisher", 1)
    for conn in range(10):  # an attacker on the same address keeps reopening
        decision = admission.admit(1.0 + conn, conn, "10.0.0.9")
        assert decision.admitted and "publisher" not in decision.evict


def test_a_full_server_displaces_the_busiest_address_first() -> None:
    admission = RtmpAdmission(config(max_connections=8, max_connections_per_address=4))
    for conn in range(8):
        admission.admit(float(conn), conn, f"10.0.0.{conn % 2}")
    decision = admission.admit(10.0, "lone", "10.9.9.9")
    assert decision.admitted and decision.evict == (0,)
    admission.admit(11.0, "lone-2", "10.9.9.8")
    for conn in range(20):  # the two lone addresses are never displaced by the busy ones
        decision = admission.admit(12.0 + conn, f"x{conn}", f"10.0.0.{conn % 2}")
        assert not {"lone", "lone-2"} & set(decision.evict)


def test_publishers_are_never_displaced() -> None:
    admission = RtmpAdmission(config(max_connections=2, max_connections_per_address=2))
    for conn in range(2):
        admission.admit(0.0, conn, "10.0.0.1")
        admission.authenticated(conn)
    decision = admission.admit(1.0, 2, "10.0.0.2")
    assert not decision.admitted and "proven" in decision.reason
    admission.closed(0)
    assert admission.admit(2.0, 2, "10.0.0.2").admitted


def test_wrong_keys_lock_the_address_out_for_a_while() -> None:
    admission = RtmpAdmission(config(key_failures_before_lockout=3, lockout=100.0))
    assert not admission.key_failed(0.0, "10.0.0.1")
    assert not admission.key_failed(61.0, "10.0.0.1")  # the first one left the 60 s window
    assert not admission.key_failed(62.0, "10.0.0.1")
    assert admission.key_failed(63.0, "10.0.0.1")
    assert not admission.admit(100.0, "c", "10.0.0.1").admitted
    assert admission.admit(100.0, "d", "10.0.0.2").admitted
    assert admission.admit(163.0, "e", "10.0.0.1").admitted


def test_rate_limited_log_counts_what_it_left_out(caplog: pytest.LogCaptureFixture) -> None:
    now = [0.0]
    limited = RateLimitedLog(logging.getLogger("test.limit"), 5.0, clock=lambda: now[0])
    with caplog.at_level(logging.INFO, logger="test.limit"):
        assert limited.log(logging.INFO, "k", "refused %s", "a")
        assert not any(limited.log(logging.INFO, "k", "refused %s", "b") for _ in range(99))
        assert limited.log(logging.INFO, "other", "other line")
        now[0] = 5.0
        assert limited.log(logging.INFO, "k", "refused %s", "c")
    assert caplog.messages == [
        "refused a",
        "other line",
        "refused c (and 99 more like it in the last 5 s)",
    ]


class SilentFlood:
    """Reopens silent TCP connections from `sources` as fast as it can, keeping many open."""

    def __init__(self, port: int, sources: list[str], keep: int = 64) -> None:
        self.port, self.sources, self.keep = port, sources, keep
        self.opened = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        held: list[socket.socket] = []
        while not self._stop.is_set():
            source = self.sources[self.opened % len(self.sources)]
            with contextlib.suppress(OSError):
                held.append(
                    socket.create_connection(
                        ("127.0.0.1", self.port), timeout=1, source_address=(source, 0)
                    )
                )
                self.opened += 1
            if len(held) > self.keep:
                held.pop(0).close()
            time.sleep(0.001)
        for sock in held:
            sock.close()

    def __enter__(self) -> SilentFlood:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def guess_keys(port: int, source: str, guesses: int) -> list[str]:
    """Publish attempts with wrong keys from `source`: what each one got back."""
    outcomes = []
    for n in range(guesses):
        try:
            publisher = RawPublisher(port, f"guess-{n}", source=source)
        except (ConnectionError, OSError) as exc:
            outcomes.append(f"closed: {exc.__class__.__name__}")
            continue
        try:
            outcomes.append(",".join(publisher.status_codes()))
        except (ConnectionError, OSError) as exc:
            outcomes.append(f"closed: {exc.__class__.__name__}")
        finally:
            publisher.close()
    return outcomes


@pytest.mark.slow
def test_publisher_gets_in_first_try_under_silent_floods_and_key_guessing(
    ingest: Ingest,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="swarmcast.segmenter")
    one = ["127.0.0.2"]
    many = [f"127.0.1.{i}" for i in range(1, 17)]  # 16 addresses x 4 > 32 slots
    outcomes = guess_keys(ingest.port, "127.0.0.3", 8)
    assert outcomes[:5] == ["NetStream.Publish.Denied"] * 5, outcomes
    assert all(o.startswith("closed") for o in outcomes[5:]), outcomes  # locked out
    tries = []
    with SilentFlood(ingest.port, one) as flood_one, SilentFlood(ingest.port, many) as flood_many:
        while flood_many.opened < 200:
            time.sleep(0.05)
        for _ in range(3):
            publisher = start_publisher(ingest.port, KEY, 1.5)
            tries.append(publisher.wait(timeout=60))
            ingest.next_event(PublisherStarted)
            ingest.next_event(PublisherEnded)
        opened = flood_one.opened + flood_many.opened
    print(f"publisher tries {tries}; {opened} silent connections opened meanwhile")
    assert tries == [EXIT_OK] * 3  # every publish got in on its first try
    assert opened > 500
    # The refusals and displacements were logged, but not one line per connection.
    assert len(caplog.records) < 100, len(caplog.records)
    assert "locked out" in caplog.text
