/**
 * The engine's membership of a swarm, split out of p2p_engine.ts (which keeps what the loader,
 * the playlists and the page ask of the engine): the join and its set-up (the API config and the
 * signing key, fetched once; the signaling connection, built in engine_signaling.ts; signaling's
 * join; the SwarmSession it opens, with its swarm size poll), one join at a time under a backoff,
 * the rejoin after a reconnect, the pause after a ban, and leaving. As peer/swarm_membership.py
 * is to peer/peer_node.py: `P2PEngine` extends this class, and the members declared abstract
 * below are the engine's.
 */

import type { SwarmcastOptions } from "../config";
import { schedulerConfigFor } from "../config";
import type { Emitter } from "../events";
import { ed25519Verifier } from "../protocol/ed25519";
import type { SigningKey } from "../protocol/integrity";
import { parseSigningKey } from "../protocol/integrity";
import type { Timeline } from "../timeline";
import { fetchApiConfig, type ApiConfig } from "./api_client";
import { DownloadMeter } from "./download_meter";
import { createSignaling, sessionRtcConfig } from "./engine_signaling";
import { JoinBackoff } from "./join_backoff";
import type { LinkStats } from "./link_stats";
import type { OperatorLink } from "./operator_link";
import { locateSegment, OriginClient, RecordCache, signingKeyUrl } from "./origin_client";
import type { FragmentRef } from "./p2p_engine";
import { ProblemReporter } from "./p2p_problems";
import type { LinkFactory } from "./peer_link";
import type { PlayheadTracker } from "./playhead_tracker";
import { SignalingClient, SignalingError, type SignalingOptions } from "./signaling_client";
import type { StartupPlan } from "./startup_join";
import { SwarmSession, type Clock, type SegmentInfo } from "./swarm_session";
import { SwarmSizePoll } from "./swarm_size_poll";
import type { UplinkFeed } from "./uplink_feed";

/** A fragment hls.js loaded over HTTP before the swarm was joined, kept for the swarm store. */
export interface PreJoinFragment {
  frag: FragmentRef;
  data: Uint8Array;
  rendition: string;
}

/**
 * The network under the engine: tests swap in a fake signaling socket and in-memory neighbour
 * links (test/support/engine_harness.ts); absent: socket.io-client and RTCPeerConnection.
 */
export interface EngineNetwork {
  openSocket?: SignalingOptions["openSocket"];
  createLink?: LinkFactory;
}

export abstract class SwarmMembership {
  protected signaling: SignalingClient | null = null;
  protected session: SwarmSession | null = null;
  protected sessionRendition: string | null = null;
  /**
   * The rendition of the player's latest fragment request. A session of another one is
   * retired (SessionDeps `retired`) while the switch's join runs: on a mobile page its peer
   * requests for the old rendition's next segments filled the link the new one's records and
   * first fragment waited on (realistic lab, bench/results/realistic-README.md series 17).
   */
  protected wantedRendition: string | null = null;
  /**
   * The rendition the player is moving to: announced by its switch (hls.js LEVEL_SWITCHING,
   * `playerSwitching`) before it asks for a fragment there, then each fragment request's.
   * A session of another one is leaving (SessionDeps `leaving`): it fetches only what the player
   * asked it for.
   */
  protected switchingTo: string | null = null;
  protected joining: Promise<SwarmSession | null> | null = null;
  protected readonly backoff: JoinBackoff;
  private stream: string | null = null;
  private key: Promise<SigningKey> | null = null;
  private apiConfig: Promise<ApiConfig> | null = null;
  private readonly records = new RecordCache();
  /**
   * Segments a newcomer is about to start with (the live playlist's last STARTUP_RECORDS, set by
   * the engine before its first join): their records are fetched with the join, not after it.
   */
  protected startupRecordUrls: string[] = [];
  private origin: OriginClient | null = null;
  /** This viewer's origin download rate, across renditions and rejoins (for the player's ABR: download_meter.ts). */
  protected readonly downloads = new DownloadMeter();
  /** Signaling URL + path of the latest attempt; failed joins told to the page (p2p_problems.ts). */
  private signalingUrl = "";
  private readonly problems: ProblemReporter;
  protected banned = false;
  protected signalingRefused: string | null = null; // code of signaling's last refusal

