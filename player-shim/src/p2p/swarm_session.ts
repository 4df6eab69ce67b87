/**
 * The adapter around one swarm's pure scheduler: feeds it wire messages, verified pieces, HTTP
 * results, the playhead and time; carries out its actions on data channels, the origin and
 * signaling; and hands complete, verified segments to whoever waits for them (the hls.js loader).
 * The neighbours (links, wire messages, swarm size) are in session_neighbours.ts; how a segment
 * enters the session in segment_intake.ts.
 */

import { verifyFile } from "../protocol/integrity";
import type { SchedulerAction } from "../scheduler/actions";
import { PieceScheduler } from "../scheduler/piece_scheduler";
import type { NeighbourGuard } from "./neighbour_guard";
import { DeliveryWatch } from "./delivery_watch";
import { OriginFetcher } from "./origin_fetcher";
import { SegmentIntake } from "./segment_intake";
import { type SegmentBuffer, SegmentStore } from "./segment_store";
import { SegmentWaiters } from "./segment_waiters";
import type { SegmentInfo, SessionDeps } from "./session_deps";
import { SessionNeighbours } from "./session_neighbours";
import { SessionTimeline } from "./session_timeline";
import type { Neighbour, SignalKind } from "./signaling_client";
import { broadcastFrame, frameFor } from "./wire_translate";

export type { Clock, SegmentInfo, SessionDeps, SignalingPort } from "./session_deps";

export class SwarmSession {
  readonly swarm: string;
  readonly scheduler: PieceScheduler;
  readonly store: SegmentStore;
  private readonly neighbours: SessionNeighbours;
  private readonly intake: SegmentIntake;
  private readonly delivery: DeliveryWatch;
  private readonly waiters = new SegmentWaiters();
  /** Segments the player asked for whose records are still coming (`addSegment(info, true)`): how many asks each. */
  private readonly asked = new Map<number, number>();
  private readonly fetcher: OriginFetcher;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** What neighbours may announce (§5.1; session_neighbours.ts). */
  readonly guard: NeighbourGuard;
  private draining = false;
  private closed = false;
  private readonly tl: SessionTimeline | null;

  constructor(private readonly deps: SessionDeps) {
    this.swarm = deps.swarm;
    this.store = new SegmentStore(deps.options.maxStoredSegments);
    const tl = deps.timeline ? new SessionTimeline(deps.timeline, deps.swarm, () => this.scheduler, this.store, () => this.nowS()) : null;
    this.tl = tl;
    this.scheduler = new PieceScheduler(deps.schedulerConfig, deps.localPeerId, this.nowS(), false, tl && ((...a) => tl.decision(...a)));
    this.fetcher = new OriginFetcher({
      origin: deps.origin,
      emitter: deps.emitter,
      swarm: deps.swarm,
      nowMs: () => deps.clock.now(),
      timeline: tl,
      pieceChecked: (fetchId, seq, index, valid) => this.scheduler.httpPieceReceived(this.nowS(), fetchId, seq, index, valid),
      failed: (fetchId) => {
        this.scheduler.httpFailed(this.nowS(), fetchId);
        this.drain();
      },
      progressed: () => this.drain(),
    });
    this.intake = new SegmentIntake({
      swarm: deps.swarm,
      store: this.store,
      scheduler: this.scheduler,
      record: deps.record,
      emitter: deps.emitter,
      nowMs: () => deps.clock.now(),
      nowS: () => this.nowS(),
      timeline: tl,
      closed: () => this.closed,
      drain: () => this.drain(),
    });
    this.delivery = new DeliveryWatch({ store: this.store, intake: this.intake, fetcher: this.fetcher, scheduler: this.scheduler, nowMs: () => deps.clock.now() });
    this.neighbours = new SessionNeighbours(deps, {
      scheduler: this.scheduler,
      store: this.store,
      delivery: this.delivery,
      timeline: tl,
      nowS: () => this.nowS(),
      closed: () => this.closed,
      drain: () => this.drain(),
      log: (...args) => this.log(...args),
    });
    this.guard = this.neighbours.guard;
  }

