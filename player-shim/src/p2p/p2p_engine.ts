/**
 * The P2P engine behind one hls.js instance: joins the swarm of the rendition hls.js is loading
 * (token, signaling, ICE config), keeps the scheduler's playhead in step with the <video>,
 * announces playlist segments to it, and serves the loader's requests. P2P can be turned off and
 * on at runtime; when anything it needs is missing, loads simply go over HTTP. Joining, rejoining
 * and leaving the swarm are in swarm_membership.ts, which this class extends.
 */

import type { SwarmcastOptions } from "../config";
import { schedulerConfigFor } from "../config";
import type { Emitter } from "../events";
import { hasSubtleCrypto } from "../protocol/ed25519";
import { electionUnit } from "../scheduler/election";
import { locateSegment } from "./origin_client";
import type { SegmentBuffer } from "./segment_store";
import type { Timeline } from "../timeline";
import { MAX_HAVE, type Beacon, type Control, type OffReason, type P2PMode } from "../protocol/beacon_schema";
import { LinkStats } from "./link_stats";
import { OperatorLink, viewerKey } from "./operator_link";
import { p2pStatus, type P2PStatus } from "./p2p_status";
import { PlayheadTracker } from "./playhead_tracker";
import { prefetchWindow } from "./prefetch_window";
import { electsFirstCopy, StartupPlan, startupSession, type SlowStartupAnswer } from "./startup_join";
import { SwarmMembership, type EngineNetwork, type PreJoinFragment } from "./swarm_membership";
import { DEFAULT_MEASURED_CAP, MeasuredUploadCap } from "./measured_cap";
import { UplinkFeed } from "./uplink_feed";
import type { Clock, SegmentInfo } from "./swarm_session";

/**
 * Records fetched with a newcomer's join: hls.js starts a live stream three target durations
 * behind the edge (liveSyncDurationCount), so its first fragments are the playlist's last three.
 */
const STARTUP_RECORDS = 3;

/** What the engine needs to know about a fragment (a subset of hls.js's Fragment). */
export interface FragmentRef {
  sn: number;
  url: string;
  start: number;
  duration: number;
  level: number;
}

/** Bytes of a fragment the engine holds (verified pieces from peers or its own origin fetches). */
export interface FragmentProgress {
  loaded: number;
  total: number;
  /** performance.now() (ms) of its first verified piece, null before one. */
  firstByteAt: number | null;
  /** performance.now() (ms) when the engine's earliest origin fetch of it still in flight began; null: none. */
  originSince: number | null;
}

/** Fragments hls.js loaded over HTTP before the swarm was joined, kept for the swarm store. */
const PRE_JOIN_SEGMENTS = 6;

export class P2PEngine extends SwarmMembership {
  protected override enabled: boolean;
  /** Until when a startup load waits for the join in flight (clock ms). */
  private joinWaitUntil = 0;
  /** Where startup fragments come from, and what the origin's answers said (startup_join.ts). */
  protected override readonly startup: StartupPlan;
  /** Sequence numbers that appeared at the live edge of a refreshed playlist (recent ones). */
  private readonly liveEdgeSns = new Set<number>();
  /** Fragment URLs the player is loading over plain HTTP (`load` answered null): never prefetched too. */
  private readonly playerLoads = new Set<string>();
  /** Shadow mode's pending "would have saved" judgements (countShadowSaved), cleared on teardown. */
  private readonly shadowTimers = new Set<ReturnType<typeof setTimeout>>();
  protected override readonly preJoin = new Map<number, PreJoinFragment>();
  protected override readonly playhead: PlayheadTracker;
  protected override destroyed = false;
  /** The page's own wish (options.p2p, setEnabled); the operator can only narrow it. */
  private pageWants: boolean;
  /** The rendition of the player's latest playlist (beacons report it). */
  private lastRendition: string | null = null;
  override readonly links: LinkStats;
  /** The uplink measured while data channels are backlogged (beacons, the small-uplink rule). */
  override readonly uplink: UplinkFeed;
  /** Beacons and the operator's control (docs/operator.md); `beaconSource` fills beacons. */
  override readonly operator: OperatorLink;
  beaconSource: (() => Omit<Beacon, "seq" | "p2p" | "reason" | "rendition" | "conn_attempts" | "conn_successes" | "pairs">) | null = null;

