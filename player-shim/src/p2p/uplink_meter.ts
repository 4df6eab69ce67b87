/**
 * This viewer's upload capacity, measured only while its data channels are backlogged (pure;
 * peer/uplink_meter.py is the same rule, shared cases in tests/vectors/uplink_meter.json).
 *
 * What a viewer uploads over some seconds is its demand, not its capacity: an idle viewer would
 * look like a tiny uplink. Bytes leaving the channels' send buffers while more than
 * `backlogBytes` wait in them are paced by the link (or the transport's congestion control), so
 * only those count. A channel held back by its own path (a slow receiver, a TURN relay) backs up
 * too while the uplink has room: such windows read low, an underestimate (the side that costs
 * offload, not stalls). uplink_feed.ts feeds it from the data channels.
 */

export interface UplinkMeterConfig {
  /**
   * Buffered bytes (summed over the channels) above which the sender counts as backlogged: below
   * the channels' low-water mark (256 KiB), so a link refilled at `bufferedamountlow` stays
   * backlogged, and above a few pieces, so a short reply's tail does not count.
   */
  backlogBytes: number;
  /** Backlogged seconds that make one sample (bufferedAmount drops in chunks). */
  windowS: number;
  /**
   * Half-lives, in backlogged seconds, of the two averages; the estimate is the smaller, so it
   * follows a slower link within seconds and a faster one more cautiously (as hls.js's ABR
   * estimator does): overstating an uplink is what turns into neighbours' stalls.
   */
  fastHalfLifeS: number;
  slowHalfLifeS: number;
}

export const DEFAULT_UPLINK_METER: Readonly<UplinkMeterConfig> = Object.freeze({
  backlogBytes: 65_536,
  windowS: 1.0,
  fastHalfLifeS: 3.0,
  slowHalfLifeS: 9.0,
});

/** One data channel at an observation. */
export interface ChannelCount {
  id: string;
  /** Bytes handed to the channel so far. */
  sent: number;
  /** Its `bufferedAmount` now. */
  buffered: number;
}

/**
 * Feed `observe` before every batch of frames handed to the channels and when one's buffer falls
 * below its low-water mark: buffered bytes then only grow at an observation, so when the total is
 * at or above `backlogBytes` at one, the sender was backlogged all the time since the previous
 * one, and the bytes that left the buffers meanwhile measure the link.
 */
export class UplinkMeter {
  private fast: number | null = null;
  private slow: number | null = null;
  private drained = new Map<string, number>();
  private lastAt: number | null = null;
  private bytes = 0;
  private seconds = 0;

  constructor(readonly config: UplinkMeterConfig = DEFAULT_UPLINK_METER) {}

  /** The measured upload capacity (bytes/s), null until a window was backlogged. */
  get rateBytesPerS(): number | null {
    return this.fast === null || this.slow === null ? null : Math.min(this.fast, this.slow);
  }

  capacityBps(): number | null {
    const rate = this.rateBytesPerS;
    return rate === null ? null : Math.round(rate * 8);
  }

  /**
   * The channels' counters at `now` (seconds); true when this closed a window (a new estimate).
   * A channel seen for the first time only sets its baseline; one no longer listed (closed) is
   * forgotten, its last bytes uncounted (an underestimate for one interval).
   */
  observe(now: number, channels: Iterable<ChannelCount>): boolean {
    const drained = new Map<string, number>();
    let moved = 0;
    let buffered = 0;
    for (const c of channels) {
      const out = c.sent - c.buffered;
      drained.set(c.id, out);
      moved += Math.max(0, out - (this.drained.get(c.id) ?? out));
      buffered += c.buffered;
    }
    this.drained = drained;
    const last = this.lastAt;
    this.lastAt = now;
    if (last === null || now <= last || buffered < this.config.backlogBytes) return false;
    this.bytes += moved;
    this.seconds += now - last;
    if (this.seconds < this.config.windowS) return false;
    this.sample(this.bytes / this.seconds, this.seconds);
    this.bytes = 0;
    this.seconds = 0;
    return true;
  }

  private sample(rate: number, seconds: number): void {
    if (this.fast === null || this.slow === null) {
      this.fast = this.slow = rate;
      return;
    }
    const fast = Math.pow(0.5, seconds / this.config.fastHalfLifeS);
    const slow = Math.pow(0.5, seconds / this.config.slowHalfLifeS);
    this.fast = fast * this.fast + (1 - fast) * rate;
    this.slow = slow * this.slow + (1 - slow) * rate;
  }
}
