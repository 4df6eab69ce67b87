"""WHIP ingest settings (RFC 9725): every default in one place; the CLI only overrides them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from swarmcast.segmenter.config import NAME_PATTERN
from swarmcast.segmenter.rtmp_config import MAX_STREAM_KEY_LENGTH, stream_for_key


@dataclass(frozen=True)
class WhipConfig:
    """Who may publish over WHIP (`POST <endpoint>` with `Authorization: Bearer <key>`) and
    the limits that keep a public endpoint from being abused."""

    stream_keys: Mapping[str, str] = field(default_factory=dict, repr=False)
    """Secret stream key (the bearer token) -> stream name; compared in constant time."""
    endpoint: str = "/whip"
    """Path of the WHIP endpoint; sessions live below `<endpoint>/session/<id>`."""
    max_body_bytes: int = 64 * 1024
    """Largest SDP offer / sdpfrag accepted (413 above). Browser offers are ~5-10 KiB."""
    request_rate: float = 1.0
    """Sustained WHIP requests per second per client address (429 above)."""
    request_burst: float = 10.0
    """Requests a client address may send at once before `request_rate` applies."""
    max_auth_failures: int = 5
    """Wrong bearer tokens from one address before it is locked out."""
    lockout_s: float = 60.0
    """How long a locked-out address gets 429 for every WHIP request."""
    max_tracked_addresses: int = 4096
    """Client addresses remembered for rate limits and lockouts (oldest forgotten first)."""
    max_sessions: int = 8
    """WHIP sessions (connecting or publishing) at once, all streams together (503 above)."""
    setup_timeout_s: float = 15.0
    """Seconds from the POST until the first decoded frame; a slower publisher is dropped."""
    idle_timeout_s: float = 5.0
    """Seconds without a decoded frame before a publishing session counts as lost."""
    takeover_after_s: float = 2.0
    """A new authorised POST replaces the stream's session if that one has had no frame for
    this long (a publisher reconnecting after a network drop); otherwise 409."""
    max_queued_frames: int = 120
    """Decoded frames waiting for the segmenter; newer ones are dropped (logged) above this,
    so a slow encoder never stalls the event loop or grows memory."""
    max_clock_delay_s: float = 1.0
    """A frame arriving this much later than its RTP timestamp predicts re-anchors the media
    clock (sender paused or restarted its RTP clock); see server/whip_clock.py."""

    def __post_init__(self) -> None:
        for key, name in self.stream_keys.items():
            if not key or len(key) > MAX_STREAM_KEY_LENGTH or any(c.isspace() for c in key):
                raise ValueError(
                    f"WHIP stream keys must be 1..{MAX_STREAM_KEY_LENGTH} chars, no spaces"
                )
            if not NAME_PATTERN.match(name):
                raise ValueError(f"stream name {name!r} must match {NAME_PATTERN.pattern}")
        if not self.endpoint.startswith("/") or self.endpoint.endswith("/"):
            raise ValueError("the WHIP endpoint must start with '/' and not end with one")
        positive = (
            self.max_body_bytes, self.request_rate, self.request_burst, self.lockout_s,
            self.setup_timeout_s, self.idle_timeout_s, self.takeover_after_s,
            self.max_clock_delay_s,
        )  # fmt: skip
        if min(positive) <= 0:
            raise ValueError("WHIP sizes, rates and timeouts must be positive")
        if min(self.max_auth_failures, self.max_tracked_addresses, self.max_sessions) < 1:
            raise ValueError("WHIP counts must be >= 1")
        if self.max_queued_frames < 2:
            raise ValueError("max_queued_frames must be >= 2")
        object.__setattr__(self, "stream_keys", MappingProxyType(dict(self.stream_keys)))

    def stream_for_key(self, offered_key: str) -> str | None:
        """The stream `offered_key` publishes to, or None (constant time, see rtmp_config)."""
        return stream_for_key(self.stream_keys, offered_key)
