"""The Python peer's membership of its swarm, split out of `peer_node`: the signaling connection
(connect with a fresh token, join, leave, rejoin after a loss), neighbours and their SDP, reports
of bad peers, and the operator's control carried out like the shim does (docs/operator.md):
the kill switch and a ramp-up cohort leave the swarm (everything from the origin), shadow mode
rejoins with links the scheduler never sees (every byte from the origin, savings counted), and
the upload policy changes the running scheduler's cap and slots.

`PeerNode` mixes this in; the attributes and hooks below are the node's."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, cast

from swarmcast.peer.measured_cap import MeasuredUploadCap
from swarmcast.peer.neighbour_guard import NeighbourGuard
from swarmcast.peer.operator_control import OperatorControl, UploadLimits
from swarmcast.peer.origin_client import OriginClient
from swarmcast.peer.peer_config import IceServerConfig, PeerConfig
from swarmcast.peer.peer_link import PeerLink
from swarmcast.peer.piece_scheduler import PieceScheduler
from swarmcast.peer.queue_delay import QueueDelay, RoundTrips
from swarmcast.peer.signaling_client import SignalingClient, SignalingRefused
from swarmcast.peer.uplink_meter import UplinkMeter
from swarmcast.protocol import signaling_schema as schema
from swarmcast.protocol import tokens, wire
from swarmcast.protocol.beacon_schema import Control
from swarmcast.protocol.relay_only import signal_addresses

if TYPE_CHECKING:
    from swarmcast.peer.peer_link import LinkHandlers

log = logging.getLogger("swarmcast.peer.peer_node")

REJOIN_FIRST_DELAY_S = 1.0
REJOIN_MAX_DELAY_S = 30.0
MAX_SIGNAL_LOG_PEERS = 1000  # stats bounds, not limits: a hostile peer cannot grow them
MAX_SIGNAL_LOG_ADDRESSES = 16


class SwarmMembership:
    config: PeerConfig
    origin: OriginClient
    links: dict[str, PeerLink]
    peer_id: str
    rendition: str
    dropped_peers: list[str]
    guard: NeighbourGuard
    operator: OperatorControl
    uplink: UplinkMeter  # this peer's upload capacity, measured while its channels back up
    upload_cap: MeasuredUploadCap  # the cap that measurement allows when none is configured
    queue_delay: QueueDelay  # whether the access link queues (the cap's evidence)
    _round_trips: dict[str, RoundTrips]  # per link: SCTP SRTT samples summed, one a second
    _applied_limits: UploadLimits | None  # what the scheduler has (apply_upload_limits)
    signaling: SignalingClient
    sched: PieceScheduler
    _ice_servers: tuple[IceServerConfig, ...]
    _relay_only: bool  # the join ack said "relay": a relay-only (privacy) stream
    link_log: dict[str, float | None]
    signal_log: dict[str, set[str]]
    _stopping: bool
    _joined: bool  # a member of the swarm now (not while the operator has P2P off for us)
    _running: bool  # start() is done: control changes are carried out from now on
    _membership: str  # the mode the swarm membership is set up for (on, off, shadow)
    _mode_lock: asyncio.Lock

    # Hooks the node provides.
    def now(self) -> float:
        raise NotImplementedError

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        raise NotImplementedError

    def _pump(self) -> None:
        raise NotImplementedError

    def _update_connecting(self) -> None:
        raise NotImplementedError

    # --- connection and joining -----------------------------------------------------------

    async def _connect(self) -> SignalingClient:
        """A signaling connection with a fresh viewer token (not joined yet)."""
        cfg = self.config
        signaling = SignalingClient(
            self._on_neighbours, self._on_signal, self._on_lost, self.on_control
        )
        try:
            if cfg.token_secret is not None:
                token = tokens.mint(cfg.token_secret, cfg.stream, time.time(), seeder=cfg.seed)
            else:
                token = await self.origin.viewer_token()
            await signaling.connect(cfg.signaling_url or cfg.origin_url, token)
        except BaseException:
            with contextlib.suppress(Exception):
                await signaling.close()
            raise
        return signaling

    async def _join_call(self) -> schema.JoinAck:
        """`join` our swarm with our capabilities (SignalingRefused when refused)."""
        cfg = self.config
        return await self.signaling.join(
            cfg.stream,
            self.rendition,
            seeder=cfg.seed,
            upload_budget_bps=self.operator.budget_bps(),
            max_neighbours=cfg.max_neighbours,
        )

    async def _join_swarm(self) -> schema.JoinAck | None:
        """Join our swarm on the current connection and link the neighbours (§4.3: the current
        set, not the ack's). None when signaling refused (e.g. `p2p-off` in a race)."""
        try:
            ack = await self._join_call()
        except SignalingRefused as exc:
            log.warning("join refused: %s", exc)
            return None
        self.peer_id = ack.peer_id
        self._joined = True
        self._adopt_ice(ack)
        if hasattr(self, "sched"):
            self.sched.local_peer_id = ack.peer_id
            self.sched.set_swarm_size(self.now(), len(ack.neighbours) + 1)
        for neighbour in list(self.signaling.neighbours.values()):
            await self._add_neighbour(neighbour)
        return ack

    def _adopt_ice(self, ack: schema.JoinAck) -> None:
        """ICE for links made from now on: the configured servers, plus the ack's (fresh TURN
        credentials for this peer id) when asked to or when the stream is relay-only, which
        needs its TURN servers whatever the config says."""
        self._relay_only = ack.ice_transport_policy == "relay"
        self._ice_servers = self.config.ice_servers
        if self.config.use_signaling_ice_servers or self._relay_only:
            self._ice_servers += tuple(
                IceServerConfig(s.urls, s.username, s.credential) for s in ack.ice_servers
            )

    async def _leave_swarm(self) -> None:
        """Close every link (the scheduler forgets those peers) and leave; stay connected."""
        self._joined = False
        await asyncio.gather(
            *(
                link.close("operator control", wire.GoodbyeReason.NORMAL)
                for link in list(self.links.values())
            ),
            return_exceptions=True,
        )
        self.operator.forget_neighbours()
        with contextlib.suppress(Exception):  # a lost connection has left already
            await self.signaling.leave()

    def _sample_uplink(self, link: PeerLink) -> None:
        """`link` is about to add to its channel's buffer: every channel's counters go to the
        uplink meter; a new estimate goes to the scheduler's small-uplink rule (beacons read
        the meter themselves)."""
        now = self.now()
        channels = ((peer_id, *each.channel_count()) for peer_id, each in self.links.items())
        if self.uplink.observe(now, channels) and hasattr(self, "sched") and not self._stopping:
            rate = self.uplink.rate_bytes_per_s
            self.sched.set_measured_uplink(now, rate)
            if rate is not None:
                self.upload_cap.measured(now, rate)
            self.apply_upload_limits()
            self._pump()

    def _sample_round_trips(self) -> None:
        """Each link's SCTP SRTT, as one more response of its summed round trips, to the
        queue-delay detector (the ICE counters the shim reads, which aiortc does not have)."""
        counts: list[tuple[str, RoundTrips]] = []
        for peer_id, link in self.links.items():
            srtt = link.sctp_round_trip_s()
            if srtt is None:
                continue
            before = self._round_trips.get(peer_id, RoundTrips(0.0, 0))
            count = RoundTrips(before.total_s + srtt, before.responses + 1)
            self._round_trips[peer_id] = count
            counts.append((peer_id, count))
        self.queue_delay.observe(self.now(), counts)
        self.queue_delay.retain(self.links)
        self._round_trips = {p: c for p, c in self._round_trips.items() if p in self.links}

    def apply_upload_limits(self) -> None:
        """The scheduler gets the upload limits in force now (configured, the operator's
        policy, the measured cap) when they differ from the ones it has: each change restarts
        its token bucket."""
        now = self.now()
        queueing = self.queue_delay.queueing(now)
        measured = self.upload_cap.at(now, self.sched.stream_bitrate_bps, queueing)
        limits = self.operator.upload_limits(measured)
        if limits != self._applied_limits:
            self._applied_limits = limits
            self.sched.set_upload_limits(now, limits.rate_bytes_per_s, limits.slots)

    async def _follow_measured_cap(self, every_s: float = 1.0) -> None:
        """A probe of the measured cap starts and ends on its own clock."""
        while not self._stopping:
            await asyncio.sleep(every_s)
            self._sample_round_trips()
            if hasattr(self, "sched") and self._running:
                self.apply_upload_limits()
                self._pump()

    # --- the operator's control -----------------------------------------------------------

    async def on_control(self, control: Control) -> None:
        """A control from a beacon ack or a pushed `control` event."""
        changed = self.operator.apply(control)
        if not self._running:
            return  # start() reads the mode and the limits itself
        self.apply_upload_limits()
        if changed:
            log.info("operator: P2P %s (%s)", self.operator.mode, self.operator.reason or "-")
            self._spawn(self._follow_mode())
        self._pump()

    async def _follow_mode(self) -> None:
        """Carry out the operator's mode: off leaves the swarm (the scheduler, alone, fetches
        from the origin); on and shadow leave and rejoin, so no link of the old mode is kept
        (shadow links are never given to the scheduler)."""
        async with self._mode_lock:
            mode = self.operator.mode
            if self._stopping or mode == self._membership:
                return
            if self._joined:
                await self._leave_swarm()
            self._membership = "off"
            self.sched.set_swarm_size(self.now(), 1)
            if mode != "off" and await self._join_swarm() is not None:
                self._membership = mode
            self._update_connecting()

    # --- neighbours -----------------------------------------------------------------------

    async def _on_neighbours(self, update: schema.NeighboursUpdate) -> None:
        for peer_id in update.remove:
            link = self.links.get(peer_id)
            if link is not None:
                await link.close("removed by signaling", wire.GoodbyeReason.NORMAL)
        for neighbour in update.add:
            await self._add_neighbour(neighbour)

    async def _add_neighbour(self, neighbour: schema.NeighbourEntry) -> None:
        if neighbour.peer_id in self.links or self._stopping or not self._joined:
            return
        if self.guard.is_refused(self.now(), neighbour.peer_id):
            log.info("not linking %s: it broke the protocol", neighbour.peer_id)
            return
        link = self._new_link(neighbour.peer_id, initiator=neighbour.initiator)
        if neighbour.initiator:
            self._spawn(link.start())

    def _new_link(self, peer_id: str, *, initiator: bool) -> PeerLink:
        async def send_signal(kind: str, data: dict[str, Any]) -> None:
            await self.signaling.signal(peer_id, kind, data)

        link = PeerLink(
            peer_id,
            initiator=initiator,
            ice_servers=self._ice_servers,
            relay_only=self._relay_only,
            send_signal=send_signal,
            handlers=cast("LinkHandlers", self),
            window=self.config.channel_window(),
            on_flush=self._sample_uplink,
        )
        self.links[peer_id] = link
        self.link_log.setdefault(peer_id, None)
        if hasattr(self, "sched"):  # links made during start() are counted once it has one
            self._update_connecting()
        return link

    async def _on_signal(self, relayed: schema.RelayedSignal) -> None:
        self._log_addresses(relayed)
        link = self.links.get(relayed.from_peer)
        if link is None and self.guard.is_refused(self.now(), relayed.from_peer):
            return  # it broke the protocol: its new offers are refused for a while
        if link is None and relayed.kind == "offer" and not self._stopping and self._joined:
            link = self._new_link(relayed.from_peer, initiator=False)  # offer overtook the event
        if link is None:
            return
        try:
            await link.on_signal(relayed.kind, relayed.data)
        except Exception as exc:  # a bad SDP from one peer must not hurt the others
            log.info("signal from %s failed: %s", relayed.from_peer, exc)
            await link.close(f"bad {relayed.kind}")

    def _log_addresses(self, relayed: schema.RelayedSignal) -> None:
        """Remember the addresses signaling told us about each neighbour (stats; the lab checks
        that a relay-only stream shows nothing but the TURN server's). Bounded per neighbour."""
        known = relayed.from_peer in self.signal_log
        if not known and len(self.signal_log) >= MAX_SIGNAL_LOG_PEERS:
            return
        seen = self.signal_log.setdefault(relayed.from_peer, set())
        for address in signal_addresses(relayed.kind, relayed.data):
            if len(seen) < MAX_SIGNAL_LOG_ADDRESSES:
                seen.add(address)

    async def _track_swarm_size(self, period_s: float) -> None:
        url = self.config.signaling_url or self.config.origin_url
        swarm = f"{self.config.stream}/{self.rendition}"
        while True:
            peers = await self.origin.swarm_peers(url, swarm)
            if peers is not None and self.operator.mode == "on":
                self.sched.set_swarm_size(self.now(), peers)
            await asyncio.sleep(period_s)

    # --- losing signaling -----------------------------------------------------------------

    async def _on_lost(self, reason: str) -> None:
        if not self._stopping:
            log.warning("signaling connection lost (%s); rejoining", reason)
            self._spawn(self._rejoin())

    async def _rejoin(self) -> None:
        """Back into the swarm under a new peer id (signaling forgot the old one): links of
        the old identity are closed, the new neighbours connect afresh. Playback continues
        from HTTP and the store meanwhile. With P2P off for us, only the connection returns."""
        delay = REJOIN_FIRST_DELAY_S
        while not self._stopping:
            await asyncio.sleep(delay)
            try:
                self.signaling = await self._connect()
            except Exception as exc:
                log.warning("rejoining signaling failed: %s", exc)
                delay = min(REJOIN_MAX_DELAY_S, delay * 2)
                continue
            async with self._mode_lock:
                self._joined = False
                await asyncio.gather(
                    *(
                        link.close("rejoined", wire.GoodbyeReason.NORMAL)
                        for link in list(self.links.values())
                    ),
                    return_exceptions=True,
                )
                self._membership = "off"
                if self.operator.mode != "off" and (ack := await self._join_swarm()):
                    self._membership = self.operator.mode
                    log.info(
                        "rejoined %s as %s with %d neighbours",
                        ack.swarm,
                        ack.peer_id,
                        len(ack.neighbours),
                    )
            return

    # --- bad peers ------------------------------------------------------------------------

    async def _drop(self, peer_id: str, reason: str) -> None:
        self.dropped_peers.append(peer_id)
        link = self.links.get(peer_id)
        goodbye = (
            wire.GoodbyeReason.BAD_PIECE
            if reason == "bad_piece"
            else wire.GoodbyeReason.PROTOCOL_ERROR
        )
        if link is not None:
            await link.close(reason, goodbye)
        await self._report(peer_id, reason.replace("_", "-"))

    async def _report_path(self, peer_id: str, path: str) -> None:
        try:
            await self.signaling.path(peer_id, path)
        except Exception as exc:  # an older server, or no longer a neighbour: matching only
            log.info("path of %s (%s) not taken: %s", peer_id, path, exc)

    async def _report(self, peer_id: str, reason: str) -> None:
        try:
            await self.signaling.report(peer_id, reason)
        except Exception as exc:  # not a neighbour any more, signaling gone: nothing to do
            log.info("report of %s (%s) not taken: %s", peer_id, reason, exc)
