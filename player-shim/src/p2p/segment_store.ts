/**
 * Segments of one swarm being assembled from verified pieces, and the complete ones we serve to
 * neighbours. Only bytes that passed their signed hash are ever written here.
 */

import { pieceRange, type IntegrityRecord } from "../protocol/integrity";

export type PieceSource = "http" | "p2p";

export class SegmentBuffer {
  readonly seq: number;
  readonly have: boolean[];
  haveCount = 0;
  httpBytes = 0;
  p2pBytes = 0;
  /** performance.now() (ms) of the first REQUEST or HTTP fetch for this segment. */
  requestedAt: number | null = null;
  /** performance.now() (ms) of the first HTTP fetch for this segment (null: none). */
  httpRequestedAt: number | null = null;
  /** performance.now() (ms) of the first verified piece. */
  firstByteAt: number | null = null;
  /** performance.now() (ms) when the last piece arrived. */
  completedAt: number | null = null;
  /** performance.now() (ms) of the latest verified piece (progress, for the loader's safety net). */
  lastPieceAt: number | null = null;
  private readonly data: Uint8Array;

  constructor(
    readonly record: IntegrityRecord,
    /** Media timing from the playlist, on hls.js's timeline. */
    readonly start: number,
    readonly duration: number,
  ) {
    this.seq = record.seq;
    this.data = new Uint8Array(record.size);
    this.have = new Array<boolean>(record.pieces.length).fill(false);
  }

  get complete(): boolean {
    return this.haveCount === this.have.length;
  }

  get size(): number {
    return this.record.size;
  }

  noteRequested(nowMs: number, source: PieceSource = "p2p"): void {
    if (this.requestedAt === null) this.requestedAt = nowMs;
    if (source === "http" && this.httpRequestedAt === null) this.httpRequestedAt = nowMs;
  }

  /** Stores a verified piece; false if we already had it (the bytes are then ignored). */
  setPiece(index: number, bytes: Uint8Array, source: PieceSource, nowMs: number): boolean {
    if (this.have[index] !== false) return false;
    const [start] = pieceRange(this.record, index);
    this.data.set(bytes, start);
    this.have[index] = true;
    this.haveCount += 1;
    if (source === "http") this.httpBytes += bytes.length;
    else this.p2pBytes += bytes.length;
    if (this.firstByteAt === null) this.firstByteAt = nowMs;
    this.lastPieceAt = nowMs;
    if (this.complete) this.completedAt = nowMs;
    return true;
  }

  /** The bytes of a piece we hold, or null. */
  piece(index: number): Uint8Array | null {
    if (this.have[index] !== true) return null;
    const [start, end] = pieceRange(this.record, index);
    return this.data.subarray(start, end);
  }

  /** The whole file (only meaningful once complete). */
  bytes(): Uint8Array {
    return this.data;
  }

  /** Contiguous runs [first, count] of missing pieces. */
  missingRuns(): [number, number][] {
    const runs: [number, number][] = [];
    let i = 0;
    while (i < this.have.length) {
      if (this.have[i]) {
        i++;
        continue;
      }
      const first = i;
      while (i < this.have.length && !this.have[i]) i++;
      runs.push([first, i - first]);
    }
    return runs;
  }
}

/** Buffers by seq with a cap on how many complete segments are kept for seeding. */
export class SegmentStore {
  private readonly segments = new Map<number, SegmentBuffer>();

  constructor(private readonly maxSegments: number) {}

  get(seq: number): SegmentBuffer | undefined {
    return this.segments.get(seq);
  }

  add(buffer: SegmentBuffer): void {
    this.segments.set(buffer.seq, buffer);
  }

  delete(seq: number): void {
    this.segments.delete(seq);
  }

  get size(): number {
    return this.segments.size;
  }

  completeSeqs(): number[] {
    return [...this.segments.values()].filter((b) => b.complete).map((b) => b.seq).sort((a, b) => a - b);
  }

  /** Oldest segments beyond the cap, never one in `keep`; the caller tells the scheduler. */
  evictionCandidates(keep: ReadonlySet<number>): number[] {
    const excess = this.segments.size - this.maxSegments;
    if (excess <= 0) return [];
    const seqs = [...this.segments.keys()].filter((s) => !keep.has(s)).sort((a, b) => a - b);
    return seqs.slice(0, excess);
  }
}
