/**
 * The swarm behind a player that is not hls.js (Shaka Player, dash.js): the same P2P engine,
 * stats and playback monitor as `Swarm`, behind a player-neutral API that the adapters in
 * `src/shaka/` and `src/dash/` translate their loaders to. No player code is imported here.
 */

import { locateSegment } from "../p2p/origin_client";
import { abrTiming } from "../p2p/download_meter";
import type { FragmentRef } from "../p2p/p2p_engine";
import type { SegmentBuffer } from "../p2p/segment_store";
import { SwarmBase } from "../swarm_base";
import { segmentSeq } from "./segment_url";

/** A media segment as the player sees it; times on the <video> element's timeline. */
export interface MediaSegment {
  url: string;
  start: number;
  duration: number;
}

/** A whole, verified segment from the swarm, with the timing of its real transfer. */
export interface SwarmDelivery {
  data: ArrayBuffer;
  /** Milliseconds from the first request of its bytes (peers or Range) to the last one. */
  transferMs: number;
  /** Milliseconds from that first request to the first verified piece. */
  ttfbMs: number;
}

/** The loader's safety net waits at most this many extra grace periods for a delivery underway. */
const MAX_SAFETY_EXTENSIONS = 4;

export class MediaSwarm extends SwarmBase {
  private media: HTMLMediaElement | null = null;
  /** Highest sequence number listed so far per rendition: tells live-edge arrivals from backlog. */
  private readonly lastSeq = new Map<string, number>();
  private readonly levels = new Map<string, number>();
  private latencySource: (() => number | null) | null = null;
  /** The adapter's unhooking (filters, listeners), run first on destroy. */
  private readonly teardowns: (() => void)[] = [];
  private destroyed = false;

  attachMedia(media: HTMLMediaElement, latencyS?: () => number | null): void {
    if (this.media === media) return;
    this.media = media;
    this.latencySource = latencyS ?? null;
    this.engine.attachMedia(media);
    this.monitor.attach(media);
  }

  /** The engine's view of a segment URL, or null when it is not a swarm segment (protocol §1). */
  ref(segment: MediaSegment): FragmentRef | null {
    const where = locateSegment(segment.url);
    const seq = segmentSeq(segment.url);
    if (!where || seq === null) return null;
    let level = this.levels.get(where.rendition);
    if (level === undefined) {
      level = this.levels.size;
      this.levels.set(where.rendition, level);
    }
    return { sn: seq, url: segment.url, start: segment.start, duration: segment.duration, level };
  }

  /**
   * The segments the player knows of for one rendition (after a manifest refresh, or the one it
   * asks for). `liveEdge`: sequence numbers the player says just became available; by default,
   * those above the highest listed before (never on the first listing, which is the backlog).
   */
  listed(segments: MediaSegment[], liveEdge?: ReadonlySet<number>): void {
    const refs = segments.map((s) => this.ref(s)).filter((r): r is FragmentRef => r !== null);
    const first = refs[0];
    if (!first || this.destroyed) return;
    const rendition = (locateSegment(first.url) as { rendition: string }).rendition;
    const previous = this.lastSeq.get(rendition);
    let max = previous ?? -1;
    const fresh = new Set<number>(liveEdge ?? []);
    for (const ref of refs) {
      if (liveEdge === undefined && previous !== undefined && ref.sn > previous) fresh.add(ref.sn);
      max = Math.max(max, ref.sn);
    }
    this.lastSeq.set(rendition, max);
    this.engine.levelUpdated(refs, fresh);
  }

