/**
 * The neighbour side of a swarm session (swarm_session.ts), split out of it to keep each file
 * readable: the links to the neighbours signaling assigned (connect, HELLO, close), the swarm size
 * the election counts, and the wire messages on those links, which reach the scheduler only as
 * the neighbour guard passes them (§5.1). The session keeps the segment side (store, intake,
 * origin fetches, waiters), carries out the scheduler's actions and sends their frames here.
 */

import { IntegrityError, verifyPiece } from "../protocol/integrity";
import { CAPABILITY_ORIGIN_RATE, CAPABILITY_UPLOAD, GoodbyeReason, haveSeqs, heldPieces, type WireMessage } from "../protocol/wire";
import type { DropReason } from "../scheduler/actions";
import type { PieceScheduler } from "../scheduler/piece_scheduler";
import type { DeliveryWatch } from "./delivery_watch";
import { DEFAULT_CHANNEL_WINDOW } from "./channel_window";
import { reportPath } from "./link_path";
import { LinkStarts } from "./link_starts";
import { NeighbourGuard, type Verdict } from "./neighbour_guard";
import { PeerLink, type Link } from "./peer_link";
import type { SegmentStore } from "./segment_store";
import type { SessionDeps } from "./session_deps";
import type { SessionTimeline } from "./session_timeline";
import type { Neighbour, SignalKind } from "./signaling_client";
import { frameForNeighbour, REJECT_NAMES } from "./wire_translate";

interface NeighbourState {
  link: Link;
  hello: boolean;
  /** Its HELLO capabilities (what it can decode: CAPABILITY_ORIGIN_RATE). */
  capabilities: number;
  /** Its first HAVE arrived: until then it counts as still connecting (startup waits for it). */
  announced: boolean;
  lastBadSeq: number | null;
}

/** What the neighbour side uses of its session. */
export interface NeighbourHost {
  scheduler: PieceScheduler;
  store: SegmentStore;
  delivery: DeliveryWatch;
  timeline: SessionTimeline | null;
  nowS(): number;
  closed(): boolean;
  /** Carry out the scheduler's actions (swarm_session.ts). */
  drain(): void;
  log(...args: unknown[]): void;
}

export class SessionNeighbours {
  private readonly neighbours = new Map<string, NeighbourState>();
  /** Neighbours signaling named whose link has not been created yet (one per task). */
  private readonly starts = new LinkStarts((n) => this.startLink(n));
  /** What neighbours may announce (§5.1); `liveEdge` is the newest seq our playlist lists. */
  readonly guard = new NeighbourGuard();
  private liveEdge = -1;
  /** Members of the swarm as signaling counts them (`/api/swarm-size`); 0 = not known yet. */
  private signalingSize = 0;
  private sizePoll: { stop(): void } | null = null;
  private readonly swarm: string;
  private readonly scheduler: PieceScheduler;
  private readonly store: SegmentStore;
  private readonly delivery: DeliveryWatch;
  private readonly tl: SessionTimeline | null;

  constructor(
    private readonly deps: SessionDeps,
    private readonly host: NeighbourHost,
  ) {
    this.swarm = deps.swarm;
    this.scheduler = host.scheduler;
    this.store = host.store;
    this.delivery = host.delivery;
    this.tl = host.timeline;
  }

  // --- links and swarm size --------------------------------------------------------------

  /** Neighbours signaling assigned, connected or still connecting (or waiting to start). */
  get neighbourCount(): number {
    return this.neighbours.size + this.starts.size;
  }

  get peerCount(): number {
    return [...this.neighbours.values()].filter((s) => s.hello).length;
  }

  /**
   * A neighbour assigned by signaling. An existing link to it is kept: its offer may have
   * overtaken this announcement (§4.3). A rebuilt link is a `remove` first (see the engine).
   */
  addNeighbour(neighbour: Neighbour): void {
    if (this.host.closed() || this.neighbours.has(neighbour.peerId) || this.guard.isRefused(this.host.nowS(), neighbour.peerId)) return;
    this.starts.push(neighbour);
    this.updateSwarmSize();
  }

