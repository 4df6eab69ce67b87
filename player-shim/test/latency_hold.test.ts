/** The latency hold wins back what a slipping media clock lost, never what a wait lost (src/latency_hold.ts). */
import { describe, expect, it } from "vitest";
import { DEFAULT_HOLD, LatencyHold, type HoldSample } from "../src/latency_hold";

/** Plays `seconds` of wall time at `speed` media seconds per second (a slipping clock < 1), one sample a second. */
function play(hold: LatencyHold, from: HoldSample, seconds: number, speed: number, bufferAheadS = 5): { rates: number[]; last: HoldSample } {
  const rates: number[] = [];
  let s = from;
  let rate = 1;
  for (let i = 0; i < seconds; i++) {
    s = { wallMs: s.wallMs + 1000, mediaTime: s.mediaTime + speed * rate, progressing: true, bufferAheadS };
    rate = hold.update(s);
    rates.push(rate);
  }
  return { rates, last: s };
}

const start: HoldSample = { wallMs: 0, mediaTime: 100, progressing: true, bufferAheadS: 5 };

describe("LatencyHold", () => {
  it("leaves a real-time clock alone", () => {
    const hold = new LatencyHold();
    hold.update(start);
    expect(play(hold, start, 60, 1).rates.every((r) => r === 1)).toBe(true);
  });

  it("speeds up once a slipping clock has lost half a second, and wins it back", () => {
    const hold = new LatencyHold();
    hold.update(start);
    const { rates, last } = play(hold, start, 180, 0.97); // the steady lab's P2P viewers: 0.96-0.98x
    expect(rates.slice(0, 15).every((r) => r === 1)).toBe(true); // 0.03 s/s: 0.5 s takes ~17 s
    expect(rates).toContain(DEFAULT_HOLD.rate);
    expect(Math.max(...rates)).toBeLessThanOrEqual(DEFAULT_HOLD.rate); // never far behind
    expect(hold.slip(last)).toBeLessThan(DEFAULT_HOLD.startS + 0.05);
  });

  it("does not win back the time a stall cost (the wait re-anchors it)", () => {
    const hold = new LatencyHold();
    hold.update(start);
    const before = play(hold, start, 10, 1).last;
    // A 4 s stall: media time stands still, the player is not progressing.
    let s = before;
    for (let i = 0; i < 4; i++) {
      s = { ...s, wallMs: s.wallMs + 1000, progressing: false };
      expect(hold.update(s)).toBe(1);
    }
    hold.update({ ...s, progressing: true });
    expect(play(hold, { ...s, progressing: true }, 30, 1).rates.every((r) => r === 1)).toBe(true);
  });

  it("does not spend a short buffer: catches up only while the buffer covers the slip plus the margin", () => {
    const hold = new LatencyHold();
    hold.update(start);
    const thin = play(hold, start, 60, 0.97, DEFAULT_HOLD.marginS + 0.4);
    expect(thin.rates.every((r) => r === 1)).toBe(true);
  });

  it("keeps winning back a slip longer than the buffer covers (a swarm member's buffer ends at the election horizon)", () => {
    const hold = new LatencyHold();
    hold.update(start);
    // The steady lab's starved P2P renderers played 0.90x of the rate asked, with 6-12 s buffered.
    const { rates, last } = play(hold, start, 180, 0.9, 6);
    expect(rates.slice(60).every((r) => r > 1)).toBe(true);
    expect(hold.slip(last)).toBeLessThan(DEFAULT_HOLD.fastS + 0.5); // held, not 14 s behind
  });

  it("plays faster when far behind, and stops once back", () => {
    const hold = new LatencyHold();
    hold.update(start);
    // 3 s lost to hidden hiccups (no wait event): media time jumps behind wall time.
    const behind: HoldSample = { wallMs: 1000, mediaTime: 98, progressing: true, bufferAheadS: 8 };
    expect(hold.update(behind)).toBe(DEFAULT_HOLD.fastRate);
    const { rates, last } = play(hold, behind, 60, 1, 8);
    expect(rates).toContain(DEFAULT_HOLD.rate);
    expect(rates[rates.length - 1]).toBe(1);
    expect(hold.slip(last)).toBeLessThanOrEqual(DEFAULT_HOLD.stopS + 1e-9);
  });
});
