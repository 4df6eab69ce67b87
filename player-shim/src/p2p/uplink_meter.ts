/**
 * This viewer's upload capacity, measured only while its data channels are backlogged (pure;
 * peer/uplink_meter.py is the same rule, shared cases in tests/vectors/uplink_meter.json).
 *
 * What a viewer uploads over some seconds is its demand, not its capacity: an idle viewer would
 * look like a tiny uplink. Bytes leaving the channels' send buffers while more than
 * `backlogBytes` wait in them are paced by the link (or the transport's congestion control), so
 * only those count. A channel held back by its own path (a slow receiver, a TURN relay) backs up
 * too while the uplink has room: such windows read low, an underestimate (the side that costs
 * offload, not stalls). Two rules keep that underestimate bounded: a channel whose bytes have not
 * left for `stalledS` has a receiver that stopped reading (or a dead path), so its buffered bytes
 * are not the link's backlog; and a window slower than `floorBytesPerS` is dropped (no uplink
 * that carries P2P is that slow). In the browser "left" means reached the wire: uplink_feed.ts
 * reads each link's ICE transport every second, because Chromium drains `bufferedAmount` into
 * SCTP's own queue in bursts (1-s windows of it read 0 or 4-5x a small uplink in the lab).
 *
 * Backlogged windows still read demand on a loaded machine: of the 27 cable pages (1.26-1.57
 * Mbit/s up) capped in 22 realistic lab runs, 14 had moved 0.75-1.3 Mbit/s out of their channels
 * over 3 s before the estimate sank to 0.2-0.65 Mbit/s (bench/results/uplink-s48/README.md).
 * What left the buffers over `peakSpanS` is a floor under the link whatever the backlog: the
 * estimate is never below the best such rate of the last `peakMemoryS` seconds. The floor only
 * raises an estimate, it never makes one: a viewer that sent little has shown little. The floor
 * counts, per channel and interval, the lesser of the bytes that left the channel's buffer
 * (`ChannelCount.left`) and those that left for the link (`sent - buffered`, in the browser the
 * wire): the wire also carries retransmissions (up to 2.2x a small uplink over 2 s in the lab),
 * and Chromium empties `bufferedAmount` in bursts (what left the channels read up to 1.55x a
 * small uplink over 3 s); the lesser read at most 0.89x on the 95 capped DSL and mobile pages.
 */

export interface UplinkMeterConfig {
  /**
   * Bytes waiting (summed over the links: their queues and their channels' buffers) above which
   * the sender counts as backlogged: above a few pieces, so a short reply's tail does not count.
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
  /**
   * Seconds without a byte leaving a channel's buffer after which its buffered bytes stop counting
   * as backlog: a busy link drains every channel's share within that time; a receiver that
   * stopped reading (or a dead path) drains nothing.
   */
  stalledS: number;
  /** Window rates below this (bytes/s, 128 kbit/s) are not samples: receivers' pace, not the link's. */
  floorBytesPerS: number;
  /**
   * Seconds over which what left the buffers is a floor under the link (long enough that one
   * observation's timing moves it little), and how long such a floor holds.
   */
  peakSpanS: number;
  peakMemoryS: number;
  /** Relative rise of the estimate by the floor that counts as a new estimate (`observe` true). */
  peakStep: number;
}

export const DEFAULT_UPLINK_METER: Readonly<UplinkMeterConfig> = Object.freeze({
  backlogBytes: 65_536,
  windowS: 1.0,
  fastHalfLifeS: 3.0,
  slowHalfLifeS: 9.0,
  stalledS: 1.0,
  floorBytesPerS: 16_000,
  peakSpanS: 3.0,
  peakMemoryS: 30.0,
  peakStep: 0.1,
});

/** One data channel at an observation. */
export interface ChannelCount {
  id: string;
  /** Bytes queued for the channel so far. */
  sent: number;
  /** How many of them wait now (the link's queue and the channel's `bufferedAmount`). */
  buffered: number;
  /** Bytes that left the channel's buffer so far, for the floor (absent: `sent - buffered`): see the module doc. */
  left?: number;
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
  /** Per channel: since when its buffer has held bytes that did not move (the stall clock). */
  private waitingSince = new Map<string, number>();
  private lastAt: number | null = null;
  private bytes = 0;
  private seconds = 0;
  /** Per channel: what had left its buffer at the previous observation (the floor's count). */
  private leftBefore = new Map<string, number>();
  /** What left the buffers so far (every channel's bytes since its first observation). */
  private left = 0;
  /** (at, bytes left so far) back to the newest observation at least peakSpanS old. */
  private span: [number, number][] = [];
  /** (at, rate over a span ending then), rates decreasing: the best one within memory first. */
  private peaks: [number, number][] = [];
  private reported: number | null = null;

