/**
 * How a neighbour link opened, told to signaling as a `path` event (docs/protocol.md §4.2) so
 * matching learns which pairs connect directly (§4.4). Mirrors the Python peer
 * (peer/peer_node.py `link_open`): `relay` when either end of the selected ICE candidate pair is
 * a TURN relay candidate, else `direct`; nothing when no pair is known.
 */

import type { PathKind } from "../protocol/signaling_schema";
import type { Link } from "./peer_link";
import type { RoundTrips } from "./queue_delay";

/** Local and remote candidate types of a selected ICE pair (host, srflx, prflx, relay). */
export interface PairTypes {
  local: string;
  remote: string | null;
}

export function pathOf(pair: PairTypes): PathKind {
  return pair.local === "relay" || pair.remote === "relay" ? "relay" : "direct";
}

/** The transport's selected (else the nominated, succeeded) candidate pair's stats. */
function selectedPairStats(stats: Record<string, unknown>[]): Record<string, unknown> | undefined {
  const transport = stats.find((s) => s.type === "transport" && typeof s.selectedCandidatePairId === "string");
  return (
    stats.find((s) => s.id === transport?.selectedCandidatePairId) ??
    stats.find((s) => s.type === "candidate-pair" && s.nominated === true && s.state === "succeeded")
  );
}

/** The transport's selected (else the nominated, succeeded) pair's candidate types. */
export function selectedPair(report: RTCStatsReport): PairTypes | null {
  const stats = [...report.values()] as Record<string, unknown>[];
  const pair = selectedPairStats(stats);
  if (!pair) return null;
  const local = stats.find((s) => s.id === pair.localCandidateId);
  const remote = stats.find((s) => s.id === pair.remoteCandidateId);
  if (typeof local?.candidateType !== "string") return null;
  return { local: local.candidateType, remote: typeof remote?.candidateType === "string" ? remote.candidateType : null };
}

/** Sends `link`'s path once its selected pair is known (called when its data channel opens). */
export async function reportPath(link: Link, send: (path: PathKind) => void): Promise<void> {
  let pair: PairTypes | null = null;
  try {
    pair = (await link.selectedPair?.()) ?? null;
  } catch {
    return; // stats of a closed connection: nothing to tell
  }
  if (pair) send(pathOf(pair));
}

/**
 * Bytes the ICE transport has sent (DTLS records of SCTP packets, retransmissions included):
 * what left for the wire, unlike a data channel's `bufferedAmount`, which Chromium drains into
 * its SCTP send queue (the timeline's `uplink-wire` samples compare the two).
 */
export function transportBytesSent(report: RTCStatsReport): number | null {
  let total: number | null = null;
  for (const s of report.values() as IterableIterator<Record<string, unknown>>) {
    if (s.type === "transport" && typeof s.bytesSent === "number") total = (total ?? 0) + s.bytesSent;
  }
  return total;
}

/** The selected pair's consent-check round trips so far (queue_delay.ts); null: not reported. */
export function pairRoundTrips(report: RTCStatsReport): RoundTrips | null {
  const pair = selectedPairStats([...report.values()] as Record<string, unknown>[]);
  if (typeof pair?.totalRoundTripTime !== "number" || typeof pair.responsesReceived !== "number") return null;
  return { totalS: pair.totalRoundTripTime, responses: pair.responsesReceived };
}
