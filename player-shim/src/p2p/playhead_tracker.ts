/**
 * Where playback is, for the scheduler (split out of p2p_engine.ts): the <video>'s position and
 * whether it plays, pushed to the swarm session on every media event and every 2 s while playing
 * (playback drifts from wall time); before the first frame, the start of the fragment playback will
 * start from: the earliest asked for, unless the player jumped past it (the startup deadline counts
 * from it).
 */

import { bufferAhead } from "../playback_monitor";

/** What receives the playhead (the current swarm session, when there is one). */
export interface PlayheadSink {
  setPlayhead(position: number, playing: boolean): void;
}

/** Events after which the scheduler gets the playhead again ("playing" has its own listener). */
const MEDIA_EVENTS = ["pause", "waiting", "seeking", "seeked", "ratechange", "stalled", "ended"];

/**
 * Before the first frame, a fragment asked for more than this many seconds past the end of every
 * fragment asked for so far is a jump, not the next fragment: the player gave up where it was.
 */
const STARTUP_JUMP_GAP_S = 0.5;

export class PlayheadTracker {
  private media: HTMLMediaElement | null = null;
  private readonly listeners: [string, () => void][] = [];
  /** Media time the player starts from, until the first frame plays (startup deadlines). */
  private startAnchor: number | null = null;
  /** End of the furthest fragment asked for before the first frame. */
  private wantedEnd: number | null = null;
  /** The first frame played. */
  started = false;
  private startedWaiters: (() => void)[] = [];
  private resyncTimer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly sink: () => PlayheadSink | null,
    /** Seconds a segment is due in while not playing (the scheduler's startup deadline). */
    private readonly startupDeadlineS: number,
  ) {}

  attach(media: HTMLMediaElement): void {
    this.detach();
    this.media = media;
    const update = (): void => this.push();
    // Started first, then pushed: pushed before `started` was set, the first frame reached the
    // scheduler as "not playing" until the next media event or the 2 s resync, and for that
    // long the segment after the start one was planned against the startup deadline, not the
    // playhead (realistic lab: fallbacks 0.4-1.4 s late on DSL and mobile pages,
    // bench/results/realistic-README.md series 17).
    const onPlaying = (): void => {
      this.started = true;
      this.push();
      for (const wake of this.startedWaiters.splice(0)) wake();
    };
    this.listen("playing", onPlaying);
    for (const name of MEDIA_EVENTS) this.listen(name, update);
    this.resyncTimer = setInterval(() => {
      if (this.media && !this.media.paused && this.started) this.push();
    }, 2000);
  }

  private listen(name: string, fn: () => void): void {
    this.media?.addEventListener(name, fn);
    this.listeners.push([name, fn]);
  }

  detach(): void {
    if (this.media) for (const [name, fn] of this.listeners) this.media.removeEventListener(name, fn);
    this.listeners.length = 0;
    this.media = null;
    if (this.resyncTimer !== null) clearInterval(this.resyncTimer);
    this.resyncTimer = null;
  }

  /** Resolves when the first frame plays (at once if it has). */
  whenStarted(): Promise<void> {
    if (this.started) return Promise.resolve();
    return new Promise((resolve) => this.startedWaiters.push(resolve));
  }

  /** Known once the first fragment was asked for. */
  get anchored(): boolean {
    return this.startAnchor !== null;
  }

  /**
   * A fragment from `start` to `start + duration` was asked for: before the first frame, playback
   * starts there at the earliest, or there after all when it lies past every fragment asked for
   * so far. hls.js abandons a first fragment that falls out of the live window and asks for one
   * further on; an anchor kept at the abandoned one left the scheduler waiting for it and then
   * fetching every segment in between from the origin (realistic lab: eleven fetches on a
   * mobile link, first frame at 41 s; bench/results/realistic-README.md series 27).
   */
  fragmentWanted(start: number, duration: number): void {
    if (this.started) return;
    const jumped = this.wantedEnd !== null && start > this.wantedEnd + STARTUP_JUMP_GAP_S;
    this.wantedEnd = Math.max(this.wantedEnd ?? start + duration, start + duration);
    if (this.startAnchor !== null && start >= this.startAnchor && !jumped) return;
    this.startAnchor = start;
    this.sink()?.setPlayhead(start, false);
  }

  isPlaying(): boolean {
    const m = this.media;
    return m !== null && !m.paused && !m.seeking && m.readyState >= 3 && this.started;
  }

  /** End of the media buffered contiguously from the playhead once started (else the position): the player does not ask for what lies before it. */
  bufferedEnd(): number {
    const m = this.media;
    return m && this.started ? m.currentTime + bufferAhead(m) : this.position();
  }

  /** currentTime once playing, the first wanted fragment before that. */
  position(): number {
    const m = this.media;
    if (!this.started && this.startAnchor !== null) return this.startAnchor;
    return m ? m.currentTime : (this.startAnchor ?? 0);
  }

  push(): void {
    this.sink()?.setPlayhead(this.position(), this.isPlaying());
  }

  /** Seconds until the playhead reaches media time `start` (not playing: the startup deadline). */
  secondsUntil(start: number): number {
    if (!this.isPlaying()) return this.startupDeadlineS;
    const rate = this.media?.playbackRate || 1;
    return Math.max(0, (start - this.position()) / rate);
  }
}
