/**
 * Socket.IO signaling client (docs/protocol.md §4): connect with the viewer token, join one swarm,
 * relay SDP/ICE to neighbours, report bad peers. Validates what the server sends before use.
 */

import { io, type Socket } from "socket.io-client";

export const SIGNALING_NAMESPACE = "/swarm";
const PEER_ID_RE = /^[A-Za-z0-9_-]{8,32}$/;

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

export type SignalKind = "offer" | "answer" | "candidate";
export type ReportReason = "bad-piece" | "protocol-error" | "unreachable";

export interface SignalingHandlers {
  neighbours(swarm: string, add: Neighbour[], remove: string[]): void;
  signal(from: string, kind: SignalKind, data: Record<string, unknown>): void;
  /** The connection dropped or the server refused us; the engine decides whether to rejoin. */
  disconnected(reason: string): void;
  /** The socket reconnected on its own: the swarm must be joined again. */
  reconnected(): void;
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

function parseNeighbour(raw: unknown): Neighbour | null {
  if (typeof raw !== "object" || raw === null) return null;
  const r = raw as Record<string, unknown>;
  if (typeof r.peer_id !== "string" || !PEER_ID_RE.test(r.peer_id)) return null;
  return { peerId: r.peer_id, initiator: r.initiator === true, seeder: r.seeder === true };
}

function parseNeighbours(raw: unknown): Neighbour[] {
  return Array.isArray(raw) ? raw.map(parseNeighbour).filter((n): n is Neighbour => n !== null) : [];
}

function parseIceServers(raw: unknown): RTCIceServer[] {
  if (!Array.isArray(raw)) return [];
  const out: RTCIceServer[] = [];
  for (const entry of raw) {
    if (typeof entry !== "object" || entry === null) continue;
    const e = entry as Record<string, unknown>;
    const urls = Array.isArray(e.urls) ? e.urls.filter((u): u is string => typeof u === "string") : typeof e.urls === "string" ? [e.urls] : [];
    if (urls.length === 0) continue;
    const server: RTCIceServer = { urls };
    if (typeof e.username === "string") server.username = e.username;
    if (typeof e.credential === "string") server.credential = e.credential;
    out.push(server);
  }
  return out;
}

function ackError(ack: unknown): SignalingError {
  const err = (ack as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return new SignalingError(typeof err?.code === "string" ? err.code : "internal", typeof err?.message === "string" ? err.message : "no reason given");
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
    socket.on("neighbours", (payload: unknown) => {
      if (typeof payload !== "object" || payload === null) return;
      const p = payload as Record<string, unknown>;
      const remove = Array.isArray(p.remove) ? p.remove.filter((id): id is string => typeof id === "string") : [];
      handlers.neighbours(typeof p.swarm === "string" ? p.swarm : "", parseNeighbours(p.add), remove);
    });
    socket.on("signal", (payload: unknown) => {
      if (typeof payload !== "object" || payload === null) return;
      const p = payload as Record<string, unknown>;
      if (typeof p.from !== "string" || !PEER_ID_RE.test(p.from)) return;
      if (p.kind !== "offer" && p.kind !== "answer" && p.kind !== "candidate") return;
      if (typeof p.data !== "object" || p.data === null) return;
      handlers.signal(p.from, p.kind, p.data as Record<string, unknown>);
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
    const ack = await this.request("join", {
      stream,
      rendition,
      capabilities: { upload_budget_bps: Math.max(0, Math.round(uploadBudgetBps)), seeder: false },
    });
    const a = ack as Record<string, unknown>;
    if (typeof a.peer_id !== "string" || !PEER_ID_RE.test(a.peer_id)) throw new SignalingError("internal", "join ack without peer_id");
    return {
      peerId: a.peer_id,
      swarm: typeof a.swarm === "string" ? a.swarm : `${stream}/${rendition}`,
      neighbours: parseNeighbours(a.neighbours),
      iceServers: parseIceServers(a.ice_servers),
      maxNeighbours: typeof a.max_neighbours === "number" ? a.max_neighbours : 0,
    };
  }

  async leave(): Promise<void> {
    if (this.socket?.connected) await this.request("leave", {}).catch(() => undefined);
  }

  signal(to: string, kind: SignalKind, data: Record<string, unknown>): void {
    this.socket?.emit("signal", { to, kind, data });
  }

  report(peerId: string, reason: ReportReason, seq: number | null): void {
    const payload: Record<string, unknown> = { peer_id: peerId, reason };
    if (seq !== null) payload.seq = seq;
    this.socket?.emit("report", payload);
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
        if (err) reject(new SignalingError("timeout", `${event} got no answer`));
        else if ((ack as { ok?: unknown } | null)?.ok === true) resolve(ack);
        else reject(ackError(ack));
      });
    });
  }
}
