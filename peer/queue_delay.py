"""Whether this member's access link is queueing (pure; the shim's twin is
player-shim/src/p2p/queue_delay.ts, shared cases in tests/vectors/queue_delay.json): the evidence
that the uplink meter's backlog is the link's and not the receivers' or the CPU's, without which
the measured upload cap does not engage (peer/measured_cap.py).

A backlog in the data channels says only that bytes wait. On a small home uplink they wait for
the link, and its queue delays everything else the member sends, the ACKs of its own origin
downloads among them (bench/results/realistic-README.md series 9); on a fast link they wait for
a slow receiver or a busy CPU. What tells the two apart is the link's own queue: round trips
grow by the queue's delay on every link of a member whose access link is full. The browser reads
the ICE consent checks' round trips; aiortc reports none, so the Python peer hands in its SCTP
associations' smoothed round trip (RFC 4960 SRTT) once a second as one response.

Each link keeps its own base (the least round trip seen within `base_window_s`: paths differ,
TURN relays add their own); a sample's queue delay is its excess over that base. The link queues
when the median excess of the samples within `recent_s` (all links together) is at least
`threshold_s`, from `min_samples` samples on.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class QueueDelayConfig:
    base_window_s: float = 60.0  # seconds over which a link's least round trip is its base
    recent_s: float = 10.0  # seconds of recent samples the verdict is drawn from
    threshold_s: float = 0.05  # median excess over the bases from which the link queues
    min_samples: int = 3  # fewest recent samples for a verdict

    def __post_init__(self) -> None:
        if self.recent_s <= 0 or self.base_window_s < self.recent_s:
            raise ValueError("need 0 < recent_s <= base_window_s")
        if self.min_samples < 1:
            raise ValueError("min_samples must be >= 1")


@dataclass(frozen=True, slots=True)
class RoundTrips:
    """One link's cumulative round-trip counters."""

    total_s: float  # sum of the round trips measured so far
    responses: int  # responses those sums cover


class QueueDelay:
    def __init__(self, config: QueueDelayConfig | None = None) -> None:
        self.config = config or QueueDelayConfig()
        self._last: dict[str, RoundTrips] = {}
        self._samples: list[tuple[float, str, float]] = []  # (at, link, round trip s)

    def observe(self, now: float, links: Iterable[tuple[str, RoundTrips]]) -> None:
        """Links' counters at `now` (seconds): the round trips answered since a link's previous
        observation make one sample (their mean). Links not listed keep their counters."""
        for link, count in links:
            before = self._last.get(link)
            self._last[link] = count
            if before is None or count.responses <= before.responses:
                continue
            if count.total_s < before.total_s:
                continue
            rtt = (count.total_s - before.total_s) / (count.responses - before.responses)
            self._samples.append((now, link, rtt))
        window = self.config.base_window_s
        self._samples = [s for s in self._samples if now - s[0] <= window]

    def retain(self, live: Iterable[str]) -> None:
        """Forgets every link but `live` (closed links' samples and counters)."""
        keep = set(live)
        self._last = {link: c for link, c in self._last.items() if link in keep}
        self._samples = [s for s in self._samples if s[1] in keep]

    def excess_s(self, now: float) -> float | None:
        """The median excess over each link's base of the recent samples; None: too few."""
        base: dict[str, float] = {}
        for _, link, rtt in self._samples:
            base[link] = min(base.get(link, rtt), rtt)
        recent = [
            rtt - base[link] for at, link, rtt in self._samples if now - at <= self.config.recent_s
        ]
        if len(recent) < self.config.min_samples:
            return None
        return float(statistics.median(recent))

    def queueing(self, now: float) -> bool:
        """The access link queues now (see the module's docstring)."""
        excess = self.excess_s(now)
        return excess is not None and excess >= self.config.threshold_s
