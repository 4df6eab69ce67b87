/**
 * When the engine may try to join a swarm again (pure; time passed in). A failed join waits
 * 5 s, doubling up to a minute; a ban (a `banned` error or connect refusal) waits out the
 * ban time and then tries again: P2P is paused, never off for the page session, since a
 * ban can come from a false report (docs/security.md §4.2).
 */

export const JOIN_RETRY_MS = 5_000;
export const JOIN_RETRY_MAX_MS = 60_000;

export class JoinBackoff {
  private failedAt = -Infinity;
  private waitMs = JOIN_RETRY_MS;
  private bannedUntil = -Infinity;

  constructor(private readonly bannedRetryMs: number) {}

  /** Whether a join may be tried at `now` (ms). */
  mayTry(now: number): boolean {
    return now >= this.bannedUntil && now - this.failedAt >= this.waitMs;
  }

  failed(now: number): void {
    if (this.failedAt > -Infinity) this.waitMs = Math.min(JOIN_RETRY_MAX_MS, this.waitMs * 2);
    this.failedAt = now;
  }

  banned(now: number): void {
    this.bannedUntil = now + this.bannedRetryMs;
  }

  succeeded(): void {
    this.failedAt = -Infinity;
    this.waitMs = JOIN_RETRY_MS;
  }

  reset(): void {
    this.succeeded();
    this.bannedUntil = -Infinity;
  }
}
