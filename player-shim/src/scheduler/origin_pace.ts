/**
 * How the origin's pace bounds a playing member's wait for the swarm (peer/origin_pace.py, same
 * rules): whether the origin is known fast enough, too slow to help, and the latest moment a wait
 * for an election turn, a first round from neighbours or a copy still arriving may last. Pure
 * judgements of the scheduler's clock and book; `OriginGate` applies them.
 */

import type { DeadlineClock } from "./deadline_clock";
import type { DownloadBook } from "./download_book";
import type { SegmentState } from "./download_state";
import type { SchedulerConfig } from "./scheduler_config";

export class OriginPace {
  /** The member's upload cap in force (null: none); kept current by the scheduler. */
  uploadCap: number | null;
  /** Its upload capacity measured while backlogged (p2p/uplink_meter.ts; null: not yet). */
  measuredUplink: number | null = null;

  constructor(
    private readonly config: SchedulerConfig,
    private readonly book: DownloadBook,
    private readonly clock: DeadlineClock,
  ) {
    this.uploadCap = config.uploadRateBytesPerS;
  }

  /**
   * The latest a playing member's takeover waits for the swarm (its live election turn, a first
   * round from neighbours): `deadline - httpMarginS`, while its origin can still beat the
   * deadline. On small uplinks a new segment's relayed copy reaches members seconds after it
   * appears, and waiting past that made a slow swarm's late copy this member's stall. The fallback
   * point instead when the origin is known fast there (`fastAtFallback`): `deadline - httpMarginS`
   * left no time for the transfer. Else, while our own origin rate is fresh (`ownRateFreshS`), at
   * most `ownFetchHoldSlackS` past the fallback point: on a tight downlink the transfer takes
   * longer than the margin. Null (no limit) while not playing, or when the origin is too slow to
   * help: then waiting for the swarm is the better bet.
   */
  holdLimit(now: number, segment: SegmentState, deadline: number): number | null {
    if (!this.clock.playing) return null;
    if (this.fastAtFallback(now, segment, deadline)) {
      return Math.min(deadline - this.config.httpMarginS, this.clock.fallbackAt(segment, deadline));
    }
    if (this.originTooSlow(now, segment, deadline)) return null;
    let limit = deadline - this.config.httpMarginS;
    const slack = this.config.ownFetchHoldSlackS;
    if (slack >= 0 && this.clock.rateFresh(now, this.config.ownRateFreshS)) {
      limit = Math.min(limit, this.clock.fallbackAt(segment, deadline) + slack);
    }
    return limit;
  }

  /**
   * How long a playing member waits for a neighbour's copy still arriving: `deadline - httpMarginS`;
   * the fallback point instead when the origin is known fast there (`fastAtFallback`) and the copy
   * would miss the deadline at its pace (`copyLate`): it is slow because of its holder's link.
   */
  playingLimit(now: number, segment: SegmentState, deadline: number): number {
    let limit = deadline - this.config.httpMarginS;
    if (this.copyLate(now, segment, deadline) && this.fastAtFallback(now, segment, deadline)) limit = Math.min(limit, this.clock.fallbackAt(segment, deadline));
    return limit;
  }

  /**
   * Fetching what is missing would not beat the deadline (`DeadlineClock.originTooSlow`: at the
   * slower of our own fetches and neighbours' copies). A member on a small uplink (`smallUplink`)
   * that has measured the origin itself within `ownRateFreshS` goes by its own fetches: in a
   * swarm of home uplinks a copy arrives slowly because every relay's uplink is slow, not
   * because the origin is, and the slower rate said "too slow" of a fast origin, so playing
   * members waited for a relayed copy (and their election turn) past the deadline. An older
   * measurement may predate a flash crowd's congestion (peer/origin_gate.py says more). Also at
   * the rate a neighbour's origin fetch of the segment is getting right now (`originCopyRate`).
   */
  originTooSlow(now: number, segment: SegmentState, deadline: number): boolean {
    if (this.fastAtFallback(now, segment, deadline)) return false;
    const measured = this.clock.httpMeasuredAt;
    const fresh = measured !== null && now - measured <= this.config.ownRateFreshS;
    const own = fresh && this.smallUplink(segment);
    const live = this.config.originCopyRate && !own ? this.book.originCopyRate(now, segment.seq) : null;
    return this.clock.originTooSlow(segment, deadline, now, own, live);
  }

  /**
   * Our own origin rate was measured within `fastOriginFreshS` (our last fetch, or a dated seed: the
   * player's own load, `DeadlineClock.seedHttpRate`) and, at it, a fetch of what is missing would
   * arrive by the deadline. A copy that is slow then is slow because of its
   * holder's link, not the origin. Only our own fetch counts: a neighbour's word of its origin rate
   * is one fetch's rate, and on a congested origin members that took it for theirs took the copies
   * they waited for over at once; nor a rate under `fastOriginMinX` times the bitrate (a share of a
   * crowded origin; peer/origin_gate.py has the figures).
   */
  originKnownFast(now: number, segment: SegmentState, deadline: number): boolean {
    const freshS = this.config.fastOriginFreshS;
    if (freshS <= 0 || !this.clock.rateFresh(now, freshS)) return false;
    const rate = this.clock.httpRate;
    if (rate <= 0 || rate < this.config.fastOriginMinX * segment.bitrate) return false;
    return now + segment.missingBytes() / rate <= deadline;
  }

  /** `originKnownFast` as of the fallback point (or now, before it): past it the time left shrinks as the member waits. */
  fastAtFallback(now: number, segment: SegmentState, deadline: number): boolean {
    return this.originKnownFast(Math.min(now, this.clock.fallbackAt(segment, deadline)), segment, deadline);
  }

  /**
   * At the pace its pieces have reached us since we first asked a neighbour for it, the copy would
   * complete after `deadline`, or none of it reached us yet (not asked: no). A copy keeping that
   * pace is worth waiting for to the end: on a tight downlink of our own the origin would be no faster.
   */
  copyLate(now: number, segment: SegmentState, deadline: number): boolean {
    const since = segment.peerWaitSince;
    if (since === null) return false;
    if (segment.peerBytes <= 0 || now <= since) return true;
    const rate = segment.peerBytes / (now - since);
    return now + segment.missingBytes() / rate > deadline;
  }

  /** Our upload cap in force, else our capacity measured while backlogged (bytes/s; null: neither known). */
  uplink(): number | null {
    return this.uploadCap ?? this.measuredUplink;
  }

  /**
   * Our uplink (`uplink`) is below `weakUplinkX` times `bitrate` (bytes/s): we could not relay one
   * copy of a segment within its duration.
   */
  weakUplink(bitrate: number): boolean {
    const cap = this.uplink();
    const x = this.config.weakUplinkX;
    return cap !== null && x > 0 && bitrate > 0 && cap < x * bitrate;
  }

  /**
   * Our upload cap is below `smallUplinkX` times the segment's bitrate; without a cap, our
   * measured capacity (only ever measured while backlogged: an idle member's small upload says
   * nothing of its link).
   */
  smallUplink(segment: SegmentState): boolean {
    const cap = this.uplink();
    const x = this.config.smallUplinkX;
    if (cap === null || x <= 0 || segment.duration <= 0) return false;
    return cap < x * segment.bitrate;
  }
}
