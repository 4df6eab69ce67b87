/** What the pure scheduler tells its adapters beyond actions (tests/vectors/scheduler covers its actions). */
import { describe, expect, it } from "vitest";
import { PieceScheduler } from "../../src/scheduler/piece_scheduler";
import { schedulerConfig } from "../../src/scheduler/scheduler_config";

describe("piece scheduler", () => {
  it("says which neighbour holds a segment whole (adapters send it no HAVE_PIECES of it)", () => {
    const sched = new PieceScheduler(schedulerConfig({}), "me", 0);
    sched.peerConnected(0, "A");
    expect(sched.neighbourHolds("A", 7)).toBe(false);
    sched.peerHavePieces(0.1, "A", 7, [0, 1]); // part of it is not the whole segment
    expect(sched.neighbourHolds("A", 7)).toBe(false);
    sched.peerHaveDelta(0.2, "A", 7);
    expect(sched.neighbourHolds("A", 7)).toBe(true);
    sched.peerHave(0.3, "A", [8]); // HAVE replaces the set
    expect(sched.neighbourHolds("A", 7)).toBe(false);
    expect(sched.neighbourHolds("A", 8)).toBe(true);
    expect(sched.neighbourHolds("B", 8)).toBe(false); // unknown neighbour
    sched.peerClosed(0.4, "A");
    expect(sched.neighbourHolds("A", 8)).toBe(false);
  });

  it("knows the stream's bitrate from the latest segment (the measured upload cap compares the uplink with it)", () => {
    const sched = new PieceScheduler(schedulerConfig({}), "me", 0);
    expect(sched.streamBitrateBps).toBeNull();
    sched.segmentAdded(0, 1, { size: 150_000, pieceSize: 16_384, start: 0, duration: 2 });
    expect(sched.streamBitrateBps).toBe(600_000);
    sched.segmentAdded(0, 2, { size: 60_000, pieceSize: 16_384, start: 2, duration: 2 }); // a lower rendition's session
    expect(sched.streamBitrateBps).toBe(240_000);
    sched.segmentAdded(0, 3, { size: 60_000, pieceSize: 16_384, start: 4, duration: 0 }); // no duration: unchanged
    expect(sched.streamBitrateBps).toBe(240_000);
  });
});
