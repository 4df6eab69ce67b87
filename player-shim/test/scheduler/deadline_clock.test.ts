/**
 * DeadlineClock's HTTP rate: a link rate measured outside the scheduler (seedHttpRate) replaces
 * the config's guess until a fetch of its own is measured, and without a seed the first fetch
 * replaces the guess; later fetches are averaged in (tests/peer/test_deadline_clock.py is the
 * same test for the Python port).
 */
import { describe, expect, it } from "vitest";
import { DeadlineClock } from "../../src/scheduler/deadline_clock";
import { DEFAULT_SCHEDULER_CONFIG, schedulerConfig } from "../../src/scheduler/scheduler_config";

describe("DeadlineClock.seedHttpRate", () => {
  it("replaces the guess until an own fetch is measured", () => {
    const clock = new DeadlineClock(schedulerConfig());
    expect(clock.httpRate).toBe(DEFAULT_SCHEDULER_CONFIG.httpRateEstimateBytesPerS);
    clock.seedHttpRate(125_000); // a 1 Mbit/s downlink
    expect(clock.httpRate).toBe(125_000);
    clock.httpFetchDone(100_000, 1.0, 10.0);
    const weight = DEFAULT_SCHEDULER_CONFIG.httpRateEwmaWeight;
    const measured = (1 - weight) * 125_000 + weight * 100_000;
    expect(clock.httpRate).toBeCloseTo(measured, 6);
    clock.seedHttpRate(2_000_000); // measured fetches of its own outweigh an outside figure
    expect(clock.httpRate).toBeCloseTo(measured, 6);
  });

  it("ignores nonsense", () => {
    const clock = new DeadlineClock(schedulerConfig());
    clock.seedHttpRate(0);
    expect(clock.httpRate).toBe(DEFAULT_SCHEDULER_CONFIG.httpRateEstimateBytesPerS);
  });

  it("dates the rate by an own fetch or a dated seed (what OriginGate.originKnownFast goes by)", () => {
    const clock = new DeadlineClock(schedulerConfig());
    clock.seedHttpRate(125_000);
    expect(clock.httpRateAt).toBeNull(); // undated: not known to be fresh
    clock.seedHttpRate(130_000, 4.0); // the player's own load, through the download meter
    expect([clock.httpRate, clock.httpRateAt]).toEqual([130_000, 4.0]);
    clock.httpFetchDone(100_000, 1.0, 6.0);
    expect(clock.httpRateAt).toBe(6.0);
    clock.seedHttpRate(2_000_000, 7.0); // seeds no longer move it
    expect(clock.httpRateAt).toBe(6.0);
  });

  it("takes the first own fetch instead of the guess, then averages", () => {
    const clock = new DeadlineClock(schedulerConfig());
    clock.httpFetchDone(150_000, 0.5, 3.0); // 300 kB/s: a 2.4 Mbit/s downlink
    expect(clock.httpRate).toBe(300_000);
    clock.httpFetchDone(100_000, 1.0, 5.0);
    const weight = DEFAULT_SCHEDULER_CONFIG.httpRateEwmaWeight;
    expect(clock.httpRate).toBeCloseTo((1 - weight) * 300_000 + weight * 100_000, 6);
  });
});