  private nowS(): number {
    return this.deps.clock.now() / 1000;
  }

  private log(...args: unknown[]): void {
    if (this.deps.options.debug) console.debug("[swarmcast]", this.swarm, ...args);
  }

  // --- neighbours (links, wire messages, swarm size: session_neighbours.ts) --------------

  /** Neighbours signaling assigned, connected or still connecting. */
  get neighbourCount(): number {
    return this.neighbours.neighbourCount;
  }

  get peerCount(): number {
    return this.neighbours.peerCount;
  }

  /** A neighbour assigned by signaling (an existing link to it is kept, §4.3). */
  addNeighbour(neighbour: Neighbour): void {
    this.neighbours.addNeighbour(neighbour);
  }

  removeNeighbour(peerId: string, reason: string): void {
    this.neighbours.removeNeighbour(peerId, reason);
  }

  handleSignal(from: string, kind: SignalKind, data: Record<string, unknown>): void {
    this.neighbours.handleSignal(from, kind, data);
  }

  /** The swarm's member count from signaling (see swarm_size_poll.ts); sizes the election. */
  setSignalingSwarmSize(peers: number): void {
    this.neighbours.setSignalingSwarmSize(peers);
  }

  /** The swarm size poll: stopped with the session. */
  attachSwarmSizePoll(poll: { stop(): void }): void {
    this.neighbours.attachSwarmSizePoll(poll);
  }

  /** The newest seq the playlist lists: the centre of the announcement window. */
  setLiveEdge(seq: number): void {
    this.neighbours.setLiveEdge(seq);
  }

  // --- segments --------------------------------------------------------------------------

  /**
   * Makes the scheduler aware of a segment (fetching and checking its record first). Resolves
   * with its buffer, or null when the record cannot be had (the caller then uses plain HTTP).
   * `asked`: the player asked for it (the engine's `load`, which then waits for it): fetched
   * even while the player is leaving this rendition (`SessionDeps.leaving`).
   */
  async addSegment(info: SegmentInfo, asked = false): Promise<SegmentBuffer | null> {
    this.setLiveEdge(info.seq);
    if (!asked) return this.intake.add(info);
    this.asked.set(info.seq, (this.asked.get(info.seq) ?? 0) + 1);
    try {
      return await this.intake.add(info);
    } finally {
      const left = (this.asked.get(info.seq) ?? 1) - 1;
      if (left > 0) this.asked.set(info.seq, left);
      else this.asked.delete(info.seq);
    }
  }

  /**
   * The player announced a switch away from this rendition (`SessionDeps.leaving` is now true):
   * origin fetches of segments it did not ask for stop. Their remaining bytes would reach the
   * viewer ahead of the new rendition's playlist and fragment: a page's requests share one
   * connection behind an HTTP/2 edge, and on a mobile link one segment is 1-2 s of it.
   */
  playerLeaving(): void {
    if (this.closed) return;
    for (const seq of this.fetcher.fetchingSeqs()) if (!this.wanted(seq)) this.fetcher.abandonSeq(seq);
    this.drain();
  }

  /** The player waits for `seq` from this session (or asked for it and its record is coming). */
  private wanted(seq: number): boolean {
    return this.waiters.has(seq) || this.asked.has(seq);
  }

  /** While the player is leaving this rendition, `seq` is not fetched (neither asked of neighbours nor of the origin). */
  private leftBehind(seq: number): boolean {
    return this.deps.leaving?.() === true && !this.wanted(seq);
  }

  /** The segment is still arriving (delivery_watch.ts): the loader's safety net keeps waiting. */
  deliveryUnderway(seq: number, graceMs: number): boolean {
    return this.delivery.underway(seq, graceMs);
  }

