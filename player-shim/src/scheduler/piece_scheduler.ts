/**
 * The pure download/upload scheduler, a line-by-line port of peer/piece_scheduler.py: events in
 * (with `now` in seconds), actions out, no I/O. The same scenario files drive both ports; the
 * module docstring of the Python port describes the policy, `origin_gate.ts` its origin timing.
 *
 * In short: from a segment's fallback point every missing piece comes from the origin; before
 * it, pieces come from neighbours that announced it in full or in part (cut-through, HAVE_PIECES),
 * urgent ones earliest-deadline-first, the rest rarest-first. A new live segment nobody holds is
 * fetched after this member's election delay; a blocked one at once unless neighbours are still
 * connecting (startup). Origin fetches and their pieces are announced as they arrive, and a
 * neighbour's copy still arriving holds the takeover back.
 *
 * The entry points for what neighbours announce and ask (HAVE, HAVE_DELTA, HAVE_PIECES, CHOKE,
 * REQUEST, CANCEL, the upload limits) and the HAVE_PIECES this member sends are in
 * scheduler_neighbours.ts, which `PieceScheduler` extends.
 */

import type { AbandonReason, DecisionHook, RejectReasonName, SchedulerAction } from "./actions";
import { DeadlineClock, Playhead } from "./deadline_clock";
import { DownloadBook } from "./download_book";
import { RemotePeer, SegmentState } from "./download_state";
import { EDGE_SEEDER_CAPABILITY, OriginGate } from "./origin_gate";
import { electionUnit } from "./election";
import { announcing, owedBudget, pacedLimit, spreadRun } from "./peer_requests";
import { DownlinkQueue, downlinkSharedRate, markLinkSharing, PlayerLoad, thinLead, tightLinkBudget } from "./player_loads";
import type { SchedulerConfig } from "./scheduler_config";
import { MAX_PIECES_PER_SEGMENT, SchedulerNeighbours, sortedNumbers } from "./scheduler_neighbours";
import { emptySchedulerStats, type SchedulerStats } from "./scheduler_stats";
import { nextTimer, silentAt } from "./scheduler_timers";
import { compareIds, UploadScheduler } from "./upload_scheduler";

export { EDGE_SEEDER_CAPABILITY, MAX_PIECES_PER_SEGMENT };

export class PieceScheduler extends SchedulerNeighbours {
  readonly stats: SchedulerStats = emptySchedulerStats();
  /** The latest segment's bitrate (bits/s; null: none yet): what the measured upload cap compares the uplink with. */
  streamBitrateBps: number | null = null;
  /** The player's own plain-HTTP loads in flight, by seq (`playerLoad`). */
  private readonly playerLoads = new Map<number, PlayerLoad>();
  override readonly upload: UploadScheduler;
  private now: number;
  protected override readonly actions: SchedulerAction[] = [];
  protected override readonly book: DownloadBook;
  override readonly gate: OriginGate;
  override readonly clock: DeadlineClock;

  constructor(
    override readonly config: SchedulerConfig,
    readonly localPeerId: string,
    now: number,
    readonly seeder = false,
    /** Optional observer of decisions (a timeline); the policy never depends on it. */
    private readonly onDecision: DecisionHook | null = null,
  ) {
    super();
    this.now = now;
    this.clock = new DeadlineClock(config);
    this.book = new DownloadBook((a) => this.actions.push(a), this.stats, config.relayAnnouncePieces, config.originAnnouncePieces);
    this.book.promiseS = this.clock.progressTimeout(); // kept current by schedule()
    this.gate = new OriginGate(config, this.book, this.clock, onDecision, localPeerId);
    this.upload = new UploadScheduler(config, (a) => this.actions.push(a), this.book.local, this.stats, now, this.book.segments);
  }

  // --- output ---

  popActions(): SchedulerAction[] {
    return this.actions.splice(0);
  }

  // --- swarm events ---

  peerConnected(now: number, peerId: string, capabilities = 1, maxPiecesPerRequest = 16): void {
    this.advance(now);
    if (this.book.peers.has(peerId)) return;
    this.book.peers.set(peerId, new RemotePeer(peerId, capabilities, Math.max(1, maxPiecesPerRequest)));
    this.actions.push({ action: "send_have", peer: peerId, seqs: sortedNumbers(this.book.local.keys()) });
    this.upload.peerConnected(now, peerId);
    this.schedule(now);
  }

  peerClosed(now: number, peerId: string): void {
    this.advance(now);
    if (this.book.forgetPeer(peerId)) {
      this.upload.peerClosed(now, peerId);
      this.schedule(now);
    }
  }