  /**
   * A whole verified segment from the swarm, or null when the player should load it over its
   * own HTTP stack (P2P off or not ready, not a swarm segment, no record, or the engine missed
   * the playback deadline plus `deadlineGraceMs`). Rejects only when `signal` aborts.
   */
  trySwarm(segment: MediaSegment, signal: AbortSignal): Promise<SwarmDelivery | null> {
    const ref = this.ref(segment);
    if (!ref || !this.engine.p2pEnabled || this.destroyed) return Promise.resolve(null);
    const engine = this.engine;
    const grace = this.options.deadlineGraceMs;
    return new Promise((resolve, reject) => {
      const controller = new AbortController();
      let timer: ReturnType<typeof setTimeout> | null = null;
      let settled = false;
      const settle = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        if (timer !== null) clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        fn();
      };
      const onAbort = (): void => {
        controller.abort();
        settle(() => reject(new DOMException("aborted", "AbortError")));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort);
      // Same safety net as the hls.js loader: plain HTTP once the deadline plus a grace period
      // passed, unless the engine's own fetch of these bytes is still making progress.
      const arm = (extensions: number): void => {
        const waitMs = (extensions === 0 ? engine.secondsUntil(ref.start) * 1000 : 0) + grace;
        timer = setTimeout(() => {
          timer = null;
          if (extensions < MAX_SAFETY_EXTENSIONS && engine.deliveryUnderway(ref, grace)) return arm(extensions + 1);
          controller.abort();
          this.emitter.emit("warning", { message: `P2P missed the deadline of ${ref.url}; plain HTTP` });
          settle(() => resolve(null));
        }, waitMs);
      };
      arm(0);
      engine.load(ref, engine.isLiveEdge(ref.sn), controller.signal).then(
        (buffer) => settle(() => resolve(buffer ? this.delivered(ref, buffer) : null)),
        () => settle(() => resolve(null)),
      );
    });
  }

  private delivered(ref: FragmentRef, buffer: SegmentBuffer): SwarmDelivery {
    // The real transfer, at most the viewer's own link time when peers served it (abrTiming).
    // Without transfer timing (bytes the player itself fetched earlier) the best honest figure
    // is "instant": 1 ms, TTFB 0.
    const { transferMs, ttfbMs } = abrTiming(buffer, this.engine.downloadRate()) ?? { transferMs: 1, ttfbMs: 0 };
    this.emitter.emit("segment", {
      swarm: this.swarmOf(ref.url),
      seq: buffer.seq,
      bytes: buffer.size,
      httpBytes: buffer.httpBytes,
      p2pBytes: buffer.p2pBytes,
      ms: transferMs,
    });
    // A copy: the player may transfer or detach it; the store keeps serving the original.
    return { data: buffer.bytes().slice().buffer, transferMs, ttfbMs };
  }

  /** The player loaded a segment over its own HTTP stack: count it, and share it once verified. */
  httpLoaded(segment: MediaSegment, data: ArrayBuffer, ms: number): void {
    const ref = this.ref(segment);
    const bytes = data.byteLength;
    if (!ref) {
      this.emitter.emit("overhead", { bytes, what: segment.url });
      return;
    }
    const swarm = this.swarmOf(segment.url);
    this.emitter.emit("bytes", { source: "http", bytes, peerId: null, swarm, seq: ref.sn });
    this.emitter.emit("segment", { swarm, seq: ref.sn, bytes, httpBytes: bytes, p2pBytes: 0, ms });
    this.engine.httpTransferred(bytes, ms);
    if (this.engine.p2pEnabled) this.engine.offerHttp(ref, new Uint8Array(data.slice(0)));
  }

  private swarmOf(url: string): string {
    const where = locateSegment(url);
    return where ? `${where.stream}/${where.rendition}` : "";
  }

  protected mediaElement(): HTMLMediaElement | null {
    return this.media;
  }

  protected liveLatencyS(): number | null {
    return this.latencySource?.() ?? null;
  }

  /** Runs `fn` when the swarm is destroyed (before the engine stops). */
  onDestroy(fn: () => void): void {
    this.teardowns.push(fn);
  }

  override destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const fn of this.teardowns.splice(0)) fn();
    super.destroy();
    this.media = null;
  }
}
