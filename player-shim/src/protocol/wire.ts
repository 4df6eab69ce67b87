/**
 * Peer wire protocol (docs/protocol.md §5): one frame per data-channel message,
 * `u8 version | u8 type | body`, big-endian. Pure: bytes in, typed messages out, typed errors.
 */

import { asciiBytes } from "./bytes";

export const WIRE_VERSION = 1;
export const CHANNEL_LABEL = "swarmcast/1";
/** Largest legal frame: a PIECE header (12 bytes) + a 65536-byte piece. */
export const MAX_FRAME_SIZE = 65548;
export const MAX_HAVE_COUNT = 4096;
export const MAX_PIECE_BYTES = 65536;

export const CAPABILITY_UPLOAD = 1 << 0;
export const CAPABILITY_EDGE_SEEDER = 1 << 1;
/** Decodes HAVE_PIECES with an origin rate (a trailing u32); senders add it only then. */
export const CAPABILITY_ORIGIN_RATE = 1 << 2;

export const MessageType = {
  HELLO: 0x01,
  HAVE: 0x02,
  HAVE_DELTA: 0x03,
  REQUEST: 0x04,
  PIECE: 0x05,
  CANCEL: 0x06,
  REJECT: 0x07,
  CHOKE: 0x08,
  UNCHOKE: 0x09,
  GOODBYE: 0x0a,
  HAVE_PIECES: 0x0b,
} as const;

export const RejectReason = { NOT_HAVE: 1, BUSY: 2, CHOKED: 3, BAD_REQUEST: 4 } as const;
export type RejectReason = (typeof RejectReason)[keyof typeof RejectReason];
export const GoodbyeReason = { NORMAL: 0, PROTOCOL_ERROR: 1, BAD_PIECE: 2, SHUTTING_DOWN: 3 } as const;
export type GoodbyeReason = (typeof GoodbyeReason)[keyof typeof GoodbyeReason];

const SWARM_ID_RE = /^[A-Za-z0-9_-]{1,64}\/[A-Za-z0-9_-]{1,64}$/;

export interface Hello {
  type: "hello";
  capabilities: number;
  pieceSize: number;
  maxPiecesPerRequest: number;
  /** `<stream>/<rendition>` */
  swarmId: string;
}
/** Replaces the sender's announced set: bit i of `bitmap` (MSB first) ⇔ holds `baseSeq + i`. */
export interface Have {
  type: "have";
  baseSeq: number;
  count: number;
  bitmap: Uint8Array;
}
export interface HaveDelta {
  type: "have_delta";
  seq: number;
}
/**
 * Part of one segment the sender is still completing: bit i of `bitmap` (MSB first) ⇔ holds
 * verified piece i of `seq`; count 0 = it has just started fetching `seq` from the origin.
 */
export interface HavePieces {
  type: "have_pieces";
  seq: number;
  count: number;
  bitmap: Uint8Array;
  /**
   * How fast the sender's own origin fetch of `seq` is arriving, bytes/s (0: not said): a
   * receiver cannot tell a congested origin from the sender's queued uplink by when words reach
   * it. A trailing u32 only when non-zero, sent only to neighbours whose HELLO set
   * CAPABILITY_ORIGIN_RATE (older decoders reject trailing bytes).
   */
  originRate: number;
}
export interface Request {
  type: "request";
  requestId: number;
  seq: number;
  firstPiece: number;
  pieceCount: number;
}
export interface Piece {
  type: "piece";
  requestId: number;
  seq: number;
  index: number;
  data: Uint8Array;
}
export interface Cancel {
  type: "cancel";
  requestId: number;
}
export interface Reject {
  type: "reject";
  requestId: number;
  reason: RejectReason;
}
export interface Choke {
  type: "choke";
}
export interface Unchoke {
  type: "unchoke";
}
export interface Goodbye {
  type: "goodbye";
  reason: GoodbyeReason;
}

export type WireMessage =
  | Hello
  | Have
  | HaveDelta
  | Request
  | Piece
  | Cancel
  | Reject
  | Choke
  | Unchoke
  | Goodbye
  | HavePieces;

