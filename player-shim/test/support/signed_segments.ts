/** Builds signed integrity records with node:crypto, for tests that need real signatures. */
import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { bytesToBase64Url, bytesToHex } from "../../src/protocol/bytes";
import { parseIntegrityRecord, signingInput, type IntegrityRecord, type SigningKey } from "../../src/protocol/integrity";

export interface TestSigner {
  key: SigningKey;
  privateKey: KeyObject;
  signingKeyJson: { alg: "Ed25519"; public_key: string; key_id: string };
}

export function makeSigner(): TestSigner {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const der = publicKey.export({ format: "der", type: "spki" });
  const raw = new Uint8Array(der.subarray(der.length - 32));
  const keyId = createHash("sha256").update(raw).digest("hex").slice(0, 16);
  return {
    key: { publicKey: raw, keyId },
    privateKey,
    signingKeyJson: { alg: "Ed25519", public_key: bytesToBase64Url(raw), key_id: keyId },
  };
}

export function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The JSON document the segmenter would write for `data`. */
export function integrityDoc(
  signer: TestSigner,
  data: Uint8Array,
  opts: { stream?: string; rendition?: string; kind?: "init" | "media"; seq?: number; uri?: string; pieceSize?: number } = {},
): Record<string, unknown> {
  const pieceSize = opts.pieceSize ?? 16384;
  const seq = opts.seq ?? 0;
  const pieces: string[] = [];
  for (let off = 0; off < data.length; off += pieceSize) pieces.push(sha256Hex(data.subarray(off, off + pieceSize)));
  const doc: Record<string, unknown> = {
    version: 1,
    stream: opts.stream ?? "demo",
    rendition: opts.rendition ?? "360p",
    kind: opts.kind ?? "media",
    seq,
    uri: opts.uri ?? `seg-${seq}.m4s`,
    size: data.length,
    sha256: sha256Hex(data),
    piece_size: pieceSize,
    pieces,
    key_id: signer.key.keyId,
    signature: bytesToBase64Url(new Uint8Array(64)),
  };
  const unsigned: IntegrityRecord = parseIntegrityRecord(doc);
  doc.signature = bytesToBase64Url(new Uint8Array(sign(null, signingInput(unsigned), signer.privateKey)));
  return doc;
}

export function pseudoRandomBytes(length: number, seed = 7): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export { bytesToHex };
