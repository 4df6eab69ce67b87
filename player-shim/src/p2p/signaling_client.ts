/**
 * Socket.IO signaling client (docs/protocol.md §4): connect with the viewer token, join one swarm,
 * relay SDP/ICE to neighbours, report bad peers. Validates what the server sends before use, and
 * passes `neighbours` events on under the ordering rule of §4.3 (see ./neighbour_view).
 */

import { io, type ManagerOptions, type Socket, type SocketOptions } from "socket.io-client";
import {
  parseAck,
  parseErrorBody,
  parseJoinAck,
  parseNeighboursEvent,
  parsePath,
  parseRelayedSignal,
  parseReport,
  parseSignal,
  SchemaError,
  type IceServerEntry,
  type NeighbourEntry,
  type PathKind,
  type ReportReason,
  type SignalKind,
} from "../protocol/signaling_schema";
import { EVENT_BEACON, EVENT_CONTROL, parseBeacon, parseBeaconAck, parseControl, type Beacon, type Control } from "../protocol/beacon_schema";
import { NeighbourView, type Neighbour } from "./neighbour_view";

export const SIGNALING_NAMESPACE = "/swarm";

export type { Neighbour };

export interface JoinResult {
  peerId: string;
  swarm: string;
  /** The neighbour set once the events that overtook the ack are applied (§4.3). */
  neighbours: Neighbour[];
  iceServers: RTCIceServer[];
  maxNeighbours: number;
  /** "relay" in a relay-only (privacy) stream: the server relays relay candidates only. */
  iceTransportPolicy: RTCIceTransportPolicy;
  /** How fast the swarm is filling (null: signaling did not say): startup_join.ts decides with it. */
  arrivals: { swarmSize: number; recentJoins: number } | null;
}

export type { ReportReason, SignalKind };

function toNeighbour(n: NeighbourEntry): Neighbour {
  return { peerId: n.peer_id, initiator: n.initiator, seeder: n.seeder };
}

function toIceServer(s: IceServerEntry): RTCIceServer {
  const server: RTCIceServer = { urls: s.urls };
  if (s.username !== null) server.username = s.username;
  if (s.credential !== null) server.credential = s.credential;
  return server;
}

export interface SignalingHandlers {
  /** Only events for the swarm of the latest join, after that join resolved, in arrival order. */
  neighbours(swarm: string, add: Neighbour[], remove: string[]): void;
  signal(from: string, kind: SignalKind, data: Record<string, unknown>): void;
  /** The connection dropped or the server refused us; the engine decides whether to rejoin. */
  disconnected(reason: string): void;
  /** The socket reconnected on its own: the swarm must be joined again. */
  reconnected(): void;
  /** A server `error` event (e.g. `banned`) or a payload we refused. */
  error(code: string, message: string): void;
  /** The operator's per-stream control, pushed by the server (§4.7). */
  control?(control: Control): void;
}

export interface SignalingOptions {
  /** Origin of the signaling server ("" = this page's origin). */
  url: string;
  /** Socket.IO path, e.g. "/socket.io/". */
  path: string;
  namespace: string;
  /** Called for every (re)connection: tokens expire, so each attempt gets a fresh one. */
  token: () => Promise<string>;
  handlers: SignalingHandlers;
  /** Ack timeout for join. */
  timeoutMs: number;
  /** Opens the socket; default socket.io-client's `io` (tests pass a fake). */
  openSocket?: (uri: string, options: Partial<ManagerOptions & SocketOptions>) => Socket;
}

export class SignalingError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = "SignalingError";
  }
}

