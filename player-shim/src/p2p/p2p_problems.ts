/**
 * Why P2P is not working, in words a web developer can act on: the console and
 * `swarmcast.stats().p2pProblem` show these instead of "websocket error".
 */

import type { Emitter } from "../events";
import { SignalingError } from "./signaling_client";

export interface ProblemContext {
  /** Signaling's URL + path as the engine used it ("https://sig.example.com/socket.io/"). */
  signalingUrl: string;
  /** This page's origin ("https://www.example.com"). */
  pageOrigin: string;
}

export interface P2PProblem {
  /** A stable code: a signaling error code (`origin-not-allowed`, `token-bad-mac`, …), `unreachable`, `api`. */
  code: string;
  message: string;
}

const TOKEN_CODES = new Set(["missing-token", "token-malformed", "token-bad-mac", "token-expired", "token-wrong-stream"]);

export function explainP2PFailure(error: unknown, context: ProblemContext): P2PProblem {
  const tail = "Playing from the origin only; P2P is retried later.";
  if (error instanceof SignalingError) {
    const detail = error.message.startsWith(`${error.code}: `) ? error.message.slice(error.code.length + 2) : error.message;
    if (error.code === "origin-not-allowed") {
      return { code: error.code, message: `Signaling at ${context.signalingUrl} refused this page: ${detail}. ${tail}` };
    }
    if (TOKEN_CODES.has(error.code)) {
      return {
        code: error.code,
        message:
          `Signaling at ${context.signalingUrl} refused the viewer token (${error.code}: ${detail}). ` +
          `The origin and every signaling node must share one token secret (SWARMCAST_TOKEN_SECRET). ${tail}`,
      };
    }
    if (error.code === "unreachable" || error.code === "timeout") {
      return {
        code: "unreachable",
        message:
          `Could not open a WebSocket to signaling at ${context.signalingUrl} (${detail}): the server is down or ` +
          `unreachable, a proxy in front of it does not pass WebSocket upgrades, or it does not accept pages from ` +
          `${context.pageOrigin} (an older server only says "websocket error" then). ${tail}`,
      };
    }
    if (error.code === "prefix-full") {
      return { code: error.code, message: `Signaling refused to add this viewer: too many viewers from this network are in the swarm. ${tail}` };
    }
    return { code: error.code, message: `Signaling at ${context.signalingUrl} refused to join (${error.code}: ${detail}). ${tail}` };
  }
  return { code: "api", message: `P2P could not start: ${String(error)}. ${tail}` };
}

/**
 * Tells a failed join to the page: a `warning` and a `signaling` event each time, the console once
 * per distinct reason (not per retry: a page developer reads it there).
 */
export class ProblemReporter {
  private last: string | null = null;

  constructor(
    private readonly emitter: Emitter,
    private readonly debug: boolean,
  ) {}

  failed(error: unknown, signalingUrl: string): void {
    this.emitter.emit("warning", { message: `P2P unavailable for now: ${String(error)}` });
    const problem = explainP2PFailure(error, { signalingUrl: signalingUrl || "(not reached)", pageOrigin: globalThis.location?.origin ?? "" });
    this.emitter.emit("signaling", { state: problem.code === "unreachable" ? "unreachable" : "refused", code: problem.code, message: problem.message });
    if (problem.message !== this.last) console.warn(`[swarmcast] ${problem.message}`);
    this.last = problem.message;
    if (this.debug) console.warn("[swarmcast] join failed", error);
  }

  /** Joined: the next failure is told again. */
  joined(): void {
    this.last = null;
  }
}
