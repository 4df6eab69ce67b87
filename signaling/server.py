"""The Socket.IO signaling server (docs/protocol.md §4): tokens on connect, swarms, neighbour
matching, SDP/ICE relay between neighbours only, reports and bans, per-connection limits.

`attach_signaling(app, config, token_secret)` mounts it on an aiohttp app (the origin's, or the
standalone one of `swarmcast signaling`). Swarm state lives in a `SwarmStore`; decisions are
made by the pure `swarm_matcher`; this module only translates events and enforces limits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Collection
from typing import Any

import redis.asyncio as aioredis
import socketio
from aiohttp import web
from prometheus_client import CollectorRegistry

from swarmcast.protocol import signaling_schema as schema
from swarmcast.protocol.beacon_schema import EVENT_BEACON
from swarmcast.signaling.admin_routes import attach_operator
from swarmcast.signaling.admission import Verdict
from swarmcast.signaling.closer import Closer
from swarmcast.signaling.config import SignalingConfig
from swarmcast.signaling.conn_limits import room_refusal
from swarmcast.signaling.connect_admission import ConnectAdmission
from swarmcast.signaling.control import ControlStore
from swarmcast.signaling.ice import ice_servers_for, signal_for_stream
from swarmcast.signaling.log_limit import RateLimitedLogger
from swarmcast.signaling.metrics import SignalingMetrics, live_counts
from swarmcast.signaling.moderation import Moderation
from swarmcast.signaling.neighbour_events import (
    arrivals,
    current_entries,
    joined_entries,
    neighbour_updates,
)
from swarmcast.signaling.operator_plane import OperatorPlane
from swarmcast.signaling.reachability import Reachability
from swarmcast.signaling.session import Session, peer_room
from swarmcast.signaling.swarm_matcher import (
    MatchConfig,
    MatchPlan,
    PeerInfo,
    SwarmView,
    plan_join,
    plan_leave,
    plan_unlink,
)
from swarmcast.signaling.swarm_snapshot import swarms_snapshot
from swarmcast.signaling.swarm_store import InMemorySwarmStore, SwarmStore

log = logging.getLogger(__name__)

Reply = dict[str, Any]
Clock = Callable[[], float]
# The renditions a stream has (None: no such stream); see attach_signaling.
RenditionLookup = Callable[[str], Awaitable[Collection[str] | None]]
BLAMING_REASONS = ("bad-piece", "protocol-error")


class SignalingServer:
    """One python-socketio AsyncServer serving namespace `/swarm`."""

    def __init__(
        self,
        config: SignalingConfig,
        token_secret: bytes,
        *,
        store: SwarmStore | None = None,
        client_manager: socketio.AsyncManager | None = None,
        renditions: RenditionLookup | None = None,
        clock: Clock = time.time,
        monotonic: Clock = time.monotonic,
        registry: CollectorRegistry | None = None,
        controls: ControlStore | None = None,
        ops_redis: aioredis.Redis | None = None,
    ) -> None:
        if len(token_secret) < 16:
            raise ValueError("token_secret must be at least 16 bytes")
        self.config = config
        self.store: SwarmStore = store if store is not None else InMemorySwarmStore()
        self._renditions = renditions
        self._clock = clock
        self._monotonic = monotonic
        self._match = MatchConfig(good_upload_bps=config.good_upload_bps)
        self.moderation = Moderation(config, self.store)
        self._sessions: dict[str, Session] = {}
        self._closer = Closer(self._disconnect, config.join_timeout_s)
        self.sio = socketio.AsyncServer(
            async_mode="aiohttp",
            # Inline handlers keep one client's events in order (an offer before its
            # candidates); each client has its own reader task, so others are not delayed.
            async_handlers=False,
            max_http_buffer_size=schema.MAX_PACKET_BYTES,
            # Page origins are checked in `_on_connect`, where a refusal can say why
            # (docs/protocol.md §4.1); Engine.IO's own check would only break the socket.
            cors_allowed_origins="*",
            cors_credentials=False,
            client_manager=client_manager,
            logger=False,
            # One rate-limited line per malformed packet, never a traceback (issue 9, 7).
            engineio_logger=RateLimitedLogger(logging.getLogger("signaling.engineio")),
        )
        self.registry = registry if registry is not None else CollectorRegistry()
        self.metrics = SignalingMetrics(self.registry, lambda: live_counts(self._sessions.values()))
        self._admission = ConnectAdmission(
            config, token_secret, self.moderation, self.metrics, clock, monotonic
        )
        ops_redis = ops_redis or getattr(self.store, "client", None)  # RedisSwarmStore's
        self.plane = OperatorPlane(self.sio, config, self.registry, controls, ops_redis, clock)
        self.reach = Reachability(self.store, self.plane.book.upload_capacity)
        handlers: dict[str, Callable[[Session, object], Awaitable[Reply]]] = {
            schema.EVENT_JOIN: self._on_join,
            schema.EVENT_SIGNAL: self._on_signal,
            schema.EVENT_REPORT: self._on_report,
            schema.EVENT_LEAVE: self._on_leave,
            EVENT_BEACON: self.plane.on_beacon,
            schema.EVENT_PATH: self.reach.on_path,
        }
        ns = schema.NAMESPACE
        self.sio.on("connect", self._on_connect, namespace=ns)
        self.sio.on("disconnect", self._on_disconnect, namespace=ns)
        for event, handler in handlers.items():
            self.sio.on(event, self.metrics.counted(event, self._guarded(event, handler)), ns)
        self.sio.on("*", self.metrics.counted("*", self._on_unknown_event), namespace=ns)

    def attach(self, app: web.Application) -> None:
        self.sio.attach(app, socketio_path=schema.SOCKETIO_PATH)
        attach_operator(app, self)  # /metrics, /admin

        async def on_shutdown(app: web.Application) -> None:
            await self.close()

        app.on_startup.append(self.plane.on_startup)
        app.on_shutdown.append(on_shutdown)

    async def close(self) -> None:
        """Stop Socket.IO's background work: engine.io pings and a pub/sub manager's listener
        (the store belongs to whoever passed it in)."""
        await self.plane.close()
        self._closer.close()
        await self.sio.shutdown()
        manager: Any = self.sio.manager
        listener = getattr(manager, "thread", None)
        if isinstance(listener, asyncio.Task) and not listener.done():
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
        for name in ("pubsub", "redis"):
            connection = getattr(manager, name, None)
            closer = getattr(connection, "aclose", None)
            if closer is not None:
                with contextlib.suppress(Exception):
                    await closer()

    @property
    def connection_count(self) -> int:
        return len(self._sessions)

    # -- connection lifecycle ------------------------------------------------------------

    async def _on_connect(self, sid: str, environ: dict[str, Any], auth: object = None) -> None:
        if sid in self._sessions:  # a client emitting an event named "connect"
            return
        session = await self._admission.admit(sid, environ, auth)
        self._sessions[sid] = session
        self._closer.arm(session)
        await self.sio.enter_room(sid, peer_room(session.peer_id), namespace=schema.NAMESPACE)
        await self.plane.connected(session)
        self.metrics.connect("ok")

    async def _disconnect(self, sid: str) -> None:
        await self.sio.disconnect(sid, namespace=schema.NAMESPACE)

    async def _on_disconnect(self, sid: str, reason: object = None) -> None:
        if self.sio.manager.is_connected(sid, schema.NAMESPACE):
            return  # a client emitting an event named "disconnect": not a disconnect
        session = self._sessions.pop(sid, None)
        if session is None:
            return
        self.plane.disconnected(session)
        self._admission.release(session)
        self._closer.disarm(session)
        async with session.lock:
            session.closed = True
            await self._leave_swarm(session)

    # -- event plumbing ------------------------------------------------------------------

    def _guarded(
        self, event: str, handler: Callable[[Session, object], Awaitable[Reply]]
    ) -> Callable[..., Awaitable[Any]]:
        """Rate limit, argument shape, and error translation around one event handler."""

        async def run(sid: str, *args: object) -> Any:
            session = self._sessions.get(sid)
            if session is None:
                return schema.error_ack("not-joined", "not connected")
            refusal = await self._admit(session, event)
            if refusal is not None:
                return refusal
            if len(args) > 1:
                return schema.error_ack("bad-request", f"{event} takes one argument")
            try:
                return await handler(session, args[0] if args else None)
            except schema.SchemaError as error:
                return schema.error_ack(error.code, error.message)
            except Exception:
                log.exception("signaling: %s from %s failed", event, session.peer_id)
                return schema.error_ack("internal", "internal error")

        return run

    async def _admit(self, session: Session, event: str) -> Any:
        """None when the event may run; else what to answer: the refusal ack, or
        `sio.not_handled` (no answer at all) once the connection is being closed."""
        verdict = session.gate.admit(event == schema.EVENT_JOIN, self._monotonic())
        if verdict is Verdict.ALLOW:
            if session.swarm is None:  # alive (e.g. beacons while P2P is off): not idle
                self._closer.arm(session)
            return None
        if verdict is Verdict.DROP:
            return self.sio.not_handled
        if verdict is Verdict.REFUSE_AND_WARN:
            await self._emit_error(session, "rate-limited", "slow down: events are dropped")
        elif verdict is Verdict.REFUSE_AND_CLOSE:
            log.info("signaling: closing flooding connection %s", session.peer_id)
            # After this refusal's ack has gone out: the cut-off answers exactly max_refusals.
            self._closer.later(session.sid)
        return schema.error_ack("rate-limited", f"{event} refused: over the rate limit")

    async def _on_unknown_event(self, event: object, sid: str, *args: object) -> Any:
        session = self._sessions.get(sid)
        if session is not None:
            refusal = await self._admit(session, "*")
            if refusal is not None:
                return refusal
        return schema.error_ack("unknown-event", f"unknown event {str(event)[:32]!r}")

    async def _emit(self, event: str, data: Reply, peer_id: str) -> None:
        try:
            await self.sio.emit(event, data, to=peer_room(peer_id), namespace=schema.NAMESPACE)
        except Exception:  # a vanished client must not fail the sender's event
            log.exception("signaling: emit %s to %s failed", event, peer_id)

    async def _emit_error(self, session: Session, code: str, message: str) -> None:
        await self._emit(schema.EVENT_ERROR, schema.error_body(code, message), session.peer_id)

    # -- events --------------------------------------------------------------------------

    async def _on_join(self, session: Session, data: object) -> Reply:
        request = schema.parse_join(data)
        if request.stream != session.stream:
            return schema.error_ack("token-wrong-stream", "the token is for another stream")
        now = self._clock()
        if await self.moderation.banned(session.stream, session.sub, session.address, now):
            return schema.error_ack("banned", "reported by several peers; try later")
        if refusal := await self.plane.join_refusal(session.stream):
            return refusal
        async with session.lock:
            if session.closed:
                return schema.error_ack("not-joined", "connection closed")
            if session.swarm == request.swarm:
                # Already there: its current neighbours, initiator by the id rule (§4.3).
                view = await self.store.load(request.swarm)
                return self._join_ack(session, current_entries(session.peer_id, view), now, view)
            if self._renditions is not None:
                listed = await self._renditions(request.stream)
                if listed is None or request.rendition not in listed:
                    return schema.error_ack("unknown-rendition", "the stream has no such rendition")
            await self._leave_swarm(session)
            info = self.moderation.peer_info(session, request.capabilities, now)
            async with self.store.locked(request.swarm):
                view = await self.reach.view(request.swarm)
                swarms = await self.store.swarm_names() if not view.peers else []
                full = room_refusal(
                    self.config,
                    request.stream,
                    view,
                    session.address,
                    session.prefix,
                    swarms,
                    session.shared_address,
                )
                if full is not None:
                    return schema.error_ack(*full)
                plan = plan_join(view, info, now, self._match)
                after = await self.store.apply(request.swarm, plan, now)
                # Under the lock: each client gets the updates in the order plans were made.
                await self._notify(request.swarm, plan, after, skip=session.peer_id)
            session.swarm, session.info = request.swarm, info
            self._closer.disarm(session)
        return self._join_ack(session, joined_entries(session.peer_id, plan, after), now, after)

    def _join_ack(
        self,
        session: Session,
        entries: list[schema.NeighbourEntry],
        now: float,
        view: SwarmView,
    ) -> Reply:
        me = session.peer_id
        return schema.join_ack(
            me,
            session.swarm or "",
            entries,
            ice_servers_for(self.config, me, now),
            session.info.max_neighbours if session.info else self.config.max_neighbours,
            "relay" if self.config.relay_only(session.stream) else "all",
            arrivals(me, view, now, self.config.recent_join_window_s),
        )

    async def _on_signal(self, session: Session, data: object) -> Reply:
        request = schema.parse_signal(data)
        if session.swarm is None:
            return schema.error_ack("not-joined", "join a swarm first")
        if request.to not in await self.store.neighbours(session.swarm, session.peer_id):
            return schema.error_ack("not-neighbour", "you may only signal your neighbours")
        if (relayed := signal_for_stream(self.config, session.stream, request)) is None:
            return schema.ok_ack()  # a host/srflx candidate in a relay-only stream: dropped
        request = relayed
        await self._emit(
            schema.EVENT_SIGNAL, schema.relayed_signal(session.peer_id, request), request.to
        )
        return schema.ok_ack()

    async def _on_report(self, session: Session, data: object) -> Reply:
        request = schema.parse_report(data)
        if session.swarm is None:
            return schema.error_ack("not-joined", "join a swarm first")
        now = self._clock()
        async with session.lock:
            swarm, reporter = session.swarm, session.info
            if swarm is None or reporter is None:
                return schema.error_ack("not-joined", "join a swarm first")
            async with self.store.locked(swarm):
                view = await self.reach.view(swarm)
                target = view.peers.get(request.peer_id)
                if target is None or request.peer_id not in view.neighbours(session.peer_id):
                    return schema.error_ack("not-neighbour", "you may only report neighbours")
                if request.reason == "unreachable":  # the repair links below know it already
                    await self.reach.failed(swarm, session.peer_id, target.peer_id)
                    view = await self.reach.annotate(swarm, view)
                plan = plan_unlink(
                    view, session.peer_id, target.peer_id, now, self.config.unlink_block_s
                )
                after = await self.store.apply(swarm, plan, now)
                await self._notify(swarm, plan, after)
        self.metrics.reports.labels(request.reason).inc()
        blaming = request.reason in BLAMING_REASONS and target.sub != session.sub
        if blaming and await self.moderation.weigh_report(session.stream, reporter, target, now):
            await self._ban(session.stream, target, now)
        return schema.ok_ack()

    async def _on_leave(self, session: Session, data: object) -> Reply:
        schema.parse_leave(data)
        async with session.lock:
            await self._leave_swarm(session)
        return schema.ok_ack()

    # -- swarm changes -------------------------------------------------------------------

    async def _leave_swarm(self, session: Session) -> None:
        """Take the session out of its swarm (callers hold session.lock)."""
        swarm = session.swarm
        if swarm is None:
            return
        session.swarm, session.info = None, None
        if not session.closed:
            self._closer.arm(session)
        await self._remove_peer(swarm, session.peer_id)

    async def _remove_peer(self, swarm: str, peer_id: str) -> None:
        now = self._clock()
        async with self.store.locked(swarm):
            view = await self.reach.view(swarm)
            plan = plan_leave(view, peer_id, now, self._match)
            after = await self.store.apply(swarm, plan, now)
            await self._notify(swarm, plan, after)

    async def _ban(self, stream: str, target: PeerInfo, now: float) -> None:
        """Ban the target's token identity and address from the stream; drop its connections
        (every connection of that identity or address) from swarms."""
        await self.moderation.ban(stream, target, now)
        self.metrics.bans.inc()
        local = [
            s
            for s in self._sessions.values()
            if s.stream == stream and (s.sub == target.sub or s.address == target.address)
        ]
        for session in local:
            await self._emit_error(session, "banned", "reported by several peers")
            async with session.lock:
                await self._leave_swarm(session)
            await self.sio.disconnect(session.sid, namespace=schema.NAMESPACE)
        if not any(s.peer_id == target.peer_id for s in local):
            # Connected to another signaling node: drop it from matching; it is told, and its
            # node refuses its reconnects.
            await self._emit(
                schema.EVENT_ERROR, schema.error_body("banned", "banned"), target.peer_id
            )
            for swarm in await self.store.swarm_names():
                if swarm.startswith(f"{stream}/"):
                    await self._remove_peer(swarm, target.peer_id)

    async def _notify(
        self, swarm: str, plan: MatchPlan, after: SwarmView, skip: str | None = None
    ) -> None:
        """Send `neighbours` events to everyone a plan touched (but `skip`, told by its ack).
        Callers hold the swarm's lock, so updates leave in the order the plans were made."""
        for peer_id, event in neighbour_updates(swarm, plan, after, skip):
            await self._emit(schema.EVENT_NEIGHBOURS, event, peer_id)

    # -- cluster (signaling/cluster.py) ------------------------------------------------

    def local_members(self) -> list[tuple[str, PeerInfo]]:
        """(swarm, info) of every member whose socket this node holds."""
        return [(s.swarm, s.info) for s in self._sessions.values() if s.swarm and s.info]

    async def readd_member(self, swarm: str, info: PeerInfo) -> None:
        """Put back a local member the shared store lost (a `neighbours` event tells it)."""
        now = self._clock()
        async with self.store.locked(swarm):
            view = await self.reach.view(swarm)
            if info.peer_id in view.peers:
                return
            plan = plan_join(view, info, now, self._match)
            after = await self.store.apply(swarm, plan, now)
            await self._notify(swarm, plan, after)

    async def remove_member(self, swarm: str, peer_id: str) -> None:
        """Drop a member (of a dead node) from a swarm, telling its neighbours."""
        await self._remove_peer(swarm, peer_id)

    # -- operators -----------------------------------------------------------------------

    async def snapshot(self, include_peers: bool = True) -> dict[str, Any]:
        """JSON-ready state of every swarm, for `/api/swarms` (docs/protocol.md §4.6)."""
        now = self._clock()
        views = [(name, await self.store.load(name)) for name in await self.store.swarm_names()]
        bans, n = await self.store.ban_count(now), len(self._sessions)
        return swarms_snapshot(views, now, connections=n, bans=bans, include_peers=include_peers)
