/**
 * How a segment enters a swarm session: its signed integrity record is fetched and checked to
 * name this very segment, bytes hls.js already fetched over HTTP are verified against it, and only
 * then does the scheduler learn of the segment (split out of swarm_session.ts: the session's
 * segment side, apart from its neighbours and wire messages).
 */

import type { Emitter } from "../events";
import { checkRecordIs, pieceRange, verifyFile, type IntegrityRecord } from "../protocol/integrity";
import type { PieceScheduler } from "../scheduler/piece_scheduler";
import { locateSegment } from "./origin_client";
import type { SegmentInfo } from "./session_deps";
import type { SessionTimeline } from "./session_timeline";
import { SegmentBuffer, type SegmentStore } from "./segment_store";

export interface IntakeDeps {
  swarm: string;
  store: SegmentStore;
  scheduler: PieceScheduler;
  /** Resolves the verified record of a segment URL (cached by the engine). */
  record: (url: string) => Promise<IntegrityRecord>;
  emitter: Emitter;
  /** Clock in ms, and in seconds (the scheduler's time base). */
  nowMs(): number;
  nowS(): number;
  timeline: SessionTimeline | null;
  closed(): boolean;
  /** Lets the session carry out the scheduler's actions. */
  drain(): void;
}

/** Segments the player may be fetching itself at once (a few: hls.js loads one at a time). */
const MAX_PLAYER_FETCHES = 8;

export class SegmentIntake {
  /** URL per seq of every segment in the store (origin fetches need it). */
  readonly urls = new Map<number, string>();
  private readonly adding = new Map<number, Promise<SegmentBuffer | null>>();
  /** Segments the player is fetching over plain HTTP itself (`playerFetches`): not added again. */
  private readonly playerFetching = new Set<number>();

  constructor(private readonly deps: IntakeDeps) {}

  /** The player fetches `seq` itself: until its bytes are offered, the scheduler does not get it. */
  playerFetches(seq: number): void {
    this.playerFetching.add(seq);
    // Bounded: a fetch whose bytes never came back (failed, left behind) is forgotten in time.
    while (this.playerFetching.size > MAX_PLAYER_FETCHES) this.playerFetching.delete(Math.min(...this.playerFetching));
  }

  /** The player's copy of `seq` arrived (or it asks the swarm for `seq` again). */
  playerFetched(seq: number): void {
    this.playerFetching.delete(seq);
  }

  /** Segments whose record is still being fetched (the store must not evict them). */
  pending(): number[] {
    return [...this.adding.keys()];
  }

  /** Resolves with the segment's buffer, or null when its record cannot be had. */
  add(info: SegmentInfo, prefill?: Uint8Array): Promise<SegmentBuffer | null> {
    const existing = this.deps.store.get(info.seq);
    if (existing) return Promise.resolve(existing);
    if (!prefill && this.playerFetching.has(info.seq)) return Promise.resolve(null);
    let pending = this.adding.get(info.seq);
    if (!pending) {
      pending = this.addNow(info, prefill).finally(() => this.adding.delete(info.seq));
      this.adding.set(info.seq, pending);
    }
    return pending;
  }

  private async addNow(info: SegmentInfo, prefill?: Uint8Array): Promise<SegmentBuffer | null> {
    const { deps } = this;
    let record: IntegrityRecord;
    try {
      record = await deps.record(info.url);
      // A validly signed record of another segment must not stand in for this one (§2.4).
      const [stream = "", rendition = ""] = deps.swarm.split("/");
      checkRecordIs(record, { stream, rendition, kind: "media", seq: info.seq, uri: locateSegment(info.url)?.file ?? "" });
    } catch (error) {
      deps.emitter.emit("warning", { message: `no integrity record for ${info.url}: ${String(error)}` });
      return null;
    }
    let prefilled = false;
    if (prefill) prefilled = await verifyFile(record, prefill).then(() => true, () => false);
    if (deps.closed()) return null;
    const existing = deps.store.get(info.seq);
    if (existing) return existing;
    const buffer = new SegmentBuffer(record, info.start, info.duration);
    deps.store.add(buffer);
    this.urls.set(info.seq, info.url);
    if (prefill && prefilled) this.fill(buffer, prefill, false);
    const now = deps.nowS();
    deps.timeline?.segmentAdded(info.seq, info.start, record.size, info.liveEdge);
    deps.scheduler.segmentAdded(now, info.seq, {
      size: record.size,
      pieceSize: record.pieceSize,
      start: info.start,
      duration: info.duration,
      liveEdge: info.liveEdge,
    });
    if (prefilled) this.fill(buffer, null, true);
    deps.drain();
    return buffer;
  }

  /**
   * Bytes hls.js got over plain HTTP while P2P was on (e.g. before the swarm was joined): once
   * they match the signed record they become seedable; bytes that do not match are not kept.
   */
  async offerHttp(info: SegmentInfo, data: Uint8Array): Promise<void> {
    const buffer = await this.add(info, data);
    if (!buffer || buffer.complete || this.deps.closed()) return;
    if (!(await verifyFile(buffer.record, data).then(() => true, () => false)) || this.deps.closed()) return;
    this.fill(buffer, data, true);
    this.deps.drain();
  }

  /**
   * Stores the pieces of verified `data` the buffer lacks (`data` null: they are stored already)
   * and, with `tell`, reports them to the scheduler (fetch id 0 is never issued: it just stores them).
   */
  private fill(buffer: SegmentBuffer, data: Uint8Array | null, tell: boolean): void {
    const nowMs = this.deps.nowMs();
    const now = this.deps.nowS();
    for (let index = 0; index < buffer.have.length; index++) {
      if (data) {
        if (buffer.have[index]) continue;
        const [start, end] = pieceRange(buffer.record, index);
        buffer.setPiece(index, data.subarray(start, end), "http", nowMs);
      }
      if (tell) this.deps.scheduler.httpPieceReceived(now, 0, buffer.seq, index, true);
    }
  }
}
