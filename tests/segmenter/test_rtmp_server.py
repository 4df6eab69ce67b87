"""The RTMP front door over real sockets: keys, one publisher per stream, garbage, stalls.

Publishers are real FFmpeg RTMP clients (PyAV in a subprocess, libx264 + AAC, paced to real
time); the source under test decodes what they send.
"""

from __future__ import annotations

import logging
import queue
import random
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from swarmcast.segmenter.rtmp_config import RtmpConfig
from swarmcast.segmenter.rtmp_ingest import RtmpSource
from swarmcast.segmenter.sources import (
    CapturedAudio,
    CapturedVideo,
    PublisherEnded,
    PublisherStarted,
    SourceEvent,
)
from tests.segmenter.rtmp_publisher import (
    EXIT_REFUSED,
    RawPublisher,
    find_librtmp,
    librtmp_publish,
    read_flv_tags,
    record_flv,
    start_publisher,
)

KEY = "test-key-1234"


@dataclass
class Ingest:
    source: RtmpSource
    port: int
    events: queue.Queue[SourceEvent]

    def next_event(self, kind: type, timeout: float = 20.0) -> SourceEvent:
        """The next event of `kind`, skipping others; fails after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {kind.__name__} within {timeout} s")
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if isinstance(event, kind):
                return event

    def drain(self) -> list[SourceEvent]:
        out = []
        while True:
            try:
                out.append(self.events.get_nowait())
            except queue.Empty:
                return out


@pytest.fixture
def ingest() -> Iterator[Ingest]:
    config = RtmpConfig(
        listen_host="127.0.0.1",
        port=0,
        stream_keys={KEY: "demo"},
        setup_timeout=2.0,
        idle_timeout=5.0,
    )
    source = RtmpSource.listen(config, "demo")
    events: queue.Queue[SourceEvent] = queue.Queue()
    stop = threading.Event()

    def run() -> None:
        for event in source.events(stop):
            events.put(event)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    try:
        yield Ingest(source, source.server.address[1], events)
    finally:
        stop.set()
        source.close()
        worker.join(timeout=10)
        assert not worker.is_alive(), "the source did not stop within 10 s"


def _wait_closed(sock: socket.socket, timeout: float) -> bytes:
    """Read until the server closes the connection; returns what it sent."""
    sock.settimeout(timeout)
    received = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return received
        received += chunk


@pytest.mark.slow
def test_publisher_reconnects_and_second_publisher_is_refused(
    ingest: Ingest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="swarmcast.segmenter")
    # Long enough for the intruder's process (Python + PyAV) to start and connect while this
    # publish lasts, on a loaded machine too (3 s of media left it a race there).
    first = start_publisher(ingest.port, KEY, 8.0)
    started = ingest.next_event(PublisherStarted)
    assert isinstance(started, PublisherStarted)

    # While the first one publishes, a second publisher with the right key is refused.
    intruder = start_publisher(ingest.port, KEY, 1.0)
    assert intruder.wait(timeout=20) == EXIT_REFUSED, (
        intruder.stderr.read() if intruder.stderr else ""
    )
    assert "stream already has a publisher" in caplog.text

    ended = ingest.next_event(PublisherEnded)
    assert first.wait(timeout=20) == 0
    assert isinstance(ended, PublisherEnded)
    frames = [e for e in ingest.drain() if isinstance(e, CapturedVideo | CapturedAudio)]
    assert frames == []  # everything of the first publish came before PublisherEnded

    # The source is still waiting: the next publisher starts a new publish.
    second = start_publisher(ingest.port, KEY, 2.0)
    ingest.next_event(PublisherStarted)
    video: list[CapturedVideo] = []
    audio: list[CapturedAudio] = []
    while True:
        event = ingest.events.get(timeout=20)
        if isinstance(event, PublisherEnded):
            break
        if isinstance(event, CapturedVideo):
            video.append(event)
        elif isinstance(event, CapturedAudio):
            audio.append(event)
    assert second.wait(timeout=20) == 0
    assert 50 <= len(video) <= 60  # 2 s at 30 fps
    assert len(audio) > 70  # ~94 AAC frames of 1024 samples at 48 kHz
    times = [e.time for e in video]
    assert times == sorted(times)
    # The capture wall clock follows the media clock from the first tag's arrival.
    clocks = [e.wallclock for e in video]
    assert clocks == sorted(clocks)
    assert abs((clocks[-1] - clocks[0]) - (times[-1] - times[0])) < 1e-6
    assert time.time() - 10 < clocks[-1] <= time.time() + 1.0


@pytest.mark.slow
def test_publisher_killed_mid_stream_ends_the_publish(ingest: Ingest) -> None:
    """No FCUnpublish, no goodbye: the TCP close alone ends the publish, the source waits on."""
    publisher = start_publisher(ingest.port, KEY, 30.0)
    try:
        ingest.next_event(PublisherStarted)
        ingest.next_event(CapturedVideo)
    finally:
        publisher.kill()
        publisher.wait()
    ended = ingest.next_event(PublisherEnded, timeout=10)
    assert isinstance(ended, PublisherEnded)
    assert ended.reason == "publisher disconnected"
    assert not ingest.source.channel.publishing


@pytest.mark.slow
def test_wrong_key_or_app_publishes_nothing(
    ingest: Ingest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="swarmcast.segmenter")
    wrong_key = start_publisher(ingest.port, "not-the-key", 2.0)
    wrong_app = start_publisher(ingest.port, KEY, 2.0, app="other")
    assert wrong_key.wait(timeout=20) == EXIT_REFUSED
    assert wrong_app.wait(timeout=20) != 0
    assert "refused publish, invalid stream key" in caplog.text
    assert "refused, unknown app 'other'" in caplog.text
    assert "not-the-key" not in caplog.text  # offered keys are never logged
    assert "127.0.0.1:" in caplog.text  # the remote address is
    assert ingest.drain() == []
    assert not ingest.source.channel.publishing


def test_garbage_and_stalled_clients_are_dropped(
    ingest: Ingest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="swarmcast.segmenter")
    with socket.create_connection(("127.0.0.1", ingest.port)) as garbage:
        garbage.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _wait_closed(garbage, timeout=5) == b""

    with socket.create_connection(("127.0.0.1", ingest.port)) as bad_chunks:
        bad_chunks.sendall(b"\x03" + bytes(1536))
        bad_chunks.recv(1 + 2 * 1536, socket.MSG_WAITALL)  # S0 S1 S2
        # A chunk header announcing a 16 MiB command message: over the limit.
        bad_chunks.sendall(bytes(1536) + b"\x03\xff\xff\xff\xff\xff\xff\x14" + bytes(300))
        _wait_closed(bad_chunks, timeout=5)
        # Dropped for the error, not by the setup timeout: the server logs why before it closes
        # (a wall-clock bound here failed whenever a loaded machine delayed the server thread).
        assert "exceeds the limit" in caplog.text and "timed out" not in caplog.text

    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", ingest.port)) as silent:
        silent.sendall(b"\x03" + bytes(100))  # half a C1, then nothing
        assert _wait_closed(silent, timeout=10) == b""
    assert 1.5 <= time.monotonic() - started < 8  # setup_timeout is 2 s

    assert "not RTMP" in caplog.text
    assert "protocol error" in caplog.text
    assert "timed out while awaiting C0+C1" in caplog.text
    assert ingest.drain() == []

    # The server still serves the next client normally.
    with socket.create_connection(("127.0.0.1", ingest.port)) as good:
        good.sendall(b"\x03" + bytes(1536))
        assert len(good.recv(1 + 2 * 1536, socket.MSG_WAITALL)) == 1 + 2 * 1536


def test_connection_limit(caplog: pytest.LogCaptureFixture) -> None:
    """A full server makes room by closing its oldest unauthenticated connection; with only
    publishers holding slots, a newcomer is closed at once (rtmp_admission)."""
    config = RtmpConfig(
        listen_host="127.0.0.1", port=0, stream_keys={KEY: "demo"}, max_connections=2
    )
    source = RtmpSource.listen(config, "demo")
    try:
        port = source.server.address[1]
        held = [socket.create_connection(("127.0.0.1", port)) for _ in range(2)]
        for sock in held:  # make sure both are accepted before the third connects
            sock.sendall(b"\x03" + bytes(1536))
            sock.recv(1 + 2 * 1536, socket.MSG_WAITALL)
        with socket.create_connection(("127.0.0.1", port)) as third:
            third.sendall(b"\x03" + bytes(1536))
            assert len(third.recv(1 + 2 * 1536, socket.MSG_WAITALL)) == 1 + 2 * 1536
            assert _wait_closed(held[0], timeout=5) == b""  # the oldest made room
        assert "displaced 1 unproven connection" in caplog.text
        for sock in held:
            sock.close()
    finally:
        source.close()


def test_busy_port_fails_at_listen() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        config = RtmpConfig(
            listen_host="127.0.0.1", port=taken.getsockname()[1], stream_keys={KEY: "demo"}
        )
        with pytest.raises(OSError):
            RtmpSource.listen(config, "demo")


@pytest.fixture(scope="module")
def recorded_tags(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[int, int, bytes]]:
    """3 s of what the FFmpeg publisher sends (keyframes at 0 s and 2 s), as FLV tags."""
    path = Path(tmp_path_factory.mktemp("flv")) / "publish.flv"
    record_flv(str(path), 3.0)
    return read_flv_tags(path.read_bytes())


def _events_until_ended(ingest: Ingest) -> list[SourceEvent]:
    events: list[SourceEvent] = []
    while not events or not isinstance(events[-1], PublisherEnded):
        events.append(ingest.events.get(timeout=20))
    return events


def test_corrupt_media_is_skipped(
    ingest: Ingest,
    recorded_tags: list[tuple[int, int, bytes]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Garbage inside an accepted publish: logged, skipped, and decoding recovers."""
    caplog.set_level(logging.INFO, logger="swarmcast.segmenter")
    rng = random.Random(7)
    publisher = RawPublisher(ingest.port, KEY)
    assert publisher.status_codes() == ["NetStream.Publish.Start"]
    video_packets = audio_packets = 0
    for tag_type, timestamp, body in recorded_tags:
        if tag_type == 9 and body[1] == 1:  # an AVC NAL unit packet (not the configuration)
            video_packets += 1
            if 10 <= video_packets < 40:  # trash the NAL units, lengths included
                body = body[:5] + rng.randbytes(len(body) - 5)
        if tag_type == 8 and body[1] == 1:  # a raw AAC frame
            audio_packets += 1
            if 10 <= audio_packets < 30:
                body = body[:2] + rng.randbytes(len(body) - 2)
        publisher.send_tag(tag_type, timestamp, body)
        if video_packets == 45 and tag_type == 9:  # malformed tags the demuxer itself rejects
            publisher.send_tag(9, timestamp, b"\x17\x01")  # truncated AVC packet header
            publisher.send_tag(8, timestamp, b"")  # empty audio message
            publisher.send_tag(9, timestamp, b"\x2f")  # unknown codec id
    publisher.close()

    events = _events_until_ended(ingest)
    assert isinstance(events[0], PublisherStarted)
    video_times = [e.time for e in events if isinstance(e, CapturedVideo)]
    audio_times = [e.time for e in events if isinstance(e, CapturedAudio)]
    assert max(video_times) > 2.5  # frames after the keyframe at 2 s decode again
    assert max(audio_times) > 2.5
    assert video_times == sorted(video_times)
    assert "undecodable" in caplog.text


