/**
 * The pure download/upload scheduler, a line-by-line port of peer/piece_scheduler.py: events in
 * (with `now` in seconds), actions out, no I/O. The same scenario files drive both ports.
 *
 * Per incomplete segment (deadline = when the playhead reaches its start): from the fallback
 * point (`deadline - http_margin - missing_bytes / http_rate`) every missing piece comes from the
 * origin; before it, pieces come from neighbours that announced the segment (urgent ones
 * earliest-deadline-first, the rest rarest-first, blocks over the least-loaded peers). A new live
 * segment nobody usable holds is taken from HTTP after this member's election delay, and a
 * segment playback is blocked on (startup, stall) with no holder is fetched at once.
 */

import type { AbandonReason, RejectReasonName, SchedulerAction } from "./actions";
import { DeadlineClock, Playhead } from "./deadline_clock";
import { HttpFetch, RemotePeer, SegmentState, UNASSIGNED, type PeerRequest } from "./download_state";
import { httpFirstDelay } from "./election";
import type { SchedulerConfig } from "./scheduler_config";
import { emptySchedulerStats, type SchedulerStats } from "./scheduler_stats";
import { compareIds, UploadScheduler, type LocalSegment } from "./upload_scheduler";

/** HELLO capability bit 1: the neighbour is an edge seeder (it takes every segment from HTTP). */
export const EDGE_SEEDER_CAPABILITY = 0x2;

function sortedNumbers(values: Iterable<number>): number[] {
  return [...values].sort((a, b) => a - b);
}

export class PieceScheduler {
  readonly stats: SchedulerStats = emptySchedulerStats();
  readonly upload: UploadScheduler;
  private now: number;
  private readonly actions: SchedulerAction[] = [];
  private readonly segments = new Map<number, SegmentState>();
  private readonly local = new Map<number, LocalSegment>();
  private readonly peers = new Map<string, RemotePeer>();
  private readonly requests = new Map<number, PeerRequest>();
  private readonly fetches = new Map<number, HttpFetch>();
  private nextRequestId = 1;
  private nextFetchId = 1;
  private swarmSizeValue = 1;
  readonly clock: DeadlineClock;

  constructor(
    readonly config: SchedulerConfig,
    readonly localPeerId: string,
    now: number,
    readonly seeder = false,
  ) {
    this.now = now;
    this.clock = new DeadlineClock(config);
    this.upload = new UploadScheduler(config, (a) => this.actions.push(a), this.local, this.stats, now);
  }

  // --- output ---

  popActions(): SchedulerAction[] {
    return this.actions.splice(0);
  }

  // --- swarm events ---

  peerConnected(now: number, peerId: string, capabilities = 1, maxPiecesPerRequest = 16): void {
    this.now = now;
    if (this.peers.has(peerId)) return;
    this.peers.set(peerId, new RemotePeer(peerId, capabilities, Math.max(1, maxPiecesPerRequest)));
    this.actions.push({ action: "send_have", peer: peerId, seqs: sortedNumbers(this.local.keys()) });
    this.upload.peerConnected(now, peerId);
    this.schedule(now);
  }

  peerClosed(now: number, peerId: string): void {
    this.now = now;
    if (this.forgetPeer(peerId)) {
      this.upload.peerClosed(now, peerId);
      this.schedule(now);
    }
  }

  peerHave(now: number, peerId: string, seqs: number[]): void {
    this.now = now;
    const peer = this.peers.get(peerId);
    if (peer) {
      peer.haves = new Set(seqs);
      this.schedule(now);
    }
  }

  peerHaveDelta(now: number, peerId: string, seq: number): void {
    this.now = now;
    const peer = this.peers.get(peerId);
    if (peer) {
      peer.haves.add(seq);
      this.schedule(now);
    }
  }

  /** CHOKE from `peerId` discards our outstanding requests there; UNCHOKE lifts it. */
  peerChoked(now: number, peerId: string, choked: boolean): void {
    this.now = now;
    const peer = this.peers.get(peerId);
    if (!peer) return;
    peer.chokingUs = choked;
    if (choked) for (const request of [...peer.requests.values()]) this.releaseRequest(request);
    this.schedule(now);
  }

