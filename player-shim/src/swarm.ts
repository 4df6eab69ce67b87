/**
 * One hls.js instance with swarmcast attached: the fragment loader class and the hls.js event
 * wiring (media, playlists, teardown) on top of what every player's swarm shares (`SwarmBase`).
 */

import Hls, { Events, type HlsConfig, type LevelSwitchingData, type LevelUpdatedData, type MediaAttachedData } from "hls.js";
import type { SwarmcastOptions } from "./config";
import { swarmFragmentLoader } from "./hls/hls_loader";
import { locateSegment } from "./p2p/origin_client";
import type { FragmentRef } from "./p2p/p2p_engine";
import { bufferAhead } from "./playback_monitor";
import { holdLatency } from "./latency_hold";
import { SwarmBase } from "./swarm_base";
import { watchHls, watchMedia } from "./timeline_player";

export { bufferAhead } from "./playback_monitor";
export { beaconCounters } from "./swarm_base";

export class Swarm extends SwarmBase {
  readonly fLoader: new (config: HlsConfig) => unknown;
  private hls: Hls | null = null;
  /** Highest sequence number seen per level, to tell live-edge arrivals from the backlog. */
  private readonly lastSn = new Map<number, number>();
  private readonly offs: (() => void)[] = [];
  private unwatchMedia: (() => void) | null = null;
  private unholdLatency: (() => void) | null = null;
  /** The playlist hls.js plays is live (the latency hold only matters there). */
  private live = false;

  constructor(options: Partial<SwarmcastOptions> = {}) {
    super(options);
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
      this.unholdLatency?.();
      this.unholdLatency = null;
      this.engine.detachMedia();
      this.monitor.detach();
      this.unwatchMedia?.();
      this.unwatchMedia = null;
    });
    on(Events.LEVEL_UPDATED, (_e, data: LevelUpdatedData) => this.levelUpdated(data));
    on(Events.LEVEL_SWITCHING, (_e, data: LevelSwitchingData) => this.engine.playerSwitching(data.uri));
    on(Events.DESTROYING, () => this.destroy());
    if (this.timelineRecorder) this.offs.push(watchHls(this.timelineRecorder, hls));
    if (hls.media) this.attachMedia(hls.media);
  }

  private attachMedia(media: HTMLMediaElement): void {
    this.engine.attachMedia(media);
    this.monitor.attach(media);
    this.unwatchMedia?.();
    this.unwatchMedia = this.timelineRecorder ? watchMedia(this.timelineRecorder, media, this.emitter, bufferAhead) : null;
    this.unholdLatency?.();
    this.unholdLatency = this.options.latencyHold ? holdLatency(media, () => this.holdsLatency(), bufferAhead) : null;
  }

  /** P2P on, a live stream, and hls.js not running its own catch-up (latency_hold.ts). */
  private holdsLatency(): boolean {
    return this.engine.p2pEnabled && this.live && (this.hls?.config.maxLiveSyncPlaybackRate ?? 1) <= 1;
  }

  private levelUpdated(data: LevelUpdatedData): void {
    this.live = data.details.live;
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

  protected mediaElement(): HTMLMediaElement | null {
    return this.hls?.media ?? null;
  }

  protected liveLatencyS(): number | null {
    const latency = this.hls?.latency;
    return typeof latency === "number" ? latency : null;
  }

  override destroy(): void {
    for (const off of this.offs.splice(0)) off();
    this.unholdLatency?.();
    this.unholdLatency = null;
    this.unwatchMedia?.();
    this.unwatchMedia = null;
    super.destroy();
    const hls = this.hls as (Hls & { swarm?: Swarm }) | null;
    if (hls?.swarm === this) delete hls.swarm;
    this.hls = null;
  }
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
