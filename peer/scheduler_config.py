"""The peer scheduler's one frozen config: every default lives here; the CLI only overrides.

The same names (snake_case) are used by the scenario files in `tests/vectors/scheduler/` and by
the TypeScript port, so a scenario can override any of them with a `"config"` object.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SchedulerConfig:
    """Tuning of the download scheduler and of the upload side (all times in seconds)."""

    # --- deadlines and HTTP fallback -------------------------------------------------------
    connect_wait_s: float = 4.0
    """How long a blocked segment nobody holds waits for neighbours that are still connecting
    (a newcomer's startup: they hold what it needs) before HTTP. Links behind NATs and TURN or
    on a loaded machine take seconds: with 1 s every newcomer of a simulated crowd with link
    set-up of 2-5 s took its first segment from the origin (40 viewers at 3x: TTFF p50 30 s;
    with 4 s 6.3 s; bench/results/flash-crowd/session20/README.md). It ends as soon as none is
    left connecting, so fast links do not wait for it."""
    connect_hold_s: float = 6.0
    """While at least half of a member's first neighbours are still connecting, for at most this
    long from the first report of connecting neighbours: no live election turn, and while not
    playing no takeover of a segment after the one playback waits on (`OriginGate.links_hold`;
    over for good once none is left connecting; 0: off)."""
    startup_deadline_s: float = 1.0
    """While the playhead is not playing, the segment at the playhead is due this long after the
    playhead was set (later segments follow by their media start times). Keeps startup short."""
    later_wait_for_head: bool = True
    """While not playing, the segments after the one playback waits on are due from the last
    moment that one was still missing, not from the playhead's setting: playback cannot reach
    them before it has it. Counted from the setting, a newcomer whose first segment took 10-25 s
    on a congested origin saw every later segment come due meanwhile and took five to eight of
    them from the origin before its first frame (browser lab, flash cell:
    bench/results/realistic-README.md, series 27)."""
    http_margin_s: float = 0.5
    """Fixed reserve kept before a deadline for the HTTP fallback (round trips, verification)."""
    http_rate_estimate_bytes_per_s: float = 2_000_000.0
    """Initial estimate of the origin's throughput; the fallback point of a segment is
    `deadline - http_margin_s - missing_bytes / estimate`. Updated from completed fetches."""
    slow_link_reserve_x: float = 2.0
    """A member whose own origin fetches run at most 1/this of the fastest origin rate a
    neighbour said within `own_rate_fresh_s` (HAVE_PIECES origin_rate) is on a link slower than
    the origin: there its fetches vary with its own link (its neighbours' pieces and its own
    upload share it), so the fallback point reserves this many times the estimated transfer
    time. On a congested origin every member's fetches are slow alike and the reserve stays 1x
    (a larger one there sent a crowd to the origin early: the reserve factor of session 25,
    bench/results/realistic-README.md series 7). Realistic lab: late takeovers took 1.4-2x their
    planned transfer time mid-run (series 10). 1: off."""
    tight_link_budget_s: float = 2.0
    """On a tight link (`tight_link_x`) a new segment's election turn (or a fetch of a segment
    nobody holds) waits while the segments due before it still miss more than this many seconds
    of the link's measured rate; a segment playback waits on, and every takeover, go at once. On
    downlinks of 1.1-2x the bitrate a newcomer that had just started took election turns for
    two or three later segments beside the one it needed next, and relays and takeovers shared
    the rest (simulator, steady audience: bench/results/sim-s31/README.md, section 4). Peer
    requests are not held: in a flash crowd every member's measured rate is low, and holding
    relays back there doubled the worst seed's stall share. 0: off."""
    new_fetch_share_x: float = 2.0
    """A new origin fetch (an election turn, a fetch of a segment nobody holds, a later
    segment's takeover) waits while a segment due before it would miss `deadline -
    http_margin_s` at 1/this of the measured origin rate: the share one more transfer leaves
    it on a shared downlink. Fetches in parallel share the link and all come late; earliest
    deadline first brings the one playback needs next in time. With blocking playlist reload a
    member learns of a new segment while the one before still arrives; on a thin buffer (a
    newcomer, a rendition switch) its turn or a takeover then halved that one's rate (lab: a
    mobile page's next segment 0.3-2 s late, bench/results/realistic-README.md series 15). The
    segment playback waits on never waits. 0: off."""
    player_loads_share_link: bool = True
    """The player's own plain-HTTP loads in flight (`PieceScheduler.player_load`: startup,
    after a rendition switch, the loader's safety net) count as due before the segments after
    them, with the bytes they still miss (`peer.player_loads`): the two rules above then hold a
    later segment's new fetch back while a load would come late beside it. A DSL page's
    scheduler started the next segment's fetch beside its player's load of the one before,
    and that load came late: 35 of 642 P2P stalls in 68 realistic lab runs
    (bench/results/stalls-s49/). False: the scheduler does not hear of them."""
    slow_link_holds_peer_requests: bool = True
    """On a link slower than the origin (`slow_link_reserve_x`: a neighbour's origin rate is
    that many times ours, so the member's own downlink is the bottleneck, not the origin), new
    peer requests for a later segment wait too while an earlier one would be late (the rule
    above): they share that downlink with the segment playback needs next (lab: a mobile page's
    next segment took 4.1 s beside three later segments' peer requests, a 2.3 s stall). On a
    congested origin every member is slow alike and peer requests never wait (holding them
    there doubled the simulated flash crowds' worst seeds, session 31)."""
    catch_up_unheld: bool = True
    """A playing member's next segment (nothing due before it missing) that no neighbour
    holds and that was published before the member learned of it (not at the live edge, so no
    election: the backlog of a rendition switch's new session, of a newcomer's first playlist)
    comes from the origin at once, as over plain HTTP, rather than at its fallback point:
    neighbours that played it already would hold it, so nobody is likely to bring it sooner,
    and on a thin buffer the wait was the stall (lab: a DSL page's first segment after a
    switch waited 5.3 s for its fallback point and a silent neighbour's round, a 0.8 s stall).
    Not while neighbours are still connecting (they may hold it)."""
    thin_lead_origin_s: float = 4.0
    """On a tight link (our measured origin rate under `shared_link_x` times the segment's
    bitrate, or slower than the origin: `slow_link_reserve_x`), a segment due within this long,
    with nothing due before it missing and none of it on its way yet, comes from the origin at
    once: no election turn, no round of requests to a neighbour that holds it. The segment a
    page needs right after its start, or after a stall, has about a segment's duration of lead
    and the transfer alone takes most of it; a relay on a home uplink sends a piece every
    0.5-1 s, and the page waited for the swarm and then for the takeover's transfer (realistic
    lab, seven runs: 28 of 41 P2P stalls in a page's first 30 s of play, 15 of them on a segment
    first asked of a neighbour and taken over at its fallback point;
    bench/results/stalls-s52/README.md).
    In steady play a new segment comes with 5-8 s of lead and goes to the swarm as before.
    Simulator, 24 seeds, stall share median / worst: cable + DSL audience 3.26 / 6.12 ->
    1.85 / 4.32 % (22 seeds better, 1 worse), 5-8 viewers 0.79 / 4.55 -> 0.48 / 2.73 %, flash
    crowds as before, at 1-2.5 points less offload of the bound (median;
    bench/results/sim-s52/README.md). 0: off."""
    thin_lead_min_rate_x: float = 1.0
    """`thin_lead_origin_s` only while our measured origin rate is at least this many times the
    segment's bitrate. Under it the rate is a share of a crowded origin (or a link that cannot
    keep up anyway): after a flash crowd's stall wave every member's lead was thin, each went to
    the origin at once and slowed it further (simulator, flash crowd of 20 on an origin at 2.4x
    the bitrate: 7 -> 55 % of watch time stalled without this bound, 7 % with it). 0: no
    bound."""
    tight_link_x: float = 2.0
    """A link is tight while our measured origin rate is under this many times the bitrate."""
    shared_link_x: float = 3.0
    """On a link whose measured origin rate is under this many times the segment's bitrate
    (or slower than the origin, `slow_link_reserve_x`), a segment's fallback point counts the
    transfers for later segments in flight on our downlink (a neighbour's pieces, an origin
    fetch, a player load): each takes its fair share until it ends, so the rest of the segment
    takes (missing + the sum of min(their bytes, missing)) / rate (`DeadlineClock.fallback_at`,
    `peer.player_loads.mark_link_sharing`). The estimate is the link's rate alone: in the
    realistic lab an origin fetch with the downlink to itself got 1.13 times it (median), one
    beside other transfers 0.77, and the fetches behind early P2P stalls 0.56
    (bench/results/stalls-s50/README.md). Simulator, cable + DSL audience: stall share 3.08 /
    6.88 -> 2.86 / 6.49 % (median / worst of 24 seeds), the lab's small swarms mixed, the flash
    crowds unchanged (bench/results/sim-s50/README.md). 0: off."""
    http_rate_ewma_weight: float = 0.3
    """Weight of a new sample in the HTTP throughput estimate (0 keeps the first measurement;
    the first one replaces `http_rate_estimate_bytes_per_s`, which is only a guess)."""
    http_retry_s: float = 0.5
    """After a failed HTTP fetch, wait this long before fetching those pieces again."""

    # --- live: who takes a new segment from the origin ------------------------------------
    live_http_first_count: float = 1.0
    """Expected number of swarm members that fetch each new live segment from HTTP at once
    (tier 0 of the election in `peer.election`)."""
    live_http_first_large_swarm: int = 100
    """Above this many members tier 0 of the election grows by `live_http_first_count` per
    tenfold of members (`peer.election.live_first_count`): a copy crosses more relay hops in a
    large swarm, so the first fetch must not wait for a later tier (0: never grows)."""
    live_tier_spacing_s: float = 0.8
    """Wait between election tiers: covers playlist-poll jitter plus a few store-and-forward
    hops, so a later tier sees the announcement of an earlier one before it fetches."""
    live_tier_growth: float = 2.0
    """Each tier is this much wider than the previous one."""
    live_neighbour_stagger_s: float = 0.3
    """Extra wait per neighbour of the same tier with a smaller hash (one hop of transfer)."""
    live_skip_empty_tiers: bool = True
    """When this member and its neighbours are half the swarm or more and all in tier 2 or
    later, they move down so that the lowest is in tier 1 (`peer.election`, "Empty tiers")."""
    live_lowest_known_first: bool = True
    """When this member knows every member of the swarm, the tiers move down so that the lowest
    of them is in tier 0 and fetches at once (`peer.election`, "Known swarm")."""
    blocked_tier_spacing_s: float = 0.3
    """Election tiers for a segment playback waits on that nobody holds while we have
    neighbours (everyone arriving at once blocks on the same startup segment): short, since
    playback is waiting; neighbours of one tier are staggered by half of it."""

    # --- requesting from peers ------------------------------------------------------------
    prefetch_horizon_s: float = 30.0
    """Segments due further away than this are not requested yet."""
    urgent_window_s: float = 3.0
    """Segments due within this window are requested earliest-deadline-first; later ones
    rarest-first."""
    max_inflight_pieces_per_peer: int = 16
    """Pieces requested from one peer and not yet received (bounds a slow peer's damage)."""
    request_block_pieces: int = 4
    """Pieces per REQUEST; a segment's pieces are dealt in blocks of this size over peers."""
    spread_single_holder: bool = True
    """A segment due later than `urgent_window_s` that one neighbour announced (a fresh copy:
    its origin fetch, or the first relay of it): the blocks asked of it start at an offset each
    member draws per segment (`peer_requests.spread_run`), not at the first free piece. Taken
    in order, every member asked that holder for the same pieces first, none held a piece
    another lacked, and the holder's uplink carried every copy alone; started apart, members
    relay to each other while the holder still sends. Realistic lab, nine runs against ten of
    main: the cable pages took a median .55 of their 360p segments wholly from peers (.48), P2P
    stalls 2-6 a run (main 1-7), offload of the bound .43-.64 (.50-.63): within main's spread
    (bench/results/stalls-s59/README.md). Simulator, 24 seeds: 5-8 viewers' offload of the
    bound better on 12, worse on 10 (stalls 9 / 6), cable + DSL audiences 14 / 5, flash crowds
    unchanged (bench/results/sim-s59/README.md). Only for one holder and not urgent:
    rarest-first across several holders, or for urgent segments too, stalled simulated flash
    crowds (a seed's stall share 0.5 -> 11.7 %). False: the first free piece always."""
    request_pace_s: float = 1.0
    """A neighbour owes us at most this many seconds of pieces at the time per piece it has been
    taking (`RemotePeer.piece_time_s`; at least one piece, at most `max_inflight_pieces_per_peer`;
    `peer.peer_requests.paced_limit`). A slow holder (DSL or mobile uplink) dealt whole blocks
    owed pieces that faster holders or the origin later took over, and the cancelled rest had
    held its uplink from its other neighbours. The pace rule counts the pieces it was not asked
    for yet (`free_piece_shares`). Simulator, 24 seeds (median / worst stall share): cable + DSL
    4.40 / 9.56 -> 3.06 / 8.75 %, small uplinks 21.32 / 30.77 -> 18.64 / 25.90 %, flash crowd
    on tight downlinks 2.76 / 12.68 -> 1.90 / 10.00 %, steady tight downlinks 7.38 / 9.45 ->
    7.35 / 10.23 %; realistic lab: offload of the capacity bound .535 -> .579 at the median
    (bench/results/sim-s40/README.md, realistic-README.md series 22). At 0.5 the simulator
    gained more but the lab stalled longer. 0: off."""
    slow_link_owed_s: float = 0.5
    """On a link slower than the origin (`slow_link_reserve_x`), while an origin fetch of ours
    is in flight, the pieces all neighbours together owe us stay within this many seconds of our
    measured origin rate (at least one piece). Each neighbour sends at its own uplink's pace; on
    a downlink slower than theirs, pieces asked of two or three at once arrived together (300-600
    kbit/s through TURN and direct paths on an 858-kbit/s link), filled its queue, and the
    origin fetch beside them got 10-400 kbit/s; the neighbours looked silent and were cancelled,
    and what they had sent kept coming while the takeover starved. In 8 of 17 captured stalls of
    the realistic lab's tight pages the downlink carried 290-530 kbit/s of peer data in the 3 s
    before (bench/results/stalls-s58/README.md). Without an origin fetch of ours the pieces only
    share the link among themselves, and bounding them then starved simulated flash crowds on
    tight downlinks that live on relays (bench/results/sim-s58/README.md). 0: off."""
    peer_silence_timeout_s: float = 1.0
    """A peer owing us pieces that sends nothing for this long is abandoned."""
    peer_pace_min_s: float = 1.0
    """A playing member whose neighbour, at the time per piece it has been taking, would not
    deliver the pieces it owes us up to this segment's (it sends in request order) by
    `deadline - http_margin_s` takes the segment's rest from the origin then, not at the
    fallback point; not before this long after the segment's first request to that neighbour.
    On a slow downlink a takeover at the fallback point came too late when its fetch ran beside
    another (realistic lab: 45-52 % of main's fallback takeovers ended past the deadline;
    bench/results/realistic-README.md, series 10). Only while the origin can beat the deadline
    (`OriginPace.hold_limit`). 0: off."""
    stall_slack_s: float = 0.25
    """Playback waits on a segment that starts at most this long after a stalled player's
    position: a player stops at the end of its buffered media, a frame or two before the next
    segment's start (hls.js: 0.02-0.05 s before it in the realistic lab,
    bench/results/realistic-README.md series 11), and with no slack a stalled browser never
    counted as waiting on the segment it needed."""
    stalled_race_x: float = 2.0
    """A member whose playback waits on a segment (stalled, or starting) takes its rest from the
    origin when its neighbours' copy, at the rate it has been reaching us since the segment's
    first request to them, would take more than this many times what our own origin link
    (measured within `own_rate_fresh_s`: our fetches, or the download meter's dated seed) would,
    plus `http_margin_s`; not before
    `stalled_race_min_s` after that first request. A stalled member otherwise waits for a copy
    as long as it progresses (the congested-origin herd rules); in a swarm of small uplinks a
    copy relayed piece by piece crawled while the member's own link could fetch the segment in
    half a second (realistic lab, bench/results/realistic-README.md series 11: stalls of 7-10 s
    on cable members ended with a 0.07 s origin fetch of the last pieces; simulator, steady
    audience on downlinks of 1.1-2x the bitrate: stall share 6.7 / 16.6 % -> 4.6 / 12.6 %,
    median / worst of 24 seeds). On a congested origin our own fetches are as slow as the copy
    and the race is not lost. 0: off."""
    stalled_race_min_s: float = 1.0
    """See `stalled_race_x`."""
    peer_pace_ewma_weight: float = 0.5
    """Weight of the latest piece in a neighbour's time per piece (the pace rule above)."""
    peer_cooldown_s: float = 5.0
    """An abandoned (silent or too slow) peer gets no requests for this long."""
    busy_backoff_s: float = 0.25
    """A peer that answered REJECT busy gets no requests for this long."""
    origin_progress_timeout_s: float = 2.0
    """A neighbour's copy of a segment that is still arriving (HAVE_PIECES within this long)
    holds our HTTP takeover back: on a congested origin a second download only slows both."""
    progress_timeout_pieces: float = 2.0
    """On a congested origin a copy's pieces come further apart than `origin_progress_timeout_s`:
    a neighbour's copy (and its word with no piece yet) stays fresh for this many pieces' time
    at the rate copies have been getting (the slower of our own origin fetches and neighbours'
    copy progress), at least `origin_progress_timeout_s`, at most `progress_timeout_max_s`. So
    a slow but live copy is not taken for a dead one, and members do not all add their own
    download at the same stale moment (0: the fixed timeout)."""
    progress_timeout_max_s: float = 8.0
    """Upper bound of the rate-scaled progress timeout above (a copy that stopped is found)."""
    relay_announce_pieces: int = 1
    """A copy taken from peers is announced (HAVE_PIECES) when its first request goes out and
    then every this many pieces, so members several hops from the origin fetcher see that a copy
    is coming and relay it instead of fetching their own (0: announce origin copies only). Each
    announcement reaches every neighbour and costs a message and a scheduling pass at each
    (HAVE_PIECES are ~3/4 of a viewer's messages), and relayed copies are most of the swarm's
    copies, so this step is the lever on that count: 2 cuts HAVE_PIECES per viewer-second by
    ~40 % in the simulator, but Python-viewer flash crowds at 2x stalled more with it (mean
    stall share 0.70 % -> 1.07 %, 50 of 100 seeds worse), so it stays 1
    (bench/results/have-coalescing-20261201/README.md)."""
    origin_announce_pieces: int = 1
    """A copy fetched from the origin is announced (HAVE_PIECES) when the fetch starts (no
    pieces yet: neighbours wait for it instead of fetching their own) and then every this many
    pieces; the complete segment's HAVE goes out at once. The progress timeout stretches with
    the coarser of this and `relay_announce_pieces` (`DeadlineClock.progress_timeout`), so a copy
    between two announcements does not look stale. 1: every piece; a coarser step here stalled
    more than the same step for relayed copies (its neighbours all request the same pieces at
    once: bursts on the fetcher's uplink; the README above)."""
    election_horizon_s: float = 8.0
    """A member takes its election turn for a segment only once the segment is due within this
    long: a member far behind the live edge (stalled, or catching up) leaves the newest
    segments to members that need them sooner and relays their copies later, so a congested
    swarm fetches in the order of need instead of every segment at once (0: no horizon)."""
    progress_wait_playing: bool = True
    """While a neighbour's copy of a segment progresses and the origin is too slow to fetch the
    rest before the deadline anyway (at the rate copies and our own fetches have been getting),
    playing members wait for the copy past the deadline (a stall) instead of all taking the
    rest from the origin at the same deadline, which only slows the copy everyone waits for."""
    stall_report_grace_s: float = 0.4
    """A segment past its deadline while the member still plays counts as played (its bytes
    came some other way: the player's safety net, a jump) only this long after the deadline:
    the player reports a stall a moment after the playhead reaches the gap (realistic lab:
    median 0.06 s, p90 0.40 s). In that moment the segment is the one playback is about to
    stall on; counted as played, its missing bytes no longer held later segments back, and
    their election turns took the link beside its takeover (a 2.4-s stall,
    bench/results/stalls-s51/README.md)."""
    slow_origin_by_origin_copies: bool = True
    """Whether the origin's speed is judged (`DeadlineClock.origin_too_slow`) by the origin
    rates neighbours say of their copies (HAVE_PIECES origin_rate, averaged in
    `origin_copies_rate`), not by how fast every copy progresses: a relayed copy is as slow as
    its relay's uplink, and in a swarm of home uplinks relays send about a piece a second, so a
    cable member took its fast origin for too slow, waited for a crawling copy past its
    deadline with no limit (`progress_wait_playing`), and took it over only once stalled
    (realistic lab: race takeovers after 6-8 s of waiting, bench/results/stalls-s51/README.md).
    Members on a small uplink already went by their own fetches. On a congested origin the
    said rates are as slow as the fetches, so the wait is kept there. A holder's said rate is
    still its own downlink's, so a slow holder can make a fast origin look too slow yet (lab
    runs after the landing, same README). False: every copy's progress counts, as before."""
    origin_copy_rate: bool = True
    """Whether the origin counts as too slow also at the rate a neighbour's origin fetch of the
    segment is arriving right now, as that neighbour says (HAVE_PIECES origin_rate,
    `DownloadBook.origin_copy_rate`), not only at the averages of completed fetches and copies:
    those lag a congestion that has just begun, so playing members whose averages still said
    "the origin beats the deadline" took the rest of a segment from the origin at the same
    moment, each adding a download beside the copy they waited for. The sender measures the
    rate: timed at the receiver, a holder's words queued behind its uploads on small uplinks
    made a fast origin look slow (stall share doubled; bench/results/flash-crowd/sim-s15)."""
    small_uplink_x: float = 3.0
    """A member whose upload cap (`upload_rate_bytes_per_s`, or the operator's through
    `set_upload_limits`) is below this many times the stream's bitrate judges whether the origin
    is too slow (`OriginPace.origin_too_slow`) by its own recent fetches, not by how
    fast neighbours' copies arrive: on such uplinks a relayed copy is slow because of the relays,
    and taking that for a slow origin made playing members wait for it past their deadline
    (bench/results/realistic-README.md, session 12; 0: never). With no cap, its upload capacity
    measured while backlogged (`set_measured_uplink`, peer/uplink_meter.py) stands in; with
    neither, never."""
    weak_uplink_x: float = 1.0
    """A member whose uplink (its upload cap, else its capacity measured while backlogged, as
    for `small_uplink_x`) is below this many times the stream's bitrate cannot relay one copy of
    a segment within the segment's duration: a weak uplink."""
    weak_uplink_step_back_tiers: int = 2
    """A member on a weak uplink takes its live election turn this many tiers later
    (`live_tier_spacing_s` each) while a neighbour has been sending it pieces faster than that
    (`OriginGate.stronger_neighbour`): the stronger neighbour then fetches the segment first and
    relays it. Drawn without regard to uplinks, a weak member's turn gave its neighbours a copy
    that reached them seconds late, and they fetched their own (realistic lab: 240p members took
    2.2 origin copies per segment). Simulator, the realistic lab's small per-rendition swarms
    (2-4 viewers, half on uplinks of 0.3-1.1x the bitrate; 48 seeds; median / worst): offload
    of the capacity bound .665 / .416 -> .756 / .454 (seeds 1-24) and .695 / .457 -> .794 /
    .500 (25-48), 39 seeds better, 1 worse; stall share .35 / 1.36 % -> .38 / 1.52 % and
    .30 / 2.28 -> .42 / 2.56 % (bench/results/sim-s47/README.md). In the realistic lab it lost
    while the shim's meter read cable links as weak (series 29); with the meter's floor
    (peer/uplink_meter.py), three runs .487 / .627 / .566 of the bound against six without the
    rule .434-.569, P2P stalls 5 / 3 / 7 against 1-9 (bench/results/realistic-README.md series
    30). 0: off."""
    stronger_neighbour_x: float = 2.0
    """See `weak_uplink_step_back_tiers`: a neighbour counts as stronger when its pieces reach us
    at the stream's bitrate or at this many times our own uplink, whichever is lower."""
    own_rate_fresh_s: float = 8.0
    """The small-uplink rule above trusts the member's own origin rate only while its last
    fetch completed within this long (a flash crowd congests the origin after it)."""
    fast_origin_fresh_s: float = 6.0
    """When the member's own origin rate was measured within this long before a segment's
    fallback point (its own fetch, or the player's own load through the download meter) and says
    a fetch of what the segment misses beats the deadline from there, the origin is known fast
    (`OriginPace.origin_known_fast`): a slow copy then says nothing of the origin (a DSL member
    elected first relays slower than real time), so the origin is not "too slow"
    (`OriginPace.origin_too_slow`), and a playing member waits for the swarm (its election turn,
    a first round, a copy that would miss the deadline at its pace) only until the fallback point
    (`OriginPace.hold_limit`, `OriginPace.playing_limit`), not to `deadline - http_margin_s`,
    which left no time for the transfer. Judged as of the fallback point: past it the time left
    shrinks as the member waits, and "too slow" then said more about the wait than about the
    origin (simulator, cable + DSL audience: most newcomers stalled on the segment after their
    first; bench/results/sim-s38/README.md). Shorter than `own_rate_fresh_s`: a flash crowd
    congests the origin within seconds, and older fetches predate it (when neighbours' words of
    their origin rate counted too, 4 s made a simulated flash crowd's worst seed 23.85 % of
    watch time stalled, against 6.25 % without the rule; with the member's own measurement
    alone 6 s leaves every flash-crowd seed as at 2 s and gains in the cable + DSL audience: 22
    of 24 seeds better than without the rule; 0: off)."""
    fast_origin_min_x: float = 3.0
    """`fast_origin_fresh_s` trusts the member's own rate only from this many times the
    segment's bitrate: below it the rate may be a share of a crowded origin (at 1x a newcomer's
    share started a simulated flash crowd's stall wave), and on a downlink of 1.1-2x the bitrate
    waiting for the swarm does better (at 2x the simulator's steady audience on such downlinks
    stalled more: worst seed 10.29 -> 13.93 %; at 3 it is as before)."""
    own_fetch_hold_slack_s: float = 0.25
    """On an origin not known fast (`fast_origin_min_x`), a playing member whose own origin
    rate was measured within `own_rate_fresh_s` (its own fetch, or a dated seed:
    `DeadlineClock.http_rate_at`) and is not too slow waits for the swarm (its election turn,
    a first round from neighbours) at most this long past its fallback point
    (`OriginPace.hold_limit`), not until `deadline - http_margin_s`: on a downlink of 1-2x the
    bitrate the transfer alone takes longer than that margin, so such a wait ended in a stall
    (realistic lab: DSL pages waited for their turn, or a silent neighbour's first round, past
    the fallback point, bench/results/realistic-README.md series 21). Simulator, 24 seeds:
    cable + DSL audience 5.78 -> 4.40 % of watch time stalled (19 seeds better, 4 worse),
    small uplinks 27.64 -> 21.32 % (all 24 better), flash crowds and tight downlinks as before
    (bench/results/sim-s39/README.md). -1: off."""
    stale_copy_tiers: float = 1.0
    """When a neighbour's copy that a member waits for with no deadline bound (stalled,
    starting, or playing on an origin too slow to help) goes stale, members take the rest over
    from the origin in election tiers this many progress timeouts apart instead of all at the
    stale moment (`OriginGate.stale_turn`; 0: all at once)."""
    max_partial_per_peer: int = 16
    """Segments a neighbour may hold part of (HAVE_PIECES) that we remember; older ones are
    forgotten first. Bounds what a neighbour's announcements can make us store."""

    # --- upload ---------------------------------------------------------------------------
    upload_slots: int = 8
    """Peers unchoked at a time (more than signaling's 5 neighbours, so that in a live swarm
    every neighbour is served); others get CHOKE and wait for a free slot."""
    upload_rate_bytes_per_s: float | None = None
    """Optional upload cap (token bucket); None uploads as fast as the channels take it."""
    upload_burst_bytes: int = 262_144
    """Token bucket depth of the upload cap."""
    max_upload_queue_pieces: int = 256
    """Pieces queued for one peer; further requests get REJECT busy."""
    idle_unchoke_timeout_s: float = 10.0
    """An unchoked peer that requested nothing for this long is choked when others wait."""

    def __post_init__(self) -> None:
        if self.upload_slots < 0 or self.max_inflight_pieces_per_peer < 1:
            raise ValueError("upload_slots >= 0 and max_inflight_pieces_per_peer >= 1")
        if self.request_pace_s < 0:
            raise ValueError("request_pace_s must be >= 0")
        if self.request_block_pieces < 1 or self.max_upload_queue_pieces < 1:
            raise ValueError("request_block_pieces and max_upload_queue_pieces must be >= 1")
        if self.http_rate_estimate_bytes_per_s <= 0:
            raise ValueError("http_rate_estimate_bytes_per_s must be > 0")
        if self.upload_rate_bytes_per_s is not None and self.upload_rate_bytes_per_s <= 0:
            raise ValueError("upload_rate_bytes_per_s must be > 0 or None")

    def with_overrides(self, overrides: dict[str, Any]) -> SchedulerConfig:
        """A copy with some fields replaced; unknown names are an error (catches typos)."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = set(overrides) - known
        if unknown:
            raise ValueError(f"unknown scheduler config fields: {sorted(unknown)}")
        return dataclasses.replace(self, **overrides)