  /** Members of our swarm (from signaling); sizes the live HTTP-first election. */
  setSwarmSize(now: number, size: number): void {
    this.now = now;
    this.swarmSizeValue = Math.max(1, size);
  }

  get swarmSize(): number {
    return this.swarmSizeValue;
  }

  // --- segments and playhead ---

  /**
   * A segment whose integrity record we hold. `start` is its media time on the playhead's
   * timeline; `liveEdge` marks a segment that just appeared at the live edge.
   */
  segmentAdded(
    now: number,
    seq: number,
    opts: { size: number; pieceSize: number; start: number; duration: number; liveEdge?: boolean },
  ): void {
    this.now = now;
    const { size, pieceSize, start, duration } = opts;
    if (this.segments.has(seq) || this.local.has(seq) || size <= 0 || pieceSize <= 0) return;
    const count = Math.ceil(size / pieceSize);
    let httpFirstAt: number | null = null;
    if (opts.liveEdge) {
      httpFirstAt =
        now +
        httpFirstDelay(this.localPeerId, seq, {
          neighbourIds: this.peers.keys(),
          swarmSize: this.swarmSizeValue,
          httpFirstCount: this.config.liveHttpFirstCount,
          tierSpacingS: this.config.liveTierSpacingS,
          tierGrowth: this.config.liveTierGrowth,
          neighbourStaggerS: this.config.liveNeighbourStaggerS,
          seederNeighbour: [...this.peers.values()].some((p) => (p.capabilities & EDGE_SEEDER_CAPABILITY) !== 0),
        });
    }
    this.segments.set(seq, new SegmentState(seq, size, pieceSize, start, duration, httpFirstAt, count));
    this.schedule(now);
  }

  /** The store evicted `seq` (or the window moved past it): stop fetching and serving it. */
  segmentRemoved(now: number, seq: number): void {
    this.now = now;
    this.dropSegment(seq);
    this.local.delete(seq);
    this.upload.segmentRemoved(seq);
    this.schedule(now);
  }

  /** The playhead is at media time `position`; if `playing`, it advances in real time. */
  setPlayhead(now: number, position: number, playing: boolean): void {
    this.now = now;
    this.clock.playhead = new Playhead(now, position, playing);
    this.schedule(now);
  }

  // --- download results ---

  /** A PIECE from a peer, after the adapter checked it against the integrity record. */
  pieceReceived(now: number, peerId: string, requestId: number, seq: number, index: number, valid: boolean): void {
    this.now = now;
    const peer = this.peers.get(peerId);
    if (!valid) {
      this.stats.badPieces += 1;
      if (peer) {
        this.forgetPeer(peerId);
        this.upload.peerClosed(now, peerId);
        this.actions.push({ action: "drop_peer", peer: peerId, reason: "bad_piece" });
      }
      this.schedule(now);
      return;
    }
    const segment = this.segments.get(seq);
    if (peer) {
      peer.lastPieceAt = now;
      const request = peer.requests.get(requestId);
      if (request && request.seq === seq) {
        request.pending.delete(index);
        if (request.pending.size === 0) this.removeRequest(request);
      }
    }
    if (segment && index >= 0 && index < segment.pieceCount) {
      this.stats.bytesFromPeers += segment.pieceBytes(index);
      this.storePiece(segment, index);
    }
    this.schedule(now);
  }

  requestRejected(now: number, peerId: string, requestId: number, reason: RejectReasonName): void {
    this.now = now;
    const peer = this.peers.get(peerId);
    const request = this.requests.get(requestId);
    if (!peer || !request || request.peerId !== peerId) return;
    this.releaseRequest(request);
    if (reason === "choked") peer.chokingUs = true;
    else if (reason === "busy") peer.cooldownUntil = now + this.config.busyBackoffS;
    else peer.haves.delete(request.seq); // not_have, bad_request: the announcement was stale
    this.schedule(now);
  }

