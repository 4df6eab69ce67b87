/** The fLoader adapter against a fake hls.js context: routing, honest stats, abort, destroy. */
import type { FragmentLoaderContext, HlsConfig, Loader, LoaderStats } from "hls.js";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Emitter, type ShimEventMap } from "../../src/events";
import { swarmFragmentLoader } from "../../src/hls/hls_loader";
import type { FragmentRef } from "../../src/p2p/p2p_engine";
import type { SlowStartupAnswer } from "../../src/p2p/startup_join";
import { callbacks, completeBuffer, FakeEngine, FakeHttpLoader, fragContext, LOADER_CONFIG, SEGMENT } from "../support/hls_loader_fixtures";

describe("swarm fragment loader", () => {
  let engine: FakeEngine;
  let emitter: Emitter;
  let events: { [K in keyof ShimEventMap]?: ShimEventMap[K][] };
  let now: number;
  let Loader: new (config: HlsConfig) => Loader<FragmentLoaderContext>;

  beforeEach(() => {
    FakeHttpLoader.instances = [];
    engine = new FakeEngine();
    emitter = new Emitter();
    events = {};
    for (const name of ["bytes", "segment", "overhead", "warning"] as const) {
      emitter.on(name, (e) => ((events[name] ??= [] as never[]) as unknown[]).push(e));
    }
    now = 2000;
    Loader = swarmFragmentLoader({ engine, emitter, swarmOf: () => "demo/360p", deadlineGraceMs: 1500, now: () => now });
  });
  afterEach(() => vi.useRealTimers());

  const make = () => new Loader({ loader: FakeHttpLoader } as unknown as HlsConfig);
  /** A new loader with a fragment load started: the loader and its callbacks. */
  const started = () => {
    const loader = make();
    const cb = callbacks();
    loader.load(fragContext(), LOADER_CONFIG, cb);
    return { loader, cb };
  };
  /** The engine cannot serve the load: hls.js's HTTP loader takes over. */
  const fallenBackToHttp = async () => {
    engine.loads[0]?.resolve(null);
    await vi.waitFor(() => expect(FakeHttpLoader.instances).toHaveLength(1));
    return FakeHttpLoader.instances[0] as FakeHttpLoader;
  };

  it("delivers a verified segment from the engine with backdated, finite stats", async () => {
    const { loader, cb } = started();
    expect(engine.loads).toHaveLength(1);
    expect(engine.loads[0]?.ref).toMatchObject({ sn: 7, start: 14, duration: 2 });
    const buffer = completeBuffer();
    engine.loads[0]?.resolve(buffer);
    await vi.waitFor(() => expect(cb.onSuccess).toHaveBeenCalledOnce());
    const [response, stats] = cb.onSuccess.mock.calls[0] as [{ data: ArrayBuffer }, LoaderStats];
    expect(new Uint8Array(response.data)).toEqual(SEGMENT);
    // A copy: hls.js may transfer (detach) it while the store keeps serving the original.
    expect(response.data).not.toBe(buffer.bytes().buffer);
    expect(stats).toBe(loader.stats);
    expect(stats.loaded).toBe(SEGMENT.length);
    expect(stats.total).toBe(SEGMENT.length);
    expect(stats.loading.end).toBe(2000);
    expect(stats.loading.start).toBe(2000 - 400); // the real 400 ms transfer, not the wait
    expect(stats.loading.first).toBe(2000 - 400 + 100); // its real time to first byte
    expect(Number.isFinite(stats.bwEstimate)).toBe(true);
    expect(stats.bwEstimate).toBeCloseTo((SEGMENT.length * 8000) / 300, 6);
    expect(events.segment?.[0]).toMatchObject({ seq: 7, httpBytes: 16384, p2pBytes: SEGMENT.length - 16384 });
    expect(FakeHttpLoader.instances).toHaveLength(0);
  });

  it("reports a segment peers served slower than the viewer's measured link at the link's rate", async () => {
    // 400 ms from peers (mostly); the viewer's origin link carries the 50 kB in 100 ms.
    engine.downloadRate = () => 500_000;
    const { cb } = started();
    engine.loads[0]?.resolve(completeBuffer());
    await vi.waitFor(() => expect(cb.onSuccess).toHaveBeenCalledOnce());
    const stats = cb.onSuccess.mock.calls[0]?.[1] as LoaderStats;
    expect(stats.loading.start).toBe(2000 - 100);
    expect(stats.loading.first).toBe(2000 - 100);
    expect(stats.bwEstimate).toBeCloseTo(500_000 * 8, 6);
  });

  it("without transfer timing, does not report infinite bandwidth", async () => {
    const { loader, cb } = started();
    now = 2600;
    engine.loads[0]?.resolve(completeBuffer(false));
    await vi.waitFor(() => expect(cb.onSuccess).toHaveBeenCalledOnce());
    const stats = cb.onSuccess.mock.calls[0]?.[1] as LoaderStats;
    expect(stats.loading.start).toBe(2000);
    expect(stats.loading.first).toBe(2600);
    expect(Number.isFinite(stats.bwEstimate)).toBe(true);
  });

  it("falls back to hls.js's HTTP loader when the engine cannot serve, sharing stats", async () => {
    const { loader, cb } = started();
    const http = await fallenBackToHttp();
    expect(http.stats).toBe(loader.stats); // hls.js reads the fLoader's stats object
    http.answer(SEGMENT.slice().buffer);
    expect(cb.onSuccess).toHaveBeenCalledOnce();
    expect(events.bytes?.[0]).toMatchObject({ source: "http", bytes: SEGMENT.length, seq: 7 });
    expect(engine.offers.map((r) => r.sn)).toEqual([7]);
  });

  it("tells the engine when its plain-HTTP load of a fragment begins and ends, however it ends", async () => {
    const done = started();
    (await fallenBackToHttp()).answer(SEGMENT.slice().buffer);
    expect(engine.playerLoads).toEqual(["+7", "-7"]);
    const aborted = started();
    engine.loads[1]?.resolve(null);
    await vi.waitFor(() => expect(FakeHttpLoader.instances).toHaveLength(2));
    aborted.loader.abort();
    expect(engine.playerLoads).toEqual(["+7", "-7", "+7", "-7"]);
    const destroyed = started();
    engine.loads[2]?.resolve(null);
    await vi.waitFor(() => expect(FakeHttpLoader.instances).toHaveLength(3));
    destroyed.loader.destroy();
    destroyed.loader.destroy();
    expect(engine.playerLoads).toEqual(["+7", "-7", "+7", "-7", "+7", "-7"]);
    expect(done.cb.onSuccess).toHaveBeenCalledOnce();
  });

  it("sends init segments and P2P-off loads straight to HTTP", () => {
    const init = make();
    const cb = callbacks();
    init.load(fragContext("initSegment"), LOADER_CONFIG, cb);
    expect(engine.loads).toHaveLength(0);
    (FakeHttpLoader.instances[0] as FakeHttpLoader).answer(new ArrayBuffer(900));
    expect(events.overhead?.[0]).toMatchObject({ bytes: 900 });
    engine.p2pEnabled = false;
    make().load(fragContext(), LOADER_CONFIG, callbacks());
    expect(engine.loads).toHaveLength(0);
    expect(FakeHttpLoader.instances).toHaveLength(2);
  });

  it("abort() stops the P2P wait, reports onAbort once and ignores a late result", async () => {
    const { loader, cb } = started();
    const pending = engine.loads[0];
    loader.abort();
    expect(pending?.signal.aborted).toBe(true);
    expect(cb.onAbort).toHaveBeenCalledOnce();
    expect(loader.stats.aborted).toBe(true);
    pending?.resolve(completeBuffer());
    await new Promise((r) => setTimeout(r, 0));
    expect(cb.onSuccess).not.toHaveBeenCalled();
    expect(FakeHttpLoader.instances).toHaveLength(0);
  });

  it("abort() during the HTTP fallback aborts it with one onAbort", async () => {
    const { loader, cb } = started();
    const http = await fallenBackToHttp();
    loader.abort();
    expect(http.aborted).toBe(true);
    expect(cb.onAbort).toHaveBeenCalledOnce();
  });

  it("destroy() silences every callback", async () => {
    const { loader, cb } = started();
    const http = await fallenBackToHttp();
    loader.destroy();
    http.answer(SEGMENT.slice().buffer);
    expect(cb.onSuccess).not.toHaveBeenCalled();
    expect(cb.onAbort).not.toHaveBeenCalled();
  });

  it("switches to plain HTTP when the engine misses the playback deadline", () => {
    vi.useFakeTimers();
    const { loader, cb } = started();
    vi.advanceTimersByTime(5000 + 1499);
    expect(FakeHttpLoader.instances).toHaveLength(0);
    vi.advanceTimersByTime(2);
    expect(engine.loads[0]?.signal.aborted).toBe(true);
    expect(FakeHttpLoader.instances).toHaveLength(1);
    expect(engine.playerFetched).toEqual([7]); // the engine drops its own copy: no second origin download
    expect(events.warning).toHaveLength(1);
    (FakeHttpLoader.instances[0] as FakeHttpLoader).answer(SEGMENT.slice().buffer);
    expect(cb.onSuccess).toHaveBeenCalledOnce();
  });

  it("keeps waiting past the deadline while the engine's delivery is underway, then gives up after a bound", () => {
    vi.useFakeTimers();
    let underway = true;
    const asked: number[] = [];
    const busy = Object.assign(engine, {
      deliveryUnderway: (frag: FragmentRef, windowMs: number) => {
        asked.push(windowMs);
        return underway && frag.sn === 7;
      },
    });
    Loader = swarmFragmentLoader({ engine: busy, emitter, swarmOf: () => "demo/360p", deadlineGraceMs: 1500, now: () => now });
    const loader = make();
    loader.load(fragContext(), LOADER_CONFIG, callbacks());
    vi.advanceTimersByTime(5000 + 1501 + 1500 * 2); // deadline + grace, then two extensions
    expect(FakeHttpLoader.instances).toHaveLength(0); // no second download of the same bytes
    expect(asked).toEqual([1500, 1500, 1500]);
    underway = false; // the engine's fetch failed or stopped making progress
    vi.advanceTimersByTime(1500);
    expect(engine.loads[0]?.signal.aborted).toBe(true);
    expect(FakeHttpLoader.instances).toHaveLength(1);
  });

  it("bounds the extensions when the delivery never completes", () => {
    vi.useFakeTimers();
    const busy = Object.assign(engine, { deliveryUnderway: () => true });
    Loader = swarmFragmentLoader({ engine: busy, emitter, swarmOf: () => "demo/360p", deadlineGraceMs: 1500, now: () => now });
    make().load(fragContext(), LOADER_CONFIG, callbacks());
    vi.advanceTimersByTime(5000 + 1501 + 1500 * 19);
    expect(FakeHttpLoader.instances).toHaveLength(0);
    vi.advanceTimersByTime(1500);
    expect(FakeHttpLoader.instances).toHaveLength(1);
  });

  describe("startup before the join (hedged)", () => {
    let decide: (take: boolean) => void;
    beforeEach(() => {
      const hedging = Object.assign(engine, {
        hedgesStartup: () => true,
        takesOverStartup: () => new Promise<boolean>((resolve) => (decide = resolve)),
      });
      Loader = swarmFragmentLoader({ engine: hedging, emitter, swarmOf: () => "demo/360p", deadlineGraceMs: 1500, now: () => now });
    });

    it("loads over plain HTTP at once and keeps it when the join says the origin is fine", async () => {
      const cb = callbacks();
      make().load(fragContext(), LOADER_CONFIG, cb);
      expect(FakeHttpLoader.instances).toHaveLength(1); // no wait for signaling
      expect(engine.loads).toHaveLength(0);
      decide(false);
      await Promise.resolve();
      expect(FakeHttpLoader.instances[0]?.aborted).toBe(false);
      FakeHttpLoader.instances[0]?.answer(SEGMENT.slice().buffer);
      expect(cb.onSuccess).toHaveBeenCalledOnce();
      expect(engine.offers).toHaveLength(1);
    });

    it("drops the HTTP copy for the swarm when the join says a crowd is arriving", async () => {
      const { loader, cb } = started();
      const http = FakeHttpLoader.instances[0] as FakeHttpLoader;
      Object.assign(loader.stats, { loaded: 1000, total: SEGMENT.length });
      decide(true);
      await vi.waitFor(() => expect(engine.loads).toHaveLength(1));
      expect(http.aborted).toBe(true);
      expect(cb.onAbort).not.toHaveBeenCalled(); // hls.js sees one load, not an abort
      expect(loader.stats.aborted).toBe(false);
      engine.loads[0]?.resolve(completeBuffer());
      await vi.waitFor(() => expect(cb.onSuccess).toHaveBeenCalledOnce());
      expect(FakeHttpLoader.instances).toHaveLength(1);
    });

    it("finishes an HTTP copy that is half in, even when the swarm would take over", async () => {
      const { loader, cb } = started();
      Object.assign(loader.stats, { loaded: SEGMENT.length / 2, total: SEGMENT.length });
      decide(true);
      await Promise.resolve();
      await Promise.resolve();
      expect(engine.loads).toHaveLength(0);
      FakeHttpLoader.instances[0]?.answer(SEGMENT.slice().buffer);
      expect(cb.onSuccess).toHaveBeenCalledOnce();
    });
  });
  describe("a slow startup fragment over plain HTTP", () => {
    let answers: SlowStartupAnswer[];
    let asked: number[];
    beforeEach(() => {
      vi.useFakeTimers();
      answers = [];
      asked = [];
      const slow = Object.assign(engine, {
        slowStartupFragment: (_ref: FragmentRef, elapsedMs: number): SlowStartupAnswer => {
          asked.push(elapsedMs);
          return answers.shift() ?? "wait";
        },
      });
      Loader = swarmFragmentLoader({ engine: slow, emitter, swarmOf: () => "demo/360p", deadlineGraceMs: 1500, now: () => now });
    });
    /** The join chose plain HTTP for startup: the engine gives the load back, hls.js's loader runs. */
    const overHttp = async () => {
      const { loader, cb } = started();
      engine.loads[0]?.resolve(null);
      await vi.advanceTimersByTimeAsync(0); // the engine's answer reaches the loader (no time passes)
      expect(FakeHttpLoader.instances).toHaveLength(1);
      return { loader, cb, http: FakeHttpLoader.instances[0] as FakeHttpLoader };
    };
    const tick = (ms: number) => {
      now += ms;
      vi.advanceTimersByTime(ms);
    };

    it("goes to the swarm once the engine says a neighbour holds it, and hls.js sees one load", async () => {
      const { loader, cb, http } = await overHttp();
      answers = ["wait", "take"];
      tick(999);
      expect(asked).toHaveLength(0); // not slow before half the fragment's duration
      tick(1);
      expect(asked).toEqual([1000]);
      expect(http.aborted).toBe(false);
      tick(250);
      expect(asked).toEqual([1000, 1250]);
      expect(http.aborted).toBe(true);
      expect(engine.loads).toHaveLength(2);
      expect(cb.onAbort).not.toHaveBeenCalled();
      expect(loader.stats.aborted).toBe(false);
      engine.loads[1]?.resolve(completeBuffer());
      await vi.waitFor(() => expect(cb.onSuccess).toHaveBeenCalledOnce());
      expect(FakeHttpLoader.instances).toHaveLength(1);
    });

    it("goes back to plain HTTP only through the safety net after a takeover, and is not watched again", async () => {
      await overHttp();
      answers = ["take"];
      tick(1000);
      expect(engine.loads).toHaveLength(2);
      engine.loads[1]?.resolve(null);
      await vi.advanceTimersByTimeAsync(0);
      expect(FakeHttpLoader.instances).toHaveLength(2);
      tick(5000);
      expect(asked).toHaveLength(1);
    });

    it("keeps an HTTP copy that is half in", async () => {
      const { loader, cb, http } = await overHttp();
      Object.assign(loader.stats, { loaded: SEGMENT.length / 2, total: SEGMENT.length });
      answers = ["take"];
      tick(2000);
      expect(asked).toHaveLength(0);
      expect(http.aborted).toBe(false);
      http.answer(SEGMENT.slice().buffer);
      expect(cb.onSuccess).toHaveBeenCalledOnce();
    });

    it("stops asking once the engine says never (playing)", async () => {
      await overHttp();
      answers = ["wait", "never"];
      tick(1000 + 250 + 250 * 10);
      expect(asked).toHaveLength(2);
    });

    it("stops asking when the HTTP copy arrives, and when hls.js aborts the load", async () => {
      const first = await overHttp();
      first.http.answer(SEGMENT.slice().buffer);
      tick(5000);
      expect(asked).toHaveLength(0);
      FakeHttpLoader.instances = [];
      engine.loads = [];
      const second = await overHttp();
      second.loader.abort();
      tick(5000);
      expect(asked).toHaveLength(0);
    });

    it("watches a hedged load the join let run over HTTP", async () => {
      const hedging = Object.assign(engine, { hedgesStartup: () => true, takesOverStartup: () => Promise.resolve(false) });
      Loader = swarmFragmentLoader({ engine: hedging, emitter, swarmOf: () => "demo/360p", deadlineGraceMs: 1500, now: () => now });
      const { cb } = started();
      expect(FakeHttpLoader.instances).toHaveLength(1);
      answers = ["take"];
      tick(1000);
      expect(FakeHttpLoader.instances[0]?.aborted).toBe(true);
      expect(engine.loads).toHaveLength(1);
      engine.loads[0]?.resolve(completeBuffer());
      await vi.waitFor(() => expect(cb.onSuccess).toHaveBeenCalledOnce());
    });
  });
});
