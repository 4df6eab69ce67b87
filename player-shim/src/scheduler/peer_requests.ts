/**
 * How much a neighbour is asked for, and what it is expected to send (pure; peer/peer_requests.py is
 * the same rules). The dealing loop itself is `PieceScheduler.requestFromPeers`.
 */

import type { DownloadBook } from "./download_book";
import { UNASSIGNED, type RemotePeer, type SegmentState } from "./download_state";
import type { SchedulerConfig } from "./scheduler_config";

/**
 * How many pieces `peer` may owe us: `requestPaceS` of them at the time per piece it has been taking
 * (at least one), at most `maxInflightPiecesPerPeer`. A slow holder's pieces left unasked stay free
 * for faster holders and, at the fallback point, for the origin.
 */
export function pacedLimit(config: SchedulerConfig, peer: RemotePeer): number {
  const limit = config.maxInflightPiecesPerPeer;
  if (config.requestPaceS <= 0 || peer.pieceTimeS <= 0) return limit;
  return Math.min(limit, Math.max(1, Math.ceil(config.requestPaceS / peer.pieceTimeS)));
}

/**
 * How many more pieces neighbours may be asked for in this pass (`slowLinkOwedS`): on a link slower
 * than the origin, while an origin fetch of ours runs, what they owe us in all stays within that
 * many seconds of our origin rate, at least one piece. null: not bounded.
 */
export function owedBudget(book: DownloadBook, config: SchedulerConfig, slowLink: boolean, httpRate: number): number | null {
  const owedS = config.slowLinkOwedS;
  if (owedS <= 0 || !slowLink || book.fetches.size === 0) return null;
  let piece = 0;
  for (const s of book.segments.values()) piece = Math.max(piece, s.pieceSize);
  if (piece <= 0) return null;
  const allowed = Math.max(1, Math.floor((httpRate * owedS) / piece));
  let owed = 0;
  for (const p of book.peers.values()) owed += p.inflightPieces();
  return allowed - owed;
}

/**
 * The run [first, end) of at most `limit` free pieces asked of a segment's one holder (announcing
 * `held`; null: all): the first at or after `offset` (drawn per member and segment), else the first
 * before it. Taken from the first free piece, every member asked a fresh copy's one holder for the
 * same pieces first and its uplink carried every copy alone (peer/peer_requests.py `spread_run`).
 */
export function spreadRun(segment: SegmentState, held: ReadonlySet<number> | null, limit: number, offset: number): [number, number] | null {
  return segment.freeRun(offset, limit, held) ?? segment.freeRun(0, limit, held);
}

/** The holders that announced at least one piece of `seq` (a word of an origin fetch with no piece yet has nothing to ask for). */
export function announcing(holders: readonly RemotePeer[], seq: number): RemotePeer[] {
  return holders.filter((p) => p.held(seq)?.size !== 0);
}

/**
 * Per neighbour, how many of `segment`'s free pieces (missing, asked of nobody) it is expected to
 * send: each piece it announced, split over the usable neighbours that announced it by their pace
 * (1 / `pieceTimeS`; a piece an unmeasured neighbour holds counts for nobody: it is asked first).
 * With `pacedLimit` a slow holder owes only a few pieces and the rest of its copy stays free: the
 * pace rule (`OriginGate.paceTakeoverAt`) adds this share to what it owes, or a sole slow holder
 * would look on pace until the deadline.
 */
export function freePieceShares(book: DownloadBook, now: number, segment: SegmentState): Map<string, number> {
  const shares = new Map<string, number>();
  const seq = segment.seq;
  const holders = announcing(book.usableHolders(now, seq), seq);
  if (holders.length === 0) return shares;
  for (let index = 0; index < segment.pieceCount; index += 1) {
    if (segment.have[index] || segment.owner[index] !== UNASSIGNED) continue;
    const withPiece = holders.filter((p) => {
      const held = p.held(seq);
      return held === null || held.has(index);
    });
    if (withPiece.length === 0 || withPiece.some((p) => p.pieceTimeS <= 0)) continue;
    let total = 0;
    for (const p of withPiece) total += 1 / p.pieceTimeS;
    for (const p of withPiece) shares.set(p.peerId, (shares.get(p.peerId) ?? 0) + 1 / p.pieceTimeS / total);
  }
  return shares;
}
