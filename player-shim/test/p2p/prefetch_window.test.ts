/** Which fragments the engine brings in before the player asks (prefetch_window.ts). */
import { describe, expect, it } from "vitest";
import { BUFFERED_SLACK_S, prefetchWindow } from "../../src/p2p/prefetch_window";

/** 2 s fragments starting at 10, 12, ..., 24. */
const FRAGMENTS = [10, 12, 14, 16, 18, 20, 22, 24].map((start) => ({ url: `seg-${start}.m4s`, start, duration: 2 }));
const starts = (list: { start: number }[]) => list.map((f) => f.start);

describe("prefetchWindow", () => {
  it("takes the fragments from the playhead to the horizon when nothing is buffered", () => {
    const view = { position: 13, bufferedEnd: 13, horizon: 20, playerLoads: new Set<string>() };
    expect(starts(prefetchWindow(FRAGMENTS, view))).toEqual([12, 14, 16, 18, 20]);
  });

  it("leaves out what the player has buffered ahead of the playhead (another rendition after an ABR switch)", () => {
    const view = { position: 13, bufferedEnd: 18 - BUFFERED_SLACK_S / 2, horizon: 22, playerLoads: new Set<string>() };
    expect(starts(prefetchWindow(FRAGMENTS, view))).toEqual([18, 20, 22]);
  });

  it("leaves out what the player loads over plain HTTP itself", () => {
    const view = { position: 13, bufferedEnd: 18, horizon: 22, playerLoads: new Set(["seg-18.m4s"]) };
    expect(starts(prefetchWindow(FRAGMENTS, view))).toEqual([20, 22]);
  });

  it("keeps a fragment the buffer only starts (the player still asks for it)", () => {
    const view = { position: 13, bufferedEnd: 17, horizon: 20, playerLoads: new Set<string>() };
    expect(starts(prefetchWindow(FRAGMENTS, view))).toEqual([16, 18, 20]);
  });
});
