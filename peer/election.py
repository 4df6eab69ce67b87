"""Who takes a new live segment from the origin: a deterministic, per-(peer, segment) hash.

Goal: about one member of a swarm fetches each new live segment over HTTP, the others take it
from peers, and nobody needs to talk to agree on it. Every member computes
`u = hash(peer_id, seq)` in [0, 1) for itself and for each neighbour (it knows their ids).

- Tiers: with N members (the swarm size from signaling, at least neighbours + 1) and
  `c = live_http_first_count`, tier 0 is `u < c/N`, tier 1 the next `2c/N` of the range, tier
  2 the next `4c/N`, ... (widths grow by `live_tier_growth`). A member of tier k waits
  `k * live_tier_spacing_s` for a neighbour to announce the segment, then fetches it from HTTP.
  So about c members go at once; if tier 0 happens to be empty, tier 1 goes one spacing later,
  and so on (tiers widen so that reaching the deadline fallback with nobody elected is rare:
  `exp(-c * (1 + g + g^2 + ...))`). The spacing covers playlist-poll jitter plus a few
  store-and-forward hops (a neighbour announces a segment only once it holds all of it).
- Large swarms: above `live_http_first_large_swarm` members (L) tier 0 grows to
  `c * (1 + log10(N / L))` (c at L, 2c at 10 L). A copy crosses about log N relay hops before
  the last member has it, all within the same few segments of live latency; with one expected
  tier-0 member, tier 0 is empty 37% of the time and the first fetch waits a tier spacing more.
  In a 1,000-viewer simulated swarm a segment first fetched 3 s after it appeared reached the
  median member after its playback deadline, and ~240 members took the rest from the origin
  at that same deadline (bench/results/sim-congestion-notes.md, "1,000 viewers steady").
- Neighbour stagger: among neighbours in the same tier, each waits
  `live_neighbour_stagger_s` more per neighbour of that tier with a smaller `u`, so two
  elected neighbours do not both fetch.
- A member with an edge-seeder neighbour waits one extra tier: the seeder goes first.
- Empty tiers (`skip_empty_tiers`, the live election only): in a small swarm where this member
  and its neighbours are at least half of the members, and none of them is in tiers 0 .. k-1
  (k >= 2), it moves k - 1 tiers down, as its neighbours do, so the lowest of them goes one
  spacing after the announcement instead of k. Tier 1, not 0: a member it does not know may be
  lower, and one spacing is what it needs to hear that member's copy. With 8 members tiers 0-1
  are empty for 2.3% of segments; with the browsers' 1.5 s spacing the first fetch then came
  3 s after the announcement and a relay slowed by a loaded machine missed a steady viewer's
  deadline (bench/results/flash-crowd/session19/README.md). Knowing less than half, the known
  ones' tiers say little about the swarm's lowest: in a swarm of 100 the lowest of 6 members
  is usually in tier 3 or 4, and moving it down would send most of the swarm to the origin.
- Known swarm (`lowest_known_first`, the live election only): a member that knows every member
  of the swarm (its neighbours plus itself are the swarm size or more) moves the tiers down so
  that the lowest of them is in tier 0: nobody can be lower, so the swarm's first fetch starts
  at once instead of one spacing (or more) after the announcement. In a swarm of N members
  tier 0 is empty for `(1 - 1/N)^N` of segments (a third with 5); in the realistic lab's 360p
  swarm (5-7 pages) that was 21-33 of ~49 segments a run, the first origin fetch came a median
  0.8-1.5 s after the first page learned of the segment, and that time came out of every
  relay's window (bench/results/stalls-s56/README.md). Members that all know the whole swarm
  compute the same lowest, so one member still goes first.
- The deadline fallback (see `peer.piece_scheduler`) still applies on top, so the election
  only affects offload, never stalls.

The hash is FNV-1a (32 bit) over the UTF-8 bytes of `"<peer_id>/<seq>"` followed by the
MurmurHash3 32-bit finaliser: trivial to port exactly (TypeScript: `Math.imul`, `>>> 0`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193
_MASK32 = 0xFFFFFFFF


def election_hash(peer_id: str, seq: int) -> int:
    """32-bit hash of (peer_id, seq), identical in the TypeScript port."""
    value = _FNV_OFFSET
    for byte in f"{peer_id}/{seq}".encode():
        value ^= byte
        value = (value * _FNV_PRIME) & _MASK32
    # MurmurHash3 fmix32: FNV alone mixes the last characters (the seq digits) poorly.
    value ^= value >> 16
    value = (value * 0x85EBCA6B) & _MASK32
    value ^= value >> 13
    value = (value * 0xC2B2AE35) & _MASK32
    value ^= value >> 16
    return value


def election_unit(peer_id: str, seq: int) -> float:
    """The hash mapped to [0, 1)."""
    return election_hash(peer_id, seq) / 4294967296.0


def election_tier(unit: float, share: float, growth: float) -> int:
    """Tier of a hash unit: tier 0 is [0, share), tier k is `share * growth**k` wide."""
    tier, lower, width = 0, 0.0, share
    while unit >= lower + width and lower + width < 1.0:
        lower += width
        width *= growth
        tier += 1
    return tier


def live_first_count(http_first_count: float, members: int, large_swarm: int) -> float:
    """Expected tier-0 members: `http_first_count`, growing by it per tenfold of members above
    `large_swarm` (0: never grows)."""
    if large_swarm <= 0 or members <= large_swarm:
        return http_first_count
    return http_first_count * (1.0 + math.log10(members / large_swarm))


def http_first_delay(
    peer_id: str,
    seq: int,
    *,
    neighbour_ids: Iterable[str],
    swarm_size: int,
    http_first_count: float,
    tier_spacing_s: float,
    tier_growth: float,
    neighbour_stagger_s: float,
    seeder_neighbour: bool,
    large_swarm: int = 0,
    skip_empty_tiers: bool = False,
    lowest_known_first: bool = False,
) -> float:
    """Seconds this member waits after learning of live segment `seq` before taking it from
    HTTP when no neighbour has announced it. 0 means it fetches at once."""
    neighbours = sorted(neighbour_ids)
    members = max(1, swarm_size, len(neighbours) + 1)
    share = min(1.0, live_first_count(http_first_count, members, large_swarm) / members)
    growth = max(1.0, tier_growth)
    unit = election_unit(peer_id, seq)
    tier = election_tier(unit, share, growth)
    ahead = 0
    lowest_known_tier = tier
    for other in neighbours:
        other_unit = election_unit(other, seq)
        other_tier = election_tier(other_unit, share, growth)
        lowest_known_tier = min(lowest_known_tier, other_tier)
        if other_unit < unit and other_tier == tier:
            ahead += 1
    knows_all = len(neighbours) + 1 >= members
    knows_half = 2 * (len(neighbours) + 1) >= members
    if lowest_known_first and knows_all:
        tier -= lowest_known_tier
    elif skip_empty_tiers and knows_half and lowest_known_tier > 1:
        tier -= lowest_known_tier - 1
    extra_tier = 1 if seeder_neighbour else 0
    return (tier + extra_tier) * tier_spacing_s + ahead * neighbour_stagger_s


def stale_copy_delay(
    peer_id: str, seq: int, neighbour_ids: Iterable[str], tier_growth: float
) -> float:
    """This member's turn (in units of a progress timeout) to take over a neighbour's stale copy
    of `seq` (`OriginGate.stale_turn`): the live election's tiers among its neighbourhood, which
    hears the copy's last word at about the same moment (one member expected in tier 0, tiers
    one unit apart, neighbours of a tier half a unit apart)."""
    neighbours = list(neighbour_ids)
    return http_first_delay(
        peer_id,
        seq,
        neighbour_ids=neighbours,
        swarm_size=len(neighbours) + 1,
        http_first_count=1.0,
        tier_spacing_s=1.0,
        tier_growth=tier_growth,
        neighbour_stagger_s=0.5,
        seeder_neighbour=False,
    )
