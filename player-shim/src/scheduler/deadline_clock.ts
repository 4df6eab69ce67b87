/**
 * Time side of the pure scheduler (peer/deadline_clock.py): where the playhead is, when each
 * segment is due, and when its HTTP fallback must start given what is missing and how fast the
 * origin has been.
 */

import type { SegmentState } from "./download_state";
import type { SchedulerConfig } from "./scheduler_config";

/** A stretch of media on the playhead's timeline (a segment, a player load). */
export interface MediaSpan {
  readonly start: number;
  readonly duration: number;
}

/**
 * Where playback is: at wall time `setAt` it was at media time `position`, advancing in real
 * time if `playing`. Deadlines of segments follow from it.
 */
export class Playhead {
  constructor(
    readonly setAt: number,
    readonly position: number,
    readonly playing: boolean,
  ) {}

  positionAt(now: number): number {
    return this.position + (this.playing ? now - this.setAt : 0.0);
  }

  /** The segment ends at or before the position. */
  played(segment: MediaSpan): boolean {
    return segment.start + segment.duration <= this.position;
  }

  /** When playback reaches the segment's start; null if played. Not playing: as if it starts `startupDeadlineS` after `setAt`. */
  deadline(segment: MediaSpan, startupDeadlineS: number): number | null {
    if (this.played(segment)) return null;
    const ahead = Math.max(0.0, segment.start - this.position);
    return this.setAt + ahead + (this.playing ? 0.0 : startupDeadlineS);
  }

  /** Not playing (startup or stall) and this is the segment playback waits for: it starts at most `slackS` after the position (`stallSlackS`). */
  waitingOn(segment: MediaSpan, slackS = 0): boolean {
    return !this.playing && segment.start <= this.position + slackS;
  }
}

/** Deadlines from the playhead; fallback points from the HTTP throughput estimate. */
export class DeadlineClock {
  playhead: Playhead | null = null;
  httpRate: number;
  /**
   * `httpRate` is a measurement (a fetch of ours, or a seed from the download meter), not the
   * config's guess: the first measurement replaces the guess instead of being averaged into it.
   */
  httpRateKnown = false;
  /** How fast neighbours' copies still arriving progress (HAVE_PIECES): the rate at which the swarm gets segments from the origin, also where we never fetched ourselves. */
  copyRate: number;
  /**
   * The origin rates neighbours said of their copies (HAVE_PIECES origin rate: the holder's own
   * fetch, or for a relayed copy the fetch it comes from, timed by the sender), averaged as
   * `copyRate` is: the origin's speed without the relays' uplinks (`slowOriginByOriginCopies`).
   */
  originCopiesRate: number;
  /** When our last origin fetch completed (null: none yet, `httpRate` is the config's guess). */
  httpMeasuredAt: number | null = null;
  /** When the link rate in `httpRate` was last measured: our own fetch, or a seed that says when it was measured (`seedHttpRate`). */
  httpRateAt: number | null = null;
  /** The fastest origin rate a neighbour said (HAVE_PIECES origin rate) lately, bytes/s. */
  neighbourOriginRate = 0;
  neighbourOriginRateAt = -Infinity;
  /** Our link is slower than the origin (`slowLinkReserveX`); kept by the scheduler. */
  slowLink = false;
  /** Not playing, and the segment playback waits on is still missing (`updateHead`). */
  headMissing = false;
  /** When a pass last found that segment missing, or found it in: later segments' startup deadlines count from then (`laterWaitForHead`). */
  headMissingAt: number | null = null;
  /** Piece size of the stream's segments (the latest added), for `progressTimeout`. */
  pieceSize = 0;

  constructor(private readonly config: SchedulerConfig) {
    this.httpRate = config.httpRateEstimateBytesPerS;
    this.copyRate = config.httpRateEstimateBytesPerS;
    this.originCopiesRate = config.httpRateEstimateBytesPerS;
  }

  get playing(): boolean {
    return this.playhead !== null && this.playhead.playing;
  }

  /** The playhead's deadline; while not playing, a segment after the one playback waits on is due from `headMissingAt` when that is later than the playhead's setting. */
  deadline(segment: SegmentState): number | null {
    const playhead = this.playhead;
    if (playhead === null) return null;
    const deadline = playhead.deadline(segment, this.config.startupDeadlineS);
    const held = this.headMissingAt;
    if (deadline === null || held === null || playhead.playing || held <= playhead.setAt) return deadline;
    if (this.waitingOn(segment)) return deadline;
    return deadline + (held - playhead.setAt);
  }

  /** The playhead's own deadline for `span` (a player load: what playback waits on or reaches next, so no later startup deadline of `laterWaitForHead`). */
  deadlineOf(span: MediaSpan): number | null {
    return this.playhead === null ? null : this.playhead.deadline(span, this.config.startupDeadlineS);
  }

  /** Not playing, the segment playback waits on is still missing and `segment` comes after it: its deadline moves with every pass (so it sets no timer of its own). */
  waitsForHead(segment: SegmentState): boolean {
    return this.headMissing && !this.waitingOn(segment);
  }

  /**
   * Before a scheduling pass: whether, not playing, a segment playback waits on is still missing;
   * while it is, and at the pass that finds it in, `headMissingAt` is now (`laterWaitForHead`).
   */
  updateHead(now: number, segments: Iterable<SegmentState>): void {
    const playhead = this.playhead;
    if (!this.config.laterWaitForHead || playhead === null || playhead.playing) {
      this.headMissing = false;
      return;
    }
    let missing = false;
    for (const s of segments) {
      if (!s.complete && this.waitingOn(s) && !playhead.played(s)) {
        missing = true;
        break;
      }
    }
    if (missing || this.headMissing) this.headMissingAt = now;
    this.headMissing = missing;
  }

