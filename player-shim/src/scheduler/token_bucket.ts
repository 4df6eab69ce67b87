/** Token bucket for the optional upload cap (peer/token_bucket.py); time is passed in. */

// Refill arithmetic in floating point can leave a bucket a hair short at its own ready time.
const EPSILON = 1e-9;

export class TokenBucket {
  private tokens: number;
  private updated: number;

  constructor(
    readonly rate: number,
    readonly capacity: number,
    now: number,
  ) {
    if (rate <= 0 || capacity <= 0) throw new RangeError("rate and capacity must be > 0");
    this.tokens = capacity;
    this.updated = now;
  }

  private refill(now: number): void {
    if (now > this.updated) {
      this.tokens = Math.min(this.capacity, this.tokens + (now - this.updated) * this.rate);
      this.updated = now;
    }
  }

  /** Takes `amount` bytes if the bucket allows it now (a send above capacity leaves a debt). */
  tryConsume(now: number, amount: number): boolean {
    this.refill(now);
    if (this.tokens + EPSILON >= Math.min(amount, this.capacity)) {
      this.tokens -= amount;
      return true;
    }
    return false;
  }

  /** Earliest time at which `tryConsume(amount)` succeeds. */
  readyAt(now: number, amount: number): number {
    this.refill(now);
    const need = Math.min(amount, this.capacity);
    if (this.tokens + EPSILON >= need) return now;
    return now + (need - this.tokens) / this.rate;
  }
}
