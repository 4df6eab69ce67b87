/** What the pure scheduler tells its adapters beyond actions (tests/vectors/scheduler covers its actions). */
import { describe, expect, it } from "vitest";
import { freePieceShares } from "../../src/scheduler/peer_requests";
import { PieceScheduler } from "../../src/scheduler/piece_scheduler";
import { schedulerConfig } from "../../src/scheduler/scheduler_config";

/** The scheduler with its download book in reach (the pace rule's helpers read it). */
class BookScheduler extends PieceScheduler {
  get downloadBook() {
    return this.book;
  }
}

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

  it("splits a segment's unasked pieces over their holders by pace for the pace rule (peer/peer_requests.py twin)", () => {
    const sched = new BookScheduler(schedulerConfig({ maxInflightPiecesPerPeer: 1 }), "me", 0);
    const book = sched.downloadBook;
    sched.setPlayhead(0, 0, true);
    for (const peer of ["A", "B", "C"]) sched.peerConnected(0, peer);
    sched.peerHave(0, "A", [10]);
    sched.peerHavePieces(0, "B", 10, [0, 1, 2, 3]);
    sched.peerHavePieces(0, "C", 10, [6, 7]);
    sched.segmentAdded(0, 10, { size: 8 * 16_384, pieceSize: 16_384, start: 6, duration: 2 });
    const segment = book.segments.get(10)!;
    // One piece in flight each, dealt least-loaded first: A 0, B 1, C 6.
    expect(segment.owner.flatMap((owner, index) => (owner > 0 ? [index] : []))).toEqual([0, 1, 6]);
    book.peers.get("A")!.pieceTimeS = 0.2; // 5 pieces/s
    book.peers.get("B")!.pieceTimeS = 0.8; // 1.25 pieces/s; C is not measured
    const shares = freePieceShares(book, 0, segment);
    // Free: 2, 3 (A and B: 4 to 1), 4, 5 (A alone), 7 (A and unmeasured C: nobody).
    expect([...shares.keys()].sort()).toEqual(["A", "B"]);
    expect(shares.get("A")).toBeCloseTo(2 * 0.8 + 2, 9);
    expect(shares.get("B")).toBeCloseTo(2 * 0.2, 9);
  });
});
