/**
 * Upload side of the pure scheduler (peer/upload_scheduler.py, same semantics): upload slots
 * (choke/unchoke), per-peer request queues, round-robin sending within the optional rate cap.
 */

import type { SchedulerAction } from "./actions";
import type { SegmentState } from "./download_state";
import type { SchedulerStats } from "./scheduler_stats";
import type { SchedulerConfig } from "./scheduler_config";
import { TokenBucket } from "./token_bucket";

/** A complete, verified segment we can serve. */
export interface LocalSegment {
  pieceCount: number;
  size: number;
  pieceSize: number;
}

export function localPieceBytes(segment: LocalSegment, index: number): number {
  return Math.min(segment.pieceSize, segment.size - index * segment.pieceSize);
}

interface QueuedPiece {
  requestId: number;
  seq: number;
  index: number;
  size: number;
}

interface Downloader {
  unchoked: boolean;
  waitingSince: number | null;
  lastRequestAt: number;
  queue: QueuedPiece[];
}

export class UploadScheduler {
  private readonly peers = new Map<string, Downloader>();
  private lastServed: string | null = null;
  /** The cap and slots in force: the config's, until the operator's policy changes them. */
  private bucket: TokenBucket | null;
  private slots: number;

  constructor(
    private readonly config: SchedulerConfig,
    private readonly emit: (action: SchedulerAction) => void,
    private readonly local: Map<number, LocalSegment>,
    private readonly stats: SchedulerStats,
    now: number,
    /** Incomplete segments: their verified pieces are served too (cut-through relay). */
    private readonly partial: ReadonlyMap<number, SegmentState> = new Map(),
  ) {
    this.bucket = config.uploadRateBytesPerS !== null ? new TokenBucket(config.uploadRateBytesPerS, config.uploadBurstBytes, now) : null;
    this.slots = config.uploadSlots;
  }

  /**
   * New cap and slots for the running session (the operator's upload policy, a hidden tab).
   * Fewer slots choke the excess holders, idle ones first (their queues are dropped without
   * REJECTs: a choked peer drops its requests itself); more slots go to peers waiting for one.
   */
  setLimits(now: number, rateBytesPerS: number | null, slots: number): void {
    if ((rateBytesPerS !== null && rateBytesPerS <= 0) || slots < 0) throw new RangeError("upload rate must be > 0 or null and slots >= 0");
    if (rateBytesPerS !== this.bucket?.rate) {
      this.bucket = rateBytesPerS !== null ? new TokenBucket(rateBytesPerS, this.config.uploadBurstBytes, now) : null;
    }
    this.slots = slots;
    const holders = [...this.peers.entries()]
      .filter(([, d]) => d.unchoked)
      .sort(([pa, a], [pb, b]) => Number(a.queue.length > 0) - Number(b.queue.length > 0) || a.lastRequestAt - b.lastRequestAt || compareIds(pa, pb));
    for (const [peerId, downloader] of holders.slice(0, Math.max(0, holders.length - slots))) {
      downloader.unchoked = false;
      downloader.waitingSince = now; // it wanted to download: first in line for a slot
      this.emit({ action: "choke", peer: peerId });
      downloader.queue = [];
    }
    this.fillFreeSlots(now);
    this.pump(now);
  }

  // --- peers ---

  peerConnected(now: number, peerId: string): void {
    const downloader: Downloader = { unchoked: false, waitingSince: null, lastRequestAt: now, queue: [] };
    this.peers.set(peerId, downloader);
    if (this.unchokedCount() < this.slots) {
      downloader.unchoked = true;
      this.emit({ action: "unchoke", peer: peerId });
    } else {
      this.emit({ action: "choke", peer: peerId });
    }
  }

  peerClosed(now: number, peerId: string): void {
    const downloader = this.peers.get(peerId);
    this.peers.delete(peerId);
    if (downloader?.unchoked) this.fillFreeSlots(now);
  }

  // --- requests ---

  request(now: number, peerId: string, requestId: number, seq: number, first: number, count: number): void {
    const downloader = this.peers.get(peerId);
    if (!downloader) return;
    downloader.lastRequestAt = now;
    if (!downloader.unchoked) {
      if (downloader.waitingSince === null) downloader.waitingSince = now;
      this.emit({ action: "reject", peer: peerId, requestId, reason: "choked" });
      this.fillFreeSlots(now);
      return;
    }
    const partial = this.local.has(seq) ? undefined : this.partial.get(seq);
    const segment: LocalSegment | undefined = this.local.get(seq) ?? partial;
    if (!segment) {
      this.emit({ action: "reject", peer: peerId, requestId, reason: "not_have" });
      return;
    }
    if (count < 1 || first < 0 || first + count > segment.pieceCount) {
      this.emit({ action: "reject", peer: peerId, requestId, reason: "bad_request" });
      return;
    }
    if (partial && !partial.have.slice(first, first + count).every(Boolean)) {
      this.emit({ action: "reject", peer: peerId, requestId, reason: "not_have" });
      return;
    }
    if (downloader.queue.length + count > this.config.maxUploadQueuePieces) {
      this.emit({ action: "reject", peer: peerId, requestId, reason: "busy" });
      return;
    }
    for (let index = first; index < first + count; index++) {
      downloader.queue.push({ requestId, seq, index, size: localPieceBytes(segment, index) });
    }
    this.pump(now);
  }

