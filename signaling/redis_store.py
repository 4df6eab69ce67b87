"""A `SwarmStore` in Redis, so several signaling nodes share swarms (with AsyncRedisManager
relaying Socket.IO emits between them; docs/testing.md: its rooms only see local clients).

Layout (prefix `sc:` by default; `{swarm}` = "<stream>/<rendition>"):
    sc:swarms                     SET   swarm names with at least one peer
    sc:swarm:{swarm}:peers        HASH  peer_id -> PeerInfo JSON
    sc:swarm:{swarm}:links        HASH  peer_id -> space-separated neighbour ids
    sc:swarm:{swarm}:blocked      HASH  "a b" (sorted pair) -> blocked-until (unix s)
    sc:swarm:{swarm}:nodes        HASH  peer_id -> id of the signaling node holding its socket
    sc:swarm:{swarm}:paths        HASH  "a b" (sorted pair) -> direct | relay (how a link opened)
    sc:node:{node}                STRING heartbeat of a live node, expiring (signaling/cluster.py)
    sc:swarm:{swarm}:lock         STRING redis-py Lock (SET NX PX token, compare-and-delete release)
    sc:reports:{stream}:{key}     ZSET  member -> time (distinct peers one reporter blamed)
    sc:accuse:{stream}:{target}   HASH  reporter address -> Accusation JSON
    sc:ban:{stream}:{key}         STRING ban end, expiring with the ban (key: sub:… / addr:…)
Every write for one plan goes in one MULTI, under the swarm's lock.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import LockNotOwnedError

from swarmcast.signaling.report_policy import Accusation
from swarmcast.signaling.swarm_matcher import MatchPlan, PeerInfo, SwarmView, apply_plan, pair
from swarmcast.signaling.swarm_store import BAN_SUB, MAX_PATHS_PER_SWARM

PATHS_TTL_S = 86_400  # a late report into a swarm that just emptied does not stay forever


class SwarmLockTimeout(RuntimeError):
    """Another node held a swarm's lock for longer than the wait limit."""


