/**
 * Translation between the pure scheduler's vocabulary and wire frames (peer/wire_translate.py):
 * which frame an action sends, and the REJECT reason codes. No I/O, no policy.
 */

import { CAPABILITY_ORIGIN_RATE, haveFromSeqs, havePiecesFrom, RejectReason, type WireMessage } from "../protocol/wire";
import type { RejectReasonName, SchedulerAction } from "../scheduler/actions";
import type { SegmentStore } from "./segment_store";

export const REJECT_NAMES: Record<number, RejectReasonName> = {
  [RejectReason.NOT_HAVE]: "not_have",
  [RejectReason.BUSY]: "busy",
  [RejectReason.CHOKED]: "choked",
  [RejectReason.BAD_REQUEST]: "bad_request",
};

export const REJECT_CODES: Record<RejectReasonName, RejectReason> = {
  not_have: RejectReason.NOT_HAVE,
  busy: RejectReason.BUSY,
  choked: RejectReason.CHOKED,
  bad_request: RejectReason.BAD_REQUEST,
};

/** The frame a peer-addressed action sends (null: not a single-peer frame, or nothing to send). */
export function frameFor(action: SchedulerAction, store: SegmentStore): WireMessage | null {
  switch (action.action) {
    case "request":
      return { type: "request", requestId: action.requestId, seq: action.seq, firstPiece: action.firstPiece, pieceCount: action.pieceCount };
    case "cancel":
      return { type: "cancel", requestId: action.requestId };
    case "send_have":
      return haveFromSeqs(action.seqs);
    case "send_piece": {
      const data = store.get(action.seq)?.piece(action.index);
      return data ? { type: "piece", requestId: action.requestId, seq: action.seq, index: action.index, data } : null;
    }
    case "reject":
      return { type: "reject", requestId: action.requestId, reason: REJECT_CODES[action.reason] };
    case "choke":
    case "unchoke":
      return { type: action.action };
    default:
      return null;
  }
}

/** The frame an action sends to every neighbour (null: not a broadcast). */
export function broadcastFrame(action: SchedulerAction): WireMessage | null {
  return action.action === "announce_pieces" ? havePiecesFrom(action.seq, action.pieces, action.originRate) : null;
}

/**
 * `frame` as a neighbour with these HELLO capabilities can decode it: HAVE_PIECES loses its
 * origin rate unless the neighbour set CAPABILITY_ORIGIN_RATE (older decoders refuse it).
 */
export function frameForNeighbour(frame: WireMessage, capabilities: number): WireMessage {
  if (frame.type === "have_pieces" && frame.originRate !== 0 && (capabilities & CAPABILITY_ORIGIN_RATE) === 0) {
    return { ...frame, originRate: 0 };
  }
  return frame;
}