  cancel(_now: number, peerId: string, requestId: number): void {
    const downloader = this.peers.get(peerId);
    if (downloader) downloader.queue = downloader.queue.filter((p) => p.requestId !== requestId);
  }

  /** Queued pieces of an evicted segment can no longer be sent. */
  segmentRemoved(seq: number): void {
    for (const downloader of this.peers.values()) downloader.queue = downloader.queue.filter((p) => p.seq !== seq);
  }

  // --- sending ---

  /** Sends what the cap allows by now (called at every event); without a cap nothing waits. */
  catchUp(now: number): void {
    if (this.bucket !== null) this.pump(now);
  }

  /** Emits send_piece for as many queued pieces as the cap allows, round-robin over peers. */
  pump(now: number): void {
    for (;;) {
      const peerId = this.nextPeer();
      if (peerId === null) return;
      const downloader = this.peers.get(peerId) as Downloader;
      const piece = downloader.queue[0] as QueuedPiece;
      if (this.bucket !== null && !this.bucket.tryConsume(now, piece.size)) return;
      downloader.queue.shift();
      this.lastServed = peerId;
      this.stats.bytesUploaded += piece.size;
      this.stats.piecesUploaded += 1;
      this.emit({ action: "send_piece", peer: peerId, requestId: piece.requestId, seq: piece.seq, index: piece.index });
    }
  }

  private nextPeer(): string | null {
    const ready = [...this.peers.entries()]
      .filter(([, d]) => d.unchoked && d.queue.length > 0)
      .map(([pid]) => pid)
      .sort(compareIds);
    if (ready.length === 0) return null;
    if (this.lastServed !== null) {
      for (const peerId of ready) if (peerId > this.lastServed) return peerId;
    }
    return ready[0] as string;
  }

  // --- time ---

  nextTimer(now: number): number | null {
    const times: number[] = [];
    const peerId = this.nextPeer();
    if (peerId !== null && this.bucket !== null) {
      times.push(this.bucket.readyAt(now, (this.peers.get(peerId) as Downloader).queue[0]?.size ?? 0));
    }
    if (this.waiting().length > 0) {
      for (const d of this.peers.values()) {
        if (d.unchoked && d.queue.length === 0) times.push(d.lastRequestAt + this.config.idleUnchokeTimeoutS);
      }
    }
    const future = times.filter((t) => t > now);
    return future.length > 0 ? Math.min(...future) : null;
  }

  handleTimer(now: number): void {
    this.rotateIdle(now);
    this.pump(now);
  }

  private waiting(): string[] {
    return [...this.peers.entries()]
      .filter(([, d]) => !d.unchoked && d.waitingSince !== null)
      .sort(([pa, a], [pb, b]) => (a.waitingSince as number) - (b.waitingSince as number) || compareIds(pa, pb))
      .map(([pid]) => pid);
  }

  private unchokedCount(): number {
    let n = 0;
    for (const d of this.peers.values()) if (d.unchoked) n++;
    return n;
  }

  private fillFreeSlots(now: number): void {
    for (const peerId of this.waiting()) {
      if (this.unchokedCount() >= this.slots) return;
      this.unchoke(now, peerId);
    }
  }

  private unchoke(now: number, peerId: string): void {
    const downloader = this.peers.get(peerId) as Downloader;
    downloader.unchoked = true;
    downloader.waitingSince = null;
    downloader.lastRequestAt = now; // a fresh slot holder gets a full idle period
    this.emit({ action: "unchoke", peer: peerId });
  }

  /** Hands the slots of idle unchoked peers to peers waiting for one. */
  private rotateIdle(now: number): void {
    const waiting = this.waiting();
    if (waiting.length === 0) return;
    const idle = [...this.peers.entries()]
      .filter(([, d]) => d.unchoked && d.queue.length === 0 && now >= d.lastRequestAt + this.config.idleUnchokeTimeoutS)
      .sort(([pa, a], [pb, b]) => a.lastRequestAt - b.lastRequestAt || compareIds(pa, pb))
      .map(([pid]) => pid);
    const pairs = Math.min(idle.length, waiting.length);
    for (let i = 0; i < pairs; i++) {
      const idleId = idle[i] as string;
      (this.peers.get(idleId) as Downloader).unchoked = false;
      this.emit({ action: "choke", peer: idleId });
      this.unchoke(now, waiting[i] as string);
    }
  }
}

/** Python's str ordering for ASCII ids. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