  /** When this session's earliest origin fetch of `seq` in flight began (ms); null: none. */
  originFetchSince(seq: number): number | null {
    return this.fetcher.fetchingSince(seq);
  }

  /** Resolves once `seq` is complete and its whole-file hash checked. */
  waitForSegment(seq: number, signal: AbortSignal): Promise<SegmentBuffer> {
    const buffer = this.store.get(seq);
    if (buffer?.complete) return Promise.resolve(buffer);
    return this.waiters.wait(seq, signal);
  }

  /** Bytes hls.js got over plain HTTP: seedable once they match the signed record. */
  offerHttpSegment(info: SegmentInfo, data: Uint8Array): Promise<void> {
    this.setLiveEdge(info.seq);
    this.intake.playerFetched(info.seq);
    return this.intake.offerHttp(info, data);
  }

  /**
   * The player fetches `seq` over plain HTTP (the loader's safety net fired): the session drops
   * its unfinished copy, so the scheduler does not pull the same bytes from a congested origin
   * beside the player's (bench/results/flash-crowd/README.md, session 13). The player's copy
   * comes back through `offerHttpSegment` and is seeded from there.
   */
  playerFetches(seq: number): void {
    if (this.closed) return;
    this.intake.playerFetches(seq);
    if (this.store.get(seq)?.complete === false) this.forgetSegment(this.nowS(), seq);
    this.drain();
  }

  /** The latest segment's bitrate (bits/s; null: none yet). */
  get streamBitrateBps(): number | null {
    return this.scheduler.streamBitrateBps;
  }

  /** The operator's upload policy (or the tab's visibility) changed: in force at once. */
  setUploadLimits(rateBytesPerS: number | null, slots: number): void {
    this.scheduler.setUploadLimits(this.nowS(), rateBytesPerS, slots);
    this.drain();
  }

  /**
   * The viewer's measured origin download rate (download_meter.ts), for the fallback points until a
   * fetch of this session's is measured; `measuredAtMs` (clock ms) lets a fresh one count as the
   * member's own (`OriginGate.originKnownFast`).
   */
  seedHttpRate(rateBytesPerS: number, measuredAtMs: number | null = null): void {
    this.scheduler.clock.seedHttpRate(rateBytesPerS, measuredAtMs === null ? null : measuredAtMs / 1000);
  }

  /**
   * The player loads `seq` over plain HTTP itself (`inFlight`), or that load ended: its bytes share
   * this viewer's downlink with the scheduler's origin fetches and come first (player_loads.ts).
   */
  playerLoad(seq: number, start: number, duration: number, inFlight: boolean): void {
    if (this.closed) return;
    if (inFlight) this.scheduler.playerLoad(this.nowS(), seq, start, duration);
    else this.scheduler.playerLoadEnded(this.nowS(), seq);
    this.drain();
  }

  /** This viewer's upload capacity measured while backlogged (uplink_meter.ts; null: not yet). */
  setMeasuredUplink(rateBytesPerS: number | null): void {
    if (this.closed) return;
    this.scheduler.setMeasuredUplink(this.nowS(), rateBytesPerS);
    this.drain();
  }

  /**
   * Where playback is. Origin downloads of segments the playhead has left (hls.js jumped to the
   * live edge) stop: the scheduler forgot them, and on a congested origin they would go on
   * taking the link from the segments the jumped member and its neighbours now need.
   */
  setPlayhead(position: number, playing: boolean): void {
    this.scheduler.setPlayhead(this.nowS(), position, playing);
    for (const seq of this.fetcher.fetchingSeqs()) {
      const buffer = this.store.get(seq);
      if (buffer && buffer.start + buffer.duration <= position) this.fetcher.abortSeq(seq);
    }
    this.drain();
  }

  // --- actions ---------------------------------------------------------------------------

  /** Carries out the scheduler's actions (repeatedly: carrying them out may add more). */
  private drain(): void {
    if (this.draining || this.closed) return;
    this.draining = true;
    try {
      for (let actions = this.scheduler.popActions(); actions.length > 0; actions = this.scheduler.popActions()) {
        for (const action of actions) this.execute(action);
      }
    } finally {
      this.draining = false;
    }
    this.armTimer();
  }

