/** What a `SwarmSession` is given: its clock, signaling port, origin, options and config. */

import type { SwarmcastOptions } from "../config";
import type { Emitter } from "../events";
import type { IntegrityRecord } from "../protocol/integrity";
import type { SchedulerConfig } from "../scheduler/scheduler_config";
import type { PathKind } from "../protocol/signaling_schema";
import type { Timeline } from "../timeline";
import type { OriginClient } from "./origin_client";
import type { LinkFactory } from "./peer_link";
import type { ReportReason, SignalKind } from "./signaling_client";

export interface Clock {
  /** Milliseconds, monotonic (performance.now in browsers). */
  now(): number;
}

/** What the session needs from signaling. */
export interface SignalingPort {
  signal(to: string, kind: SignalKind, data: Record<string, unknown>): void;
  report(peerId: string, reason: ReportReason, seq: number | null): void;
  /** How the link to `peerId` opened (direct or through TURN), for matching (§4.2). */
  path?(peerId: string, path: PathKind): void;
}

export interface SegmentInfo {
  seq: number;
  url: string;
  /** Media start time on hls.js's timeline, and duration, in seconds. */
  start: number;
  duration: number;
  /** Just appeared at the live edge (drives the one-viewer-takes-it-from-HTTP election). */
  liveEdge: boolean;
}

export interface SessionDeps {
  swarm: string;
  localPeerId: string;
  options: SwarmcastOptions;
  schedulerConfig: SchedulerConfig;
  rtcConfig: RTCConfiguration;
  clock: Clock;
  emitter: Emitter;
  signaling: SignalingPort;
  origin: Pick<OriginClient, "streamRange">;
  /** Resolves the verified record of a segment URL (cached by the engine). */
  record: (url: string) => Promise<IntegrityRecord>;
  /** The viewer's timeline when one is recorded (options.timeline); absent: none. */
  timeline?: Timeline | null;
  /** Creates neighbour links; default RTCPeerConnection-backed PeerLinks. */
  createLink?: LinkFactory;
  /**
   * Shadow mode while true: the session never asks a neighbour for a piece (each REQUEST the
   * scheduler wants is rejected on the spot, so it turns to the origin), whatever path made
   * it want one. Absent: never.
   */
  measureOnly?: () => boolean;
  /**
   * The player has moved to another rendition while true (a switch whose new swarm is still
   * being joined): the session asks neither neighbours nor the origin for anything new; it
   * still serves its neighbours. Absent: never.
   */
  retired?: () => boolean;
  /**
   * The player has announced a switch to another rendition (hls.js LEVEL_SWITCHING) but not yet
   * asked for a fragment of it: the session fetches only what the player asked it for
   * (`SwarmSession.addSegment`'s `asked`, then waited for) and leaves the rest, whose bytes
   * would queue ahead of the new rendition's playlist and first fragment on the viewer's link.
   * Absent: never.
   */
  leaving?: () => boolean;
}
