/**
 * measured_cap.ts: the shared cases of tests/vectors/measured_cap.json (the Python peer runs them
 * too) and the config's checks.
 */

import { describe, expect, it } from "vitest";
import { DEFAULT_MEASURED_CAP, MeasuredUploadCap } from "../../src/p2p/measured_cap";
import { loadVectors } from "../vectors";

type Step = { at: number; measured: number } | { at: number; stream_bps: number | null; queueing: boolean; expect: { rate_bytes_per_s: number | null; budget_bps: number } | null };

const vectors = loadVectors<{ config: Record<string, number>; cases: { name: string; steps: Step[] }[] }>("measured_cap.json");

describe("measured upload cap: shared vectors (tests/vectors/measured_cap.json)", () => {
  it("uses the defaults of the vectors", () => {
    expect(vectors.config).toEqual({
      share: DEFAULT_MEASURED_CAP.share,
      probe_every_s: DEFAULT_MEASURED_CAP.probeEveryS,
      probe_for_s: DEFAULT_MEASURED_CAP.probeForS,
      min_change: DEFAULT_MEASURED_CAP.minChange,
      small_below_x: DEFAULT_MEASURED_CAP.smallBelowX,
    });
  });
  for (const c of vectors.cases) {
    it(c.name, () => {
      const cap = new MeasuredUploadCap();
      for (const step of c.steps) {
        if ("measured" in step) {
          cap.measured(step.at, step.measured);
          continue;
        }
        const got = cap.at(step.at, step.stream_bps, step.queueing);
        if (step.expect === null) {
          expect(got, JSON.stringify(step)).toBeNull();
          continue;
        }
        expect(got?.budgetBps, JSON.stringify(step)).toBe(step.expect.budget_bps);
        if (step.expect.rate_bytes_per_s === null) expect(got?.rateBytesPerS, JSON.stringify(step)).toBeNull();
        else expect(got?.rateBytesPerS, JSON.stringify(step)).toBeCloseTo(step.expect.rate_bytes_per_s, 6);
      }
    });
  }
});

describe("measured upload cap: config", () => {
  it("caps nothing with share 0", () => {
    const cap = new MeasuredUploadCap({ ...DEFAULT_MEASURED_CAP, share: 0 });
    cap.measured(0, 100_000);
    expect(cap.at(1, 10_000_000, true)).toBeNull();
  });
  it("refuses nonsense", () => {
    expect(() => new MeasuredUploadCap({ ...DEFAULT_MEASURED_CAP, share: 1.5 })).toThrow(RangeError);
    expect(() => new MeasuredUploadCap({ ...DEFAULT_MEASURED_CAP, probeEveryS: 0 })).toThrow(RangeError);
  });
});
