"""Where swarm state lives: the `SwarmStore` interface and its in-memory implementation.

The server only ever does `async with store.locked(swarm): view = await store.load(swarm);
plan = matcher(view, ...); await store.apply(swarm, plan, now)`, so the same code runs over
`signaling.redis_store.RedisSwarmStore` for several signaling nodes: `locked` is a Redis lock
(SET NX PX + token), `load` a pipeline of HGETALLs (peers, links, blocks), `apply` a MULTI of
HSET/HDEL, and reports/bans a sorted set and expiring keys. Socket.IO delivery crosses nodes
through AsyncRedisManager and the per-peer rooms the server uses; python-socketio's own
participants/rooms see only local clients (docs/testing.md), which is why membership is kept here.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from swarmcast.signaling.report_policy import Accusation
from swarmcast.signaling.swarm_matcher import MatchPlan, SwarmView, apply_plan

# Ban keys: a token identity and a client address (signaling.netaddr.host_key) are banned
# side by side, so neither a fresh token nor the same token from elsewhere gets back in.
BAN_SUB = "sub:"
BAN_ADDRESS = "addr:"
# Known link paths (direct/relay, signaling.reachability) kept per swarm, at most: a swarm of
# 64-neighbour seeders and viewers stays far below.
MAX_PATHS_PER_SWARM = 65_536


class SwarmStore(Protocol):
    """Swarm membership, links, reports and bans, shared by every signaling node."""

    def locked(self, swarm: str) -> AbstractAsyncContextManager[None]:
        """Serialize load → plan → apply for one swarm (across nodes, for shared stores)."""
        ...

    async def load(self, swarm: str) -> SwarmView:
        """The swarm's current state (an empty view for an unknown swarm)."""
        ...

    async def neighbours(self, swarm: str, peer_id: str) -> frozenset[str]:
        """The current neighbours of `peer_id` (cheap: checked on every relayed signal)."""
        ...

    async def apply(self, swarm: str, plan: MatchPlan, now: float) -> SwarmView:
        """Persist `plan` and return the resulting view; an emptied swarm is forgotten."""
        ...

    async def swarm_names(self) -> list[str]: ...

    async def count_distinct(
        self, stream: str, key: str, member: str, now: float, window_s: float
    ) -> int:
        """Add `member` to the set `key` and return how many distinct members it got in the
        last `window_s` seconds (e.g. distinct peers one reporter address blamed)."""
        ...

    async def record_accusation(
        self, stream: str, target: str, accusation: Accusation, window_s: float
    ) -> list[Accusation]:
        """Record `accusation` against `target` (one per reporter address: the latest) and
        return the accusations of the last `window_s` seconds."""
        ...

    async def ban(self, stream: str, key: str, until: float) -> None:
        """Ban `key` (BAN_SUB + sub, or BAN_ADDRESS + host key) from `stream`."""
        ...

    async def banned_until(self, stream: str, key: str, now: float) -> float | None:
        """When the ban of `key` on `stream` ends, or None when it is not banned."""
        ...

    async def ban_count(self, now: float) -> int:
        """Banned identities (BAN_SUB keys) still in force."""
        ...

    async def record_path(self, swarm: str, a: str, b: str, path: str) -> None:
        """How the a-b link opened (`direct`/`relay`); a direct report is never overwritten
        by a relayed one (the other end may have seen the relay pair first). Bounded."""
        ...

    async def load_paths(self, swarm: str) -> dict[frozenset[str], str]:
        """Every path recorded in the swarm (pairs of departed members too, until forgotten)."""
        ...

    async def forget_paths(self, swarm: str, pairs: list[frozenset[str]]) -> None: ...


class _CountedLock:
    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class InMemorySwarmStore:
    """A `SwarmStore` for one signaling process: plain dicts and asyncio locks."""

    def __init__(self) -> None:
        self._views: dict[str, SwarmView] = {}
        self._locks: dict[str, _CountedLock] = {}
        self._reports: dict[tuple[str, str], dict[str, float]] = {}  # -> member: time
        self._accusations: dict[tuple[str, str], dict[str, Accusation]] = {}
        self._bans: dict[tuple[str, str], float] = {}
        self._paths: dict[str, dict[frozenset[str], str]] = {}

    @asynccontextmanager
    async def _lock(self, swarm: str) -> AsyncIterator[None]:
        # Locks are reference-counted so that swarms that come and go leave nothing behind.
        entry = self._locks.setdefault(swarm, _CountedLock())
        entry.users += 1
        try:
            async with entry.lock:
                yield
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._locks[swarm]

    def locked(self, swarm: str) -> AbstractAsyncContextManager[None]:
        return self._lock(swarm)

    async def load(self, swarm: str) -> SwarmView:
        return self._views.get(swarm) or SwarmView()

    async def neighbours(self, swarm: str, peer_id: str) -> frozenset[str]:
        view = self._views.get(swarm)
        return view.neighbours(peer_id) if view is not None else frozenset()

    async def apply(self, swarm: str, plan: MatchPlan, now: float) -> SwarmView:
        view = apply_plan(self._views.get(swarm) or SwarmView(), plan, now)
        if view.peers:
            self._views[swarm] = view
        else:
            self._views.pop(swarm, None)
            self._paths.pop(swarm, None)
        return view

    async def swarm_names(self) -> list[str]:
        return sorted(self._views)

    async def count_distinct(
        self, stream: str, key: str, member: str, now: float, window_s: float
    ) -> int:
        entry = (stream, key)
        members = {m: at for m, at in self._reports.get(entry, {}).items() if at > now - window_s}
        members[member] = now
        self._reports[entry] = members
        # Forget stale sets now and then, so the dict stays bounded.
        if len(self._reports) > 10_000:
            self._reports = {
                k: v for k, v in self._reports.items() if max(v.values()) > now - window_s
            }
        return len(members)

    async def record_accusation(
        self, stream: str, target: str, accusation: Accusation, window_s: float
    ) -> list[Accusation]:
        since = accusation.at - window_s
        entry = (stream, target)
        kept = {r: a for r, a in self._accusations.get(entry, {}).items() if a.at > since}
        kept[accusation.reporter] = accusation
        self._accusations[entry] = kept
        if len(self._accusations) > 10_000:
            self._accusations = {
                k: v for k, v in self._accusations.items() if max(a.at for a in v.values()) > since
            }
        return list(kept.values())

    async def ban(self, stream: str, key: str, until: float) -> None:
        self._bans[(stream, key)] = max(until, self._bans.get((stream, key), 0.0))

    async def banned_until(self, stream: str, key: str, now: float) -> float | None:
        until = self._bans.get((stream, key))
        if until is None:
            return None
        if until <= now:
            del self._bans[(stream, key)]
            return None
        return until

    async def ban_count(self, now: float) -> int:
        self._bans = {key: until for key, until in self._bans.items() if until > now}
        return sum(1 for _, key in self._bans if key.startswith(BAN_SUB))

    async def record_path(self, swarm: str, a: str, b: str, path: str) -> None:
        paths = self._paths.setdefault(swarm, {})
        key = frozenset((a, b))
        if paths.get(key) == "direct":
            return
        if key not in paths and len(paths) >= MAX_PATHS_PER_SWARM:
            return
        paths[key] = path

    async def load_paths(self, swarm: str) -> dict[frozenset[str], str]:
        return dict(self._paths.get(swarm, {}))

    async def forget_paths(self, swarm: str, pairs: list[frozenset[str]]) -> None:
        paths = self._paths.get(swarm)
        if paths is None:
            return
        for key in pairs:
            paths.pop(key, None)
        if not paths:
            del self._paths[swarm]
