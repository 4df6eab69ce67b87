/**
 * What one swarm session writes into the optional timeline (src/timeline.ts): neighbours'
 * announcements, peer requests and HTTP fetches as transfers with start/end/bytes/outcome, and the
 * scheduler's decisions annotated with the segment's deadline, holders and the HTTP rate estimate.
 * The session calls it with one line per event; all bookkeeping for the record lives here.
 */

import { haveSeqs, type WireMessage } from "../protocol/wire";
import type { SchedulerAction } from "../scheduler/actions";
import type { PieceScheduler } from "../scheduler/piece_scheduler";
import type { Timeline } from "../timeline";
import type { SegmentStore } from "./segment_store";

export class SessionTimeline {
  /** What each neighbour announced (HAVE replaces, HAVE_DELTA adds): holders per decision. */
  private readonly haves = new Map<string, Set<number>>();
  /** Pieces still owed per open peer request (its end is the last piece). */
  private readonly expected = new Map<string, number>();
  /** The origin rate last recorded per neighbour and segment (`have-pieces`). */
  private readonly saidRates = new Map<string, number>();

  constructor(
    readonly timeline: Timeline,
    private readonly swarm: string,
    private readonly scheduler: () => PieceScheduler,
    private readonly store: SegmentStore,
    /** The session's clock, in seconds (the scheduler's time base). */
    private readonly nowS: () => number,
  ) {}

  /** A wire message from a neighbour after HELLO. */
  message(peer: string, msg: WireMessage): void {
    const tl = this.timeline;
    switch (msg.type) {
      case "have": {
        const seqs = new Set(haveSeqs(msg));
        this.haves.set(peer, seqs);
        tl.record("have", null, { peer, count: seqs.size, max: seqs.size ? Math.max(...seqs) : null });
        return;
      }
      case "have_delta":
        (this.haves.get(peer) ?? this.haves.set(peer, new Set()).get(peer))?.add(msg.seq);
        tl.record("have-delta", msg.seq, { peer });
        return;
      case "have_pieces":
        this.havePieces(peer, msg.seq, msg.originRate);
        return;
      case "piece": {
        const id = `req:${peer}:${msg.requestId}`;
        if (tl.progress(id, msg.data.length) && this.requestDone(id)) tl.end(id, "ok");
        return;
      }
      case "reject":
        tl.end(`req:${peer}:${msg.requestId}`, "rejected", { reason: msg.reason });
        return;
      case "choke":
      case "unchoke":
        tl.record(msg.type, null, { peer });
        return;
      default:
        return;
    }
  }

  /**
   * HAVE_PIECES: recorded with the origin rate it says (what the scheduler judges the origin by,
   * `slowOriginByOriginCopies`) for a neighbour's first word of a segment and whenever that rate
   * moved by more than a quarter since; every word would crowd the timeline's capacity.
   */
  private havePieces(peer: string, seq: number, originRate: number): void {
    const key = `${peer}:${seq}`;
    const last = this.saidRates.get(key);
    if (last !== undefined && Math.abs(originRate - last) <= 0.25 * Math.max(last, 1)) return;
    this.saidRates.delete(key);
    this.saidRates.set(key, originRate);
    if (this.saidRates.size > 256) this.saidRates.delete(this.saidRates.keys().next().value as string);
    this.timeline.record("have-pieces", seq, { peer, originRate });
  }

  private requestDone(id: string): boolean {
    const left = (this.expected.get(id) ?? 1) - 1;
    if (left > 0) this.expected.set(id, left);
    else this.expected.delete(id);
    return left <= 0;
  }

  /** A scheduler action about to be carried out. */
  action(action: SchedulerAction): void {
    const tl = this.timeline;
    switch (action.action) {
      case "request": {
        const id = `req:${action.peer}:${action.requestId}`;
        this.expected.set(id, action.pieceCount);
        tl.begin(id, "peer", action.seq, { peer: action.peer, pieces: action.pieceCount });
        return;
      }
      case "cancel":
        this.expected.delete(`req:${action.peer}:${action.requestId}`);
        tl.end(`req:${action.peer}:${action.requestId}`, "cancelled");
        return;
      case "deadline_missed":
        tl.record("deadline-missed", action.seq, this.context(action.seq));
        return;
      case "drop_peer":
        tl.record("drop-peer", null, { peer: action.peer, reason: action.reason });
        return;
      default:
        return;
    }
  }

  /** The scheduler's decision hook (PieceScheduler's `onDecision`). */
  decision(_now: number, seq: number, kind: string, detail: Record<string, unknown>): void {
    this.timeline.record("decision", seq >= 0 ? seq : null, { why: kind, ...detail, ...(seq >= 0 ? this.context(seq) : {}) });
  }

  /** A segment the scheduler now knows (integrity record fetched and checked). */
  segmentAdded(seq: number, start: number, size: number, liveEdge: boolean): void {
    this.timeline.record("segment-added", seq, { start, size, liveEdge, holders: this.holders(seq) });
  }

  httpStart(fetchId: number, seq: number, bytes: number): void {
    this.timeline.begin(`http:${fetchId}`, "http", seq, { bytes_wanted: bytes, ...this.context(seq) });
  }

  httpEnd(fetchId: number, bytes: number, outcome: string): void {
    this.timeline.progress(`http:${fetchId}`, bytes);
    this.timeline.end(`http:${fetchId}`, outcome);
  }

  peerClosed(peer: string, reason: string): void {
    this.haves.delete(peer);
    for (const id of this.timeline.openIds(`req:${peer}:`)) this.timeline.end(id, "peer-closed");
    this.timeline.record("peer-close", null, { peer, reason });
  }

  peerOpened(peer: string): void {
    this.timeline.record("peer-open", null, { peer, swarm: this.swarm });
  }

  /** Deadline (s from now; null before a playhead), holders and the HTTP rate, for a decision. */
  private context(seq: number): Record<string, unknown> {
    const scheduler = this.scheduler();
    const playhead = scheduler.clock.playhead;
    const buffer = this.store.get(seq);
    const now = this.nowS();
    let dueS: number | null = null;
    if (playhead && buffer) {
      const ahead = buffer.start - playhead.positionAt(now);
      dueS = round(playhead.playing ? ahead : Math.max(0, ahead) + scheduler.config.startupDeadlineS);
    }
    return {
      dueS,
      playing: playhead?.playing ?? false,
      holders: this.holders(seq),
      httpRate: Math.round(scheduler.clock.httpRate),
      missing: buffer ? buffer.have.length - buffer.haveCount : null,
    };
  }

  private holders(seq: number): number {
    let n = 0;
    for (const seqs of this.haves.values()) if (seqs.has(seq)) n++;
    return n;
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