  constructor(
    options: SwarmcastOptions,
    emitter: Emitter,
    clock: Clock = performance,
    /** The viewer's timeline when one is recorded (options.timeline). */
    timeline: Timeline | null = null,
    /** Tests' fake signaling socket and neighbour links (swarm_membership.ts); absent: the real ones. */
    network: EngineNetwork = {},
  ) {
    super(options, emitter, clock, timeline, network);
    this.enabled = this.pageWants = options.p2p;
    this.links = new LinkStats(() => this.clock.now());
    // Sampled by the feed's timer; the scheduler hears a new estimate after the current task
    // (a session may be carrying out actions).
    const uploadCap = new MeasuredUploadCap({ ...DEFAULT_MEASURED_CAP, share: options.uploadShareOfMeasured });
    this.uplink = new UplinkFeed(
      () => this.clock.now() / 1000,
      (rate) => {
        this.timeline?.record("uplink", null, { bps: Math.round(rate * 8), queueS: this.queueExcessS() });
        uploadCap.measured(this.clock.now() / 1000, rate);
        queueMicrotask(() => {
          this.session?.setMeasuredUplink(rate);
          this.operator.refreshUpload(); // the cap follows the measurement
        });
      },
      undefined,
      timeline ? (links) => timeline.record("uplink-wire", null, { links }) : null,
    );
    this.startup = new StartupPlan(() => this.clock.now());
    this.playhead = new PlayheadTracker(() => this.session, schedulerConfigFor(options).startupDeadlineS);
    this.operator = new OperatorLink({
      intervalMs: options.beaconIntervalMs,
      viewerKey: viewerKey(options.viewerKey),
      pageAllows: () => this.pageWants,
      fields: () => this.beaconFields(),
      onMode: (mode, reason, control) => this.operatorMode(mode, reason, control),
      upload: options,
      measuredUploadBps: () => this.uplink.meter.capacityBps(),
      measuredLimits: () => {
        const now = this.clock.now() / 1000;
        return uploadCap.at(now, this.session?.streamBitrateBps ?? null, this.uplink.queueDelay.queueing(now));
      },
      onUpload: (limits) => {
        const rate = limits.rateBytesPerS === null ? null : Math.round(limits.rateBytesPerS);
        this.timeline?.record("upload-limits", null, { rate, slots: limits.slots, queueS: this.queueExcessS() });
        this.session?.setUploadLimits(limits.rateBytesPerS, limits.slots);
      },
    });
    if (this.enabled && !hasSubtleCrypto()) {
      this.enabled = false;
      this.emitter.emit("p2p", { enabled: false, reason: "no crypto.subtle (insecure context): cannot verify peers" });
    } else {
      this.emitter.emit("p2p", { enabled: this.enabled, reason: this.enabled ? "default" : "turned off by options" });
    }
  }

  /** The page's request hook (options.fetch) or the global fetch. */
  override readonly fetchFn = (url: string, init: RequestInit): Promise<Response> => (this.options.fetch ?? fetch)(url, init);

  get p2pEnabled(): boolean {
    return this.enabled;
  }

  get peerCount(): number {
    return this.session?.peerCount ?? 0;
  }

  get schedulerSnapshot(): Record<string, number> | null {
    return this.session?.scheduler.snapshot() ?? null;
  }