/** Error kinds, named like protocol/wire.py's exception classes (the vectors use those names). */
export type WireErrorKind =
  | "FrameTooLarge"
  | "TruncatedFrame"
  | "TrailingBytes"
  | "UnsupportedVersion"
  | "UnknownType"
  | "FieldOutOfRange";

/**
 * A frame that cannot be decoded, or a message that cannot be encoded. A receiver answers
 * GOODBYE(protocol-error) and closes that one connection.
 */
export class WireError extends Error {
  constructor(
    readonly kind: WireErrorKind,
    message: string,
  ) {
    super(`${kind}: ${message}`);
    this.name = "WireError";
  }
}

// ---- helpers for HAVE ----

/** Builds a HAVE from held sequence numbers; the window starts at the smallest one. */
export function haveFromSeqs(seqs: Iterable<number>): Have {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  if (sorted.length === 0) return { type: "have", baseSeq: 0, count: 0, bitmap: new Uint8Array(0) };
  const baseSeq = sorted[0] as number;
  // Keep the newest segments when the span exceeds what one HAVE can carry.
  const last = sorted[sorted.length - 1] as number;
  const start = Math.max(baseSeq, last - MAX_HAVE_COUNT + 1);
  const count = last - start + 1;
  const bitmap = new Uint8Array(Math.ceil(count / 8));
  for (const seq of sorted) {
    if (seq < start) continue;
    const bit = seq - start;
    bitmap[bit >> 3] = (bitmap[bit >> 3] as number) | (0x80 >> (bit & 7));
  }
  return { type: "have", baseSeq: start, count, bitmap };
}

/** A HAVE_PIECES for the verified pieces held of `seq` (shortest bitmap; none = fetching). */
export function havePiecesFrom(seq: number, pieces: Iterable<number>, originRate = 0): HavePieces {
  const held = [...pieces].filter((i) => Number.isInteger(i) && i >= 0 && i < MAX_HAVE_COUNT);
  const count = held.length > 0 ? Math.max(...held) + 1 : 0;
  const bitmap = new Uint8Array(Math.ceil(count / 8));
  for (const i of held) bitmap[i >> 3] = (bitmap[i >> 3] as number) | (0x80 >> (i & 7));
  return { type: "have_pieces", seq, count, bitmap, originRate: Math.min(Math.max(0, Math.round(originRate)), U32_MAX) };
}

/** The piece indices a HAVE_PIECES announces, ascending. */
export function heldPieces(msg: HavePieces): number[] {
  const out: number[] = [];
  for (let i = 0; i < msg.count; i++) if (((msg.bitmap[i >> 3] as number) & (0x80 >> (i & 7))) !== 0) out.push(i);
  return out;
}

/** The sequence numbers a HAVE announces, ascending. */
export function haveSeqs(have: Have): number[] {
  const out: number[] = [];
  for (let i = 0; i < have.count; i++) {
    if (((have.bitmap[i >> 3] as number) & (0x80 >> (i & 7))) !== 0) out.push(have.baseSeq + i);
  }
  return out;
}

// ---- validation (shared by encode and decode, like the Python dataclasses' __post_init__) ----

const U16_MAX = 0xffff;
const U32_MAX = 0xffffffff;
export const MIN_PIECE_SIZE = 1024;
export const MAX_PIECE_SIZE = 65536;
const MAX_PIECES_PER_SEGMENT = 65536;

function checkUint(name: string, v: number, max: number, min = 0): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new WireError("FieldOutOfRange", `${name}=${v} outside ${min}..${max}`);
  }
}

function isMember(table: Record<string, number>, v: number): boolean {
  return Object.values(table).includes(v);
}

