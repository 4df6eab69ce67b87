"""The simulator's one frozen config: every default lives here; `swarmcast bench sim` only
overrides. Defaults model the lab's flash scenario (issue 8): a 1.13 Mbit/s stream in 2 s
segments, 16 KiB pieces, origin egress 3x the bitrate, hls.js players behind the shim."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

from swarmcast.peer.scheduler_config import SchedulerConfig

Adapter = Literal["shim", "peer", "cdn"]

SHIM_SCHEDULER_OVERRIDES: dict[str, Any] = {"live_tier_spacing_s": 1.5}
"""What player-shim/src/config.ts DEFAULT_OPTIONS.scheduler changes from the Python defaults."""


@dataclass(frozen=True)
class SimConfig:
    """One simulated run (all times in seconds, rates in bytes per second unless named)."""

    scenario: Literal["flash", "steady"] = "flash"
    peers: int = 8
    duration_s: float = 90.0
    """Simulated time from the first possible arrival to the end of the run."""
    arrival_window_s: float = 10.0
    """flash: every viewer joins at a uniformly random time within it; steady: joins are spread
    evenly over it (with a little jitter)."""

    # --- stream ---------------------------------------------------------------------------
    bitrate_bps: float = 1_130_000.0
    segment_s: float = 2.0
    size_jitter: float = 0.2
    """Segment sizes vary uniformly by +-this share around bitrate * duration (VBR)."""
    piece_size: int = 16384
    stream_age_s: float = 60.0
    """How long the stream has been live when the run starts (the playlist is full)."""
    playlist_window: int = 6

    # --- origin ---------------------------------------------------------------------------
    cap_x: float = 3.0
    """Origin egress capacity in multiples of the stream bitrate."""
    origin_latency_s: float = 0.05
    origin_slots: int = 256
    """Transfers the origin serves at once (fair share among them); later ones wait."""
    origin_queue: int = 1024
    """Requests that may wait for a slot; beyond that the origin answers 503."""
    client_connections: int = 6
    """Concurrent HTTP requests per viewer to the origin host (Chromium HTTP/1.1: 6)."""
    http_progressive: bool = True
    """Range responses reach the scheduler piece by piece as they arrive (True: both adapters
    stream them since cut-through), or once the whole response is in (False: before)."""
    playlist_jitter_s: float = 0.15
    """Extra random delay of each playlist poll (timers, request time)."""
    blocking_reload: bool = True
    """Playlist reloads are held by the origin until the next segment is published (`_HLS_msn`,
    server/playlist_hold.py, on by default in the origin; hls.js and the Python peer's live
    feed both use it): a viewer learns of each segment a round trip after its publication
    instead of at its next poll. False: players polling an origin without it."""

    # --- peers ----------------------------------------------------------------------------
    neighbours: int = 5
    peer_up_x: tuple[float, float] = (4.0, 12.0)
    """Each viewer's upload capacity, uniform in this range of multiples of the bitrate."""
    small_share: float = 0.0
    """> 0: this share of viewers is on a small access link (DSL, mobile) instead: its uplink is
    drawn from `small_up_x` and, when downlinks are modelled, its downlink from `small_down_x`.
    The realistic lab's uplinks are bimodal (cable 2-3x the top rung, DSL and mobile 0.2-0.7x),
    which one uniform range does not model: a small member elected first relays slower than real
    time to fast ones. The class is drawn from its own rng, so a seed's other draws stay."""
    small_up_x: tuple[float, float] = (0.2, 0.7)
    small_down_x: tuple[float, float] = (1.1, 2.0)
    peer_down_x: tuple[float, float] | None = None
    """Each viewer's download capacity, uniform in this range of multiples of the bitrate
    (drawn from its own rng, so the other draws of a seed stay as they are); everything the
    viewer receives (its origin transfers, incoming peer pieces) shares it max-min fairly
    (bench/sim/flows.py). None = unlimited (origin transfers share only the origin egress)."""
    uplink_measured_after_s: float | None = None
    """The viewer's scheduler learns its uplink capacity as measured (`set_measured_uplink`, as
    the shim's uplink meter tells it once its channels were backlogged) this long after its
    swarm session starts; None = never (the model before it)."""
    uplink_known_share: float = 0.0
    """> 0: each viewer's scheduler is told its uplink as an upload cap of this share of it, as
    the lab's Python viewers are (`--upload-rate`, `upload_budget_share` in
    bench/scenarios/realistic.toml); 0: schedulers know nothing of their uplink (pieces queue
    in the simulated link)."""
    pair_latency_s: tuple[float, float] = (0.01, 0.06)
    """One-way latency of each peer pair, uniform in this range."""
    join_delay_s: tuple[float, float] = (0.5, 1.5)
    """From arrival to a joined swarm session (signing key, API config, signaling join)."""
    connect_delay_s: tuple[float, float] = (0.3, 1.0)
    """From matching to HELLO exchanged on the data channel (ICE, DTLS, SCTP)."""
    announce_to_holders: bool = False
    """True: HAVE_PIECES of a segment also go to neighbours that announced it complete (before
    session 13); False: not (both adapters since then: they ignore them)."""

    # --- players --------------------------------------------------------------------------
    adapter: Adapter = "shim"
    """shim: hls.js behind player-shim (plain HTTP until the session is up, the loader's
    deadline safety net, swarm size from signaling); peer: the Python headless peer (no
    safety net, swarm size from signaling); cdn: plain hls.js, no P2P (the reference)."""
    live_sync_count: float = 3.0
    """hls.js liveSyncDurationCount: start this many target durations behind the live edge."""
    store_segments: int = 30
    deadline_grace_s: float = 1.5
    """Shim loader safety net: plain HTTP this long after the playback deadline."""
    safety_extensions: int = 20
    """Grace periods the safety net adds while the engine's delivery is underway
    (hls_loader.ts MAX_SAFETY_EXTENSIONS)."""
    safety_net_sees_copies: bool = True
    """The safety net also keeps waiting while a neighbour announced a copy of the fragment
    (HAVE_PIECES) within the grace period, or, before the first frame, while neighbours are
    still connecting (swarm_session.ts deliveryUnderway since b7674ab; False = the model before
    it: only the member's own origin fetch or pieces arriving count)."""
    safety_net_drops_copy: bool = True
    """When the safety net sends a fragment to plain HTTP, the engine drops its unfinished copy so
    its scheduler does not fetch the same bytes from the origin beside the player's
    (swarm_session.ts playerFetches, session 13; False = the model before it)."""
    pre_join_segments: int = 6
    """shim: fragments hls.js loaded before the join, handed to the swarm store once joined
    (p2p_engine.ts PRE_JOIN_SEGMENTS); 0 = not kept (the shim before 275a273)."""
    join_hold_s: float = 2.0
    """shim: before the first frame, a fragment hls.js asks for while the swarm join is still
    running waits up to this long after arrival for the session, then goes over plain HTTP
    (player-shim config startupJoinWaitMs, 2 s since 6812a79; 0 = the engine before it: plain
    HTTP until the session is up)."""
    shim_startup_plan: bool = True
    """shim: model startup_join.ts `startsFromSwarm`: a newcomer that finds no crowd (fewer than 3
    others arrived within the last 4 s, or they are under half the swarm) loads its fragments
    before the first frame over plain HTTP at once (the hedge, then origin-fast), handing them
    to the swarm store; one slower than half its duration (media-slow) sends the rest through the
    swarm. The crowd is judged at arrival (the real ack reports it about a second later). The
    player's plain-HTTP loads seed the scheduler's origin rate as the download meter does
    (p2p_engine.ts `httpTransferred`)."""
    first_frame_delay_s: float = 0.0
    """shim: from the first fragment's delivery to the first frame (hls.js seeks to its live sync
    point and the decoder starts: 0.2-1.2 s in the realistic lab), while hls.js already asks for
    the next fragment as a startup one; 0 = the first frame at once (the model before it)."""
    slow_media_share: float = 0.5
    """shim startup plan: a startup fragment over plain HTTP slower than this share of its duration
    is media-slow (startup_join.ts SLOW_MEDIA_SHARE; a variant's value to compare)."""
    media_slow_needs_holder: bool = False
    """shim startup plan: after a media-slow startup fragment, a later startup fragment goes to
    the swarm only when a neighbour holds the whole segment (else plain HTTP, as before it);
    False = every later startup fragment goes to the swarm."""
    catchup_latency_s: float | None = None
    """If set: a stalled player more than this far behind the live edge jumps back to the
    live sync position (hls.js liveMaxLatencyDuration); None = hls.js default (never)."""
    swarm_size_poll_s: float = 10.0
    """peer adapter: how often the real swarm size comes from signaling."""
    shim_swarm_size: Literal["neighbours", "signaling"] = "signaling"
    """shim: the swarm size the election sees: the size signaling knows (at the join, then polled
    every `swarm_size_poll_s`: swarm_size_poll.ts) or neighbours + 1 (the shim before it)."""

    scheduler: dict[str, Any] = field(default_factory=dict)
    """Scheduler config overrides on top of the adapter's defaults."""

    def __post_init__(self) -> None:
        if self.peers < 1 or self.segment_s <= 0 or self.cap_x <= 0 or self.duration_s <= 0:
            raise ValueError("peers >= 1, segment_s > 0, cap_x > 0, duration_s > 0")
        if self.scenario not in ("flash", "steady") or self.adapter not in ("shim", "peer", "cdn"):
            raise ValueError("scenario: flash|steady, adapter: shim|peer|cdn")
        down = self.peer_down_x
        if down is not None and (len(down) != 2 or not 0 < down[0] <= down[1]):
            raise ValueError("peer_down_x: (low, high) with 0 < low <= high")

    @property
    def bitrate_bytes(self) -> float:
        return self.bitrate_bps / 8.0

    def scheduler_config(self) -> SchedulerConfig:
        base = SHIM_SCHEDULER_OVERRIDES if self.adapter == "shim" else {}
        return SchedulerConfig().with_overrides({**base, **self.scheduler})

    def with_overrides(self, overrides: dict[str, Any]) -> SimConfig:
        return dataclasses.replace(self, **overrides)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
