import { describe, expect, it } from "vitest";
import { bytesToHex, hexToBytes } from "../../src/protocol/bytes";
import {
  decodeMessage,
  encodeMessage,
  haveFromSeqs,
  haveSeqs,
  MAX_FRAME_SIZE,
  WireError,
  type WireMessage,
} from "../../src/protocol/wire";

function decodeError(hex: string): string {
  try {
    decodeMessage(hexToBytes(hex));
  } catch (e) {
    expect(e).toBeInstanceOf(WireError);
    return (e as WireError).kind;
  }
  throw new Error("decoded");
}

describe("wire codec", () => {
  const samples: WireMessage[] = [
    { type: "hello", capabilities: 3, pieceSize: 16384, maxPiecesPerRequest: 16, swarmId: "demo/720p" },
    { type: "have", baseSeq: 40, count: 10, bitmap: Uint8Array.of(0xff, 0x80) },
    { type: "have_delta", seq: 0xffffffff },
    { type: "request", requestId: 7, seq: 42, firstPiece: 3, pieceCount: 5 },
    { type: "piece", requestId: 7, seq: 42, index: 3, data: Uint8Array.of(1, 2, 3) },
    { type: "cancel", requestId: 7 },
    { type: "reject", requestId: 7, reason: 2 },
    { type: "choke" },
    { type: "unchoke" },
    { type: "goodbye", reason: 2 },
  ];

  it.each(samples.map((m) => [m.type, m] as const))("round-trips %s", (_name, msg) => {
    expect(decodeMessage(encodeMessage(msg))).toEqual(msg);
  });

  it("encodes big-endian with the version byte first", () => {
    expect(bytesToHex(encodeMessage({ type: "request", requestId: 1, seq: 0x01020304, firstPiece: 2, pieceCount: 1 }))).toBe(
      "01040000000101020304" + "00020001",
    );
  });

  it("classifies malformed frames like protocol/wire.py", () => {
    expect(decodeError("")).toBe("TruncatedFrame");
    expect(decodeError("02030000002a")).toBe("UnsupportedVersion");
    expect(decodeError("01ff")).toBe("UnknownType");
    expect(decodeError("010300002a")).toBe("TruncatedFrame");
    expect(decodeError("01030000002a00")).toBe("TrailingBytes");
    expect(decodeError("01070000000109")).toBe("FieldOutOfRange");
    expect(decodeError("010400000001000000020000" + "0000")).toBe("FieldOutOfRange"); // piece_count 0
    expect(decodeError("0102000000001001" + "00".repeat(0x1001 / 8 + 1))).toBe("FieldOutOfRange");
    expect(decodeError("01020000000a0009ffc0")).toBe("FieldOutOfRange"); // count 9, padding bit set
    expect(decodeError("0105000000010000000200ff")).toBe("TruncatedFrame");
    const big = new Uint8Array(MAX_FRAME_SIZE + 1);
    big[0] = 1;
    big[1] = 5;
    expect(() => decodeMessage(big)).toThrow(WireError);
  });

  it("builds HAVE bitmaps MSB first", () => {
    const have = haveFromSeqs([10, 11, 17]);
    expect(have.baseSeq).toBe(10);
    expect(have.count).toBe(8);
    expect(bytesToHex(have.bitmap)).toBe("c1");
    expect(haveSeqs(have)).toEqual([10, 11, 17]);
  });

  it("never throws anything but WireError on random input", () => {
    let seed = 1;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed);
    for (let i = 0; i < 3000; i++) {
      const frame = new Uint8Array(rand() % 40);
      for (let j = 0; j < frame.length; j++) frame[j] = rand() & 0xff;
      if (frame.length > 0) frame[0] = 1;
      if (frame.length > 1) frame[1] = (frame[1] as number) % 12;
      try {
        const msg = decodeMessage(frame);
        expect(encodeMessage(msg)).toEqual(frame); // one encoding per message
      } catch (e) {
        expect(e).toBeInstanceOf(WireError);
      }
    }
  });
});
