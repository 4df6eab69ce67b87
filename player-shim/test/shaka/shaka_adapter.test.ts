/** The Shaka adapter against a fake `shaka` namespace: claims, swarm answers, HTTP fallback. */
import { describe, expect, it, vi } from "vitest";
import type { MediaSwarm, SwarmDelivery } from "../../src/dash/media_swarm";
import { attachShaka } from "../../src/shaka/shaka_adapter";
import type { ShakaNamespace, ShakaOperation, ShakaRequest, ShakaRequestContext, ShakaRequestFilter, ShakaResponse, ShakaSchemePlugin } from "../../src/shaka/shaka_types";

const SEGMENT = 1;
const MEDIA_SEGMENT = 1;
const SEG_URL = "http://o/live/demo/360p/seg-42.m4s";

class FakeOperation<T> implements ShakaOperation<T> {
  aborted = false;
  constructor(
    readonly promise: Promise<T>,
    private readonly onAbort: () => Promise<unknown>,
  ) {}
  abort(): Promise<unknown> {
    this.aborted = true;
    return this.onAbort();
  }
}

function fakeShaka() {
  const schemes = new Map<string, ShakaSchemePlugin>();
  const httpCalls: string[] = [];
  const http: ShakaSchemePlugin = (uri, request) => {
    httpCalls.push(uri);
    const response: ShakaResponse = { uri, originalUri: uri, data: new Uint8Array([1, 2, 3]), headers: {}, originalRequest: request };
    return new FakeOperation(Promise.resolve(response), async () => undefined);
  };
  class ShakaError extends Error {
    constructor(
      readonly severity: number,
      readonly category: number,
      readonly code: number,
    ) {
      super(`shaka ${code}`);
    }
    static Severity = { RECOVERABLE: 1 };
    static Category = { NETWORK: 1 };
    static Code = { OPERATION_ABORTED: 7001 };
  }
  const shaka = {
    net: {
      NetworkingEngine: {
        registerScheme: (scheme: string, plugin: ShakaSchemePlugin) => schemes.set(scheme, plugin),
        RequestType: { SEGMENT },
        AdvancedRequestType: { MEDIA_SEGMENT },
        PluginPriority: { APPLICATION: 3 },
      },
      HttpFetchPlugin: { parse: http },
    },
    util: { AbortableOperation: FakeOperation, Error: ShakaError },
  } as unknown as ShakaNamespace;
  return { shaka, schemes, httpCalls };
}

function fakePlayer() {
  const filters: ShakaRequestFilter[] = [];
  const player = {
    getNetworkingEngine: () => ({
      registerRequestFilter: (f: ShakaRequestFilter) => filters.push(f),
      unregisterRequestFilter: (f: ShakaRequestFilter) => filters.splice(filters.indexOf(f), 1),
    }),
    getMediaElement: () => null,
    getPlayheadTimeAsDate: () => null,
    addEventListener: () => undefined,
    removeEventListener: () => undefined,
  };
  return { player, filters };
}

function reference(start: number, url: string) {
  return { startTime: start, endTime: start + 2, getUris: () => [url] };
}

function request(uri: string): ShakaRequest {
  return { uris: [uri], headers: {}, method: "GET" };
}

function run(plugin: ShakaSchemePlugin | undefined, uri: string, req: ShakaRequest) {
  if (!plugin) throw new Error("no plugin");
  return plugin(uri, req, SEGMENT, () => undefined, () => undefined, {});
}

describe("attachShaka", () => {
  it("answers claimed media segments from the swarm with the real transfer time", async () => {
    const { shaka, schemes, httpCalls } = fakeShaka();
    const { player, filters } = fakePlayer();
    const swarm: MediaSwarm = attachShaka(player, shaka);
    const delivery: SwarmDelivery = { data: new Uint8Array([9, 9]).buffer, transferMs: 250, ttfbMs: 20 };
    const trySwarm = vi.spyOn(swarm, "trySwarm").mockResolvedValue(delivery);
    const listed = vi.spyOn(swarm, "listed").mockImplementation(() => undefined);
    const req = request(SEG_URL);
    const context: ShakaRequestContext = {
      type: MEDIA_SEGMENT,
      segment: reference(84, SEG_URL),
      stream: { segmentIndex: [reference(82, "http://o/live/demo/360p/seg-41.m4s"), null, reference(84, SEG_URL)] },
    };
    filters[0]?.(SEGMENT, req, context);
    expect(listed.mock.calls[0]?.[0].map((s) => s.url)).toEqual(["http://o/live/demo/360p/seg-41.m4s", SEG_URL]);
    const response = await run(schemes.get("http"), SEG_URL, req).promise;
    expect(trySwarm.mock.calls[0]?.[0]).toEqual({ url: SEG_URL, start: 84, duration: 2 });
    expect(response).toMatchObject({ uri: SEG_URL, status: 200, timeMs: 250, originalRequest: req });
    expect(response.data).toBe(delivery.data);
    expect(httpCalls).toEqual([]);
    swarm.destroy();
    expect(filters).toHaveLength(0);
  });

  it("leaves init segments and unclaimed requests to Shaka's HTTP plugin; a swarm miss too, counted", async () => {
    const { shaka, schemes, httpCalls } = fakeShaka();
    const { player, filters } = fakePlayer();
    const swarm = attachShaka(player, shaka);
    vi.spyOn(swarm, "trySwarm").mockResolvedValue(null);
    vi.spyOn(swarm, "listed").mockImplementation(() => undefined);
    const httpLoaded = vi.spyOn(swarm, "httpLoaded").mockImplementation(() => undefined);
    const init = request("http://o/live/demo/360p/init-0.mp4");
    filters[0]?.(SEGMENT, init, { type: 0, segment: null });
    await run(schemes.get("https"), init.uris[0] as string, init).promise;
    const media = request(SEG_URL);
    filters[0]?.(SEGMENT, media, { type: MEDIA_SEGMENT, segment: reference(84, SEG_URL) });
    const response = await run(schemes.get("http"), SEG_URL, media).promise;
    expect(new Uint8Array(response.data as Uint8Array)).toEqual(new Uint8Array([1, 2, 3]));
    expect(httpCalls).toEqual(["http://o/live/demo/360p/init-0.mp4", SEG_URL]);
    expect(httpLoaded).toHaveBeenCalledOnce();
    expect(new Uint8Array(httpLoaded.mock.calls[0]?.[1] as ArrayBuffer)).toEqual(new Uint8Array([1, 2, 3]));
    swarm.destroy();
  });

  it("aborting the operation aborts the swarm load and fails with OPERATION_ABORTED", async () => {
    const { shaka, schemes } = fakeShaka();
    const { player, filters } = fakePlayer();
    const swarm = attachShaka(player, shaka);
    vi.spyOn(swarm, "listed").mockImplementation(() => undefined);
    let signal: AbortSignal | null = null;
    vi.spyOn(swarm, "trySwarm").mockImplementation((_s, sig) => {
      signal = sig;
      return new Promise((_resolve, reject) => sig.addEventListener("abort", () => reject(new Error("aborted"))));
    });
    const req = request(SEG_URL);
    filters[0]?.(SEGMENT, req, { type: MEDIA_SEGMENT, segment: reference(84, SEG_URL) });
    const operation = run(schemes.get("http"), SEG_URL, req);
    await operation.abort();
    await expect(operation.promise).rejects.toMatchObject({ code: 7001 });
    expect((signal as AbortSignal | null)?.aborted).toBe(true);
    swarm.destroy();
  });
});