  /** P2P as this viewer runs it now, and the plain reason when it is off or not helping. */
  status(): P2PStatus {
    const l = this.links;
    return p2pStatus({
      pageAllows: this.pageWants,
      secureContext: hasSubtleCrypto(),
      banned: this.banned,
      signalingRefused: this.signalingRefused,
      signalingDown: this.signaling !== null && !this.signaling.connected,
      operator: this.operator.decision,
      joined: this.session !== null,
      neighbours: this.signaling?.neighbours.length ?? 0,
      attempts: l.attempts,
      successes: l.successes,
      candidates: l.candidates,
      attemptsSettled: this.clock.now() - l.lastAttemptAt > this.options.peerConnectTimeoutMs,
    });
  }

  /** Peers may serve this viewer's loads (not off, not shadow). */
  protected override get serving(): boolean {
    return this.enabled && (this.operator.decision?.mode ?? "on") === "on";
  }

  /**
   * The access link's queue delay now (seconds over the links' base round trips, 3 decimals; null:
   * too few samples), for the timeline beside each uplink estimate and upload cap: what made a cap
   * engage (queue_delay.ts).
   */
  private queueExcessS(): number | null {
    const excess = this.uplink.queueDelay.excessS(this.clock.now() / 1000);
    return excess === null ? null : Math.round(excess * 1000) / 1000;
  }

  private beaconFields(): Omit<Beacon, "seq"> {
    const status = this.status();
    const zero = { ttff_ms: null, stalls: 0, stall_ms: 0, watch_ms: 0, http_bytes: 0, p2p_bytes: 0, upload_bytes: 0, shadow_saved_bytes: 0, verify_failures: 0, peers: 0, latency_ms: null };
    return {
      ...(this.beaconSource?.() ?? zero),
      rendition: this.lastRendition,
      p2p: status.mode,
      reason: status.reason,
      conn_attempts: this.links.attempts,
      conn_successes: this.links.successes,
      pairs: { ...this.links.pairs },
      have: this.session?.scheduler.completeSeqs().slice(-MAX_HAVE) ?? [],
    };
  }

  /**
   * The operator's decision changed: off leaves the swarm at once (loads go to the origin).
   * Shadow leaves too and rejoins at the next playlist refresh: the old session's prefetches
   * would otherwise keep pulling pieces from peers, and shadow promises no byte over P2P.
   */
  private operatorMode(mode: P2PMode, reason: OffReason | null, control: Control): void {
    this.timeline?.record("control", null, { mode, reason, version: control.version });
    if (mode !== "on" && this.session) {
      this.session.close(); // leave the swarm, keep signaling (beacons, the next control)
      this.session = null;
      this.sessionRendition = null;
      void this.signaling?.leave();
    }
    this.emitter.emit("p2p", { enabled: mode !== "off", reason: reason ?? "operator: on" });
  }

  /** Sends a beacon now (tests, page unload); resolves with it once its ack is in (null: not sent). */
  flushBeacon(): Promise<Beacon | null> {
    return this.operator.send();
  }

  /** Turns P2P on or off at runtime; off closes every peer connection and leaves signaling. */
  setEnabled(on: boolean): void {
    if (on && !hasSubtleCrypto()) return;
    this.pageWants = on;
    if (on === this.enabled) return;
    this.enabled = on;
    if (!on) this.teardown();
    this.backoff.reset();
    this.emitter.emit("p2p", { enabled: on, reason: "set at runtime" });
  }

  // --- media / playhead ------------------------------------------------------------------

  attachMedia(media: HTMLMediaElement): void {
    this.playhead.attach(media);
  }
  detachMedia(): void {
    this.playhead.detach();
  }

  /** Seconds until the playhead reaches media time `start` (not playing: the startup deadline). */
  /** This viewer's measured origin download rate in bytes/s (null: nothing measured yet): download_meter.ts. */
  downloadRate(): number | null {
    return this.downloads.bytesPerS;
  }

