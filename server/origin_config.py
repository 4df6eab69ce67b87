"""The origin's one frozen configuration: every default lives here; CLI and env only override."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import swarmcast
from swarmcast.protocol.signaling_schema import IceServer

# The repository's player-shim directory, where `make` installs hls.js (checkouts only).
_REPO_PLAYER_SHIM = Path(__file__).resolve().parent.parent / "player-shim"
# The shim bundle as package data: `make shim` copies it here, a wheel carries it.
_PACKAGE_PLAYER = Path(swarmcast.__file__).resolve().parent / "player"


@dataclass(frozen=True)
class OriginConfig:
    """How the origin serves a streams directory (docs/protocol.md §1) and its small APIs."""

    # Directory the segmenter writes: `<streams_dir>/<stream>/master.m3u8`, ...
    streams_dir: Path
    # Shared with the signaling server attached to the same app (`/api/token` mints, it
    # verifies); at least 16 bytes. None: a random 32-byte secret per process (`create_app`).
    token_secret: bytes | None = None
    # Lifetime of a viewer token minted by `/api/token` (protocol.tokens' default, 6 h).
    token_ttl_s: int = 6 * 3600
    # The open `/api/token`. Off (404) when viewer tokens come from the operator's backend
    # (docs/protocol.md §3) or its JWT issuer; `token_url` then tells players where to get
    # them (`/api/config`; "" = `/api/token` of this origin).
    token_endpoint: bool = True
    token_url: str = ""
    # `/api/token` per client address (IPv4, IPv6 /64) and per network prefix (IPv4 /24,
    # IPv6 /48): burst, then tokens per second. A page takes one per signaling connection.
    token_burst_per_address: float = 20.0
    token_rate_per_address: float = 0.5
    token_burst_per_prefix: float = 200.0
    token_rate_per_prefix: float = 5.0
    # Connections from these addresses/networks may set X-Forwarded-For (a reverse proxy).
    trusted_proxies: tuple[str, ...] = ()
    # Networks where many viewers share one address (an office NAT, a test lab): no
    # per-address `/api/token` limit there, the per-prefix one still applies.
    shared_address_networks: tuple[str, ...] = ()
    # ICE servers for players (the same settings as SignalingConfig's). Empty by default:
    # loopback/LAN demos need none, and nothing should reach an external STUN server unless
    # the operator asks for it.
    ice_servers: tuple[IceServer, ...] = ()
    # TURN servers with short-lived TURN REST credentials (coturn --use-auth-secret) minted
    # from `turn_secret` on every `/api/config` request.
    turn_urls: tuple[str, ...] = ()
    turn_secret: str | None = None
    turn_ttl_s: int = 86400
    # Where viewers reach this origin ("https://video.example.com"), for messages; "" = unknown.
    public_url: str = ""
    # Where players find signaling. "" means this origin (python-socketio attached to the app).
    signaling_url: str = ""
    signaling_path: str = "/socket.io/"
    signaling_namespace: str = "/swarm"
    # In-memory LRU of immutable files (init/media segments, integrity records): many viewers
    # fetch the same few live segments, so reading each once from disk is enough.
    file_cache_bytes: int = 64 * 1024 * 1024
    # `/api/streams` reports a stream without EXT-X-ENDLIST as not live once its playlists
    # have not changed for this long (the segmenter died or was stopped without finishing).
    stale_after_s: float = 30.0
    # Blocking playlist reload (`_HLS_msn`, server/playlist_hold.py): live media playlists
    # advertise CAN-BLOCK-RELOAD and a request for the next segment is held until it exists,
    # so every player learns of a new segment when it is published instead of at its next poll.
    blocking_reload: bool = True
    # Value of Access-Control-Allow-Origin on origin responses.
    cors_allow_origin: str = "*"
    # Plain hls.js (`<dir>/node_modules/hls.js/dist/hls.min.js`), which the demo page loads only
    # when the shim bundle is missing.
    player_shim_dir: Path = field(default=_REPO_PLAYER_SHIM)
    # The shim bundle (`swarmcast.js`, its map, `swarmcast.mjs`) served at `/player/`.
    player_dir: Path = field(default=_PACKAGE_PLAYER)
    # Connection defences (server/origin_guard.py, docs/security.md §5.1). A request's header
    # must be complete this long after its first byte (after connecting, for the first one).
    header_timeout_s: float = 10.0
    # Idle keep-alive connections close after this (aiohttp's own default is an hour).
    keepalive_timeout_s: float = 15.0
    # Connections in all, and from one address (a NAT of many viewers: 2-3 each). Connections
    # that have not sent one complete header yet make room for newcomers.
    max_connections: int = 16_384
    max_connections_per_address: int = 256
    # Descriptors kept free for the segmenter in the same process (segment files, encoder
    # pipes, logs); the connection cap shrinks to fit the process's descriptor limit.
    reserved_fds: int = 512
    # Listen backlog, also how many connections asyncio accepts at once before the guard sees
    # them (counted against the descriptor budget).
    accept_backlog: int = 128

    def __post_init__(self) -> None:
        if self.token_secret is not None and len(self.token_secret) < 16:
            raise ValueError("token_secret must be at least 16 bytes")
        if self.turn_urls and not self.turn_secret:
            raise ValueError("turn_urls need turn_secret")
        rates = (
            self.token_burst_per_address,
            self.token_rate_per_address,
            self.token_burst_per_prefix,
            self.token_rate_per_prefix,
        )
        if min(rates) <= 0:
            raise ValueError("token rate limits must be positive")
        if self.token_ttl_s <= 0 or self.turn_ttl_s <= 0:
            raise ValueError("token_ttl_s and turn_ttl_s must be positive")
        if min(self.header_timeout_s, self.keepalive_timeout_s) <= 0:
            raise ValueError("header_timeout_s and keepalive_timeout_s must be positive")
        if min(self.max_connections, self.max_connections_per_address) < 1:
            raise ValueError("max_connections and max_connections_per_address must be >= 1")