  constructor(readonly config: UplinkMeterConfig = DEFAULT_UPLINK_METER) {}

  /** The measured upload capacity (bytes/s), null until a window was backlogged. */
  get rateBytesPerS(): number | null {
    if (this.fast === null || this.slow === null) return null;
    return Math.max(Math.min(this.fast, this.slow), this.peaks[0]?.[1] ?? 0);
  }

  capacityBps(): number | null {
    const rate = this.rateBytesPerS;
    return rate === null ? null : Math.round(rate * 8);
  }

  /**
   * The channels' counters at `now` (seconds); true when this closed a window or the floor raised
   * the estimate by `peakStep` (a new estimate).
   * A channel seen for the first time only sets its baseline; one no longer listed (closed) is
   * forgotten, its last bytes uncounted (an underestimate for one interval).
   */
  observe(now: number, channels: Iterable<ChannelCount>): boolean {
    const drained = new Map<string, number>();
    const waitingSince = new Map<string, number>();
    const leftNow = new Map<string, number>();
    let moved = 0;
    let leftMoved = 0;
    let buffered = 0;
    for (const c of channels) {
      const out = c.sent - c.buffered;
      const before = this.drained.get(c.id);
      drained.set(c.id, out);
      if (before !== undefined) moved += Math.max(0, out - before);
      const left = c.left ?? out;
      const leftThen = this.leftBefore.get(c.id);
      leftNow.set(c.id, left);
      // The floor counts the lesser of what left the channel and what left for the link.
      if (leftThen !== undefined && before !== undefined) leftMoved += Math.max(0, Math.min(left - leftThen, out - before));
      // The stall clock restarts when bytes left the buffer or it was empty before.
      const since = before === undefined || out > before ? now : (this.waitingSince.get(c.id) ?? now);
      if (c.buffered > 0) waitingSince.set(c.id, since);
      if (now - since < this.config.stalledS) buffered += c.buffered; // a stalled channel's bytes are not the link's backlog
    }
    this.drained = drained;
    this.waitingSince = waitingSince;
    this.leftBefore = leftNow;
    const last = this.lastAt;
    this.lastAt = now;
    if (last !== null && now <= last) return false;
    this.peak(now, leftMoved);
    const windowed = last !== null && buffered >= this.config.backlogBytes && this.window(now - last, moved);
    const rate = this.rateBytesPerS;
    if (rate === null) return false;
    const raised = this.reported !== null && rate >= this.reported * (1 + this.config.peakStep);
    if (windowed || raised) this.reported = rate;
    return windowed || raised;
  }

  /** A backlogged interval; true when it closed a window with a sample. */
  private window(seconds: number, moved: number): boolean {
    this.bytes += moved;
    this.seconds += seconds;
    if (this.seconds < this.config.windowS) return false;
    const rate = this.bytes / this.seconds;
    const window = this.seconds;
    this.bytes = 0;
    this.seconds = 0;
    if (rate < this.config.floorBytesPerS) return false; // receivers' pace, not the link's
    this.sample(rate, window);
    return true;
  }

  /** What left the buffers over the last peakSpanS (or a little more): the floor. */
  private peak(now: number, moved: number): void {
    const { peakSpanS, peakMemoryS } = this.config;
    this.left += moved;
    this.span.push([now, this.left]);
    while ((this.span[1]?.[0] ?? Infinity) <= now - peakSpanS) this.span.shift();
    while (now - (this.peaks[0]?.[0] ?? now) > peakMemoryS) this.peaks.shift();
    const [start, leftThen] = this.span[0] ?? [now, this.left];
    if (now - start < peakSpanS) return;
    const rate = (this.left - leftThen) / (now - start);
    while ((this.peaks[this.peaks.length - 1]?.[1] ?? Infinity) <= rate) this.peaks.pop();
    this.peaks.push([now, rate]);
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
