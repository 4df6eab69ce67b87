/**
 * The scheduler's one config, mirroring peer/scheduler_config.py field for field (the scenario
 * files in tests/vectors/scheduler/ override these by their snake_case names). Times in seconds.
 */

export interface SchedulerConfig {
  // --- deadlines and HTTP fallback ---
  /** How long a blocked segment nobody holds waits for neighbours still connecting (startup) before HTTP; links behind NATs, TURN or a loaded machine take seconds (peer/scheduler_config.py says more). */
  connectWaitS: number;
  /**
   * While at least half of a member's first neighbours are still connecting, for at most this long
   * from the first report of connecting neighbours: no live election turn, and while not playing no
   * takeover of a segment after the one playback waits on (`OriginGate.linksHold`; over for good
   * once none is left connecting; 0: off).
   */
  connectHoldS: number;
  /** While not playing, the segment at the playhead is due this long after the playhead was set. */
  startupDeadlineS: number;
  /**
   * While not playing, the segments after the one playback waits on are due from the last moment
   * that one was still missing, not from the playhead's setting: playback cannot reach them before
   * it has it (a newcomer on a congested origin took five to eight later segments from the origin
   * before its first frame; peer/scheduler_config.py).
   */
  laterWaitForHead: boolean;
  /** Fixed reserve kept before a deadline for the HTTP fallback (round trips, verification). */
  httpMarginS: number;
  /** Initial origin throughput estimate; fallback point = deadline - margin - missing / estimate. */
  httpRateEstimateBytesPerS: number;
  /**
   * A member whose own origin fetches run at most 1/this of the fastest origin rate a neighbour
   * said lately (HAVE_PIECES origin rate, within `ownRateFreshS`) is on a link slower than the
   * origin; its fallback point reserves this many times the estimated transfer time (why: the
   * Python port's `slow_link_reserve_x`). 1: off.
   */
  slowLinkReserveX: number;
  /**
   * On a tight link (`tightLinkX`) a new segment's election turn (or a fetch of a segment nobody
   * holds) waits while the segments due before it still miss more than this many seconds of the
   * link's measured rate; a segment playback waits on, and every takeover, go at once. Peer
   * requests are not held (why: the Python port's `tight_link_budget_s`). 0: off.
   */
  tightLinkBudgetS: number;
  /**
   * A new origin fetch (an election turn, a fetch of a segment nobody holds, a later segment's
   * takeover) waits while a segment due before it would miss `deadline - httpMarginS` at 1/this of
   * the measured origin rate: parallel fetches share the link and all come late; earliest deadline
   * first brings the next one in time. The segment playback waits on never waits (why: the Python
   * port's `new_fetch_share_x`). 0: off.
   */
  newFetchShareX: number;
  /**
   * The player's own plain-HTTP loads in flight (`PieceScheduler.playerLoad`) count as due before
   * the segments after them, so the two rules above hold a later segment's new fetch back while a
   * load would come late beside it (peer/scheduler_config.py). False: the scheduler does not hear of them.
   */
  playerLoadsShareLink: boolean;
  /**
   * On a link slower than the origin (`slowLinkReserveX`), new peer requests for a later segment
   * wait too while an earlier one would be late: they share the member's own downlink with the
   * segment playback needs next. Never on a congested origin (why: the Python port's
   * `slow_link_holds_peer_requests`).
   */
  slowLinkHoldsPeerRequests: boolean;
  /**
   * A playing member's next segment that no neighbour holds, published before it learned of it
   * (no election), comes from the origin at once rather than at its fallback point (why: the
   * Python port's `catch_up_unheld`).
   */
  catchUpUnheld: boolean;
  /**
   * On a tight link (under `sharedLinkX` times the bitrate, or slower than the origin), a segment
   * due within this long with nothing due before it missing and none of it on its way comes from
   * the origin at once: no election turn, no request to a neighbour (why: the Python port's
   * `thin_lead_origin_s`). 0: off.
   */
  thinLeadOriginS: number;
  /** `thinLeadOriginS` only while our measured origin rate is at least this many times the bitrate (under it: a crowded origin's share). */
  thinLeadMinRateX: number;
  /** A link is tight while our measured origin rate is under this many times the bitrate. */
  tightLinkX: number;
  /**
   * On a link under this many times the segment's bitrate (or slower than the origin), a
   * segment's fallback point counts the transfers for later segments in flight on our downlink,
   * each sharing it fairly until it ends (`markLinkSharing`; why: the Python port's
   * `shared_link_x`). 0: off.
   */
  sharedLinkX: number;
  /** Weight of a new sample in the HTTP throughput estimate (the first measurement replaces `httpRateEstimateBytesPerS`, a guess). */
  httpRateEwmaWeight: number;
  /** After a failed HTTP fetch, wait this long before fetching those pieces again. */
  httpRetryS: number;
  // --- live: who takes a new segment from the origin ---
  /** Expected number of swarm members that fetch each new live segment from HTTP at once (tier 0). */
  liveHttpFirstCount: number;
  /** Above this many members election tier 0 grows by `liveHttpFirstCount` per tenfold (0: never). */
  liveHttpFirstLargeSwarm: number;
  /** Wait between election tiers (playlist-poll jitter plus a few store-and-forward hops). */
  liveTierSpacingS: number;
  /** Each election tier is this much wider than the previous one. */
  liveTierGrowth: number;
  /** Extra wait per neighbour of the same tier with a smaller hash (one hop of transfer). */
  liveNeighbourStaggerS: number;
  /** When this member and its neighbours are half the swarm or more and all in tier 2 or later, the lowest moves to tier 1 (peer/election.py). */
  liveSkipEmptyTiers: boolean;
  /** Knowing every member of the swarm, the tiers move down so the lowest is in tier 0 and fetches at once (peer/election.py, "Known swarm"). */
  liveLowestKnownFirst: boolean;
  /**
   * Election tiers for a segment playback waits on that nobody holds while we have neighbours
   * (everyone arriving at once blocks on the same startup segment); same-tier neighbours are
   * staggered by half of it.
   */
  blockedTierSpacingS: number;
  // --- requesting from peers ---
  /** Segments due further away than this are not requested yet. */
  prefetchHorizonS: number;
  /** Segments due within this window go earliest-deadline-first; later ones rarest-first. */
  urgentWindowS: number;
  /** Pieces requested from one peer and not yet received. */
  maxInflightPiecesPerPeer: number;
  /** Pieces per REQUEST; a segment's pieces are dealt in blocks of this size over peers. */
  requestBlockPieces: number;
  /**
   * A segment due later than `urgentWindowS` that one neighbour announced (a fresh copy): the blocks
   * asked of it start at an offset each member draws per segment (`spreadRun`), not at the first
   * free piece, so its receivers hold different pieces and relay them to each other while the
   * holder still sends (peer/scheduler_config.py says what it measured). false: the first free piece.
   */
  spreadSingleHolder: boolean;
  /**
   * A neighbour owes us at most this many seconds of pieces at the time per piece it has been taking
   * (`RemotePeer.pieceTimeS`; at least one, at most `maxInflightPiecesPerPeer`): a slow holder dealt
   * whole blocks owed pieces that faster holders or the origin later took over (peer/scheduler_config.py
   * has the figures). 0: off.
   */
  requestPaceS: number;
  /**
   * On a link slower than the origin, while an origin fetch of ours is in flight, the pieces all
   * neighbours together owe us stay within this many seconds of our measured origin rate, at least
   * one piece (why and the figures: the Python port's `slow_link_owed_s`). 0: off.
   */
  slowLinkOwedS: number;
  /** A peer owing us pieces that sends nothing for this long is abandoned. */
  peerSilenceTimeoutS: number;
  /**
   * A playing member whose neighbour, at the time per piece it has been taking, would not deliver
   * the pieces it owes us up to a segment's by `deadline - httpMarginS` takes the segment's rest
   * from the origin then, not at the fallback point; not before this long after the segment's
   * first request to that neighbour (`OriginGate.paceTakeoverAt`; why: the Python port's
   * `peer_pace_min_s`). 0: off.
   */
  peerPaceMinS: number;
  /** Weight of the latest piece in a neighbour's time per piece (the pace rule above). */
  peerPaceEwmaWeight: number;
  /**
   * A member whose playback waits on a segment takes its rest from the origin when the
   * neighbours' copy, at the rate it has been reaching us since the segment's first request to
   * them, would take more than this many times our own origin link, freshly measured by our
   * fetches or the download meter's dated seed (plus `httpMarginS`);
   * not before `stalledRaceMinS` after that request (`OriginGate.stalledRaceAt`; why: the Python
   * port's `stalled_race_x`). 0: off.
   */
  stalledRaceX: number;
  /** Playback waits on a segment that starts at most this long after a stalled player's position: a player stops a frame or two before the next segment's start (why: the Python port's `stall_slack_s`). */
  stallSlackS: number;
  /** See `stalledRaceX`. */
  stalledRaceMinS: number;
  /** An abandoned peer gets no requests for this long. */
  peerCooldownS: number;
  /** A peer that answered REJECT busy gets no requests for this long. */
  busyBackoffS: number;
  /**
   * A neighbour's copy of a segment that is still arriving (HAVE_PIECES within this long) holds
   * our HTTP takeover back: on a congested origin a second download only slows both.
   */
  originProgressTimeoutS: number;
  /**
   * On a congested origin a copy's pieces come further apart than `originProgressTimeoutS`: a
   * neighbour's copy (and its word with no piece yet) stays fresh for this many pieces' time at
   * the rate copies have been getting (the slower of our own origin fetches and neighbours' copy
   * progress), at least `originProgressTimeoutS`, at most `progressTimeoutMaxS` (0: the fixed timeout).
   */
  progressTimeoutPieces: number;
  /** Upper bound of the rate-scaled progress timeout above (a copy that stopped is found). */
  progressTimeoutMaxS: number;
  /**
   * A copy taken from peers is announced (HAVE_PIECES) when its first request goes out and then
   * every this many pieces, so members several hops from the origin fetcher see that a copy is
   * coming and relay it instead of fetching their own (0: announce origin copies only). Why 1:
   * `relay_announce_pieces` in peer/scheduler_config.py.
   */
  relayAnnouncePieces: number;
  /**
   * A copy fetched from the origin is announced (HAVE_PIECES) when the fetch starts (no pieces
   * yet: neighbours wait for it instead of fetching their own) and then every this many pieces;
   * the complete segment's HAVE goes out at once. The progress timeout stretches with the coarser
   * of this and `relayAnnouncePieces` (`DeadlineClock.progressTimeout`). 1: every piece (why:
   * `origin_announce_pieces` in peer/scheduler_config.py).
   */
  originAnnouncePieces: number;
  /**
   * A member takes its election turn for a segment only once it is due within this long: one far
   * behind the live edge leaves the newest segments to members that need them sooner (0: no horizon).
   */
  electionHorizonS: number;
  /**
   * While a neighbour's copy progresses and the origin is too slow to fetch the rest before the
   * deadline anyway, playing members wait for the copy past the deadline instead of all taking
   * the rest from the origin at the same deadline.
   */
  progressWaitPlaying: boolean;
  /**
   * The origin's speed is judged (`DeadlineClock.originTooSlow`) by the origin rates neighbours
   * say of their copies (HAVE_PIECES origin rate, averaged in `originCopiesRate`), not by how
   * fast every copy progresses: a relayed copy is as slow as its relay's uplink, and a cable
   * member took its fast origin for too slow and waited for a crawling copy past its deadline.
   * A holder's said rate is still its own downlink's (peer/scheduler_config.py says more).
   */
  slowOriginByOriginCopies: boolean;
  /**
   * A segment past its deadline while the member still plays counts as played (its bytes came
   * some other way) only this long after the deadline: the player reports a stall a moment
   * after the playhead reaches the gap (peer/scheduler_config.py says more).
   */
  stallReportGraceS: number;
  /**
   * The origin counts as too slow also at the rate a neighbour's origin fetch of the segment is
   * arriving right now, as that neighbour says (HAVE_PIECES origin rate,
   * `DownloadBook.originCopyRate`), not only at the averages of completed fetches and copies:
   * those lag a congestion that has just begun (peer/scheduler_config.py says more).
   */
  originCopyRate: boolean;
  /**
   * When a neighbour's copy that a member waits for with no deadline bound (stalled, starting,
   * or playing on an origin too slow to help) goes stale, members take the rest over from the
   * origin in election tiers this many progress timeouts apart instead of all at the stale
   * moment (`OriginGate.staleTurn`; 0: all at once).
   */
  staleCopyTiers: number;
  /**
   * A member whose upload cap (`uploadRateBytesPerS`, or the one `setUploadLimits` gave) is below
   * this many times the stream's bitrate judges whether the origin is too slow by its own
   * recent fetches (`ownRateFreshS`), not by how fast neighbours' copies arrive: on such uplinks a relayed
   * copy is slow because of the relays (`OriginGate.originTooSlow`; 0: never). With no cap, the
   * capacity measured while backlogged (`setMeasuredUplink`, p2p/uplink_meter.ts) stands in; with
   * neither, never.
   */
  smallUplinkX: number;
  /**
   * A member whose uplink (its upload cap, else its capacity measured while backlogged, as for
   * `smallUplinkX`) is below this many times the stream's bitrate cannot relay one copy of a
   * segment within the segment's duration: a weak uplink.
   */
  weakUplinkX: number;
  /**
   * A member on a weak uplink takes its live election turn this many tiers later
   * (`liveTierSpacingS` each) while a neighbour has been sending it pieces faster than that
   * (`OriginGate.strongerNeighbour`): the stronger neighbour then fetches the segment first and
   * relays it (peer/scheduler_config.py has the simulator's figures; 0: off).
   */
  weakUplinkStepBackTiers: number;
  /** A neighbour counts as stronger when its pieces reach us at the bitrate or at this many times our own uplink, whichever is lower. */
  strongerNeighbourX: number;
  /** The small-uplink rule trusts the own origin rate only while the last fetch completed within this long. */
  ownRateFreshS: number;
  /**
   * When the member's own origin rate was measured within this long before a segment's fallback
   * point (its own fetch, or the player's own load via the download meter) and a fetch of what is
   * missing beats the deadline from there, the origin is known fast (`OriginGate.originKnownFast`):
   * it is not "too slow", and a playing member waits for the swarm (election turn, first round, a
   * copy that would miss the deadline at its pace) only until the fallback point
   * (`OriginGate.holdLimit`, `OriginGate.playingLimit`). Judged as of the fallback point: past it
   * the time left shrinks as the member waits. Shorter than `ownRateFreshS`: a flash crowd
   * congests the origin within seconds (peer/scheduler_config.py has the simulator's figures; 0: off).
   */
  fastOriginFreshS: number;
  /** `fastOriginFreshS` trusts the own rate only from this many times the bitrate (below: a share of a crowded origin, or a tight link where waiting for the swarm does better). */
  fastOriginMinX: number;
  /**
   * On an origin not known fast, a playing member whose own origin rate was measured within
   * `ownRateFreshS` (its own fetch, or a dated seed) and is not too slow waits for the swarm (its
   * election turn, a first round) at most this long past its fallback point, not until
   * `deadline - httpMarginS`: on a 1-2x downlink the transfer alone takes longer than that margin
   * (why and the figures: the Python port's `own_fetch_hold_slack_s`). -1: off.
   */
  ownFetchHoldSlackS: number;
  /** Segments a neighbour may hold part of (HAVE_PIECES) that we remember; oldest forgotten first. */
  maxPartialPerPeer: number;
  // --- upload ---
  /** Peers unchoked at a time (more than signaling's 5 neighbours: every neighbour is served). */
  uploadSlots: number;
  /** Optional upload cap in bytes/s (token bucket); null = as fast as the channels take it. */
  uploadRateBytesPerS: number | null;
  /** Token bucket depth of the upload cap. */
  uploadBurstBytes: number;
  /** Pieces queued for one peer; further requests get REJECT busy. */
  maxUploadQueuePieces: number;
  /** An unchoked peer that requested nothing for this long is choked when others wait. */
  idleUnchokeTimeoutS: number;
}

