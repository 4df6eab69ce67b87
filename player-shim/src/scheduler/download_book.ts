/**
 * The download side's bookkeeping for `piece_scheduler.ts` (a port of peer/download_book.py):
 * segments being fetched, complete local segments, neighbours, and requests/fetches in flight,
 * kept consistent with each other. No policy, no I/O.
 */

import type { SchedulerAction } from "./actions";
import { HttpFetch, UNASSIGNED, type PeerRequest, type RemotePeer, type SegmentState } from "./download_state";
import type { SchedulerStats } from "./scheduler_stats";
import { compareIds, type LocalSegment } from "./upload_scheduler";

/** What the scheduler knows and has in flight; `emit` receives the actions that follow directly
 * from a bookkeeping change (REQUEST, CANCEL, HTTP fetch, HAVE_DELTA). */
export class DownloadBook {
  readonly segments = new Map<number, SegmentState>();
  readonly local = new Map<number, LocalSegment>();
  readonly peers = new Map<string, RemotePeer>();
  readonly requests = new Map<number, PeerRequest>();
  readonly fetches = new Map<number, HttpFetch>();
  private nextRequestId = 1;
  private nextFetchId = 1;

  /** See usableHolders; set by the scheduler from its config. */
  promiseS = 0;
  private readonly originEvery: number;

  /**
   * `relayEvery`: copies taken from peers are announced too (HAVE_PIECES when the first request
   * goes out, then every `relayEvery` pieces), so members several hops from the origin fetcher
   * learn that a copy is on its way and relay it (0: only origin copies are announced).
   * `originEvery`: origin copies are announced when the fetch starts, then every `originEvery`
   * pieces.
   */
  constructor(
    private readonly emit: (action: SchedulerAction) => void,
    private readonly stats: SchedulerStats,
    private readonly relayEvery = 0,
    originEvery = 1,
  ) {
    this.originEvery = Math.max(1, originEvery);
  }

  /** Asks `peer` for pieces [first, end) of `segment`. */
  openRequest(now: number, peer: RemotePeer, segment: SegmentState, first: number, end: number): void {
    const pending = new Set<number>();
    for (let i = first; i < end; i++) pending.add(i);
    const request: PeerRequest = { requestId: this.nextRequestId, peerId: peer.peerId, seq: segment.seq, pending, sentAt: now };
    this.nextRequestId += 1;
    segment.assign(first, end, request.requestId);
    segment.requested = true;
    if (segment.peerWaitSince === null) segment.peerWaitSince = now;
    if (this.relayEvery > 0 && segment.announcedCount < 0) segment.announcePending = true;
    peer.requests.set(request.requestId, request);
    this.requests.set(request.requestId, request);
    this.stats.requestsSent += 1;
    this.emit({ action: "request", peer: peer.peerId, requestId: request.requestId, seq: segment.seq, firstPiece: first, pieceCount: end - first });
  }

  /** Fetches pieces [first, end) of `segment` from the origin. */
  openFetch(now: number, segment: SegmentState, first: number, end: number): void {
    const pending = new Set<number>();
    let size = 0;
    for (let i = first; i < end; i++) {
      pending.add(i);
      size += segment.pieceBytes(i);
    }
    const fetch = new HttpFetch(this.nextFetchId, segment.seq, pending, now, size, segment.pieceSize, segment.size);
    this.nextFetchId += 1;
    segment.assign(first, end, -fetch.fetchId);
    segment.announcePending = true; // neighbours wait for this copy instead of fetching
    this.fetches.set(fetch.fetchId, fetch);
    this.stats.httpFetches += 1;
    this.emit({ action: "http_fetch", fetchId: fetch.fetchId, seq: segment.seq, firstPiece: first, pieceCount: end - first });
  }

  /**
   * Records a verified piece; a segment that completes moves to `local` and is announced.
   * Pieces of an incomplete segment are announced (HAVE_PIECES) once `originEvery` of them
   * (origin pieces) or `relayEvery` (pieces from peers) were not announced yet.
   */
  storePiece(segment: SegmentState, index: number, fromOrigin = false): void {
    if (segment.have[index]) {
      this.stats.duplicateBytes += segment.pieceBytes(index);
      return;
    }
    segment.markHave(index);
    if (!segment.complete) {
      // Relayed before the segment is complete (cut-through): the origin copy is the one
      // neighbours wait for; pieces from peers they can get from those peers.
      const fresh = segment.haveCount - Math.max(0, segment.announcedCount);
      const due = fromOrigin ? fresh >= this.originEvery : this.relayEvery > 0 && fresh >= this.relayEvery;
      segment.announcePending = segment.announcePending || due;
      return;
    }
    for (const request of [...this.requests.values()].filter((r) => r.seq === segment.seq)) {
      this.emit({ action: "cancel", peer: request.peerId, requestId: request.requestId });
      this.removeRequest(request);
    }
    this.segments.delete(segment.seq); // fetches still running finish as duplicates
    this.local.set(segment.seq, { pieceCount: segment.pieceCount, size: segment.size, pieceSize: segment.pieceSize });
    this.stats.segmentsCompleted += 1;
    this.emit({ action: "announce_have", seq: segment.seq });
  }

