/**
 * Signaling payloads (docs/protocol.md §4), mirroring protocol/signaling_schema.py: strict parsers
 * for what the server sends (join ack, neighbours, relayed signal, errors, acks) and for the
 * requests a client sends (so the shim checks its own payloads the way the server will).
 */

export const PEER_ID_RE = /^[A-Za-z0-9_-]{8,32}$/;
export const NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;
const SWARM_RE = /^[A-Za-z0-9_-]{1,64}\/[A-Za-z0-9_-]{1,64}$/;
const MAX_SDP_CHARS = 32768;
const MAX_CANDIDATE_CHARS = 1024;
const MAX_SDP_MID_CHARS = 64;
const MAX_UFRAG_CHARS = 256;
const MAX_UPLOAD_BUDGET_BPS = 10_000_000_000;
const MAX_SEQ = 0xffffffff;
const MAX_NEIGHBOURS_LIMIT = 64;
const MAX_LIST_ITEMS = 256;

export type SignalKind = "offer" | "answer" | "candidate";
export type ReportReason = "bad-piece" | "protocol-error" | "unreachable";
const SIGNAL_KINDS: readonly SignalKind[] = ["offer", "answer", "candidate"];
const REPORT_REASONS: readonly ReportReason[] = ["bad-piece", "protocol-error", "unreachable"];
export type PathKind = "direct" | "relay";
const PATH_KINDS: readonly PathKind[] = ["direct", "relay"];

/** A payload that does not match its schema; `code` is a §4 error code. */
export class SchemaError extends Error {
  constructor(
    message: string,
    readonly code: string = "bad-request",
  ) {
    super(message);
    this.name = "SchemaError";
  }
}

export interface NeighbourEntry {
  peer_id: string;
  initiator: boolean;
  seeder: boolean;
}
export interface IceServerEntry {
  urls: string[];
  username: string | null;
  credential: string | null;
}
export interface JoinAck {
  peer_id: string;
  swarm: string;
  neighbours: NeighbourEntry[];
  ice_servers: IceServerEntry[];
  max_neighbours: number;
  /** "relay" in a relay-only (privacy) stream: TURN relay candidates only (§4.3). */
  ice_transport_policy: IceTransportPolicyName;
  /** How fast the swarm is filling (§4.2), when signaling sent it: a crowd arriving or not. */
  arrivals: JoinArrivals | null;
}
/** The swarm's members with the joiner, and the others that joined within the last few seconds. */
export interface JoinArrivals {
  swarm_size: number;
  recent_joins: number;
}
/** Bound of a join ack's swarm_size (a count, not a limit; protocol/signaling_schema.py). */
export const MAX_SWARM_COUNT = 2 ** 31 - 1;
export type IceTransportPolicyName = "all" | "relay";
export interface NeighboursUpdate {
  swarm: string;
  add: NeighbourEntry[];
  remove: string[];
}
export interface RelayedSignal {
  from_peer: string;
  kind: SignalKind;
  data: Record<string, unknown>;
}
export interface ErrorBody {
  code: string;
  message: string;
}
export interface JoinRequest {
  stream: string;
  rendition: string;
  capabilities: { upload_budget_bps: number; seeder: boolean; max_neighbours: number | null };
}
export interface SignalRequest {
  to: string;
  kind: SignalKind;
  data: Record<string, unknown>;
}
export interface ReportRequest {
  peer_id: string;
  reason: ReportReason;
  seq: number | null;
}

export type Obj = Record<string, unknown>;

export function object(data: unknown, what: string, required: string[], optional: string[]): Obj {
  if (typeof data !== "object" || data === null || Array.isArray(data)) throw new SchemaError(`${what} must be a JSON object`);
  const obj = data as Obj;
  const missing = required.filter((k) => !(k in obj));
  if (missing.length > 0) throw new SchemaError(`${what}: missing ${missing.sort().join(", ")}`);
  const unknown = Object.keys(obj).filter((k) => !required.includes(k) && !optional.includes(k));
  if (unknown.length > 0) throw new SchemaError(`${what}: unknown keys ${unknown.sort().slice(0, 5).join(", ")}`);
  return obj;
}

export function string(value: unknown, what: string, pattern: RegExp | null, maxChars: number): string {
  if (typeof value !== "string") throw new SchemaError(`${what} must be a string`);
  if ([...value].length > maxChars) throw new SchemaError(`${what} longer than ${maxChars} characters`);
  if (pattern !== null && !pattern.test(value)) throw new SchemaError(`${what} has an invalid format`);
  return value;
}

