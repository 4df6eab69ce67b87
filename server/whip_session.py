"""WHIP sessions (RFC 9725 "WHIP session"): one aiortc peer connection per publisher.

`WhipHub` owns every session: at most one per stream, at most `max_sessions` in all. A
session answers the publisher's offer, reads the decoded tracks aiortc hands it, maps their
RTP timestamps onto one media clock (server/whip_clock.py) and feeds the stream's
`WhipSource`. It starts the publisher's span (a new discontinuity) at the first decoded
frame, and ends it on DELETE, ICE/DTLS failure, `idle_timeout_s` without frames, a
takeover, or shutdown; a publisher that never produces a frame within `setup_timeout_s` is
dropped without leaving a discontinuity behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Coroutine, Mapping
from typing import Any

import av
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceCandidate,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError

from swarmcast.segmenter.sources import CapturedAudio, CapturedVideo
from swarmcast.server.whip_clock import RtpClock
from swarmcast.server.whip_config import WhipConfig
from swarmcast.server.whip_ice_restart import RestartableIce, sdpfrag
from swarmcast.server.whip_sdpfrag import SdpFrag, candidates_of
from swarmcast.server.whip_source import WhipSource

log = logging.getLogger(__name__)

VIDEO_CLOCK_RATE = 90_000  # RTP clock of every WebRTC video codec (RFC 7741, RFC 6184)
_WATCH_INTERVAL_S = 0.5


class WhipError(Exception):
    """A request the hub refuses; `status` is the HTTP answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class WhipSession:
    """One publisher's peer connection and the tasks that read its tracks."""

    def __init__(self, hub: WhipHub, stream: str, remote: str, source: WhipSource) -> None:
        self.hub = hub
        self.id = secrets.token_urlsafe(18)
        self.etag = f'"{secrets.token_hex(8)}"'
        self.stream = stream
        self.remote = remote
        self.source = source
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.created = time.monotonic()
        self._wall_origin = time.time()
        self.last_frame: float | None = None
        self.frames = {"video": 0, "audio": 0}
        self.remote_ufrag: str | None = None
        self.ice: RestartableIce | None = None
        self.closed = asyncio.Event()
        self._started = False
        self._tasks: set[asyncio.Task[None]] = set()
        self.pc.on("track", self._on_track)
        self.pc.on("connectionstatechange", self._on_connection_state)

    @property
    def started(self) -> bool:
        return self._started

    def replaceable(self, now: float) -> bool:
        """True if a new publisher may take this session's stream (it looks dead)."""
        last = self.last_frame if self.last_frame is not None else self.created
        return now - last >= self.hub.config.takeover_after_s

    async def answer(self, offer_sdp: str) -> str:
        """The SDP answer to the publisher's offer (every local candidate included)."""
        offer = RTCSessionDescription(sdp=offer_sdp, type="offer")
        await self.pc.setRemoteDescription(offer)
        kinds = {t.kind for t in self.pc.getTransceivers() if t.receiver.track is not None}
        if not kinds & {"audio", "video"}:
            raise ValueError("the offer has neither audio nor video")
        self.ice = RestartableIce.install(self.pc)
        self.remote_ufrag = _ice_ufrag(offer_sdp)
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        self._spawn(self._watch(), "watchdog")
        return str(self.pc.localDescription.sdp)

    async def add_candidates(self, candidates: list[RTCIceCandidate], end: bool) -> None:
        """Trickled candidates: for the ICE restart in progress if there is one."""
        if self.ice is not None and self.ice.pending is not None:
            await self.ice.add_pending_candidates(candidates, end)
            return
        for candidate in candidates:
            await self.pc.addIceCandidate(candidate)
        if end:
            await self.pc.addIceCandidate(None)

    async def restart_ice(self, frag: SdpFrag) -> str:
        """RFC 9725 §4.3.2: a new ICE agent for the publisher's new credentials; the answer
        sdpfrag. Media keeps flowing on the old path until the new one connects."""
        if self.ice is None or frag.ice_ufrag is None or frag.ice_pwd is None:
            raise WhipError(400, "an ICE restart needs ice-ufrag and ice-pwd")
        local = await self.ice.prepare()
        await self.ice.start(
            frag.ice_ufrag, frag.ice_pwd, candidates_of(frag), frag.end_of_candidates
        )
        self.remote_ufrag = frag.ice_ufrag
        self.etag = f'"{secrets.token_hex(8)}"'
        log.info("whip %s: ICE restart for stream %s", self.remote, self.stream)
        media_line = frag.media_line or "m=audio 9 UDP/TLS/RTP/SAVPF 0"
        return sdpfrag(local, media_line, frag.first_mid or "0")

    async def close(self, reason: str) -> None:
        """End the session (idempotent): the stream's discontinuity ends if it had started."""
        if self.closed.is_set():
            return
        self.closed.set()
        self.hub._forget(self)
        if self._started:
            log.info("whip %s: stream %s publisher ended (%s)", self.remote, self.stream, reason)
            self.source.publisher_ended(reason)
        else:
            log.info("whip %s: session closed before any media (%s)", self.remote, reason)
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
        with contextlib.suppress(Exception):
            await self.pc.close()

    # -- media -----------------------------------------------------------------------------

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind in ("audio", "video"):
            self._spawn(self._read(track), f"whip-{track.kind}")

    async def _read(self, track: MediaStreamTrack) -> None:
        clock: RtpClock | None = None
        while not self.closed.is_set():
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if not isinstance(frame, av.VideoFrame | av.AudioFrame) or frame.pts is None:
                continue
            now = time.monotonic()
            if clock is None:
                rate = VIDEO_CLOCK_RATE
                if isinstance(frame, av.AudioFrame):
                    rate = frame.sample_rate or 48_000
                clock = RtpClock(rate, max_delay=self.hub.config.max_clock_delay_s)
            media_time = clock.media_time(int(frame.pts), now - self.created)
            wallclock = self._wall_origin + media_time
            if not self._started:
                self._started = True
                log.info("whip %s: stream %s is live", self.remote, self.stream)
                self.source.publisher_started(f"whip publisher {self.remote}")
            self.last_frame = now
            self.frames[track.kind] += 1
            if isinstance(frame, av.VideoFrame):
                self.source.offer(CapturedVideo(frame, media_time, wallclock))
            else:
                self.source.offer(CapturedAudio(frame, media_time, wallclock))

    # -- lifetime --------------------------------------------------------------------------

    async def _on_connection_state(self) -> None:
        if self.pc.connectionState in ("failed", "closed"):
            await self.close(f"connection {self.pc.connectionState}")

    async def _watch(self) -> None:
        """Drop a publisher that never sends media or falls silent (a timer, not an event:
        silence has none)."""
        config = self.hub.config
        while not self.closed.is_set():
            await asyncio.sleep(_WATCH_INTERVAL_S)
            now = time.monotonic()
            if self.last_frame is None and now - self.created > config.setup_timeout_s:
                await self.close(f"no media within {config.setup_timeout_s:g} s")
            elif self.last_frame is not None and now - self.last_frame > config.idle_timeout_s:
                await self.close(f"no media for {config.idle_timeout_s:g} s")

    def _spawn(self, coroutine: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(coroutine, name=f"{name}-{self.id[:6]}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


class WhipHub:
    """Every WHIP session of one origin, by id and by stream."""

    def __init__(self, config: WhipConfig, sources: Mapping[str, WhipSource]) -> None:
        self.config = config
        self.sources = dict(sources)
        self.sessions: dict[str, WhipSession] = {}
        self._by_stream: dict[str, WhipSession] = {}

    def publishing(self, stream: str) -> WhipSession | None:
        return self._by_stream.get(stream)

    async def create(self, stream: str, remote: str, offer_sdp: str) -> tuple[WhipSession, str]:
        """A new session for `stream` and its SDP answer, or WhipError."""
        source = self.sources.get(stream)
        if source is None:
            raise WhipError(404, f"stream {stream} does not take WHIP publishers here")
        current = self._by_stream.get(stream)
        if current is not None:
            if not current.replaceable(time.monotonic()):
                raise WhipError(409, "stream already has a publisher")
            await current.close("replaced by a new publisher")
        if len(self.sessions) >= self.config.max_sessions:
            raise WhipError(503, "too many WHIP sessions")
        session = WhipSession(self, stream, remote, source)
        self.sessions[session.id] = session
        self._by_stream[stream] = session
        try:
            answer = await session.answer(offer_sdp)
        except Exception as exc:  # aiortc raises assorted errors for hostile/odd SDP
            await session.close("bad offer")
            raise WhipError(400, f"unusable SDP offer: {exc}") from exc
        return session, answer

    async def close_all(self, reason: str) -> None:
        for session in list(self.sessions.values()):
            await session.close(reason)

    def _forget(self, session: WhipSession) -> None:
        self.sessions.pop(session.id, None)
        if self._by_stream.get(session.stream) is session:
            del self._by_stream[session.stream]


def _ice_ufrag(sdp: str) -> str | None:
    for line in sdp.splitlines():
        if line.startswith("a=ice-ufrag:"):
            return line[len("a=ice-ufrag:") :].strip()
    return None
