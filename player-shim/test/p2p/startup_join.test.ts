/** A newcomer's first fragment waits, bounded, for the swarm join (src/p2p/startup_join.ts). */
import { describe, expect, it } from "vitest";
import { electsFirstCopy, startupSession } from "../../src/p2p/startup_join";

const withNeighbours = { neighbourCount: 3 };
const alone = { neighbourCount: 0 };

function later<T>(value: T, ms: number): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms));
}

describe("startupSession", () => {
  it("starts from the swarm when the join names neighbours in time", async () => {
    expect(await startupSession(later(withNeighbours, 10), 1000, new AbortController().signal)).toBe(withNeighbours);
  });

  it("goes to plain HTTP when signaling named no neighbour (nobody to start from)", async () => {
    expect(await startupSession(later(alone, 10), 1000, new AbortController().signal)).toBeNull();
  });

  it("waits no longer than its bound for a slow join", async () => {
    // The join would name neighbours, but only after the bound: the fragment goes to HTTP.
    expect(await startupSession(later(withNeighbours, 2000), 50, new AbortController().signal)).toBeNull();
  });

  it("goes to plain HTTP when the join fails or is refused", async () => {
    expect(await startupSession(Promise.reject(new Error("refused")), 1000, new AbortController().signal)).toBeNull();
    expect(await startupSession(Promise.resolve(null), 1000, new AbortController().signal)).toBeNull();
  });

  it("does not wait at all with a zero bound (after the first frame)", async () => {
    expect(await startupSession(later(withNeighbours, 10), 0, new AbortController().signal)).toBeNull();
  });

  it("rejects when hls.js aborts the load while it waits", async () => {
    const controller = new AbortController();
    const waiting = startupSession(later(withNeighbours, 2000), 5000, controller.signal);
    controller.abort();
    await expect(waiting).rejects.toThrow("aborted");
  });
});

describe("electsFirstCopy", () => {
  it("holds the election over new live segments, and over every segment wanted before the first frame", () => {
    expect(electsFirstCopy(true, true)).toBe(true);
    expect(electsFirstCopy(false, false)).toBe(true);
    expect(electsFirstCopy(true, false)).toBe(true);
    expect(electsFirstCopy(false, true)).toBe(false);
  });
});
