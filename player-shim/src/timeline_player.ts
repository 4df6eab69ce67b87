/**
 * The player side of the optional timeline: hls.js events (playlist refreshes, fragments
 * buffered, errors such as stalls and hole nudges), <video> events (waiting, seeks with where
 * they jumped from and to) and a once-a-second buffer sample. Each `watch*` returns its undo.
 */

import { Events, type ErrorData, type FragBufferedData, type FragLoadEmergencyAbortedData, type LevelSwitchingData, type LevelUpdatedData } from "hls.js";
import type Hls from "hls.js";
import type { Emitter } from "./events";
import type { Timeline } from "./timeline";

const BUFFER_SAMPLE_MS = 1000;

/** hls.js events that explain a stall, a jump or a rendition change (ABR: switches with hls.js's bandwidth estimate then, emergency aborts). */
export function watchHls(timeline: Timeline, hls: Hls): () => void {
  const lastSn = new Map<number, number>();
  const onLevel = (_e: string, data: LevelUpdatedData): void => {
    const sns = data.details.fragments.map((f) => f.sn).filter((sn): sn is number => typeof sn === "number");
    const previous = lastSn.get(data.level);
    const fresh = previous === undefined ? [] : sns.filter((sn) => sn > previous);
    if (sns.length > 0) lastSn.set(data.level, Math.max(previous ?? -1, ...sns));
    timeline.record("playlist", null, { level: data.level, first: sns[0] ?? null, last: sns[sns.length - 1] ?? null, fresh: fresh.length });
    for (const sn of fresh) timeline.record("announced", sn, { level: data.level });
  };
  const onBuffered = (_e: string, data: FragBufferedData): void => {
    if (typeof data.frag.sn === "number") timeline.record("frag-buffered", data.frag.sn, { level: data.frag.level });
  };
  const onError = (_e: string, data: ErrorData): void => {
    timeline.record("hls-error", typeof data.frag?.sn === "number" ? data.frag.sn : null, { details: data.details, fatal: data.fatal });
  };
  const onSwitching = (_e: string, data: LevelSwitchingData): void => {
    timeline.record("level-switching", null, { level: data.level, bwEstimate: Math.round(hls.bandwidthEstimate) });
  };
  const onEmergency = (_e: string, data: FragLoadEmergencyAbortedData): void => {
    const sn = typeof data.frag.sn === "number" ? data.frag.sn : null;
    timeline.record("frag-emergency-aborted", sn, { level: data.frag.level, bwEstimate: Math.round(hls.bandwidthEstimate) });
  };
  hls.on(Events.LEVEL_UPDATED, onLevel);
  hls.on(Events.FRAG_BUFFERED, onBuffered);
  hls.on(Events.ERROR, onError);
  hls.on(Events.LEVEL_SWITCHING, onSwitching);
  hls.on(Events.FRAG_LOAD_EMERGENCY_ABORTED, onEmergency);
  return () => {
    hls.off(Events.LEVEL_UPDATED, onLevel);
    hls.off(Events.FRAG_BUFFERED, onBuffered);
    hls.off(Events.ERROR, onError);
    hls.off(Events.LEVEL_SWITCHING, onSwitching);
    hls.off(Events.FRAG_LOAD_EMERGENCY_ABORTED, onEmergency);
  };
}

/** Media events, stalls from the playback monitor, and the buffer level every second. */
export function watchMedia(timeline: Timeline, media: HTMLMediaElement, emitter: Emitter, bufferAhead: (m: HTMLMediaElement) => number): () => void {
  let lastTime = media.currentTime;
  const listeners: [string, () => void][] = [];
  const on = (name: string, fn: () => void): void => {
    media.addEventListener(name, fn);
    listeners.push([name, fn]);
  };
  for (const name of ["waiting", "playing", "pause", "stalled", "seeked"]) {
    on(name, () => timeline.record("media", null, { event: name, pos: round(media.currentTime) }));
  }
  on("timeupdate", () => {
    if (!media.seeking) lastTime = media.currentTime;
  });
  // A seek (hls.js live-edge catch-up, a nudge over a hole): from where to where.
  on("seeking", () => timeline.record("media", null, { event: "seeking", from: round(lastTime), to: round(media.currentTime) }));
  // The latency hold's (or a page's) playback rate.
  on("ratechange", () => timeline.record("media", null, { event: "ratechange", rate: media.playbackRate, pos: round(media.currentTime) }));
  const offStall = emitter.on("stall", (e) => timeline.record("stall", null, { phase: e.phase, pos: round(e.at), ms: Math.round(e.durationMs) }));
  const sampler = setInterval(() => {
    timeline.record("buffer", null, { ahead: round(bufferAhead(media)), pos: round(media.currentTime), paused: media.paused, ready: media.readyState });
  }, BUFFER_SAMPLE_MS);
  return () => {
    clearInterval(sampler);
    offStall();
    for (const [name, fn] of listeners) media.removeEventListener(name, fn);
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