  /** Forgets a failed fetch and frees its pieces; returns the segment it was for if that is
   * still wanted (undefined also when the fetch is unknown). */
  failFetch(fetchId: number): SegmentState | undefined {
    const fetch = this.fetches.get(fetchId);
    if (!fetch) return undefined;
    this.fetches.delete(fetchId);
    this.stats.httpFailures += 1;
    const segment = this.segments.get(fetch.seq);
    if (segment) {
      for (const index of fetch.pending) if (segment.owner[index] === -fetchId) segment.owner[index] = UNASSIGNED;
    }
    return segment;
  }

  /** Sends CANCEL for `request` and releases its pieces. */
  cancelRequest(request: PeerRequest): void {
    this.emit({ action: "cancel", peer: request.peerId, requestId: request.requestId });
    this.releaseRequest(request);
  }

  /** Forgets a request; its pieces become unassigned (late PIECEs are still welcome). */
  releaseRequest(request: PeerRequest): void {
    const segment = this.segments.get(request.seq);
    if (segment) {
      for (const index of request.pending) if (segment.owner[index] === request.requestId) segment.owner[index] = UNASSIGNED;
    }
    this.removeRequest(request);
  }

  removeRequest(request: PeerRequest): void {
    this.requests.delete(request.requestId);
    this.peers.get(request.peerId)?.requests.delete(request.requestId);
  }

  /** Removes a neighbour and releases its requests; false if it was unknown. */
  forgetPeer(peerId: string): boolean {
    const peer = this.peers.get(peerId);
    if (!peer) return false;
    for (const request of [...peer.requests.values()]) this.releaseRequest(request);
    this.peers.delete(peerId);
    return true;
  }

  /** Stops fetching `seq`: cancels its peer requests and forgets its HTTP fetches. */
  dropSegment(seq: number): void {
    const segment = this.segments.get(seq);
    if (!segment) return;
    this.segments.delete(seq);
    for (const request of [...this.requests.values()].filter((r) => r.seq === seq)) {
      this.emit({ action: "cancel", peer: request.peerId, requestId: request.requestId });
      this.removeRequest(request);
    }
    for (const [fetchId, fetch] of [...this.fetches.entries()]) if (fetch.seq === seq) this.fetches.delete(fetchId);
  }

  /**
   * Neighbours that announced all or part of `seq` and may be asked now, by id. A copy announced
   * with no piece yet counts only while that word is fresh (`promiseS`): a neighbour whose copy
   * never started must not hold our own fetch back.
   */
  usableHolders(now: number, seq: number): RemotePeer[] {
    return [...this.peers.values()]
      .filter((p) => (p.haves.has(seq) || (p.partial.has(seq) && this.live(p, seq, now))) && !p.chokingUs && now >= p.cooldownUntil)
      .sort((a, b) => compareIds(a.peerId, b.peerId));
  }

  private live(peer: RemotePeer, seq: number, now: number): boolean {
    if ((peer.partial.get(seq)?.size ?? 0) > 0 || this.promiseS <= 0) return true;
    return now - (peer.partialAt.get(seq) ?? -1e18) < this.promiseS;
  }

  /**
   * Which of `peer`'s partial copies to forget when it announced more than we keep
   * (`maxPartialPerPeer`): one of a segment we no longer need (complete here, played or dropped;
   * the oldest first), else the one we need last (the highest seq). Forgetting the oldest
   * instead dropped the copy a long stall waits on as soon as the word of the 16th newer segment
   * arrived, for every stalled neighbour of it in the same second (peer/download_book.py).
   */
  partialToForget(peer: RemotePeer): number {
    let newest = -1;
    for (const seq of this.segments.keys()) newest = Math.max(newest, seq);
    for (const seq of this.local.keys()) newest = Math.max(newest, seq);
    let done: number | null = null;
    let last = -Infinity;
    for (const seq of peer.partial.keys()) {
      if (!this.segments.has(seq) && seq <= newest && (done === null || seq < done)) done = seq;
      last = Math.max(last, seq);
    }
    return done ?? last;
  }

  /**
   * How fast the fastest usable neighbour's origin fetch of `seq` is arriving, in bytes/s, as
   * that neighbour last said (null: none said). The sender measures it: when its words reach us
   * says as much about its uplink's queue as about the origin (peer/download_book.py says more).
   */
  originCopyRate(now: number, seq: number): number | null {
    let best: number | null = null;
    for (const p of this.peers.values()) {
      const rate = p.originRate.get(seq);
      if (rate === undefined || p.chokingUs || now < p.cooldownUntil) continue;
      if (best === null || rate > best) best = rate;
    }
    return best;
  }

  /**
   * How fast our own origin fetches of `seq` are arriving, in bytes/s: their bytes so far over
   * the time since the first began (0: none running, or no byte yet).
   */
  originFetchRate(now: number, seq: number): number {
    let received = 0;
    let began: number | null = null;
    for (const fetch of this.fetches.values()) {
      if (fetch.seq !== seq) continue;
      let pending = 0;
      for (const i of fetch.pending) pending += fetch.pieceBytes(i);
      received += fetch.size - pending;
      began = began === null ? fetch.sentAt : Math.min(began, fetch.sentAt);
    }
    if (began === null || received <= 0 || now <= began) return 0;
    return Math.floor(received / (now - began));
  }

  /** When a usable neighbour last announced progress on its partial copy of `seq`. */
  latestProgress(now: number, seq: number): number | null {
    let latest: number | null = null;
    for (const p of this.peers.values()) {
      const at = p.partialAt.get(seq);
      if (at !== undefined && !p.chokingUs && now >= p.cooldownUntil && (latest === null || at > latest)) latest = at;
    }
    return latest;
  }
}
