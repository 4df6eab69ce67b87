/** A newcomer's first fragment waits, bounded, for the swarm join (src/p2p/startup_join.ts). */
import { describe, expect, it } from "vitest";
import { CROWD_RECENT_JOINS, electsFirstCopy, SLOW_ORIGIN_MS, startsFromSwarm, StartupPlan, startupSession } from "../../src/p2p/startup_join";

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

  it("stops waiting when the first frame plays meanwhile (playback then never waits for signaling)", async () => {
    const started = later(undefined, 10);
    expect(await startupSession(later(withNeighbours, 2000), 5000, new AbortController().signal, started)).toBeNull();
  });

  it("still starts from the swarm when the join comes before the first frame", async () => {
    expect(await startupSession(later(withNeighbours, 10), 5000, new AbortController().signal, later(undefined, 2000))).toBe(withNeighbours);
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

describe("startsFromSwarm", () => {
  const fast = 40; // ms: an idle origin answering the join's small requests
  const steady = (swarmSize: number, recentJoins: number) => ({ neighbours: 3, arrivals: { swarmSize, recentJoins }, originMs: fast });

  it("starts over plain HTTP on a fast origin with a steady audience (one join every 2 s)", () => {
    // The lab's steady scenario: 8 viewers over 14 s, so at most 2 others in signaling's 4 s window.
    for (const [size, recent] of [[2, 1], [3, 2], [5, 2], [8, 2]] as const) {
      expect(startsFromSwarm(steady(size, recent))).toEqual({ swarm: false, why: "origin-fast" });
    }
  });

  it("starts from the swarm when a crowd is arriving (most of the swarm joined just now)", () => {
    expect(startsFromSwarm(steady(4, CROWD_RECENT_JOINS))).toEqual({ swarm: true, why: "crowd" });
    expect(startsFromSwarm(steady(8, 7))).toEqual({ swarm: true, why: "crowd" }); // all at once
    expect(startsFromSwarm(steady(8, 4))).toEqual({ swarm: true, why: "crowd" });
  });

  it("does not take a large steady audience's few recent joins for a crowd", () => {
    expect(startsFromSwarm(steady(1000, 4)).swarm).toBe(false);
    expect(startsFromSwarm(steady(9, 3)).swarm).toBe(false); // 3 of 8 others: under half
  });

  it("starts from the swarm when the origin answered the join slowly (its link is queueing)", () => {
    expect(startsFromSwarm({ neighbours: 3, arrivals: { swarmSize: 3, recentJoins: 1 }, originMs: SLOW_ORIGIN_MS })).toEqual({ swarm: true, why: "origin-slow" });
    expect(startsFromSwarm({ neighbours: 3, arrivals: { swarmSize: 3, recentJoins: 1 }, originMs: SLOW_ORIGIN_MS - 1 }).swarm).toBe(false);
  });

  it("starts over HTTP without neighbours, whatever the crowd", () => {
    expect(startsFromSwarm({ neighbours: 0, arrivals: { swarmSize: 8, recentJoins: 7 }, originMs: 2000 })).toEqual({ swarm: false, why: "no-neighbours" });
  });

  it("keeps the swarm start when signaling sends no crowd figures (an older signaling)", () => {
    expect(startsFromSwarm({ neighbours: 2, arrivals: null, originMs: fast })).toEqual({ swarm: true, why: "unknown-arrivals" });
  });
});

describe("StartupPlan", () => {
  it("calls a startup fragment over HTTP slow past half its duration (in flight or done)", () => {
    expect(StartupPlan.slow(2, 1000)).toBe(false);
    expect(StartupPlan.slow(2, 1001)).toBe(true);
    expect(StartupPlan.slow(0, 60_000)).toBe(false); // no duration: nothing to compare with
  });

  const steadyArrivals = { swarmSize: 5, recentJoins: 1 };

  it("hedges (HTTP at once) until an origin request or a startup fragment shows congestion", async () => {
    let now = 0;
    const plan = new StartupPlan(() => now);
    expect(plan.hedges()).toBe(true);
    await plan.timed(Promise.resolve().then(() => (now += 40)));
    expect(plan.hedges()).toBe(true);
    await plan.timed(Promise.resolve().then(() => (now += SLOW_ORIGIN_MS)));
    expect(plan.hedges()).toBe(false);
    expect(plan.decide(3, steadyArrivals)).toEqual({ swarm: true, why: "origin-slow" });
  });

  it("moves the remaining startup fragments to the swarm after a slow HTTP one", () => {
    const plan = new StartupPlan(() => 0);
    expect(plan.decide(3, steadyArrivals)).toEqual({ swarm: false, why: "origin-fast" });
    expect(plan.httpFragment(2, 300)).toBe(false); // 0.3 s for a 2 s segment: a fast origin
    expect(plan.fromSwarm).toBe(false);
    expect(plan.httpFragment(2, 2600)).toBe(true); // a crowd on a capped link
    expect(plan.fromSwarm).toBe(true);
    expect(plan.hedges()).toBe(false);
    expect(plan.httpFragment(2, 2600)).toBe(false); // switched once
  });

  it("carries a slow fragment seen before the join into the join's decision", () => {
    const plan = new StartupPlan(() => 0);
    expect(plan.httpFragment(2, 1500)).toBe(false); // not decided yet: nothing to switch
    expect(plan.decide(3, steadyArrivals)).toEqual({ swarm: true, why: "media-slow" });
    expect(new StartupPlan(() => 0).decide(0, steadyArrivals).why).toBe("no-neighbours");
  });
});
