/** tests/vectors/tokens.json, written by protocol/tokens.py: mint and verify agree in TS. */
import { describe, expect, it } from "vitest";
import { hexToBytes } from "../../src/protocol/bytes";
import { mintToken, readClaims, TokenError, verifyToken } from "../../src/protocol/tokens";
import { hasVectors, loadVectors } from "../vectors";

interface Vectors {
  secret: string;
  mint: { stream: string; now: number; ttl_seconds: number; sub: string; token: string }[];
  verify_ok: { token: string; now: number; stream: string | null; claims: unknown }[];
  verify_error: { token: string; now: number; stream: string | null; error: string; code: string }[];
}

describe.skipIf(!hasVectors("tokens.json"))("tests/vectors/tokens.json", () => {
  const v = hasVectors("tokens.json") ? loadVectors<Vectors>("tokens.json") : { secret: "", mint: [], verify_ok: [], verify_error: [] };
  const secret = hexToBytes(v.secret || "00");

  it.each(v.mint.map((m, i) => [i, m] as const))("mint %i", async (_i, m) => {
    expect(await mintToken(secret, m.stream, m.now, m.ttl_seconds, m.sub)).toBe(m.token);
    expect(readClaims(m.token).sub).toBe(m.sub);
  });

  it.each(v.verify_ok.map((c, i) => [i, c] as const))("verify ok %i", async (_i, c) => {
    expect(await verifyToken(c.token, secret, c.now, c.stream)).toEqual(c.claims);
  });

  it.each(v.verify_error.map((c, i) => [`${i} ${c.error}`, c] as const))("verify refuses %s", async (_i, c) => {
    let error: unknown = null;
    try {
      await verifyToken(c.token, secret, c.now, c.stream);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TokenError);
    expect((error as TokenError).kind).toBe(c.error);
    expect((error as TokenError).code).toBe(c.code);
  });
});
