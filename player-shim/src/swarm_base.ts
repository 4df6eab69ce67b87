/**
 * What every player's swarm shares (hls.js `Swarm`, Shaka/dash.js `MediaSwarm`): the options,
 * the P2P engine, the event emitter, the playback monitor and the stats they feed. Subclasses
 * only say where the media element and the live latency come from, and wire their player.
 */

import { resolveOptions, type SwarmcastOptions } from "./config";
import { Emitter, type Listener, type ShimEventName } from "./events";
import { P2PEngine } from "./p2p/p2p_engine";
import { bufferAhead, PlaybackMonitor } from "./playback_monitor";
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

  /** Stops the monitor, the engine and the stats; subclasses unhook their player first. */
  destroy(): void {
    this.monitor.detach();
    this.engine.destroy();
    this.tracked.stop();
  }
}
