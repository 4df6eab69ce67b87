"""An upload cap from the measured uplink, for peers configured with none (pure; the shim's twin is
player-shim/src/p2p/measured_cap.ts, shared cases in tests/vectors/measured_cap.json).

A member that uploads at its full uplink queues its own origin requests and ACKs behind the backlog:
on a 150 kbit/s uplink its fallback fetches then land late and it stalls (the realistic lab,
bench/results/realistic-README.md series 5: a cap of 0.8 x the uplink cut the browsers' stall time
3-4x at the same offload). So the cap is `share` of the capacity peer/uplink_meter.py measured while
the channels were backlogged, and the slots follow it (OperatorControl.upload_limits).

Only on a small uplink that queues: one that cannot carry `small_below_x` copies of the stream's
bitrate, measured while the access link itself was queueing (peer/queue_delay.py: round trips
above each link's base; here the SCTP associations' SRTT, in the shim the ICE consent checks'). On
such an uplink every window is the link's (the browsers' meter read 144-154
kbit/s links within 5-15 %, realistic-README series 9); elsewhere a backlog is often a slow
receiver's or a busy renderer's (cable links of 1.3-1.6 Mbit/s read 0.6-1.0; the flash lab's
uncapped links 0.3-0.8 on 8 of 24 pages), and a cap from it starved honest uploaders and the flash
crowd. Once engaged the cap holds while the uplink stays small: capped, the link stops queueing.
Small, once engaged, is against the heaviest stream seen since: a switch to a lighter rendition
does not lift the cap of an uplink that was queueing.
`share` leaves room for the ACKs of the member's own downloads (~3 % of its downlink, a fifth of a
150 kbit/s uplink beside a 1 Mbit/s downlink) and the meter's few percent high.

Once capped below its link a member's channels no longer back up, so the meter cannot see a faster
link (or a first estimate that read low): every `probe_every_s` the cap is lifted for `probe_for_s`,
and what the meter measures meanwhile becomes the next cap. The slots stay during a probe (lifting
them would unchoke and choke neighbours every probe). Small moves of the estimate (below
`min_change`) keep the cap: each change restarts the scheduler's token bucket.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MeasuredCapConfig:
    share: float = 0.7  # the cap as a share of the measured capacity (0: caps nothing)
    probe_every_s: float = 30.0  # seconds a cap holds before it is lifted for a probe
    probe_for_s: float = 5.0  # seconds a probe lasts
    min_change: float = 0.1  # relative change of the estimate below which the cap stays
    small_below_x: float = 1.0  # capped only below this many copies of the stream's bitrate

    def __post_init__(self) -> None:
        if not 0 <= self.share <= 1:
            raise ValueError("share must be in [0, 1]")
        if self.probe_every_s <= 0 or self.probe_for_s < 0:
            raise ValueError("probe times must be positive")
        if self.small_below_x < 0:
            raise ValueError("small_below_x must be >= 0")


@dataclass(frozen=True, slots=True)
class MeasuredLimits:
    rate_bytes_per_s: float | None  # the cap now; None: none (probing)
    budget_bps: int  # what the slots follow, probing or not


class MeasuredUploadCap:
    def __init__(self, config: MeasuredCapConfig | None = None) -> None:
        self.config = config or MeasuredCapConfig()
        self._capacity: float | None = None  # bytes/s the cap is a share of
        self._phase_start = 0.0  # when the current phase (capped or probing) began
        self._probing = False
        self._engaged = False  # small and seen queueing: capped until not small
        # The heaviest stream seen while engaged: the uplink stays small for it after a switch
        # to a lighter rendition (0: not engaged).
        self._engaged_bps = 0.0

    def measured(self, now: float, rate_bytes_per_s: float) -> None:
        """A new estimate from the uplink meter (bytes/s) at `now` (seconds)."""
        held = self._capacity
        if held is None:
            self._capacity = rate_bytes_per_s
            self._phase_start = now
        elif abs(rate_bytes_per_s - held) >= self.config.min_change * held:
            self._capacity = rate_bytes_per_s

    def at(self, now: float, stream_bps: float | None, queueing: bool) -> MeasuredLimits | None:
        """The limits at `now` (non-decreasing) for a stream of `stream_bps` (bits/s; None:
        unknown) while the access link is `queueing` or not; None: nothing measured yet, share
        0, or an uplink not (yet) known to be small and queueing."""
        capacity = self._capacity
        if capacity is None or self.config.share <= 0:
            return None
        budget = round(capacity * self.config.share * 8)
        length = self.config.probe_for_s if self._probing else self.config.probe_every_s
        if now >= self._phase_start + length:
            self._probing = not self._probing
            self._phase_start = now
        # Engaged, the uplink is judged against the heaviest stream it was small for: after a
        # down-switch to a rung it can carry once, an uncapped small uplink filled again and its
        # ACKs queued behind it (realistic lab, bench/results/realistic-README.md series 17).
        # An unknown stream (a new session before its first segment) keeps an engaged cap.
        heaviest = max(stream_bps or 0.0, self._engaged_bps)
        small = heaviest > 0 and capacity * 8 < self.config.small_below_x * heaviest
        self._engaged = small and (self._engaged or queueing)
        self._engaged_bps = heaviest if self._engaged else 0.0
        if not self._engaged:
            return None
        return MeasuredLimits(None if self._probing else capacity * self.config.share, budget)