export function int(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new SchemaError(`${what} must be an integer in ${min}..${max}`);
  }
  return value;
}

function optionalString(value: unknown, what: string, maxChars: number): string | null {
  return value === null || value === undefined ? null : string(value, what, null, maxChars);
}

function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value) || value.length > MAX_LIST_ITEMS) throw new SchemaError(`${what} must be a list of at most ${MAX_LIST_ITEMS} items`);
  return value;
}

export function bool(value: unknown, what: string): boolean {
  if (typeof value !== "boolean") throw new SchemaError(`${what} must be a boolean`);
  return value;
}

// ---- client -> server requests (the server's checks, for self-checking) ----

export function parseAuth(auth: unknown): string {
  if (typeof auth !== "object" || auth === null || !("token" in auth)) throw new SchemaError("connect with auth {token}", "missing-token");
  const token = (auth as Obj).token;
  if (typeof token !== "string" || token === "") throw new SchemaError("auth token must be a non-empty string", "token-malformed");
  return token;
}

export function parseJoin(data: unknown): JoinRequest {
  const obj = object(data, "join", ["stream", "rendition", "capabilities"], []);
  const caps = obj.capabilities;
  if (typeof caps !== "object" || caps === null || Array.isArray(caps)) throw new SchemaError("join.capabilities must be a JSON object");
  const c = caps as Obj;
  const budget = int(c.upload_budget_bps ?? 0, "upload_budget_bps", 0, MAX_UPLOAD_BUDGET_BPS);
  const seeder = c.seeder ?? false;
  if (typeof seeder !== "boolean") throw new SchemaError("capabilities.seeder must be a boolean");
  const maxNeighbours = c.max_neighbours === undefined || c.max_neighbours === null ? null : int(c.max_neighbours, "max_neighbours", 1, MAX_NEIGHBOURS_LIMIT);
  return {
    stream: string(obj.stream, "stream", NAME_RE, 64),
    rendition: string(obj.rendition, "rendition", NAME_RE, 64),
    capabilities: { upload_budget_bps: budget, seeder, max_neighbours: maxNeighbours },
  };
}

export function parseSignal(data: unknown): SignalRequest {
  const obj = object(data, "signal", ["to", "kind", "data"], []);
  const to = string(obj.to, "signal.to", PEER_ID_RE, 32);
  const kind = obj.kind;
  if (!SIGNAL_KINDS.includes(kind as SignalKind)) throw new SchemaError(`signal.kind must be one of ${SIGNAL_KINDS.join(", ")}`);
  let normalized: Obj;
  if (kind === "offer" || kind === "answer") {
    const description = object(obj.data, "signal.data", ["type", "sdp"], []);
    if (description.type !== kind) throw new SchemaError("signal.data.type must equal signal.kind");
    normalized = { type: kind, sdp: string(description.sdp, "signal.data.sdp", null, MAX_SDP_CHARS) };
  } else {
    const candidate = object(obj.data, "signal.data", ["candidate"], ["sdpMid", "sdpMLineIndex", "usernameFragment"]);
    const lineIndex = candidate.sdpMLineIndex;
    normalized = {
      candidate: string(candidate.candidate, "signal.data.candidate", null, MAX_CANDIDATE_CHARS),
      sdpMid: optionalString(candidate.sdpMid, "sdpMid", MAX_SDP_MID_CHARS),
      sdpMLineIndex: lineIndex === null || lineIndex === undefined ? null : int(lineIndex, "sdpMLineIndex", 0, 255),
    };
    if (candidate.usernameFragment !== null && candidate.usernameFragment !== undefined) {
      normalized.usernameFragment = string(candidate.usernameFragment, "usernameFragment", null, MAX_UFRAG_CHARS);
    }
  }
  return { to, kind: kind as SignalKind, data: normalized };
}

export function parseReport(data: unknown): ReportRequest {
  const obj = object(data, "report", ["peer_id", "reason"], ["seq"]);
  if (!REPORT_REASONS.includes(obj.reason as ReportReason)) throw new SchemaError(`report.reason must be one of ${REPORT_REASONS.join(", ")}`);
  return {
    peer_id: string(obj.peer_id, "report.peer_id", PEER_ID_RE, 32),
    reason: obj.reason as ReportReason,
    seq: obj.seq === null || obj.seq === undefined ? null : int(obj.seq, "report.seq", 0, MAX_SEQ),
  };
}

