/**
 * One hls.js instance with swarmcast attached: the engine, the fragment loader class, the hls.js
 * event wiring (media, playlists, teardown), the playback monitor and the stats it all feeds.
 */

import Hls, { Events, type HlsConfig, type LevelUpdatedData, type MediaAttachedData } from "hls.js";
import { resolveOptions, type SwarmcastOptions } from "./config";
import { Emitter, type Listener, type ShimEventName } from "./events";
import { swarmFragmentLoader } from "./hls/hls_loader";
import { locateSegment } from "./p2p/origin_client";
import { P2PEngine, type FragmentRef } from "./p2p/p2p_engine";
import { PlaybackMonitor } from "./playback_monitor";
import type { Beacon } from "./protocol/beacon_schema";
import { trackStats, type ShimStats } from "./stats";
import { Timeline, type TimelineDump } from "./timeline";
import { watchHls, watchMedia } from "./timeline_player";

export class Swarm {
  readonly options: SwarmcastOptions;
  readonly emitter = new Emitter();
  readonly engine: P2PEngine;
  readonly fLoader: new (config: HlsConfig) => unknown;
  private readonly tracked: { stats: ShimStats; stop: () => void };
  private readonly monitor: PlaybackMonitor;
  private hls: Hls | null = null;
  /** Highest sequence number seen per level, to tell live-edge arrivals from the backlog. */
  private readonly lastSn = new Map<number, number>();
  private readonly offs: (() => void)[] = [];
  /** The recorded timeline (options.timeline), else null. */
  readonly timelineRecorder: Timeline | null;
  private unwatchMedia: (() => void) | null = null;

  constructor(options: Partial<SwarmcastOptions> = {}) {
    const startedAt = performance.now();
    this.options = resolveOptions(options);
    this.tracked = trackStats(this.emitter);
    this.monitor = new PlaybackMonitor(this.emitter, startedAt);
    this.timelineRecorder = this.options.timeline ? new Timeline(this.options.timelineCapacity) : null;
    this.engine = new P2PEngine(this.options, this.emitter, performance, this.timelineRecorder);
    this.engine.beaconSource = () => beaconCounters(this.stats(), performance.now() - startedAt);
    this.fLoader = swarmFragmentLoader({
      engine: this.engine,
      emitter: this.emitter,
      swarmOf: (url) => {
        const loc = locateSegment(url);
        return loc ? `${loc.stream}/${loc.rendition}` : "";
      },
      deadlineGraceMs: this.options.deadlineGraceMs,
      now: () => performance.now(),
      timeline: this.timelineRecorder,
    });
  }

  /** Wires an hls.js instance: its fragment loads, media element and playlist refreshes. */
  bind(hls: Hls): void {
    if (this.hls === hls) return;
    this.hls = hls;
    // The per-instance handle: `hls.swarm.stats()`, several players on one page (swarmOf(hls)).
    (hls as Hls & { swarm?: Swarm }).swarm = this;
    (hls.config as { fLoader?: unknown }).fLoader = this.fLoader;
    const on = <E extends keyof import("hls.js").HlsListeners>(event: E, fn: import("hls.js").HlsListeners[E]): void => {
      hls.on(event, fn);
      this.offs.push(() => hls.off(event, fn));
    };
    on(Events.MEDIA_ATTACHED, (_e, data: MediaAttachedData) => this.attachMedia(data.media));
    on(Events.MEDIA_DETACHING, () => {
      this.engine.detachMedia();
      this.monitor.detach();
      this.unwatchMedia?.();
      this.unwatchMedia = null;
    });
    on(Events.LEVEL_UPDATED, (_e, data: LevelUpdatedData) => this.levelUpdated(data));
    on(Events.DESTROYING, () => this.destroy());
    if (this.timelineRecorder) this.offs.push(watchHls(this.timelineRecorder, hls));
    if (hls.media) this.attachMedia(hls.media);
  }

  private attachMedia(media: HTMLMediaElement): void {
    this.engine.attachMedia(media);
    this.monitor.attach(media);
    this.unwatchMedia?.();
    this.unwatchMedia = this.timelineRecorder ? watchMedia(this.timelineRecorder, media, this.emitter, bufferAhead) : null;
  }

  /** The timeline so far (null unless options.timeline): JSON-ready, oldest event first. */
  timeline(): TimelineDump | null {
    return this.timelineRecorder?.dump() ?? null;
  }

