"""ICE restart under an aiortc peer connection (RFC 9725 §4.3.2): aiortc has none of its own.

An ICE restart replaces the ICE agent (new credentials, new candidates, new checks) while the
DTLS association, SRTP keys and tracks above it carry on. `RestartableIce` stands in for the
aioice `Connection` inside aiortc's `RTCIceTransport`: every attribute goes to the current
connection, and `recv`/`send`/`get_event` follow it when a restart swaps in a new one. The
old connection is closed only once the new one has connected, so media keeps flowing over
the old path (if it still works) until then; a restart that fails leaves the old one alone.

Used by the WHIP server (`WhipSession`) and the Python WHIP client alike:

    ice = RestartableIce.install(pc)               # after setRemoteDescription/setLocalDescription
    local = await ice.prepare()                    # new ufrag/pwd + gathered candidates
    ice.start(remote_ufrag, remote_pwd, remote_candidates, end_of_candidates)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from aioice import Connection
from aioice.ice import ConnectionClosed
from aiortc import RTCIceCandidate, RTCPeerConnection
from aiortc.rtcicetransport import (
    RTCIceTransport,
    candidate_from_aioice,
    candidate_to_aioice,
    connection_kwargs,
)

log = logging.getLogger(__name__)

_OWN = frozenset({"current", "pending", "restarts", "_task"})


@dataclass(frozen=True, slots=True)
class IceParameters:
    ufrag: str
    pwd: str
    candidates: tuple[RTCIceCandidate, ...]


class RestartableIce:
    def __init__(self, connection: Connection) -> None:
        object.__setattr__(self, "current", connection)
        object.__setattr__(self, "pending", None)
        object.__setattr__(self, "restarts", 0)
        object.__setattr__(self, "_task", None)

    current: Connection
    pending: Connection | None
    restarts: int
    _task: asyncio.Task[None] | None

    @classmethod
    def install(cls, pc: RTCPeerConnection) -> RestartableIce:
        """Put one stand-in under the (bundled) ICE transport of `pc`. Call after the remote
        description is set and before the transport starts (aiortc starts it in a task)."""
        transports = {
            id(t.receiver.transport.transport): t.receiver.transport.transport
            for t in pc.getTransceivers()
        }
        if len(transports) != 1:
            raise ValueError("ICE restart needs exactly one (bundled) ICE transport")
        transport: RTCIceTransport = next(iter(transports.values()))
        ice = cls(transport._connection)
        transport._connection = ice  # type: ignore[assignment]
        transport._recv = ice.recv
        transport._send = ice.send
        return ice

    # -- the aioice Connection interface aiortc uses --------------------------------------

    def __getattr__(self, name: str) -> Any:
        return getattr(self.current, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _OWN:
            object.__setattr__(self, name, value)
        else:
            setattr(self.current, name, value)

    async def recv(self) -> bytes:
        while True:
            connection = self.current
            try:
                return await connection.recv()
            except ConnectionError:
                if self.current is connection:
                    raise  # the connection in use failed: no restart took it over

    async def send(self, data: bytes) -> None:
        await self.current.send(data)

    async def get_event(self) -> Any:
        while True:
            connection = self.current
            event = await connection.get_event()
            if (event is None or isinstance(event, ConnectionClosed)) and (
                self.current is not connection
            ):
                continue  # a restart retired that connection: watch the new one
            return event

    async def close(self) -> None:
        await self._drop_pending()
        await self.current.close()

    # -- restarts ----------------------------------------------------------------------------

    async def prepare(self) -> IceParameters:
        """A new ICE agent with fresh credentials and gathered candidates (not yet checking)."""
        await self._drop_pending()
        connection = Connection(
            ice_controlling=self.current.ice_controlling, **connection_kwargs([])
        )
        await connection.gather_candidates()
        self.pending = connection
        return IceParameters(
            connection.local_username,
            connection.local_password,
            tuple(candidate_from_aioice(c) for c in connection.local_candidates),
        )

    async def start(
        self, ufrag: str, pwd: str, candidates: list[RTCIceCandidate], end: bool
    ) -> None:
        """Give the prepared agent the peer's parameters and connect it in the background;
        it replaces the current one once connected."""
        connection = self.pending
        if connection is None:
            raise RuntimeError("prepare() first")
        connection.remote_username, connection.remote_password = ufrag, pwd
        await self.add_pending_candidates(candidates, end)
        self._task = asyncio.create_task(self._connect(connection), name="ice-restart")

    async def add_pending_candidates(self, candidates: list[RTCIceCandidate], end: bool) -> None:
        """Trickled candidates for the restart in progress."""
        connection = self.pending
        if connection is None:
            return
        for candidate in candidates:
            await connection.add_remote_candidate(candidate_to_aioice(candidate))
        if end:
            await connection.add_remote_candidate(None)

    async def wait_restarted(self) -> bool:
        """True once the last restart has connected and taken over."""
        task = self._task
        if task is not None:
            await asyncio.shield(task)
        return self.pending is None and self.restarts > 0

    async def _connect(self, connection: Connection) -> None:
        try:
            await connection.connect()
        except ConnectionError:
            # Say what the checks had to go on, so a failure in a log explains itself.
            pairs = getattr(connection, "_check_list", [])
            log.warning(
                "ICE restart failed; keeping the previous path (%d remote candidates, pairs %s)",
                len(connection.remote_candidates),
                ", ".join(
                    f"{p.remote_candidate.host}:{p.remote_candidate.port} {p.state.name}"
                    for p in pairs
                )
                or "none",
            )
            if self.pending is connection:
                await self._drop_pending()
            return
        if self.pending is not connection:
            return  # superseded by a newer restart
        old = self.current
        self.current = connection
        self.pending = None
        self.restarts += 1
        log.info("ICE restart completed (%d so far)", self.restarts)
        with contextlib.suppress(Exception):
            await old.close()

    async def _drop_pending(self) -> None:
        pending, self.pending = self.pending, None
        if pending is not None:
            with contextlib.suppress(Exception):
                await pending.close()


def sdpfrag(params: IceParameters, media_line: str, mid: str) -> str:
    """An `application/trickle-ice-sdpfrag` body announcing `params` (RFC 8840)."""
    lines = [f"a=ice-ufrag:{params.ufrag}", f"a=ice-pwd:{params.pwd}", media_line, f"a=mid:{mid}"]
    lines += [f"a=candidate:{_candidate_sdp(c)}" for c in params.candidates]
    lines.append("a=end-of-candidates")
    return "\r\n".join(lines) + "\r\n"


def _candidate_sdp(candidate: RTCIceCandidate) -> str:
    from aiortc.sdp import candidate_to_sdp

    return str(candidate_to_sdp(candidate))
