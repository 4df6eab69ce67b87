/** Running counters behind `swarmcast.stats()`, fed by the shim's own events. */

import type { Emitter, SignalingState } from "./events";
import type { OffReason, P2PMode } from "./protocol/beacon_schema";

export interface ShimStats {
  p2pEnabled: boolean;
  /** What P2P does for this viewer now: on, off, or shadow (operator's measuring mode). */
  p2pMode: P2PMode;
  /** Why P2P is off or not helping (docs/operator.md), null when it is on and working. */
  p2pReason: OffReason | null;
  /** The same in plain words, for people. */
  p2pReasonText: string;
  /** Shadow mode: origin bytes a connected neighbour already held ("would have saved"). */
  shadowSavedBytes: number;
  /** Neighbour connections attempted and opened. */
  connAttempts: number;
  connSuccesses: number;
  /** Media bytes (segments) fetched from the origin, verified or not. */
  httpBytes: number;
  /** Media bytes received from peers and verified. */
  p2pBytes: number;
  /** p2pBytes / (httpBytes + p2pBytes), 0 before any byte. */
  p2pShare: number;
  /** Integrity records, keys and init segments over HTTP (not media, reported apart). */
  httpOverheadBytes: number;
  uploadedBytes: number;
  peers: number;
  peersConnected: number;
  peersClosed: number;
  verificationFailures: number;
  segmentsHttp: number;
  segmentsP2p: number;
  segmentsMixed: number;
  stalls: number;
  stallMs: number;
  /** Milliseconds from the shim's start to the first played frame, null until then. */
  firstFrameMs: number | null;
  /** Seconds of media buffered ahead of the playhead. */
  bufferAheadS: number;
  /** Seconds behind the live edge (null for VOD or before the playlist loaded). */
  latencyS: number | null;
  /** Signaling as this viewer sees it ("idle" before the first join attempt). */
  signalingState: SignalingState;
  /** Why P2P is not working right now, in plain words (null when it is, or not tried yet). */
  p2pProblem: string | null;
}

export function emptyStats(): ShimStats {
  return {
    p2pEnabled: false,
    p2pMode: "off",
    p2pReason: null,
    p2pReasonText: "",
    shadowSavedBytes: 0,
    connAttempts: 0,
    connSuccesses: 0,
    httpBytes: 0,
    p2pBytes: 0,
    p2pShare: 0,
    httpOverheadBytes: 0,
    uploadedBytes: 0,
    peers: 0,
    peersConnected: 0,
    peersClosed: 0,
    verificationFailures: 0,
    segmentsHttp: 0,
    segmentsP2p: 0,
    segmentsMixed: 0,
    stalls: 0,
    stallMs: 0,
    firstFrameMs: null,
    bufferAheadS: 0,
    latencyS: null,
    signalingState: "idle",
    p2pProblem: null,
  };
}

/** Subscribes counters to the emitter; returns the live object and an unsubscribe function. */
export function trackStats(emitter: Emitter): { stats: ShimStats; stop: () => void } {
  const stats = emptyStats();
  const share = (): void => {
    const total = stats.httpBytes + stats.p2pBytes;
    stats.p2pShare = total > 0 ? stats.p2pBytes / total : 0;
  };
  const offs = [
    emitter.on("bytes", (e) => {
      if (e.source === "http") stats.httpBytes += e.bytes;
      else stats.p2pBytes += e.bytes;
      share();
    }),
    emitter.on("shadow-saved", (e) => {
      stats.shadowSavedBytes += e.bytes;
    }),
    emitter.on("overhead", (e) => {
      stats.httpOverheadBytes += e.bytes;
    }),
    emitter.on("upload", (e) => {
      stats.uploadedBytes += e.bytes;
    }),
    emitter.on("peer-connect", () => {
      stats.peers += 1;
      stats.peersConnected += 1;
    }),
    emitter.on("peer-close", () => {
      stats.peers = Math.max(0, stats.peers - 1);
      stats.peersClosed += 1;
    }),
    emitter.on("verification-failure", () => {
      stats.verificationFailures += 1;
    }),
    emitter.on("segment", (e) => {
      if (e.p2pBytes === 0) stats.segmentsHttp += 1;
      else if (e.httpBytes === 0) stats.segmentsP2p += 1;
      else stats.segmentsMixed += 1;
    }),
    emitter.on("stall", (e) => {
      if (e.phase === "start") stats.stalls += 1;
      else stats.stallMs += e.durationMs;
    }),
    emitter.on("first-frame", (e) => {
      stats.firstFrameMs = e.ms;
    }),
    emitter.on("p2p", (e) => {
      stats.p2pEnabled = e.enabled;
    }),
    emitter.on("signaling", (e) => {
      stats.signalingState = e.state;
      stats.p2pProblem = e.message;
    }),
  ];
  return { stats, stop: () => offs.forEach((off) => off()) };
}
