/**
 * Neighbour links started one per task. A link builds its RTCPeerConnection as it is created,
 * tens of milliseconds each on a loaded machine; a join that named five neighbours built all five
 * in one task, and the flash-crowd lab's CPU profiles show such joins inside 0.5-2 s main-thread
 * stretches that held up the player's own work before its first frame
 * (bench/results/runs-flash-20261201-140828/cpu-profiles, `python -m e2e.lab.cpu_profile`). The
 * first neighbour starts at once; each further one waits for a fresh task, so the player's
 * loads, appends and frames run between them.
 */

import type { Neighbour } from "./signaling_client";

export class LinkStarts {
  private readonly queued = new Map<string, Neighbour>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  /** `start` creates the link; it is called for each queued neighbour, in order, once. */
  constructor(private readonly start: (neighbour: Neighbour) => void) {}

  /** Neighbours waiting for their turn (they count as connecting). */
  get size(): number {
    return this.queued.size;
  }

  has(peerId: string): boolean {
    return this.queued.has(peerId);
  }

  /** Starts `neighbour` now if no link was started in this task, else in a later task. */
  push(neighbour: Neighbour): void {
    if (this.queued.has(neighbour.peerId)) return;
    this.queued.set(neighbour.peerId, neighbour);
    if (this.timer === null) this.next();
  }

  /** Takes a neighbour out of the queue (signaling removed it, or its offer came first). */
  take(peerId: string): Neighbour | undefined {
    const neighbour = this.queued.get(peerId);
    this.queued.delete(peerId);
    return neighbour;
  }

  clear(): void {
    this.queued.clear();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private next(): void {
    const first = this.queued.values().next();
    if (first.done) return;
    this.queued.delete(first.value.peerId);
    // Armed before `start`, so a push from inside it waits for the next task too.
    this.timer = setTimeout(() => {
      this.timer = null;
      this.next();
    }, 0);
    this.start(first.value);
  }
}