  /** A piece of an HTTP response, checked against the integrity record. */
  httpPieceReceived(now: number, fetchId: number, seq: number, index: number, valid: boolean): void {
    this.now = now;
    const fetch = this.fetches.get(fetchId);
    if (!valid) {
      this.stats.badPieces += 1;
      if (fetch) this.httpFailed(now, fetchId);
      return;
    }
    const segment = this.segments.get(seq);
    if (segment && index >= 0 && index < segment.pieceCount) {
      this.stats.bytesFromHttp += segment.pieceBytes(index);
      this.storePiece(segment, index);
    } else if (fetch && fetch.seq === seq && fetch.pending.has(index)) {
      // The segment completed from other sources meanwhile: origin load all the same.
      this.stats.bytesFromHttp += fetch.pieceBytes(index);
      this.stats.duplicateBytes += fetch.pieceBytes(index);
    }
    if (fetch) {
      fetch.pending.delete(index);
      if (fetch.pending.size === 0) {
        this.fetches.delete(fetchId);
        this.clock.httpFetchDone(fetch.size, now - fetch.sentAt);
      }
    }
    this.schedule(now);
  }

  /** The fetch failed (network error, bad status, bad piece): retry after a pause. */
  httpFailed(now: number, fetchId: number): void {
    this.now = now;
    const fetch = this.fetches.get(fetchId);
    if (!fetch) return;
    this.fetches.delete(fetchId);
    this.stats.httpFailures += 1;
    const segment = this.segments.get(fetch.seq);
    if (segment) {
      for (const index of fetch.pending) if (segment.owner[index] === -fetchId) segment.owner[index] = UNASSIGNED;
      segment.httpRetryAt = now + this.config.httpRetryS;
    }
    this.schedule(now);
  }

  // --- upload events ---

  uploadRequest(now: number, peerId: string, requestId: number, seq: number, firstPiece: number, count: number): void {
    this.now = now;
    if (this.peers.has(peerId)) this.upload.request(now, peerId, requestId, seq, firstPiece, count);
  }

  uploadCancel(now: number, peerId: string, requestId: number): void {
    this.now = now;
    this.upload.cancel(now, peerId, requestId);
  }

  // --- time ---

  /** The next time at which something changes without an event (null: never). */
  nextTimer(): number | null {
    const now = this.now;
    const times: number[] = [];
    for (const segment of this.segments.values()) {
      const deadline = this.clock.deadline(segment);
      if (deadline === null || segment.complete) continue;
      times.push(this.clock.fallbackAt(segment, deadline));
      times.push(segment.httpRetryAt);
      if (segment.httpFirstAt !== null) times.push(segment.httpFirstAt);
      if (this.clock.playing && !segment.missed) times.push(deadline);
    }
    for (const peer of this.peers.values()) {
      times.push(peer.cooldownUntil);
      if (peer.requests.size > 0) times.push(this.silentAt(peer));
    }
    const upload = this.upload.nextTimer(now);
    if (upload !== null) times.push(upload);
    let best: number | null = null;
    for (const t of times) if (t > now && (best === null || t < best)) best = t;
    return best;
  }

  handleTimer(now: number): void {
    this.now = now;
    for (const peer of [...this.peers.values()].sort((a, b) => compareIds(a.peerId, b.peerId))) {
      if (peer.requests.size > 0 && now >= this.silentAt(peer)) this.abandon(now, peer, "silent");
    }
    this.upload.handleTimer(now);
    this.schedule(now);
  }

  /** Complete, verified segments we can serve (what HAVE announces). */
  completeSeqs(): number[] {
    return sortedNumbers(this.local.keys());
  }

  /** Stats plus a little state, for the stats API. */
  snapshot(): Record<string, number> {
    return {
      ...this.stats,
      completeSegments: this.local.size,
      peers: this.peers.size,
      httpRateEstimate: Math.round(this.clock.httpRate),
    };
  }

  // --- internals: planning ---