  /** Playback waits for this segment (startup or stall). */
  waitingOn(segment: SegmentState): boolean {
    return this.playhead !== null && this.playhead.waitingOn(segment, this.config.stallSlackS);
  }

  /**
   * From then on every missing piece comes from HTTP. The reserve plans with at least the
   * segment's own bitrate: a lower estimate is what a herd of simultaneous fallbacks measures on
   * a congested origin, and planning with it starts every member's fallback before any peer can
   * relay the segment, which makes the low estimate true (peer/deadline_clock.py says more).
   */
  fallbackAt(segment: SegmentState, deadline: number): number {
    const rate = Math.max(this.httpRate, segment.bitrate);
    let transfer = (segment.missingBytes() + segment.linkSharedBytes) / rate;
    if (this.slowLink) transfer *= this.config.slowLinkReserveX;
    return deadline - this.config.httpMarginS - transfer;
  }

  /** A neighbour said its origin fetch arrives at `rate` bytes/s: the fastest such word within `ownRateFreshS` is kept, and every word averaged into `originCopiesRate`. */
  neighbourOriginRateSaid(now: number, rate: number): void {
    const weight = this.config.httpRateEwmaWeight;
    this.originCopiesRate = (1 - weight) * this.originCopiesRate + weight * rate;
    const stale = now - this.neighbourOriginRateAt > this.config.ownRateFreshS;
    if (stale || rate >= this.neighbourOriginRate) {
      this.neighbourOriginRate = rate;
      this.neighbourOriginRateAt = now;
    }
  }

  /** Whether our link is slower than the origin (`slowLinkReserveX`): a neighbour's recent origin rate is that many times ours. */
  updateSlowLink(now: number): void {
    const x = this.config.slowLinkReserveX;
    const fresh = now - this.neighbourOriginRateAt <= this.config.ownRateFreshS;
    this.slowLink = x > 1 && fresh && this.neighbourOriginRate >= x * this.httpRate;
  }

  /** `httpRate` was measured (our own fetch, or a dated seed) within `withinS`. */
  rateFresh(now: number, withinS: number): boolean {
    return this.httpRateAt !== null && now - this.httpRateAt <= withinS;
  }

  /**
   * A rate of the member's link measured outside this scheduler (the download meter: its own
   * HTTP loads, an earlier rendition's fetches) replaces the config's guess until a fetch of ours
   * is measured: the 2 MB/s guess on a 1 Mbit/s downlink put every fallback point about a second
   * late (peer/deadline_clock.py says more).
   */
  seedHttpRate(rate: number, measuredAt: number | null = null): void {
    if (this.httpMeasuredAt === null && rate > 0) {
      this.httpRate = rate;
      if (measuredAt !== null) this.httpRateAt = measuredAt;
      this.httpRateKnown = true;
    }
  }

  /** An origin fetch of ours brought `size` bytes in `elapsed` s; the first measurement replaces the guess (peer/deadline_clock.py says why). */
  httpFetchDone(size: number, elapsed: number, now: number | null = null): void {
    if (now !== null) {
      this.httpMeasuredAt = now;
      this.httpRateAt = now;
    }
    if (elapsed > 0) {
      const weight = this.httpRateKnown ? this.config.httpRateEwmaWeight : 1;
      this.httpRate = (1 - weight) * this.httpRate + weight * (size / elapsed);
      this.httpRateKnown = true;
    }
  }

  /** A neighbour's copy gained `size` bytes in `elapsed` seconds. */
  copyProgress(size: number, elapsed: number): void {
    if (elapsed > 0) {
      const weight = this.config.httpRateEwmaWeight;
      this.copyRate = (1 - weight) * this.copyRate + weight * (size / elapsed);
    }
  }

  /**
   * How long a neighbour's copy may go without news (HAVE_PIECES) before it counts as stale:
   * `progressTimeoutPieces` pieces at the rate copies have been getting, within
   * [`originProgressTimeoutS`, `progressTimeoutMaxS`]. Neighbours announce a copy every
   * `originAnnouncePieces` / `relayAnnouncePieces` pieces (the swarm runs one config), so the
   * pieces count that many times over: between two announcements a copy arriving at the usual
   * rate still counts as progressing.
   */
  progressTimeout(): number {
    const base = this.config.originProgressTimeoutS;
    const span = Math.max(1, this.config.originAnnouncePieces, this.config.relayAnnouncePieces);
    const pieces = this.config.progressTimeoutPieces * span;
    if (pieces <= 0 || this.pieceSize <= 0) return base;
    const scaled = (pieces * this.pieceSize) / Math.min(this.httpRate, this.copyRate);
    return Math.max(base, Math.min(this.config.progressTimeoutMaxS, scaled));
  }

  /**
   * Fetching what is missing would not beat the deadline at the rate the swarm's copies from the
   * origin (`slowOriginByOriginCopies`; else every copy) or our own fetches have been getting: a
   * takeover would only add load. With `ownFetches`, at the rate of our own fetches alone (see
   * `OriginGate.originTooSlow`); else also at `liveRate`, the rate a neighbour's origin fetch of
   * the segment gets right now.
   */
  originTooSlow(segment: SegmentState, deadline: number, now: number, ownFetches = false, liveRate: number | null = null): boolean {
    const copies = this.config.slowOriginByOriginCopies ? this.originCopiesRate : this.copyRate;
    let rate = ownFetches ? this.httpRate : Math.min(this.httpRate, copies);
    if (liveRate !== null && !ownFetches) rate = Math.min(rate, liveRate);
    return now + segment.missingBytes() / rate > deadline;
  }
}
