import { describe, expect, it } from "vitest";
import { JOIN_RETRY_MAX_MS, JOIN_RETRY_MS, JoinBackoff } from "../../src/p2p/join_backoff";

describe("JoinBackoff", () => {
  it("doubles the wait after repeated failures, up to a minute", () => {
    const b = new JoinBackoff(600_000);
    expect(b.mayTry(0)).toBe(true);
    b.failed(0);
    expect(b.mayTry(JOIN_RETRY_MS - 1)).toBe(false);
    expect(b.mayTry(JOIN_RETRY_MS)).toBe(true);
    let now = 0;
    for (let i = 0; i < 10; i++) b.failed((now += 1));
    expect(b.mayTry(now + JOIN_RETRY_MAX_MS - 1)).toBe(false);
    expect(b.mayTry(now + JOIN_RETRY_MAX_MS)).toBe(true);
    b.succeeded();
    expect(b.mayTry(now + 1)).toBe(true);
  });

  it("a ban pauses P2P for the ban time, then joins are tried again", () => {
    const b = new JoinBackoff(600_000);
    b.banned(1_000);
    b.failed(1_000);
    expect(b.mayTry(1_000 + 599_999)).toBe(false);
    expect(b.mayTry(1_000 + 600_000)).toBe(true);
  });

  it("turning P2P back on at runtime forgets a ban", () => {
    const b = new JoinBackoff(600_000);
    b.banned(0);
    b.reset();
    expect(b.mayTry(1)).toBe(true);
  });
});
