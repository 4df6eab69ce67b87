/**
 * The page's request hook (options.fetch): the engine's own origin requests — signing key,
 * integrity records, Range fetches — go through it, so token- or cookie-authenticated CDNs work.
 * And the per-instance handle: a bound hls.js instance carries its swarm as `hls.swarm`.
 */
import { describe, expect, it } from "vitest";
import type Hls from "hls.js";
import { swarmOf } from "../../src/index";
import { OriginClient } from "../../src/p2p/origin_client";
import { ed25519VerifierFor } from "../../src/protocol/ed25519";
import { Swarm } from "../../src/swarm";
import { integrityDoc, makeSigner, pseudoRandomBytes } from "../support/signed_segments";

describe("request hook", () => {
  it("carries every origin request of the engine", async () => {
    const signer = makeSigner();
    const data = pseudoRandomBytes(40000);
    const files: Record<string, string | Uint8Array> = {
      "https://cdn.example/live/demo/signing-key.json": JSON.stringify(signer.signingKeyJson),
      "https://cdn.example/live/demo/360p/seg-42.m4s.integrity.json": JSON.stringify(integrityDoc(signer, data, { seq: 42 })),
      "https://cdn.example/live/demo/360p/seg-42.m4s": data,
    };
    const seen: [string, string | null][] = [];
    const hook = async (url: string, init: RequestInit): Promise<Response> => {
      const headers = new Headers(init.headers);
      headers.set("Authorization", "Bearer cdn-token"); // what a page would add
      seen.push([url, headers.get("Range")]);
      const body = files[url];
      if (body === undefined) return new Response("", { status: 404 });
      const range = headers.get("Range");
      if (range && body instanceof Uint8Array) {
        const [from, to] = range.slice("bytes=".length).split("-").map(Number) as [number, number];
        return new Response(body.slice(from, to + 1) as Uint8Array<ArrayBuffer>, { status: 206 });
      }
      return new Response(body as string | Uint8Array<ArrayBuffer>, { status: 200 });
    };
    const transfers: number[] = [];
    const client = new OriginClient(ed25519VerifierFor("noble"), () => undefined, hook, (bytes) => transfers.push(bytes));
    const key = await client.fetchSigningKey("https://cdn.example/live/demo/signing-key.json");
    const record = await client.fetchRecord("https://cdn.example/live/demo/360p/seg-42.m4s", key);
    const parts: Uint8Array[] = [];
    for await (const part of client.streamRange("https://cdn.example/live/demo/360p/seg-42.m4s", 16384, 32768, record.size)) parts.push(part);
    expect(parts.reduce((n, p) => n + p.length, 0)).toBe(16384);
    expect(transfers).toEqual([16384]); // the Range fetch, timed for the download meter (not the record or key)
    expect(seen).toEqual([
      ["https://cdn.example/live/demo/signing-key.json", null],
      ["https://cdn.example/live/demo/360p/seg-42.m4s.integrity.json", null],
      ["https://cdn.example/live/demo/360p/seg-42.m4s", "bytes=16384-32767"],
    ]);
  });
});

describe("per-instance engine handle", () => {
  it("puts each swarm on its own hls.js instance and takes it off on destroy", () => {
    const fakeHls = () => ({ config: {}, media: null, on: () => undefined, off: () => undefined }) as unknown as Hls;
    const [a, b] = [fakeHls(), fakeHls()];
    const [swarmA, swarmB] = [new Swarm({ p2p: false }), new Swarm({ p2p: false })];
    swarmA.bind(a);
    swarmB.bind(b);
    expect((a as Hls & { swarm?: Swarm }).swarm).toBe(swarmA);
    expect(swarmOf(b)).toBe(swarmB);
    swarmA.destroy();
    expect(swarmOf(a)).toBeNull();
  });
});
