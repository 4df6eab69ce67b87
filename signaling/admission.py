"""Per-connection event admission: token buckets and the flood cut-off (docs/protocol.md §4.5).
Pure: `now` (monotonic seconds) is passed in; the server acts on the verdict.

A connection over its rate limit gets its events refused (an ack `rate-limited`, and one
`error` event when a run of refusals starts). Once it has been refused `max_refusals` times
within `window_s`, the refusal that reaches the cap is the last answer it gets: the server
closes it, and anything it sent after that is dropped unanswered. Allowed events in between
do not reset the count, so a flood paced just above the refill rate is still cut off.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass, field

from swarmcast.protocol.token_bucket import TokenBucket


class Verdict(enum.Enum):
    ALLOW = "allow"
    REFUSE = "refuse"  # ack `rate-limited`
    REFUSE_AND_WARN = "refuse-and-warn"  # ... plus an `error` event: a run of refusals starts
    REFUSE_AND_CLOSE = "refuse-and-close"  # ... the last answer: close the connection
    DROP = "drop"  # closing: no answer at all


@dataclass
class EventGate:
    events: TokenBucket
    joins: TokenBucket
    max_refusals: int
    window_s: float
    _refusals: deque[float] = field(default_factory=deque)
    closing: bool = False

    def admit(self, is_join: bool, now: float) -> Verdict:
        if self.closing:
            return Verdict.DROP
        allowed = self.events.try_consume(now)
        if allowed and is_join:
            allowed = self.joins.try_consume(now)
        while self._refusals and self._refusals[0] <= now - self.window_s:
            self._refusals.popleft()
        if allowed:
            return Verdict.ALLOW
        starts = not self._refusals
        self._refusals.append(now)
        if len(self._refusals) >= self.max_refusals:
            self.closing = True
            return Verdict.REFUSE_AND_CLOSE
        return Verdict.REFUSE_AND_WARN if starts else Verdict.REFUSE
