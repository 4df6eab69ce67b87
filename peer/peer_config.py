"""The Python peer's one frozen config (adapter settings + the scheduler's own config).
Defaults live here; `peer/cli.py` only overrides them."""

from __future__ import annotations

from dataclasses import dataclass, field

from swarmcast.peer.channel_window import ChannelWindowConfig
from swarmcast.peer.neighbour_guard import GuardConfig
from swarmcast.peer.scheduler_config import SchedulerConfig


@dataclass(frozen=True)
class IceServerConfig:
    """One RTCIceServer. None are used unless configured (never a public STUN server)."""

    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = None


@dataclass(frozen=True)
class PeerConfig:
    origin_url: str
    """Base URL of the origin, e.g. http://127.0.0.1:8080 (playlists, records, tokens)."""
    stream: str
    rendition: str | None = None
    """Rendition to join (e.g. "360p"); None takes the first one of the master playlist."""
    seed: bool = False
    """Edge seeder: every segment from the origin at once, serve peers, no playhead."""
    signaling_url: str | None = None
    """Signaling server; None means the origin itself (`/socket.io/`, namespace `/swarm`)."""
    token_secret: bytes | None = None
    """The operator's token secret: mint viewer tokens locally (seeder tokens with `seed`,
    docs/protocol.md §3) instead of asking `/api/token`. None: ask the origin."""
    ice_servers: tuple[IceServerConfig, ...] = ()
    """ICE servers for every RTCPeerConnection; empty = host candidates only."""
    use_signaling_ice_servers: bool = False
    """Also use the ICE servers signaling hands out in its join ack."""
    live_delay_segments: float = 3.0
    """The simulated player starts this many target durations behind the live edge (hls.js's
    liveSyncDurationCount default)."""
    playlist_poll_s: float | None = None
    """Media playlist polling period; None = half the target duration, or, when the origin
    advertises CAN-BLOCK-RELOAD, one held reload per segment (`?_HLS_msn`, docs/protocol.md §1)."""
    playlist_poke_min_s: float = 0.5
    """A neighbour announcing a segment our playlist does not list yet makes us poll early,
    but never sooner than this after the previous poll (neighbours cannot drive our polls)."""
    neighbour_guard: GuardConfig = field(default_factory=GuardConfig)
    """What a neighbour may announce, how fast, and when it is dropped (docs/protocol.md §5.1)."""
    max_store_segments: int = 30
    """Segments kept for sharing (the live window)."""
    beacon_interval_s: float | None = 10.0
    """How often to send the operator a beacon over signaling (docs/protocol.md §4.7). None:
    never."""
    swarm_size_poll_s: float | None = 10.0
    """How often to read the swarm's size from signaling's `/api/swarms` (it sizes the live
    HTTP-first election; without it the peer assumes neighbours + 1). None: never."""
    max_neighbours: int | None = None
    """Asked of signaling at join (it caps it); None = its default."""
    p2p: bool = True
    """Use peers at all; False opts out (the operator's control can narrow P2P, never widen
    it: docs/operator.md)."""
    viewer_key: str | None = None
    """This peer's stable key for the operator's ramp-up cohorts; None: a random one per run."""
    upload_budget_bps: int = 0
    """Upload budget advertised at join (helps signaling pick neighbours); 0 = unknown."""
    upload_share_of_measured: float = 0.7
    """With no upload cap configured and an uplink below the stream's bitrate, the share of the
    uplink measured while the channels back up that this peer uploads at most, its slots
    following (peer/measured_cap.py; 0: none)."""
    max_pieces_per_request: int = 64
    """Advertised in HELLO: the largest REQUEST we serve."""
    channel_min_high_water_bytes: int = ChannelWindowConfig.min_bytes
    channel_high_water_bytes: int = ChannelWindowConfig.max_bytes
    channel_buffer_s: float = ChannelWindowConfig.buffer_s
    """A data channel holds about `channel_buffer_s` of its link's measured pace ahead of the
    wire, between the two marks (bytes); the rest waits in the link's queue, where a CANCEL drops
    it (peer/channel_window.py)."""
    start_timeout_s: float = 30.0
    """How long start() waits for the stream to exist on the origin (its first segment)."""
    http_timeout_s: float = 10.0
    """Total timeout of one origin request."""
    timeline_capacity: int | None = None
    """Record a timeline of this many events (peer/event_timeline.py); None = none (default).
    `swarmcast peer --timeline FILE` sets 5000 and writes it to FILE on exit."""
    scheduler: SchedulerConfig = field(default_factory=SchedulerConfig)

    def __post_init__(self) -> None:
        if not self.origin_url.startswith(("http://", "https://")):
            raise ValueError("origin_url must be an http(s) URL")
        self.channel_window()  # validates the marks
        if self.max_store_segments < 2:
            raise ValueError("max_store_segments must be >= 2")

    def channel_window(self) -> ChannelWindowConfig:
        """The links' channel window (peer/channel_window.py) from the three fields."""
        return ChannelWindowConfig(
            min_bytes=self.channel_min_high_water_bytes,
            max_bytes=self.channel_high_water_bytes,
            buffer_s=self.channel_buffer_s,
        )
