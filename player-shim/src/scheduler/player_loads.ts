/**
 * The player's own plain-HTTP loads, on the downlink the scheduler's origin fetches share
 * (peer/player_loads.py): before the swarm is joined and when the loader's safety net fires, the
 * player loads fragments itself. Counted as due before the segments after them (`DownlinkQueue`),
 * a load holds new fetches back as an earlier segment's missing bytes do (`newFetchShareX`,
 * `tightLinkBudgetS`).
 */

/** A fragment the player loads over plain HTTP: its media time, and the bytes expected (0: unknown, then the stream's bitrate times its duration). */
export class PlayerLoad {
  constructor(
    readonly seq: number,
    readonly start: number,
    readonly duration: number,
    readonly size: number,
    readonly since: number,
  ) {}

  /** Bytes still to come, as if the load had the member's measured link to itself since it began. */
  remaining(now: number, linkRate: number, bitrate: number): number {
    const size = this.size > 0 ? this.size : bitrate * this.duration;
    return Math.max(0, size - Math.max(0, now - this.since) * linkRate);
  }
}

/**
 * One scheduling pass's view of the downlink, in deadline order: the bytes that segments (and
 * player loads) due before the current one still miss, and whether one of them would miss its
 * deadline beside one more fetch at `sharedRate` (null: that rule is off).
 */
export class DownlinkQueue {
  missing = 0;
  late = false;

  constructor(
    private readonly now: number,
    private readonly sharedRate: number | null,
    private readonly marginS: number,
  ) {}

  /** A player load comes before the segments after it (not once played: no deadline). */
  addLoad(load: PlayerLoad, deadline: number | null, linkRate: number, bitrate: number): void {
    if (deadline !== null) this.add(load.remaining(this.now, linkRate, bitrate), deadline);
  }

  /** Something due at `deadline` still misses `missing` bytes. */
  add(missing: number, deadline: number | null): void {
    this.missing += missing;
    if (this.sharedRate === null || deadline === null || missing <= 0 || this.late) return;
    this.late = this.now + this.missing / this.sharedRate > deadline - this.marginS;
  }
}
