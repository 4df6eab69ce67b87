"""The signaling side of the operator plane: viewers' `beacon` events (rate-limited, checked,
aggregated), per-stream `control` pushed to every viewer of the stream (docs/protocol.md §4.7),
the kill switch enforced at `join`, and the dashboard's figures (merged across nodes through
Redis when several share swarms).

`SignalingServer` calls the hooks `connected`, `disconnected`, `on_beacon` and `join_refusal`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any, Protocol

import redis.asyncio as aioredis
import socketio
from prometheus_client import CollectorRegistry

from swarmcast.protocol import signaling_schema as schema
from swarmcast.protocol.beacon_schema import EVENT_CONTROL, Control, beacon_ack, parse_beacon
from swarmcast.protocol.token_bucket import TokenBucket
from swarmcast.signaling.beacons import BeaconBook, merge_summaries
from swarmcast.signaling.config import SignalingConfig
from swarmcast.signaling.control import (
    ControlStore,
    InMemoryControlStore,
    RedisControlStore,
    apply_changes,
)

log = logging.getLogger(__name__)

Reply = dict[str, Any]
NODE_TTL_S = 15  # a node's published aggregates expire this long after it stopped


def stream_room(stream: str) -> str:
    """Every viewer of a stream: `control` pushes reach them on any node."""
    return f"stream:{stream}"


class SessionLike(Protocol):
    sid: str
    peer_id: str
    stream: str
    swarm: str | None


class OperatorPlane:
    def __init__(
        self,
        sio: socketio.AsyncServer,
        config: SignalingConfig,
        registry: CollectorRegistry | None = None,
        controls: ControlStore | None = None,
        redis: aioredis.Redis | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        *,
        prefix: str = "sc:",
    ) -> None:
        self._sio = sio
        self._beacon_rate, self._beacon_burst = config.beacon_rate, config.beacon_burst
        self.book = BeaconBook(registry, stale_after_s=config.beacon_stale_s)
        if controls is None:
            controls = InMemoryControlStore() if redis is None else RedisControlStore(redis)
        self.controls: ControlStore = controls
        self._redis = redis
        self._prefix = prefix
        self._node = secrets.token_hex(6)
        self._sample_interval_s = config.ops_sample_interval_s
        self._clock, self._monotonic = clock, monotonic
        self._buckets: dict[str, TokenBucket] = {}
        # The origin's response bytes so far, when signaling shares the origin's app.
        self.egress_bytes: Callable[[], float] | None = None
        self._task: asyncio.Task[None] | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    async def on_startup(self, app: object = None) -> None:
        """Start the sampler (history points; publishing this node's aggregates to Redis)."""
        if self._task is None:
            self._task = asyncio.create_task(self._sample_forever(), name="operator-sampler")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _sample_forever(self) -> None:
        while True:
            try:
                await self.sample()
            except Exception:  # Redis away: try again next round
                log.exception("operator plane: sampling failed")
            await asyncio.sleep(self._sample_interval_s)

    async def sample(self) -> None:
        now = self._clock()
        await self._publish(now)
        egress = self.egress_bytes() if self.egress_bytes is not None else None
        self.book.sample(await self.summaries(), now, egress)

    # -- signaling hooks -----------------------------------------------------------------------

    async def connected(self, session: SessionLike) -> None:
        await self._sio.enter_room(
            session.sid, stream_room(session.stream), namespace=schema.NAMESPACE
        )

    def disconnected(self, session: SessionLike) -> None:
        self._buckets.pop(session.sid, None)
        self.book.departed(session.peer_id)

    async def on_beacon(self, session: SessionLike, data: object) -> Reply:
        now = self._monotonic()
        bucket = self._buckets.get(session.sid)
        if bucket is None:
            bucket = TokenBucket(self._beacon_rate, self._beacon_burst, now)
            self._buckets[session.sid] = bucket
        if not bucket.try_consume(now):
            return schema.error_ack("rate-limited", "beacon refused: over the beacon rate")
        beacon = parse_beacon(data)
        label = session.swarm.split("/", 1)[1] if session.swarm else None
        self.book.record(session.stream, session.peer_id, beacon, self._clock(), label)
        return beacon_ack(await self.controls.get(session.stream))

    async def join_refusal(self, stream: str) -> Reply | None:
        """The kill switch also holds against clients that ignore `control`."""
        if not (await self.controls.get(stream)).p2p:
            return schema.error_ack("p2p-off", "the operator switched P2P off for this stream")
        return None

    # -- operator actions ----------------------------------------------------------------------

    async def set_control(self, stream: str, changes: object) -> Control:
        """Apply an operator's change and push it to every viewer of the stream (all nodes)."""
        control = apply_changes(await self.controls.get(stream), changes)
        await self.controls.put(control)
        log.info(
            "operator: control of %s is now %s", stream, control.to_json(), extra={"stream": stream}
        )
        await self._sio.emit(
            EVENT_CONTROL, control.to_json(), to=stream_room(stream), namespace=schema.NAMESPACE
        )
        return control

    async def summaries(self) -> dict[str, dict[str, Any]]:
        """Per-stream dashboard figures: this node's, or every live node's through Redis."""
        nodes = [self.book.raw(self._clock())]
        if self._redis is not None:
            nodes = await self._read_nodes()
        return merge_summaries(nodes)

    # -- several nodes -------------------------------------------------------------------------

    async def _publish(self, now: float) -> None:
        if self._redis is not None:
            key = f"{self._prefix}ops:node:{self._node}"
            await self._redis.set(key, json.dumps(self.book.raw(now)), ex=NODE_TTL_S)

    async def _read_nodes(self) -> list[dict[str, Any]]:
        assert self._redis is not None
        await self._publish(self._clock())
        nodes = []
        async for key in self._redis.scan_iter(match=f"{self._prefix}ops:node:*"):
            raw = await self._redis.get(key)
            if raw is not None:
                nodes.append(json.loads(raw))
        return nodes
