/**
 * The player's own plain-HTTP loads, and what else shares the downlink with the scheduler's origin
 * fetches (peer/player_loads.py; the fallback points' `sharedLinkX`): before the swarm is joined and when the loader's safety net fires, the
 * player loads fragments itself. Counted as due before the segments after them (`DownlinkQueue`),
 * a load holds new fetches back as an earlier segment's missing bytes do (`newFetchShareX`,
 * `tightLinkBudgetS`).
 */

import type { DeadlineClock } from "./deadline_clock";
import { type SegmentState, UNASSIGNED } from "./download_state";
import type { SchedulerConfig } from "./scheduler_config";

/** A fragment the player loads over plain HTTP: its media time, and the bytes expected (0: unknown, then the stream's bitrate times its duration). */
export class PlayerLoad {
  constructor(
    readonly seq: number,
    readonly start: number,
    readonly duration: number,
    readonly size: number,
    readonly since: number,
  ) {}

  /** Bytes still to come, as if the load had the member's measured link to itself since it began. */
  remaining(now: number, linkRate: number, bitrate: number): number {
    const size = this.size > 0 ? this.size : bitrate * this.duration;
    return Math.max(0, size - Math.max(0, now - this.since) * linkRate);
  }
}

/**
 * One scheduling pass's view of the downlink, in deadline order: the bytes that segments (and
 * player loads) due before the current one still miss, and whether one of them would miss its
 * deadline beside one more fetch at `sharedRate` (null: that rule is off).
 */
export class DownlinkQueue {
  missing = 0;
  late = false;

  constructor(
    private readonly now: number,
    private readonly sharedRate: number | null,
    private readonly marginS: number,
  ) {}

  /** A player load comes before the segments after it (not once played: no deadline). */
  addLoad(load: PlayerLoad, deadline: number | null, linkRate: number, bitrate: number): void {
    if (deadline !== null) this.add(load.remaining(this.now, linkRate, bitrate), deadline);
  }

  /** Something due at `deadline` still misses `missing` bytes. */
  add(missing: number, deadline: number | null): void {
    this.missing += missing;
    if (this.sharedRate === null || deadline === null || missing <= 0 || this.late) return;
    this.late = this.now + this.missing / this.sharedRate > deadline - this.marginS;
  }
}

/** The origin rate an earlier segment's transfer keeps beside one more fetch (`newFetchShareX`; null: off, or the link not measured yet). */
export function downlinkSharedRate(clock: DeadlineClock, config: SchedulerConfig): number | null {
  const share = config.newFetchShareX;
  if (share <= 0 || !clock.httpRateKnown) return null;
  return clock.httpRate / share;
}

/** On a link whose measured origin rate is under `tightLinkX` times the bitrate, the bytes it carries in `tightLinkBudgetS` (null: not a tight link, or not measured). */
export function tightLinkBudget(clock: DeadlineClock, config: SchedulerConfig, segments: Iterable<SegmentState>): number | null {
  const horizon = config.tightLinkBudgetS;
  if (horizon <= 0 || !clock.httpRateKnown) return null;
  let bitrate = 0;
  for (const s of segments) bitrate = Math.max(bitrate, s.bitrate);
  if (bitrate <= 0 || clock.httpRate >= config.tightLinkX * bitrate) return null;
  return clock.httpRate * horizon;
}

/**
 * Sets each segment's `linkSharedBytes` (`sharedLinkX`): the transfers in flight on our downlink
 * for later segments (pieces owed by neighbours, pieces coming from the origin, the player's loads)
 * share the link fairly with a fetch of its rest, each until it ends. Earlier segments' transfers
 * go first by the deadline-order rules (`DownlinkQueue`) and are not counted (why: the Python
 * port's `mark_link_sharing`).
 */
export function markLinkSharing(
  segments: Iterable<SegmentState>,
  loads: Iterable<PlayerLoad>,
  now: number,
  clock: DeadlineClock,
  config: SchedulerConfig,
  loadBitrate: number,
): void {
  const all = [...segments];
  const x = config.sharedLinkX;
  const flows: [number, number][] = []; // [seq, bytes still to come]
  for (const segment of all) {
    let fromPeers = 0;
    let fromOrigin = 0;
    for (let index = 0; index < segment.pieceCount; index++) {
      const owner = segment.owner[index] as number;
      if (segment.have[index] || owner === UNASSIGNED) continue;
      if (owner > 0) fromPeers += segment.pieceBytes(index);
      else fromOrigin += segment.pieceBytes(index);
    }
    for (const size of [fromPeers, fromOrigin]) if (size > 0) flows.push([segment.seq, size]);
  }
  for (const load of loads) flows.push([load.seq, load.remaining(now, clock.httpRate, loadBitrate)]);
  for (const segment of all) {
    let shared = 0;
    if (x > 0 && clock.httpRateKnown && ownLinkTight(clock, config, segment)) {
      const missing = segment.missingBytes();
      for (const [seq, size] of flows) if (seq > segment.seq) shared += Math.min(size, missing);
    }
    segment.linkSharedBytes = shared;
  }
}

/**
 * The segment is due within `thinLeadOriginS`, none of it is in or on its way, and our link is
 * tight at a rate that is not a crowded origin's share (`thinLeadMinRateX`): it comes from the
 * origin now, not from the swarm and then a takeover (why: the Python port's
 * `thin_lead_origin_s`). The caller asks only for a segment nothing before is missing.
 */
export function thinLead(clock: DeadlineClock, config: SchedulerConfig, segment: SegmentState, now: number, deadline: number): boolean {
  const lead = config.thinLeadOriginS;
  if (lead <= 0 || deadline - now > lead || !clock.httpRateKnown) return false;
  if (segment.haveCount > 0 || segment.owner.some((owner) => owner !== UNASSIGNED)) return false; // a copy begun goes on by the other rules
  return ownLinkTight(clock, config, segment) && clock.httpRate >= config.thinLeadMinRateX * segment.bitrate;
}

/**
 * Our measured origin rate is under `sharedLinkX` times the segment's bitrate, or our link is
 * slower than the origin (`DeadlineClock.slowLink`): a fetch shares our own downlink with whatever
 * else comes in (`markLinkSharing`, `thinLead`).
 */
export function ownLinkTight(clock: DeadlineClock, config: SchedulerConfig, segment: SegmentState): boolean {
  return clock.httpRate < config.sharedLinkX * segment.bitrate || clock.slowLink;
}
