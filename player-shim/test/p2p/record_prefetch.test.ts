/**
 * A newcomer's startup records are fetched beside its join (swarm_membership.ts): the record's
 * request goes out while the signing key is still on its way, and nothing is trusted before the
 * key has checked it.
 */
import { describe, expect, it } from "vitest";
import { OriginClient, RecordCache } from "../../src/p2p/origin_client";
import { ed25519VerifierFor } from "../../src/protocol/ed25519";
import { parseSigningKey, type SigningKey } from "../../src/protocol/integrity";
import { integrityDoc, makeSigner, pseudoRandomBytes } from "../support/signed_segments";

const SEGMENT_URL = "https://cdn.example/live/demo/360p/seg-42.m4s";

function origin(doc: unknown) {
  const asked: string[] = [];
  const client = new OriginClient(ed25519VerifierFor("noble"), () => undefined, async (url) => {
    asked.push(url);
    return new Response(JSON.stringify(doc), { status: 200 });
  });
  return { client, asked };
}

function deferredKey(): { key: Promise<SigningKey>; give: (k: SigningKey) => void } {
  let give: (k: SigningKey) => void = () => undefined;
  const key = new Promise<SigningKey>((resolve) => (give = resolve));
  return { key, give };
}

describe("records fetched before the signing key is in", () => {
  it("asks for the record at once and resolves once the key has checked its signature", async () => {
    const signer = makeSigner();
    const { client, asked } = origin(integrityDoc(signer, pseudoRandomBytes(40000), { seq: 42 }));
    const { key, give } = deferredKey();
    const cache = new RecordCache();
    let settled = false;
    const pending = cache.get(client, SEGMENT_URL, key).finally(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(asked).toEqual([`${SEGMENT_URL}.integrity.json`]); // out before the key
    expect(settled).toBe(false); // but not trusted without it
    give(await parseSigningKey(signer.signingKeyJson));
    expect((await pending).seq).toBe(42);
    expect(await cache.get(client, SEGMENT_URL, key)).toBe(await pending); // one request per URL
    expect(asked).toHaveLength(1);
  });

  it("refuses a record the key that arrives later does not sign, and lets a later load try again", async () => {
    const { client, asked } = origin(integrityDoc(makeSigner(), pseudoRandomBytes(40000), { seq: 42 }));
    const { key, give } = deferredKey();
    const cache = new RecordCache();
    const pending = cache.get(client, SEGMENT_URL, key);
    give(await parseSigningKey(makeSigner().signingKeyJson)); // another stream's key
    await expect(pending).rejects.toThrow();
    await cache.get(client, SEGMENT_URL, key).catch(() => undefined);
    expect(asked).toHaveLength(2);
  });
});
