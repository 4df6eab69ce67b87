"""HTTP side of the Python peer (aiohttp): viewer token, signing key, playlists, integrity
records, and media bytes (whole segments or Range requests for just the missing pieces)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp

from swarmcast.protocol.hls_playlist import (
    PlaylistError,
    parse_media_playlist,
    parse_multivariant_playlist,
)
from swarmcast.protocol.integrity import (
    MAX_DOCUMENT_BYTES,
    IntegrityRecord,
    SigningKey,
    parse_record,
    parse_signing_key,
)

MAX_SMALL_BYTES = 1_000_000  # playlists, tokens, keys


class OriginError(RuntimeError):
    """The origin answered with an error status, a wrong shape, or not at all."""


@dataclass
class OriginStats:
    media_bytes: int = 0
    """Bytes of media segments (the origin load that P2P is meant to offload)."""
    other_bytes: int = 0
    """Playlists, records, keys, init segments."""
    requests: int = 0


class OriginClient:
    """All requests to one origin (base URL) for one stream."""

    def __init__(self, base_url: str, stream: str, timeout_s: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.stream = stream
        self.stats = OriginStats()
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=timeout_s),
            # Each peer is one client; keep a few connections for parallel Range fetches.
            connector=aiohttp.TCPConnector(limit=8),
        )

    async def close(self) -> None:
        await self._session.close()

    def stream_url(self, path: str) -> str:
        return f"{self.base_url}/live/{self.stream}/{path}"

    async def _get(
        self, url: str, limit: int, headers: dict[str, str] | None = None, *, media: bool = False
    ) -> bytes:
        chunks = [chunk async for chunk in self._stream(url, limit, headers, media=media)]
        return b"".join(chunks)

    async def _stream(
        self, url: str, limit: int, headers: dict[str, str] | None = None, *, media: bool = False
    ) -> AsyncIterator[bytes]:
        """The response body of a GET as it arrives, at most `limit` bytes."""
        self.stats.requests += 1
        try:
            async with self._session.get(url, headers=headers) as response:
                if response.status not in (200, 206):
                    raise OriginError(f"GET {url}: HTTP {response.status}")
                if response.content_length is not None and response.content_length > limit:
                    raise OriginError(f"GET {url}: {response.content_length} bytes is too large")
                received = 0
                async for chunk in response.content.iter_chunked(65536):
                    received += len(chunk)
                    if received > limit:
                        raise OriginError(f"GET {url}: body too large")
                    if media:
                        self.stats.media_bytes += len(chunk)
                    else:
                        self.stats.other_bytes += len(chunk)
                    yield chunk
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise OriginError(f"GET {url}: {exc!r}") from None

    async def _json(self, url: str) -> Any:
        try:
            return json.loads(await self._get(url, MAX_SMALL_BYTES))
        except ValueError:
            raise OriginError(f"GET {url}: not JSON") from None

    async def viewer_token(self) -> str:
        data = await self._json(f"{self.base_url}/api/token?stream={self.stream}")
        if not isinstance(data, dict) or not isinstance(data.get("token"), str):
            raise OriginError("/api/token: no token in the reply")
        return str(data["token"])

    async def swarm_peers(self, signaling_url: str, swarm: str) -> int | None:
        """Members of `swarm` from signaling's public `/api/swarm-size` (docs/protocol.md
        §4.6); None when that endpoint is not served or the swarm is empty."""
        try:
            data = await self._json(
                f"{signaling_url.rstrip('/')}/api/swarm-size?swarm={quote(swarm, safe='/')}"
            )
        except OriginError:
            return None
        peers = data.get("peers") if isinstance(data, dict) else None
        return peers if isinstance(peers, int) and peers > 0 else None

    async def signing_key(self) -> SigningKey:
        try:
            return parse_signing_key(await self._get(self.stream_url("signing-key.json"), 4096))
        except ValueError as exc:
            raise OriginError(f"signing-key.json: {exc}") from None

    async def text(self, path: str) -> str:
        body = await self._get(self.stream_url(path), MAX_SMALL_BYTES)
        return body.decode("utf-8", errors="replace")

    async def record(self, rendition: str, uri: str) -> IntegrityRecord:
        """Parse (not yet verify: the store checks the signature) `<uri>.integrity.json`."""
        body = await self._get(
            self.stream_url(f"{rendition}/{uri}.integrity.json"), MAX_DOCUMENT_BYTES
        )
        try:
            return parse_record(body)
        except ValueError as exc:
            raise OriginError(f"{uri}.integrity.json: {exc}") from None

    async def file(self, rendition: str, uri: str, limit: int) -> bytes:
        return await self._get(self.stream_url(f"{rendition}/{uri}"), limit)

    async def media_range(
        self, rendition: str, uri: str, start: int, end: int, size: int
    ) -> AsyncIterator[bytes]:
        """Bytes [start, end) of a media segment of `size` bytes (Range unless it is all), as
        they arrive: on a slow origin the first pieces are usable long before the last."""
        headers = None if (start, end) == (0, size) else {"Range": f"bytes={start}-{end - 1}"}
        url = self.stream_url(f"{rendition}/{uri}")
        received = 0
        async for chunk in self._stream(url, end - start, headers, media=True):
            received += len(chunk)
            yield chunk
        if received != end - start:
            raise OriginError(f"{uri} bytes {start}-{end - 1}: got {received} bytes")


async def wait_for_stream(
    origin: OriginClient, rendition: str, needed_segments: float, timeout_s: float
) -> tuple[SigningKey, str]:
    """The stream's key and rendition (the first one if `rendition` is empty), once the origin
    has the stream and that rendition's playlist holds `needed_segments` target durations of
    stream (like a player, a viewer starts that far behind the live edge)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        try:
            key = await origin.signing_key()
            variants = parse_multivariant_playlist(await origin.text("master.m3u8"))
            rendition = rendition or variants[0].rendition
            playlist = parse_media_playlist(await origin.text(f"{rendition}/index.m3u8"))
            available = sum(s.duration for s in playlist.segments)
            if available >= needed_segments * playlist.target_duration or playlist.ended:
                return key, rendition
            raise PlaylistError(f"only {available:.1f} s of stream so far")
        except (OriginError, PlaylistError) as exc:
            if loop.time() > deadline:
                raise OriginError(f"stream not available: {exc}") from None
            await asyncio.sleep(0.5)
