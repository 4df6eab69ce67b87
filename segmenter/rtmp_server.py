"""The RTMP front door: an asyncio TCP server that admits only publishers with a valid key.

It runs its own event loop in a daemon thread, so it works beside any pipeline (the segmenter
decodes in worker threads). Each connection is driven by an I/O-free `RtmpServerConnection`:
the server checks the app and the stream key at `publish` (constant time), allows one publisher
per stream, and turns an accepted publish into an FLV byte stream in a `PublishSession`, which
the stream's `PublishChannel` hands to the decoder (`segmenter/rtmp_ingest.py`).

Every refusal and drop is logged with the remote address. Slow or silent clients hit
`setup_timeout` / `idle_timeout`; garbage is a protocol error that closes only that connection.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from swarmcast.segmenter import rtmp_amf
from swarmcast.segmenter.log_limit import RateLimitedLog
from swarmcast.segmenter.rtmp_admission import RtmpAdmission
from swarmcast.segmenter.rtmp_config import RtmpConfig
from swarmcast.segmenter.rtmp_flv import FlvPipe, flv_header, flv_tag
from swarmcast.segmenter.rtmp_protocol import (
    ConnectRequested,
    MediaKind,
    MediaReceived,
    PublishRequested,
    RtmpEvent,
    RtmpProtocolError,
    RtmpServerConnection,
    State,
    UnpublishRequested,
)

log = logging.getLogger(__name__)
_SETUP_PROGRESS = {State.AWAIT_CONNECT: 1, State.CONNECT_PENDING: 1, State.CONNECTED: 2}

_READ_SIZE = 65536


@dataclass(frozen=True, slots=True)
class MediaClock:
    """Where a publish's media clock meets the wall clock: the first media tag's arrival."""

    wallclock: float
    media_time: float
    """Seconds (the RTMP timestamp of that first tag)."""

    def wallclock_at(self, media_time: float) -> float:
        return self.wallclock + (media_time - self.media_time)


class PublishSession:
    """One accepted publish: its FLV bytes flow through `pipe` to the decoder.

    Created and fed on the server's loop; read from the decoder thread. `disconnect()` may be
    called from any thread to drop the publisher (decoder gave up, source closing).
    """

    def __init__(
        self,
        stream_name: str,
        remote: str,
        pipe: FlvPipe,
        on_finished: Callable[[], None] | None = None,
    ) -> None:
        self.stream_name = stream_name
        self.remote = remote
        self.pipe = pipe
        self.clock: MediaClock | None = None
        self.end_reason = ""
        self.connection_closed = False
        self._header_written = False
        self._on_finished = on_finished
        self._disconnect_callback: Callable[[], None] | None = None

    def write_media(self, event: MediaReceived) -> bool:
        """Append one message as an FLV tag; False asks the caller to pause reading."""
        if not self._header_written:
            self._header_written = True
            audio, video = True, True
            if event.kind is MediaKind.SCRIPT:
                audio, video = _announced_streams(event.payload)
            self.pipe.write(flv_header(audio=audio, video=video))
        if self.clock is None and event.kind is not MediaKind.SCRIPT:
            self.clock = MediaClock(time.time(), event.timestamp / 1000.0)
        return self.pipe.write(flv_tag(event.kind, event.timestamp, event.payload))

    def finish(self, reason: str) -> None:
        """The connection is over (server side); the decoder sees EOF after buffered bytes."""
        if not self.connection_closed:
            self.connection_closed = True
            self.end_reason = reason
            self.pipe.end()
            if self._on_finished is not None:
                self._on_finished()

    def disconnect(self) -> None:
        """Drop the publisher's connection (thread-safe, idempotent)."""
        callback = self._disconnect_callback
        if callback is not None and not self.connection_closed:
            callback()