  /**
   * The player fetched `bytes` over its own HTTP stack in `ms`, request to last byte (the download
   * meter). The session's scheduler plans its fallbacks with it until a fetch of its own is
   * measured: seeded only at the join, a session that joined before the player's first fragments
   * were in kept the 2 MB/s guess, and on 1-2 Mbit/s downlinks its first takeovers were planned
   * for 0.1 s and took 1.5-3 s (realistic lab, bench/results/realistic-README.md series 10).
   */
  httpTransferred(bytes: number, ms: number): void {
    this.downloads.sample(bytes, ms, this.clock.now());
    const rate = this.downloads.bytesPerS;
    if (rate !== null) this.session?.seedHttpRate(rate, this.downloads.measuredAtMs);
  }

  secondsUntil(start: number): number {
    return this.playhead.secondsUntil(start);
  }

  // --- playlists -------------------------------------------------------------------------

  /** New fragments of a refreshed live playlist: the scheduler starts its HTTP election now. */
  levelUpdated(fragments: FragmentRef[], newSns: ReadonlySet<number>): void {
    for (const sn of newSns) this.liveEdgeSns.add(sn);
    while (this.liveEdgeSns.size > 64) this.liveEdgeSns.delete(this.liveEdgeSns.values().next().value as number);
    const first = fragments[0];
    const where = first ? locateSegment(first.url) : null;
    if (where) this.lastRendition = where.rendition;
    if (!this.enabled || this.destroyed || !first || !where) return;
    const session = this.readySession(where.stream, where.rendition);
    if (!session) {
      // Join as soon as the playlist names the swarm, before hls.js asks for fragments.
      if (!this.playhead.started) this.startupRecordUrls = fragments.slice(-STARTUP_RECORDS).map((f) => f.url);
      void this.sessionFor(where.stream, where.rendition, first.url);
      return;
    }
    const last = fragments[fragments.length - 1];
    if (last) session.setLiveEdge(last.sn);
    if (!this.playhead.anchored || !this.serving || this.startsOverHttp()) return;
    const position = this.playhead.position();
    const view = { position, bufferedEnd: this.playhead.bufferedEnd(), horizon: position + session.scheduler.config.prefetchHorizonS, playerLoads: this.playerLoads };
    for (const frag of prefetchWindow(fragments, view)) {
      void session.addSegment(this.segmentInfo(frag, electsFirstCopy(newSns.has(frag.sn), this.playhead.started)));
    }
  }

  isLiveEdge(sn: number): boolean {
    return this.liveEdgeSns.has(sn);
  }

  protected override segmentInfo(frag: FragmentRef, liveEdge: boolean): SegmentInfo {
    return { seq: frag.sn, url: frag.url, start: frag.start, duration: frag.duration, liveEdge };
  }

  // --- loading ---------------------------------------------------------------------------

  /**
   * Gets a media fragment through the swarm. Resolves null when P2P cannot serve it (off, no
   * swarm, no record): the loader then uses plain HTTP. Rejects only on abort.
   */
  async load(frag: FragmentRef, liveEdge: boolean, signal: AbortSignal): Promise<SegmentBuffer | null> {
    if (!this.enabled || this.destroyed) return null;
    const loc = locateSegment(frag.url);
    if (!loc) return null;
    this.wantRendition(loc.rendition);
    this.playhead.fragmentWanted(frag.start, frag.duration);
    this.playerLoads.delete(frag.url);
    let session = this.readySession(loc.stream, loc.rendition);
    if (!session) {
      const joining = this.sessionFor(loc.stream, loc.rendition, frag.url);
      // Startup: wait (bounded) to start from the swarm (startup_join.ts); later, playback never
      // waits for signaling and this one goes over HTTP while we join.
      const waitMs = this.playhead.started || !this.serving ? 0 : this.options.startupJoinWaitMs;
      this.joinWaitUntil = this.clock.now() + waitMs;
      session = await startupSession(joining, waitMs, signal, this.playhead.whenStarted());
      if (!session && waitMs > 0 && this.playhead.started && this.joining) {
        // The first frame ended the wait (startupSession): this fragment goes over HTTP now.
        this.joinWaitUntil = Math.min(this.joinWaitUntil, this.clock.now());
        this.timeline?.record("join-wait-end", frag.sn, { reason: "first-frame" });
      }
    }
    if (!session || !this.serving || this.startsOverHttp()) {
      this.playerLoadsOverHttp(frag.url);
      return null;
    }
    const buffer = await session.addSegment(this.segmentInfo(frag, electsFirstCopy(liveEdge, this.playhead.started)), true);
    if (!buffer || signal.aborted) return null;
    return session.waitForSegment(frag.sn, signal);
  }