export const DEFAULT_SCHEDULER_CONFIG: Readonly<SchedulerConfig> = Object.freeze({
  connectWaitS: 4.0,
  connectHoldS: 6.0,
  startupDeadlineS: 1.0,
  laterWaitForHead: true,
  httpMarginS: 0.5,
  httpRateEstimateBytesPerS: 2_000_000.0,
  slowLinkReserveX: 2.0,
  tightLinkBudgetS: 2.0,
  newFetchShareX: 2.0,
  playerLoadsShareLink: true,
  slowLinkHoldsPeerRequests: true,
  catchUpUnheld: true,
  thinLeadOriginS: 4.0,
  thinLeadMinRateX: 1.0,
  tightLinkX: 2.0,
  sharedLinkX: 3.0,
  httpRateEwmaWeight: 0.3,
  httpRetryS: 0.5,
  liveHttpFirstCount: 1.0,
  liveHttpFirstLargeSwarm: 100,
  liveTierSpacingS: 0.8,
  liveTierGrowth: 2.0,
  liveNeighbourStaggerS: 0.3,
  liveSkipEmptyTiers: true,
  liveLowestKnownFirst: true,
  blockedTierSpacingS: 0.3,
  prefetchHorizonS: 30.0,
  urgentWindowS: 3.0,
  maxInflightPiecesPerPeer: 16,
  requestBlockPieces: 4,
  spreadSingleHolder: true,
  requestPaceS: 1.0,
  slowLinkOwedS: 0.5,
  peerSilenceTimeoutS: 1.0,
  peerPaceMinS: 1.0,
  peerPaceEwmaWeight: 0.5,
  stalledRaceX: 2.0,
  stallSlackS: 0.25,
  stalledRaceMinS: 1.0,
  peerCooldownS: 5.0,
  busyBackoffS: 0.25,
  originProgressTimeoutS: 2.0,
  progressTimeoutPieces: 2.0,
  progressTimeoutMaxS: 8.0,
  relayAnnouncePieces: 1,
  originAnnouncePieces: 1,
  electionHorizonS: 8.0,
  progressWaitPlaying: true,
  slowOriginByOriginCopies: true,
  stallReportGraceS: 0.4,
  originCopyRate: true,
  staleCopyTiers: 1.0,
  smallUplinkX: 3.0,
  weakUplinkX: 1.0,
  weakUplinkStepBackTiers: 2,
  strongerNeighbourX: 2.0,
  ownRateFreshS: 8.0,
  fastOriginFreshS: 6.0,
  fastOriginMinX: 3.0,
  ownFetchHoldSlackS: 0.25,
  maxPartialPerPeer: 16,
  uploadSlots: 8,
  uploadRateBytesPerS: null,
  uploadBurstBytes: 262_144,
  maxUploadQueuePieces: 256,
  idleUnchokeTimeoutS: 10.0,
});

