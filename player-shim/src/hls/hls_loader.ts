/**
 * The hls.js fragment loader (`fLoader`): media fragments go through the P2P engine, everything
 * else (init segments, byte-range or non-main fragments, P2P off or not ready) through hls.js's
 * own HTTP loader. It only translates: engine result -> onSuccess with honest stats.
 */

import type {
  FragmentLoaderContext,
  HlsConfig,
  Loader,
  LoaderCallbacks,
  LoaderConfiguration,
  LoaderStats,
} from "hls.js";
import type { Emitter } from "../events";
import { abrTiming } from "../p2p/download_meter";
import type { FragmentProgress, FragmentRef, P2PEngine } from "../p2p/p2p_engine";
import { SLOW_MEDIA_SHARE, SLOW_STARTUP_POLL_MS, type SlowStartupAnswer } from "../p2p/startup_join";
import type { SegmentBuffer } from "../p2p/segment_store";
import type { Timeline } from "../timeline";

/** The parts of the engine the loader uses (so tests can pass a fake). */
export type LoaderEngine = Pick<P2PEngine, "load" | "offerHttp" | "secondsUntil" | "p2pEnabled"> & {
  isLiveEdge(sn: number): boolean;
  /** Optional: the engine is still bringing the fragment in (see the safety net). */
  deliveryUnderway?(frag: FragmentRef, windowMs: number): boolean;
  /** Optional: the viewer's measured origin download rate, bytes/s (null: none yet); see `deliver`. */
  downloadRate?(): number | null;
  /** Optional: a plain-HTTP load of the fragment began (`inFlight`) or ended (the engine's scheduler lets it go first). */
  playerLoad?(frag: FragmentRef, inFlight: boolean): void;
  /** Optional: the safety net fetches the fragment over plain HTTP (the engine drops its copy). */
  playerFetches?(frag: FragmentRef): void;
  /** Optional: what of the fragment the swarm holds so far (see `reportProgress`). */
  fragmentProgress?(frag: FragmentRef): FragmentProgress | null;
  /** Optional: startup before the join: plain HTTP at once, maybe taken over (see `hedge`). */
  hedgesStartup?(frag: FragmentRef): boolean;
  takesOverStartup?(frag: FragmentRef, signal: AbortSignal): Promise<boolean>;
  /** Optional: a startup fragment over plain HTTP is taking long; "take" moves it to the swarm (see `watchSlowStartup`). */
  slowStartupFragment?(frag: FragmentRef, elapsedMs: number): SlowStartupAnswer;
};

/**
 * The safety net keeps waiting, one grace period at a time, while the delivery is underway
 * (pieces arriving, or the engine's own origin fetch in flight): on a congested origin a second
 * download of the same bytes only slows both. This bounds the wait for an engine that is
 * somehow stuck with progress reported (20 x 1.5 s by default).
 */
const MAX_SAFETY_EXTENSIONS = 20;

/** How often a P2P load's progress is copied into hls.js's stats: as often as hls.js's abandon rule reads them. */
export const PROGRESS_POLL_MS = 100;

export interface LoaderDeps {
  engine: LoaderEngine;
  emitter: Emitter;
  /** Swarm id for events ("<stream>/<rendition>" when known). */
  swarmOf(url: string): string;
  /** After the playback deadline, how long the engine may still take before plain HTTP. */
  deadlineGraceMs: number;
  now(): number;
  /** The viewer's timeline when one is recorded: fragment requests, who served them, fallbacks. */
  timeline?: Timeline | null;
}

type HttpLoaderClass = new (config: HlsConfig) => Loader<FragmentLoaderContext>;

export function newLoaderStats(): LoaderStats {
  return {
    aborted: false,
    loaded: 0,
    retry: 0,
    total: 0,
    chunkCount: 0,
    bwEstimate: 0,
    loading: { start: 0, first: 0, end: 0 },
    parsing: { start: 0, end: 0 },
    buffering: { start: 0, first: 0, end: 0 },
  };
}

