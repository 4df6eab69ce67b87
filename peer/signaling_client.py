"""Socket.IO client of the swarm signaling server (docs/protocol.md §4) for the Python peer:
connect with a viewer token, join one swarm, relay SDP to neighbours, report bad peers. Every
server payload is validated with `protocol.signaling_schema` before use."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import socketio

from protocol import signaling_schema as schema

log = logging.getLogger(__name__)

NeighboursHandler = Callable[[schema.NeighboursUpdate], Awaitable[None]]
SignalHandler = Callable[[schema.RelayedSignal], Awaitable[None]]
DisconnectHandler = Callable[[str], Awaitable[None]]

ACK_TIMEOUT_S = 10.0


class SignalingRefused(RuntimeError):
    """The server refused the connection or an event (`code` as in docs/protocol.md §4)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


class SignalingClient:
    """One connection to namespace `/swarm`; handlers are called for server events."""

    def __init__(
        self,
        on_neighbours: NeighboursHandler,
        on_signal: SignalHandler,
        on_disconnect: DisconnectHandler,
    ) -> None:
        self._on_neighbours = on_neighbours
        self._on_signal = on_signal
        self._on_disconnect = on_disconnect
        self._refusal: SignalingRefused | None = None
        # The peer reconnects by itself (with a fresh token), so Socket.IO must not.
        self.sio = socketio.AsyncClient(reconnection=False)
        ns = schema.NAMESPACE
        self.sio.on(schema.EVENT_NEIGHBOURS, self._neighbours, namespace=ns)
        self.sio.on("signal", self._signal, namespace=ns)
        self.sio.on(schema.EVENT_ERROR, self._error, namespace=ns)
        self.sio.on("connect_error", self._connect_error, namespace=ns)
        self.sio.on("disconnect", self._disconnected, namespace=ns)

    async def connect(self, url: str, token: str) -> None:
        try:
            await self.sio.connect(
                url,
                auth={"token": token},
                namespaces=[schema.NAMESPACE],
                socketio_path=schema.SOCKETIO_PATH,
                transports=["websocket"],
                wait_timeout=ACK_TIMEOUT_S,
            )
        except socketio.exceptions.ConnectionError as exc:
            if self._refusal is not None:
                raise self._refusal from None
            raise SignalingRefused("connect-failed", str(exc)) from None

    async def join(
        self,
        stream: str,
        rendition: str,
        *,
        seeder: bool,
        upload_budget_bps: int,
        max_neighbours: int | None,
    ) -> schema.JoinAck:
        capabilities: dict[str, Any] = {"upload_budget_bps": upload_budget_bps, "seeder": seeder}
        if max_neighbours is not None:
            capabilities["max_neighbours"] = max_neighbours
        payload = {"stream": stream, "rendition": rendition, "capabilities": capabilities}
        reply = await self._call(schema.EVENT_JOIN, payload)
        try:
            return schema.parse_join_ack(reply)
        except schema.SchemaError as exc:
            raise SignalingRefused(exc.code, str(exc)) from None

    async def signal(self, to: str, kind: str, data: dict[str, Any]) -> None:
        await self._call(schema.EVENT_SIGNAL, {"to": to, "kind": kind, "data": data})

    async def report(self, peer_id: str, reason: str, seq: int | None = None) -> None:
        payload: dict[str, Any] = {"peer_id": peer_id, "reason": reason}
        if seq is not None:
            payload["seq"] = seq
        await self._call(schema.EVENT_REPORT, payload)

    async def close(self) -> None:
        await self.sio.disconnect()

    async def _call(self, event: str, payload: dict[str, Any]) -> object:
        """Send an event; returns the raw ack (join) after refusals were turned into errors."""
        reply: object = await self.sio.call(
            event, payload, namespace=schema.NAMESPACE, timeout=ACK_TIMEOUT_S
        )
        try:
            schema.parse_ack(reply)
        except schema.SchemaError as exc:
            raise SignalingRefused(exc.code, str(exc)) from None
        return reply

    # --- server events --------------------------------------------------------------------

    async def _neighbours(self, data: object) -> None:
        try:
            update = schema.parse_neighbours_event(data)
        except schema.SchemaError as exc:
            log.warning("ignoring malformed neighbours event: %s", exc)
            return
        await self._on_neighbours(update)

    async def _signal(self, data: object) -> None:
        try:
            relayed = schema.parse_relayed_signal(data)
        except schema.SchemaError as exc:
            log.warning("ignoring malformed signal: %s", exc)
            return
        await self._on_signal(relayed)

    async def _error(self, data: object) -> None:
        try:
            body = schema.parse_error_body(data)
        except schema.SchemaError:
            return
        log.warning("signaling error: %s: %s", body.code, body.message)

    async def _connect_error(self, data: object) -> None:
        # python-socketio hands over the CONNECT_ERROR payload: {"message": code, "data":
        # {code, message}} (or just the body, depending on the version).
        body: object = data.get("data", data) if isinstance(data, dict) else data
        try:
            error = schema.parse_error_body(body)
            self._refusal = SignalingRefused(error.code, error.message)
        except schema.SchemaError:
            self._refusal = SignalingRefused("connect-refused", str(data))

    async def _disconnected(self, *args: object) -> None:
        await self._on_disconnect(str(args[0]) if args else "disconnected")
