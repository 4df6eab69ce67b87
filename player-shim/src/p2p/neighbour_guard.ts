/**
 * Limits on what one neighbour may send (docs/protocol.md §5.1; peer/neighbour_guard.py):
 * HAVE/HAVE_DELTA/HAVE_PIECES only in a window around the live edge, each kind at a bounded rate,
 * with a bounded set per neighbour; REQUEST/CANCEL at a bounded rate beyond the pieces we sent it;
 * a neighbour that keeps breaking them is dropped, reported and refused. Pure (time is a
 * parameter); the session applies the verdicts, so the scheduler only ever sees frames that passed.
 */

import { TokenBucket } from "../scheduler/token_bucket";

export interface GuardConfig {
  /** Seqs past the newest one our playlist lists that a neighbour may announce. */
  ahead: number;
  /** Seqs older than the live edge by more than this are ignored (not counted). */
  behind: number;
  /** Sustained HAVE/HAVE_DELTA frames per second per neighbour, and the burst. */
  framesPerS: number;
  burst: number;
  /**
   * Sustained HAVE_PIECES frames per second per neighbour, and the burst. An honest copy in
   * progress sends one per piece it receives (origin or peers) plus a few count-0 words per
   * segment: the burst covers the 1023 pieces of a 16 MiB segment announced one by one at once
   * (or a newcomer's catch-up of the live window), the rate 200 pieces/s of copying (about
   * 26 Mbit/s at 16 KiB pieces, 10x the default ladder's top rung in real time).
   */
  piecesFramesPerS: number;
  piecesBurst: number;
  /**
   * REQUEST and CANCEL frames per neighbour: each PIECE we sent it earns one (banked up to
   * `requestBurst`); beyond those, this many per second with this burst. A downloader's requests
   * are paid by the pieces they bring; refused, dropped and cancelled ones are what is limited.
   */
  requestFramesPerS: number;
  requestBurst: number;
  /** Refused frames (ahead of the window or over a rate) before the neighbour is dropped. */
  maxViolations: number;
  /** How long a dropped neighbour's links and offers are refused, in seconds. */
  refuseS: number;
}

export const DEFAULT_GUARD_CONFIG: Readonly<GuardConfig> = Object.freeze({
  ahead: 4,
  behind: 64,
  framesPerS: 20,
  burst: 100,
  piecesFramesPerS: 200,
  piecesBurst: 1024,
  requestFramesPerS: 50,
  requestBurst: 200,
  maxViolations: 20,
  refuseS: 600,
});

export interface Verdict {
  /** The neighbour's announced seqs the scheduler may use. */
  seqs: number[];
  /** True: `seqs` is its whole set (a HAVE, or the set pruned as the edge moved on). */
  replace: boolean;
  /** This frame was refused (ahead of the window, or over a rate): do not act on it. */
  refused: boolean;
  /** The neighbour reached `maxViolations`: drop it, report it, refuse it for a while. */
  drop: boolean;
}

interface NeighbourState {
  bucket: TokenBucket;
  pieces: TokenBucket;
  requests: TokenBucket;
  /** Pieces sent to the neighbour not yet spent on its REQUEST/CANCEL frames (capped). */
  credit: number;
  /** The link's pieces-sent count at the last REQUEST/CANCEL. */
  piecesSeen: number;
  held: Set<number>;
  violations: number;
}

/** Passed, nothing for the scheduler. */
const pass = (): Verdict => ({ seqs: [], replace: false, refused: false, drop: false });

/** One per session; `edge` is the newest seq our playlist listed (-1: none yet, only capped). */
export class NeighbourGuard {
  private readonly peers = new Map<string, NeighbourState>();
  private readonly refusedUntil = new Map<string, number>();
  refusedFrames = 0;

  constructor(readonly config: Readonly<GuardConfig> = DEFAULT_GUARD_CONFIG) {}

  have(now: number, peer: string, seqs: number[], edge: number): Verdict {
    const state = this.state(now, peer);
    if (!state.bucket.tryConsume(now, 1)) return this.violation(state, [], false);
    const low = this.low(edge);
    const kept = seqs.filter((seq) => seq >= low);
    const inside = kept.filter((seq) => edge < 0 || seq <= edge + this.config.ahead);
    state.held = this.capped(inside);
    const held = [...state.held];
    if (inside.length < kept.length) return this.violation(state, held, true);
    return { seqs: held, replace: true, refused: false, drop: false };
  }

