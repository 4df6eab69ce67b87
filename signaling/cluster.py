"""Signaling nodes sharing swarms through Redis, when a node or Redis goes away. Each node beats
(`sc:node:<id>`, expiring) and every few seconds:

- removes the members held by nodes that stopped beating (a crashed or killed node leaves its
  viewers in Redis; they reconnect to another node with new peer ids, and their ghosts would
  otherwise take neighbour slots and make newcomers wait for links that never open);
- puts its own members back when its mark was gone: Redis restarted empty (or this node stalled
  and was reaped), so the swarms are rebuilt from the nodes' local sessions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from swarmcast.signaling.redis_store import RedisSwarmStore
    from swarmcast.signaling.server import SignalingServer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClusterConfig:
    # How often a node beats and reaps, and how long its mark outlives a missed beat.
    interval_s: float = 1.0
    node_ttl_s: float = 4.0


class ClusterMembership:
    """The beat/reap/rebuild loop of one node; started and stopped with its aiohttp app."""

    def __init__(
        self,
        server: SignalingServer,
        store: RedisSwarmStore,
        config: ClusterConfig | None = None,
    ) -> None:
        self.server, self.store = server, store
        self.config = config or ClusterConfig()
        self._task: asyncio.Task[None] | None = None
        self._started = False
        # Set when the store lost this node, cleared once every member is back: the beat that
        # found the mark gone also set it again, so a rebuild that fails half-way (the first
        # commands on a restarted Redis's dropped connections fail) is retried on the next tick.
        self._rebuild_pending = False

    def attach(self, app: web.Application) -> None:
        async def start(app: web.Application) -> None:
            self._task = asyncio.create_task(self._run(), name="signaling-cluster")

        async def stop(app: web.Application) -> None:
            if self._task is not None:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task

        app.on_startup.append(start)
        app.on_shutdown.append(stop)

    async def tick(self) -> None:
        """One beat: reap dead nodes' members, rebuild ours if the store lost them."""
        was_alive = await self.store.heartbeat(self.config.node_ttl_s)
        if self._started and not was_alive:
            self._rebuild_pending = True
        self._started = True
        if self._rebuild_pending:
            members = self.server.local_members()
            log.warning(
                "signaling: shared store lost this node; re-adding %d members", len(members)
            )
            for swarm, info in members:
                await self.server.readd_member(swarm, info)  # a member already back is skipped
            self._rebuild_pending = False
        for swarm, peer_id in await self.store.members_of_dead_nodes():
            log.info("signaling: removing %s of a dead node from %s", peer_id, swarm)
            await self.server.remove_member(swarm, peer_id)

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception as error:  # Redis down: keep serving local sockets, try again
                log.warning("signaling: cluster beat failed: %s", error)
            await asyncio.sleep(self.config.interval_s)