def _announced_streams(metadata: bytes) -> tuple[bool, bool]:
    """(audio, video) announced by `onMetaData`; both when unsure, so none is missed."""
    try:
        values = rtmp_amf.decode_all(metadata)
    except rtmp_amf.AmfDecodeError:
        return True, True
    if len(values) >= 2 and values[0] == "onMetaData" and isinstance(values[1], dict):
        properties = values[1]
        audio = bool(properties.get("audiocodecid")) or "audiodatarate" in properties
        video = bool(properties.get("videocodecid")) or "width" in properties
        if audio or video:
            return audio, video
    return True, True


class PublishChannel:
    """The meeting point of one stream's publishers (server loop) and its decoder (a thread).

    At most one publisher is connected at a time. A decoder `attach()`es to accept publishers;
    while none is attached, publishers are refused. Sessions are queued so a new publisher
    can start while the decoder still drains the previous one's last bytes.
    """

    def __init__(self, stream_name: str) -> None:
        self.stream_name = stream_name
        self._cond = threading.Condition()
        self._attached = 0
        self._active: PublishSession | None = None
        self._queue: collections.deque[PublishSession] = collections.deque()

    def attach(self) -> None:
        with self._cond:
            self._attached += 1

    def detach(self) -> None:
        """The decoder stops: drop the connected publisher and anything queued."""
        with self._cond:
            self._attached = max(0, self._attached - 1)
            if self._attached:
                return
            dropped = list(self._queue)
            self._queue.clear()
            active = self._active
            self._cond.notify_all()
        for session in dropped:
            session.pipe.cancel()
        if active is not None:
            active.pipe.cancel()
            active.disconnect()

    def claim(self, remote: str, pipe: FlvPipe) -> PublishSession | str:
        """Server side: a session for a new publisher, or why it is refused."""
        with self._cond:
            if not self._attached:
                return "stream is not accepting publishers"
            if self._active is not None and not self._active.connection_closed:
                return f"stream already has a publisher ({self._active.remote})"
            session = PublishSession(self.stream_name, remote, pipe, self._notify)
            self._active = session
            self._queue.append(session)
            self._cond.notify_all()
            return session

    def next_session(self, timeout: float) -> PublishSession | None:
        """Decoder side: the next publish, waiting up to `timeout` seconds."""
        with self._cond:
            if not self._queue:
                self._cond.wait(timeout)
            return self._queue.popleft() if self._queue else None

    @property
    def publishing(self) -> bool:
        """A publisher is connected right now."""
        with self._cond:
            return self._active is not None and not self._active.connection_closed

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no publisher is connected; False on timeout."""
        with self._cond:
            return self._cond.wait_for(
                lambda: self._active is None or self._active.connection_closed, timeout
            )

    def _notify(self) -> None:
        with self._cond:
            self._cond.notify_all()


class RtmpServer:
    """Listens for publishers; `channel(name)` is how a stream's decoder receives them."""

    def __init__(self, config: RtmpConfig) -> None:
        self.config = config
        self._channels: dict[str, PublishChannel] = {}
        self._channels_lock = threading.Lock()
        for name in set(config.stream_keys.values()):
            self._channels[name] = PublishChannel(name)
        self._socket: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.admission = RtmpAdmission(config)
        # Connections and publishes by outcome, for the origin's /metrics (server/metrics.py).
        self.counts: collections.Counter[str] = collections.Counter()
        # Refusals an attacker triggers at will: a line per kind per 5 s, not one per connection.
        self.limited_log = RateLimitedLog(log)
        self._ready = threading.Event()
        self._start_error: BaseException | None = None

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) actually bound; useful with port 0."""
        if self._socket is None:
            raise RuntimeError("RTMP server not started")
        host, port = self._socket.getsockname()[:2]
        return str(host), int(port)

    def channel(self, stream_name: str) -> PublishChannel:
        with self._channels_lock:
            if stream_name not in self._channels:
                raise KeyError(f"no stream key is configured for stream {stream_name!r}")
            return self._channels[stream_name]

    def start(self) -> None:
        """Bind now (so a busy port fails here, in the caller) and serve from a thread."""
        if self._thread is not None:
            return
        host = self.config.listen_host
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._socket = socket.create_server((host, self.config.port), family=family, backlog=64)
        self._thread = threading.Thread(target=self._run_loop, name="rtmp-server", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._start_error is not None:
            self._thread.join(timeout=5)
            self._thread = None
            self._socket.close()
            raise self._start_error
        log.info("RTMP ingest listening on rtmp://%s:%d/%s/<key>", *self.address, self.config.app)

    def close(self) -> None:
        """Stop listening, drop every connection, join the thread. Idempotent."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        self._thread = None
        with contextlib.suppress(RuntimeError, TimeoutError):  # loop gone, or stuck
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=5)
        thread.join(timeout=5)
        if thread.is_alive():
            log.error("RTMP server thread did not stop within 5 s")

    # -- loop thread ---------------------------------------------------------------------------

    def _run_loop(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._server = loop.run_until_complete(
                asyncio.start_server(self._on_connection, sock=self._socket)
            )
        except BaseException as exc:
            self._start_error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=3)
        asyncio.get_running_loop().call_soon(asyncio.get_running_loop().stop)

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        peer = writer.get_extra_info("peername")
        remote = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        address = str(peer[0]) if isinstance(peer, tuple) else str(peer)
        connection = _Connection(self, reader, writer, remote, address)
        decision = self.admission.admit(time.monotonic(), connection, address)
        self.counts["connection-admitted" if decision.admitted else "connection-refused"] += 1
        if not decision.admitted:
            self.limited_log.log(
                logging.WARNING, decision.reason, "rtmp %s: refused, %s", remote, decision.reason
            )
            writer.close()
            return
        for victim in decision.evict:
            if isinstance(victim, _Connection):
                victim.displace()
        if decision.evict:
            self.limited_log.log(
                logging.WARNING, "displaced", "rtmp %s: admitted, %s", remote, decision.reason
            )
        self._tasks.add(task)
        try:
            await connection.run()
        finally:
            self._tasks.discard(task)
            self.admission.closed(connection)