  /** Before the first frame, on a fast origin with no crowd arriving: hls.js loads over plain HTTP. */
  private startsOverHttp(): boolean {
    return !this.playhead.started && !this.startup.fromSwarm;
  }

  /**
   * A fragment wanted before the first frame while the swarm is not joined yet: the loader starts
   * plain HTTP at once and asks `takesOverStartup` (startup_join.ts: a fast origin's first frame
   * must not wait for signaling).
   */
  hedgesStartup(frag: FragmentRef): boolean {
    if (!this.enabled || this.destroyed || this.playhead.started || !this.serving || !this.startup.hedges()) return false;
    const loc = locateSegment(frag.url);
    return loc !== null && this.readySession(loc.stream, loc.rendition) === null;
  }

  /**
   * Waits (bounded) for the join a hedged startup fragment started: true when the fragment should
   * come from the swarm after all (a crowd is arriving, the origin is slow). Never rejects.
   */
  async takesOverStartup(frag: FragmentRef, signal: AbortSignal): Promise<boolean> {
    const loc = locateSegment(frag.url);
    if (!loc || !this.enabled || this.destroyed) return false;
    this.playhead.fragmentWanted(frag.start, frag.duration);
    const joining = this.sessionFor(loc.stream, loc.rendition, frag.url);
    const session = await startupSession(joining, this.options.startupJoinWaitMs, signal, this.playhead.whenStarted()).catch(() => null);
    return session !== null && !signal.aborted && this.serving && !this.startsOverHttp();
  }

  /**
   * A fragment wanted before the first frame has been arriving over plain HTTP for `elapsedMs`
   * because the join judged the origin fast (or was not done). On a congested origin that copy can
   * take 10 s while neighbours already hold the segment (lab, 3x all at once: a newcomer's first
   * fragment over HTTP took 10.1 s, then came from three holders in 0.1 s; bench/results/
   * flash-crowd/session17/README.md). Once it is slow (SLOW_MEDIA_SHARE of its duration) and a
   * neighbour holds the whole segment: "take" (startup switches to the swarm, the loader drops
   * the HTTP copy). "never" once playing.
   */
  slowStartupFragment(frag: FragmentRef, elapsedMs: number): SlowStartupAnswer {
    if (!this.enabled || this.destroyed || this.playhead.started || !this.serving) return "never";
    if (!StartupPlan.slow(frag.duration, elapsedMs)) return "wait";
    const loc = locateSegment(frag.url);
    if (!loc || !this.session || loc.rendition !== this.sessionRendition) return "wait"; // not joined yet
    if (this.session.scheduler.holderCount(frag.sn) === 0) return "wait";
    // Also when the join chose the swarm after the hedge stopped waiting for it (startupJoinWaitMs):
    // the loader takes a load over once, so a swarm that fails it sends it back to HTTP only once.
    if (this.startup.httpFragment(frag.duration, elapsedMs)) {
      this.timeline?.record("startup-switch", frag.sn, { startup: "swarm", startupWhy: "media-slow", elapsedMs: Math.round(elapsedMs), inFlight: true });
    }
    return "take";
  }

  /** `load` answered null: the player loads `url` over plain HTTP, so prefetching leaves it out (prefetch_window.ts). */
  private playerLoadsOverHttp(url: string): void {
    this.playerLoads.add(url);
    while (this.playerLoads.size > 64) this.playerLoads.delete(this.playerLoads.values().next().value as string);
  }

  /** The loader's safety net sent this fragment to plain HTTP: no second origin copy of it (swarm_session.ts). */
  playerFetches(frag: FragmentRef): void {
    if (locateSegment(frag.url)?.rendition === this.sessionRendition) this.session?.playerFetches(frag.sn);
  }