  /** Members of our swarm (from signaling); sizes the live HTTP-first election. */
  setSwarmSize(now: number, size: number): void {
    this.advance(now);
    this.gate.swarmSize = Math.max(1, size);
  }

  /**
   * `count` assigned neighbours are still connecting (no HELLO yet). A newcomer's startup
   * segments are what its neighbours just played: while they connect, a blocked segment nobody
   * holds waits for them up to `connectWaitS` (from the first report of connecting neighbours)
   * instead of every newcomer of a flash crowd pulling its startup segments from the origin.
   */
  setConnectingPeers(now: number, count: number): void {
    this.advance(now);
    this.gate.setConnecting(now, count);
    this.schedule(now);
  }

  get swarmSize(): number {
    return this.gate.swarmSize;
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
    this.advance(now);
    const { size, pieceSize, start, duration } = opts;
    if (this.book.segments.has(seq) || this.book.local.has(seq) || size <= 0 || pieceSize <= 0) return;
    const count = Math.ceil(size / pieceSize);
    this.clock.pieceSize = pieceSize;
    if (duration > 0) this.streamBitrateBps = (size * 8) / duration;
    const segment = new SegmentState(seq, size, pieceSize, start, duration, null, count);
    if (opts.liveEdge) {
      const turn = this.gate.httpFirstAt(now, this.localPeerId, seq, segment.bitrate);
      this.onDecision?.(now, seq, "election-wait", { httpFirstInS: turn - now });
      segment.httpFirstAt = turn;
      segment.electionDelay = turn - now;
    }
    this.book.segments.set(seq, segment);
    this.schedule(now);
  }

  /**
   * The player loads this fragment (media time `start`, about `size` bytes; 0: unknown) over plain
   * HTTP itself: its bytes share our downlink and are due before later segments' (player_loads.ts).
   * Ended by `playerLoadEnded`.
   */
  playerLoad(now: number, seq: number, start: number, duration: number, size = 0): void {
    this.advance(now);
    this.playerLoads.set(seq, new PlayerLoad(seq, start, duration, Math.max(0, size), now));
    this.schedule(now);
  }

  /** The player's load of `seq` completed, failed or was aborted. */
  playerLoadEnded(now: number, seq: number): void {
    this.advance(now);
    if (this.playerLoads.delete(seq)) this.schedule(now);
  }

  /** The store evicted `seq` (or the window moved past it): stop fetching and serving it. */
  segmentRemoved(now: number, seq: number): void {
    this.advance(now);
    this.book.dropSegment(seq);
    this.book.local.delete(seq);
    this.upload.segmentRemoved(seq);
    this.schedule(now);
  }

  /** The playhead is at media time `position`; if `playing`, it advances in real time. */
  setPlayhead(now: number, position: number, playing: boolean): void {
    this.advance(now);
    this.clock.playhead = new Playhead(now, position, playing);
    this.schedule(now);
  }

  // --- download results ---

  /** A PIECE from a peer, after the adapter checked it against the integrity record. */
  pieceReceived(now: number, peerId: string, requestId: number, seq: number, index: number, valid: boolean): void {
    this.advance(now);
    const peer = this.book.peers.get(peerId);
    if (!valid) {
      this.stats.badPieces += 1;
      if (peer) {
        this.book.forgetPeer(peerId);
        this.upload.peerClosed(now, peerId);
        this.actions.push({ action: "drop_peer", peer: peerId, reason: "bad_piece" });
      }
      this.schedule(now);
      return;
    }
    const segment = this.book.segments.get(seq);
    if (peer) {
      const request = peer.requests.get(requestId);
      if (request && request.seq === seq && request.pending.has(index)) {
        peer.pieceOwedArrived(now, request.sentAt, this.config.peerPaceEwmaWeight);
        request.pending.delete(index);
        if (request.pending.size === 0) this.book.removeRequest(request);
      }
      peer.lastPieceAt = now;
    }
    if (segment && index >= 0 && index < segment.pieceCount) {
      this.stats.bytesFromPeers += segment.pieceBytes(index);
      segment.peerBytes += segment.pieceBytes(index);
      this.book.storePiece(segment, index);
    }
    this.schedule(now);
  }

  requestRejected(now: number, peerId: string, requestId: number, reason: RejectReasonName): void {
    this.advance(now);
    const peer = this.book.peers.get(peerId);
    const request = this.book.requests.get(requestId);
    if (!peer || !request || request.peerId !== peerId) return;
    this.book.releaseRequest(request);
    if (reason === "choked") peer.chokingUs = true;
    else if (reason === "busy") peer.cooldownUntil = now + this.config.busyBackoffS;
    else peer.haves.delete(request.seq); // not_have, bad_request: the announcement was stale
    this.schedule(now);
  }