  constructor(
    protected readonly options: SwarmcastOptions,
    protected readonly emitter: Emitter,
    protected readonly clock: Clock,
    /** The viewer's timeline when one is recorded (options.timeline). */
    protected readonly timeline: Timeline | null,
    private readonly network: EngineNetwork = {},
  ) {
    this.backoff = new JoinBackoff(options.bannedRetryMs);
    this.problems = new ProblemReporter(emitter, options.debug);
  }

  /**
   * The player asked for a fragment of `rendition` (`wantedRendition`). Not at its first playlist
   * of a new rendition: hls.js may load that while a fragment of the old one is still coming
   * through the old session, which must then still be able to take it over.
   */
  protected wantRendition(rendition: string): void {
    if (rendition !== this.wantedRendition && this.session && rendition !== this.sessionRendition) {
      this.timeline?.record("rendition-wanted", null, { rendition, retired: this.sessionRendition });
    }
    this.wantedRendition = rendition;
    this.switchingTo = rendition;
  }

  /**
   * The player switches to the rendition of playlist `url` (hls.js LEVEL_SWITCHING): it will load
   * that playlist, then ask for its fragments there. Until then the current session only fetches
   * what the player asked it for (`SwarmSession.playerLeaving`). Until this, the engine went on
   * fetching the old rendition's next segments between the two (p90 1.0-2.6 s on the realistic
   * lab's small links, 1-5 fetches started there a run), and behind the page edge the new
   * playlist and fragment waited for those bytes (a mobile page's: first byte after 1.6 and
   * 2.1 s, then a 2.9-s stall; bench/results/stalls-s55/README.md).
   */
  playerSwitching(url: string): void {
    const loc = locateSegment(url);
    if (!loc || loc.rendition === this.switchingTo) return;
    this.switchingTo = loc.rendition;
    const session = this.session;
    if (!session || this.sessionRendition === loc.rendition) return;
    this.timeline?.record("rendition-leaving", null, { rendition: loc.rendition, leaving: this.sessionRendition });
    session.playerLeaving();
  }

  // The engine's state and helpers that a join reads or changes.
  protected abstract enabled: boolean;
  protected abstract destroyed: boolean;
  protected abstract readonly startup: StartupPlan;
  protected abstract readonly playhead: PlayheadTracker;
  protected abstract readonly preJoin: Map<number, PreJoinFragment>;
  /** The player's own plain-HTTP loads in flight, by url, with their rendition: a session joined while they run hears of them too. */
  private readonly playerHttpLoads = new Map<string, { frag: FragmentRef; rendition: string }>();
  abstract readonly links: LinkStats;
  abstract readonly uplink: UplinkFeed;
  abstract readonly operator: OperatorLink;
  abstract readonly fetchFn: (url: string, init: RequestInit) => Promise<Response>;
  /** Peers may serve this viewer's loads (not off, not shadow). */
  protected abstract get serving(): boolean;
  protected abstract segmentInfo(frag: FragmentRef, liveEdge: boolean): SegmentInfo;

  /**
   * The loader's plain-HTTP load of `frag` began (`inFlight`) or ended: the session of its
   * rendition counts its bytes before later segments' on this viewer's downlink (player_loads.ts),
   * also when it joins while the load runs (a rendition switch's first fragment).
   */
  playerLoad(frag: FragmentRef, inFlight: boolean): void {
    const loc = locateSegment(frag.url);
    if (!loc) return;
    if (inFlight) {
      this.playerHttpLoads.set(frag.url, { frag, rendition: loc.rendition });
      while (this.playerHttpLoads.size > 16) this.playerHttpLoads.delete(this.playerHttpLoads.keys().next().value as string);
    } else if (!this.playerHttpLoads.delete(frag.url)) {
      return;
    }
    if (loc.rendition === this.sessionRendition) this.session?.playerLoad(frag.sn, frag.start, frag.duration, inFlight);
  }