  private levelUpdated(data: LevelUpdatedData): void {
    const fragments = data.details.fragments;
    const previous = this.lastSn.get(data.level);
    const newSns = new Set<number>();
    let max = previous ?? -1;
    const refs: FragmentRef[] = [];
    for (const f of fragments) {
      if (typeof f.sn !== "number") continue;
      // Only a refresh (not the first load) can reveal a segment at the live edge.
      if (data.details.live && previous !== undefined && f.sn > previous) newSns.add(f.sn);
      max = Math.max(max, f.sn);
      refs.push({ sn: f.sn, url: f.url, start: f.start, duration: f.duration, level: data.level });
    }
    this.lastSn.set(data.level, max);
    this.engine.levelUpdated(refs, newSns);
  }

  /** Counters plus the current buffer and live latency. */
  stats(): ShimStats {
    const s = this.tracked.stats;
    const media = this.hls?.media ?? null;
    s.bufferAheadS = media ? bufferAhead(media) : 0;
    const latency = this.hls?.latency;
    s.latencyS = typeof latency === "number" && Number.isFinite(latency) && latency > 0 ? latency : null;
    s.peers = this.engine.peerCount;
    s.p2pEnabled = this.engine.p2pEnabled;
    const status = this.engine.status();
    s.p2pMode = status.mode;
    s.p2pReason = status.reason;
    s.p2pReasonText = status.text;
    s.connAttempts = this.engine.links.attempts;
    s.connSuccesses = this.engine.links.successes;
    return { ...s };
  }

  /** Scheduler counters of the current swarm (null when not joined). */
  schedulerStats(): Record<string, number> | null {
    return this.engine.schedulerSnapshot;
  }

  on<K extends ShimEventName>(name: K, listener: Listener<K>): () => void {
    return this.emitter.on(name, listener);
  }

  setP2P(on: boolean): void {
    this.engine.setEnabled(on);
  }

  /** Sends a beacon to the operator now; resolves with it once its ack is in (null: not sent). */
  flushBeacon(): Promise<Beacon | null> {
    return this.engine.flushBeacon();
  }

  destroy(): void {
    for (const off of this.offs.splice(0)) off();
    this.monitor.detach();
    this.unwatchMedia?.();
    this.unwatchMedia = null;
    this.engine.destroy();
    this.tracked.stop();
    const hls = this.hls as (Hls & { swarm?: Swarm }) | null;
    if (hls?.swarm === this) delete hls.swarm;
    this.hls = null;
  }
}

export function bufferAhead(media: HTMLMediaElement): number {
  const t = media.currentTime;
  const ranges = media.buffered;
  for (let i = 0; i < ranges.length; i++) {
    if (ranges.start(i) <= t + 0.1 && t <= ranges.end(i)) return ranges.end(i) - t;
  }
  return 0;
}

/**
 * hls.js builds its controllers from classes in its config and passes itself to their
 * constructors. Subclassing the ABR controller is the one hook that reaches the hls.js instance
 * from `new Hls(config)`, so `hlsConfig()` needs no second call. It changes no ABR behaviour.
 */
export function abrControllerBinding(swarm: Swarm, base: HlsConfig["abrController"]): HlsConfig["abrController"] {
  const Base = base as unknown as new (hls: Hls) => object;
  class SwarmBindingAbrController extends Base {
    constructor(hls: Hls) {
      super(hls);
      swarm.bind(hls);
    }
  }
  return SwarmBindingAbrController as unknown as HlsConfig["abrController"];
}

/** The counters of a beacon (docs/protocol.md §4.7) from the stats; `sinceStartMs`: page age. */
export function beaconCounters(s: ShimStats, sinceStartMs: number): NonNullable<ReturnType<NonNullable<P2PEngine["beaconSource"]>>> {
  const round = (x: number): number => Math.max(0, Math.round(x));
  return {
    ttff_ms: s.firstFrameMs === null ? null : round(s.firstFrameMs),
    stalls: s.stalls,
    stall_ms: round(s.stallMs),
    watch_ms: s.firstFrameMs === null ? 0 : round(sinceStartMs - s.firstFrameMs),
    http_bytes: s.httpBytes,
    p2p_bytes: s.p2pBytes,
    upload_bytes: s.uploadedBytes,
    shadow_saved_bytes: s.shadowSavedBytes,
    verify_failures: s.verificationFailures,
    peers: Math.min(s.peers, 1024),
    latency_ms: s.latencyS === null ? null : round(s.latencyS * 1000),
  };
}
