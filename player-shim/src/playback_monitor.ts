/**
 * Watches the <video> for the viewer-facing outcomes: time to first frame and stalls (waiting for
 * data after the first frame, not counting seeks). Emits `first-frame` and `stall` events.
 */

import type { Emitter } from "./events";

export class PlaybackMonitor {
  private media: HTMLMediaElement | null = null;
  private readonly listeners: [string, () => void][] = [];
  private firstFrame = false;
  private stallStartedAt: number | null = null;
  private seeking = false;

  constructor(
    private readonly emitter: Emitter,
    /** performance.now() when the player started: first-frame time is measured from here. */
    private readonly startedAt: number,
  ) {}

  attach(media: HTMLMediaElement): void {
    this.detach();
    this.media = media;
    const on = (name: string, fn: () => void): void => {
      media.addEventListener(name, fn);
      this.listeners.push([name, fn]);
    };
    on("playing", () => {
      const now = performance.now();
      if (!this.firstFrame) {
        this.firstFrame = true;
        this.emitter.emit("first-frame", { ms: now - this.startedAt });
      }
      this.endStall(now);
    });
    on("waiting", () => {
      // A seek waits for data by design; only a wait during normal playback is a stall.
      if (!this.firstFrame || this.seeking || media.ended || this.stallStartedAt !== null) return;
      this.stallStartedAt = performance.now();
      this.emitter.emit("stall", { phase: "start", at: media.currentTime, durationMs: 0 });
    });
    on("seeking", () => {
      this.seeking = true;
      this.endStall(performance.now());
    });
    on("seeked", () => {
      this.seeking = false;
    });
    on("pause", () => this.endStall(performance.now()));
  }

  private endStall(now: number): void {
    if (this.stallStartedAt === null || !this.media) return;
    const durationMs = now - this.stallStartedAt;
    this.stallStartedAt = null;
    this.emitter.emit("stall", { phase: "end", at: this.media.currentTime, durationMs });
  }

  detach(): void {
    if (this.media) for (const [name, fn] of this.listeners) this.media.removeEventListener(name, fn);
    this.listeners.length = 0;
    this.media = null;
  }
}

/** Seconds buffered ahead of the playhead (0 when the playhead sits in no buffered range). */
export function bufferAhead(media: HTMLMediaElement): number {
  const t = media.currentTime;
  const ranges = media.buffered;
  for (let i = 0; i < ranges.length; i++) {
    if (ranges.start(i) <= t + 0.1 && t <= ranges.end(i)) return ranges.end(i) - t;
  }
  return 0;
}