  // --- swarm membership ------------------------------------------------------------------

  protected readySession(stream: string, rendition: string): SwarmSession | null {
    return this.session && this.sessionRendition === rendition && this.stream === stream ? this.session : null;
  }

  protected async sessionFor(stream: string, rendition: string, segmentUrl: string): Promise<SwarmSession | null> {
    // One join at a time: wait out the one in flight, then see whether it was ours.
    while (this.joining) await this.joining;
    const ready = this.readySession(stream, rendition);
    if (ready || !this.enabled || this.destroyed) return ready;
    if (!this.backoff.mayTry(this.clock.now())) return null;
    this.joining = this.join(stream, rendition, segmentUrl).finally(() => {
      this.joining = null;
    });
    return this.joining;
  }

  private async join(stream: string, rendition: string, segmentUrl: string): Promise<SwarmSession | null> {
    try {
      if (this.stream !== null && this.stream !== stream) this.teardown();
      this.stream = stream;
      // The API config and the signing key are fetched at once, the key while signaling connects:
      // on a congested origin each of these small requests waits behind the media in the link's
      // queue, and a newcomer's first fragment waits for this join (startup_join.ts).
      const apiPending = (this.apiConfig ??= this.startup.timed(fetchApiConfig(this.options.apiBase, this.fetchFn)));
      apiPending.catch(() => undefined); // awaited below (a failure is handled there)
      const verifier = await ed25519Verifier();
      this.origin ??= new OriginClient(verifier, (bytes, what) => this.emitter.emit("overhead", { bytes, what }), this.fetchFn, (bytes, ms) => this.downloads.sample(bytes, ms, this.clock.now()));
      this.key ??= this.options.signingKey ? parseSigningKey({ alg: "Ed25519", ...this.options.signingKey }) : this.startup.timed(this.origin.fetchSigningKey(signingKeyUrl(segmentUrl)));
      this.key.catch(() => undefined); // awaited below (a failure is handled there)
      // The startup segments' records too, beside the join: on a congested origin they took
      // 1.7-2.2 s after it, and the swarm cannot serve a segment before its record is in (lab,
      // 3x all at once: bench/results/flash-crowd/session17/README.md).
      for (const url of this.startupRecordUrls.splice(0)) this.records.get(this.origin, url, this.key).catch(() => undefined);
      const api = await apiPending;
      const signaling = await this.ensureSignaling(api, stream);
      const key = await this.key;
      if (this.operator.off) return null; // told by the first beacon's ack
      const limits = this.operator.takeUploadLimits();
      const joined = await signaling.join(stream, rendition, this.operator.joinBudgetBps(limits));
      this.signalingRefused = null;
      this.banned = false;
      if (!this.enabled || this.destroyed || this.operator.off) {
        void signaling.leave();
        return null;
      }
      this.session?.close();
      const origin = this.origin;
      const session = new SwarmSession({
        swarm: joined.swarm,
        localPeerId: joined.peerId,
        options: this.options,
        schedulerConfig: { ...schedulerConfigFor(this.options), uploadRateBytesPerS: limits.rateBytesPerS, uploadSlots: limits.slots },
        rtcConfig: sessionRtcConfig(joined, this.options.iceServers, api),
        clock: this.clock,
        emitter: this.emitter,
        signaling,
        origin,
        record: (url) => this.records.get(origin, url, key),
        timeline: this.timeline,
        createLink: this.uplink.factory(this.links.factory(this.network.createLink)),
        measureOnly: () => !this.serving, // shadow: not one byte from a neighbour
        retired: () => this.wantedRendition !== null && this.wantedRendition !== rendition,
        leaving: () => this.switchingTo !== null && this.switchingTo !== rendition,
      });
      const startup = this.startup.decide(joined.neighbours.length, joined.arrivals);
      const originMs = this.startup.originMs;
      this.timeline?.record("join", null, {
        swarm: joined.swarm,
        neighbours: joined.neighbours.length,
        swarmSize: joined.arrivals?.swarmSize ?? null,
        recentJoins: joined.arrivals?.recentJoins ?? null,
        originMs: originMs === null ? null : Math.round(originMs),
        startup: startup.swarm ? "swarm" : "http",
        startupWhy: startup.why,
      });
      const measured = this.uplink.meter.rateBytesPerS; // the uplink outlives the rendition
      if (measured !== null) session.setMeasuredUplink(measured);
      const downlink = this.downloads.bytesPerS; // so does the downlink
      if (downlink !== null) session.seedHttpRate(downlink, this.downloads.measuredAtMs);
      this.session = session;
      this.backoff.succeeded();
      this.problems.joined();
      this.emitter.emit("signaling", { state: "connected", code: null, message: null });
      this.sessionRendition = rendition;
      this.playhead.push();
      for (const { frag, data, rendition: r } of this.preJoin.values()) {
        if (r === rendition) void session.offerHttpSegment(this.segmentInfo(frag, false), data);
      }
      this.preJoin.clear();
      for (const { frag, rendition: r } of this.playerHttpLoads.values()) {
        if (r === rendition) session.playerLoad(frag.sn, frag.start, frag.duration, true);
      }
      for (const n of joined.neighbours) session.addNeighbour(n);
      if (this.options.swarmSizePollMs > 0) {
        const poll = new SwarmSizePoll({
          signalingUrl: api.signaling.url,
          swarm: joined.swarm,
          intervalMs: this.options.swarmSizePollMs,
          fetchFn: this.fetchFn,
          onSize: (peers) => session.setSignalingSwarmSize(peers),
        });
        session.attachSwarmSizePoll(poll);
        poll.start();
      }
      return session;
    } catch (error) {
      if (error instanceof SignalingError && !["timeout", "not-connected", "p2p-off"].includes(error.code)) this.signalingRefused = error.code;
      // An origin without signaling (or a refusing one) costs a request a minute, not a second.
      this.backoff.failed(this.clock.now());
      if (error instanceof SignalingError && error.code === "banned") this.pauseForBan();
      this.problems.failed(error, this.signalingUrl);
      return null;
    }
  }

