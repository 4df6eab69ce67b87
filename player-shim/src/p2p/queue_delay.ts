/**
 * Whether this viewer's access link is queueing (pure): the evidence that the uplink meter's
 * backlog is the link's and not the receivers' or the CPU's.
 *
 * A backlog in the data channels says only that bytes wait. On a small home uplink they wait for
 * the link, and its queue delays everything else the viewer sends, the ACKs of its own origin
 * downloads among them (bench/results/realistic-README.md series 9: P2P pages on 144-345 kbit/s
 * uplinks fetched at 0.4-0.9 of their CDN-only rate). On a fast link they wait for a slow
 * receiver or a busy renderer: in the flash lab (no access caps) the meter read 0.3-0.8 Mbit/s
 * on 8 of 24 pages, below the stream's bitrate, and a cap from that starved the swarm. What tells
 * the two apart is the link's own queue: the round trip of the ICE consent checks (every few
 * seconds on each selected candidate pair, `totalRoundTripTime` / `responsesReceived` in
 * getStats) grows by the queue's delay on every link of a viewer whose access link is full.
 *
 * Each link keeps its own base (the least round trip seen within `baseWindowS`: paths differ,
 * TURN relays add their own); a sample's queue delay is its excess over that base. The link
 * queues when the median excess of the samples within `recentS` (all links together) is at
 * least `thresholdS`, from `minSamples` samples on.
 */

import { median } from "../numbers";

export interface QueueDelayConfig {
  /** Seconds over which a link's least round trip is its base. */
  baseWindowS: number;
  /** Seconds of recent samples the verdict is drawn from. */
  recentS: number;
  /** Median excess over the bases (seconds) from which the link counts as queueing. */
  thresholdS: number;
  /** Fewest recent samples for a verdict. */
  minSamples: number;
}

export const DEFAULT_QUEUE_DELAY: Readonly<QueueDelayConfig> = Object.freeze({
  baseWindowS: 60,
  recentS: 10,
  thresholdS: 0.05,
  minSamples: 3,
});

/** One link's cumulative consent-check counters (getStats, selected candidate pair). */
export interface RoundTrips {
  /** Sum of the round trips measured so far (seconds). */
  totalS: number;
  /** Responses those sums cover. */
  responses: number;
}

interface Sample {
  at: number;
  link: string;
  rttS: number;
}

export class QueueDelay {
  private readonly last = new Map<string, RoundTrips>();
  private samples: Sample[] = [];

  constructor(readonly config: QueueDelayConfig = DEFAULT_QUEUE_DELAY) {
    if (config.recentS <= 0 || config.baseWindowS < config.recentS) throw new RangeError("need 0 < recentS <= baseWindowS");
    if (config.minSamples < 1) throw new RangeError("minSamples must be >= 1");
  }

  /**
   * Links' counters at `now` (seconds): the round trips answered since a link's previous
   * observation make one sample (their mean). Links not listed keep their counters (a feed reads
   * only busy links).
   */
  observe(now: number, links: Iterable<[string, RoundTrips]>): void {
    for (const [link, count] of links) {
      const before = this.last.get(link);
      this.last.set(link, count);
      if (!before || count.responses <= before.responses || count.totalS < before.totalS) continue;
      this.samples.push({ at: now, link, rttS: (count.totalS - before.totalS) / (count.responses - before.responses) });
    }
    this.samples = this.samples.filter((s) => now - s.at <= this.config.baseWindowS);
  }

  /** Forgets every link but `live` (closed links' samples and counters). */
  retain(live: Iterable<string>): void {
    const keep = new Set(live);
    for (const link of [...this.last.keys()]) if (!keep.has(link)) this.last.delete(link);
    this.samples = this.samples.filter((s) => keep.has(s.link));
  }

  /** The median excess over each link's base of the recent samples (seconds); null: too few. */
  excessS(now: number): number | null {
    const base = new Map<string, number>();
    for (const s of this.samples) base.set(s.link, Math.min(base.get(s.link) ?? Infinity, s.rttS));
    const recent = this.samples.filter((s) => now - s.at <= this.config.recentS).map((s) => s.rttS - (base.get(s.link) ?? s.rttS));
    return recent.length < this.config.minSamples ? null : median(recent);
  }

  /** The access link queues now (see the module's comment). */
  queueing(now: number): boolean {
    const excess = this.excessS(now);
    return excess !== null && excess >= this.config.thresholdS;
  }
}