export interface PathReport {
  peer_id: string;
  path: PathKind;
}

/** `path {peer_id, path}`: the link to a neighbour opened directly or through a TURN relay. */
export function parsePath(data: unknown): PathReport {
  const obj = object(data, "path", ["peer_id", "path"], []);
  if (!PATH_KINDS.includes(obj.path as PathKind)) throw new SchemaError(`path.path must be one of ${PATH_KINDS.join(", ")}`);
  return { peer_id: string(obj.peer_id, "path.peer_id", PEER_ID_RE, 32), path: obj.path as PathKind };
}

export function parseLeave(data: unknown): null {
  if (data !== null && data !== undefined) object(data, "leave", [], []);
  return null;
}

// ---- server -> client payloads ----

function neighbour(value: unknown): NeighbourEntry {
  const obj = object(value, "neighbour", ["peer_id", "initiator", "seeder"], []);
  return {
    peer_id: string(obj.peer_id, "neighbour.peer_id", PEER_ID_RE, 32),
    initiator: bool(obj.initiator, "neighbour.initiator"),
    seeder: bool(obj.seeder, "neighbour.seeder"),
  };
}

function iceServer(value: unknown): IceServerEntry {
  const obj = object(value, "ice server", ["urls"], ["username", "credential"]);
  return {
    urls: list(obj.urls, "urls").map((u) => string(u, "ice url", null, 512)),
    username: optionalString(obj.username, "username", 512),
    credential: optionalString(obj.credential, "credential", 512),
  };
}

/** `{code, message}` of a failed ack, an `error` event or a connect refusal's data. */
export function parseErrorBody(data: unknown): ErrorBody {
  const obj = object(data, "error", ["code", "message"], []);
  return { code: string(obj.code, "error.code", null, 64), message: string(obj.message, "error.message", null, 1024) };
}

/** The fields of an ok ack, or SchemaError carrying the server's own error code. */
export function parseAck(data: unknown): Obj {
  if (typeof data !== "object" || data === null || Array.isArray(data) || typeof (data as Obj).ok !== "boolean") {
    throw new SchemaError("ack must be an object with a boolean ok");
  }
  const ack = data as Obj;
  if (!ack.ok) {
    const error = parseErrorBody(ack.error);
    throw new SchemaError(error.message, error.code);
  }
  const { ok: _ok, ...fields } = ack;
  return fields;
}

export function parseJoinAck(data: unknown): JoinAck {
  const obj = object(parseAck(data), "join ack", ["peer_id", "swarm", "neighbours", "ice_servers", "max_neighbours"], ["ice_transport_policy", "swarm_size", "recent_joins"]);
  const policy = obj.ice_transport_policy ?? "all";
  if (policy !== "all" && policy !== "relay") throw new SchemaError("ice_transport_policy must be all or relay");
  let arrivals: JoinArrivals | null = null;
  if (obj.swarm_size !== undefined || obj.recent_joins !== undefined) {
    const size = int(obj.swarm_size, "swarm_size", 1, MAX_SWARM_COUNT);
    arrivals = { swarm_size: size, recent_joins: int(obj.recent_joins, "recent_joins", 0, size - 1) };
  }
  return {
    peer_id: string(obj.peer_id, "peer_id", PEER_ID_RE, 32),
    swarm: string(obj.swarm, "swarm", SWARM_RE, 129),
    neighbours: list(obj.neighbours, "neighbours").map(neighbour),
    ice_servers: list(obj.ice_servers, "ice_servers").map(iceServer),
    max_neighbours: int(obj.max_neighbours, "max_neighbours", 1, MAX_NEIGHBOURS_LIMIT),
    ice_transport_policy: policy,
    arrivals,
  };
}

export function parseNeighboursEvent(data: unknown): NeighboursUpdate {
  const obj = object(data, "neighbours", ["swarm", "add", "remove"], []);
  return {
    swarm: string(obj.swarm, "swarm", SWARM_RE, 129),
    add: list(obj.add, "add").map(neighbour),
    remove: list(obj.remove, "remove").map((p) => string(p, "removed peer_id", PEER_ID_RE, 32)),
  };
}

/** `signal {from, kind, data}` as relayed by the server (data checked like a request's). */
export function parseRelayedSignal(data: unknown): RelayedSignal {
  const obj = object(data, "relayed signal", ["from", "kind", "data"], []);
  const request = parseSignal({ to: obj.from, kind: obj.kind, data: obj.data });
  return { from_peer: request.to, kind: request.kind, data: request.data };
}
