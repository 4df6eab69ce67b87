"""One neighbour over aiortc: an RTCPeerConnection with the `swarmcast/1` data channel, the wire
codec, and a writer that respects `bufferedAmount` (control frames jump the piece queue)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiortc import (
    RTCConfiguration,
    RTCDataChannel,
    RTCIceServer,
    RTCIceTransportPolicy,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.sdp import candidate_from_sdp

from swarmcast.peer.channel_window import ChannelWindow, ChannelWindowConfig
from swarmcast.peer.peer_config import IceServerConfig
from swarmcast.peer.relay_hold import RELAY_HOLD_S, hold_relays
from swarmcast.protocol import wire
from swarmcast.protocol.relay_only import relay_only_signal

log = logging.getLogger(__name__)

GOODBYE_FLUSH_POLLS = 25
UDP_RECEIVE_BUFFER = 4 * 1024 * 1024  # capped by net.core.rmem_max (often 4 MiB here)
SendSignal = Callable[[str, dict[str, Any]], Awaitable[None]]


class LinkHandlers(Protocol):
    def link_open(self, link: PeerLink) -> None: ...

    def link_message(self, link: PeerLink, message: wire.Message) -> None: ...

    def link_closed(self, link: PeerLink, reason: str) -> None: ...

    def link_violation(self, link: PeerLink, reason: str) -> None:
        """An undecodable frame arrived; the link then closes itself (GOODBYE protocol-error)."""


def rtc_configuration(
    servers: tuple[IceServerConfig, ...], relay_only: bool = False
) -> RTCConfiguration:
    """Always explicit: aiortc falls back to a public STUN server when given None. With
    `relay_only` aioice gathers TURN relay candidates only (no host or srflx address leaves)."""
    return RTCConfiguration(
        iceServers=[
            RTCIceServer(urls=list(s.urls), username=s.username, credential=s.credential)
            for s in servers
        ],
        iceTransportPolicy=RTCIceTransportPolicy.RELAY if relay_only else RTCIceTransportPolicy.ALL,
    )


def enlarge_receive_buffers(pc: RTCPeerConnection, size: int = UDP_RECEIVE_BUFFER) -> None:
    """Raise SO_RCVBUF of the connection's UDP sockets. aioice keeps the kernel default (~208
    KiB); a burst from several neighbours overflows it, the drops look like congestion to
    SCTP and throughput collapses (RTO >= 1 s) while the CPU idles. Reaches into aiortc /
    aioice internals, so any surprise just leaves the default."""
    try:
        connection = pc.sctp.transport.transport._connection  # type: ignore[union-attr]
        for protocol in connection._protocols:
            sock = protocol.transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
    except Exception as exc:
        log.debug("could not enlarge UDP receive buffers: %s", exc)


class PeerLink:
    """Owns its RTCPeerConnection and writer task; `close()` tears both down."""

    def __init__(
        self,
        peer_id: str,
        *,
        initiator: bool,
        ice_servers: tuple[IceServerConfig, ...],
        send_signal: SendSignal,
        relay_only: bool = False,
        handlers: LinkHandlers,
        window: ChannelWindowConfig | None = None,
        connect_timeout_s: float = 20.0,
        on_flush: Callable[[PeerLink], None] | None = None,
    ) -> None:
        """`window`: how much the channel may hold ahead of the wire (peer/channel_window.py).
        `on_flush`: called before a frame joins an empty queue, before the writer hands frames to
        the open channel after a wait (nothing drains the channel's buffer while it runs) and when
        that buffer falls below the low mark, so the bytes waiting (queue and channel) grow only
        after a call (the node samples its uplink there, peer/uplink_meter.py)."""
        self.peer_id = peer_id
        self.initiator = initiator
        self.hello: wire.Hello | None = None  # set by the node once the peer's HELLO arrived
        self.piece_bytes_sent = 0
        self.pieces_sent = 0  # they pay for the peer's REQUESTs (docs/protocol.md §5.1)
        # Data-channel messages by wire type, both ways: each is at least one SCTP packet, one
        # DTLS record and one SACK in aiortc, the bulk of a viewer's CPU (bench viewers).
        self.frames_sent: Counter[str] = Counter()
        self.frames_received: Counter[str] = Counter()
        self.channel_bytes_sent = 0  # every frame handed to the data channel
        self._on_flush = on_flush
        self._send_signal = send_signal
        self._handlers = handlers
        self._window = ChannelWindow(window)
        self._relay_only = relay_only
        self._pc = RTCPeerConnection(rtc_configuration(ice_servers, relay_only))
        self._channel: RTCDataChannel | None = None
        self._control: deque[bytes] = deque()
        self._pieces: deque[tuple[int, bytes]] = deque()  # (request_id, frame)
        self._piece_queue_bytes = 0
        self._wake = asyncio.Event()
        self._drained = asyncio.Event()
        self._closed: str | None = None
        self._muted = False
        self._opened = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._pc.on("datachannel", self._on_datachannel)
        self._pc.on("connectionstatechange", self._on_state)
        self._spawn(self._connect_timeout(connect_timeout_s))

    @property
    def is_open(self) -> bool:
        return self._opened and self._closed is None

    def candidate_pair(self) -> str | None:
        """`local/remote` candidate types (host, srflx, prflx, relay) of the selected ICE pair,
        for stats; None before one is selected. Reaches into aiortc/aioice internals."""
        try:
            connection = self._pc.sctp.transport.transport._connection  # type: ignore[union-attr]
            pair = connection._nominated.get(1)
            if pair is None:
                return None
            return f"{pair.local_candidate.type}/{pair.remote_candidate.type}"
        except Exception:
            return None

    # --- setup ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Initiator: create the channel and send the offer (aiortc gathers all candidates in
        setLocalDescription and never trickles, so the SDP carries them)."""
        if not self.initiator:
            return
        self._attach(self._pc.createDataChannel(wire.DATA_CHANNEL_LABEL, ordered=True))
        await self._pc.setLocalDescription(await self._pc.createOffer())
        local = self._pc.localDescription
        await self._send_signal("offer", {"type": local.type, "sdp": local.sdp})

    async def on_signal(self, kind: str, data: dict[str, Any]) -> None:
        if self._closed is not None:
            return
        if self._relay_only:  # also filtered by signaling; never trust one layer alone
            filtered = relay_only_signal(kind, data)
            if filtered is None:
                return
            data = filtered
        if kind in ("offer", "answer"):
            sdp, held = hold_relays(data["sdp"])
            await self._pc.setRemoteDescription(RTCSessionDescription(sdp, kind))
            if held:
                self._spawn(self._add_held(held))
            if kind == "offer":
                await self._pc.setLocalDescription(await self._pc.createAnswer())
                local = self._pc.localDescription
                await self._send_signal("answer", {"type": local.type, "sdp": local.sdp})
        elif kind == "candidate" and data.get("candidate"):
            # Browsers trickle; "" marks the end of their candidates.
            text = str(data["candidate"]).removeprefix("candidate:")
            candidate = candidate_from_sdp(text)
            candidate.sdpMid = data.get("sdpMid")
            candidate.sdpMLineIndex = data.get("sdpMLineIndex")
            await self._pc.addIceCandidate(candidate)

    async def _add_held(self, held: list[str]) -> None:
        """The remote relay candidates, once direct checks had their head start (relay_hold)."""
        await asyncio.sleep(RELAY_HOLD_S)
        if self._closed is not None:
            return
        for text in held:
            candidate = candidate_from_sdp(text.removeprefix("candidate:"))
            candidate.sdpMLineIndex = 0
            await self._pc.addIceCandidate(candidate)
        await self._pc.addIceCandidate(None)

    def _on_datachannel(self, channel: RTCDataChannel) -> None:
        if channel.label == wire.DATA_CHANNEL_LABEL and self._channel is None:
            self._attach(channel)
        else:
            channel.close()

    def _attach(self, channel: RTCDataChannel) -> None:
        self._channel = channel
        channel.bufferedAmountLowThreshold = self._window.low_water
        channel.on("open", self._on_open)
        channel.on("message", self._on_message)
        channel.on("close", lambda: self._spawn(self.close("channel closed")))
        channel.on("bufferedamountlow", self._on_low)
        if channel.readyState == "open":
            self._on_open()

    def _on_low(self) -> None:
        self._drained.set()
        if self._on_flush is not None and self._closed is None:
            self._on_flush(self)

    def sctp_round_trip_s(self) -> float | None:
        """The SCTP association's smoothed round trip (RFC 4960 SRTT, seconds; None: not yet
        measured): aiortc reports no ICE round trips, so this is the queue-delay evidence
        (peer/queue_delay.py)."""
        srtt = getattr(self._pc.sctp, "_srtt", None)
        return float(srtt) if isinstance(srtt, (int, float)) else None

    def channel_count(self) -> tuple[int, int]:
        """Bytes queued for the data channel so far and how many of them have not left its
        buffer yet (our queue's PIECEs plus its `bufferedAmount`): the uplink meter's backlog."""
        channel = self._channel
        buffered = 0 if channel is None else channel.bufferedAmount
        queued = self._piece_queue_bytes
        return self.channel_bytes_sent + queued, buffered + queued

    def _on_open(self) -> None:
        if self._opened or self._closed is not None:
            return
        self._opened = True
        enlarge_receive_buffers(self._pc)
        self._spawn(self._writer())
        self._handlers.link_open(self)

    async def _on_state(self) -> None:
        if self._pc.connectionState in ("failed", "closed"):
            await self.close(f"connection {self._pc.connectionState}")

    async def _connect_timeout(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        if not self._opened:
            await self.close("connect timeout")

    # --- receiving ------------------------------------------------------------------------

    def mute(self) -> None:
        """Ignore everything this peer sends from now on (it is being dropped)."""
        self._muted = True

    def _on_message(self, data: bytes | str) -> None:
        if self._closed is not None or self._muted:
            return
        try:
            if isinstance(data, str):
                raise wire.UnknownType("text message on a binary channel")
            message = wire.decode(data)
        except wire.WireError as exc:
            log.info("peer %s: protocol error: %s", self.peer_id, exc)
            self._muted = True  # one report per link, however many bad frames follow
            self._handlers.link_violation(self, str(exc))
            self._spawn(self.close(f"protocol error: {exc}", wire.GoodbyeReason.PROTOCOL_ERROR))
            return
        self.frames_received[wire.MESSAGE_NAMES[type(message)]] += 1
        self._handlers.link_message(self, message)

    # --- sending --------------------------------------------------------------------------

    def send(self, message: wire.Message) -> None:
        """Queue a frame. PIECEs go behind control frames so a HAVE is never stuck behind
        a megabyte of pieces."""
        if self._closed is not None:
            return
        frame = wire.encode(message)
        self.frames_sent[wire.MESSAGE_NAMES[type(message)]] += 1
        if not self._control and not self._pieces and self._on_flush is not None and self._opened:
            self._on_flush(self)  # the waiting bytes grow now: the meter samples before
        if isinstance(message, wire.Piece):
            self._pieces.append((message.request_id, frame))
            self._piece_queue_bytes += len(frame)
        else:
            self._control.append(frame)
        self._wake.set()

    def purge(self, request_id: int) -> None:
        """Drop queued PIECEs of a cancelled request (what the channel holds is committed)."""
        self._pieces = deque(item for item in self._pieces if item[0] != request_id)
        self._piece_queue_bytes = sum(len(frame) for _, frame in self._pieces)

    def queued_pieces(self) -> int:
        return len(self._pieces)

    async def _writer(self) -> None:
        channel = self._channel
        assert channel is not None
        waited = True  # the channel drained meanwhile: `on_flush` before adding to it
        while self._closed is None:
            if not self._control and not self._pieces:
                self._wake.clear()
                await self._wake.wait()
                waited = True
                continue
            if channel.bufferedAmount >= self._window.high_water:
                self._drained.clear()
                await self._drained.wait()
                waited = True
                continue
            if self._control:
                frame = self._control.popleft()
            else:
                frame = self._pieces.popleft()[1]
                self._piece_queue_bytes -= len(frame)
                self.piece_bytes_sent += len(frame) - 12  # minus the PIECE header
                self.pieces_sent += 1
            if channel.readyState != "open":
                return
            if waited and self._on_flush is not None:
                self._on_flush(self)
            waited = False
            channel.send(frame)
            self.channel_bytes_sent += len(frame)
            drained = self.channel_bytes_sent - channel.bufferedAmount
            self._window.observe(time.monotonic(), drained, bool(self._control or self._pieces))
            channel.bufferedAmountLowThreshold = self._window.low_water

    # --- teardown -------------------------------------------------------------------------

    async def close(self, reason: str, goodbye: wire.GoodbyeReason | None = None) -> None:
        """Close once: optional GOODBYE first, then the connection; tell the handlers."""
        if self._closed is not None:
            return
        self._closed = reason
        self._wake.set()
        self._drained.set()
        channel = self._channel
        if goodbye is not None and channel is not None and channel.readyState == "open":
            with contextlib.suppress(Exception):
                channel.send(wire.encode(wire.Goodbye(goodbye)))
                # Give SCTP a moment to put it on the wire before the transport goes away.
                for _ in range(GOODBYE_FLUSH_POLLS):
                    if channel.bufferedAmount == 0:
                        break
                    await asyncio.sleep(0.02)
                await asyncio.sleep(0.05)
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
        with contextlib.suppress(Exception):
            await self._pc.close()
        self._handlers.link_closed(self, reason)

    def _spawn(self, coro: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
