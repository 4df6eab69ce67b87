/** tests/vectors/integrity.json, written by protocol/integrity.py: same records, same verdicts. */
import { describe, expect, it } from "vitest";
import { bytesToHex, hexToBytes } from "../../src/protocol/bytes";
import { ed25519VerifierFor } from "../../src/protocol/ed25519";
import {
  checkRecordIs,
  IntegrityError,
  parseIntegrityRecord,
  parseSigningKey,
  pieceRange,
  signingInput,
  verifyFile,
  verifyPiece,
  verifyRecordSignature,
  type RecordExpectation,
} from "../../src/protocol/integrity";
import { hasVectors, loadVectors } from "../vectors";

interface Vectors {
  signing_key: unknown;
  records: { name: string; file: string; signing_input: string; signature: string; document: string }[];
  documents: { name: string; document: string; code: string }[];
  pieces: { record: string; index: number; data: string; code: string | null }[];
  files: { record: string; data: string; code: string | null }[];
  signing_keys: { name: string; document: unknown; code: string }[];
  mismatches: { record: string; want: RecordExpectation; code: string | null }[];
}

async function codeOf(run: () => Promise<unknown>): Promise<string | null> {
  try {
    await run();
    return null;
  } catch (e) {
    if (!(e instanceof IntegrityError)) throw e;
    return e.kind;
  }
}

describe.skipIf(!hasVectors("integrity.json")).each(["webcrypto", "noble"] as const)("tests/vectors/integrity.json (%s)", (backend) => {
  const v = hasVectors("integrity.json") ? loadVectors<Vectors>("integrity.json") : ({ records: [], documents: [], pieces: [], files: [], signing_keys: [], mismatches: [] } as unknown as Vectors);
  const verifier = ed25519VerifierFor(backend);
  const record = (name: string) => parseIntegrityRecord((v.records.find((r) => r.name === name) as Vectors["records"][0]).document);

  it.each(v.records.map((r) => [r.name, r] as const))("record %s parses, verifies, accepts its pieces", async (_n, r) => {
    const key = await parseSigningKey(v.signing_key);
    const parsed = parseIntegrityRecord(r.document);
    expect(bytesToHex(signingInput(parsed))).toBe(r.signing_input);
    await verifyRecordSignature(parsed, key, verifier);
    const file = hexToBytes(r.file);
    for (let i = 0; i < parsed.pieces.length; i++) {
      const [start, end] = pieceRange(parsed, i);
      await verifyPiece(parsed, i, file.subarray(start, end));
    }
    await verifyFile(parsed, file);
  });

  it.each(v.documents.map((d) => [d.name, d] as const))("document %s is refused", async (_n, d) => {
    const key = await parseSigningKey(v.signing_key);
    expect(await codeOf(async () => verifyRecordSignature(parseIntegrityRecord(d.document), key, verifier))).toBe(d.code);
  });

  it.each(v.pieces.map((p, i) => [`${p.record}#${p.index} (${i})`, p] as const))("piece %s", async (_n, p) => {
    expect(await codeOf(() => verifyPiece(record(p.record), p.index, hexToBytes(p.data)))).toBe(p.code);
  });

  it.each(v.files.map((f, i) => [`${f.record} (${i})`, f] as const))("file %s", async (_n, f) => {
    expect(await codeOf(() => verifyFile(record(f.record), hexToBytes(f.data)))).toBe(f.code);
  });

  it.each(v.mismatches.map((m) => [JSON.stringify(m.want), m] as const))("record asked for as %s", async (_n, m) => {
    expect(await codeOf(async () => checkRecordIs(record(m.record), m.want))).toBe(m.code);
  });

  it.each(v.signing_keys.map((k) => [k.name, k] as const))("signing key %s is refused", async (_n, k) => {
    expect(await codeOf(() => parseSigningKey(k.document))).toBe(k.code);
  });
});
