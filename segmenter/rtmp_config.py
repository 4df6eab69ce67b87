"""RTMP ingest settings: every default in one place; the CLI only overrides them."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from swarmcast.segmenter.config import NAME_PATTERN

MAX_STREAM_KEY_LENGTH = 256


@dataclass(frozen=True)
class RtmpConfig:
    """Where publishers connect (`rtmp://<listen_host>:<port>/<app>/<stream key>`) and who may.

    A publisher is accepted only if it names `app` and a key in `stream_keys`; anything else is
    refused before a byte of media is taken, and the refusal is logged with its address.
    """

    listen_host: str = "0.0.0.0"
    """Address to listen on; 0.0.0.0 accepts publishers from anywhere (OBS on another host)."""
    port: int = 1935
    """TCP port; 1935 is what OBS and FFmpeg use when the URL has none. 0 picks a free port."""
    app: str = "live"
    """The RTMP application, i.e. the first path element of the publish URL."""
    stream_keys: Mapping[str, str] = field(default_factory=dict, repr=False)
    """Secret stream key -> stream name. Keys are compared in constant time and never logged."""
    setup_timeout: float = 10.0
    """Seconds from TCP accept until the publish is accepted (handshake, connect, publish);
    slower or silent clients are dropped."""
    idle_timeout: float = 15.0
    """Seconds a publishing connection may stay silent before it counts as lost."""
    handshake_timeout: float = 2.0
    """Seconds from TCP accept until the RTMP handshake is complete (within setup_timeout):
    a silent connection holds a slot this long at most."""
    max_connections: int = 32
    """Simultaneous TCP connections (publishing or not). A new one displaces an
    unauthenticated one (segmenter/rtmp_admission.py) or is closed at once."""
    max_connections_per_address: int = 4
    """Simultaneous TCP connections from one IP address (same rule)."""
    key_failures_before_lockout: int = 5
    """Wrong stream keys from one address within `key_failure_window` seconds before that
    address's connections are refused for `lockout` seconds."""
    key_failure_window: float = 60.0
    lockout: float = 300.0
    chunk_size: int = 4096
    """RTMP chunk size announced to clients for our (small) replies."""
    buffer_high_water: int = 8 * 1024 * 1024
    """Bytes of undecoded media held per publisher before reading from its socket pauses."""
    buffer_low_water: int = 2 * 1024 * 1024
    """Reading resumes once the decoder has drained the buffer below this."""
    probe_seconds: float = 1.0
    """How long the decoder may look at a new publish to find its streams (FFmpeg
    analyzeduration). Publishers with audio and video start at once; a single-stream publish
    (video only) waits this long before its first frame (nothing is lost, only delayed)."""

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ValueError(f"RTMP port {self.port} out of range")
        if not self.app or "/" in self.app:
            raise ValueError("the RTMP app must be a non-empty name without '/'")
        for key, name in self.stream_keys.items():
            if not key or len(key) > MAX_STREAM_KEY_LENGTH or "/" in key:
                raise ValueError(f"stream keys must be 1..{MAX_STREAM_KEY_LENGTH} chars, no '/'")
            if not NAME_PATTERN.match(name):
                raise ValueError(f"stream name {name!r} must match {NAME_PATTERN.pattern}")
        if min(self.setup_timeout, self.idle_timeout, self.handshake_timeout) <= 0:
            raise ValueError("RTMP timeouts must be positive")
        if min(self.max_connections, self.max_connections_per_address) < 1:
            raise ValueError("max_connections and max_connections_per_address must be >= 1")
        if self.key_failures_before_lockout < 1 or min(self.key_failure_window, self.lockout) < 0:
            raise ValueError("key_failures_before_lockout >= 1, window and lockout >= 0")
        if not 128 <= self.chunk_size <= 65536:
            raise ValueError("chunk_size must be in 128..65536")
        if not 0 < self.buffer_low_water < self.buffer_high_water:
            raise ValueError("need 0 < buffer_low_water < buffer_high_water")
        # A read-only copy: the caller's dict cannot change the keys behind our back.
        object.__setattr__(self, "stream_keys", MappingProxyType(dict(self.stream_keys)))

    def stream_for_key(self, offered_key: str) -> str | None:
        """The stream name `offered_key` publishes to, or None (see `stream_for_key`)."""
        return stream_for_key(self.stream_keys, offered_key)

    def publish_url(self, stream_key: str, host: str | None = None) -> str:
        """The URL a broadcaster enters (server + key), for help texts and logs."""
        shown_host = host or ("127.0.0.1" if self.listen_host in ("0.0.0.0", "::") else "")
        shown_host = shown_host or self.listen_host
        return f"rtmp://{shown_host}:{self.port}/{self.app}/{stream_key}"


def stream_for_key(stream_keys: Mapping[str, str], offered_key: str) -> str | None:
    """The stream name `offered_key` maps to in `stream_keys`, or None.

    Every configured key is compared (no early exit), over SHA-256 digests so that key
    lengths do not leak through timing either. Shared by RTMP and WHIP ingest.
    """
    offered = hashlib.sha256(offered_key.encode("utf-8", "surrogatepass")).digest()
    found: str | None = None
    for key, name in stream_keys.items():
        expected = hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()
        if hmac.compare_digest(offered, expected):
            found = name
    return found
