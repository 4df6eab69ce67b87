"""Which renditions a stream has, for a standalone signaling node: read from the origin's
public `/api/streams` (docs/protocol.md §1), cached for a few seconds. (An origin with signaling
in-process answers from its own catalog instead: server/serve_cmd.py.)"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

import aiohttp

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000


class OriginRenditions:
    """A `RenditionLookup` over `<origin>/api/streams`; one request per `ttl_s` at most."""

    def __init__(
        self, origin_url: str, ttl_s: float = 5.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._url = origin_url.rstrip("/") + "/api/streams"
        self._ttl_s = ttl_s
        self._clock = clock
        self._session: aiohttp.ClientSession | None = None
        self._streams: dict[str, frozenset[str]] = {}
        self._fetched_at: float | None = None

    async def __call__(self, stream: str) -> frozenset[str] | None:
        now = self._clock()
        if self._fetched_at is None or now - self._fetched_at >= self._ttl_s:
            self._fetched_at = now  # failures too: do not hammer a struggling origin
            await self._refresh()
        return self._streams.get(stream)

    async def _refresh(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        try:
            async with self._session.get(self._url) as response:
                response.raise_for_status()
                body = await response.content.read(MAX_BODY_BYTES)
            streams = _parse_streams(body)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            log.warning("signaling: cannot read %s (%s); keeping what was known", self._url, error)
            return
        self._streams = streams

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _parse_streams(body: bytes) -> dict[str, frozenset[str]]:
    listing = json.loads(body)
    if not isinstance(listing, list):
        raise ValueError("/api/streams is not a list")
    streams: dict[str, frozenset[str]] = {}
    for entry in listing:
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            renditions = entry.get("renditions")
            names = (
                [r.get("name") for r in renditions if isinstance(r, dict)]
                if isinstance(renditions, list)
                else []
            )
            streams[entry["name"]] = frozenset(n for n in names if isinstance(n, str))
    return streams