  private armTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const at = this.scheduler.nextTimer();
    if (at === null || this.closed) return;
    const delayMs = Math.max(0, at * 1000 - this.deps.clock.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.scheduler.handleTimer(this.nowS());
      this.drain();
    }, delayMs + 1); // +1 ms: never wake a hair before the scheduler's own time
  }

  private execute(action: SchedulerAction): void {
    this.tl?.action(action);
    const broadcast = broadcastFrame(action);
    if (broadcast) {
      this.neighbours.broadcast(broadcast, action.action === "announce_pieces" ? action.seq : null);
      return;
    }
    if (action.action === "request") {
      const buffer = this.store.get(action.seq);
      if (buffer?.complete) return; // queued before the segment completed
      if (this.deps.measureOnly?.()) return this.scheduler.requestRejected(this.nowS(), action.peer, action.requestId, "choked");
      // Retired for now (a switch's join runs; the player may come back): "busy", not "choked",
      // which would leave the neighbour marked as choking us until an UNCHOKE it never sends.
      if (this.deps.retired?.() || this.leftBehind(action.seq)) return this.scheduler.requestRejected(this.nowS(), action.peer, action.requestId, "busy");
      buffer?.noteRequested(this.deps.clock.now());
    }
    const frame = "peer" in action ? frameFor(action, this.store) : null;
    if (frame) {
      this.neighbours.link((action as { peer: string }).peer)?.send(frame);
      return;
    }
    switch (action.action) {
      case "http_fetch": {
        const buffer = this.store.get(action.seq);
        const url = this.intake.urls.get(action.seq);
        if (!buffer || !url || buffer.complete) return; // queued before the segment completed
        // A rendition the player left: its segments would only slow the new one's on our link.
        if (this.deps.retired?.() || this.leftBehind(action.seq)) return this.scheduler.httpFailed(this.nowS(), action.fetchId);
        buffer.noteRequested(this.deps.clock.now(), "http");
        void this.fetcher.fetch(action.fetchId, buffer, url, action.firstPiece, action.pieceCount);
        return;
      }
      case "abandon_peer":
      case "deadline_missed":
        this.log(action.action, action);
        return;
      case "drop_peer":
        this.neighbours.drop(action.peer, action.reason);
        return;
      case "announce_have":
        void this.segmentComplete(action.seq);
        return;
    }
  }

  /** Whole-file check (defence in depth), then wake waiters and trim the store. */
  private async segmentComplete(seq: number): Promise<void> {
    const buffer = this.store.get(seq);
    if (!buffer) return;
    try {
      await verifyFile(buffer.record, buffer.bytes());
    } catch (e) {
      // Cannot happen when every piece matched a signed hash; fail loudly rather than play it.
      this.deps.emitter.emit("verification-failure", { peerId: null, swarm: this.swarm, seq, reason: String(e) });
      this.waiters.reject(seq, e instanceof Error ? e : new Error(String(e)));
      return;
    }
    this.neighbours.broadcast({ type: "have_delta", seq }, null);
    this.waiters.resolve(seq, buffer);
    this.evict();
  }

  private evict(): void {
    const keep = new Set<number>([...this.waiters.seqs(), ...this.intake.pending()]);
    const now = this.nowS();
    for (const seq of this.store.evictionCandidates(keep)) this.forgetSegment(now, seq);
    this.drain();
  }

  private forgetSegment(now: number, seq: number): void {
    this.store.delete(seq);
    this.intake.urls.delete(seq);
    this.delivery.forget(seq);
    this.scheduler.segmentRemoved(now, seq);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.neighbours.stopSizePoll();
    this.fetcher.close();
    this.neighbours.closeAll();
    this.waiters.rejectAll(new Error("swarm closed"));
  }
}
