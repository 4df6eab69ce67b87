/**
 * p2p/channel_window.ts: the shared cases of tests/vectors/channel_window.json (the Python peer
 * runs them too), and what the window is for: a cancelled request's pieces that have not reached
 * the channel are dropped, not sent.
 */
import { describe, expect, it } from "vitest";
import { ChannelWindow, DEFAULT_CHANNEL_WINDOW } from "../../src/p2p/channel_window";
import { loadVectors } from "../vectors";

interface Step {
  at: number;
  drained: number;
  backlogged: boolean;
  high_water: number;
}
const vectors = loadVectors<{ config: Record<string, number>; cases: { name: string; steps: Step[] }[] }>("channel_window.json");

describe("channel window: shared vectors (tests/vectors/channel_window.json)", () => {
  it("uses the defaults of the vectors", () => {
    expect(vectors.config).toEqual({
      min_bytes: DEFAULT_CHANNEL_WINDOW.minBytes,
      max_bytes: DEFAULT_CHANNEL_WINDOW.maxBytes,
      buffer_s: DEFAULT_CHANNEL_WINDOW.bufferS,
      sample_s: DEFAULT_CHANNEL_WINDOW.sampleS,
    });
  });
  for (const c of vectors.cases) {
    it(c.name, () => {
      const window = new ChannelWindow();
      for (const step of c.steps) {
        window.observe(step.at, step.drained, step.backlogged);
        expect(window.highWater, `high water at ${step.at}`).toBe(step.high_water);
        expect(window.lowWater).toBe(Math.floor(step.high_water / 2));
      }
    });
  }
});

describe("channel window", () => {
  it("refuses a configuration without a positive range", () => {
    expect(() => new ChannelWindow({ ...DEFAULT_CHANNEL_WINDOW, minBytes: 0 })).toThrow();
    expect(() => new ChannelWindow({ ...DEFAULT_CHANNEL_WINDOW, maxBytes: 1000 })).toThrow();
    expect(() => new ChannelWindow({ ...DEFAULT_CHANNEL_WINDOW, bufferS: 0 })).toThrow();
  });
});
