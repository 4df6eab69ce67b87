/**
 * Signed integrity records (docs/protocol.md §2): strict parsing, the signing input, and checks of
 * the signature, of single pieces and of whole files. Every peer byte passes here before use.
 */

import {
  asciiBytes,
  base64UrlToBytes,
  bytesEqual,
  bytesToHex,
  concatBytes,
  hexToBytes,
  ownBuffer,
} from "./bytes";
import type { Ed25519Verifier } from "./ed25519";

export const INTEGRITY_VERSION = 1;
export const SIGNING_DOMAIN = "swarmcast/integrity/v1\n";
export const MAX_FILE_SIZE = 64 * 1024 * 1024;
export const MIN_PIECE_SIZE = 1024;
export const MAX_PIECE_SIZE = 65536;
export const MAX_PIECES = 65536;

const NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;
const HEX64_RE = /^[0-9a-f]{64}$/;
const HEX16_RE = /^[0-9a-f]{16}$/;
const URI_RE = /^[\x21-\x7e]{1,255}$/;

export type IntegrityKind = "init" | "media";

export interface IntegrityRecord {
  version: 1;
  stream: string;
  rendition: string;
  kind: IntegrityKind;
  /** Media sequence number, or the discontinuity number for `init`. */
  seq: number;
  uri: string;
  size: number;
  sha256: Uint8Array;
  pieceSize: number;
  pieces: Uint8Array[];
  keyId: string;
  signature: Uint8Array;
}

export interface SigningKey {
  publicKey: Uint8Array;
  keyId: string;
}

export type IntegrityErrorKind =
  | "malformed"
  | "version"
  | "limits"
  | "piece-count"
  | "key-id"
  | "signature"
  | "piece-hash"
  | "size"
  | "file-hash"
  | "mismatch";

export class IntegrityError extends Error {
  constructor(
    readonly kind: IntegrityErrorKind,
    message: string,
  ) {
    super(`integrity ${kind}: ${message}`);
    this.name = "IntegrityError";
  }
}

export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", ownBuffer(data)));
}

/** `key_id`: the first 8 bytes of SHA-256 of the raw public key, as 16 hex chars. */
export async function keyIdOf(publicKey: Uint8Array): Promise<string> {
  return bytesToHex((await sha256(publicKey)).subarray(0, 8));
}

export function pieceCountFor(size: number, pieceSize: number): number {
  return Math.ceil(size / pieceSize);
}

/** Byte range [start, end) of piece `index`. */
export function pieceRange(record: Pick<IntegrityRecord, "size" | "pieceSize">, index: number): [number, number] {
  const start = index * record.pieceSize;
  return [start, Math.min(start + record.pieceSize, record.size)];
}

// ---- parsing ----

function field(doc: Record<string, unknown>, name: string): unknown {
  if (!(name in doc)) throw new IntegrityError("malformed", `missing field ${name}`);
  return doc[name];
}

function intField(doc: Record<string, unknown>, name: string, min: number, max: number): number {
  const v = field(doc, name);
  if (typeof v !== "number" || !Number.isSafeInteger(v)) throw new IntegrityError("malformed", `${name} not an integer`);
  if (v < min || v > max) throw new IntegrityError("limits", `${name} out of range: ${v}`);
  return v;
}

function strField(doc: Record<string, unknown>, name: string, re: RegExp): string {
  const v = field(doc, name);
  if (typeof v !== "string" || !re.test(v)) throw new IntegrityError("malformed", `bad ${name}`);
  return v;
}

const INTEGER_TOKEN_RE = /^-?(0|[1-9][0-9]*)$/;

/**
 * True when every number in JSON `text` is spelled as an integer. A record has no other numbers,
 * and JSON.parse reads `41.0` or `1e5` as integers, which Python's decoder refuses: both
 * decoders must take the same documents (tests/vectors/integrity.json).
 */
export function numbersAreIntegers(text: string): boolean {
  let i = 0;
  while (i < text.length) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22) {
      // a string: skip to its closing quote, past escapes
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
      i++;
    } else if (ch === 0x2d || (ch >= 0x30 && ch <= 0x39)) {
      let end = i + 1;
      while (end < text.length && /[0-9.eE+-]/.test(text.charAt(end))) end++;
      if (!INTEGER_TOKEN_RE.test(text.slice(i, end))) return false;
      i = end;
    } else {
      i++;
    }
  }
  return true;
}