/** Throws WireError(FieldOutOfRange) for any field the protocol forbids. */
export function validateMessage(msg: WireMessage): void {
  switch (msg.type) {
    case "hello":
      checkUint("capabilities", msg.capabilities, U32_MAX);
      checkUint("piece_size", msg.pieceSize, MAX_PIECE_SIZE, MIN_PIECE_SIZE);
      checkUint("max_pieces_per_request", msg.maxPiecesPerRequest, U16_MAX, 1);
      if (!SWARM_ID_RE.test(msg.swarmId)) throw new WireError("FieldOutOfRange", `swarm id ${msg.swarmId}`);
      return;
    case "have": {
      checkUint("base_seq", msg.baseSeq, U32_MAX);
      checkUint("count", msg.count, MAX_HAVE_COUNT);
      const bytes = Math.ceil(msg.count / 8);
      if (msg.bitmap.length !== bytes) throw new WireError("FieldOutOfRange", `bitmap must be ${bytes} bytes`);
      if (msg.baseSeq + msg.count - 1 > U32_MAX) throw new WireError("FieldOutOfRange", "base_seq + count overflows u32");
      const spare = bytes * 8 - msg.count;
      if (spare && ((msg.bitmap[bytes - 1] as number) & ((1 << spare) - 1)) !== 0) {
        throw new WireError("FieldOutOfRange", "padding bits of the HAVE bitmap must be zero");
      }
      return;
    }
    case "have_delta":
      checkUint("seq", msg.seq, U32_MAX);
      return;
    case "have_pieces": {
      checkUint("seq", msg.seq, U32_MAX);
      checkUint("count", msg.count, MAX_HAVE_COUNT);
      const bytes = Math.ceil(msg.count / 8);
      if (msg.bitmap.length !== bytes) throw new WireError("FieldOutOfRange", `bitmap must be ${bytes} bytes`);
      const spare = bytes * 8 - msg.count;
      if (spare && ((msg.bitmap[bytes - 1] as number) & ((1 << spare) - 1)) !== 0) {
        throw new WireError("FieldOutOfRange", "padding bits of the HAVE_PIECES bitmap must be zero");
      }
      checkUint("origin_rate", msg.originRate, U32_MAX);
      return;
    }
    case "request":
      checkUint("request_id", msg.requestId, U32_MAX);
      checkUint("seq", msg.seq, U32_MAX);
      checkUint("first_piece", msg.firstPiece, U16_MAX);
      checkUint("piece_count", msg.pieceCount, U16_MAX, 1);
      if (msg.firstPiece + msg.pieceCount > MAX_PIECES_PER_SEGMENT) {
        throw new WireError("FieldOutOfRange", "first_piece + piece_count exceeds 65536 pieces");
      }
      return;
    case "piece":
      checkUint("request_id", msg.requestId, U32_MAX);
      checkUint("seq", msg.seq, U32_MAX);
      checkUint("index", msg.index, U16_MAX);
      if (msg.data.length < 1 || msg.data.length > MAX_PIECE_BYTES) {
        throw new WireError("FieldOutOfRange", `piece data must be 1..${MAX_PIECE_BYTES} bytes`);
      }
      return;
    case "cancel":
      checkUint("request_id", msg.requestId, U32_MAX);
      return;
    case "reject":
      checkUint("request_id", msg.requestId, U32_MAX);
      if (!isMember(RejectReason, msg.reason)) throw new WireError("FieldOutOfRange", `reject reason ${msg.reason}`);
      return;
    case "goodbye":
      if (!isMember(GoodbyeReason, msg.reason)) throw new WireError("FieldOutOfRange", `goodbye reason ${msg.reason}`);
      return;
    case "choke":
    case "unchoke":
      return;
  }
}

// ---- encoding ----

class Writer {
  private readonly head: number[] = [];
  private tail: Uint8Array | null = null;

  u8(v: number): this {
    this.head.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    this.head.push((v >>> 8) & 0xff, v & 0xff);
    return this;
  }
  u32(v: number): this {
    this.head.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
    return this;
  }
  /** The variable-size tail (bitmap, swarm id, piece bytes), copied once. */
  rest(b: Uint8Array): this {
    this.tail = b;
    return this;
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.head.length + (this.tail?.length ?? 0));
    out.set(this.head);
    if (this.tail) out.set(this.tail, this.head.length);
    return out;
  }
}