  /** Re-plans every incomplete segment; runs after every event and timer. */
  private schedule(now: number): void {
    this.checkDeadlines(now);
    // (segment, deadline, usable holders), holders computed once per pass
    const assignable: [SegmentState, number, RemotePeer[]][] = [];
    for (const seq of sortedNumbers(this.segments.keys())) {
      const segment = this.segments.get(seq) as SegmentState;
      const deadline = this.clock.deadline(segment);
      if (deadline === null && !this.seeder) continue;
      if (this.seeder || deadline === null) {
        this.fetchHttp(now, segment, false);
        continue;
      }
      if (now >= this.clock.fallbackAt(segment, deadline)) {
        this.fetchHttp(now, segment, true);
        continue;
      }
      const holders = this.usableHolders(now, segment.seq);
      if (holders.length > 0) {
        if (deadline - now <= this.config.prefetchHorizonS) assignable.push([segment, deadline, holders]);
      } else if (this.clock.waitingOn(segment) || this.electionWaitOver(now, segment)) {
        this.fetchHttp(now, segment, false);
      }
    }
    const window = this.config.urgentWindowS;
    const urgent = assignable.filter(([, d]) => d - now <= window);
    const background = assignable.filter(([, d]) => d - now > window);
    urgent.sort(([sa, da], [sb, db]) => da - db || sa.seq - sb.seq);
    background.sort(([sa, da, ha], [sb, db, hb]) => ha.length - hb.length || da - db || sa.seq - sb.seq);
    for (const [segment, , holders] of [...urgent, ...background]) this.requestFromPeers(now, segment, holders);
  }

  /** Deals the segment's free pieces in blocks to the least-loaded holders. */
  private requestFromPeers(now: number, segment: SegmentState, holders: RemotePeer[]): void {
    let index = 0;
    const limitPerPeer = this.config.maxInflightPiecesPerPeer;
    for (;;) {
      let peer: RemotePeer | null = null;
      let load = 0;
      for (const candidate of holders) {
        const l = candidate.inflightPieces();
        if (l >= limitPerPeer) continue;
        if (peer === null || l < load || (l === load && candidate.peerId < peer.peerId)) {
          peer = candidate;
          load = l;
        }
      }
      if (!peer) return;
      const limit = Math.min(this.config.requestBlockPieces, peer.maxPiecesPerRequest, limitPerPeer - load);
      const run = segment.freeRun(index, limit);
      if (!run) return;
      const first = run[0];
      index = run[1];
      const pending = new Set<number>();
      for (let i = first; i < index; i++) pending.add(i);
      const request: PeerRequest = { requestId: this.nextRequestId, peerId: peer.peerId, seq: segment.seq, pending, sentAt: now };
      this.nextRequestId += 1;
      segment.assign(first, index, request.requestId);
      peer.requests.set(request.requestId, request);
      this.requests.set(request.requestId, request);
      this.stats.requestsSent += 1;
      this.actions.push({ action: "request", peer: peer.peerId, requestId: request.requestId, seq: segment.seq, firstPiece: first, pieceCount: index - first });
    }
  }

  private usableHolders(now: number, seq: number): RemotePeer[] {
    return [...this.peers.values()]
      .filter((p) => p.haves.has(seq) && !p.chokingUs && now >= p.cooldownUntil)
      .sort((a, b) => compareIds(a.peerId, b.peerId));
  }

  /**
   * Fetches the segment's missing pieces from the origin. With `takeOver`, pieces still owed by
   * peers are cancelled there and fetched too (the fallback point was reached).
   */
  private fetchHttp(now: number, segment: SegmentState, takeOver: boolean): void {
    if (now < segment.httpRetryAt) return;
    if (takeOver) {
      const owing = new Set<number>();
      segment.owner.forEach((o, i) => {
        if (o > 0 && !segment.have[i]) owing.add(o);
      });
      for (const requestId of sortedNumbers(owing)) {
        const request = this.requests.get(requestId);
        if (!request) continue; // cancelled with its peer, abandoned just above
        const peer = this.peers.get(request.peerId) as RemotePeer;
        this.actions.push({ action: "cancel", peer: request.peerId, requestId });
        this.releaseRequest(request);
        if (now - request.sentAt >= this.config.peerSilenceTimeoutS) this.abandon(now, peer, "slow");
      }
    }
    let index = 0;
    for (let run = segment.freeRun(index, segment.pieceCount); run !== null; run = segment.freeRun(index, segment.pieceCount)) {
      const first = run[0];
      index = run[1];
      const pending = new Set<number>();
      let size = 0;
      for (let i = first; i < index; i++) {
        pending.add(i);
        size += segment.pieceBytes(i);
      }
      const fetch = new HttpFetch(this.nextFetchId, segment.seq, pending, now, size, segment.pieceSize, segment.size);
      this.nextFetchId += 1;
      segment.assign(first, index, -fetch.fetchId);
      this.fetches.set(fetch.fetchId, fetch);
      this.stats.httpFetches += 1;
      this.actions.push({ action: "http_fetch", fetchId: fetch.fetchId, seq: segment.seq, firstPiece: first, pieceCount: index - first });
    }
  }

