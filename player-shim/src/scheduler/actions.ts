/**
 * What the pure scheduler asks its adapter to do (peer/scheduler_actions.py). `actionToJson` gives
 * the snake_case form the shared scenario files match on.
 */

export type RejectReasonName = "not_have" | "busy" | "choked" | "bad_request";
export type AbandonReason = "silent" | "slow";
export type DropReason = "bad_piece" | "protocol_error";

export type SchedulerAction =
  /** Send REQUEST to `peer`. */
  | { action: "request"; peer: string; requestId: number; seq: number; firstPiece: number; pieceCount: number }
  /** Send CANCEL: those pieces are no longer wanted from `peer`. */
  | { action: "cancel"; peer: string; requestId: number }
  /** GET pieces [firstPiece, firstPiece + pieceCount) of `seq` from the origin (Range unless whole). */
  | { action: "http_fetch"; fetchId: number; seq: number; firstPiece: number; pieceCount: number }
  /** `peer` was silent or slow: no new requests for a while; the connection stays up. */
  | { action: "abandon_peer"; peer: string; reason: AbandonReason }
  /** Send GOODBYE, close the connection, report `peer` to signaling. */
  | { action: "drop_peer"; peer: string; reason: DropReason }
  /** `seq` is complete and verified: HAVE_DELTA to every neighbour. */
  | { action: "announce_have"; seq: number }
  /**
   * We hold part of `seq` (verified `pieces`; none yet when an origin fetch just started): send
   * HAVE_PIECES to every neighbour (cut-through). `originRate`: how fast our origin fetch of it
   * arrives, bytes/s, or for a relayed copy the rate its fetcher said (0: none).
   */
  | { action: "announce_pieces"; seq: number; pieces: number[]; originRate: number }
  /** Send HAVE with exactly `seqs` to `peer` (on connect). */
  | { action: "send_have"; peer: string; seqs: number[] }
  /** Send PIECE with the stored bytes of that piece. */
  | { action: "send_piece"; peer: string; requestId: number; seq: number; index: number }
  | { action: "reject"; peer: string; requestId: number; reason: RejectReasonName }
  | { action: "choke"; peer: string }
  | { action: "unchoke"; peer: string }
  /** `seq` was not complete when the playhead reached it (a stall). */
  | { action: "deadline_missed"; seq: number };

/**
 * Optional observer of the scheduler's decisions (a timeline, a debugger): called at the moment it
 * starts an HTTP fetch (`kind` = why: election-turn, blocked-no-holder, fallback-takeover,
 * pace-takeover, race-takeover, catch-up, seeder, no-deadline), opens a peer request
 * (peer-request), gives holders a round (peer-round), schedules a live election (election-wait) or
 * abandons a peer (abandon-peer; `seq` -1). Never changes policy.
 */
export type DecisionHook = (now: number, seq: number, kind: string, detail: Record<string, unknown>) => void;

function camelToSnake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export function actionToJson(action: SchedulerAction): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(action)) out[camelToSnake(key)] = value;
  return out;
}