  private async ensureSignaling(api: ApiConfig, stream: string): Promise<SignalingClient> {
    if (this.signaling) return this.signaling;
    this.signalingUrl = `${api.signaling.url}${api.signaling.path}`;
    const signaling = createSignaling(
      {
        options: this.options,
        emitter: this.emitter,
        operator: this.operator,
        fetchFn: this.fetchFn,
        session: () => this.session,
        banned: () => this.pauseForBan(),
        reconnected: () => this.rejoin(),
        openSocket: this.network.openSocket,
      },
      api,
      stream,
    );
    this.signaling = signaling;
    try {
      await signaling.connect();
    } catch (error) {
      signaling.close();
      this.signaling = null;
      throw error;
    }
    this.signalingRefused = null;
    await this.operator.attach(signaling); // first beacon: its ack brings the stream's control
    return signaling;
  }

  /** The server forgot us after a reconnect: rejoin the same rendition with fresh neighbours. */
  private rejoin(): void {
    const rendition = this.sessionRendition;
    const stream = this.stream;
    this.session?.close();
    this.session = null;
    this.sessionRendition = null;
    const url = this.records.lastUrl;
    if (rendition && stream && this.enabled && url) void this.sessionFor(stream, rendition, url);
  }

  /** Banned after reports: play from the origin for the ban time, then try P2P again (a ban
   * may come from a false report; turning P2P off for the page would let it win for good). */
  private pauseForBan(): void {
    this.teardown();
    this.banned = true; // until a join succeeds again
    this.backoff.banned(this.clock.now());
    const minutes = Math.round(this.options.bannedRetryMs / 60_000);
    this.emitter.emit("p2p", { enabled: false, reason: `banned by signaling: origin only, P2P again in ${minutes} min` });
  }

  protected teardown(): void {
    this.operator.detach();
    this.session?.close();
    this.session = null;
    this.sessionRendition = null;
    this.signaling?.close();
    this.signaling = null;
  }
}
