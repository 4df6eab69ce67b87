/**
 * Viewer tokens (docs/protocol.md §3), mirroring protocol/tokens.py: `<payload>.<mac>`, HMAC-SHA256
 * over the base64url payload. Browsers only carry tokens; `readClaims` (unverified) tells the
 * shim when its token expires. `mint`/`verify` (WebCrypto HMAC) exist for tools and the vectors.
 */

import { base64UrlToBytes, bytesToBase64Url } from "./bytes";

export const TOKEN_VERSION = 1;
export const MAX_TOKEN_LENGTH = 1024;
const MAX_SUB_LENGTH = 64;
const MIN_SECRET_BYTES = 16;
const MAC_CHARS = 43;
const NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;
const B64URL_RE = /^[A-Za-z0-9_-]+$/;

export type TokenErrorName = "MalformedToken" | "BadTokenMac" | "ExpiredToken" | "WrongStream";
const CODES: Record<TokenErrorName, string> = {
  MalformedToken: "token-malformed",
  BadTokenMac: "token-bad-mac",
  ExpiredToken: "token-expired",
  WrongStream: "token-wrong-stream",
};

export class TokenError extends Error {
  readonly code: string;
  constructor(
    readonly kind: TokenErrorName,
    message: string,
  ) {
    super(message);
    this.name = "TokenError";
    this.code = CODES[kind];
  }
}

export interface TokenClaims {
  stream: string;
  exp: number;
  sub: string;
}

function unb64(text: string): Uint8Array {
  if (!B64URL_RE.test(text) || text.length % 4 === 1) throw new TokenError("MalformedToken", "not base64url without padding");
  try {
    return base64UrlToBytes(text);
  } catch {
    // Python decodes non-zero trailing bits leniently; compare the re-encoding instead.
    return lenientBase64Url(text);
  }
}

function lenientBase64Url(text: string): Uint8Array {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const out: number[] = [];
  let value = 0;
  let bits = 0;
  for (const ch of text) {
    value = ((value << 6) | alphabet.indexOf(ch)) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >> bits) & 0xff);
    }
  }
  return Uint8Array.from(out);
}

async function hmac(secret: Uint8Array, payload: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new Uint8Array(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return bytesToBase64Url(new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(payload))));
}

function checkSecret(secret: Uint8Array): void {
  if (secret.length < MIN_SECRET_BYTES) throw new RangeError(`token secret must be at least ${MIN_SECRET_BYTES} bytes`);
}

/** A token for `stream`, valid until `floor(now) + ttlSeconds`. */
export async function mintToken(secret: Uint8Array, stream: string, now: number, ttlSeconds: number, sub: string): Promise<string> {
  checkSecret(secret);
  if (!NAME_RE.test(stream)) throw new RangeError(`invalid stream name ${stream}`);
  if (ttlSeconds <= 0) throw new RangeError("ttl_seconds must be positive");
  if ([...sub].length < 1 || [...sub].length > MAX_SUB_LENGTH) throw new RangeError("sub must be 1..64 characters");
  const claims = JSON.stringify({ v: TOKEN_VERSION, stream, exp: Math.floor(now) + ttlSeconds, sub });
  const payload = bytesToBase64Url(new TextEncoder().encode(pythonJsonEscape(claims)));
  return `${payload}.${await hmac(secret, payload)}`;
}

/** Python's json.dumps escapes non-ASCII as \\uXXXX (ensure_ascii); JSON.stringify does not. */
function pythonJsonEscape(json: string): string {
  return json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Claims of an authentic, unexpired token. Order: shape, MAC, payload schema, stream, expiry. */
export async function verifyToken(token: unknown, secret: Uint8Array, now: number, stream: string | null = null): Promise<TokenClaims> {
  checkSecret(secret);
  if (typeof token !== "string" || token === "") throw new TokenError("MalformedToken", "token must be a non-empty string");
  if (token.length > MAX_TOKEN_LENGTH) throw new TokenError("MalformedToken", "token too long");
  const parts = token.split(".");
  if (parts.length !== 2) throw new TokenError("MalformedToken", "token must be <payload>.<mac>");
  const [payload, mac] = parts as [string, string];
  const raw = unb64(payload);
  if (mac.length !== MAC_CHARS || unb64(mac).length !== 32) throw new TokenError("MalformedToken", "mac must be 43 base64url characters");
  // Text comparison: a non-canonical encoding of the right MAC is refused too.
  if (mac !== (await hmac(secret, payload))) throw new TokenError("BadTokenMac", "token MAC does not match");
  const claims = parseClaims(raw);
  if (stream !== null && claims.stream !== stream) throw new TokenError("WrongStream", `token is for stream ${claims.stream}`);
  if (!(now < claims.exp)) throw new TokenError("ExpiredToken", "token expired");
  return claims;
}

/** The claims without checking the MAC (the browser cannot): for expiry-driven refresh only. */
export function readClaims(token: string): TokenClaims {
  const [payload] = token.split(".");
  return parseClaims(unb64(payload ?? ""));
}

function parseClaims(raw: Uint8Array): TokenClaims {
  let text: string;
  let obj: unknown;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(raw);
    obj = JSON.parse(text);
  } catch {
    throw new TokenError("MalformedToken", "payload is not UTF-8 JSON");
  }
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) throw new TokenError("MalformedToken", "payload is not a JSON object");
  const o = obj as Record<string, unknown>;
  const literals = topLevelNumberLiterals(text);
  const isInt = (key: string): boolean => typeof o[key] === "number" && /^-?\d+$/.test(literals.get(key) ?? "");
  if (!isInt("v") || o.v !== TOKEN_VERSION) throw new TokenError("MalformedToken", "unsupported token version");
  if (typeof o.stream !== "string" || !NAME_RE.test(o.stream)) throw new TokenError("MalformedToken", "payload stream is not a valid name");
  if (!isInt("exp") || (o.exp as number) < 0) throw new TokenError("MalformedToken", "payload exp is not a non-negative integer");
  const subLength = typeof o.sub === "string" ? [...o.sub].length : 0;
  if (typeof o.sub !== "string" || subLength < 1 || subLength > MAX_SUB_LENGTH) throw new TokenError("MalformedToken", "payload sub is not 1..64 characters");
  return { stream: o.stream, exp: o.exp as number, sub: o.sub };
}

/**
 * Raw number literals of a (valid) JSON object's top-level keys. Python's json keeps `1.5e9`
 * a float and the schema refuses it; JavaScript's JSON.parse makes it an integer, so the
 * integer check needs the literal. Later duplicates win, as in both parsers.
 */
function topLevelNumberLiterals(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let depth = 0;
  let i = 0;
  let lastKey: string | null = null;
  let expectValue = false;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      const literal = text.slice(i, j + 1);
      if (depth === 1 && !expectValue) lastKey = JSON.parse(literal) as string;
      expectValue = false;
      i = j + 1;
      continue;
    }
    if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") depth--;
    else if (c === ":" && depth === 1) expectValue = true;
    else if (c === ",") expectValue = false;
    else if (depth === 1 && expectValue && /[-0-9]/.test(c)) {
      const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i)) as RegExpExecArray;
      if (lastKey !== null) out.set(lastKey, m[0]);
      i += m[0].length;
      expectValue = false;
      continue;
    }
    if (c !== " " && c !== ":" && c !== "\n" && c !== "\t" && c !== "\r") expectValue = expectValue && c === ":";
    i++;
  }
  return out;
}
