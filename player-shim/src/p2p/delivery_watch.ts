/**
 * Whether the swarm is still bringing a segment in, for the loader's safety net (hls_loader.ts):
 * while it is, a plain HTTP copy would split a congested origin link between two downloads of
 * the same bytes (and every member blocked on it would start one at the same moment). Split from
 * swarm_session.ts.
 */

import type { PieceScheduler } from "../scheduler/piece_scheduler";
import type { OriginFetcher } from "./origin_fetcher";
import type { SegmentIntake } from "./segment_intake";
import type { SegmentStore } from "./segment_store";

export interface DeliveryWatchDeps {
  store: SegmentStore;
  intake: SegmentIntake;
  fetcher: OriginFetcher;
  scheduler: PieceScheduler;
  nowMs(): number;
}

/** Partial announcements remembered (the newest segments). */
const PARTIAL_KEPT = 64;

export class DeliveryWatch {
  /** When a neighbour last announced pieces of a segment it is still getting (HAVE_PIECES), ms. */
  private readonly partialAt = new Map<number, number>();

  constructor(private readonly deps: DeliveryWatchDeps) {}

  /** A neighbour announced pieces of `seq` it is still getting. */
  partial(seq: number): void {
    this.partialAt.delete(seq); // re-inserted last: the oldest entries go first
    this.partialAt.set(seq, this.deps.nowMs());
    if (this.partialAt.size > PARTIAL_KEPT) this.partialAt.delete(this.partialAt.keys().next().value as number);
  }

  forget(seq: number): void {
    this.partialAt.delete(seq);
  }

  /**
   * The segment is still arriving: an origin fetch of it is in flight, or a verified piece came
   * within the window: `graceMs`, stretched as the scheduler's progress timeout is stretched
   * beyond `originProgressTimeoutS` (on a congested origin pieces come further apart, and every
   * member's net would otherwise fire at the same stale moment).
   */
  underway(seq: number, graceMs: number): boolean {
    const { store, intake, fetcher, scheduler } = this.deps;
    const buffer = store.get(seq);
    if (!buffer) return intake.pending().includes(seq); // its record is on the way
    if (buffer.complete) return false;
    if (fetcher.fetching(seq)) return true;
    const { config, clock } = scheduler;
    const stretch = config.originProgressTimeoutS > 0 ? clock.progressTimeout() / config.originProgressTimeoutS : 1;
    const windowMs = graceMs * Math.max(1, stretch);
    const nowMs = this.deps.nowMs();
    if (buffer.lastPieceAt !== null && nowMs - buffer.lastPieceAt < windowMs) return true;
    // A neighbour's copy is arriving (HAVE_PIECES): the scheduler waits for it (cut-through);
    // a plain HTTP copy now is what every member blocked on it would start at the same moment
    // (after a live-edge jump, all of them).
    const partial = this.partialAt.get(seq);
    if (partial !== undefined && nowMs - partial < windowMs) return true;
    // The scheduler waits for a neighbour's copy, or for its turn to take a stale one over: a
    // plain HTTP copy now would be every blocked member's at the copy's stale moment, no turns.
    if (scheduler.gate.waitsForCopy(nowMs / 1000, seq)) return true;
    // Startup: neighbours are still connecting, and the scheduler waits for them.
    return !scheduler.clock.playing && scheduler.gate.connectWait(nowMs / 1000);
  }
}
