/** The viewer's origin download meter and the ABR timing of delivered segments (download_meter.ts). */
import { describe, expect, it } from "vitest";
import { abrTiming, DownloadMeter, MEDIAN_OF, MIN_SAMPLE_BYTES } from "../../src/p2p/download_meter";

/** A 200 kB segment requested at t=1000 ms, first byte at 1200, last at 5000 (4 s: a slow relay). */
const SLOW_FROM_PEERS = { size: 200_000, p2pBytes: 200_000, requestedAt: 1000, firstByteAt: 1200, completedAt: 5000 };

describe("DownloadMeter", () => {
  it("knows nothing before its first sample, then gives the median of the latest transfers", () => {
    const meter = new DownloadMeter();
    expect(meter.bytesPerS).toBeNull();
    meter.sample(200_000, 1000);
    expect(meter.bytesPerS).toBe(200_000);
    meter.sample(100_000, 1000);
    expect(meter.bytesPerS).toBe(150_000);
    meter.sample(120_000, 1000);
    expect(meter.bytesPerS).toBe(120_000);
  });

  it("is not moved by a segment the browser's cache handed over in a few ms", () => {
    // A 1.4 Mbit/s downlink (~170 kB/s), then a 150 kB cache hit in 10 ms (15 MB/s).
    const meter = new DownloadMeter();
    for (const ms of [900, 880, 950]) meter.sample(153_000, ms);
    meter.sample(153_000, 10);
    expect(meter.bytesPerS).toBeGreaterThan(160_000);
    expect(meter.bytesPerS).toBeLessThan(175_000);
  });

  it("follows a real change of the link within three transfers", () => {
    const meter = new DownloadMeter();
    for (let i = 0; i < MEDIAN_OF; i++) meter.sample(200_000, 1000); // 200 kB/s
    meter.sample(100_000, 1000);
    meter.sample(100_000, 1000);
    expect(meter.bytesPerS).toBe(200_000);
    meter.sample(100_000, 1000); // the third at the new rate: the median moves
    expect(meter.bytesPerS).toBe(100_000);
  });

  it("remembers when its latest sample was taken (a fresh one counts as the scheduler's own fetch)", () => {
    const meter = new DownloadMeter();
    expect(meter.measuredAtMs).toBeNull();
    meter.sample(200_000, 1000, 5_000);
    expect(meter.measuredAtMs).toBe(5_000);
    meter.sample(MIN_SAMPLE_BYTES - 1, 1, 6_000); // too small to count: the date stays
    expect(meter.measuredAtMs).toBe(5_000);
  });

  it("ignores transfers too small to measure the link, and empty timings", () => {
    const meter = new DownloadMeter();
    meter.sample(MIN_SAMPLE_BYTES - 1, 1);
    meter.sample(100_000, 0);
    meter.sample(100_000, Number.NaN);
    expect(meter.bytesPerS).toBeNull();
  });
});

describe("abrTiming", () => {
  it("reports a segment peers served slower than the viewer's link at the link's time", () => {
    // Link measured at 500 kB/s: the 200 kB segment takes 400 ms over it, not 4 s.
    expect(abrTiming(SLOW_FROM_PEERS, 500_000)).toEqual({ transferMs: 400, ttfbMs: 0 });
  });

  it("keeps the real transfer when peers were faster than the link, or nothing is measured", () => {
    expect(abrTiming(SLOW_FROM_PEERS, 20_000)).toEqual({ transferMs: 4000, ttfbMs: 200 });
    expect(abrTiming(SLOW_FROM_PEERS, null)).toEqual({ transferMs: 4000, ttfbMs: 200 });
  });

  it("times a segment the origin alone served from its first HTTP fetch, not from a silent neighbour's request", () => {
    // Asked of a neighbour at 1000 ms, which sent nothing; the HTTP takeover at 2800 brought it all
    // (first byte 2900, last 3600): the player is told 800 ms with a 100 ms TTFB, as over plain HTTP.
    const buffer = { ...SLOW_FROM_PEERS, p2pBytes: 0, httpRequestedAt: 2800, firstByteAt: 2900, completedAt: 3600 };
    expect(abrTiming(buffer, 500_000)).toEqual({ transferMs: 800, ttfbMs: 100 });
    expect(abrTiming(buffer, null)).toEqual({ transferMs: 800, ttfbMs: 100 });
    // Part of it from the neighbour after all: the mixed rule (at most the link's time) applies.
    expect(abrTiming({ ...buffer, p2pBytes: 16_384 }, 500_000)).toEqual({ transferMs: 400, ttfbMs: 0 });
  });

  it("keeps the real transfer of a segment that came from the origin only (that is the link)", () => {
    expect(abrTiming({ ...SLOW_FROM_PEERS, p2pBytes: 0 }, 500_000)).toEqual({ transferMs: 4000, ttfbMs: 200 });
  });

  it("has no timing for bytes without a transfer (the player's own earlier load)", () => {
    expect(abrTiming({ ...SLOW_FROM_PEERS, requestedAt: null }, 500_000)).toBeNull();
    expect(abrTiming({ ...SLOW_FROM_PEERS, completedAt: null }, 500_000)).toBeNull();
  });
});