  haveDelta(now: number, peer: string, seq: number, edge: number): Verdict {
    const state = this.state(now, peer);
    if (!state.bucket.tryConsume(now, 1)) return this.violation(state, [], false);
    if (edge >= 0 && seq > edge + this.config.ahead) return this.violation(state, [], false);
    const low = this.low(edge);
    if (seq < low || state.held.has(seq)) return pass();
    state.held.add(seq);
    if (state.held.size > this.limit()) {
      state.held = this.capped([...state.held].filter((s) => s >= low));
      return { seqs: [...state.held], replace: true, refused: false, drop: false };
    }
    return { seqs: [seq], replace: false, refused: false, drop: false };
  }

  /**
   * HAVE_PIECES (a copy in progress): the window, at its own rate (one per piece received is
   * honest); the scheduler bounds how many partial copies it keeps per neighbour.
   */
  havePieces(now: number, peer: string, seq: number, edge: number): Verdict {
    const state = this.state(now, peer);
    if (!state.pieces.tryConsume(now, 1)) return this.violation(state, [], false);
    if (edge >= 0 && seq > edge + this.config.ahead) return this.violation(state, [], false);
    if (seq < this.low(edge)) return pass();
    return { seqs: [seq], replace: false, refused: false, drop: false };
  }

  /**
   * A REQUEST or CANCEL. `piecesSent` is the link's count of PIECE frames sent to `peer`: each
   * one pays for a frame, the rate only for the rest. A refused frame is dropped unanswered.
   */
  request(now: number, peer: string, piecesSent: number): Verdict {
    const state = this.state(now, peer);
    const earned = piecesSent - (piecesSent >= state.piecesSeen ? state.piecesSeen : 0); // lower: a new link
    state.piecesSeen = piecesSent;
    state.credit = Math.min(this.config.requestBurst, state.credit + earned);
    if (state.credit >= 1) state.credit -= 1;
    else if (!state.requests.tryConsume(now, 1)) return this.violation(state, [], false);
    return pass();
  }

  forget(peer: string): void {
    this.peers.delete(peer);
  }

  /** Refuse `peer`'s links for `refuseS` (it broke the protocol). */
  refuse(now: number, peer: string): void {
    this.refusedUntil.set(peer, now + this.config.refuseS);
    this.forget(peer);
  }

  isRefused(now: number, peer: string): boolean {
    for (const [p, until] of this.refusedUntil) if (until <= now) this.refusedUntil.delete(p);
    return this.refusedUntil.has(peer);
  }

  /** How many seqs we keep for `peer` (bounded by the window). */
  held(peer: string): number {
    return this.peers.get(peer)?.held.size ?? 0;
  }

  private state(now: number, peer: string): NeighbourState {
    let state = this.peers.get(peer);
    if (!state) {
      const c = this.config;
      state = {
        bucket: new TokenBucket(c.framesPerS, c.burst, now),
        pieces: new TokenBucket(c.piecesFramesPerS, c.piecesBurst, now),
        requests: new TokenBucket(c.requestFramesPerS, c.requestBurst, now),
        credit: 0,
        piecesSeen: 0,
        held: new Set(),
        violations: 0,
      };
      this.peers.set(peer, state);
    }
    return state;
  }

  private violation(state: NeighbourState, seqs: number[], replace: boolean): Verdict {
    state.violations += 1;
    this.refusedFrames += 1;
    return { seqs, replace, refused: true, drop: state.violations >= this.config.maxViolations };
  }

  private low(edge: number): number {
    return edge >= 0 ? edge - this.config.behind : -1;
  }

  private limit(): number {
    return this.config.ahead + this.config.behind + 1;
  }

  /** At most the window's worth of the newest seqs (also when the edge is unknown). */
  private capped(seqs: number[]): Set<number> {
    if (seqs.length <= this.limit()) return new Set(seqs);
    return new Set([...seqs].sort((a, b) => a - b).slice(-this.limit()));
  }
}
