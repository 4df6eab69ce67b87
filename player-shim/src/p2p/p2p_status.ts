/**
 * Why P2P is off (or on but not helping) for this viewer: one plain reason for
 * `swarmcast.stats()`, the overlay and the beacons (docs/operator.md). Pure: the engine passes
 * what it knows; the first reason that applies wins.
 */

import type { OffReason, P2PMode } from "../protocol/beacon_schema";

export interface StatusInput {
  pageAllows: boolean;
  secureContext: boolean;
  banned: boolean;
  /** The signaling server refused the connection or the join: its error code. */
  signalingRefused: string | null;
  /** Signaling was tried and is not connected now. */
  signalingDown: boolean;
  /** The operator's control for this viewer (null before the first control). */
  operator: { mode: P2PMode; reason: OffReason | null } | null;
  joined: boolean;
  neighbours: number;
  /** Neighbour connections: attempts made, data channels opened, local ICE candidates sent. */
  attempts: number;
  successes: number;
  candidates: number;
  /** No attempt is still within its connect timeout. */
  attemptsSettled: boolean;
}

export interface P2PStatus {
  mode: P2PMode;
  reason: OffReason | null;
  text: string;
}

const TEXT: Record<OffReason, string> = {
  "page-opt-out": "turned off by this page",
  "insecure-context": "no secure context (crypto.subtle): peers' pieces cannot be verified",
  "signaling-refused": "signaling refused us",
  "signaling-unreachable": "signaling is unreachable",
  banned: "banned: reported by several peers",
  "operator-off": "the operator switched P2P off for this stream",
  "ramp-cohort": "not in the operator's ramp-up share of viewers",
  shadow: "shadow mode: peers connect, every byte from the origin",
  "no-ice-candidates": "the browser gathered no ICE candidates",
  "all-connections-failed": "every connection to a neighbour failed",
  "no-neighbours": "no other viewer of this rendition yet",
};

function off(reason: OffReason, detail = ""): P2PStatus {
  return { mode: "off", reason, text: detail ? `${TEXT[reason]} (${detail})` : TEXT[reason] };
}

export function p2pStatus(s: StatusInput): P2PStatus {
  if (!s.pageAllows) return off("page-opt-out");
  if (!s.secureContext) return off("insecure-context");
  if (s.banned) return off("banned");
  if (s.signalingRefused !== null) return off("signaling-refused", s.signalingRefused);
  if (s.operator && s.operator.mode === "off") return off(s.operator.reason ?? "operator-off");
  if (s.signalingDown) return off("signaling-unreachable");
  const mode: P2PMode = s.operator?.mode ?? "on";
  if (mode === "shadow") return { mode, reason: "shadow", text: TEXT.shadow };
  if (s.joined && s.successes === 0 && s.attemptsSettled) {
    if (s.attempts > 0 && s.candidates === 0) return { mode, reason: "no-ice-candidates", text: TEXT["no-ice-candidates"] };
    if (s.attempts > 0) return { mode, reason: "all-connections-failed", text: TEXT["all-connections-failed"] };
    if (s.neighbours === 0) return { mode, reason: "no-neighbours", text: TEXT["no-neighbours"] };
  }
  return { mode, reason: null, text: "on" };
}
