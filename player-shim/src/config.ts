/**
 * The shim's options, every default in one place. Pages pass a partial object to
 * `swarmcast.hlsConfig()` / `attachSwarm()`; the scheduler's own tuning lives in
 * scheduler/scheduler_config.ts and can be overridden through `scheduler`.
 */

import { DEFAULT_CHANNEL_WINDOW } from "./p2p/channel_window";
import { schedulerConfig, type SchedulerConfig } from "./scheduler/scheduler_config";

export interface SwarmcastOptions {
  /** Use peers at all. The demo page maps `?p2p=0` to false. Default true. */
  p2p: boolean;
  /** Origin for `/api/token` and `/api/config` ("" = this page's origin). */
  apiBase: string;
  /**
   * Viewer tokens from the page (e.g. minted by the operator's backend for a logged-in user,
   * docs/protocol.md §3); called for every signaling (re)connection. Default null: the token
   * URL `/api/config` names (the origin's `/api/token` unless the operator set another).
   */
  getToken: ((stream: string) => Promise<string>) | null;
  /** After a ban (reports by neighbours), play from the origin this long, then retry P2P. */
  bannedRetryMs: number;
  /**
   * A pinned stream key (`signing-key.json` content). Default null: fetched from the origin that
   * serves the playlists, which is then the trust anchor.
   */
  signingKey: { public_key: string; key_id: string } | null;
  /** ICE servers; null = what signaling (join ack) or `/api/config` says. */
  iceServers: RTCIceServer[] | null;
  /**
   * Upload cap in bytes/s; null = none set: the cap is then `uploadShareOfMeasured` of the
   * upload capacity measured while the data channels are backlogged (p2p/measured_cap.ts), and
   * only the channels' own backpressure before anything is measured.
   */
  uploadCapBytesPerS: number | null;
  /**
   * With no `uploadCapBytesPerS` and an uplink measured below the stream's bitrate: the share of
   * the measured uplink this viewer uploads at most, its slots following (0: measurements cap
   * nothing). Below 1 so a viewer's own origin fetches and ACKs do not queue behind its upload.
   */
  uploadShareOfMeasured: number;
  /**
   * What we tell signaling we can upload (bits/s; the cap's rate instead when that is lower).
   * Default 0: not set, so signaling hears the upload capacity measured while the data channels
   * are backlogged (p2p/uplink_meter.ts): in beacons once there is one, at a join 20 Mbit/s
   * before it (`UNMEASURED_BUDGET_BPS`). Not a cap: `uploadCapBytesPerS` limits the upload.
   */
  uploadBudgetBps: number;
  /** Peers we serve at a time. */
  uploadSlots: number;
  /** Complete segments kept per swarm for neighbours (and for hls.js retries). */
  maxStoredSegments: number;
  /** Piece size we announce in HELLO (records decide the real one). */
  pieceSize: number;
  /** Largest REQUEST we accept, announced in HELLO. */
  maxPiecesPerRequest: number;
  /**
   * A data channel holds about `channelBufferS` of its link's measured pace ahead of the wire,
   * between these two marks (bytes); the rest waits in the link's queue, where a CANCEL drops it
   * (p2p/channel_window.ts).
   */
  channelMinHighWaterMark: number;
  channelHighWaterMark: number;
  channelBufferS: number;
  /** A neighbour whose channel is not open after this long is given up (reported unreachable). */
  peerConnectTimeoutMs: number;
  /** Ack timeout of signaling requests. */
  signalingTimeoutMs: number;
  /**
   * Safety net: if the engine has not delivered a segment this long after its playback deadline
   * (or `maxLoadTimeMs` when no deadline), the loader gets it over plain HTTP itself.
   */
  deadlineGraceMs: number;
  /**
   * Before the first frame, a fragment asked for while the swarm join is still running waits this
   * long for it; if signaling names neighbours, the fragment comes through the swarm (its
   * scheduler waits for them and relays one member's origin copy), else over plain HTTP. 0: never
   * wait (every newcomer's first fragments from the origin, as before).
   */
  startupJoinWaitMs: number;
  /**
   * With P2P on, win back the live latency a slipping media clock loses (a CPU-starved renderer
   * plays slower than real time): latency_hold.ts. Off when hls.js's own catch-up is configured
   * (`maxLiveSyncPlaybackRate` > 1) or the page sets another playbackRate.
   */
  latencyHold: boolean;
  /** Scheduler overrides (camelCase or snake_case names of SchedulerConfig). */
  scheduler: Partial<SchedulerConfig> | Record<string, unknown>;
  /**
   * The engine's own origin requests (integrity records, signing key, Range fetches of missing
   * pieces, `/api/token`, `/api/config`) go through this; null = the global `fetch`. Token- or
   * cookie-authenticated CDNs: `fetch: (url, init) => fetch(url, {...init, credentials:
   * "include", headers: {...init.headers, Authorization: "Bearer ..."}})`. (hls.js's own
   * playlist and fragment loads keep using its `xhrSetup`/`fetchSetup`.)
   */
  fetch: ((url: string, init: RequestInit) => Promise<Response>) | null;
  /** Log engine decisions to the console. */
  debug: boolean;
  /** Beacons to the operator (docs/operator.md): one every this many ms, plus at page hide. */
  beaconIntervalMs: number;
  /**
   * How often the swarm's member count is read from signaling's `/api/swarm-size` (also once at
   * the join); the live election sizes its tiers with it. 0 = never (neighbours + 1 stands in).
   */
  swarmSizePollMs: number;
  /** This viewer's stable key for the operator's ramp-up; null: a random one kept in localStorage. */
  viewerKey: string | null;
  /**
   * Record a timeline of what the engine saw and decided (`swarm.timeline()`, src/timeline.ts):
   * for lab runs and debugging. The demo page maps `?timeline=1` to true. Default false.
   */
  timeline: boolean;
  /** Timeline events kept (a ring: the oldest are overwritten). */
  timelineCapacity: number;
  /**
   * dash.js only: its live delay in segments, unless the page set its own
   * (`streaming.delay.liveDelay` or `liveDelayFragmentCount`); null leaves dash.js on the MPD's
   * suggestedPresentationDelay. dash.js counts it from the capture clock; hls.js plays 3 target
   * durations behind the end of the newest listed segment, about 4 segments behind that clock,
   * and one swarm works best when all its players want the same segments at the same time
   * (docs/segmenter.md, "Live delay").
   */
  dashLiveDelaySegments: number | null;
}

