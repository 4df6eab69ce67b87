/**
 * The engine's signaling client: how signaling's events reach the joined swarm session and the
 * engine (neighbours, WebRTC signals, refusals, the operator's control, reconnects). Split from
 * p2p_engine.ts; the join itself is in swarm_membership.ts.
 */

import type { SwarmcastOptions } from "../config";
import type { Emitter } from "../events";
import { fetchToken, type ApiConfig } from "./api_client";
import type { OperatorLink } from "./operator_link";
import { SignalingClient, type JoinResult, type SignalingOptions } from "./signaling_client";
import type { SwarmSession } from "./swarm_session";

/** What signaling's events act on. */
export interface SignalingHost {
  readonly options: SwarmcastOptions;
  readonly emitter: Emitter;
  readonly operator: OperatorLink;
  fetchFn(url: string, init: RequestInit): Promise<Response>;
  /** The joined session (null while not joined). */
  session(): SwarmSession | null;
  /** Signaling banned this viewer. */
  banned(): void;
  /** A reconnect: the server forgot the membership (rejoin with fresh neighbours). */
  reconnected(): void;
  /** Opens the socket (tests: a fake server); absent: socket.io-client's `io`. */
  readonly openSocket?: SignalingOptions["openSocket"];
}

/** A client for `stream` on the signaling server the API config names (not connected yet). */
export function createSignaling(host: SignalingHost, api: ApiConfig, stream: string): SignalingClient {
  const { emitter } = host;
  return new SignalingClient({
    url: api.signaling.url,
    path: api.signaling.path,
    namespace: api.signaling.namespace,
    timeoutMs: host.options.signalingTimeoutMs,
    openSocket: host.openSocket,
    token: () => fetchToken(host.options, stream, api, (url, init) => host.fetchFn(url, init)),
    handlers: {
      neighbours: (swarm, add, remove) => {
        const session = host.session();
        if (!session || swarm !== session.swarm) return;
        for (const id of remove) session.removeNeighbour(id, "removed by signaling");
        for (const n of add) session.addNeighbour(n);
      },
      signal: (from, kind, data) => host.session()?.handleSignal(from, kind, data),
      error: (code, message) => {
        emitter.emit("warning", { message: `signaling ${code}: ${message}` });
        if (code === "banned") host.banned();
      },
      disconnected: (reason) => {
        emitter.emit("warning", { message: `signaling disconnected: ${reason}` });
        emitter.emit("signaling", { state: "disconnected", code: null, message: `signaling disconnected (${reason}); reconnecting` });
      },
      control: (control) => host.operator.apply(control),
      reconnected: () => {
        void host.operator.send(); // the new connection hears the control in the ack
        host.reconnected();
      },
    },
  });
}

/**
 * The ICE configuration of a joined session: the page's servers, else the join's, else the API
 * config's. A relay-only stream needs the join's per-viewer TURN credentials, whatever the page set.
 */
export function sessionRtcConfig(joined: JoinResult, pageIceServers: RTCIceServer[] | null, api: ApiConfig): RTCConfiguration {
  const iceServers =
    joined.iceTransportPolicy === "relay" ? joined.iceServers : (pageIceServers ?? (joined.iceServers.length > 0 ? joined.iceServers : api.iceServers));
  return { iceServers, iceTransportPolicy: joined.iceTransportPolicy };
}
