/**
 * The neighbour-facing entry points of the pure scheduler (piece_scheduler.ts), split out of it to
 * keep each file readable, as in the Python port (peer/scheduler_neighbours.py): what neighbours
 * announce (HAVE, HAVE_DELTA, HAVE_PIECES, CHOKE), what they ask of this member (REQUEST, CANCEL,
 * under the upload limits), and the HAVE_PIECES this member announces. `PieceScheduler` extends
 * this class; the state and the two hooks declared abstract below are the scheduler's.
 */

import type { SchedulerAction } from "./actions";
import type { DeadlineClock } from "./deadline_clock";
import type { DownloadBook } from "./download_book";
import type { SegmentState } from "./download_state";
import type { OriginGate } from "./origin_gate";
import type { SchedulerConfig } from "./scheduler_config";
import type { UploadScheduler } from "./upload_scheduler";

/** Piece indices are u16 on the wire (§5). */
export const MAX_PIECES_PER_SEGMENT = 65536;

export function sortedNumbers(values: Iterable<number>): number[] {
  return [...values].sort((a, b) => a - b);
}

export abstract class SchedulerNeighbours {
  abstract readonly config: SchedulerConfig;
  abstract readonly upload: UploadScheduler;
  abstract readonly gate: OriginGate;
  abstract readonly clock: DeadlineClock;
  protected abstract readonly book: DownloadBook;
  protected abstract readonly actions: SchedulerAction[];

  // Hooks the scheduler provides.
  protected abstract advance(now: number): void;
  protected abstract schedule(now: number): void;

  // --- what neighbours announce ---

  peerHave(now: number, peerId: string, seqs: number[]): void {
    this.advance(now);
    const peer = this.book.peers.get(peerId);
    if (peer) {
      peer.haves = new Set(seqs);
      for (const seq of peer.haves) peer.forgetPartial(seq);
      this.schedule(now);
    }
  }

  peerHaveDelta(now: number, peerId: string, seq: number): void {
    this.advance(now);
    const peer = this.book.peers.get(peerId);
    if (peer) {
      peer.haves.add(seq);
      peer.forgetPartial(seq);
      this.schedule(now);
    }
  }

  /**
   * HAVE_PIECES: the neighbour holds these verified pieces of `seq` (none: it is fetching `seq`
   * from the origin now) and announces more as they arrive; its own origin fetch of `seq` is
   * arriving at `originRate` bytes/s (0: not said). Replaces what it said of `seq` before. Kept also for segments we do not know yet (the elected member's word usually arrives
   * before our playlist refresh), at most `maxPartialPerPeer` of them.
   */
  peerHavePieces(now: number, peerId: string, seq: number, pieces: number[], originRate = 0): void {
    this.advance(now);
    const peer = this.book.peers.get(peerId);
    if (!peer || peer.haves.has(seq) || this.book.local.has(seq)) return;
    const count = this.book.segments.get(seq)?.pieceCount ?? MAX_PIECES_PER_SEGMENT;
    const held = new Set(pieces.filter((i) => Number.isInteger(i) && i >= 0 && i < count));
    const before = peer.partial.get(seq);
    // Progress: the first word of a copy, or pieces it did not have. Repeating itself does not
    // count, so a neighbour cannot hold our takeover back with empty promises.
    if (!before || [...held].some((i) => !before.has(i))) {
      const since = peer.partialAt.get(seq);
      const segment = this.book.segments.get(seq);
      if (before && since !== undefined && segment) {
        let fresh = 0;
        for (const i of held) if (!before.has(i)) fresh++;
        this.clock.copyProgress(fresh * segment.pieceSize, now - since);
      }
      peer.partialAt.set(seq, now);
    }
    peer.partial.set(seq, held);
    if (originRate > 0) {
      peer.originRate.set(seq, originRate);
      this.clock.neighbourOriginRateSaid(now, originRate);
    } else peer.originRate.delete(seq);
    while (peer.partial.size > this.config.maxPartialPerPeer) peer.forgetPartial(this.book.partialToForget(peer));
    this.schedule(now);
  }

  /** CHOKE from `peerId` discards our outstanding requests there; UNCHOKE lifts it. */
  peerChoked(now: number, peerId: string, choked: boolean): void {
    this.advance(now);
    const peer = this.book.peers.get(peerId);
    if (!peer) return;
    peer.chokingUs = choked;
    if (choked) for (const request of [...peer.requests.values()]) this.book.releaseRequest(request);
    this.schedule(now);
  }

  /**
   * The neighbour announced `seq` complete (HAVE / HAVE_DELTA). Adapters send it no HAVE_PIECES
   * of `seq`: it ignores them (it needs nothing of a segment it holds) but pays a message and a
   * scheduling pass for each.
   */
  neighbourHolds(peerId: string, seq: number): boolean {
    return this.book.peers.get(peerId)?.haves.has(seq) ?? false;
  }

  /** Ids of the neighbours that announced `seq` complete (shadow mode's "would have saved"). */
  holdersOf(seq: number): string[] {
    return [...this.book.peers.values()].filter((peer) => peer.haves.has(seq)).map((peer) => peer.peerId);
  }

  /** How many neighbours announced `seq` complete. */
  holderCount(seq: number): number {
    return this.holdersOf(seq).length;
  }

  // --- what neighbours ask of this member ---

  uploadRequest(now: number, peerId: string, requestId: number, seq: number, firstPiece: number, count: number): void {
    this.advance(now);
    if (this.book.peers.has(peerId)) this.upload.request(now, peerId, requestId, seq, firstPiece, count);
  }

  uploadCancel(now: number, peerId: string, requestId: number): void {
    this.advance(now);
    this.upload.cancel(now, peerId, requestId);
  }

  /** The upload cap (bytes/s, null: none) and slots change in the running session. */
  setUploadLimits(now: number, rateBytesPerS: number | null, slots: number): void {
    this.advance(now);
    this.upload.setLimits(now, rateBytesPerS, slots);
    this.gate.pace.uploadCap = rateBytesPerS; // see OriginPace.originTooSlow
  }

  /**
   * The member's upload capacity as measured while its channels were backlogged (bytes/s,
   * p2p/uplink_meter.ts; null: unknown). Only the small-uplink rule reads it, and only when no
   * cap is in force: it limits no upload.
   */
  setMeasuredUplink(now: number, rateBytesPerS: number | null): void {
    this.advance(now);
    this.gate.pace.measuredUplink = rateBytesPerS;
  }

  // --- what this member announces ---

  /** One HAVE_PIECES per segment whose partial holding changed since the last pass. */
  protected announcePartial(now: number): void {
    for (const seq of sortedNumbers(this.book.segments.keys())) {
      const segment = this.book.segments.get(seq) as SegmentState;
      if (!segment.announcePending) continue;
      segment.announcePending = false;
      segment.announcedCount = segment.haveCount;
      if (this.book.peers.size > 0) {
        // Relaying: the rate of the origin copy it comes from.
        const originRate = this.book.originFetchRate(now, seq) || Math.floor(this.book.originCopyRate(now, seq) ?? 0);
        this.actions.push({ action: "announce_pieces", seq, pieces: segment.heldPieces(), originRate });
      }
    }
  }
}