/** Parses an integrity document (text or parsed JSON); checks shape and limits, not the signature. */
export function parseIntegrityRecord(input: string | unknown): IntegrityRecord {
  let doc: unknown = input;
  if (typeof input === "string") {
    try {
      doc = JSON.parse(input);
    } catch {
      throw new IntegrityError("malformed", "not JSON");
    }
    if (!numbersAreIntegers(input)) throw new IntegrityError("malformed", "a number is not spelled as an integer");
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new IntegrityError("malformed", "not an object");
  const d = doc as Record<string, unknown>;
  const version = field(d, "version");
  if (typeof version !== "number" || !Number.isSafeInteger(version)) throw new IntegrityError("malformed", "version is not an integer");
  if (version !== INTEGRITY_VERSION) throw new IntegrityError("version", `version ${String(version)}`);
  const kind = field(d, "kind");
  if (kind !== "init" && kind !== "media") throw new IntegrityError("malformed", "bad kind");
  const size = intField(d, "size", 1, MAX_FILE_SIZE);
  const pieceSize = intField(d, "piece_size", MIN_PIECE_SIZE, MAX_PIECE_SIZE);
  const rawPieces = field(d, "pieces");
  if (!Array.isArray(rawPieces)) throw new IntegrityError("malformed", "pieces not a list");
  if (rawPieces.length > MAX_PIECES) throw new IntegrityError("limits", "too many pieces");
  if (rawPieces.length !== pieceCountFor(size, pieceSize)) {
    throw new IntegrityError("piece-count", `${rawPieces.length} pieces for size ${size}`);
  }
  const pieces = rawPieces.map((p) => {
    if (typeof p !== "string" || !HEX64_RE.test(p)) throw new IntegrityError("malformed", "bad piece hash");
    return hexToBytes(p);
  });
  let signature: Uint8Array;
  try {
    signature = base64UrlToBytes(strField(d, "signature", /^[A-Za-z0-9_-]+$/));
  } catch (e) {
    if (e instanceof IntegrityError) throw e;
    throw new IntegrityError("malformed", "bad signature encoding");
  }
  if (signature.length !== 64) throw new IntegrityError("malformed", "signature is not 64 bytes");
  return {
    version: INTEGRITY_VERSION,
    stream: strField(d, "stream", NAME_RE),
    rendition: strField(d, "rendition", NAME_RE),
    kind,
    seq: intField(d, "seq", 0, Number.MAX_SAFE_INTEGER),
    uri: strField(d, "uri", URI_RE),
    size,
    sha256: hexToBytes(strField(d, "sha256", HEX64_RE)),
    pieceSize,
    pieces,
    keyId: strField(d, "key_id", HEX16_RE),
    signature,
  };
}

/** Parses `signing-key.json` and checks that its key_id matches the key. */
export async function parseSigningKey(input: string | unknown): Promise<SigningKey> {
  const doc = typeof input === "string" ? (JSON.parse(input) as unknown) : input;
  if (typeof doc !== "object" || doc === null) throw new IntegrityError("malformed", "signing key not an object");
  const d = doc as Record<string, unknown>;
  if (d.alg !== "Ed25519") throw new IntegrityError("malformed", "signing key alg is not Ed25519");
  let publicKey: Uint8Array;
  try {
    publicKey = base64UrlToBytes(strField(d, "public_key", /^[A-Za-z0-9_-]+$/));
  } catch {
    throw new IntegrityError("malformed", "bad public_key");
  }
  if (publicKey.length !== 32) throw new IntegrityError("malformed", "public key is not 32 bytes");
  const keyId = strField(d, "key_id", HEX16_RE);
  if ((await keyIdOf(publicKey)) !== keyId) throw new IntegrityError("key-id", "key_id does not match public_key");
  return { publicKey, keyId };
}

/** The segment a record must name: the one the player asked for (§2.4). */
export interface RecordExpectation {
  stream: string;
  rendition: string;
  kind: IntegrityKind;
  seq: number;
  uri: string;
}

/**
 * Throws IntegrityError("mismatch") unless `record` names exactly the segment asked for: a validly
 * signed record of another seq, rendition, stream, kind or uri must not stand in for it.
 */
export function checkRecordIs(record: IntegrityRecord, want: RecordExpectation): void {
  for (const name of ["stream", "rendition", "kind", "seq", "uri"] as const) {
    if (record[name] !== want[name]) {
      throw new IntegrityError("mismatch", `record ${name} is ${JSON.stringify(record[name])}, asked for ${JSON.stringify(want[name])}`);
    }
  }
}

// ---- signing input ----

function u8(n: number): Uint8Array {
  return Uint8Array.of(n);
}
function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}
function u64(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}
function lengthPrefixed(text: string): Uint8Array {
  const bytes = asciiBytes(text);
  return concatBytes([u8(bytes.length), bytes]);
}