  /** A piece of an HTTP response, checked against the integrity record. */
  httpPieceReceived(now: number, fetchId: number, seq: number, index: number, valid: boolean): void {
    this.advance(now);
    const fetch = this.book.fetches.get(fetchId);
    if (!valid) {
      this.stats.badPieces += 1;
      if (fetch) this.httpFailed(now, fetchId);
      return;
    }
    const segment = this.book.segments.get(seq);
    if (segment && index >= 0 && index < segment.pieceCount) {
      this.stats.bytesFromHttp += segment.pieceBytes(index);
      this.book.storePiece(segment, index, true);
    } else if (fetch && fetch.seq === seq && fetch.pending.has(index)) {
      // The segment completed from other sources meanwhile: origin load all the same.
      this.stats.bytesFromHttp += fetch.pieceBytes(index);
      this.stats.duplicateBytes += fetch.pieceBytes(index);
    }
    if (fetch) {
      fetch.pending.delete(index);
      if (fetch.pending.size === 0) {
        this.book.fetches.delete(fetchId);
        this.clock.httpFetchDone(fetch.size, now - fetch.sentAt, now);
      }
    }
    this.schedule(now);
  }

  /** The fetch failed (network error, bad status, bad piece): retry after a pause. */
  httpFailed(now: number, fetchId: number): void {
    this.advance(now);
    if (!this.book.fetches.has(fetchId)) return;
    const segment = this.book.failFetch(fetchId);
    if (segment) segment.httpRetryAt = now + this.config.httpRetryS;
    this.schedule(now);
  }

  // --- time ---

  /**
   * Every event first lets the upload side catch up: under a rate cap, queued pieces that
   * became sendable since the last pump go out now (`nextTimer` only reports times after
   * `now`; see peer/piece_scheduler.py `_advance`).
   */
  protected override advance(now: number): void {
    this.now = now;
    this.upload.catchUp(now);
  }

  /** The next time at which something changes without an event (null: never). */
  nextTimer(): number | null {
    return nextTimer(this.now, this.book, this.clock, this.gate, this.upload, this.config);
  }

  handleTimer(now: number): void {
    this.now = now;
    for (const peer of [...this.book.peers.values()].sort((a, b) => compareIds(a.peerId, b.peerId))) {
      if (peer.requests.size > 0 && now >= silentAt(peer, this.config.peerSilenceTimeoutS)) this.abandon(now, peer, "silent");
    }
    this.upload.handleTimer(now);
    this.schedule(now);
  }

  /** Complete, verified segments we can serve (what HAVE announces). */
  completeSeqs(): number[] {
    return sortedNumbers(this.book.local.keys());
  }

  /** Stats plus a little state, for the stats API. */
  snapshot(): Record<string, number> {
    return {
      ...this.stats,
      completeSegments: this.book.local.size,
      peers: this.book.peers.size,
      httpRateEstimate: Math.round(this.clock.httpRate),
      playerLoads: this.playerLoads.size,
    };
  }

  // --- internals: planning ---

