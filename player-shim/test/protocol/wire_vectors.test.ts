/** tests/vectors/wire.json, written by protocol/wire.py: the TS codec must agree byte for byte. */
import { describe, expect, it } from "vitest";
import { bytesToHex, hexToBytes } from "../../src/protocol/bytes";
import { decodeMessage, encodeMessage, WireError, type WireMessage } from "../../src/protocol/wire";
import { hasVectors, loadVectors } from "../vectors";

interface VectorFile {
  valid: { name: string; hex: string; message: Record<string, unknown> }[];
  invalid: { name: string; hex: string; error: string }[];
}

/** The vectors' snake_case messages (bytes as hex) as the TS union. */
function fromVector(m: Record<string, unknown>): WireMessage {
  const n = (k: string): number => m[k] as number;
  switch (m.type) {
    case "HELLO":
      return { type: "hello", capabilities: n("capabilities"), pieceSize: n("piece_size"), maxPiecesPerRequest: n("max_pieces_per_request"), swarmId: m.swarm_id as string };
    case "HAVE":
      return { type: "have", baseSeq: n("base_seq"), count: n("count"), bitmap: hexToBytes(m.bitmap as string) };
    case "HAVE_DELTA":
      return { type: "have_delta", seq: n("seq") };
    case "HAVE_PIECES":
      return { type: "have_pieces", seq: n("seq"), count: n("count"), bitmap: hexToBytes(m.bitmap as string), originRate: n("origin_rate") };
    case "REQUEST":
      return { type: "request", requestId: n("request_id"), seq: n("seq"), firstPiece: n("first_piece"), pieceCount: n("piece_count") };
    case "PIECE":
      return { type: "piece", requestId: n("request_id"), seq: n("seq"), index: n("index"), data: hexToBytes(m.data as string) };
    case "CANCEL":
      return { type: "cancel", requestId: n("request_id") };
    case "REJECT":
      return { type: "reject", requestId: n("request_id"), reason: n("reason") as 1 };
    case "CHOKE":
      return { type: "choke" };
    case "UNCHOKE":
      return { type: "unchoke" };
    case "GOODBYE":
      return { type: "goodbye", reason: n("reason") as 0 };
  }
  throw new Error(`unknown vector type ${String(m.type)}`);
}

describe.skipIf(!hasVectors("wire.json"))("tests/vectors/wire.json", () => {
  const vectors = hasVectors("wire.json") ? loadVectors<VectorFile>("wire.json") : { valid: [], invalid: [] };

  it("has vectors", () => {
    expect(vectors.valid.length).toBeGreaterThan(0);
    expect(vectors.invalid.length).toBeGreaterThan(0);
  });

  it.each(vectors.valid.map((v) => [v.name, v] as const))("valid: %s", (_name, v) => {
    const expected = fromVector(v.message);
    const decoded = decodeMessage(hexToBytes(v.hex));
    expect({ ...decoded }).toEqual(expected);
    expect(bytesToHex(encodeMessage(expected))).toBe(v.hex);
  });

  it.each(vectors.invalid.map((v) => [v.name, v] as const))("invalid: %s", (_name, v) => {
    let error: unknown = null;
    try {
      decodeMessage(hexToBytes(v.hex));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WireError);
    expect((error as WireError).kind).toBe(v.error);
  });
});
