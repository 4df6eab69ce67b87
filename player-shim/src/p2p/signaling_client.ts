/**
 * Socket.IO signaling client (docs/protocol.md §4): connect with the viewer token, join one swarm,
 * relay SDP/ICE to neighbours, report bad peers. Validates what the server sends before use.
 */

import { io, type Socket } from "socket.io-client";
import {
  parseAck,
  parseErrorBody,
  parseJoinAck,
  parseNeighboursEvent,
  parseRelayedSignal,
  parseReport,
  parseSignal,
  SchemaError,
  type IceServerEntry,
  type NeighbourEntry,
  type ReportReason,
  type SignalKind,
} from "../protocol/signaling_schema";

export const SIGNALING_NAMESPACE = "/swarm";

export interface Neighbour {
  peerId: string;
  /** True: we send the offer to this neighbour. */
  initiator: boolean;
  seeder: boolean;
}

export interface JoinResult {
  peerId: string;
  swarm: string;
  neighbours: Neighbour[];
  iceServers: RTCIceServer[];
  maxNeighbours: number;
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
  neighbours(swarm: string, add: Neighbour[], remove: string[]): void;
  signal(from: string, kind: SignalKind, data: Record<string, unknown>): void;
  /** The connection dropped or the server refused us; the engine decides whether to rejoin. */
  disconnected(reason: string): void;
  /** The socket reconnected on its own: the swarm must be joined again. */
  reconnected(): void;
  /** A server `error` event (e.g. `banned`) or a payload we refused. */
  error(code: string, message: string): void;
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

  constructor(private readonly options: SignalingOptions) {}

  get connected(): boolean {
    return this.socket?.connected ?? false;
  }

  /** Opens the socket; resolves once connected, rejects with the server's refusal code. */
  connect(): Promise<void> {
    if (this.socket) return Promise.resolve();
    const { url, path, namespace, handlers } = this.options;
    const socket = io(`${url}${namespace}`, {
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
      handlers.neighbours(update.swarm, update.add.map(toNeighbour), update.remove);
    });
    guarded("signal", (payload) => {
      const relayed = parseRelayedSignal(payload);
      handlers.signal(relayed.from_peer, relayed.kind, relayed.data);
    });
    guarded("error", (payload) => {
      const body = parseErrorBody(payload);
      handlers.error(body.code, body.message);
    });
    socket.on("disconnect", (reason: string) => handlers.disconnected(reason));
    return new Promise((resolve, reject) => {
      socket.once("connect", () => {
        const first = !this.everConnected;
        this.everConnected = true;
        socket.on("connect", () => handlers.reconnected());
        if (first) resolve();
      });
      socket.once("connect_error", (err: Error & { data?: { code?: string } }) => {
        if (!this.everConnected) reject(new SignalingError(err.data?.code ?? err.message, err.message));
      });
    });
  }

  async join(stream: string, rendition: string, uploadBudgetBps: number): Promise<JoinResult> {
    const ack = parseJoinAck(
      await this.request("join", {
        stream,
        rendition,
        capabilities: { upload_budget_bps: Math.max(0, Math.round(uploadBudgetBps)), seeder: false },
      }),
    );
    return {
      peerId: ack.peer_id,
      swarm: ack.swarm,
      neighbours: ack.neighbours.map(toNeighbour),
      iceServers: ack.ice_servers.map(toIceServer),
      maxNeighbours: ack.max_neighbours,
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
