/**
 * What every player's swarm shares (hls.js `Swarm`, Shaka/dash.js `MediaSwarm`): the options,
 * the P2P engine, the event emitter, the playback monitor, the stats they feed and the operator
 * beacons made from those stats. Subclasses
 * only say where the media element and the live latency come from, and wire their player.
 */

import { resolveOptions, type SwarmcastOptions } from "./config";
import { Emitter, type Listener, type ShimEventName } from "./events";
import { P2PEngine } from "./p2p/p2p_engine";
import { bufferAhead, PlaybackMonitor } from "./playback_monitor";
import type { Beacon } from "./protocol/beacon_schema";
import { trackStats, type ShimStats } from "./stats";
import { Timeline, type TimelineDump } from "./timeline";

export abstract class SwarmBase {
  readonly options: SwarmcastOptions;
  readonly emitter = new Emitter();
  readonly engine: P2PEngine;
  /** The recorded timeline (options.timeline), else null. */
  readonly timelineRecorder: Timeline | null;
  protected readonly monitor: PlaybackMonitor;
  private readonly tracked: { stats: ShimStats; stop: () => void };

  constructor(options: Partial<SwarmcastOptions> = {}) {
    const startedAt = performance.now();
    this.options = resolveOptions(options);
    this.tracked = trackStats(this.emitter);
    this.monitor = new PlaybackMonitor(this.emitter, startedAt);
    this.timelineRecorder = this.options.timeline ? new Timeline(this.options.timelineCapacity) : null;
    this.engine = new P2PEngine(this.options, this.emitter, performance, this.timelineRecorder);
    // Every player's beacons carry its own counters (the operator's dashboard and /metrics).
    this.engine.beaconSource = () => beaconCounters(this.stats(), performance.now() - startedAt);
  }

  /** The timeline so far (null unless options.timeline): JSON-ready, oldest event first. */
  timeline(): TimelineDump | null {
    return this.timelineRecorder?.dump() ?? null;
  }

  /** The <video> the player plays into, once known. */
  protected abstract mediaElement(): HTMLMediaElement | null;

  /** Seconds behind live as the player reports it (null: unknown or not live). */
  protected abstract liveLatencyS(): number | null;

  /** Counters plus the current buffer and live latency. */
  stats(): ShimStats {
    const s = this.tracked.stats;
    const media = this.mediaElement();
    s.bufferAheadS = media ? bufferAhead(media) : 0;
    const latency = this.liveLatencyS();
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

  /** Turns P2P on or off at runtime (off closes every peer connection and leaves signaling). */
  setP2P(on: boolean): void {
    this.engine.setEnabled(on);
  }

  /** Sends a beacon to the operator now; resolves with it once its ack is in (null: not sent). */
  flushBeacon(): Promise<Beacon | null> {
    return this.engine.flushBeacon();
  }

  /** Stops the monitor, the engine and the stats; subclasses unhook their player first. */
  destroy(): void {
    this.monitor.detach();
    this.engine.destroy();
    this.tracked.stop();
  }
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
