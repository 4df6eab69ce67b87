/**
 * Holds a P2P viewer at the live latency it started with when its media clock slips.
 *
 * A <video> plays its media a little slower than wall time when the renderer is short of CPU
 * (its audio clock misses deadlines; no `waiting` event, no stall). In the steady lab (8 Chromium
 * viewers on 2 shared cores) P2P viewers played at 0.959-0.979x against CDN-only's 0.987-0.999x:
 * the data channels, verification and uploads are extra work in the same renderer, and over
 * 3 minutes the slip added 2-3 s of live latency while buffers grew (bench/results/flash-crowd/
 * README.md, "Steady"). hls.js's own catch-up (`maxLiveSyncPlaybackRate`) chases a fixed target
 * latency, so it also spends the buffer a slow start or a stall left, which a congested swarm
 * needs; this hold only wins back what the clock lost since the last wait: a stall, seek or
 * pause re-anchors it (the time spent waiting is accepted), and it speeds up only while the
 * buffer ahead covers the slip (up to `coverS`) plus a margin. It also keeps swarm members
 * wanting the same segments at the same time.
 */

export interface LatencyHoldConfig {
  /** Slip (s) from which to play faster, and down to which to keep doing so. */
  startS: number;
  stopS: number;
  /**
   * playbackRate while catching up; `fastRate` once the slip reaches `fastS`. A starved renderer
   * plays about 0.9 of the rate asked (steady lab, session 17: 0.98x real time at 1.1, 0.90x at
   * 1), so only a fast rate well above 1.1 wins a slip back there; a renderer that keeps up never
   * slips as far as `fastS`.
   */
  rate: number;
  fastRate: number;
  fastS: number;
  /** Buffer ahead (s) that must remain once the slip is won back. */
  marginS: number;
  /**
   * The buffer ahead must cover the slip only up to this many seconds. A swarm member's buffer
   * ends where its swarm has fetched to, and the live election fetches a segment only once it is
   * due within `election_horizon_s` (scheduler_config), so the buffer stays about that long
   * whatever the latency: covering a slip of many seconds was never possible and the hold stopped
   * (steady lab, session 17: 31% of P2P viewers' time at rate 1 with 7-12 s buffered and 8 s of
   * slip; the media clock then ran at 0.90x). Winning back 0.05-0.1 s per second spends the buffer
   * slowly and the check runs every second, so the margin still holds.
   */
  coverS: number;
}

export const DEFAULT_HOLD: Readonly<LatencyHoldConfig> = Object.freeze({
  startS: 0.5,
  stopS: 0.1,
  rate: 1.05,
  fastRate: 1.2,
  fastS: 1,
  marginS: 1.5,
  coverS: 2,
});

/** One look at the media element. */
export interface HoldSample {
  wallMs: number;
  mediaTime: number;
  /** Playing, not seeking, enough data: media time should advance with wall time. */
  progressing: boolean;
  bufferAheadS: number;
}

/** Pure: samples in, the playbackRate to set out (1 when not catching up). */
export class LatencyHold {
  private anchor: { wallMs: number; mediaTime: number } | null = null;
  private catchingUp = false;

  constructor(private readonly config: LatencyHoldConfig = DEFAULT_HOLD) {}

  /** The player waited (stall, seek, pause): the time it lost there is not won back. */
  reset(): void {
    this.anchor = null;
    this.catchingUp = false;
  }

  /** Seconds the media clock fell behind wall time since the anchor (0 before one). */
  slip(sample: HoldSample): number {
    if (!this.anchor) return 0;
    return (sample.wallMs - this.anchor.wallMs) / 1000 - (sample.mediaTime - this.anchor.mediaTime);
  }

  update(sample: HoldSample): number {
    if (!sample.progressing) {
      this.reset();
      return 1;
    }
    if (!this.anchor) {
      this.anchor = { wallMs: sample.wallMs, mediaTime: sample.mediaTime };
      return 1;
    }
    const c = this.config;
    const slip = this.slip(sample);
    const room = sample.bufferAheadS - Math.min(Math.max(0, slip), c.coverS) >= c.marginS;
    if (!room || slip <= c.stopS) this.catchingUp = false;
    else if (slip >= c.startS) this.catchingUp = true;
    if (!this.catchingUp) return 1;
    return slip >= c.fastS ? c.fastRate : c.rate;
  }
}

const RESET_EVENTS = ["waiting", "seeking", "pause", "emptied"];

/**
 * Runs a LatencyHold on a media element every `intervalMs` while `active()` (P2P on). It sets
 * playbackRate only while the rate is 1 or its own: a page's or hls.js's own rate wins.
 */
export function holdLatency(
  media: HTMLMediaElement,
  active: () => boolean,
  bufferAhead: (media: HTMLMediaElement) => number,
  intervalMs = 1000,
  hold = new LatencyHold(),
): () => void {
  let mine: number | null = null;
  const reset = (): void => hold.reset();
  for (const name of RESET_EVENTS) media.addEventListener(name, reset);
  const set = (rate: number): void => {
    if (media.playbackRate === rate) return;
    media.playbackRate = rate;
    mine = rate;
  };
  const timer = setInterval(() => {
    const owned = media.playbackRate === 1 || media.playbackRate === mine;
    if (!owned || !active()) {
      hold.reset();
      if (owned && mine !== null && mine !== 1) set(1);
      return;
    }
    set(
      hold.update({
        wallMs: performance.now(),
        mediaTime: media.currentTime,
        progressing: !media.paused && !media.seeking && media.readyState >= 3,
        bufferAheadS: bufferAhead(media),
      }),
    );
  }, intervalMs);
  return () => {
    clearInterval(timer);
    for (const name of RESET_EVENTS) media.removeEventListener(name, reset);
    if (mine !== null && mine !== 1 && media.playbackRate === mine) media.playbackRate = 1;
  };
}