  /** Bytes of the fragment the session holds so far: hls.js's abandon rule reads them as load progress (hls_loader.ts). */
  fragmentProgress(frag: FragmentRef): FragmentProgress | null {
    const loc = locateSegment(frag.url);
    if (!this.session || !loc || loc.rendition !== this.sessionRendition) return null;
    const buffer = this.session.store.get(frag.sn);
    if (!buffer) return null;
    return { loaded: buffer.httpBytes + buffer.p2pBytes, total: buffer.size, firstByteAt: buffer.firstByteAt, originSince: this.session.originFetchSince(frag.sn) };
  }

  /** The swarm is still bringing this fragment in (origin fetch in flight or recent pieces). */
  deliveryUnderway(frag: FragmentRef, windowMs: number): boolean {
    if (this.joining && this.clock.now() < this.joinWaitUntil) return true; // load() waits for it
    const loc = locateSegment(frag.url);
    if (!this.enabled || !this.session || !loc || loc.rendition !== this.sessionRendition) return false;
    return this.session.deliveryUnderway(frag.sn, windowMs);
  }

  /**
   * Shadow mode's "would have saved": bytes fetched from the origin that the swarm would have
   * brought. Judged one election tier spacing after the fetch: with blocking playlist reload
   * (docs/protocol.md §1) every member learns of a segment at its publication and fetches it at
   * the same moment, so a neighbour's copy is seldom announced before ours is in. Of the members
   * holding it then, the one the live election ranks first (the lowest election hash) would have
   * fetched it in P2P mode; the others count it.
   */
  private countShadowSaved(sn: number, bytes: number): void {
    const session = this.session;
    if (!session) return;
    const scheduler = session.scheduler;
    const timer = setTimeout(() => {
      this.shadowTimers.delete(timer);
      if (this.session !== session) return;
      const mine = electionUnit(scheduler.localPeerId, sn);
      if (scheduler.holdersOf(sn).some((id) => electionUnit(id, sn) < mine)) {
        this.emitter.emit("shadow-saved", { bytes, seq: sn });
      }
    }, scheduler.config.liveTierSpacingS * 1000);
    this.shadowTimers.add(timer);
  }

  protected override teardown(): void {
    for (const timer of this.shadowTimers) clearTimeout(timer);
    this.shadowTimers.clear();
    super.teardown();
  }

  /**
   * Bytes the loader fetched over plain HTTP: if they verify, peers can have them. `transferMs`:
   * how long the transfer took; a slow one before the first frame moves startup to the swarm.
   */
  offerHttp(frag: FragmentRef, data: Uint8Array, transferMs?: number): void {
    if (transferMs !== undefined) this.httpTransferred(data.length, transferMs);
    this.playerLoads.delete(frag.url);
    const loc = locateSegment(frag.url);
    if (!this.enabled || !loc) return;
    if (!this.playhead.started && transferMs !== undefined && this.startup.httpFragment(frag.duration, transferMs)) {
      this.timeline?.record("startup-switch", frag.sn, { startup: "swarm", startupWhy: "media-slow", transferMs: Math.round(transferMs) });
    }
    if (this.session && loc.rendition === this.sessionRendition) {
      if (this.operator.decision?.mode === "shadow") this.countShadowSaved(frag.sn, data.length);
      void this.session.offerHttpSegment(this.segmentInfo(frag, false), data);
      return;
    }
    // Loaded before the swarm was joined (startup): handed to the swarm store once joined, so
    // the segments hls.js already has are neither fetched again nor missing for neighbours.
    this.preJoin.set(frag.sn, { frag, data, rendition: loc.rendition });
    while (this.preJoin.size > PRE_JOIN_SEGMENTS) this.preJoin.delete(Math.min(...this.preJoin.keys()));
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.uplink.stop();
    this.detachMedia();
    this.teardown();
  }
}
