/**
 * A swarm session's origin downloads: Range GETs whose pieces are checked against the signed
 * record and reported one by one as their last byte arrives, so that on a slow (congested)
 * origin the pieces are used, and announced to neighbours for cut-through relay, long before
 * the download ends.
 */

import type { Emitter } from "../events";
import { IntegrityError, pieceRange, verifyPiece } from "../protocol/integrity";
import type { OriginClient } from "./origin_client";
import type { SegmentBuffer } from "./segment_store";
import type { SessionTimeline } from "./session_timeline";

export interface OriginFetcherDeps {
  origin: Pick<OriginClient, "streamRange">;
  emitter: Emitter;
  swarm: string;
  /** Milliseconds (the session's clock). */
  nowMs(): number;
  timeline: SessionTimeline | null;
  /** A piece of fetch `fetchId` was checked: tell the scheduler. */
  pieceChecked(fetchId: number, seq: number, index: number, valid: boolean): void;
  /** The fetch failed (network, status, truncated body): tell the scheduler. */
  failed(fetchId: number): void;
  /** New pieces were reported: let the session carry out the scheduler's actions. */
  progressed(): void;
}

export class OriginFetcher {
  private readonly controllers = new Map<number, { controller: AbortController; seq: number; startedMs: number }>();
  /** Origin fetches in flight per segment (seq -> count). */
  private readonly inFlight = new Map<number, number>();
  private closed = false;

  constructor(private readonly deps: OriginFetcherDeps) {}

  /** An origin fetch of `seq` is in flight. */
  fetching(seq: number): boolean {
    return (this.inFlight.get(seq) ?? 0) > 0;
  }

  /** GETs pieces [firstPiece, firstPiece + pieceCount) of `buffer`'s segment from `url`. */
  async fetch(fetchId: number, buffer: SegmentBuffer, url: string, firstPiece: number, pieceCount: number): Promise<void> {
    const { deps } = this;
    const record = buffer.record;
    const seq = buffer.seq;
    const [start] = pieceRange(record, firstPiece);
    const [, end] = pieceRange(record, firstPiece + pieceCount - 1);
    const controller = new AbortController();
    this.controllers.set(fetchId, { controller, seq, startedMs: deps.nowMs() });
    this.inFlight.set(seq, (this.inFlight.get(seq) ?? 0) + 1);
    deps.timeline?.httpStart(fetchId, seq, end - start);
    const body = new Uint8Array(end - start);
    let received = 0;
    let next = firstPiece;
    let outcome = "ok";
    try {
      for await (const chunk of deps.origin.streamRange(url, start, end, record.size, controller.signal)) {
        if (this.closed) return;
        body.set(chunk, received);
        received += chunk.length;
        deps.emitter.emit("bytes", { source: "http", bytes: chunk.length, peerId: null, swarm: deps.swarm, seq });
        for (; next < firstPiece + pieceCount && pieceRange(record, next)[1] - start <= received; next++) {
          const [pieceStart, pieceEnd] = pieceRange(record, next);
          if (!(await this.accept(fetchId, buffer, next, body.subarray(pieceStart - start, pieceEnd - start)))) {
            outcome = "bad-piece";
            controller.abort(); // the scheduler failed the whole fetch and retries it
            return;
          }
        }
        deps.progressed();
      }
    } catch (e) {
      outcome = controller.signal.aborted ? "aborted" : "error";
      if (this.closed || controller.signal.aborted) return;
      deps.emitter.emit("warning", { message: `HTTP fetch of ${url} failed: ${String(e)}` });
      deps.failed(fetchId);
    } finally {
      this.controllers.delete(fetchId);
      const left = (this.inFlight.get(seq) ?? 1) - 1;
      if (left > 0) this.inFlight.set(seq, left);
      else this.inFlight.delete(seq);
      deps.timeline?.httpEnd(fetchId, received, outcome);
    }
  }

  /** Checks one origin piece against the record, stores and reports it; false if it failed. */
  private async accept(fetchId: number, buffer: SegmentBuffer, index: number, data: Uint8Array): Promise<boolean> {
    let error: unknown = null;
    try {
      await verifyPiece(buffer.record, index, data);
    } catch (e) {
      if (!(e instanceof IntegrityError)) throw e;
      error = e;
    }
    if (this.closed) return false;
    if (error) {
      const reason = `origin: ${(error as Error).message}`;
      this.deps.emitter.emit("verification-failure", { peerId: null, swarm: this.deps.swarm, seq: buffer.seq, reason });
    } else {
      buffer.setPiece(index, data.slice(), "http", this.deps.nowMs());
    }
    this.deps.pieceChecked(fetchId, buffer.seq, index, error === null);
    return error === null;
  }

  /** When the earliest origin fetch of `seq` still in flight began (ms, the session's clock); null: none. */
  fetchingSince(seq: number): number | null {
    let since: number | null = null;
    for (const f of this.controllers.values()) if (f.seq === seq && (since === null || f.startedMs < since)) since = f.startedMs;
    return since;
  }

  /** Segments with an origin fetch in flight. */
  fetchingSeqs(): number[] {
    return [...this.inFlight.keys()];
  }

  /** Aborts the fetches of `seq` the scheduler no longer wants; they report nothing more. */
  abortSeq(seq: number): void {
    for (const { controller, seq: s } of this.controllers.values()) if (s === seq) controller.abort();
  }

  /**
   * Aborts the fetches of `seq` and reports each as failed (`OriginFetcherDeps.failed`): the
   * scheduler, which still wants the segment, plans it again after its retry pause.
   */
  abandonSeq(seq: number): void {
    const abandoned = [...this.controllers].filter(([, f]) => f.seq === seq);
    for (const [, { controller }] of abandoned) controller.abort();
    for (const [fetchId] of abandoned) this.deps.failed(fetchId); // may start others: after the loop
  }

  /** Aborts every fetch; nothing is reported afterwards. */
  close(): void {
    this.closed = true;
    for (const { controller } of this.controllers.values()) controller.abort();
    this.controllers.clear();
  }
}