def test_undecodable_publish_leaves_no_discontinuity(
    ingest: Ingest,
    recorded_tags: list[tuple[int, int, bytes]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A publisher whose every packet is garbage never starts a publish; the next one does."""
    caplog.set_level(logging.INFO, logger="swarmcast.segmenter")
    rng = random.Random(11)
    publisher = RawPublisher(ingest.port, KEY)
    assert publisher.status_codes() == ["NetStream.Publish.Start"]
    for tag_type, timestamp, body in recorded_tags[:120]:
        if tag_type in (8, 9):
            body = body[:1] + rng.randbytes(len(body) - 1)  # keep the codec id, trash the rest
        publisher.send_tag(tag_type, timestamp, body)
    publisher.close()

    assert ingest.source.channel.wait_idle(timeout=20)
    assert ingest.drain() == []

    publisher = RawPublisher(ingest.port, KEY)
    assert publisher.status_codes() == ["NetStream.Publish.Start"]
    for tag_type, timestamp, body in recorded_tags:
        publisher.send_tag(tag_type, timestamp, body)
    publisher.close()
    events = _events_until_ended(ingest)
    assert sum(isinstance(e, PublisherStarted) for e in events) == 1
    assert isinstance(events[0], PublisherStarted)
    assert sum(isinstance(e, CapturedVideo) for e in events) >= 85


def test_capture_clock_for_bursts_and_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    from swarmcast.segmenter import rtmp_ingest
    from swarmcast.segmenter.rtmp_flv import FlvPipe
    from swarmcast.segmenter.rtmp_server import MediaClock, PublishSession

    now = [1000.0]
    monkeypatch.setattr(rtmp_ingest.time, "time", lambda: now[0])
    session = PublishSession("demo", "127.0.0.1:1", FlvPipe())
    session.clock = MediaClock(wallclock=999.5, media_time=2.0)  # first tag at t=2 s arrived
    clock = rtmp_ingest._WallClock(session)
    assert clock.at("video", 2.0) == 999.5
    assert clock.at("video", 2.5) == 1000.0  # paced publisher: exactly the media clock
    assert clock.at("audio", 2.4) == pytest.approx(999.9)
    assert clock.at("audio", 2.3) == pytest.approx(999.9)  # never decreasing per kind
    # A burst: 10 s of media at once. At most 1 s ahead, then anchored at "now".
    assert clock.at("video", 3.4) == pytest.approx(1000.9)
    assert clock.at("video", 12.0) == pytest.approx(1000.9)  # re-anchored, not decreasing
    now[0] = 1002.0
    assert clock.at("video", 13.0) == pytest.approx(1001.0)  # follows the new anchor


def test_librtmp_publisher(
    ingest: Ingest, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """librtmp, whose fork OBS uses: its handshake, command sequence and FLV writer work; its
    wrong-key publish fails at connect time."""
    lib = find_librtmp()
    if lib is None:
        pytest.skip("librtmp is not installed")
    caplog.set_level(logging.INFO, logger="swarmcast.segmenter")
    path = tmp_path / "publish.flv"
    record_flv(str(path), 3.0)
    flv = path.read_bytes()
    base = f"rtmp://127.0.0.1:{ingest.port}/live"

    assert not librtmp_publish(lib, f"{base}/wrong-key", flv)
    assert "refused publish, invalid stream key" in caplog.text
    assert ingest.drain() == []

    assert librtmp_publish(lib, f"{base}/{KEY}", flv)
    events = _events_until_ended(ingest)
    assert isinstance(events[0], PublisherStarted)
    assert sum(isinstance(e, CapturedVideo) for e in events) == 90  # every frame of 3 s
    assert sum(isinstance(e, CapturedAudio) for e in events) >= 140  # 3 s of 1024-sample AAC
    assert "publisher unpublished" in caplog.text  # librtmp says goodbye properly