/** The frame for `msg`; throws WireError(FieldOutOfRange) for values the wire cannot carry. */
export function encodeMessage(msg: WireMessage): Uint8Array {
  validateMessage(msg);
  const w = new Writer().u8(WIRE_VERSION).u8(TYPE_CODES[msg.type]);
  switch (msg.type) {
    case "hello": {
      const id = asciiBytes(msg.swarmId);
      return w.u32(msg.capabilities).u32(msg.pieceSize).u16(msg.maxPiecesPerRequest).u8(id.length).rest(id).finish();
    }
    case "have":
      return w.u32(msg.baseSeq).u16(msg.count).rest(msg.bitmap).finish();
    case "have_delta":
      return w.u32(msg.seq).finish();
    case "have_pieces":
      if (msg.originRate === 0) return w.u32(msg.seq).u16(msg.count).rest(msg.bitmap).finish();
      const rate = msg.originRate;
      const tail = new Uint8Array(msg.bitmap.length + 4);
      tail.set(msg.bitmap);
      tail.set([(rate >>> 24) & 0xff, (rate >>> 16) & 0xff, (rate >>> 8) & 0xff, rate & 0xff], msg.bitmap.length);
      return w.u32(msg.seq).u16(msg.count).rest(tail).finish();
    case "request":
      return w.u32(msg.requestId).u32(msg.seq).u16(msg.firstPiece).u16(msg.pieceCount).finish();
    case "piece":
      return w.u32(msg.requestId).u32(msg.seq).u16(msg.index).rest(msg.data).finish();
    case "cancel":
      return w.u32(msg.requestId).finish();
    case "reject":
      return w.u32(msg.requestId).u8(msg.reason).finish();
    case "goodbye":
      return w.u8(msg.reason).finish();
    case "choke":
    case "unchoke":
      return w.finish();
  }
}

const TYPE_CODES: Record<WireMessage["type"], number> = {
  hello: MessageType.HELLO,
  have: MessageType.HAVE,
  have_delta: MessageType.HAVE_DELTA,
  request: MessageType.REQUEST,
  piece: MessageType.PIECE,
  cancel: MessageType.CANCEL,
  reject: MessageType.REJECT,
  choke: MessageType.CHOKE,
  unchoke: MessageType.UNCHOKE,
  goodbye: MessageType.GOODBYE,
  have_pieces: MessageType.HAVE_PIECES,
};

// ---- decoding ----

/** Reads big-endian fields from a frame body; length errors come before any range check. */
class Reader {
  private offset = 0;
  constructor(private readonly body: Uint8Array) {}