export const DEFAULT_OPTIONS: Readonly<SwarmcastOptions> = Object.freeze({
  p2p: true,
  apiBase: "",
  getToken: null,
  // Signaling's ban time (signaling/config.py ban_s).
  bannedRetryMs: 600_000,
  signingKey: null,
  iceServers: null,
  uploadCapBytesPerS: null,
  uploadShareOfMeasured: 0.7,
  uploadBudgetBps: 0,
  uploadSlots: 8,
  maxStoredSegments: 30,
  pieceSize: 16384,
  maxPiecesPerRequest: 16,
  channelMinHighWaterMark: DEFAULT_CHANNEL_WINDOW.minBytes,
  channelHighWaterMark: DEFAULT_CHANNEL_WINDOW.maxBytes,
  channelBufferS: DEFAULT_CHANNEL_WINDOW.bufferS,
  peerConnectTimeoutMs: 10_000,
  signalingTimeoutMs: 5_000,
  deadlineGraceMs: 1_500,
  // A join takes 0.2-1.9 s in the flash-crowd lab (bench/results/flash-timeline-notes.md), up to
  // 3.1 s with 8 browsers starting at once on a loaded machine.
  startupJoinWaitMs: 3_000,
  latencyHold: true,
  // Browsers learn of a new live segment when hls.js refreshes the playlist, once per target
  // duration (2 s here), so swarm members learn of it up to that far apart; the Python peer
  // polls twice as often. Wider election tiers let the elected member's announcement arrive
  // before the next tier fetches too. The deadline fallback still bounds the wait.
  scheduler: { liveTierSpacingS: 1.5 },
  fetch: null,
  debug: false,
  beaconIntervalMs: 10_000,
  swarmSizePollMs: 10_000,
  viewerKey: null,
  timeline: false,
  timelineCapacity: 5000,
  dashLiveDelaySegments: 4,
});

export function resolveOptions(partial: Partial<SwarmcastOptions> = {}): SwarmcastOptions {
  const options: SwarmcastOptions = { ...DEFAULT_OPTIONS, ...partial };
  return options;
}

/** The scheduler config implied by the options (upload slots and cap live in both places). */
export function schedulerConfigFor(options: SwarmcastOptions): SchedulerConfig {
  return schedulerConfig({
    uploadSlots: options.uploadSlots,
    uploadRateBytesPerS: options.uploadCapBytesPerS,
    maxInflightPiecesPerPeer: options.maxPiecesPerRequest,
    ...options.scheduler,
  });
}
