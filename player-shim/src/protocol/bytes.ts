/** Byte helpers shared by the codecs: hex, base64url and ASCII, strict on bad input. */

const HEX_RE = /^[0-9a-f]*$/;
const B64URL_RE = /^[A-Za-z0-9_-]*$/;
const B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

export function hexToBytes(hex: string): Uint8Array {
  const lower = hex.toLowerCase();
  if (lower.length % 2 !== 0 || !HEX_RE.test(lower)) throw new Error("invalid hex string");
  const out = new Uint8Array(lower.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(lower.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesToHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** Decodes base64url without padding (RFC 4648 §5); padding or other characters are errors. */
export function base64UrlToBytes(text: string): Uint8Array {
  if (!B64URL_RE.test(text) || text.length % 4 === 1) throw new Error("invalid base64url");
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let index = 0;
  for (const ch of text) {
    value = (value << 6) | B64_ALPHABET.indexOf(ch);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[index++] = (value >> bits) & 0xff;
    }
  }
  // Leftover bits must be zero, or two encodings would decode to the same bytes.
  if ((value & ((1 << bits) - 1)) !== 0) throw new Error("invalid base64url (non-zero padding bits)");
  return out;
}

export function bytesToBase64Url(bytes: Uint8Array): string {
  let out = "";
  let value = 0;
  let bits = 0;
  for (const b of bytes) {
    value = ((value << 8) | b) & 0xffffff;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += B64_ALPHABET[(value >> bits) & 0x3f];
    }
  }
  if (bits > 0) out += B64_ALPHABET[(value << (6 - bits)) & 0x3f];
  return out;
}

/** Encodes printable ASCII only; anything else is a caller error. */
export function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7e || code < 0x20) throw new Error("non-ASCII text");
    out[i] = code;
  }
  return out;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * A view whose buffer is exactly its bytes: WebCrypto and RTCDataChannel.send accept views, but
 * some engines copy the whole underlying buffer, so slices of large buffers are copied once here.
 */
export function ownBuffer(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) {
    return bytes as Uint8Array<ArrayBuffer>;
  }
  return new Uint8Array(bytes);
}
