/** queue_delay.ts: the access link's queue read from the links' consent-check round trips. */

import { describe, expect, it } from "vitest";
import { DEFAULT_QUEUE_DELAY, QueueDelay, type RoundTrips } from "../../src/p2p/queue_delay";
import { loadVectors } from "../vectors";

type Step =
  | { at: number; observe: [string, number, number][] }
  | { at: number; retain: string[] }
  | { at: number; expect_excess_s: number | null; expect_queueing: boolean };

const vectors = loadVectors<{ config: Record<string, number>; cases: { name: string; steps: Step[] }[] }>("queue_delay.json");

describe("queue delay: shared vectors (tests/vectors/queue_delay.json)", () => {
  it("uses the defaults of the vectors", () => {
    expect(vectors.config).toEqual({
      base_window_s: DEFAULT_QUEUE_DELAY.baseWindowS,
      recent_s: DEFAULT_QUEUE_DELAY.recentS,
      threshold_s: DEFAULT_QUEUE_DELAY.thresholdS,
      min_samples: DEFAULT_QUEUE_DELAY.minSamples,
    });
  });
  for (const c of vectors.cases) {
    it(c.name, () => {
      const delay = new QueueDelay();
      for (const step of c.steps) {
        if ("observe" in step) delay.observe(step.at, step.observe.map(([link, totalS, responses]) => [link, { totalS, responses }]));
        else if ("retain" in step) delay.retain(step.retain);
        else {
          const excess = delay.excessS(step.at);
          if (step.expect_excess_s === null) expect(excess, JSON.stringify(step)).toBeNull();
          else expect(excess, JSON.stringify(step)).toBeCloseTo(step.expect_excess_s, 6);
          expect(delay.queueing(step.at), JSON.stringify(step)).toBe(step.expect_queueing);
        }
      }
    });
  }
});

/** Feeds one link a round trip of `rttS` per observation, one second apart. */
function feed(delay: QueueDelay, link: string, from: number, rtts: number[], start: RoundTrips = { totalS: 0, responses: 0 }): RoundTrips {
  let count = start;
  delay.observe(from, [[link, count]]);
  rtts.forEach((rtt, i) => {
    count = { totalS: count.totalS + rtt, responses: count.responses + 1 };
    delay.observe(from + i + 1, [[link, count]]);
  });
  return count;
}

describe("queue delay", () => {
  it("queues when the recent round trips exceed each link's own base by the threshold", () => {
    const delay = new QueueDelay();
    feed(delay, "cable", 0, [0.01, 0.01, 0.2, 0.21, 0.22]); // base 10 ms, then 200 ms of queue
    expect(delay.excessS(5)).toBeCloseTo(0.19, 6);
    expect(delay.queueing(5)).toBe(true);
  });

  it("does not queue on a path that is long but steady (a TURN relay far away)", () => {
    const delay = new QueueDelay();
    feed(delay, "relayed", 0, [0.3, 0.31, 0.3, 0.32]);
    expect(delay.queueing(4)).toBe(false);
  });

  it("has no verdict from too few samples or stale ones", () => {
    const delay = new QueueDelay();
    feed(delay, "a", 0, [0.01, 0.3]);
    expect(delay.excessS(2)).toBeNull(); // 2 samples, 3 needed
    feed(delay, "b", 0, [0.01, 0.3, 0.3]);
    expect(delay.queueing(3)).toBe(true);
    expect(delay.excessS(3 + DEFAULT_QUEUE_DELAY.recentS + 1)).toBeNull(); // nothing recent
  });

  it("takes a sample only from new responses, each link against its own base", () => {
    const delay = new QueueDelay();
    const a = feed(delay, "a", 0, [0.01, 0.012]);
    delay.observe(3, [["a", a]]); // no new response: no sample
    expect(delay.excessS(3)).toBeNull();
    delay.observe(4, [["a", { totalS: a.totalS + 0.5, responses: a.responses + 2 }]]); // two at 250 ms: one sample of their mean
    expect(delay.excessS(4)).toBeCloseTo(0.002, 6); // median of 0, 0.002, 0.24
    feed(delay, "b", 4, [0.1, 0.1, 0.1]); // a longer path, steady: no excess of its own
    expect(delay.excessS(7)).toBeCloseTo(0, 6); // median of 0, 0.002, 0.24, 0, 0, 0
  });

  it("forgets closed links", () => {
    const delay = new QueueDelay();
    feed(delay, "a", 0, [0.01, 0.3, 0.3]);
    delay.retain(["b"]);
    expect(delay.excessS(3)).toBeNull();
  });

  it("refuses nonsense", () => {
    expect(() => new QueueDelay({ ...DEFAULT_QUEUE_DELAY, recentS: 0 })).toThrow(RangeError);
    expect(() => new QueueDelay({ ...DEFAULT_QUEUE_DELAY, baseWindowS: 5 })).toThrow(RangeError);
    expect(() => new QueueDelay({ ...DEFAULT_QUEUE_DELAY, minSamples: 0 })).toThrow(RangeError);
  });
});