  /** Re-plans every incomplete segment; runs after every event and timer. */
  protected override schedule(now: number): void {
    this.clock.updateSlowLink(now);
    this.clock.updateHead(now, this.book.segments.values());
    this.checkDeadlines(now);
    this.book.promiseS = this.clock.progressTimeout();
    // (segment, deadline, usable holders), holders computed once per pass
    const assignable: [SegmentState, number, RemotePeer[]][] = [];
    const linkBudget = tightLinkBudget(this.clock, this.config, this.book.segments.values());
    const sharedRate = downlinkSharedRate(this.clock, this.config);
    const loadBitrate = (this.streamBitrateBps ?? 0) / 8; // a player load's size when not known
    markLinkSharing(this.book.segments.values(), this.playerLoads.values(), now, this.clock, this.config, loadBitrate);
    // What is due before each segment (deadline order): see player_loads.ts.
    const earlier = new DownlinkQueue(now, sharedRate, this.config.httpMarginS);
    // The player's loads in flight, by seq, and their size when not known.
    const loads = this.config.playerLoadsShareLink ? [...this.playerLoads.values()].sort((a, b) => a.seq - b.seq) : [];
    for (const seq of sortedNumbers(this.book.segments.keys())) {
      const segment = this.book.segments.get(seq) as SegmentState;
      while (loads.length > 0 && (loads[0] as PlayerLoad).seq <= seq) {
        const load = loads.shift() as PlayerLoad;
        earlier.addLoad(load, this.clock.deadlineOf(load), this.clock.httpRate, loadBitrate);
      }
      const deadline = this.clock.deadline(segment);
      if (deadline === null && !this.seeder) continue;
      const lateBefore = earlier.late;
      const head = earlier.missing === 0; // nothing due before it is missing
      const linkFull = lateBefore || (linkBudget !== null && earlier.missing >= linkBudget);
      let missing = segment.missingBytes();
      // Past its deadline (and `stallReportGraceS`) and playback not waiting on it: played or skipped (its bytes came some other way), it holds nothing.
      if (deadline !== null && deadline + this.config.stallReportGraceS <= now && !this.clock.waitingOn(segment)) missing = 0;
      earlier.add(missing, deadline);
      if (this.seeder || deadline === null) {
        this.fetchHttp(now, segment, false, this.seeder ? "seeder" : "no-deadline");
        continue;
      }
      if (now >= this.gate.takeoverAt(now, segment, deadline)) {
        if (lateBefore && !this.clock.waitingOn(segment)) continue; // earliest deadline first: see `newFetchShareX`
        const early = now < this.clock.fallbackAt(segment, deadline);
        const race = this.gate.stalledRaceAt(segment);
        const why = race !== null && now >= race ? "race-takeover" : early ? "pace-takeover" : "fallback-takeover";
        this.fetchHttp(now, segment, true, why);
        continue;
      }
      if (head && thinLead(this.clock, this.config, segment, now, deadline)) {
        this.fetchHttp(now, segment, false, "thin-lead");
        continue;
      }
      const holders = this.book.usableHolders(now, segment.seq);
      if (holders.length > 0 && lateBefore && this.downlinkFirst(segment)) continue; // see `slowLinkHoldsPeerRequests`
      if (holders.length > 0) {
        // A copy is coming: tell ours it is (multi-hop cut-through).
        if (this.config.relayAnnouncePieces > 0 && segment.announcedCount < 0) segment.announcePending = true;
        if (deadline - now <= this.config.prefetchHorizonS) assignable.push([segment, deadline, holders]);
        continue;
      }
      if (linkFull && !this.clock.waitingOn(segment)) continue; // a tight link is busy with earlier segments
      if (head && this.catchUp(now, segment)) {
        this.fetchHttp(now, segment, false, "catch-up");
        continue;
      }
      const reason = this.gate.fetchUnheldReason(now, segment);
      // Neighbours as blocked as we are (everyone arriving at once): one of them goes first.
      if (reason !== null && !this.gate.blockedElection(now, this.localPeerId, segment)) this.fetchHttp(now, segment, false, reason);
    }
    const window = this.config.urgentWindowS;
    const urgent = assignable.filter(([, d]) => d - now <= window);
    const background = assignable.filter(([, d]) => d - now > window);
    urgent.sort(([sa, da], [sb, db]) => da - db || sa.seq - sb.seq);
    background.sort(([sa, da, ha], [sb, db, hb]) => ha.length - hb.length || da - db || sa.seq - sb.seq);
    this.owed = owedBudget(this.book, this.config, this.clock.slowLink, this.clock.httpRate);
    for (const [segment, deadline, holders] of [...urgent, ...background]) {
      this.requestFromPeers(now, segment, holders, this.config.spreadSingleHolder && deadline - now > window); // never an urgent segment
    }
    // The requests just sent share the link too: for the timers.
    markLinkSharing(this.book.segments.values(), this.playerLoads.values(), now, this.clock, this.config, loadBitrate);
    this.announcePartial(now);
  }

  /** A playing member's next unheld segment published before it learned of it comes from the origin at once (`catchUpUnheld`). */
  private catchUp(now: number, segment: SegmentState): boolean {
    return this.config.catchUpUnheld && segment.httpFirstAt === null && this.clock.playing && !this.gate.connectWait(now);
  }

  /** New peer requests for this later segment wait for earlier ones on a link slower than the origin (`slowLinkHoldsPeerRequests`); never what playback waits on. */
  private downlinkFirst(segment: SegmentState): boolean {
    return this.config.slowLinkHoldsPeerRequests && this.clock.slowLink && !this.clock.waitingOn(segment);
  }

  /** Pieces neighbours may still be asked for in this pass (`owedBudget`; null: not bounded). */
  private owed: number | null = null;

