/** What hls.js's abandon rule sees of a pending P2P load (the fLoader's `reportProgress`). */
import type { FragmentLoaderContext, HlsConfig, Loader } from "hls.js";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Emitter } from "../../src/events";
import { PROGRESS_POLL_MS, swarmFragmentLoader } from "../../src/hls/hls_loader";
import type { FragmentProgress, FragmentRef } from "../../src/p2p/p2p_engine";
import { callbacks, completeBuffer, FakeEngine, FakeHttpLoader, fragContext, LOADER_CONFIG, SEGMENT } from "../support/hls_loader_fixtures";

describe("swarm fragment loader", () => {
  describe("what hls.js's abandon rule sees of a P2P load", () => {
    let engine: FakeEngine;
    let now: number;
    let progress: FragmentProgress | null;
    let Loader: new (config: HlsConfig) => Loader<FragmentLoaderContext>;
    beforeEach(() => {
      vi.useFakeTimers();
      FakeHttpLoader.instances = [];
      now = 2000;
      progress = null;
      engine = Object.assign(new FakeEngine(), { fragmentProgress: (frag: FragmentRef) => (frag.sn === 7 ? progress : null) });
      Loader = swarmFragmentLoader({ engine, emitter: new Emitter(), swarmOf: () => "demo/360p", deadlineGraceMs: 1500, now: () => now });
    });
    afterEach(() => vi.useRealTimers());

    /** A new loader with a fragment load started: the loader and its callbacks. */
    const started = () => {
      const loader = new Loader({ loader: FakeHttpLoader } as unknown as HlsConfig);
      const cb = callbacks();
      loader.load(fragContext(), LOADER_CONFIG, cb);
      return { loader, cb };
    };

    it("shows a wait for neighbours as a load just begun, whatever pieces trickle in", () => {
      const { loader } = started(); // asked at 2000
      progress = { loaded: 16_384, total: 50_000, firstByteAt: 2300, originSince: null }; // one piece from a peer
      now = 5000;
      vi.advanceTimersByTime(PROGRESS_POLL_MS);
      // hls.js would take 16 kB in 3 s for the fragment's rate and abort with seconds of buffer left.
      expect(loader.stats).toMatchObject({ loaded: 0, loading: { start: 5000, first: 0 } });
      now = 5100;
      vi.advanceTimersByTime(PROGRESS_POLL_MS);
      expect(loader.stats.loading.start).toBe(5100);
    });

    it("shows the engine's origin fetch as the load: begun with it, its bytes as they are verified", () => {
      const { loader } = started();
      now = 5000;
      progress = { loaded: 0, total: 50_000, firstByteAt: null, originSince: 4900 }; // the fallback fetch went out
      vi.advanceTimersByTime(PROGRESS_POLL_MS);
      expect(loader.stats).toMatchObject({ loaded: 0, loading: { start: 4900, first: 0 } }); // no first byte yet
      now = 5400;
      progress = { loaded: 32_768, total: 50_000, firstByteAt: 5200, originSince: 4900 };
      vi.advanceTimersByTime(PROGRESS_POLL_MS);
      expect(loader.stats).toMatchObject({ loaded: 32_768, total: 50_000, loading: { start: 4900, first: 5200 } });
    });

    it("shows the fetch at least as fast as the viewer's measured link (a later segment's fetch may share it)", () => {
      const { loader } = started();
      engine.downloadRate = () => 100_000; // 100 kB/s measured over whole transfers
      now = 6000;
      progress = { loaded: 40_000, total: 150_000, firstByteAt: 4000, originSince: 3900 }; // 20 kB/s so far
      vi.advanceTimersByTime(PROGRESS_POLL_MS);
      // 40 kB at 100 kB/s is 0.4 s: hls.js sees the rate the link gives one fetch.
      expect(loader.stats).toMatchObject({ loaded: 40_000, loading: { start: 3900, first: 5600 } });
      engine.downloadRate = () => 10_000; // a congested origin: slower than the fetch
      vi.advanceTimersByTime(PROGRESS_POLL_MS);
      expect(loader.stats.loading.first).toBe(4000);
    });

    it("counts pieces held before the origin fetch as arriving when it began", () => {
      progress = { loaded: 16_384, total: 50_000, firstByteAt: 1200, originSince: 4900 };
      const { loader } = started();
      vi.advanceTimersByTime(PROGRESS_POLL_MS);
      expect(loader.stats).toMatchObject({ loaded: 16_384, loading: { start: 4900, first: 4900 } });
    });

    it("stops once the segment is delivered: the delivery's backdated stats stand", async () => {
      const { loader, cb } = started();
      progress = { loaded: 16_384, total: 50_000, firstByteAt: 2300, originSince: 2200 };
      vi.advanceTimersByTime(PROGRESS_POLL_MS);
      engine.loads[0]?.resolve(completeBuffer());
      await vi.waitFor(() => expect(cb.onSuccess).toHaveBeenCalledOnce());
      const first = loader.stats.loading.first;
      progress = { loaded: 60_000, total: 60_000, firstByteAt: 9000, originSince: 8000 };
      vi.advanceTimersByTime(PROGRESS_POLL_MS * 5);
      expect(loader.stats.loaded).toBe(SEGMENT.length);
      expect(loader.stats.loading.first).toBe(first);
      expect(vi.getTimerCount()).toBe(0);
    });

    it("stops when the safety net sends the load to plain HTTP, whose loader then owns the stats", () => {
      const { loader } = started();
      vi.advanceTimersByTime(5000 + 1501);
      expect(FakeHttpLoader.instances).toHaveLength(1);
      const http = FakeHttpLoader.instances[0] as FakeHttpLoader;
      http.stats.loaded = 0;
      progress = { loaded: 16_384, total: 50_000, firstByteAt: 7000, originSince: 6900 };
      vi.advanceTimersByTime(PROGRESS_POLL_MS * 5);
      expect(loader.stats.loaded).toBe(0);
      expect(vi.getTimerCount()).toBe(0);
    });

    it("stops when hls.js aborts the load", () => {
      const { loader } = started();
      loader.abort();
      expect(vi.getTimerCount()).toBe(0);
    });
  });
});