class _Connection:
    """Drives one TCP connection through setup (≤ setup_timeout) and publishing."""

    def __init__(
        self,
        server: RtmpServer,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        remote: str,
        address: str,
    ) -> None:
        self.server = server
        self.address = address
        self.displaced = False
        self.config = server.config
        self.reader = reader
        self.writer = writer
        self.remote = remote
        self.rtmp = RtmpServerConnection(chunk_size=self.config.chunk_size)
        self.session: PublishSession | None = None
        self.resume = asyncio.Event()
        self.unpublished = False
        self.loop = asyncio.get_running_loop()

    async def run(self) -> None:
        reason = "publisher disconnected"
        try:
            async with asyncio.timeout(self.config.setup_timeout):
                async with asyncio.timeout(self.config.handshake_timeout):
                    while self.rtmp.state in (State.HANDSHAKE_C0C1, State.HANDSHAKE_C2):
                        if not await self._exchange():
                            return
                while self.session is None:
                    if not await self._exchange():
                        return
            while True:
                async with asyncio.timeout(self.config.idle_timeout):
                    if not await self._exchange():
                        return
                    if not self.resume.is_set():
                        await self.resume.wait()  # decoder behind: TCP backpressure
        except TimeoutError:
            reason = f"timed out while {self.rtmp.state.value}"
            self.server.limited_log.log(
                logging.WARNING, reason, "rtmp %s: %s, dropping the connection", self.remote, reason
            )
        except RtmpProtocolError as exc:
            reason = f"protocol error: {exc}"
            log.warning("rtmp %s: %s, dropping the connection", self.remote, reason)
        except (ConnectionError, OSError) as exc:
            reason = f"connection error: {exc}"
            log.info("rtmp %s: %s", self.remote, reason)
        except asyncio.CancelledError:
            reason = "dropped by the server"
            raise
        except Exception:  # a bug must cost one connection, never the server
            reason = "internal error"
            log.exception("rtmp %s: internal error, dropping the connection", self.remote)
        finally:
            if self.session is not None:
                self.session.finish(reason)  # keeps an earlier reason (unpublish, decoder)
                log.info(
                    "rtmp %s: publish to %s ended: %s",
                    self.remote,
                    self.session.stream_name,
                    self.session.end_reason,
                )
            self.writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.writer.wait_closed(), timeout=1)

    async def _exchange(self) -> bool:
        """Read once, handle the events, send replies; False once the connection is over."""
        data = await self.reader.read(_READ_SIZE)
        if not data:
            if self.session is None and not self.displaced:
                log.info("rtmp %s: closed during %s", self.remote, self.rtmp.state.value)
            return False
        self._handle(self.rtmp.receive_data(data))
        if self.session is None and self.rtmp.state in _SETUP_PROGRESS:
            self.server.admission.progressed(self, _SETUP_PROGRESS[self.rtmp.state])
        reply = self.rtmp.data_to_send()
        if reply:
            self.writer.write(reply)
            await self.writer.drain()
        return self.rtmp.state is not State.CLOSED and not self.unpublished

    def _handle(self, events: list[RtmpEvent]) -> None:
        pending = collections.deque(events)
        while pending:
            event = pending.popleft()
            if isinstance(event, MediaReceived):
                if self.session is not None and not self.session.write_media(event):
                    self.resume.clear()
            elif isinstance(event, ConnectRequested):
                if event.app != self.config.app:
                    log.warning("rtmp %s: refused, unknown app %r", self.remote, event.app)
                    self.server.counts["refused-app"] += 1
                    self.rtmp.reject_connect(f"unknown application {event.app!r}")
                    return
                pending.extend(self.rtmp.accept_connect())
            elif isinstance(event, PublishRequested):
                if not self._admit(event):
                    return
                pending.extend(self.rtmp.accept_publish())
            elif isinstance(event, UnpublishRequested) and self.session is not None:
                self.session.finish("publisher unpublished")
                self.unpublished = True  # nothing more to take from this connection

    def _admit(self, event: PublishRequested) -> bool:
        """Check key and stream availability; on refusal queue the error status."""
        stream_name = self.config.stream_for_key(event.stream_key)
        if stream_name is None:
            locked = self.server.admission.key_failed(time.monotonic(), self.address)
            self.server.limited_log.log(
                logging.WARNING,
                "invalid key, locked" if locked else "invalid key",
                "rtmp %s: refused publish, invalid stream key%s",
                self.remote,
                "; address locked out" if locked else "",
            )
            self.rtmp.reject_publish("NetStream.Publish.Denied", "invalid stream key")
            self.server.counts["refused-key"] += 1
            return False
        pipe = FlvPipe(
            high_water=self.config.buffer_high_water,
            low_water=self.config.buffer_low_water,
            on_drained=self._drained_threadsafe,
        )
        claimed = self.server.channel(stream_name).claim(self.remote, pipe)
        if isinstance(claimed, str):
            log.warning("rtmp %s: refused publish to %s: %s", self.remote, stream_name, claimed)
            self.rtmp.reject_publish("NetStream.Publish.BadName", claimed)
            self.server.counts["refused-busy"] += 1
            return False
        claimed._disconnect_callback = self._disconnect_threadsafe
        self.server.admission.authenticated(self)
        self.session = claimed
        self.resume.set()
        log.info("rtmp %s: publishing to stream %s", self.remote, stream_name)
        self.server.counts["publish"] += 1
        return True

    def displace(self) -> None:
        """Another connection needs this one's slot (it has not shown a key): close it now."""
        self.displaced = True
        self.writer.transport.abort()

    def _drained_threadsafe(self) -> None:
        with contextlib.suppress(RuntimeError):  # loop closed: nothing left to resume
            self.loop.call_soon_threadsafe(self.resume.set)

    def _disconnect_threadsafe(self) -> None:
        def drop() -> None:
            if self.session is not None:
                self.session.finish("dropped by the decoder")
            self.writer.close()
            self.resume.set()

        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(drop)