/** A loader class bound to one engine, for `config.fLoader`. */
export function swarmFragmentLoader(deps: LoaderDeps): new (config: HlsConfig) => Loader<FragmentLoaderContext> {
  return class SwarmFragmentLoader implements Loader<FragmentLoaderContext> {
    context: FragmentLoaderContext | null = null;
    stats: LoaderStats = newLoaderStats();
    private callbacks: LoaderCallbacks<FragmentLoaderContext> | null = null;
    private loaderConfig: LoaderConfiguration | null = null;
    private http: Loader<FragmentLoaderContext> | null = null;
    /** Tells the engine that the plain-HTTP load in flight is over (`LoaderEngine.playerLoad`); null: none. */
    private playerLoadEnd: (() => void) | null = null;
    private p2p: AbortController | null = null;
    /** A hedged startup load: waiting for the engine's takeover decision (see `hedge`). */
    private hedging: AbortController | null = null;
    private safetyTimer: ReturnType<typeof setTimeout> | null = null;
    private progressTimer: ReturnType<typeof setInterval> | null = null;
    /** Asks the engine about a slow startup fragment over plain HTTP (see `watchSlowStartup`). */
    private slowTimer: ReturnType<typeof setTimeout> | null = null;
    /** This load went to the swarm after a slow HTTP start once; it never goes back and forth. */
    private slowTaken = false;
    private done = false;
    /** When hls.js asked for the fragment (for the timeline's "waited" figure). */
    private waitStart = 0;

    constructor(private readonly hlsConfig: HlsConfig) {}

    load(context: FragmentLoaderContext, config: LoaderConfiguration, callbacks: LoaderCallbacks<FragmentLoaderContext>): void {
      this.context = context;
      this.loaderConfig = config;
      this.callbacks = callbacks;
      const frag = context.frag;
      const usable =
        deps.engine.p2pEnabled &&
        typeof frag.sn === "number" &&
        frag.type === "main" &&
        !context.part &&
        !context.rangeEnd &&
        !isEncrypted(frag.decryptdata?.method); // encrypted media is not what the records sign
      const sn = typeof frag.sn === "number" ? frag.sn : null;
      deps.timeline?.record("frag-request", sn, { level: frag.level, type: frag.type, start: frag.start, p2p: usable, dueS: usable ? round(deps.engine.secondsUntil(frag.start)) : null });
      if (!usable) {
        this.loadHttp();
        return;
      }
      const ref: FragmentRef = { sn: frag.sn as number, url: frag.url, start: frag.start, duration: frag.duration, level: frag.level };
      if (deps.engine.hedgesStartup?.(ref) && deps.engine.takesOverStartup) this.hedge(ref);
      else this.loadP2P(ref);
    }

    /**
     * A fragment that went over plain HTTP before the first frame (hedged, or the join chose
     * HTTP for startup) and is still arriving: once the engine says it is slow and a neighbour
     * holds the segment, the HTTP copy is dropped for the swarm, unless half of it is in.
     */
    private watchSlowStartup(ref: FragmentRef, http: Loader<FragmentLoaderContext>, startedAt: number): void {
      if (!deps.engine.slowStartupFragment || this.slowTaken) return;
      const firstMs = Math.max(0, ref.duration * 1000 * SLOW_MEDIA_SHARE);
      const check = (): void => {
        this.slowTimer = null;
        if (this.http !== http || this.done) return;
        if (this.halfIn()) return;
        const elapsedMs = deps.now() - startedAt;
        const answer = deps.engine.slowStartupFragment?.(ref, elapsedMs) ?? "never";
        if (answer === "wait") this.slowTimer = setTimeout(check, SLOW_STARTUP_POLL_MS);
        if (answer !== "take") return;
        this.slowTaken = true;
        this.dropHttpForSwarm(ref, http, "slow-http-taken", { elapsedMs: Math.round(elapsedMs) });
      };
      this.slowTimer = setTimeout(check, firstMs);
    }

    private clearSlowTimer(): void {
      if (this.slowTimer !== null) clearTimeout(this.slowTimer);
      this.slowTimer = null;
    }

    /**
     * Startup before the swarm is joined (p2p/startup_join.ts): plain HTTP at once, so a fast
     * origin's first frame does not wait for signaling. If the join then says the fragment should
     * come from the swarm (a crowd arriving, a slow origin), the HTTP copy is dropped for the swarm
     * unless half of it is already in (finishing it costs the link less than starting over).
     */
    private hedge(ref: FragmentRef): void {
      const controller = new AbortController();
      this.hedging = controller;
      this.loadHttpWatched(ref);
      void deps.engine.takesOverStartup?.(ref, controller.signal).then((take) => {
        if (this.hedging !== controller) return;
        this.hedging = null;
        const http = this.http;
        if (!take || this.done || !http) return;
        if (this.halfIn()) {
          deps.timeline?.record("hedge-kept", ref.sn, { loaded: this.stats.loaded, total: this.stats.total });
          return;
        }
        this.dropHttpForSwarm(ref, http, "hedge-taken");
      });
    }

    /** Half of the HTTP copy is in: finishing it costs the link less than starting over. */
    private halfIn(): boolean {
      const { loaded, total } = this.stats;
      return total > 0 && loaded * 2 >= total;
    }

    /** Stops the HTTP copy (hls.js sees one load, not an abort) and gets the fragment through the swarm. */
    private dropHttpForSwarm(ref: FragmentRef, http: Loader<FragmentLoaderContext>, event: string, detail: Record<string, number> = {}): void {
      const { loaded, total } = this.stats;
      this.http = null; // its callbacks go quiet (see loadHttp)
      http.abort();
      http.destroy();
      this.endPlayerLoad();
      deps.timeline?.record(event, ref.sn, { loaded, total, ...detail });
      Object.assign(this.stats, newLoaderStats()); // the dropped HTTP attempt is not this load's
      this.loadP2P(ref);
    }

    private loadP2P(ref: FragmentRef): void {
      this.stats.loading.start = deps.now();
      this.waitStart = this.stats.loading.start;
      const controller = new AbortController();
      this.p2p = controller;
      this.armSafetyNet(ref);
      if (deps.engine.fragmentProgress) this.progressTimer = setInterval(() => this.reportProgress(ref), PROGRESS_POLL_MS);
      deps.engine.load(ref, deps.engine.isLiveEdge(ref.sn), controller.signal).then(
        (buffer) => {
          if (this.p2p !== controller || controller.signal.aborted) return;
          this.p2p = null;
          this.clearP2PTimers();
          if (buffer) this.deliver(buffer);
          else this.loadHttpWatched(ref);
        },
        () => {
          if (this.p2p !== controller || controller.signal.aborted) return;
          this.p2p = null;
          this.clearP2PTimers();
          this.loadHttpWatched(ref);
        },
      );
    }

    /**
     * What hls.js's abandon rule sees of a P2P load. hls.js reads these stats every 100 ms and
     * aborts a load (switching down) when the bytes still to come, at the rate they came so far
     * (or at its estimate before a first byte), would outlast the buffer. A P2P load is mostly a
     * wait the engine plans: for neighbours, then, at the fallback point it computes from this
     * viewer's link, its own origin fetch of what is missing, timed to end before the deadline.
     * Shown as one load from hls.js's ask, that wait looked like a load with no first byte (or,
     * with a prefetched piece, a trickle of a few kbit/s), and hls.js aborted it with seconds of
     * buffer left (realistic lab: 13-27 emergency aborts per run, none CDN-only; each one a
     * rendition switch, i.e. a new swarm). So, as a CDN-only player's load begins when its
     * request goes out: while no origin fetch of the fragment is in flight the load is shown as
     * just begun; once one is, the load began with it and its bytes (with what the engine
     * already held) arrive as they are verified, so a fetch too slow for the buffer is still
     * abandoned as hls.js would abandon its own. At most as slow as the viewer's measured link
     * (`downloadRate`, whole transfers, a congested origin included): the engine may run a later
     * segment's fetch beside this one, timed so that both make their deadlines, and at the half
     * rate each then gets hls.js abandoned loads a CDN-only player completes (realistic lab: a
     * DSL page's 360p load at 1.3 s into a 2 s segment, switched to 144p; realistic-README.md
     * series 20).
     */
    private reportProgress(ref: FragmentRef): void {
      const progress = this.p2p ? deps.engine.fragmentProgress?.(ref) : null;
      if (!progress) return;
      const { stats } = this;
      if (progress.originSince === null) {
        stats.loading.start = deps.now();
        stats.loading.first = 0;
        stats.loaded = 0;
        return;
      }
      stats.loading.start = progress.originSince;
      stats.total = progress.total;
      stats.loaded = progress.loaded;
      if (progress.loaded <= 0) {
        stats.loading.first = 0;
        return;
      }
      const first = Math.max(progress.originSince, progress.firstByteAt ?? deps.now());
      const link = deps.engine.downloadRate?.() ?? null;
      const atLinkRate = link !== null && link > 0 ? deps.now() - (progress.loaded * 1000) / link : -Infinity;
      stats.loading.first = Math.max(first, atLinkRate);
    }

    /**
     * Plain HTTP if the engine has not delivered by the playback deadline plus a grace period.
     * While the engine's own origin fetch of the fragment is in flight (or pieces keep coming),
     * a second download of the same bytes would only split a congested origin link between two
     * copies (and, with every viewer doing it at once, a herd): it waits a few more grace
     * periods first.
     */
    private armSafetyNet(ref: FragmentRef, extensions = 0): void {
      const untilDeadlineMs = extensions === 0 ? deps.engine.secondsUntil(ref.start) * 1000 : 0;
      this.safetyTimer = setTimeout(() => {
        this.safetyTimer = null;
        if (!this.p2p) return;
        if (extensions < MAX_SAFETY_EXTENSIONS && deps.engine.deliveryUnderway?.(ref, deps.deadlineGraceMs)) {
          this.armSafetyNet(ref, extensions + 1);
          return;
        }
        this.p2p.abort();
        this.p2p = null;
        this.clearP2PTimers();
        deps.engine.playerFetches?.(ref);
        deps.timeline?.record("safety-net", ref.sn, { extensions });
        deps.emitter.emit("warning", { message: `P2P missed the deadline of ${ref.url}; plain HTTP` });
        this.loadHttp();
      }, untilDeadlineMs + deps.deadlineGraceMs);
    }

    /** The P2P attempt is over (delivered, sent to HTTP, aborted): its safety net and progress reports stop. */
    private clearP2PTimers(): void {
      if (this.safetyTimer !== null) clearTimeout(this.safetyTimer);
      this.safetyTimer = null;
      if (this.progressTimer !== null) clearInterval(this.progressTimer);
      this.progressTimer = null;
    }

    /** Hands a complete, verified segment to hls.js with stats that reflect its real transfer. */
    private deliver(buffer: SegmentBuffer): void {
      const context = this.context;
      const callbacks = this.callbacks;
      if (!context || !callbacks || this.done) return;
      this.done = true;
      const stats = this.stats;
      const now = deps.now();
      const size = buffer.size;
      stats.loaded = size;
      stats.total = size;
      // One callback, one chunk: hls.js only uses chunkCount for progressive loading logs.
      stats.chunkCount = 1;
      stats.loading.end = now;
      const timing = abrTiming(buffer, deps.engine.downloadRate?.() ?? null);
      if (timing) {
        // Backdated: the segment may have been fetched (from peers and/or Range requests) before
        // hls.js asked, or hls.js may have waited for a neighbour to announce it. Neither is
        // network time; the ABR estimator must see how long the bytes took to arrive (at most
        // the viewer's own link time when peers served them: download_meter.ts), so the load
        // "started" that long before now and its first byte came after the TTFB.
        stats.loading.start = now - timing.transferMs;
        stats.loading.first = stats.loading.start + timing.ttfbMs;
      } else {
        // No transfer timing (bytes handed over from an earlier HTTP load): the wait hls.js saw
        // is the only honest figure; first byte = end keeps TTFB from inflating bandwidth.
        stats.loading.first = now;
      }
      // Same formula as hls.js's own loaders: bits over the streaming part of the load.
      stats.bwEstimate = (size * 8000) / Math.max(1, stats.loading.end - stats.loading.first);
      deps.timeline?.record("frag-served", buffer.seq, { by: servedBy(buffer.httpBytes, buffer.p2pBytes), httpBytes: buffer.httpBytes, p2pBytes: buffer.p2pBytes, waitedMs: Math.round(now - this.waitStart), bwReported: Math.round(stats.bwEstimate) });
      deps.emitter.emit("segment", {
        swarm: deps.swarmOf(context.url),
        seq: buffer.seq,
        bytes: size,
        httpBytes: buffer.httpBytes,
        p2pBytes: buffer.p2pBytes,
        ms: stats.loading.end - stats.loading.start,
      });
      // A copy: hls.js may transfer this ArrayBuffer to its worker, and the store keeps serving
      // the original to neighbours.
      const data = buffer.bytes().slice().buffer;
      callbacks.onSuccess({ url: context.url, data }, stats, context, null);
    }

    /** `loadHttp`, watched while it is a slow startup fragment (`watchSlowStartup`). */
    private loadHttpWatched(ref: FragmentRef): void {
      const http = this.loadHttp();
      if (http) this.watchSlowStartup(ref, http, deps.now());
    }

    /** hls.js's own loader for this request, sharing our stats object (hls.js reads ours). */
    private loadHttp(): Loader<FragmentLoaderContext> | null {
      const context = this.context;
      const callbacks = this.callbacks;
      const config = this.loaderConfig;
      if (!context || !callbacks || !config || this.done) return null;
      const HttpLoader = this.hlsConfig.loader as unknown as HttpLoaderClass;
      const http = new HttpLoader(this.hlsConfig);
      // hls.js's loaders refuse to start twice; the P2P attempt's start time is not HTTP time.
      this.stats.loading.start = 0;
      http.stats = this.stats;
      this.http = http;
      const frag = context.frag;
      const sn = typeof frag.sn === "number" ? frag.sn : -1;
      const transfer = `loader:${sn}:${(loaderCount += 1)}`;
      if (sn >= 0) deps.timeline?.begin(transfer, "loader-http", sn, { level: frag.level });
      this.endPlayerLoad();
      if (sn >= 0) {
        const ref = { sn, url: frag.url, start: frag.start, duration: frag.duration, level: frag.level };
        deps.engine.playerLoad?.(ref, true);
        this.playerLoadEnd = () => deps.engine.playerLoad?.(ref, false);
      }
      const ended = (outcome: string, bytes = 0): void => {
        deps.timeline?.progress(transfer, bytes);
        deps.timeline?.end(transfer, outcome);
        this.endPlayerLoad();
      };
      // Callbacks only count while this HTTP load is ours (not after abort/destroy).
      const live = (): boolean => this.http === http;
      http.load(context, config, {
        onError: (...args) => live() && (ended("error"), callbacks.onError(...args)),
        onTimeout: (...args) => live() && (ended("timeout"), callbacks.onTimeout(...args)),
        onAbort: (...args) => live() && (ended("aborted"), callbacks.onAbort?.(...args)),
        onProgress: (...args) => live() && callbacks.onProgress?.(...args),
        onSuccess: (response, stats, ctx, details) => {
          if (!live()) return;
          this.done = true;
          const bytes = response.data instanceof ArrayBuffer ? response.data.byteLength : 0;
          ended("ok", bytes);
          const swarm = deps.swarmOf(ctx.url);
          if (typeof frag.sn === "number") {
            deps.emitter.emit("bytes", { source: "http", bytes, peerId: null, swarm, seq: frag.sn });
            deps.emitter.emit("segment", { swarm, seq: frag.sn, bytes, httpBytes: bytes, p2pBytes: 0, ms: stats.loading.end - stats.loading.start });
            // Copy before hls.js can transfer it; the engine verifies before sharing.
            if (response.data instanceof ArrayBuffer && deps.engine.p2pEnabled) {
              const ref = { sn: frag.sn, url: frag.url, start: frag.start, duration: frag.duration, level: frag.level };
              deps.engine.offerHttp(ref, new Uint8Array(response.data.slice(0)), stats.loading.end - stats.loading.start);
            }
          } else {
            deps.emitter.emit("overhead", { bytes, what: ctx.url });
          }
          callbacks.onSuccess(response, stats, ctx, details);
        },
      });
      return http;
    }

    abort(): void {
      const aborted = this.cancel();
      if (aborted && this.callbacks?.onAbort && this.context) {
        this.stats.aborted = true;
        this.callbacks.onAbort(this.stats, this.context, null);
      }
    }

    destroy(): void {
      this.cancel();
      this.http?.destroy();
      this.http = null;
      this.endPlayerLoad();
      this.done = true;
      this.callbacks = null;
      this.context = null;
      this.loaderConfig = null;
    }

    /** Tells the engine the current plain-HTTP load is over (once). */
    private endPlayerLoad(): void {
      const end = this.playerLoadEnd;
      this.playerLoadEnd = null;
      end?.();
    }

    /** Stops whatever is in flight without callbacks; true if something was. */
    private cancel(): boolean {
      this.clearP2PTimers();
      this.clearSlowTimer();
      this.hedging?.abort();
      this.hedging = null;
      let active = false;
      if (this.p2p) {
        this.p2p.abort();
        this.p2p = null;
        deps.timeline?.record("frag-abort", typeof this.context?.frag.sn === "number" ? this.context.frag.sn : null, { stage: "p2p" });
        active = true;
      }
      if (this.http && !this.done) {
        const http = this.http;
        this.http = null; // its callbacks go quiet (see loadHttp)
        http.abort();
        http.destroy();
        this.endPlayerLoad();
        deps.timeline?.record("frag-abort", typeof this.context?.frag.sn === "number" ? this.context.frag.sn : null, { stage: "http" });
        active = true;
      }
      return active && !this.done;
    }
  };
}

/** Ids of the loader's plain-HTTP transfers in the timeline (unique per page). */
let loaderCount = 0;

function servedBy(httpBytes: number, p2pBytes: number): string {
  if (httpBytes > 0 && p2pBytes > 0) return "mixed";
  return p2pBytes > 0 ? "peer" : "http";
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function isEncrypted(method: string | null | undefined): boolean {
  return typeof method === "string" && method !== "" && method !== "NONE";
}