  // --- internals: bookkeeping ---

  private storePiece(segment: SegmentState, index: number): void {
    if (segment.have[index]) {
      this.stats.duplicateBytes += segment.pieceBytes(index);
      return;
    }
    segment.markHave(index);
    if (!segment.complete) return;
    for (const request of [...this.requests.values()].filter((r) => r.seq === segment.seq)) {
      this.actions.push({ action: "cancel", peer: request.peerId, requestId: request.requestId });
      this.removeRequest(request);
    }
    this.segments.delete(segment.seq); // fetches still running finish as duplicates
    this.local.set(segment.seq, { pieceCount: segment.pieceCount, size: segment.size, pieceSize: segment.pieceSize });
    this.stats.segmentsCompleted += 1;
    this.actions.push({ action: "announce_have", seq: segment.seq });
  }

  /** Forgets a request; its pieces become unassigned (late PIECEs are still welcome). */
  private releaseRequest(request: PeerRequest): void {
    const segment = this.segments.get(request.seq);
    if (segment) {
      for (const index of request.pending) if (segment.owner[index] === request.requestId) segment.owner[index] = UNASSIGNED;
    }
    this.removeRequest(request);
  }

  private removeRequest(request: PeerRequest): void {
    this.requests.delete(request.requestId);
    this.peers.get(request.peerId)?.requests.delete(request.requestId);
  }

  private forgetPeer(peerId: string): boolean {
    const peer = this.peers.get(peerId);
    if (!peer) return false;
    for (const request of [...peer.requests.values()]) this.releaseRequest(request);
    this.peers.delete(peerId);
    return true;
  }

  private abandon(now: number, peer: RemotePeer, reason: AbandonReason): void {
    for (const request of [...peer.requests.values()].sort((a, b) => a.requestId - b.requestId)) {
      this.actions.push({ action: "cancel", peer: peer.peerId, requestId: request.requestId });
      this.releaseRequest(request);
    }
    if (peer.cooldownUntil <= now) {
      this.stats.peersAbandoned += 1;
      this.actions.push({ action: "abandon_peer", peer: peer.peerId, reason });
    }
    peer.cooldownUntil = now + this.config.peerCooldownS;
  }

  private dropSegment(seq: number): void {
    const segment = this.segments.get(seq);
    if (!segment) return;
    this.segments.delete(seq);
    for (const request of [...this.requests.values()].filter((r) => r.seq === seq)) {
      this.actions.push({ action: "cancel", peer: request.peerId, requestId: request.requestId });
      this.removeRequest(request);
    }
    for (const [fetchId, fetch] of [...this.fetches.entries()]) if (fetch.seq === seq) this.fetches.delete(fetchId);
  }

  /** Counts stalls, and drops segments the playhead has left behind. */
  private checkDeadlines(now: number): void {
    const playhead = this.clock.playhead;
    if (playhead === null) return;
    const current = playhead.positionAt(now);
    for (const seq of sortedNumbers(this.segments.keys())) {
      const segment = this.segments.get(seq) as SegmentState;
      if (segment.start + segment.duration <= current) {
        this.dropSegment(seq);
        continue;
      }
      const deadline = this.clock.deadline(segment);
      const overdue = playhead.playing && deadline !== null && now >= deadline;
      if (overdue && !segment.missed) {
        segment.missed = true;
        this.stats.missedDeadlines += 1;
        this.actions.push({ action: "deadline_missed", seq });
      }
    }
  }

  // --- internals: time ---

  /** A new live segment nobody announced: our election delay has passed. */
  private electionWaitOver(now: number, segment: SegmentState): boolean {
    return segment.httpFirstAt !== null && now >= segment.httpFirstAt;
  }

  private silentAt(peer: RemotePeer): number {
    let oldest = Infinity;
    for (const r of peer.requests.values()) oldest = Math.min(oldest, r.sentAt);
    return Math.max(peer.lastPieceAt, oldest) + this.config.peerSilenceTimeoutS;
  }
}
