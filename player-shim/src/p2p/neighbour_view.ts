/**
 * A client's neighbour set under the ordering rule of docs/protocol.md §4.3 (mirrors
 * peer/neighbour_view.py). A join's ack leaves the server after its handler returns, so
 * `neighbours` events caused by later arrivals can come before it: while a join is pending they
 * are buffered; the ack's list becomes the set, then the buffer is replayed in arrival order.
 * Events for any swarm but the latest joined one are dropped. Pure: no sockets, no timers.
 */

export interface Neighbour {
  peerId: string;
  /** True: we send the offer to this neighbour. */
  initiator: boolean;
  seeder: boolean;
}

export interface NeighbourUpdate {
  swarm: string;
  add: Neighbour[];
  remove: string[];
}

export class NeighbourView {
  private currentSwarm: string | null = null;
  private readonly set = new Map<string, Neighbour>();
  /** Non-null while a join is pending: events in arrival order. */
  private buffered: NeighbourUpdate[] | null = null;

  get swarm(): string | null {
    return this.currentSwarm;
  }

  get joining(): boolean {
    return this.buffered !== null;
  }

  /** The current set, in the order peers were added. */
  neighbours(): Neighbour[] {
    return [...this.set.values()];
  }

  /** Call before `join` is emitted: from then on events wait for its ack. */
  joinStarted(): void {
    this.buffered ??= [];
  }

  /**
   * The ack's list becomes the set, then the buffered events apply in order. Returns the
   * converged set: the consumer adds exactly these and gets only later events from `event`.
   */
  joinAcked(swarm: string, neighbours: Neighbour[]): Neighbour[] {
    const buffered = this.buffered ?? [];
    this.buffered = null;
    this.currentSwarm = swarm;
    this.set.clear();
    for (const n of neighbours) this.set.set(n.peerId, n);
    for (const update of buffered) this.apply(update);
    return this.neighbours();
  }

  /**
   * A refused or unanswered join leaves the last joined swarm in place (the server refuses
   * before moving the peer in most cases): its buffered events apply now and are returned, in
   * order, for the consumer.
   */
  joinFailed(): NeighbourUpdate[] {
    const buffered = this.buffered ?? [];
    this.buffered = null;
    return buffered.filter((update) => this.apply(update));
  }

  /** An incoming event: returned when the consumer should act on it now, null when buffered or stale. */
  event(update: NeighbourUpdate): NeighbourUpdate | null {
    if (this.buffered !== null) {
      this.buffered.push(update);
      return null;
    }
    return this.apply(update) ? update : null;
  }

  /** The connection is gone: the server forgot this peer and its links. */
  reset(): void {
    this.currentSwarm = null;
    this.set.clear();
    this.buffered = null;
  }

  private apply(update: NeighbourUpdate): boolean {
    if (this.currentSwarm === null || update.swarm !== this.currentSwarm) return false;
    // Removes first: an id removed and added in one event is a rebuilt link (§4.3).
    for (const id of update.remove) this.set.delete(id);
    for (const n of update.add) this.set.set(n.peerId, n);
    return true;
  }
}
