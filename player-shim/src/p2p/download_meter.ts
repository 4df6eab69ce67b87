/**
 * The viewer's own download rate from the origin, and the transfer time the player's ABR is told
 * for a segment the engine delivers.
 *
 * A segment that peers served arrives at the pace of their uplinks (a DSL neighbour relays a few
 * hundred kbit/s), which says nothing about how fast this viewer could fetch the next one. Told
 * as it is, it drags the player's bandwidth estimate, and with it the rendition, below what the
 * same viewer picks without P2P (the realistic lab: DSL and mobile slots played 144p with P2P
 * against 240p/360p CDN-only; bench/results/realistic-README.md). So a swarm-served segment is
 * reported at most as slow as this viewer's measured origin link would have carried it; one the
 * swarm delivered faster keeps its real time. The meter samples whole origin transfers (the
 * engine's Range fetches, the player's own HTTP loads) from request to last byte, so a congested
 * origin is in it as it is in a CDN-only player's estimate.
 */

import type { SegmentBuffer } from "./segment_store";

/** Smaller transfers measure latency more than the link. */
export const MIN_SAMPLE_BYTES = 32 * 1024;
/** Weight of the newest sample (the scheduler's HTTP estimate uses the same). */
const SAMPLE_WEIGHT = 0.3;

export class DownloadMeter {
  private rate: number | null = null;

  /** A completed origin transfer of `bytes` that took `ms` from request to last byte. */
  sample(bytes: number, ms: number): void {
    if (bytes < MIN_SAMPLE_BYTES || !(ms > 0)) return;
    const rate = (bytes * 1000) / ms;
    this.rate = this.rate === null ? rate : (1 - SAMPLE_WEIGHT) * this.rate + SAMPLE_WEIGHT * rate;
  }

  /** Bytes per second; null before the first sample. */
  get bytesPerS(): number | null {
    return this.rate;
  }
}

export interface AbrTiming {
  /** Request to last byte, in ms (at least 1). */
  transferMs: number;
  /** Request to first byte, in ms (at most `transferMs`). */
  ttfbMs: number;
}

type TimedBuffer = Pick<SegmentBuffer, "size" | "p2pBytes" | "requestedAt" | "firstByteAt" | "completedAt">;

/**
 * What the player's bandwidth estimator is told for a delivered segment: its real transfer (not
 * the wait before it: a prefetched segment, or a wait for a neighbour's announcement), shortened
 * to what the viewer's origin link takes (`linkBytesPerS`, the `DownloadMeter`) when peers served
 * part of it more slowly. Null: no transfer timing (bytes the player itself fetched earlier).
 */
export function abrTiming(buffer: TimedBuffer, linkBytesPerS: number | null): AbrTiming | null {
  const { requestedAt, completedAt } = buffer;
  if (requestedAt === null || completedAt === null) return null;
  const transferMs = Math.max(1, completedAt - requestedAt);
  const ttfbMs = Math.max(0, Math.min(transferMs, (buffer.firstByteAt ?? requestedAt) - requestedAt));
  if (buffer.p2pBytes > 0 && linkBytesPerS !== null && linkBytesPerS > 0) {
    const linkMs = Math.max(1, (buffer.size * 1000) / linkBytesPerS);
    // The link's rate was measured request to last byte: its latency is already in it.
    if (linkMs < transferMs) return { transferMs: linkMs, ttfbMs: 0 };
  }
  return { transferMs, ttfbMs };
}
