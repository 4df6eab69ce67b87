/** Actions to frames: the origin rate of HAVE_PIECES reaches only neighbours that decode it. */
import { describe, expect, it } from "vitest";
import { broadcastFrame, frameForNeighbour } from "../../src/p2p/wire_translate";
import { CAPABILITY_ORIGIN_RATE, CAPABILITY_UPLOAD, decodeMessage, encodeMessage, havePiecesFrom } from "../../src/protocol/wire";

describe("HAVE_PIECES origin rate", () => {
  const frame = broadcastFrame({ action: "announce_pieces", seq: 7, pieces: [0, 1], originRate: 90_000 });

  it("is kept for a neighbour that set CAPABILITY_ORIGIN_RATE", () => {
    expect(frame).toMatchObject({ type: "have_pieces", seq: 7, originRate: 90_000 });
    const sent = frameForNeighbour(frame!, CAPABILITY_UPLOAD | CAPABILITY_ORIGIN_RATE);
    expect(decodeMessage(encodeMessage(sent))).toEqual(frame);
  });

  it("is left out for an older neighbour (its decoder refuses trailing bytes)", () => {
    const sent = frameForNeighbour(frame!, CAPABILITY_UPLOAD);
    expect(encodeMessage(sent)).toEqual(encodeMessage(havePiecesFrom(7, [0, 1])));
  });
});