class RedisSwarmStore:
    def __init__(
        self,
        client: aioredis.Redis,
        *,
        prefix: str = "sc:",
        lock_ttl_ms: int = 5000,
        lock_wait_s: float = 10.0,
        node_id: str | None = None,
    ) -> None:
        """`client` must decode responses (`decode_responses=True`). `node_id` names this
        signaling node in the member -> node map the cluster reaper reads."""
        self._redis = client
        self._prefix = prefix
        self._lock_ttl_ms = lock_ttl_ms
        self._lock_wait_s = lock_wait_s
        self.node_id = node_id or secrets.token_hex(6)

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> RedisSwarmStore:
        return cls(aioredis.from_url(url, decode_responses=True), **kwargs)

    async def close(self) -> None:
        await self._redis.aclose()

    @property
    def client(self) -> aioredis.Redis:
        """The connection, shared with the operator plane (controls, nodes' aggregates)."""
        return self._redis

    @property
    def prefix(self) -> str:
        return self._prefix

    def _key(self, swarm: str, part: str) -> str:
        return f"{self._prefix}swarm:{swarm}:{part}"

    @asynccontextmanager
    async def _lock(self, swarm: str) -> AsyncIterator[None]:
        # redis-py's Lock: SET NX PX with a random token, released by compare-and-delete.
        lock = self._redis.lock(
            self._key(swarm, "lock"),
            timeout=self._lock_ttl_ms / 1000,
            sleep=0.005,
            blocking_timeout=self._lock_wait_s,
            thread_local=False,  # one Lock object per acquisition, shared by no other task
        )
        if not await lock.acquire():
            raise SwarmLockTimeout(f"swarm {swarm} stayed locked")
        try:
            yield
        finally:
            # Held past its TTL (a stalled node): another node may own it now; not ours to drop.
            with contextlib.suppress(LockNotOwnedError):
                await lock.release()

    def locked(self, swarm: str) -> AbstractAsyncContextManager[None]:
        return self._lock(swarm)

    async def load(self, swarm: str) -> SwarmView:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(self._key(swarm, "peers"))
            pipe.hgetall(self._key(swarm, "links"))
            pipe.hgetall(self._key(swarm, "blocked"))
            peers_raw, links_raw, blocked_raw = await pipe.execute()
        peers = {peer_id: PeerInfo(**json.loads(raw)) for peer_id, raw in peers_raw.items()}
        links = {p: frozenset(raw.split()) for p, raw in links_raw.items() if p in peers}
        for peer_id in peers:
            links.setdefault(peer_id, frozenset())
        blocked = {pair(*key.split(" ", 1)): float(until) for key, until in blocked_raw.items()}
        return SwarmView(peers=peers, links=links, blocked=blocked)

    async def neighbours(self, swarm: str, peer_id: str) -> frozenset[str]:
        raw = await self._redis.hget(self._key(swarm, "links"), peer_id)
        return frozenset(str(raw).split()) if raw else frozenset()

    async def apply(self, swarm: str, plan: MatchPlan, now: float) -> SwarmView:
        before = await self.load(swarm)
        after = apply_plan(before, plan, now)
        touched = {p for link in plan.added_links for p in (link.a, link.b)}
        touched |= {p for removed in plan.removed_links for p in removed}
        touched |= {peer.peer_id for peer in plan.added_peers}
        peers_key, links_key = self._key(swarm, "peers"), self._key(swarm, "links")
        blocked_key, nodes_key = self._key(swarm, "blocked"), self._key(swarm, "nodes")
        async with self._redis.pipeline(transaction=True) as pipe:
            for peer in plan.added_peers:
                pipe.hset(peers_key, peer.peer_id, json.dumps(_peer_json(peer)))
                pipe.hset(nodes_key, peer.peer_id, self.node_id)
            for peer_id in plan.removed_peers:
                pipe.hdel(peers_key, peer_id)
                pipe.hdel(links_key, peer_id)
                pipe.hdel(nodes_key, peer_id)
            for peer_id in touched - set(plan.removed_peers):
                if peer_id in after.peers:
                    pipe.hset(links_key, peer_id, " ".join(sorted(after.neighbours(peer_id))))
            stale = [" ".join(sorted(p)) for p in before.blocked if p not in after.blocked]
            if stale:
                pipe.hdel(blocked_key, *stale)
            for blocked_pair, until in plan.blocks:
                pipe.hset(blocked_key, " ".join(sorted(blocked_pair)), repr(until))
            if after.peers:
                pipe.sadd(f"{self._prefix}swarms", swarm)
            else:
                pipe.srem(f"{self._prefix}swarms", swarm)
                pipe.delete(peers_key, links_key, blocked_key, nodes_key, self._key(swarm, "paths"))
            await pipe.execute()
        return after

    # -- cluster liveness (signaling/cluster.py) ------------------------------------------

    async def heartbeat(self, ttl_s: float) -> bool:
        """Mark this node alive for `ttl_s`; False when its mark was gone (first beat, Redis
        lost its data, or this node stalled past its TTL and may have been reaped)."""
        previous = await self._redis.set(
            f"{self._prefix}node:{self.node_id}", "1", px=int(ttl_s * 1000), get=True
        )
        return previous is not None

    async def members_of_dead_nodes(self) -> list[tuple[str, str]]:
        """(swarm, peer_id) of members whose signaling node no longer beats."""
        by_swarm: dict[str, dict[str, str]] = {}
        for swarm in await self.swarm_names():
            raw = await self._redis.hgetall(self._key(swarm, "nodes"))
            by_swarm[swarm] = {str(peer): str(node) for peer, node in raw.items()}
        nodes = sorted({node for members in by_swarm.values() for node in members.values()})
        if not nodes:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for node in nodes:
                pipe.exists(f"{self._prefix}node:{node}")
            alive = dict(zip(nodes, await pipe.execute(), strict=True))
        return [
            (swarm, peer_id)
            for swarm, members in by_swarm.items()
            for peer_id, node in members.items()
            if not alive[node]
        ]

    async def swarm_names(self) -> list[str]:
        return sorted(str(name) for name in await self._redis.smembers(f"{self._prefix}swarms"))

    async def count_distinct(
        self, stream: str, key: str, member: str, now: float, window_s: float
    ) -> int:
        redis_key = f"{self._prefix}reports:{stream}:{key}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(redis_key, "-inf", now - window_s)
            pipe.zadd(redis_key, {member: now})
            pipe.zcard(redis_key)
            pipe.expire(redis_key, max(1, int(window_s) + 1))
            results = await pipe.execute()
        return int(results[2])

    async def record_accusation(
        self, stream: str, target: str, accusation: Accusation, window_s: float
    ) -> list[Accusation]:
        key = f"{self._prefix}accuse:{stream}:{target}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, accusation.reporter, json.dumps(_accusation_json(accusation)))
            pipe.expire(key, max(1, int(window_s) + 1))
            pipe.hgetall(key)
            raw = (await pipe.execute())[2]
        since = accusation.at - window_s
        kept = [Accusation(**json.loads(value)) for value in raw.values()]
        stale = [a.reporter for a in kept if a.at <= since]
        if stale:
            await self._redis.hdel(key, *stale)
        return [a for a in kept if a.at > since]

    async def ban(self, stream: str, key: str, until: float) -> None:
        ttl_ms = int((until - time.time()) * 1000)
        if ttl_ms > 0:
            await self._redis.set(f"{self._prefix}ban:{stream}:{key}", repr(until), px=ttl_ms)

    async def banned_until(self, stream: str, key: str, now: float) -> float | None:
        raw = await self._redis.get(f"{self._prefix}ban:{stream}:{key}")
        if raw is None or float(raw) <= now:
            return None
        return float(raw)

    async def ban_count(self, now: float) -> int:
        count = 0
        pattern = f"{self._prefix}ban:*:{BAN_SUB}*"
        async for _ in self._redis.scan_iter(match=pattern, count=500):
            count += 1
        return count

    # -- link paths (signaling/reachability.py) -------------------------------------------

    async def record_path(self, swarm: str, a: str, b: str, path: str) -> None:
        key, field = self._key(swarm, "paths"), _pair_field(frozenset((a, b)))
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hlen(key)
            pipe.hexists(key, field)
            size, known = await pipe.execute()
        if not known and int(size) >= MAX_PATHS_PER_SWARM:
            return
        async with self._redis.pipeline(transaction=True) as pipe:
            # HSET for direct (it wins), HSETNX for relay: a relay never overwrites a direct.
            if path == "direct":
                pipe.hset(key, field, path)
            else:
                pipe.hsetnx(key, field, path)
            pipe.expire(key, PATHS_TTL_S)
            await pipe.execute()

    async def load_paths(self, swarm: str) -> dict[frozenset[str], str]:
        raw = await self._redis.hgetall(self._key(swarm, "paths"))
        return {frozenset(str(field).split(" ", 1)): str(path) for field, path in raw.items()}

    async def forget_paths(self, swarm: str, pairs: list[frozenset[str]]) -> None:
        if pairs:
            await self._redis.hdel(self._key(swarm, "paths"), *map(_pair_field, pairs))


def _pair_field(pair_ids: frozenset[str]) -> str:
    return " ".join(sorted(pair_ids))


def _peer_json(peer: PeerInfo) -> dict[str, Any]:
    return {
        "peer_id": peer.peer_id,
        "prefix": peer.prefix,
        "joined_at": peer.joined_at,
        "max_neighbours": peer.max_neighbours,
        "upload_budget_bps": peer.upload_budget_bps,
        "seeder": peer.seeder,
        "sub": peer.sub,
        "address": peer.address,
    }


def _accusation_json(accusation: Accusation) -> dict[str, Any]:
    return {
        "reporter": accusation.reporter,
        "prefix": accusation.prefix,
        "weight": accusation.weight,
        "at": accusation.at,
    }
