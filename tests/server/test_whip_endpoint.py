"""The WHIP endpoint in-process: real aiohttp server, real aiortc publishers, the real
`WhipSource` read by a worker thread as the segmenter reads it (netns: ICE needs a
non-loopback address, see scripts/in-netns.sh)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from aiortc.mediastreams import VideoStreamTrack

from swarmcast.segmenter import clock_barcode
from swarmcast.segmenter.sources import (
    CapturedAudio,
    CapturedVideo,
    PublisherEnded,
    PublisherStarted,
    SourceEvent,
)
from swarmcast.server.origin_app import create_app
from swarmcast.server.origin_config import OriginConfig
from swarmcast.server.whip_client import ClockVideoTrack, ToneTrack, WhipClient, WhipRejected
from swarmcast.server.whip_config import WhipConfig
from swarmcast.server.whip_routes import WHIP_HUB_KEY, add_whip_routes
from swarmcast.server.whip_session import WhipHub, WhipSession
from swarmcast.server.whip_source import WhipSource

pytestmark = pytest.mark.netns
KEY = "publisher-key"
SDP_HEADERS = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/sdp"}


@dataclass
class Whip:
    url: str
    events: asyncio.Queue[SourceEvent]
    source: WhipSource
    hub: WhipHub

    def source_sessions(self) -> list[WhipSession]:
        return list(self.hub.sessions.values())

    async def next_event(self, kind: Any, timeout: float = 20.0) -> SourceEvent:
        """The next event of `kind` (frames of other kinds are skipped)."""
        async with asyncio.timeout(timeout):
            while True:
                event = await self.events.get()
                if isinstance(event, kind):
                    return event


async def _start(tmp_path: Path, **overrides: object) -> AsyncIterator[Whip]:
    options: dict[str, object] = {"stream_keys": {KEY: "cam"}, "request_burst": 100.0}
    config = WhipConfig(**{**options, **overrides})  # type: ignore[arg-type]
    source = WhipSource("cam", config.max_queued_frames)
    app = create_app(
        OriginConfig(streams_dir=tmp_path),
        extra_setup=[lambda app: add_whip_routes(app, config, {"cam": source})],
    )
    loop = asyncio.get_running_loop()
    events: asyncio.Queue[SourceEvent] = asyncio.Queue()
    stop = threading.Event()

    def consume() -> None:  # the segmenter's side of the bridge
        for event in source.events(stop):
            loop.call_soon_threadsafe(events.put_nowait, event)

    worker = threading.Thread(target=consume, daemon=True)
    worker.start()
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield Whip(str(server.make_url("/whip")), events, source, app[WHIP_HUB_KEY])
    finally:
        await server.close()
        stop.set()
        source.close()
        await asyncio.to_thread(worker.join)


@pytest.fixture
async def whip(tmp_path: Path) -> AsyncIterator[Whip]:
    async for value in _start(tmp_path, idle_timeout_s=1.0):
        yield value


def _publisher(url: str, key: str = KEY, codec: str | None = None) -> WhipClient:
    return WhipClient(url, key, [ClockVideoTrack(320, 180), ToneTrack()], video_codec=codec)


async def test_h264_publish_feeds_frames_then_delete_ends_it(whip: Whip) -> None:
    client = _publisher(whip.url, codec="H264")
    try:
        await client.publish()
        assert client.etag and client.session_url and "/whip/session/" in client.session_url
        assert "H264" in client.pc.remoteDescription.sdp
        started = await whip.next_event(PublisherStarted)
        assert isinstance(started, PublisherStarted) and "whip" in started.description
        videos: list[CapturedVideo] = []
        while len(videos) < 10:
            event = await whip.next_event(CapturedVideo)
            assert isinstance(event, CapturedVideo)
            videos.append(event)
        audio = await whip.next_event(CapturedAudio)
        assert isinstance(audio, CapturedAudio) and audio.frame.sample_rate == 48_000
        times = [video.time for video in videos]
        assert times == sorted(times) and times[-1] > times[0]
        # The picture is the publisher's: its burned-in clock reads back, near the wall clock
        # the session assigned (sanity bound only; the benchmark measures the latency).
        drawn = clock_barcode.read(videos[-1].frame)
        assert drawn is not None and abs(drawn / 1000 - videos[-1].wallclock) < 10

        # One publisher per stream: a second one is refused while the first is live.
        second = _publisher(whip.url)
        with pytest.raises(WhipRejected) as refused:
            await second.publish()
        assert refused.value.status == 409
        await second.close()

        assert await client.close() == 200
        ended = await whip.next_event(PublisherEnded)
        assert isinstance(ended, PublisherEnded) and "DELETE" in ended.reason
    finally:
        await client.close()
    async with aiohttp.ClientSession() as http:
        gone = await http.delete(client.session_url or "", headers=SDP_HEADERS)
        assert gone.status == 404


async def test_patch_answers(whip: Whip) -> None:
    client = _publisher(whip.url)
    try:
        await client.publish()
        url, etag = client.session_url or "", client.etag or ""
        frag = (
            "a=ice-ufrag:{ufrag}\r\na=ice-pwd:{pwd}\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
            "a=mid:0\r\na=candidate:1 1 udp 2122260223 10.77.0.2 50000 typ host\r\n"
        )
        sdp = client.pc.localDescription.sdp
        ufrag = next(line[12:] for line in sdp.splitlines() if line.startswith("a=ice-ufrag:"))
        pwd = next(line[10:] for line in sdp.splitlines() if line.startswith("a=ice-pwd:"))
        trickle = frag.format(ufrag=ufrag, pwd=pwd)
        restart = frag.format(ufrag="newufrag", pwd="newpassword0123456789012")
        headers = {
            "Authorization": f"Bearer {KEY}",
            "Content-Type": "application/trickle-ice-sdpfrag",
        }
        async with aiohttp.ClientSession() as http:

            async def patch(body: str, **extra: str) -> int:
                async with http.patch(url, data=body, headers={**headers, **extra}) as response:
                    return response.status

            assert await patch(trickle) == 428  # If-Match is required
            assert await patch(trickle, **{"If-Match": '"stale"'}) == 412
            assert await patch(restart, **{"If-Match": '"stale"'}) == 412
            no_password = "a=ice-ufrag:newufrag\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
            assert await patch(no_password, **{"If-Match": "*"}) == 400
            assert await patch("a=candidate:1 1 udp", **{"If-Match": etag}) == 400
            assert await patch(trickle, **{"If-Match": etag}) == 204
            wrong_type = {"Content-Type": "text/plain", "If-Match": etag}
            assert await patch(trickle, **wrong_type) == 415
            async with http.patch(url, data=trickle, headers={"If-Match": etag}) as response:
                assert response.status == 401
            async with http.request("PUT", url, data="x", headers=headers) as response:
                assert response.status == 405
        assert client.pc.connectionState == "connected"  # none of this disturbed the session
    finally:
        await client.close()


async def test_refusals(whip: Whip, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="swarmcast.server.whip_routes")
    offer = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    async with aiohttp.ClientSession() as http:
        async with http.post(
            whip.url, data=offer, headers={"Content-Type": "application/sdp"}
        ) as r:
            assert r.status == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")
        wrong = {**SDP_HEADERS, "Authorization": "Bearer not-the-key"}
        async with http.post(whip.url, data=offer, headers=wrong) as response:
            assert response.status == 401
            assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "refused POST, invalid stream key" in caplog.text
        assert "not-the-key" not in caplog.text  # keys are never logged
        as_text = {**SDP_HEADERS, "Content-Type": "text/plain"}
        async with http.post(whip.url, data=offer, headers=as_text) as response:
            assert response.status == 415
        big = offer + "a=x-padding:" + "x" * 70_000 + "\r\n"
        async with http.post(whip.url, data=big, headers=SDP_HEADERS) as response:
            assert response.status == 413
        async with http.post(whip.url, data="garbage", headers=SDP_HEADERS) as response:
            assert response.status == 400
        async with http.post(whip.url, data=offer, headers=SDP_HEADERS) as response:
            assert response.status == 400  # valid SDP, but no audio or video to ingest
        async with http.options(whip.url) as response:
            assert response.status == 204
            allowed = response.headers["Access-Control-Allow-Headers"]
            assert "Authorization" in allowed and "Content-Type" in allowed
            assert "Location" in response.headers["Access-Control-Expose-Headers"]
        async with http.get(whip.url.replace("/whip", "/broadcast")) as response:
            assert response.status == 200 and "broadcast.js" in await response.text()
    assert whip.events.empty()  # nothing reached the segmenter


async def test_wrong_tokens_lock_the_address_out(tmp_path: Path) -> None:
    async for whip in _start(tmp_path, max_auth_failures=3, lockout_s=60.0):
        wrong = {**SDP_HEADERS, "Authorization": "Bearer guess"}
        async with aiohttp.ClientSession() as http:
            statuses = []
            for _ in range(3):
                async with http.post(whip.url, data="v=0", headers=wrong) as response:
                    statuses.append(response.status)
            async with http.post(whip.url, data="v=0", headers=SDP_HEADERS) as response:
                statuses.append(response.status)
                assert int(response.headers["Retry-After"]) > 50
        assert statuses == [401, 401, 401, 429]  # even the right key waits out the lockout


async def test_silent_publisher_ends_after_idle_timeout_and_a_new_one_starts(whip: Whip) -> None:
    first = _publisher(whip.url)
    await first.publish()
    await whip.next_event(CapturedVideo)
    frozen_at = time.monotonic()
    await first.freeze()  # connected, but no media any more
    ended = await whip.next_event(PublisherEnded)
    assert isinstance(ended, PublisherEnded) and "no media for 1 s" in ended.reason
    assert time.monotonic() - frozen_at >= 0.9
    assert await first.close() == 404  # the server already ended that session
    second = _publisher(whip.url)
    try:
        await second.publish()
        started = await whip.next_event(PublisherStarted)
        assert isinstance(started, PublisherStarted)
        await whip.next_event(CapturedVideo)
    finally:
        await second.close()


async def test_publisher_gone_without_delete_ends_at_once(whip: Whip) -> None:
    first = _publisher(whip.url)
    await first.publish()
    await whip.next_event(CapturedVideo)
    await first.drop()  # a closed tab: DTLS close, no DELETE
    ended = await whip.next_event(PublisherEnded)
    assert isinstance(ended, PublisherEnded) and "connection closed" in ended.reason


async def test_ice_restart_keeps_the_publish_going(whip: Whip) -> None:
    """Both ends swap in a new ICE agent (new credentials, new sockets) and close the old
    one; media continues in the same publisher span, without a discontinuity."""
    client = _publisher(whip.url)
    try:
        await client.publish()
        await whip.next_event(CapturedVideo)
        etag = client.etag
        assert await client.restart_ice()
        assert client.etag != etag  # a new ETag for the restarted session
        hub_session = next(iter(whip.source_sessions()))
        assert hub_session.ice is not None and hub_session.ice.restarts == 1
        assert await hub_session.ice.wait_restarted()
        # Frames decoded after both old connections are closed came over the new path.
        while not whip.events.empty():
            event = whip.events.get_nowait()
            assert not isinstance(event, PublisherEnded | PublisherStarted)
        for _ in range(30):
            event = await whip.next_event(CapturedVideo | PublisherEnded)
            assert isinstance(event, CapturedVideo)
        assert client.pc.connectionState == "connected"
    finally:
        await client.close()


class _SilentTrack(VideoStreamTrack):
    """A video track that never produces a frame (a publisher stuck before its encoder)."""

    async def recv(self) -> Any:
        await asyncio.Event().wait()


async def test_publisher_without_media_is_dropped_after_the_setup_timeout(tmp_path: Path) -> None:
    async for whip in _start(tmp_path, setup_timeout_s=1.0):
        client = WhipClient(whip.url, KEY, [_SilentTrack()])
        try:
            await client.publish()
            session = whip.source_sessions()[0]
            async with asyncio.timeout(10):
                await session.closed.wait()
            assert whip.source_sessions() == []
            assert whip.events.empty()  # no frame, so no discontinuity either
            assert await client.close() == 404
        finally:
            await client.close()
