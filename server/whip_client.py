"""A Python WHIP publisher (RFC 9725 client) on aiortc: tests, benchmarks, `swarmcast
whip-publish`.

    client = WhipClient("http://127.0.0.1:8080/whip", "KEY", [ClockVideoTrack(), ToneTrack()])
    await client.publish()          # POST offer, 201 + answer, ICE/DTLS connect
    ...
    await client.close()            # DELETE the session, close the peer connection

`ClockVideoTrack` draws the wall clock into every picture (segmenter/clock_barcode.py) so a
viewer can measure glass-to-glass latency; `ToneTrack` is a sine tone, so audio is real too.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import math
import time
from urllib.parse import urljoin

import aiohttp
import av
import numpy as np
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

from swarmcast.segmenter import clock_barcode
from swarmcast.server.whip_ice_restart import RestartableIce, sdpfrag
from swarmcast.server.whip_sdpfrag import candidates_of, parse_sdpfrag


class WhipRejected(Exception):
    """The WHIP endpoint refused the publish; `status` is its HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"WHIP endpoint answered {status}: {message.strip()}")
        self.status = status


class ClockVideoTrack(VideoStreamTrack):
    """Synthetic video with the capture wall clock burned into each frame, paced by aiortc."""

    def __init__(self, width: int = 640, height: int = 360) -> None:
        super().__init__()
        self.width, self.height = width, height
        self._count = 0

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = clock_barcode.draw(self.width, self.height, int(time.time() * 1000), self._count)
        self._count += 1
        frame.pts, frame.time_base = pts, time_base
        return frame


class ToneTrack(AudioStreamTrack):
    """A 440 Hz tone in 20 ms stereo frames (what Opus packs per RTP packet)."""

    RATE = 48_000
    SAMPLES = 960

    def __init__(self, frequency: float = 440.0) -> None:
        super().__init__()
        self.frequency = frequency
        self._sent = 0
        self._t0: float | None = None

    async def recv(self) -> av.AudioFrame:
        if self._t0 is None:
            self._t0 = time.monotonic()
        delay = self._t0 + self._sent / self.RATE - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        phase = np.arange(self._sent, self._sent + self.SAMPLES) * 2 * math.pi * self.frequency
        tone = (np.sin(phase / self.RATE) * 6000).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(
            np.repeat(tone, 2).reshape(1, -1), format="s16", layout="stereo"
        )
        frame.sample_rate = self.RATE
        frame.pts = self._sent
        frame.time_base = fractions.Fraction(1, self.RATE)
        self._sent += self.SAMPLES
        return frame


class WhipClient:
    def __init__(
        self,
        endpoint: str,
        token: str,
        tracks: list[MediaStreamTrack],
        video_codec: str | None = None,
    ) -> None:
        """`video_codec` ("VP8", "H264") restricts the offer to that codec; None offers all
        that aiortc has (VP8 first)."""
        self.endpoint = endpoint
        self.token = token
        self.tracks = tracks
        self.video_codec = video_codec
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.session_url: str | None = None
        self.etag: str | None = None
        self.ice: RestartableIce | None = None
        self._http = aiohttp.ClientSession()

    @property
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def publish(self, connect_timeout: float = 15.0) -> None:
        """Offer, POST, apply the answer; returns once ICE and DTLS are up."""
        for track in self.tracks:
            transceiver = self.pc.addTransceiver(track, direction="sendonly")
            if track.kind == "video" and self.video_codec:
                wanted = f"video/{self.video_codec}".lower()
                codecs = RTCRtpSender.getCapabilities("video").codecs
                transceiver.setCodecPreferences(
                    [c for c in codecs if c.mimeType.lower() in (wanted, "video/rtx")]
                )
        connected = asyncio.Event()

        @self.pc.on("connectionstatechange")
        def _state() -> None:
            if self.pc.connectionState in ("connected", "failed", "closed"):
                connected.set()

        await self.pc.setLocalDescription(await self.pc.createOffer())
        headers = {**self._auth, "Content-Type": "application/sdp"}
        async with self._http.post(
            self.endpoint, data=self.pc.localDescription.sdp, headers=headers
        ) as response:
            body = await response.text()
            if response.status != 201:
                raise WhipRejected(response.status, body)
            self.session_url = urljoin(self.endpoint, response.headers["Location"])
            self.etag = response.headers.get("ETag")
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=body, type="answer"))
        # No await between these two: aiortc's connect task has not started the transport.
        self.ice = RestartableIce.install(self.pc)
        await asyncio.wait_for(connected.wait(), connect_timeout)
        if self.pc.connectionState != "connected":
            raise ConnectionError(f"WHIP peer connection {self.pc.connectionState}")

    async def restart_ice(self) -> bool:
        """RFC 9725 §4.3.2 from the client side: new credentials and candidates in a PATCH
        (`If-Match: *`), the server's in the answer; True once the new path carries media."""
        if self.ice is None or self.session_url is None:
            raise RuntimeError("publish() first")
        local = await self.ice.prepare()
        sdp = self.pc.localDescription.sdp
        media_line = next(line for line in sdp.splitlines() if line.startswith("m="))
        mid = next(line[6:] for line in sdp.splitlines() if line.startswith("a=mid:"))
        headers = {
            **self._auth,
            "Content-Type": "application/trickle-ice-sdpfrag",
            "If-Match": "*",
        }
        body = sdpfrag(local, media_line, mid)
        async with self._http.patch(self.session_url, data=body, headers=headers) as response:
            text = await response.text()
            if response.status != 200:
                raise WhipRejected(response.status, text)
            self.etag = response.headers.get("ETag")
        answer = parse_sdpfrag(text)
        if answer.ice_ufrag is None or answer.ice_pwd is None:
            raise WhipRejected(200, "the ICE restart answer has no credentials")
        await self.ice.start(
            answer.ice_ufrag, answer.ice_pwd, candidates_of(answer), answer.end_of_candidates
        )
        return await self.ice.wait_restarted()

    async def close(self) -> int | None:
        """DELETE the session (its HTTP status; None if there was none) and tear down.
        Idempotent."""
        status = None
        if self._http.closed:
            return None
        try:
            if self.session_url is not None:
                async with self._http.delete(self.session_url, headers=self._auth) as response:
                    status = response.status
        finally:
            with contextlib.suppress(Exception):
                await self.pc.close()
            await self._http.close()
        return status

    async def freeze(self) -> None:
        """Stop sending media but keep the connection up (a hung encoder, a frozen app)."""
        for sender in self.pc.getSenders():
            sender.replaceTrack(None)

    async def drop(self) -> None:
        """Vanish without a DELETE (a closed tab): the peer connection goes, nothing else."""
        with contextlib.suppress(Exception):
            await self.pc.close()
        await self._http.close()