/** The exact bytes the segmenter signs (§2.2), built from parsed fields. */
export function signingInput(record: IntegrityRecord): Uint8Array {
  return concatBytes([
    new TextEncoder().encode(SIGNING_DOMAIN),
    lengthPrefixed(record.stream),
    lengthPrefixed(record.rendition),
    u8(record.kind === "init" ? 0 : 1),
    u64(record.seq),
    lengthPrefixed(record.uri),
    u64(record.size),
    u32(record.pieceSize),
    record.sha256,
    u32(record.pieces.length),
    ...record.pieces,
  ]);
}

// ---- verification ----

/** Checks key_id and signature; throws IntegrityError on any mismatch. */
export async function verifyRecordSignature(
  record: IntegrityRecord,
  key: SigningKey,
  verifier: Ed25519Verifier,
): Promise<void> {
  if (record.keyId !== key.keyId) throw new IntegrityError("key-id", `record key ${record.keyId}, pinned ${key.keyId}`);
  const ok = await verifier.verify(key.publicKey, signingInput(record), record.signature);
  if (!ok) throw new IntegrityError("signature", `bad signature on ${record.uri}`);
}

/** Checks one piece's length and SHA-256 against the (already verified) record. */
export async function verifyPiece(record: IntegrityRecord, index: number, data: Uint8Array): Promise<void> {
  if (!Number.isInteger(index) || index < 0 || index >= record.pieces.length) {
    throw new IntegrityError("piece-hash", `piece index ${index} out of range`);
  }
  const [start, end] = pieceRange(record, index);
  if (data.length !== end - start) throw new IntegrityError("size", `piece ${index} is ${data.length} bytes, want ${end - start}`);
  if (!bytesEqual(await sha256(data), record.pieces[index] as Uint8Array)) {
    throw new IntegrityError("piece-hash", `piece ${index} of ${record.uri} differs`);
  }
}

/** Checks a whole file's size and SHA-256 against the (already verified) record. */
export async function verifyFile(record: IntegrityRecord, data: Uint8Array): Promise<void> {
  if (data.length !== record.size) throw new IntegrityError("size", `${record.uri} is ${data.length} bytes, want ${record.size}`);
  if (!bytesEqual(await sha256(data), record.sha256)) throw new IntegrityError("file-hash", `${record.uri} differs`);
}

/**
 * Checks pieces [first, first + count) held in `body` (whose first byte is file offset
 * `bodyStart`, as a Range response), one at a time, yielding each with its verdict.
 */
export async function* verifiedPieces(
  record: IntegrityRecord,
  first: number,
  count: number,
  body: Uint8Array,
  bodyStart: number,
): AsyncGenerator<{ index: number; data: Uint8Array; error: IntegrityError | null }> {
  for (let index = first; index < first + count; index++) {
    const [start, end] = pieceRange(record, index);
    const data = body.subarray(start - bodyStart, end - bodyStart);
    let error: IntegrityError | null = null;
    try {
      await verifyPiece(record, index, data);
    } catch (e) {
      if (!(e instanceof IntegrityError)) throw e;
      error = e;
    }
    yield { index, data, error };
  }
}