  /**
   * Deals the segment's free pieces in blocks to the least-loaded holders, each owing at most
   * `pacedLimit` pieces (and, on a slow link beside our own origin fetch, what `owed` leaves); a
   * neighbour that holds part of it is asked only for pieces it announced. With `spread` (a segment
   * not yet urgent, `spreadSingleHolder`) and one neighbour announcing it, blocks start from an
   * offset this member draws for the segment (`spreadRun`).
   */
  private requestFromPeers(now: number, segment: SegmentState, holders: RemotePeer[], spread: boolean): void {
    const limitPerPeer = this.config.maxInflightPiecesPerPeer;
    const budgeted = this.owed !== null;
    // Runs every pass for every segment in the horizon: skip at once what cannot yield a request
    // (nothing free, or a neighbour that has announced no piece yet).
    let firstFree = segment.freeRun(0, 1)?.[0];
    const sources = announcing(holders, segment.seq);
    const offset = spread && sources.length === 1 ? Math.floor(electionUnit(this.localPeerId, segment.seq) * segment.pieceCount) : null;
    while (firstFree !== undefined && sources.length > 0) {
      if (budgeted && (this.owed as number) <= 0) return;
      const loads = sources.map((peer) => ({ peer, load: peer.inflightPieces() }));
      loads.sort((a, b) => a.load - b.load || (a.peer.peerId < b.peer.peerId ? -1 : a.peer.peerId > b.peer.peerId ? 1 : 0));
      let opened = false;
      for (const { peer, load } of loads) {
        if (load >= limitPerPeer) return;
        const cap = pacedLimit(this.config, peer);
        if (load >= cap) continue; // a slow holder owes its `requestPaceS` already
        let limit = Math.min(this.config.requestBlockPieces, peer.maxPiecesPerRequest, cap - load);
        if (budgeted) limit = Math.min(limit, this.owed as number);
        const held = peer.held(segment.seq);
        const run = offset === null ? segment.freeRun(firstFree, limit, held) : spreadRun(segment, held, limit, offset);
        if (run) {
          this.book.openRequest(now, peer, segment, run[0], run[1]);
          if (budgeted) this.owed = (this.owed as number) - (run[1] - run[0]);
          this.onDecision?.(now, segment.seq, "peer-request", { peer: peer.peerId, firstPiece: run[0], pieceCount: run[1] - run[0] });
          opened = true;
          break;
        }
      }
      if (!opened) return;
      firstFree = segment.freeRun(firstFree, 1)?.[0];
    }
  }

  /**
   * Fetches the segment's missing pieces from the origin. With `takeOver`, pieces still owed by
   * peers are cancelled there and fetched too (the fallback point was reached).
   */
  private fetchHttp(now: number, segment: SegmentState, takeOver: boolean, reason: string): void {
    if (now < segment.httpRetryAt) return;
    if (takeOver) {
      for (const requestId of segment.owingRequestIds()) {
        const request = this.book.requests.get(requestId);
        if (!request) continue; // cancelled with its peer, abandoned just above
        const peer = this.book.peers.get(request.peerId) as RemotePeer;
        this.book.cancelRequest(request);
        // A pace takeover judged this segment only: its other requests may be on time.
        if (now - request.sentAt >= this.config.peerSilenceTimeoutS && reason !== "pace-takeover") this.abandon(now, peer, "slow");
      }
    }
    let index = 0;
    for (let run = segment.freeRun(index, segment.pieceCount); run !== null; run = segment.freeRun(index, segment.pieceCount)) {
      const first = run[0];
      index = run[1];
      this.book.openFetch(now, segment, first, index);
      this.onDecision?.(now, segment.seq, reason, { firstPiece: first, pieceCount: index - first });
    }
  }

  // --- internals: peers and deadlines ---

  private abandon(now: number, peer: RemotePeer, reason: AbandonReason): void {
    for (const request of [...peer.requests.values()].sort((a, b) => a.requestId - b.requestId)) this.book.cancelRequest(request);
    if (peer.cooldownUntil <= now) {
      this.stats.peersAbandoned += 1;
      this.actions.push({ action: "abandon_peer", peer: peer.peerId, reason });
      this.onDecision?.(now, -1, "abandon-peer", { peer: peer.peerId, reason });
    }
    peer.cooldownUntil = now + this.config.peerCooldownS;
  }

  /** Counts stalls, and drops segments the playhead has left behind. */
  private checkDeadlines(now: number): void {
    const playhead = this.clock.playhead;
    if (playhead === null) return;
    const current = playhead.positionAt(now);
    for (const seq of sortedNumbers(this.book.segments.keys())) {
      const segment = this.book.segments.get(seq) as SegmentState;
      if (segment.start + segment.duration <= current) {
        this.book.dropSegment(seq);
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
}
