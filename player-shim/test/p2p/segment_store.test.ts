import { describe, expect, it } from "vitest";
import { SegmentBuffer, SegmentStore } from "../../src/p2p/segment_store";
import { parseIntegrityRecord, pieceRange } from "../../src/protocol/integrity";
import { haveFromSeqs, haveSeqs, MAX_HAVE_COUNT } from "../../src/protocol/wire";
import { integrityDoc, makeSigner, pseudoRandomBytes } from "../support/signed_segments";

const signer = makeSigner();
const record = (seq: number, size = 40_000) => parseIntegrityRecord(integrityDoc(signer, pseudoRandomBytes(size, seq + 1), { seq }));

describe("segment buffer", () => {
  it("tracks pieces, sources, timing and missing runs", () => {
    const data = pseudoRandomBytes(40_000, 4);
    const buffer = new SegmentBuffer(record(3), 6, 2);
    expect(buffer.missingRuns()).toEqual([[0, 3]]);
    buffer.noteRequested(100);
    buffer.noteRequested(150); // the first request counts
    const [s1, e1] = pieceRange(buffer.record, 1);
    expect(buffer.setPiece(1, data.subarray(s1, e1), "p2p", 200)).toBe(true);
    expect(buffer.setPiece(1, data.subarray(s1, e1), "http", 210)).toBe(false); // duplicate ignored
    expect(buffer.missingRuns()).toEqual([
      [0, 1],
      [2, 1],
    ]);
    expect(buffer.piece(0)).toBeNull();
    expect(buffer.piece(1)).toEqual(data.subarray(s1, e1));
    expect([buffer.requestedAt, buffer.firstByteAt, buffer.completedAt]).toEqual([100, 200, null]);
    expect([buffer.p2pBytes, buffer.httpBytes]).toEqual([e1 - s1, 0]);
  });
});

describe("segment store", () => {
  it("evicts the oldest segments beyond its cap, never those still wanted", () => {
    const store = new SegmentStore(2);
    for (const seq of [10, 11, 12, 13]) store.add(new SegmentBuffer(record(seq, 2000), seq * 2, 2));
    expect(store.evictionCandidates(new Set([10]))).toEqual([11, 12]);
    expect(store.evictionCandidates(new Set())).toEqual([10, 11]);
  });
});

describe("HAVE helpers", () => {
  it("keep the newest 4096 segments when a set spans more", () => {
    const have = haveFromSeqs([1, 5000, 5001]);
    expect(have.count).toBeLessThanOrEqual(MAX_HAVE_COUNT);
    expect(haveSeqs(have)).toEqual([5000, 5001]);
    expect(haveSeqs(haveFromSeqs([]))).toEqual([]);
  });
});
