/**
 * Operator-plane signaling events (docs/protocol.md §4.7), mirroring protocol/beacon_schema.py:
 * the `beacon` a viewer sends (checked before sending, as the server will), the `control` the
 * server pushes (and returns in every beacon ack), and the stable ramp-up cohort of a viewer.
 */

import { bool, int, NAME_RE, object, parseAck, SchemaError, string } from "./signaling_schema";

export const EVENT_BEACON = "beacon";
export const EVENT_CONTROL = "control";

export type P2PMode = "on" | "off" | "shadow";
const P2P_MODES: readonly P2PMode[] = ["on", "off", "shadow"];
const REASON_RE = /^[a-z0-9-]{1,40}$/;
const MAX_COUNTER = Number.MAX_SAFE_INTEGER;
const MAX_MS = 7 * 86_400_000;
const MAX_PEERS = 1024;
export const PAIR_TYPES = ["host", "srflx", "prflx", "relay"] as const;
export type PairType = (typeof PAIR_TYPES)[number];
const COHORT_BUCKETS = 10_000;
export const MAX_HAVE = 16;
const MAX_BPS = 10_000_000_000;

/** Why P2P is off (or not helping) for a viewer; docs/operator.md explains each. */
export type OffReason =
  | "page-opt-out"
  | "insecure-context"
  | "signaling-refused"
  | "signaling-unreachable"
  | "banned"
  | "operator-off"
  | "ramp-cohort"
  | "shadow"
  | "no-ice-candidates"
  | "all-connections-failed"
  | "no-neighbours";

const COUNTERS = [
  "stalls",
  "stall_ms",
  "watch_ms",
  "http_bytes",
  "p2p_bytes",
  "upload_bytes",
  "shadow_saved_bytes",
  "verify_failures",
  "conn_attempts",
  "conn_successes",
] as const;
const NULLABLE = ["rendition", "reason", "ttff_ms", "latency_ms"] as const;

export interface Beacon {
  seq: number;
  rendition: string | null;
  p2p: P2PMode;
  reason: string | null;
  ttff_ms: number | null;
  stalls: number;
  stall_ms: number;
  watch_ms: number;
  http_bytes: number;
  p2p_bytes: number;
  upload_bytes: number;
  shadow_saved_bytes: number;
  verify_failures: number;
  peers: number;
  conn_attempts: number;
  conn_successes: number;
  pairs: Record<PairType, number>;
  latency_ms: number | null;
  /** Newest complete segments held (the dashboard's rarest-segment view); optional on the wire. */
  have?: number[];
  /**
   * What this viewer can upload (bits/s): 0 when it uploads nothing, its cap or set budget, else
   * its capacity measured while backlogged (p2p/uplink_meter.ts); null when unknown. The
   * dashboard's upload-capacity bound sums it, signaling's matcher ranks by it; optional.
   */
  upload_capacity_bps?: number | null;
}

export interface UploadPolicy {
  cap_bps: number | null;
  save_data: boolean;
  background_percent: number;
}

export interface Control {
  stream: string;
  version: number;
  p2p: boolean;
  ramp_percent: number;
  shadow: boolean;
  upload: UploadPolicy;
}

const optionalInt = (value: unknown, what: string, max: number): number | null => (value === null ? null : int(value, what, 0, max));

export function parseBeacon(data: unknown): Beacon {
  const obj = object(data, "beacon", ["seq", "p2p", "peers", ...COUNTERS, ...NULLABLE], ["pairs", "have", "upload_capacity_bps"]);
  const have = obj.have ?? [];
  if (!Array.isArray(have) || have.length > MAX_HAVE) throw new SchemaError(`beacon.have must be a list of at most ${MAX_HAVE} sequence numbers`);
  if (!P2P_MODES.includes(obj.p2p as P2PMode)) throw new SchemaError(`beacon.p2p must be one of ${P2P_MODES.join(", ")}`);
  const pairsObj = object(obj.pairs ?? {}, "beacon.pairs", [], [...PAIR_TYPES]);
  const pairs = {} as Record<PairType, number>;
  for (const kind of PAIR_TYPES) pairs[kind] = int(pairsObj[kind] ?? 0, `pairs.${kind}`, 0, MAX_COUNTER);
  const counters = {} as Record<(typeof COUNTERS)[number], number>;
  for (const name of COUNTERS) counters[name] = int(obj[name], `beacon.${name}`, 0, MAX_COUNTER);
  return {
    seq: int(obj.seq, "beacon.seq", 0, MAX_COUNTER),
    rendition: obj.rendition === null ? null : string(obj.rendition, "rendition", NAME_RE, 64),
    p2p: obj.p2p as P2PMode,
    reason: obj.reason === null ? null : string(obj.reason, "beacon.reason", REASON_RE, 40),
    ttff_ms: optionalInt(obj.ttff_ms, "beacon.ttff_ms", MAX_MS),
    ...counters,
    peers: int(obj.peers, "beacon.peers", 0, MAX_PEERS),
    pairs,
    latency_ms: optionalInt(obj.latency_ms, "beacon.latency_ms", MAX_MS),
    have: have.map((seq) => int(seq, "beacon.have item", 0, MAX_COUNTER)),
    upload_capacity_bps: optionalInt(obj.upload_capacity_bps ?? null, "beacon.upload_capacity_bps", MAX_BPS),
  };
}

export function parseControl(data: unknown): Control {
  const obj = object(data, "control", ["stream", "version", "p2p", "ramp_percent", "shadow", "upload"], []);
  const upload = object(obj.upload, "control.upload", ["cap_bps", "save_data", "background_percent"], []);
  return {
    stream: string(obj.stream, "control.stream", NAME_RE, 64),
    version: int(obj.version, "control.version", 0, MAX_COUNTER),
    p2p: bool(obj.p2p, "control.p2p"),
    ramp_percent: int(obj.ramp_percent, "control.ramp_percent", 0, 100),
    shadow: bool(obj.shadow, "control.shadow"),
    upload: {
      cap_bps: optionalInt(upload.cap_bps, "upload.cap_bps", MAX_BPS),
      save_data: bool(upload.save_data, "upload.save_data"),
      background_percent: int(upload.background_percent, "upload.background_percent", 0, 100),
    },
  };
}

/** The ok ack of a beacon: `{ok: true, control}`. */
export function parseBeaconAck(data: unknown): Control {
  const fields = object(parseAck(data), "beacon ack", ["control"], []);
  return parseControl(fields.control);
}

/** A viewer's stable ramp-up bucket in 0..9999: FNV-1a (32 bit) of its UTF-8 key. */
export function cohortBucket(viewerKey: string): number {
  let value = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(viewerKey)) {
    value = Math.imul(value ^ byte, 0x01000193) >>> 0;
  }
  return value % COHORT_BUCKETS;
}

export function inRamp(viewerKey: string, rampPercent: number): boolean {
  return cohortBucket(viewerKey) < rampPercent * (COHORT_BUCKETS / 100);
}

/** What one viewer does under `control`; the page can opt out, never in against the operator. */
export function effectiveMode(control: Control, viewerKey: string, pageAllows: boolean): { mode: P2PMode; reason: OffReason | null } {
  if (!pageAllows) return { mode: "off", reason: "page-opt-out" };
  if (!control.p2p) return { mode: "off", reason: "operator-off" };
  if (!inRamp(viewerKey, control.ramp_percent)) return { mode: "off", reason: "ramp-cohort" };
  if (control.shadow) return { mode: "shadow", reason: "shadow" };
  return { mode: "on", reason: null };
}
