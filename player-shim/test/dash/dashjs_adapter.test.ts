/** The dash.js adapter against a fake MediaPlayer and XHRLoader: what dash.js's HTTPLoader sees. */
import { describe, expect, it, vi } from "vitest";
import { attachDashjs, type DashjsPlayer } from "../../src/dash/dashjs_adapter";
import type { SwarmDelivery } from "../../src/dash/media_swarm";

const SEG_URL = "http://o/live/demo/360p/seg-42.m4s";

type Loader = { load(request: unknown, response: Record<string, unknown>): boolean; abort(): void };

function fakePlayer(delay: { liveDelay?: number; liveDelayFragmentCount?: number } = {}) {
  let factory: ((this: { parent: Loader }) => Partial<Loader>) | null = null;
  // dash.js's defaults: no delay chosen (NaN), so the MPD's suggestedPresentationDelay applies.
  const settings = { streaming: { delay: { liveDelay: NaN, liveDelayFragmentCount: NaN, ...delay } } };
  const player: DashjsPlayer & { settings: typeof settings } = {
    settings,
    getSettings: () => settings,
    updateSettings: (update) => {
      Object.assign(settings.streaming.delay, update.streaming?.delay);
    },
    extend: (name, f, override) => {
      expect(name).toBe("XHRLoader");
      expect(override).toBe(true);
      factory = f;
    },
    getVideoElement: () => {
      throw new Error("no view yet");
    },
    getCurrentLiveLatency: () => NaN,
  };
  const parentLoads: { request: { customData: Record<string, unknown> }; response: Record<string, unknown> }[] = [];
  const parent: Loader = {
    load: (request, response) => {
      parentLoads.push({ request: request as { customData: Record<string, unknown> }, response });
      return true;
    },
    abort: vi.fn(),
  };
  const loader = () => {
    if (!factory) throw new Error("not extended");
    // dash.js copies the override's methods over the parent instance (FactoryMaker.merge).
    return { ...parent, ...factory.call({ parent }) } as Loader;
  };
  return { player, loader, parentLoads };
}

function mediaRequest(availableAt: number | null = null) {
  return {
    url: SEG_URL,
    headers: {},
    customData: {
      request: { type: "MediaSegment", startTime: 84, duration: 2, availabilityStartTime: availableAt === null ? null : new Date(availableAt) },
      onloadend: vi.fn(),
      onprogress: vi.fn(),
      onabort: vi.fn(),
    } as Record<string, unknown> & { onloadend: ReturnType<typeof vi.fn>; onprogress: ReturnType<typeof vi.fn>; onabort: ReturnType<typeof vi.fn>; abort?: () => void },
  };
}

describe("attachDashjs", () => {
  it("gives dash.js the swarm's live delay in segments unless the page chose one", () => {
    const plain = fakePlayer();
    attachDashjs(plain.player).destroy();
    expect(plain.player.settings.streaming.delay).toEqual({ liveDelay: NaN, liveDelayFragmentCount: 4 });
    const custom = fakePlayer();
    attachDashjs(custom.player, { dashLiveDelaySegments: 5 }).destroy();
    expect(custom.player.settings.streaming.delay.liveDelayFragmentCount).toBe(5);
    const chosen = fakePlayer({ liveDelay: 4 });
    attachDashjs(chosen.player).destroy();
    expect(chosen.player.settings.streaming.delay).toEqual({ liveDelay: 4, liveDelayFragmentCount: NaN });
    const off = fakePlayer();
    attachDashjs(off.player, { dashLiveDelaySegments: null }).destroy();
    expect(off.player.settings.streaming.delay.liveDelayFragmentCount).toBeNaN();
  });

  it("fills dash.js's response from the swarm and reports the real transfer time", async () => {
    const { player, loader, parentLoads } = fakePlayer();
    const swarm = attachDashjs(player);
    const delivery: SwarmDelivery = { data: new Uint8Array([7, 7, 7]).buffer, transferMs: 400, ttfbMs: 30 };
    const trySwarm = vi.spyOn(swarm, "trySwarm").mockResolvedValue(delivery);
    const listed = vi.spyOn(swarm, "listed").mockImplementation(() => undefined);
    const request = mediaRequest(Date.now() - 500);
    const response: Record<string, unknown> = { resourceTiming: { startTime: performance.now() } };
    expect(loader().load(request, response)).toBe(true);
    await vi.waitFor(() => expect(request.customData.onloadend).toHaveBeenCalledOnce());
    expect(trySwarm.mock.calls[0]?.[0]).toEqual({ url: SEG_URL, start: 84, duration: 2 });
    expect([...(listed.mock.calls[0]?.[1] as Set<number>)]).toEqual([42]); // just became available
    expect(response).toMatchObject({ url: SEG_URL, status: 200, data: delivery.data });
    expect(request.customData.onprogress).toHaveBeenCalledWith({ loaded: 3, total: 3, lengthComputable: true, time: 400 });
    expect(performance.now() - (response.resourceTiming as { startTime: number }).startTime).toBeGreaterThanOrEqual(400);
    expect(parentLoads).toHaveLength(0);
    swarm.destroy();
  });

  it("uses dash.js's own XHR for other requests and for swarm misses (counted and shared)", async () => {
    const { player, loader, parentLoads } = fakePlayer();
    const swarm = attachDashjs(player);
    vi.spyOn(swarm, "trySwarm").mockResolvedValue(null);
    const listed = vi.spyOn(swarm, "listed").mockImplementation(() => undefined);
    const httpLoaded = vi.spyOn(swarm, "httpLoaded").mockImplementation(() => undefined);
    const mpd = { url: "http://o/live/demo/manifest.mpd", customData: { request: { type: "MPD" } } };
    loader().load(mpd, {});
    expect(parentLoads[0]?.request).toBe(mpd);
    const request = mediaRequest(Date.now() - 60_000);
    const onloadend = request.customData.onloadend;
    loader().load(request, {});
    expect([...(listed.mock.calls[0]?.[1] as Set<number>)]).toEqual([]); // backlog, not live edge
    await vi.waitFor(() => expect(parentLoads).toHaveLength(2));
    const xhr = parentLoads[1] as (typeof parentLoads)[number];
    xhr.response.status = 200;
    xhr.response.data = new Uint8Array([1, 2]).buffer;
    (xhr.request.customData.onloadend as () => void)();
    expect(httpLoaded).toHaveBeenCalledOnce();
    expect(onloadend).toHaveBeenCalledOnce();
    swarm.destroy();
  });

  it("dash.js's abort reaches the swarm load and reports the abort", async () => {
    const { player, loader } = fakePlayer();
    const swarm = attachDashjs(player);
    vi.spyOn(swarm, "listed").mockImplementation(() => undefined);
    let signal: AbortSignal | null = null;
    vi.spyOn(swarm, "trySwarm").mockImplementation((_s, sig) => {
      signal = sig;
      return new Promise((_resolve, reject) => sig.addEventListener("abort", () => reject(new Error("aborted"))));
    });
    const request = mediaRequest();
    loader().load(request, {});
    request.customData.abort?.();
    expect((signal as AbortSignal | null)?.aborted).toBe(true);
    expect(request.customData.onabort).toHaveBeenCalledOnce();
    await new Promise((r) => setTimeout(r, 0));
    expect(request.customData.onloadend).not.toHaveBeenCalled();
    swarm.destroy();
  });
});
