/** Fixtures of the fLoader adapter's tests (test/hls/): a verified segment, a fake engine, a fake hls.js HTTP loader. */
import type { FragmentLoaderContext, Loader, LoaderCallbacks, LoaderConfiguration, LoaderStats } from "hls.js";
import { vi } from "vitest";
import type { LoaderEngine } from "../../src/hls/hls_loader";
import type { FragmentRef } from "../../src/p2p/p2p_engine";
import { SegmentBuffer } from "../../src/p2p/segment_store";
import { parseIntegrityRecord, pieceRange } from "../../src/protocol/integrity";
import { integrityDoc, makeSigner, pseudoRandomBytes } from "./signed_segments";

export const SEGMENT = pseudoRandomBytes(50_000, 3);
export const RECORD = parseIntegrityRecord(integrityDoc(makeSigner(), SEGMENT, { seq: 7 }));

/** A complete buffer whose pieces "arrived" between t=1000 and t=1400 (first byte at 1100). */
export function completeBuffer(timed = true): SegmentBuffer {
  const buffer = new SegmentBuffer(RECORD, 14, 2);
  if (timed) buffer.noteRequested(1000);
  for (let i = 0; i < RECORD.pieces.length; i++) {
    const [s, e] = pieceRange(RECORD, i);
    buffer.setPiece(i, SEGMENT.subarray(s, e), i === 0 ? "http" : "p2p", timed ? (i === 0 ? 1100 : 1400) : 5000);
  }
  if (!timed) buffer.requestedAt = null;
  return buffer;
}

export class FakeEngine implements LoaderEngine {
  p2pEnabled = true;
  loads: { ref: FragmentRef; signal: AbortSignal; resolve: (b: SegmentBuffer | null) => void }[] = [];
  offers: FragmentRef[] = [];
  playerFetched: number[] = [];
  secondsUntil(): number {
    return 5;
  }
  isLiveEdge(): boolean {
    return false;
  }
  load(ref: FragmentRef, _live: boolean, signal: AbortSignal): Promise<SegmentBuffer | null> {
    return new Promise((resolve) => this.loads.push({ ref, signal, resolve }));
  }
  offerHttp(ref: FragmentRef): void {
    this.offers.push(ref);
  }
  downloadRate: () => number | null = () => null;
  playerFetches(ref: FragmentRef): void {
    this.playerFetched.push(ref.sn);
  }
  /** `playerLoad` calls: "+sn" when a plain-HTTP load began, "-sn" when it ended. */
  playerLoads: string[] = [];
  playerLoad(ref: FragmentRef, inFlight: boolean): void {
    this.playerLoads.push(`${inFlight ? "+" : "-"}${ref.sn}`);
  }
}

/** Stands in for hls.js's XhrLoader: records the load, the test answers it. */
export class FakeHttpLoader implements Loader<FragmentLoaderContext> {
  static instances: FakeHttpLoader[] = [];
  context: FragmentLoaderContext | null = null;
  stats = {} as LoaderStats;
  callbacks: LoaderCallbacks<FragmentLoaderContext> | null = null;
  aborted = false;
  destroyed = false;
  constructor() {
    FakeHttpLoader.instances.push(this);
  }
  load(context: FragmentLoaderContext, _config: LoaderConfiguration, callbacks: LoaderCallbacks<FragmentLoaderContext>): void {
    if (this.stats.loading.start) throw new Error("Loader can only be used once.");
    this.stats.loading.start = 10;
    this.context = context;
    this.callbacks = callbacks;
  }
  answer(data: ArrayBuffer): void {
    this.stats.loading.first = 20;
    this.stats.loading.end = 30;
    this.stats.loaded = this.stats.total = data.byteLength;
    this.callbacks?.onSuccess({ url: this.context?.url ?? "", data }, this.stats, this.context as FragmentLoaderContext, null);
  }
  abort(): void {
    this.aborted = true;
    this.callbacks?.onAbort?.(this.stats, this.context as FragmentLoaderContext, null);
  }
  destroy(): void {
    this.destroyed = true;
  }
}

export function fragContext(sn: number | "initSegment" = 7): FragmentLoaderContext {
  const frag = { sn, url: `http://o/live/demo/360p/${sn === "initSegment" ? "init-0.mp4" : `seg-${sn}.m4s`}`, start: 14, duration: 2, level: 0, type: "main", decryptdata: null };
  return { url: frag.url, responseType: "arraybuffer", type: "media-fragment", frag, part: null, rangeStart: 0, rangeEnd: 0 } as unknown as FragmentLoaderContext;
}

export const LOADER_CONFIG = { loadPolicy: {}, timeout: 0, maxRetry: 0, retryDelay: 0, maxRetryDelay: 0 } as unknown as LoaderConfiguration;

export function callbacks() {
  return { onSuccess: vi.fn(), onError: vi.fn(), onTimeout: vi.fn(), onAbort: vi.fn(), onProgress: vi.fn() };
}
