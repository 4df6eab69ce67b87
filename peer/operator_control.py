"""The Python peer's side of the operator's per-stream control (docs/protocol.md §4.7), with no
I/O: which control is current (newest version wins), what it means for this peer (on, off or
shadow, and why: the same `effective_mode` as the shim), its upload limits under the policy,
what shadow mode would have saved, and the upload capacity its beacons report.
`peer.swarm_membership` carries the mode changes out (leave, rejoin, links)."""

from __future__ import annotations

from dataclasses import dataclass

from swarmcast.peer.measured_cap import MeasuredLimits
from swarmcast.protocol.beacon_schema import Control, P2PMode, effective_mode

SLOT_BPS = 1_000_000  # upload budget per upload slot (signaling's good_upload_bps per link)


def slots_for_budget(budget_bps: float, max_slots: int, slot_bps: float = SLOT_BPS) -> int:
    """One upload slot per `slot_bps` of upload budget, at least one, at most `max_slots`: a
    1 Mbit/s uplink serving eight neighbours at once would trickle every piece past its
    deadline, so it serves one and the others ask elsewhere (operator_link.ts `uploadLimits`)."""
    return min(max_slots, max(1, int(budget_bps // slot_bps)))


SHADOW_HAVE_WINDOW = 64  # segments remembered per neighbour for the "would have saved" count


@dataclass(frozen=True, slots=True)
class UploadLimits:
    rate_bytes_per_s: float | None  # None: no cap
    slots: int


class OperatorControl:
    """`viewer_key`: the stable ramp-up key; `page_allows`: the peer's own wish (`--no-p2p`),
    which can opt out, never in. `rate`/`slots`: the configured upload limits."""

    def __init__(
        self,
        viewer_key: str,
        *,
        page_allows: bool = True,
        rate_bytes_per_s: float | None = None,
        slots: int = 8,
        budget_bps: int = 0,
        slot_bps: int = SLOT_BPS,
    ) -> None:
        self.viewer_key = viewer_key
        self.page_allows = page_allows
        self.control: Control | None = None
        self.mode: P2PMode = "on" if page_allows else "off"
        self.reason: str | None = None if page_allows else "page-opt-out"
        self.shadow_saved_bytes = 0
        self._rate, self._slots, self._budget = rate_bytes_per_s, slots, budget_bps
        self._slot_bps = slot_bps
        self._shadow_holders: dict[str, set[int]] = {}

    def apply(self, control: Control) -> bool:
        """Take a control (an ack's or a pushed one; older versions are ignored). True when
        this peer's mode or reason changed."""
        current = self.control
        if current is not None and control.version < current.version:
            return False
        self.control = control
        mode, reason = effective_mode(control, self.viewer_key, self.page_allows)
        changed = (mode, reason) != (self.mode, self.reason)
        self.mode, self.reason = mode, reason
        return changed

    def upload_limits(self, measured: MeasuredLimits | None = None) -> UploadLimits:
        """The configured cap narrowed by the policy's `cap_bps` (0: upload nothing), and as
        many slots as the budget gives each at least `slot_bps` (at least one, at most the
        configured slots): a 1 Mbit/s uplink serving eight neighbours at once would trickle
        every piece past its deadline, so it serves one and the others ask elsewhere. With no
        configured cap, `measured` (peer/measured_cap.py) gives the cap (None while probing)
        and a budget for the slots."""
        from_measurement = measured if self._rate is None else None
        rate = self._rate
        if from_measurement is not None:
            rate = from_measurement.rate_bytes_per_s
        cap = self.control.upload.cap_bps if self.control is not None else None
        if cap is not None:
            rate = cap / 8 if rate is None else min(rate, cap / 8)
        if rate == 0:
            return UploadLimits(None, 0)
        given = (self._budget, None if rate is None else rate * 8)
        measured_budget = None if from_measurement is None else from_measurement.budget_bps
        budgets = [b for b in (*given, measured_budget) if b]
        slots = self._slots
        if budgets and self._slot_bps > 0:
            slots = slots_for_budget(min(budgets), slots, self._slot_bps)
        return UploadLimits(rate, slots)

    def budget_bps(self) -> int:
        """The upload budget to announce when joining (docs/protocol.md §4.2): the configured
        budget narrowed by the upload cap, the cap alone when no budget is set, else 0."""
        limits = self.upload_limits()
        if limits.slots == 0:
            return 0
        budgets = [self._budget] if self._budget > 0 else []
        if limits.rate_bytes_per_s is not None:
            budgets.append(round(limits.rate_bytes_per_s * 8))
        return min(budgets) if budgets else 0

    # -- shadow mode -------------------------------------------------------------------------

    def neighbour_has(self, peer_id: str, seqs: list[int]) -> None:
        """A neighbour's announcement while in shadow mode (never given to the scheduler)."""
        held = self._shadow_holders.setdefault(peer_id, set())
        held.update(seqs)
        while len(held) > SHADOW_HAVE_WINDOW:
            held.discard(min(held))

    def neighbour_gone(self, peer_id: str) -> None:
        self._shadow_holders.pop(peer_id, None)

    def fetched_from_origin(self, seq: int, size: int) -> None:
        """Origin bytes of `seq`; in shadow mode a neighbour holding it would have saved them."""
        if self.mode == "shadow" and any(seq in held for held in self._shadow_holders.values()):
            self.shadow_saved_bytes += size

    def forget_neighbours(self) -> None:
        self._shadow_holders.clear()

    # -- upload capacity (beacons) -----------------------------------------------------------

    def upload_capacity_bps(self, measured_bps: int | None) -> int | None:
        """What beacons report: the cap when there is one (0: uploads nothing), else the
        announced budget, else `measured_bps`, the capacity measured while the data channels
        were backlogged (peer/uplink_meter.py; None: unknown). Never the rate the peer happened
        to upload at: that is its neighbours' demand, and an idle peer would look like a tiny
        uplink to signaling's matcher."""
        limits = self.upload_limits()
        if limits.slots == 0:
            return 0
        if limits.rate_bytes_per_s is not None:
            return round(limits.rate_bytes_per_s * 8)
        if self._budget > 0:
            return self._budget
        return measured_bps
