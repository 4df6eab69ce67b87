/**
 * The adapter around one swarm's pure scheduler: feeds it wire messages, verified pieces, HTTP
 * results, the playhead and time; carries out its actions on data channels, the origin and
 * signaling; and hands complete, verified segments to whoever waits for them (the hls.js loader).
 */

import { IntegrityError, verifyFile, verifyPiece } from "../protocol/integrity";
import {
  CAPABILITY_UPLOAD,
  GoodbyeReason,
  haveSeqs,
  heldPieces,
  type WireMessage,
} from "../protocol/wire";
import type { SchedulerAction } from "../scheduler/actions";
import { PieceScheduler } from "../scheduler/piece_scheduler";
import { NeighbourGuard, type Verdict } from "./neighbour_guard";
import { reportPath } from "./link_path";
import { PeerLink, type Link } from "./peer_link";
import { DeliveryWatch } from "./delivery_watch";
import { OriginFetcher } from "./origin_fetcher";
import { SegmentIntake } from "./segment_intake";
import { type SegmentBuffer, SegmentStore } from "./segment_store";
import { SegmentWaiters } from "./segment_waiters";
import type { SegmentInfo, SessionDeps } from "./session_deps";
import { SessionTimeline } from "./session_timeline";
import type { Neighbour, SignalKind } from "./signaling_client";
import { broadcastFrame, frameFor, REJECT_NAMES } from "./wire_translate";

export type { Clock, SegmentInfo, SessionDeps, SignalingPort } from "./session_deps";

interface NeighbourState {
  link: Link;
  hello: boolean;
  /** Its first HAVE arrived: until then it counts as still connecting (startup waits for it). */
  announced: boolean;
  lastBadSeq: number | null;
}