  /** Checks that `n` bytes follow; with `exact`, that nothing follows them either. */
  expect(n: number, exact: boolean, what: string): void {
    const left = this.body.length - this.offset;
    if (left < n) throw new WireError("TruncatedFrame", `${what}: ${left} of ${n} bytes`);
    if (exact && left > n) throw new WireError("TrailingBytes", `${what}: ${left - n} bytes too many`);
  }
  u8(): number {
    return this.body[this.offset++] as number;
  }
  u16(): number {
    const v = ((this.body[this.offset] as number) << 8) | (this.body[this.offset + 1] as number);
    this.offset += 2;
    return v;
  }
  u32(): number {
    const b = this.body;
    const o = this.offset;
    this.offset += 4;
    return (b[o] as number) * 0x1000000 + (((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number));
  }
  /** Bytes not read yet. */
  remaining(): number {
    return this.body.length - this.offset;
  }
  bytes(n: number): Uint8Array {
    const out = this.body.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
}

/** Parses one frame; anything but a valid frame throws WireError, never another exception. */
export function decodeMessage(frame: Uint8Array): WireMessage {
  if (frame.length > MAX_FRAME_SIZE) throw new WireError("FrameTooLarge", `frame of ${frame.length} bytes`);
  if (frame.length < 2) throw new WireError("TruncatedFrame", `frame of ${frame.length} bytes has no header`);
  if (frame[0] !== WIRE_VERSION) throw new WireError("UnsupportedVersion", `wire version ${frame[0]}`);
  const type = frame[1] as number;
  const r = new Reader(frame.subarray(2));
  let msg: WireMessage;
  switch (type) {
    case MessageType.HELLO: {
      r.expect(11, false, "HELLO");
      const capabilities = r.u32();
      const pieceSize = r.u32();
      const maxPiecesPerRequest = r.u16();
      const length = r.u8();
      r.expect(length, true, "swarm id");
      const idBytes = r.bytes(length);
      if (idBytes.some((b) => b > 0x7f)) throw new WireError("FieldOutOfRange", "swarm id is not ASCII");
      msg = { type: "hello", capabilities, pieceSize, maxPiecesPerRequest, swarmId: String.fromCharCode(...idBytes) };
      break;
    }
    case MessageType.HAVE: {
      r.expect(6, false, "HAVE");
      const baseSeq = r.u32();
      const count = r.u16();
      if (count > MAX_HAVE_COUNT) throw new WireError("FieldOutOfRange", `HAVE count ${count} exceeds ${MAX_HAVE_COUNT}`);
      const length = Math.ceil(count / 8);
      r.expect(length, true, "HAVE bitmap");
      msg = { type: "have", baseSeq, count, bitmap: r.bytes(length).slice() };
      break;
    }
    case MessageType.HAVE_DELTA:
      r.expect(4, true, "HAVE_DELTA");
      msg = { type: "have_delta", seq: r.u32() };
      break;
    case MessageType.HAVE_PIECES: {
      r.expect(6, false, "HAVE_PIECES");
      const seq = r.u32();
      const count = r.u16();
      if (count > MAX_HAVE_COUNT) throw new WireError("FieldOutOfRange", `HAVE_PIECES count ${count} exceeds ${MAX_HAVE_COUNT}`);
      const length = Math.ceil(count / 8);
      r.expect(length, false, "HAVE_PIECES bitmap");
      const bitmap = r.bytes(length).slice();
      const trailer = r.remaining();
      if (trailer !== 0 && trailer !== 4) r.expect(0, true, "HAVE_PIECES bitmap");
      const originRate = trailer === 4 ? r.u32() : 0;
      if (trailer === 4 && originRate === 0) throw new WireError("FieldOutOfRange", "HAVE_PIECES origin_rate 0 is sent by leaving it out");
      msg = { type: "have_pieces", seq, count, bitmap, originRate };
      break;
    }
    case MessageType.REQUEST:
      r.expect(12, true, "REQUEST");
      msg = { type: "request", requestId: r.u32(), seq: r.u32(), firstPiece: r.u16(), pieceCount: r.u16() };
      break;
    case MessageType.PIECE: {
      r.expect(10, false, "PIECE");
      const requestId = r.u32();
      const seq = r.u32();
      const index = r.u16();
      const data = r.bytes(frame.length - 12);
      if (data.length === 0) throw new WireError("TruncatedFrame", "PIECE carries no bytes");
      msg = { type: "piece", requestId, seq, index, data };
      break;
    }
    case MessageType.CANCEL:
      r.expect(4, true, "CANCEL");
      msg = { type: "cancel", requestId: r.u32() };
      break;
    case MessageType.REJECT:
      r.expect(5, true, "REJECT");
      msg = { type: "reject", requestId: r.u32(), reason: r.u8() as RejectReason };
      break;
    case MessageType.CHOKE:
      r.expect(0, true, "CHOKE body");
      msg = { type: "choke" };
      break;
    case MessageType.UNCHOKE:
      r.expect(0, true, "UNCHOKE body");
      msg = { type: "unchoke" };
      break;
    case MessageType.GOODBYE:
      r.expect(1, true, "GOODBYE body");
      msg = { type: "goodbye", reason: r.u8() as GoodbyeReason };
      break;
    default:
      throw new WireError("UnknownType", `unknown message type 0x${type.toString(16).padStart(2, "0")}`);
  }
  validateMessage(msg);
  return msg;
}
