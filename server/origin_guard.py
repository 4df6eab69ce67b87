"""The origin's front door against slow and numerous connections (docs/security.md §5.1).

aiohttp has no request-header timeout and no connection cap, so a client that opens
connections and never finishes its headers holds file descriptors until the process (and the
segmenter inside it) runs out. `GuardedTCPSite` wraps each aiohttp protocol in `_Guarded`:

- every connection takes a slot in `ConnectionSlots` (segmenter/conn_slots.py): at most
  `max_connections_per_address` per address and `max_connections` in all, sized so that
  `reserved_fds` descriptors always stay free for the segmenter; a connection is *proven* once
  one complete request header arrived, and a newcomer displaces an unproven one (silent or
  trickling, oldest first) instead of being refused;
- a request's header must be complete within `header_timeout_s` of its first byte (of the
  connection, for the first request), or the connection is closed;
- idle keep-alive connections close after aiohttp's `keepalive_timeout`.

The byte-level view here only finds where headers end (and skips Content-Length bodies); all
HTTP parsing stays aiohttp's. Upgraded (WebSocket) and chunked connections are not followed
further once proven.
"""

from __future__ import annotations

import asyncio
import logging
import re
import resource
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from swarmcast.segmenter.conn_slots import ConnectionSlots
from swarmcast.segmenter.log_limit import RateLimitedLog

log = logging.getLogger(__name__)

_HEADER_END = b"\r\n\r\n"
_MAX_HEADER_BYTES = 256 * 1024  # aiohttp refuses far smaller header blocks itself
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d{1,18})[ \t]*\r\n", re.IGNORECASE)
_UNTRACKED = re.compile(rb"\r\n(upgrade|transfer-encoding):", re.IGNORECASE)


@dataclass(frozen=True)
class GuardLimits:
    header_timeout_s: float
    max_connections: int
    max_connections_per_address: int


def raise_fd_limit(reserved_fds: int, wanted_connections: int, backlog: int) -> int:
    """Raise the soft RLIMIT_NOFILE to the hard limit; return how many connections fit while
    `reserved_fds` stay free. Each connection may hold a second descriptor for a file it
    sends (hence the halving), and asyncio accepts up to `backlog` sockets at a time before
    any of them reaches the guard, a few batches of which may be in flight."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as exc:
            log.warning("could not raise the descriptor limit from %d: %s", soft, exc)
    budget = max(1, (soft - reserved_fds - 3 * backlog) // 2)
    if budget < wanted_connections:
        log.warning(
            "descriptor limit %d: at most %d HTTP connections (keeping %d for the segmenter)",
            soft,
            budget,
            reserved_fds,
        )
    return min(budget, wanted_connections)


class ConnectionGuard:
    """Shared by every connection of one site (one event loop, so no locking)."""

    def __init__(self, limits: GuardLimits) -> None:
        self.limits = limits
        self.slots = ConnectionSlots(limits.max_connections, limits.max_connections_per_address)
        self.limited_log = RateLimitedLog(log)
        self.refused = 0
        self.displaced = 0
        self.header_timeouts = 0


class _Guarded(asyncio.Protocol):
    """Wraps one aiohttp `RequestHandler`: slots, header timeout, then plain delegation."""

    def __init__(self, inner: Any, guard: ConnectionGuard) -> None:
        self.inner = inner
        self.guard = guard
        self.transport: asyncio.Transport | None = None
        self.admitted = False
        self.tracking = True
        self.header = bytearray()
        self.body_left = 0
        self.timer: asyncio.TimerHandle | None = None

    # -- asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        address = str(peer[0]) if isinstance(peer, tuple) else str(peer)
        decision = self.guard.slots.admit(time.monotonic(), self, address)
        if not decision.admitted:
            self.guard.refused += 1
            self.guard.limited_log.log(
                logging.WARNING, decision.reason, "origin: refused %s: %s", address, decision.reason
            )
            transport.abort()
            return
        for victim in decision.evict:
            if isinstance(victim, _Guarded):
                victim.close("displaced")
        if decision.evict:
            self.guard.displaced += len(decision.evict)
            self.guard.limited_log.log(
                logging.WARNING, "displaced", "origin: %s: %s", address, decision.reason
            )
        self.admitted = True
        self._arm()
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if not self.admitted:
            return
        if self.tracking:
            self._follow(data)
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received() if self.admitted else None

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self.admitted:
            self.admitted = False
            self.guard.slots.closed(self)
            self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()

    # -- header tracking -------------------------------------------------------------------

    def _follow(self, data: bytes) -> None:
        """Find where request headers end; a header block is timed from its first byte."""
        view = memoryview(data)
        while view and self.tracking:
            if self.body_left:
                taken = min(self.body_left, len(view))
                self.body_left -= taken
                view = view[taken:]
                continue
            if not self.header and self.timer is None:
                self._arm()  # the first byte of the next request
            before = len(self.header)
            self.header += view[: _MAX_HEADER_BYTES + 4 - before]
            end = self.header.find(_HEADER_END, max(0, before - 3))
            if end < 0:
                view = view[len(view) :]
                if len(self.header) > _MAX_HEADER_BYTES:
                    self.tracking = False  # aiohttp answers 431/400 and closes
                    self._disarm()
                continue
            self._header_done(bytes(self.header[: end + 4]))
            view = view[end + 4 - before :]

    def _header_done(self, header: bytes) -> None:
        self._disarm()
        self.header.clear()
        self.guard.slots.proven(self)
        if _UNTRACKED.search(header):
            self.tracking = False  # a WebSocket or a chunked body: aiohttp's business now
            return
        length = _CONTENT_LENGTH.search(header)
        self.body_left = int(length.group(1)) if length else 0

    def _arm(self) -> None:
        self._disarm()
        loop = asyncio.get_running_loop()
        self.timer = loop.call_later(self.guard.limits.header_timeout_s, self._header_timeout)

    def _disarm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _header_timeout(self) -> None:
        self.timer = None
        self.guard.header_timeouts += 1
        self.guard.limited_log.log(
            logging.INFO, "header timeout", "origin: closing a connection: no complete header"
        )
        self.close("header timeout")

    def close(self, reason: str) -> None:
        self._disarm()
        if self.transport is not None:
            self.transport.abort()


def quiet_accept_errors(loop: asyncio.AbstractEventLoop) -> None:
    """asyncio logs a traceback for every failed accept (up to `backlog` per wake-up: 163k
    lines in 30 s when descriptors ran out); keep one line per 5 s of those."""
    limited = RateLimitedLog(log)
    default = loop.get_exception_handler()

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        message = str(context.get("message", ""))
        if "out of system resource" in message:
            limited.log(
                logging.ERROR, "accept", "origin: %s: %s", message, context.get("exception")
            )
        elif default is not None:
            default(loop, context)
        else:
            loop.default_exception_handler(context)

    loop.set_exception_handler(handler)


class GuardedTCPSite(web.TCPSite):
    """`web.TCPSite` whose connections go through one `ConnectionGuard`."""

    def __init__(
        self, runner: web.BaseRunner, host: str, port: int, guard: ConnectionGuard, backlog: int
    ):
        super().__init__(runner, host, port, backlog=backlog)
        self.guard = guard

    async def start(self) -> None:
        await web.BaseSite.start(self)
        loop = asyncio.get_running_loop()
        server = self._runner.server
        assert server is not None
        guard = self.guard
        self._server = await loop.create_server(
            lambda: _Guarded(server(), guard),
            self._host,
            self._port,
            backlog=self._backlog,
            reuse_address=self._reuse_address,
            reuse_port=self._reuse_port,
        )