export class SwarmSession {
  readonly swarm: string;
  readonly scheduler: PieceScheduler;
  readonly store: SegmentStore;
  private readonly neighbours = new Map<string, NeighbourState>();
  private readonly intake: SegmentIntake;
  private readonly delivery: DeliveryWatch;
  private readonly waiters = new SegmentWaiters();
  private readonly fetcher: OriginFetcher;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** What neighbours may announce (§5.1); `liveEdge` is the newest seq our playlist lists. */
  readonly guard = new NeighbourGuard();
  private liveEdge = -1;
  /** Members of the swarm as signaling counts them (`/api/swarm-size`); 0 = not known yet. */
  private signalingSize = 0;
  private sizePoll: { stop(): void } | null = null;
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
  }

  private nowS(): number {
    return this.deps.clock.now() / 1000;
  }

  private log(...args: unknown[]): void {
    if (this.deps.options.debug) console.debug("[swarmcast]", this.swarm, ...args);
  }

  // --- neighbours ------------------------------------------------------------------------

  /** Neighbours signaling assigned, connected or still connecting. */
  get neighbourCount(): number {
    return this.neighbours.size;
  }

  get peerCount(): number {
    return [...this.neighbours.values()].filter((s) => s.hello).length;
  }

  /**
   * A neighbour assigned by signaling. An existing link to it is kept: its offer may have
   * overtaken this announcement (§4.3). A rebuilt link is a `remove` first (see the engine).
   */
  addNeighbour(neighbour: Neighbour): void {
    if (this.closed || this.neighbours.has(neighbour.peerId) || this.guard.isRefused(this.nowS(), neighbour.peerId)) return;
    const state = this.createLink(neighbour.peerId, neighbour.initiator);
    void state.link.start();
    this.updateSwarmSize();
  }

  removeNeighbour(peerId: string, reason: string): void {
    const state = this.neighbours.get(peerId);
    if (!state) return;
    state.link.close(reason, GoodbyeReason.NORMAL);
    this.neighbours.delete(peerId); // closed() may come later (or not at all for a dead link)
    this.updateSwarmSize();
  }

  handleSignal(from: string, kind: SignalKind, data: Record<string, unknown>): void {
    if (this.closed) return;
    let state = this.neighbours.get(from);
    if (!state && this.guard.isRefused(this.nowS(), from)) return; // it broke the protocol
    // An offer may overtake the `neighbours` event that announces its sender (§4.3).
    if (!state && kind === "offer") state = this.createLink(from, false);
    if (state) void state.link.handleSignal(kind, data);
  }

  private createLink(peerId: string, initiator: boolean): NeighbourState {
    const { options } = this.deps;
    const createLink = this.deps.createLink ?? ((o) => new PeerLink(o));
    const link = createLink({
      peerId,
      initiator,
      rtcConfig: this.deps.rtcConfig,
      sendSignal: (kind, data) => this.deps.signaling.signal(peerId, kind, data),
      highWaterMark: options.channelHighWaterMark,
      lowWaterMark: options.channelLowWaterMark,
      connectTimeoutMs: options.peerConnectTimeoutMs,
      handlers: {
        open: (l) => this.onLinkOpen(l),
        message: (l, msg) => this.onMessage(l, msg),
        protocolError: (l, error) => {
          this.log("protocol error from", l.peerId, error.message);
          this.guard.refuse(this.nowS(), l.peerId);
          this.deps.signaling.report(l.peerId, "protocol-error", null);
        },
        closed: (l, reason) => this.onLinkClosed(l, reason),
        pieceSent: (l, bytes) => this.deps.emitter.emit("upload", { peerId: l.peerId, bytes, swarm: this.swarm }),
      },
    });
    const state: NeighbourState = { link, hello: false, announced: false, lastBadSeq: null };
    this.neighbours.set(peerId, state);
    return state;
  }

  private onLinkOpen(link: Link): void {
    const { options, signaling } = this.deps;
    if (signaling.path) void reportPath(link, (path) => signaling.path?.(link.peerId, path));
    link.send({
      type: "hello",
      capabilities: CAPABILITY_UPLOAD,
      pieceSize: options.pieceSize,
      maxPiecesPerRequest: options.maxPiecesPerRequest,
      swarmId: this.swarm,
    });
  }

  private onLinkClosed(link: Link, reason: string): void {
    const state = this.neighbours.get(link.peerId);
    if (!state || state.link !== link) return; // an older link of a rebuilt pair
    this.neighbours.delete(link.peerId);
    this.guard.forget(link.peerId);
    if (state.hello) {
      this.tl?.peerClosed(link.peerId, reason);
      this.deps.emitter.emit("peer-close", { peerId: link.peerId, swarm: this.swarm, reason });
      this.scheduler.peerClosed(this.nowS(), link.peerId);
      this.drain();
    } else if (!this.closed && reason === "connect timeout") {
      this.deps.signaling.report(link.peerId, "unreachable", null);
    }
    this.updateSwarmSize();
  }

  /**
   * The swarm's member count from signaling (see swarm_size_poll.ts); `poll` is stopped with the
   * session. The election sizes its tiers with it (at least neighbours + 1).
   */
  setSignalingSwarmSize(peers: number): void {
    if (this.closed) return;
    this.signalingSize = peers;
    this.updateSwarmSize();
  }

  attachSwarmSizePoll(poll: { stop(): void }): void {
    this.sizePoll?.stop();
    if (this.closed) poll.stop();
    else this.sizePoll = poll;
  }

  /** Swarm size for the election, and how many neighbours are still connecting (no HAVE yet). */
  private updateSwarmSize(): void {
    const now = this.nowS();
    this.scheduler.setSwarmSize(now, Math.max(this.signalingSize, this.neighbours.size + 1));
    let connecting = 0;
    for (const state of this.neighbours.values()) if (!state.announced) connecting++;
    this.scheduler.setConnectingPeers(now, connecting);
    this.drain();
  }

  // --- wire messages ---------------------------------------------------------------------

  private onMessage(link: Link, msg: WireMessage): void {
    const state = this.neighbours.get(link.peerId);
    if (!state || state.link !== link) return;
    const now = this.nowS();
    if (!state.hello) {
      if (msg.type !== "hello") return; // nothing counts before HELLO
      // §5 session order: a different swarm or piece size ends the link (GOODBYE protocol-error).
      if (msg.swarmId !== this.swarm || msg.pieceSize !== this.deps.options.pieceSize) {
        link.close(`HELLO for ${msg.swarmId} with ${msg.pieceSize}-byte pieces`, GoodbyeReason.PROTOCOL_ERROR);
        return;
      }
      state.hello = true;
      this.tl?.peerOpened(link.peerId);
      this.deps.emitter.emit("peer-connect", { peerId: link.peerId, swarm: this.swarm });
      this.scheduler.peerConnected(now, link.peerId, msg.capabilities, msg.maxPiecesPerRequest);
      this.drain();
      return;
    }
    this.tl?.message(link.peerId, msg);
    switch (msg.type) {
      case "hello":
        return; // repeated HELLO: harmless, ignored
      case "have":
        this.onAnnounce(now, link, this.guard.have(now, link.peerId, haveSeqs(msg), this.liveEdge));
        if (!state.announced) {
          state.announced = true;
          this.updateSwarmSize();
        }
        break;
      case "have_delta":
        this.onAnnounce(now, link, this.guard.haveDelta(now, link.peerId, msg.seq, this.liveEdge));
        break;
      case "have_pieces": {
        const verdict = this.guard.havePieces(now, link.peerId, msg.seq, this.liveEdge);
        if (verdict.seqs.length > 0) {
          this.delivery.partial(msg.seq);
          this.scheduler.peerHavePieces(now, link.peerId, msg.seq, heldPieces(msg));
        }
        this.onAnnounce(now, link, { ...verdict, seqs: [] });
        break;
      }
      case "request":
      case "cancel": {
        const verdict = this.guard.request(now, link.peerId, link.piecesSent);
        if (verdict.refused) this.onAnnounce(now, link, verdict);
        else if (msg.type === "cancel") this.scheduler.uploadCancel(now, link.peerId, msg.requestId);
        else this.scheduler.uploadRequest(now, link.peerId, msg.requestId, msg.seq, msg.firstPiece, msg.pieceCount);
        break;
      }
      case "reject":
        this.scheduler.requestRejected(now, link.peerId, msg.requestId, REJECT_NAMES[msg.reason] ?? "bad_request");
        break;
      case "choke":
      case "unchoke":
        this.scheduler.peerChoked(now, link.peerId, msg.type === "choke");
        break;
      case "piece":
        void this.onPiece(state, msg.requestId, msg.seq, msg.index, msg.data);
        return;
      case "goodbye":
        return; // handled by the link
    }
    this.drain();
  }

  /** Only frames the guard passed reach the scheduler; a violator is dropped (§5.1). */
  private onAnnounce(now: number, link: Link, verdict: Verdict): void {
    if (verdict.replace) this.scheduler.peerHave(now, link.peerId, verdict.seqs);
    else for (const seq of verdict.seqs) this.scheduler.peerHaveDelta(now, link.peerId, seq);
    if (!verdict.drop) return;
    this.guard.refuse(now, link.peerId);
    this.deps.signaling.report(link.peerId, "protocol-error", null);
    link.close("neighbour flood", GoodbyeReason.PROTOCOL_ERROR);
  }

  /** The newest seq the playlist lists: the centre of the announcement window. */
  setLiveEdge(seq: number): void {
    this.liveEdge = Math.max(this.liveEdge, seq);
  }

  /** Verifies a peer's piece against the signed record before it is stored or counted. */
  private async onPiece(state: NeighbourState, requestId: number, seq: number, index: number, data: Uint8Array): Promise<void> {
    const buffer = this.store.get(seq);
    if (!buffer || buffer.complete) return; // unknown or finished segment: nothing to check it against
    const peerId = state.link.peerId;
    let valid = true;
    try {
      await verifyPiece(buffer.record, index, data);
    } catch (e) {
      if (!(e instanceof IntegrityError)) throw e;
      valid = false;
      state.lastBadSeq = seq;
      this.deps.emitter.emit("verification-failure", { peerId, swarm: this.swarm, seq, reason: e.message });
    }
    if (this.closed) return;
    if (valid && buffer.setPiece(index, data.slice(), "p2p", this.deps.clock.now())) {
      this.deps.emitter.emit("bytes", { source: "p2p", bytes: data.length, peerId, swarm: this.swarm, seq });
    }
    this.scheduler.pieceReceived(this.nowS(), peerId, requestId, seq, index, valid);
    this.drain();
  }

  // --- segments --------------------------------------------------------------------------

  /**
   * Makes the scheduler aware of a segment (fetching and checking its record first). Resolves
   * with its buffer, or null when the record cannot be had (the caller then uses plain HTTP).
   */
  addSegment(info: SegmentInfo): Promise<SegmentBuffer | null> {
    this.setLiveEdge(info.seq);
    return this.intake.add(info);
  }

  /** The segment is still arriving (delivery_watch.ts): the loader's safety net keeps waiting. */
  deliveryUnderway(seq: number, graceMs: number): boolean {
    return this.delivery.underway(seq, graceMs);
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

  /** The operator's upload policy (or the tab's visibility) changed: in force at once. */
  setUploadLimits(rateBytesPerS: number | null, slots: number): void {
    this.scheduler.setUploadLimits(this.nowS(), rateBytesPerS, slots);
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

  private link(peerId: string): Link | null {
    const state = this.neighbours.get(peerId);
    return state && state.hello ? state.link : null;
  }

  private execute(action: SchedulerAction): void {
    this.tl?.action(action);
    const broadcast = broadcastFrame(action);
    if (broadcast) {
      // No HAVE_PIECES to a neighbour holding the whole segment: it ignores them, but pays a
      // message and a scheduling pass for each.
      const seq = action.action === "announce_pieces" ? action.seq : null;
      for (const [peerId, state] of this.neighbours) {
        if (!state.hello || (seq !== null && this.scheduler.neighbourHolds(peerId, seq))) continue;
        this.link(peerId)?.send(broadcast);
      }
      return;
    }
    if (action.action === "request") {
      const buffer = this.store.get(action.seq);
      if (buffer?.complete) return; // queued before the segment completed
      if (this.deps.measureOnly?.()) return this.scheduler.requestRejected(this.nowS(), action.peer, action.requestId, "choked");
      buffer?.noteRequested(this.deps.clock.now());
    }
    const frame = "peer" in action ? frameFor(action, this.store) : null;
    if (frame) {
      this.link((action as { peer: string }).peer)?.send(frame);
      return;
    }
    switch (action.action) {
      case "http_fetch": {
        const buffer = this.store.get(action.seq);
        const url = this.intake.urls.get(action.seq);
        if (!buffer || !url || buffer.complete) return; // queued before the segment completed
        buffer.noteRequested(this.deps.clock.now());
        void this.fetcher.fetch(action.fetchId, buffer, url, action.firstPiece, action.pieceCount);
        return;
      }
      case "abandon_peer":
      case "deadline_missed":
        this.log(action.action, action);
        return;
      case "drop_peer": {
        const state = this.neighbours.get(action.peer);
        const seq = state?.lastBadSeq ?? null;
        this.deps.signaling.report(action.peer, action.reason === "bad_piece" ? "bad-piece" : "protocol-error", seq);
        state?.link.close(`dropped: ${action.reason}`, action.reason === "bad_piece" ? GoodbyeReason.BAD_PIECE : GoodbyeReason.PROTOCOL_ERROR);
        return;
      }
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
    for (const [peerId, state] of this.neighbours) {
      if (state.hello) this.link(peerId)?.send({ type: "have_delta", seq });
    }
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
    this.sizePoll?.stop();
    this.sizePoll = null;
    this.fetcher.close();
    for (const state of [...this.neighbours.values()]) state.link.close("leaving", GoodbyeReason.SHUTTING_DOWN);
    this.neighbours.clear();
    this.waiters.rejectAll(new Error("swarm closed"));
  }
}
