/**
 * When the pure scheduler must run again without an event (peer/scheduler_timers.py, same rule):
 * the earliest of every incomplete segment's timing rules (`origin_gate.ts`), its HTTP retry and
 * deadline, each neighbour's cooldown and silence, and the upload side's timers.
 */

import type { DeadlineClock } from "./deadline_clock";
import type { DownloadBook } from "./download_book";
import type { RemotePeer } from "./download_state";
import type { OriginGate } from "./origin_gate";
import type { SchedulerConfig } from "./scheduler_config";
import type { UploadScheduler } from "./upload_scheduler";

/** The earliest time > `now` at which something changes without an event (null: never). */
export function nextTimer(
  now: number,
  book: DownloadBook,
  clock: DeadlineClock,
  gate: OriginGate,
  upload: UploadScheduler,
  config: SchedulerConfig,
): number | null {
  let best = Infinity;
  const consider = (t: number | null): void => {
    if (t !== null && t > now && t < best) best = t;
  };
  for (const segment of book.segments.values()) {
    const deadline = clock.deadline(segment);
    if (deadline === null || segment.complete) continue;
    for (const t of gate.timers(now, segment, deadline)) consider(t);
    consider(segment.httpRetryAt);
    if (clock.playing && !segment.missed) consider(deadline);
  }
  for (const peer of book.peers.values()) {
    consider(peer.cooldownUntil);
    if (peer.requests.size > 0) consider(silentAt(peer, config.peerSilenceTimeoutS));
  }
  const up = upload.nextTimer(now);
  if (up !== null) consider(up);
  return best === Infinity ? null : best;
}

/** When a neighbour owing us pieces counts as silent: `timeout` after its last piece or its oldest request in flight, whichever is later. */
export function silentAt(peer: RemotePeer, timeout: number): number {
  let oldest = Infinity;
  for (const r of peer.requests.values()) oldest = Math.min(oldest, r.sentAt);
  return Math.max(peer.lastPieceAt, oldest) + timeout;
}
