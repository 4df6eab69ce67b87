/** Translation between the wire's REJECT reason codes and the scheduler's reason names. */

import { RejectReason } from "../protocol/wire";
import type { RejectReasonName } from "../scheduler/actions";

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