export class SignalingClient {
  private socket: Socket | null = null;
  private everConnected = false;
  private readonly view = new NeighbourView();
  /** Joins run one at a time, so each ack is matched with the events buffered for it. */
  private joinQueue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: SignalingOptions) {}

  get connected(): boolean {
    return this.socket?.connected ?? false;
  }

  /** The current neighbour set (the server's, once the events in flight are applied). */
  get neighbours(): Neighbour[] {
    return this.view.neighbours();
  }

  /** The swarm of the latest successful join on this connection (null before one). */
  get swarm(): string | null {
    return this.view.swarm;
  }

  /** Opens the socket; resolves once connected, rejects with the server's refusal code. */
  connect(): Promise<void> {
    if (this.socket) return Promise.resolve();
    const { url, path, namespace, handlers } = this.options;
    const socket = (this.options.openSocket ?? io)(`${url}${namespace}`, {
      path,
      transports: ["websocket"],
      // A function: Socket.IO calls it before every (re)connection attempt.
      auth: (cb: (data: object) => void) => {
        this.options.token().then(
          (token) => cb({ token }),
          () => cb({}),
        );
      },
      reconnectionDelay: 1000,
      reconnectionDelayMax: 10000,
    });
    this.socket = socket;
    // Server payloads are checked like protocol/signaling_schema.py does; a bad one is ignored.
    const guarded = (event: string, handle: (payload: unknown) => void) =>
      socket.on(event, (payload: unknown) => {
        try {
          handle(payload);
        } catch (e) {
          if (!(e instanceof SchemaError)) throw e;
          handlers.error("bad-request", `${event}: ${e.message}`);
        }
      });
    guarded("neighbours", (payload) => {
      const update = parseNeighboursEvent(payload);
      const current = this.view.event({ swarm: update.swarm, add: update.add.map(toNeighbour), remove: update.remove });
      if (current) handlers.neighbours(current.swarm, current.add, current.remove);
    });
    guarded("signal", (payload) => {
      const relayed = parseRelayedSignal(payload);
      handlers.signal(relayed.from_peer, relayed.kind, relayed.data);
    });
    guarded(EVENT_CONTROL, (payload) => handlers.control?.(parseControl(payload)));
    guarded("error", (payload) => {
      const body = parseErrorBody(payload);
      handlers.error(body.code, body.message);
    });
    socket.on("disconnect", (reason: string) => {
      this.view.reset(); // the server forgot us: a reconnect joins afresh
      handlers.disconnected(reason);
    });
    return new Promise((resolve, reject) => {
      socket.once("connect", () => {
        const first = !this.everConnected;
        this.everConnected = true;
        socket.on("connect", () => handlers.reconnected());
        if (first) resolve();
      });
      socket.once("connect_error", (err: Error & { data?: { code?: string; message?: string } }) => {
        // A server refusal carries {code, message}; a transport failure only "websocket error".
        if (!this.everConnected) reject(new SignalingError(err.data?.code ?? "unreachable", err.data?.message ?? err.message));
      });
    });
  }

  join(stream: string, rendition: string, uploadBudgetBps: number): Promise<JoinResult> {
    const joined = this.joinQueue.then(() => this.joinNow(stream, rendition, uploadBudgetBps));
    this.joinQueue = joined.catch(() => undefined);
    return joined;
  }

  private async joinNow(stream: string, rendition: string, uploadBudgetBps: number): Promise<JoinResult> {
    this.view.joinStarted(); // before the emit: events may overtake the ack
    let ack;
    try {
      ack = parseJoinAck(
        await this.request("join", {
          stream,
          rendition,
          capabilities: { upload_budget_bps: Math.max(0, Math.round(uploadBudgetBps)), seeder: false },
        }),
      );
    } catch (e) {
      for (const update of this.view.joinFailed()) this.options.handlers.neighbours(update.swarm, update.add, update.remove);
      throw e;
    }
    return {
      peerId: ack.peer_id,
      swarm: ack.swarm,
      neighbours: this.view.joinAcked(ack.swarm, ack.neighbours.map(toNeighbour)),
      iceServers: ack.ice_servers.map(toIceServer),
      maxNeighbours: ack.max_neighbours,
      iceTransportPolicy: ack.ice_transport_policy,
      arrivals: ack.arrivals ? { swarmSize: ack.arrivals.swarm_size, recentJoins: ack.arrivals.recent_joins } : null,
    };
  }

  async leave(): Promise<void> {
    if (this.socket?.connected) await this.request("leave", {}).catch(() => undefined);
  }

  /** Relays SDP/ICE to a neighbour (checked first: the server would refuse it anyway). */
  signal(to: string, kind: SignalKind, data: Record<string, unknown>): void {
    this.emitChecked("signal", { to, kind, data }, parseSignal);
  }

  report(peerId: string, reason: ReportReason, seq: number | null): void {
    const payload: Record<string, unknown> = { peer_id: peerId, reason };
    if (seq !== null) payload.seq = seq;
    this.emitChecked("report", payload, parseReport);
  }

  /** How the link to a neighbour opened (§4.2); a server without the event answers bad-request. */
  path(peerId: string, path: PathKind): void {
    this.emitChecked("path", { peer_id: peerId, path }, parsePath);
  }

  /** Sends a beacon (checked first); resolves with the stream's control from the ack (§4.7). */
  async beacon(payload: Beacon): Promise<Control> {
    parseBeacon(payload);
    return parseBeaconAck(await this.request(EVENT_BEACON, payload));
  }

  /** Emits with an ack (events without one are refused as rate-limited); refusals are reported. */
  private emitChecked(event: string, payload: Record<string, unknown>, check: (p: unknown) => unknown): void {
    try {
      check(payload);
    } catch (e) {
      this.options.handlers.error("bad-request", `not sending ${event}: ${String(e)}`);
      return;
    }
    this.request(event, payload).catch((e: unknown) => {
      const code = e instanceof SignalingError ? e.code : "internal";
      this.options.handlers.error(code, `${event} refused: ${String(e)}`);
    });
  }

  close(): void {
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.removeAllListeners();
      socket.disconnect();
    }
  }

  private request(event: string, payload: object): Promise<unknown> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new SignalingError("not-connected", "no socket"));
    return new Promise((resolve, reject) => {
      socket.timeout(this.options.timeoutMs).emit(event, payload, (err: Error | null, ack: unknown) => {
        if (err) {
          reject(new SignalingError("timeout", `${event} got no answer`));
          return;
        }
        try {
          parseAck(ack);
          resolve(ack);
        } catch (e) {
          reject(new SignalingError(e instanceof SchemaError ? e.code : "bad-request", String(e)));
        }
      });
    });
  }
}
