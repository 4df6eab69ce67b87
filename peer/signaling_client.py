"""Socket.IO client of the swarm signaling server (docs/protocol.md §4) for the Python peer:
connect with a viewer token, join one swarm (and leave it), relay SDP to neighbours, report bad
peers, beacon to the operator and hear its `control` (§4.7). Every
server payload is validated with `protocol.signaling_schema` before use, and `neighbours` events
follow the ordering rule of §4.3 (`peer.neighbour_view`) before the consumer sees them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import socketio

from swarmcast.peer.neighbour_view import NeighbourView
from swarmcast.protocol import signaling_schema as schema
from swarmcast.protocol.beacon_schema import (
    EVENT_BEACON,
    EVENT_CONTROL,
    Control,
    parse_beacon_ack,
    parse_control,
)

log = logging.getLogger(__name__)

NeighboursHandler = Callable[[schema.NeighboursUpdate], Awaitable[None]]
SignalHandler = Callable[[schema.RelayedSignal], Awaitable[None]]
DisconnectHandler = Callable[[str], Awaitable[None]]
ControlHandler = Callable[[Control], Awaitable[None]]

ACK_TIMEOUT_S = 10.0


class SignalingRefused(RuntimeError):
    """The server refused the connection or an event (`code` as in docs/protocol.md §4)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


class SignalingClient:
    """One connection to namespace `/swarm`; handlers are called for server events.

    `on_neighbours` gets only events that apply to the swarm of the latest join, after that
    join's ack, one at a time in arrival order; `join` returns the ack with the neighbour set as
    it stands once the events that overtook the ack are applied (§4.3)."""

    def __init__(
        self,
        on_neighbours: NeighboursHandler,
        on_signal: SignalHandler,
        on_disconnect: DisconnectHandler,
        on_control: ControlHandler | None = None,
    ) -> None:
        self._on_neighbours = on_neighbours
        self._on_control = on_control
        self._on_signal = on_signal
        self._on_disconnect = on_disconnect
        self._refusal: SignalingRefused | None = None
        self.view = NeighbourView()
        # One join at a time, so each ack is matched with the events buffered for it.
        self._join_lock = asyncio.Lock()
        # asyncio.Lock wakes waiters in FIFO order: the consumer sees events one at a time, in
        # arrival order (a remove and a later re-add of one id must not overlap).
        self._delivery_lock = asyncio.Lock()
        # The peer reconnects by itself (with a fresh token), so Socket.IO must not. Nor may it
        # take SIGINT: its handler (installed at connect) cancels every task, so `swarmcast
        # peer` died on Ctrl-C without printing its final stats.
        self.sio = socketio.AsyncClient(reconnection=False, handle_sigint=False)
        ns = schema.NAMESPACE
        self.sio.on(schema.EVENT_NEIGHBOURS, self._neighbours, namespace=ns)
        self.sio.on("signal", self._signal, namespace=ns)
        self.sio.on(schema.EVENT_ERROR, self._error, namespace=ns)
        self.sio.on("connect_error", self._connect_error, namespace=ns)
        self.sio.on("disconnect", self._disconnected, namespace=ns)
        self.sio.on(EVENT_CONTROL, self._control, namespace=ns)

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

    @property
    def neighbours(self) -> Mapping[str, schema.NeighbourEntry]:
        """The current neighbour set (server's view once the events in flight are applied)."""
        return self.view.neighbours

    @property
    def swarm(self) -> str | None:
        return self.view.swarm

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
        async with self._join_lock:
            self.view.join_started()  # before the emit: events may overtake the ack
            try:
                reply = await self._call(schema.EVENT_JOIN, payload)
                ack = schema.parse_join_ack(reply)
            except BaseException as exc:
                missed = self.view.join_failed()
                if isinstance(exc, Exception):  # not when cancelled: the caller is going away
                    for update in missed:
                        await self._deliver(update)
                if isinstance(exc, schema.SchemaError):
                    raise SignalingRefused(exc.code, str(exc)) from None
                raise
            return self.view.join_acked(ack)

    async def signal(self, to: str, kind: str, data: dict[str, Any]) -> None:
        await self._call(schema.EVENT_SIGNAL, {"to": to, "kind": kind, "data": data})

    async def report(self, peer_id: str, reason: str, seq: int | None = None) -> None:
        payload: dict[str, Any] = {"peer_id": peer_id, "reason": reason}
        if seq is not None:
            payload["seq"] = seq
        await self._call(schema.EVENT_REPORT, payload)

    async def path(self, peer_id: str, path: str) -> None:
        """Tell signaling how the link to `peer_id` opened: "direct" or "relay" (§4.2)."""
        await self._call(schema.EVENT_PATH, {"peer_id": peer_id, "path": path})

    async def beacon(self, payload: dict[str, Any]) -> Control:
        """Send a beacon; returns the stream's control from the ack (§4.7)."""
        reply = await self._call(EVENT_BEACON, payload)
        return parse_beacon_ack(reply)

    async def leave(self) -> None:
        """Leave the swarm, stay connected (beacons and control still flow)."""
        self.view.reset()  # events of the old swarm no longer apply
        await self._call(schema.EVENT_LEAVE, {})

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
        # Synchronous up to here: python-socketio runs each packet in its own task, started in
        # arrival order, so the view sees events (and the join ack) in the order they came.
        current = self.view.event(update)
        if current is not None:
            await self._deliver(current)

    async def _deliver(self, update: schema.NeighboursUpdate) -> None:
        async with self._delivery_lock:
            await self._on_neighbours(update)

    async def _signal(self, data: object) -> None:
        try:
            relayed = schema.parse_relayed_signal(data)
        except schema.SchemaError as exc:
            log.warning("ignoring malformed signal: %s", exc)
            return
        await self._on_signal(relayed)

    async def _control(self, data: object) -> None:
        try:
            control = parse_control(data)
        except schema.SchemaError as exc:
            log.warning("ignoring malformed control: %s", exc)
            return
        if self._on_control is not None:
            await self._on_control(control)

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
        self.view.reset()
        await self._on_disconnect(str(args[0]) if args else "disconnected")
