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

import { median } from "../numbers";
import type { SegmentBuffer } from "./segment_store";

/** Smaller transfers measure latency more than the link. */
export const MIN_SAMPLE_BYTES = 32 * 1024;
/**
 * The estimate is the median of this many latest samples. Some "transfers" never crossed the
 * link: a segment the browser's HTTP cache held (the engine had fetched it for a session that a
 * rendition switch closed, and hls.js asked for it again) loads 150 kB in 10 ms. In the realistic
 * lab 1-2 such samples per P2P page read ~100 Mbit/s on 1-5 Mbit/s downlinks; with a moving
 * average (weight 0.3) one of them put a 1.4 Mbit/s viewer's estimate at 31 Mbit/s for ~20 s,
 * which seeded the next session's HTTP rate (its fallback then came too late: deadline missed,
 * stall) and the ABR figure of peer-served segments. A median ignores a minority of such samples
 * and follows a real change of the link within three transfers.
 */
export const MEDIAN_OF = 5;

export class DownloadMeter {
  private readonly rates: number[] = [];
  /** Clock ms of the latest sample (null: none, or its caller did not say). */
  measuredAtMs: number | null = null;

  /** A completed origin transfer of `bytes` that took `ms` from request to last byte, ending at `atMs`. */
  sample(bytes: number, ms: number, atMs: number | null = null): void {
    if (bytes < MIN_SAMPLE_BYTES || !(ms > 0)) return;
    this.measuredAtMs = atMs;
    this.rates.push((bytes * 1000) / ms);
    if (this.rates.length > MEDIAN_OF) this.rates.shift();
  }

  /** Bytes per second (the median of the latest samples); null before the first sample. */
  get bytesPerS(): number | null {
    return median(this.rates);
  }
}

export interface AbrTiming {
  /** Request to last byte, in ms (at least 1). */
  transferMs: number;
  /** Request to first byte, in ms (at most `transferMs`). */
  ttfbMs: number;
}

type TimedBuffer = Pick<SegmentBuffer, "size" | "p2pBytes" | "requestedAt" | "firstByteAt" | "completedAt"> &
  Partial<Pick<SegmentBuffer, "httpRequestedAt">>;

/**
 * What the player's bandwidth estimator is told for a delivered segment: its real transfer (not
 * the wait before it: a prefetched segment, or a wait for a neighbour's announcement), shortened
 * to what the viewer's origin link takes (`linkBytesPerS`, the `DownloadMeter`) when peers served
 * part of it more slowly. A segment that came from the origin alone is timed from its first HTTP
 * fetch: a neighbour asked before that and silent counted its wait as the transfer's first byte,
 * and hls.js plans every fetch with its TTFB estimate, so DSL and mobile pages fell to 144p where
 * CDN-only played 360p (realistic lab, bench/results/realistic-README.md series 20). A congested
 * origin stays in the figure, as it is in a CDN-only player's. Null: no transfer timing (bytes the
 * player itself fetched earlier).
 */
export function abrTiming(buffer: TimedBuffer, linkBytesPerS: number | null): AbrTiming | null {
  const { completedAt } = buffer;
  const httpAt = buffer.p2pBytes === 0 ? (buffer.httpRequestedAt ?? null) : null;
  const requestedAt = httpAt ?? buffer.requestedAt;
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
