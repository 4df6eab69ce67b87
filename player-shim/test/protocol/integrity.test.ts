import { describe, expect, it } from "vitest";
import { ed25519VerifierFor } from "../../src/protocol/ed25519";
import {
  IntegrityError,
  parseIntegrityRecord,
  parseSigningKey,
  pieceRange,
  verifyFile,
  verifyPiece,
  verifyRecordSignature,
} from "../../src/protocol/integrity";
import { integrityDoc, makeSigner, pseudoRandomBytes } from "../support/signed_segments";

async function errorKind(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    expect(e).toBeInstanceOf(IntegrityError);
    return (e as IntegrityError).kind;
  }
  throw new Error("no error");
}

describe.each(["webcrypto", "noble"] as const)("integrity records (%s)", (backend) => {
  const verifier = ed25519VerifierFor(backend);
  const signer = makeSigner();
  const data = pseudoRandomBytes(40000);
  const doc = integrityDoc(signer, data, { seq: 42 });

  it("accepts a correctly signed record, its pieces and its file", async () => {
    const record = parseIntegrityRecord(JSON.stringify(doc));
    expect(record.pieces).toHaveLength(3);
    await verifyRecordSignature(record, signer.key, verifier);
    for (let i = 0; i < 3; i++) {
      const [start, end] = pieceRange(record, i);
      await verifyPiece(record, i, data.subarray(start, end));
    }
    await verifyFile(record, data);
  });

  it("rejects a tampered field, a foreign key and a bad signature", async () => {
    const tampered = parseIntegrityRecord({ ...doc, seq: 43 });
    expect(await errorKind(verifyRecordSignature(tampered, signer.key, verifier))).toBe("signature");
    const other = makeSigner();
    expect(await errorKind(verifyRecordSignature(parseIntegrityRecord(doc), other.key, verifier))).toBe("key-id");
    const forged = parseIntegrityRecord(integrityDoc(other, data, { seq: 42 }));
    expect(await errorKind(verifyRecordSignature({ ...forged, keyId: signer.key.keyId }, signer.key, verifier))).toBe(
      "signature",
    );
  });

  it("rejects corrupt pieces and files", async () => {
    const record = parseIntegrityRecord(doc);
    const piece = data.slice(0, 16384);
    piece[100] = (piece[100] as number) ^ 1;
    expect(await errorKind(verifyPiece(record, 0, piece))).toBe("piece-hash");
    expect(await errorKind(verifyPiece(record, 2, data.subarray(32768, 39999)))).toBe("size");
    expect(await errorKind(verifyPiece(record, 3, data.subarray(0, 10)))).toBe("piece-hash");
    const file = data.slice();
    file[39999] = (file[39999] as number) ^ 0x80;
    expect(await errorKind(verifyFile(record, file))).toBe("file-hash");
    expect(await errorKind(verifyFile(record, data.subarray(1)))).toBe("size");
  });
});

describe("integrity parsing", () => {
  const signer = makeSigner();
  const doc = integrityDoc(signer, pseudoRandomBytes(5000), { pieceSize: 1024 });

  it.each([
    ["version", { version: 2 }],
    ["piece-count", { pieces: (doc.pieces as string[]).slice(1) }],
    ["limits", { piece_size: 512 }],
    ["limits", { size: 64 * 1024 * 1024 + 1 }],
    ["limits", { size: 0 }],
    ["malformed", { kind: "audio" }],
    ["malformed", { sha256: "AB".repeat(32) }],
    ["malformed", { signature: "abc=" }],
    ["malformed", { stream: "a b" }],
  ])("rejects %s: %j", async (kind, patch) => {
    expect(await errorKind(() => parseIntegrityRecord({ ...doc, ...patch }))).toBe(kind);
  });

  it("rejects non-JSON and missing fields", async () => {
    expect(await errorKind(() => parseIntegrityRecord("{"))).toBe("malformed");
    const { sha256: _drop, ...missing } = doc;
    expect(await errorKind(() => parseIntegrityRecord(missing))).toBe("malformed");
  });

  it("parses signing-key.json and checks its key_id", async () => {
    const key = await parseSigningKey(JSON.stringify(signer.signingKeyJson));
    expect(key.keyId).toBe(signer.key.keyId);
    expect(await errorKind(parseSigningKey({ ...signer.signingKeyJson, key_id: "0".repeat(16) }))).toBe("key-id");
  });
});