  /** Its turn in `starts` (link_starts.ts: one link per task). */
  private startLink(neighbour: Neighbour): void {
    if (this.host.closed() || this.neighbours.has(neighbour.peerId) || this.guard.isRefused(this.host.nowS(), neighbour.peerId)) return;
    const state = this.createLink(neighbour.peerId, neighbour.initiator);
    void state.link.start();
    this.updateSwarmSize();
  }

  removeNeighbour(peerId: string, reason: string): void {
    if (this.starts.take(peerId)) this.updateSwarmSize();
    const state = this.neighbours.get(peerId);
    if (!state) return;
    state.link.close(reason, GoodbyeReason.NORMAL);
    this.neighbours.delete(peerId); // closed() may come later (or not at all for a dead link)
    this.updateSwarmSize();
  }

  handleSignal(from: string, kind: SignalKind, data: Record<string, unknown>): void {
    if (this.host.closed()) return;
    let state = this.neighbours.get(from);
    if (!state && this.guard.isRefused(this.host.nowS(), from)) return; // it broke the protocol
    // An offer may overtake the `neighbours` event that announces its sender (§4.3), or the
    // sender may still wait for its turn in `starts`.
    if (!state && kind === "offer") {
      this.starts.take(from);
      state = this.createLink(from, false);
    }
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
      window: {
        ...DEFAULT_CHANNEL_WINDOW,
        minBytes: options.channelMinHighWaterMark,
        maxBytes: options.channelHighWaterMark,
        bufferS: options.channelBufferS,
      },
      connectTimeoutMs: options.peerConnectTimeoutMs,
      handlers: {
        open: (l) => this.onLinkOpen(l),
        message: (l, msg) => this.onMessage(l, msg),
        protocolError: (l, error) => {
          this.host.log("protocol error from", l.peerId, error.message);
          this.guard.refuse(this.host.nowS(), l.peerId);
          this.deps.signaling.report(l.peerId, "protocol-error", null);
        },
        closed: (l, reason) => this.onLinkClosed(l, reason),
        pieceSent: (l, bytes) => this.deps.emitter.emit("upload", { peerId: l.peerId, bytes, swarm: this.swarm }),
      },
    });
    const state: NeighbourState = { link, hello: false, capabilities: 0, announced: false, lastBadSeq: null };
    this.neighbours.set(peerId, state);
    return state;
  }

  private onLinkOpen(link: Link): void {
    const { options, signaling } = this.deps;
    if (signaling.path) void reportPath(link, (path) => signaling.path?.(link.peerId, path));
    link.send({
      type: "hello",
      capabilities: CAPABILITY_UPLOAD | CAPABILITY_ORIGIN_RATE,
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
      this.scheduler.peerClosed(this.host.nowS(), link.peerId);
      this.host.drain();
    } else if (!this.host.closed() && reason === "connect timeout") {
      this.deps.signaling.report(link.peerId, "unreachable", null);
    }
    this.updateSwarmSize();
  }

  /**
   * The swarm's member count from signaling (see swarm_size_poll.ts); `poll` is stopped with the
   * session. The election sizes its tiers with it (at least neighbours + 1).
   */
  setSignalingSwarmSize(peers: number): void {
    if (this.host.closed()) return;
    this.signalingSize = peers;
    this.updateSwarmSize();
  }

  attachSwarmSizePoll(poll: { stop(): void }): void {
    this.sizePoll?.stop();
    if (this.host.closed()) poll.stop();
    else this.sizePoll = poll;
  }

  /** Swarm size for the election, and how many neighbours are still connecting (no HAVE yet). */
  private updateSwarmSize(): void {
    const now = this.host.nowS();
    this.scheduler.setSwarmSize(now, Math.max(this.signalingSize, this.neighbourCount + 1));
    let connecting = this.starts.size;
    for (const state of this.neighbours.values()) if (!state.announced) connecting++;
    this.scheduler.setConnectingPeers(now, connecting);
    this.host.drain();
  }

  // --- wire messages ---------------------------------------------------------------------

  private onMessage(link: Link, msg: WireMessage): void {
    const state = this.neighbours.get(link.peerId);
    if (!state || state.link !== link) return;
    const now = this.host.nowS();
    if (!state.hello) {
      if (msg.type !== "hello") return; // nothing counts before HELLO
      // §5 session order: a different swarm or piece size ends the link (GOODBYE protocol-error).
      if (msg.swarmId !== this.swarm || msg.pieceSize !== this.deps.options.pieceSize) {
        link.close(`HELLO for ${msg.swarmId} with ${msg.pieceSize}-byte pieces`, GoodbyeReason.PROTOCOL_ERROR);
        return;
      }
      state.hello = true;
      state.capabilities = msg.capabilities;
      this.tl?.peerOpened(link.peerId);
      this.deps.emitter.emit("peer-connect", { peerId: link.peerId, swarm: this.swarm });
      this.scheduler.peerConnected(now, link.peerId, msg.capabilities, msg.maxPiecesPerRequest);
      this.host.drain();
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
          this.scheduler.peerHavePieces(now, link.peerId, msg.seq, heldPieces(msg), msg.originRate);
        }
        this.onAnnounce(now, link, { ...verdict, seqs: [] });
        break;
      }
      case "request":
      case "cancel": {
        const verdict = this.guard.request(now, link.peerId, link.piecesSent);
        if (verdict.refused) this.onAnnounce(now, link, verdict);
        else if (msg.type === "request") this.scheduler.uploadRequest(now, link.peerId, msg.requestId, msg.seq, msg.firstPiece, msg.pieceCount);
        else {
          this.scheduler.uploadCancel(now, link.peerId, msg.requestId);
          link.purge(msg.requestId); // the pieces the upload scheduler already released wait there
        }
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
    this.host.drain();
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
    if (this.host.closed()) return;
    if (valid && buffer.setPiece(index, data.slice(), "p2p", this.deps.clock.now())) {
      this.deps.emitter.emit("bytes", { source: "p2p", bytes: data.length, peerId, swarm: this.swarm, seq });
    }
    this.scheduler.pieceReceived(this.host.nowS(), peerId, requestId, seq, index, valid);
    this.host.drain();
  }

  // --- frames the session sends ----------------------------------------------------------

  /** The link to `peerId` once its HELLO arrived (null: none, or not yet). */
  link(peerId: string): Link | null {
    const state = this.neighbours.get(peerId);
    return state && state.hello ? state.link : null;
  }

  /**
   * Sends `frame` to every neighbour past HELLO; with `seq` (the HAVE_PIECES of a segment), not
   * to a neighbour holding that whole segment: it ignores them, but pays a message and a
   * scheduling pass for each.
   */
  broadcast(frame: WireMessage, seq: number | null): void {
    for (const [peerId, state] of this.neighbours) {
      if (!state.hello || (seq !== null && this.scheduler.neighbourHolds(peerId, seq))) continue;
      this.link(peerId)?.send(frameForNeighbour(frame, state.capabilities));
    }
  }

  /** The scheduler dropped `peerId`: reported to signaling (with its bad piece's seq), link ended. */
  drop(peerId: string, reason: DropReason): void {
    const state = this.neighbours.get(peerId);
    const seq = state?.lastBadSeq ?? null;
    this.deps.signaling.report(peerId, reason === "bad_piece" ? "bad-piece" : "protocol-error", seq);
    state?.link.close(`dropped: ${reason}`, reason === "bad_piece" ? GoodbyeReason.BAD_PIECE : GoodbyeReason.PROTOCOL_ERROR);
  }

  /** The session closes: no more swarm size polls. */
  stopSizePoll(): void {
    this.sizePoll?.stop();
    this.sizePoll = null;
  }

  /** The session closes: GOODBYE to every neighbour. */
  closeAll(): void {
    this.starts.clear();
    for (const state of [...this.neighbours.values()]) state.link.close("leaving", GoodbyeReason.SHUTTING_DOWN);
    this.neighbours.clear();
  }
}
