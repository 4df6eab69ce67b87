"""The signaling server's one frozen configuration: every default lives here (docs §4.5)."""

from __future__ import annotations

from dataclasses import dataclass

from swarmcast.protocol.signaling_schema import IceServer
from swarmcast.signaling.auth import JwtSettings


@dataclass(frozen=True)
class SignalingConfig:
    """Limits and policies of `signaling.server.SignalingServer`; the CLI only overrides."""

    # Neighbours per viewer (K), and the most a seeder may ask for with `max_neighbours`.
    max_neighbours: int = 5
    seeder_max_neighbours: int = 32
    # Peers of one network prefix (IPv4 /24, IPv6 /48) admitted to one swarm.
    max_peers_per_prefix: int = 64
    # ...and of one address (IPv4 address, IPv6 /64): well below the prefix cap, so one
    # address cannot fill its network's share with idle peers (docs/security.md §4.4).
    max_peers_per_address: int = 8
    # Connections per node: per token, per address, per network prefix. A connection in no
    # swarm (never joined, or left) that sends nothing for `join_timeout_s` is closed.
    max_connections_per_token: int = 2
    max_connections_per_address: int = 16
    max_connections_per_prefix: int = 128
    join_timeout_s: float = 30.0
    # Swarms one stream may have. With `renditions` (attach_signaling) only the stream's real
    # renditions get swarms; without (a standalone node with no origin) this bounds them.
    max_swarms_per_stream: int = 16
    # Networks where many viewers share one address (an office NAT, a test lab): the
    # per-address caps do not apply there, the per-prefix ones still do.
    shared_address_networks: tuple[str, ...] = ()
    # An operator's JWT issuer accepted besides swarmcast tokens (signaling/auth.py).
    jwt: JwtSettings | None = None

    # A neighbour's upload budget per link at or above this counts as "spare upload".
    good_upload_bps: int = 1_000_000

    # RTCIceServers handed out in the join ack. Empty: LAN/loopback needs none, and nothing
    # should reach an external STUN server unless the operator asks for it.
    ice_servers: tuple[IceServer, ...] = ()
    # TURN REST credentials (coturn --use-auth-secret) for `turn_urls`, minted per join.
    turn_urls: tuple[str, ...] = ()
    turn_secret: str | None = None
    turn_ttl_s: int = 86400
    # Relay-only (privacy) streams, "*" = every stream: peers use TURN relay candidates only
    # (the join ack says `ice_transport_policy: "relay"`) and signaling relays no host/srflx
    # candidate nor any address but a relay's (protocol/relay_only.py). Needs turn_urls.
    relay_only_streams: tuple[str, ...] = ()

    # Seeder claims (`capabilities.seeder`) are honoured only from these networks, or with an
    # operator-signed seeder token (docs/protocol.md §3). A seeder gets more neighbours and is
    # preferred by newcomers, so from anyone else the claim is ignored. Loopback by default:
    # an edge seeder on the origin's host (behind a local proxy, set trusted_proxies).
    seeder_networks: tuple[str, ...] = ("127.0.0.0/8", "::1/128")
    # Connections from these addresses/networks may set X-Forwarded-For (a reverse proxy).
    trusted_proxies: tuple[str, ...] = ()
    # Page origins that may connect (checked on connect, refused with `origin-not-allowed`):
    # None = same origin only, "*" = any, or a list of origins ("https://www.example.com").
    cors_allowed_origins: str | tuple[str, ...] | None = None
    # Always allowed besides: the public URLs' origins (`DeployOptions.public_url`, ...).
    public_origins: tuple[str, ...] = ()

    # Per-connection token buckets (events per second, burst) and the flood cut-off
    # (signaling/admission.py): `max_refusals` refused events within `refusal_window_s` close
    # the connection. The burst covers a join's trickled ICE: ~10 candidates per neighbour,
    # K neighbours at once.
    event_rate: float = 50.0
    event_burst: float = 200.0
    join_rate: float = 0.5
    join_burst: float = 5.0
    max_refusals: int = 200
    refusal_window_s: float = 10.0

    # Bad-peer reports (signaling/report_policy.py, docs/security.md §4.2): a target is banned
    # when the best report weight of each reporter prefix, summed, reaches the threshold (one
    # prefix weighs at most 1). A reporter's weight ramps from young_weight to 1 over its
    # first full_standing_s in the swarm, and shrinks once its address (prefix) blamed more
    # distinct peers than its budget in `report_history_s`. A ban covers the target's address and
    # token `sub` for `ban_s`; any report keeps the pair apart for `unlink_block_s`.
    report_threshold: float = 2.0
    report_full_standing_s: float = 30.0
    report_young_weight: float = 0.25
    report_budget_per_address: int = 2
    report_budget_per_prefix: int = 4
    report_window_s: float = 300.0
    # How long a reporter's blames count against its budget: longer than the window, so a
    # patient accuser cannot refill its budget every few minutes.
    report_history_s: float = 3600.0
    ban_s: float = 600.0
    unlink_block_s: float = 600.0
    # A join ack counts the swarm's members that joined within this window (`recent_joins`,
    # docs/protocol.md §4.2): several of them at once is a crowd arriving, and newcomers then
    # start from the swarm instead of each pulling the startup segments from the origin.
    recent_join_window_s: float = 4.0

    # Operator plane (docs/operator.md): viewers' beacons per connection (sustained per second,
    # burst; clients send one per ~10 s and at page hide), how long a silent viewer still counts
    # as live, how often the dashboard's history is sampled, and the bearer token of `/admin`
    # and `/api/swarms` (None: the admin API is off and `/api/swarms` not served at all;
    # env SWARMCAST_ADMIN_TOKEN).
    beacon_rate: float = 0.5
    beacon_burst: float = 5.0
    beacon_stale_s: float = 60.0
    ops_sample_interval_s: float = 5.0
    admin_token: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.max_neighbours <= self.seeder_max_neighbours <= 64:
            raise ValueError("need 1 <= max_neighbours <= seeder_max_neighbours <= 64")
        if min(self.max_peers_per_prefix, self.max_peers_per_address) < 1:
            raise ValueError("per-swarm caps must be positive")
        caps = (
            self.max_connections_per_token,
            self.max_connections_per_address,
            self.max_connections_per_prefix,
        )
        if min(caps) < 1 or self.max_swarms_per_stream < 1 or self.join_timeout_s <= 0:
            raise ValueError("connection caps, swarm cap and join timeout must be positive")
        if self.report_threshold <= 1:
            raise ValueError("report_threshold must exceed 1 (one prefix weighs at most 1)")
        if min(self.event_rate, self.event_burst, self.join_rate, self.join_burst) <= 0:
            raise ValueError("rates and bursts must be positive")
        if min(self.beacon_rate, self.beacon_burst, self.ops_sample_interval_s) <= 0:
            raise ValueError("rates and bursts must be positive")
        if self.turn_urls and not self.turn_secret:
            raise ValueError("turn_urls need turn_secret")
        if self.relay_only_streams and not self.turn_urls:
            raise ValueError("relay_only_streams need turn_urls (and turn_secret)")

    def relay_only(self, stream: str) -> bool:
        """Whether `stream` is a relay-only (privacy) stream."""
        return stream in self.relay_only_streams or "*" in self.relay_only_streams
