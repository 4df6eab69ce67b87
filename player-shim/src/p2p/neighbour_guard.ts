/**
 * Limits on what one neighbour may announce (docs/protocol.md §5.1; peer/neighbour_guard.py):
 * HAVE/HAVE_DELTA only in a window around the live edge, at a bounded rate, with a bounded set
 * per neighbour; a neighbour that keeps breaking them is dropped, reported and refused. Pure
 * (time is a parameter); the session applies the verdicts, so the scheduler only ever sees
 * announcements inside the window.
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
  /** Refused frames (ahead of the window or over the rate) before the neighbour is dropped. */
  maxViolations: number;
  /** How long a dropped neighbour's links and offers are refused, in seconds. */
  refuseS: number;
}

export const DEFAULT_GUARD_CONFIG: Readonly<GuardConfig> = Object.freeze({
  ahead: 4,
  behind: 64,
  framesPerS: 20,
  burst: 100,
  maxViolations: 20,
  refuseS: 600,
});

export interface Verdict {
  /** The neighbour's announced seqs the scheduler may use. */
  seqs: number[];
  /** True: `seqs` is its whole set (a HAVE, or the set pruned as the edge moved on). */
  replace: boolean;
  /** This frame was refused (ahead of the window, or over the rate). */
  refused: boolean;
  /** The neighbour reached `maxViolations`: drop it, report it, refuse it for a while. */
  drop: boolean;
}

interface NeighbourState {
  bucket: TokenBucket;
  held: Set<number>;
  violations: number;
}

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
    if (seq < low || state.held.has(seq)) return { seqs: [], replace: false, refused: false, drop: false };
    state.held.add(seq);
    if (state.held.size > this.limit()) {
      state.held = this.capped([...state.held].filter((s) => s >= low));
      return { seqs: [...state.held], replace: true, refused: false, drop: false };
    }
    return { seqs: [seq], replace: false, refused: false, drop: false };
  }

  /**
   * HAVE_PIECES (a copy in progress): the window only. Honest ones come once per piece, so they
   * are not rate-counted; the scheduler bounds how many it keeps per neighbour.
   */
  havePieces(now: number, peer: string, seq: number, edge: number): Verdict {
    if (edge >= 0 && seq > edge + this.config.ahead) return this.violation(this.state(now, peer), [], false);
    if (seq < this.low(edge)) return { seqs: [], replace: false, refused: false, drop: false };
    return { seqs: [seq], replace: false, refused: false, drop: false };
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
      state = { bucket: new TokenBucket(this.config.framesPerS, this.config.burst, now), held: new Set(), violations: 0 };
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