function snakeToCamel(name: string): string {
  return name.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** Checks the same invariants as the Python dataclass. */
export function validateSchedulerConfig(c: SchedulerConfig): SchedulerConfig {
  if (c.uploadSlots < 0 || c.maxInflightPiecesPerPeer < 1) throw new RangeError("upload_slots >= 0 and max_inflight_pieces_per_peer >= 1");
  if (c.requestPaceS < 0) throw new RangeError("request_pace_s must be >= 0");
  if (c.requestBlockPieces < 1 || c.maxUploadQueuePieces < 1) throw new RangeError("request_block_pieces and max_upload_queue_pieces must be >= 1");
  if (c.httpRateEstimateBytesPerS <= 0) throw new RangeError("http_rate_estimate_bytes_per_s must be > 0");
  if (c.uploadRateBytesPerS !== null && c.uploadRateBytesPerS <= 0) throw new RangeError("upload_rate_bytes_per_s must be > 0 or null");
  return c;
}

/** A config with overrides given in camelCase or snake_case; unknown names are an error. */
export function schedulerConfig(overrides: Record<string, unknown> = {}): SchedulerConfig {
  const config: Record<string, unknown> = { ...DEFAULT_SCHEDULER_CONFIG };
  for (const [name, value] of Object.entries(overrides)) {
    const key = snakeToCamel(name);
    if (!(key in DEFAULT_SCHEDULER_CONFIG)) throw new RangeError(`unknown scheduler config field: ${name}`);
    config[key] = value;
  }
  return validateSchedulerConfig(config as unknown as SchedulerConfig);
}
