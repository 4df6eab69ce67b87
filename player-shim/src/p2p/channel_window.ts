/**
 * How many bytes a link hands its data channel ahead of the wire (pure; peer/channel_window.py is
 * the same rule, shared cases in tests/vectors/channel_window.json).
 *
 * What a data channel has been handed is committed: a CANCEL cannot take it back, and HAVE,
 * REQUEST and CANCEL frames queue behind it. With a fixed 1 MiB high-water mark a sender on a
 * 1.3 Mbit/s uplink held 0.3-0.4 MB in its channels (2-3 s), and of every byte uploaded in the
 * realistic lab 24-46 % reached a neighbour that had cancelled it (docs/open-work.md, session 36):
 * both uplinks and downlinks carried each takeover twice. So the mark follows the link: about
 * `bufferS` of what left the channel while frames waited in our own queue (the channel set the
 * pace), never below `minBytes` nor above `maxBytes`. The rest waits in the link's queue, where a
 * CANCEL drops it. In Chromium a channel's `bufferedAmount` covers everything not yet delivered
 * (it falls in steps as SCTP's acks come back), so the mark bounds the bytes a cancel cannot reach.
 */

export interface ChannelWindowConfig {
  /** The smallest high-water mark (bytes): two pieces keep a slow link busy between refills. */
  minBytes: number;
  /** The largest (bytes). */
  maxBytes: number;
  /** Seconds of the link's measured pace the channel may hold. */
  bufferS: number;
  /** Backlogged seconds that make one pace sample. */
  sampleS: number;
}

export const DEFAULT_CHANNEL_WINDOW: Readonly<ChannelWindowConfig> = Object.freeze({
  minBytes: 32_768,
  maxBytes: 1_048_576,
  bufferS: 0.25,
  sampleS: 0.5,
});

export class ChannelWindow {
  /** Stop handing the channel frames at or above this many buffered bytes. */
  highWater: number;
  private since: { at: number; drained: number } | null = null;

  constructor(readonly config: ChannelWindowConfig = DEFAULT_CHANNEL_WINDOW) {
    if (config.minBytes <= 0 || config.maxBytes < config.minBytes || config.bufferS <= 0 || config.sampleS <= 0) {
      throw new Error("channel window: need 0 < minBytes <= maxBytes, bufferS > 0, sampleS > 0");
    }
    this.highWater = config.minBytes;
  }

  /** Resume handing frames below this (`bufferedamountlow`). */
  get lowWater(): number {
    return Math.floor(this.highWater / 2);
  }

  /**
   * After each hand-over: `drained` is the bytes that have left the channel's buffer so far,
   * `backlogged` whether frames still wait in our queue (the channel, not our demand, set the
   * pace since the previous call if it did then too).
   */
  observe(now: number, drained: number, backlogged: boolean): void {
    if (!backlogged) {
      this.since = null;
      return;
    }
    if (this.since === null || drained < this.since.drained) {
      this.since = { at: now, drained };
      return;
    }
    const seconds = now - this.since.at;
    if (seconds < this.config.sampleS) return;
    const pace = (drained - this.since.drained) / seconds;
    const { minBytes, maxBytes, bufferS } = this.config;
    this.highWater = Math.round(Math.min(maxBytes, Math.max(minBytes, pace * bufferS)));
    this.since = { at: now, drained };
  }
}
