"""This member's upload capacity, measured only while its data channels are backlogged (pure;
the shim's twin is player-shim/src/p2p/uplink_meter.ts, shared cases in
tests/vectors/uplink_meter.json).

What a member uploads over some seconds is its demand, not its capacity: an idle viewer would look
like a tiny uplink. Bytes leaving the channels' send buffers while more than `backlog_bytes` wait
in them are paced by the link (or the transport's congestion control), so only those count.
A channel held back by its own path (a slow receiver, a TURN relay) backs up too while the uplink
has room: such windows read low, an underestimate (the side that costs offload, not stalls).
Two rules keep that underestimate bounded. A channel whose bytes have not left its buffer for
`stalled_s` has a receiver that stopped reading (or a dead path): its buffered bytes are not the
link's backlog. And a window slower than `floor_bytes_per_s` is dropped: no uplink that carries
P2P is that slow; such a reading says a receiver crawled. (The browser counts bytes that reached
the wire instead: Chromium drains `bufferedAmount` in bursts, player-shim/src/p2p/uplink_feed.ts.)

Backlogged windows still read demand on a loaded machine: of the 27 cable pages (1.26-1.57
Mbit/s up) capped in 22 realistic lab runs, 14 had moved 0.75-1.3 Mbit/s out of their channels
over 3 s before the estimate sank to 0.2-0.65 Mbit/s (bench/results/uplink-s48/README.md).
What left the buffers over `peak_span_s` is a floor under the link whatever the backlog: the
estimate is never below the best such rate of the last `peak_memory_s` seconds. The floor only
raises an estimate, it never makes one: a viewer that sent little has shown little.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class UplinkMeterConfig:
    # Bytes waiting (summed over the links: their queues and their channels' buffers) above
    # which the sender counts as backlogged: above a few pieces, so a short reply's tail does
    # not count.
    backlog_bytes: int = 65_536
    # Backlogged seconds that make one sample (bufferedAmount drops in chunks).
    window_s: float = 1.0
    # Half-lives, in backlogged seconds, of the two averages; the estimate is the smaller, so it
    # follows a slower link within seconds and a faster one more cautiously (hls.js's ABR
    # estimator does the same): overstating an uplink is what turns into neighbours' stalls.
    fast_half_life_s: float = 3.0
    slow_half_life_s: float = 9.0
    # Seconds without a byte leaving a channel's buffer after which its buffered bytes stop
    # counting as backlog: over a second without progress is a receiver that stopped reading
    # (or a dead path), not a busy link (which drains every channel's share within that time).
    stalled_s: float = 1.0
    # Window rates below this (bytes/s, 128 kbit/s) are not samples: no uplink that serves
    # P2P is that slow, and a reading that low comes from receivers, not the link.
    floor_bytes_per_s: float = 16_000.0
    # Seconds over which what left the buffers is a floor under the link (long enough that one
    # observation's timing moves it little), and how long such a floor holds.
    peak_span_s: float = 3.0
    peak_memory_s: float = 30.0
    # Relative rise of the estimate by the floor that counts as a new estimate (`observe` True).
    peak_step: float = 0.1


Channel = tuple[str, int, int]
"""(link id, bytes queued for the channel so far, how many of them wait now: the link's queue
and the channel's `bufferedAmount`; PeerLink.channel_count)."""


class UplinkMeter:
    """Feed `observe` before a frame joins an empty link queue, before every batch of frames
    handed to the channels and when one's buffer falls below its low-water mark (PeerLink's
    `on_flush`): waiting bytes then only grow at an observation, so when
    the total is at or above `backlog_bytes` at one, the sender was backlogged all the time
    since the previous one, and the bytes that left the buffers meanwhile measure the link."""

    def __init__(self, config: UplinkMeterConfig | None = None) -> None:
        self.config = config or UplinkMeterConfig()
        self._fast: float | None = None
        self._slow: float | None = None
        self._drained: dict[str, int] = {}
        # Per channel: since when its buffer has held bytes that did not move (stall clock).
        self._waiting_since: dict[str, float] = {}
        self._last_at: float | None = None
        self._bytes = 0
        self._seconds = 0.0
        # What left the buffers so far (every channel's bytes since its first observation).
        self._left = 0
        # (at, bytes left so far) back to the newest observation at least peak_span_s old.
        self._span: deque[tuple[float, int]] = deque()
        # (at, rate over a span ending then), rates decreasing: the best one within memory first.
        self._peaks: deque[tuple[float, float]] = deque()
        self._reported: float | None = None

    @property
    def rate_bytes_per_s(self) -> float | None:
        """The measured upload capacity (bytes/s), None until a window was backlogged."""
        if self._fast is None or self._slow is None:
            return None
        peak = self._peaks[0][1] if self._peaks else 0.0
        return max(min(self._fast, self._slow), peak)

    def capacity_bps(self) -> int | None:
        rate = self.rate_bytes_per_s
        return None if rate is None else round(rate * 8)

    def observe(self, now: float, channels: Iterable[Channel]) -> bool:
        """The channels' counters at `now`; True when this closed a window or the floor raised
        the estimate by `peak_step` (a new estimate). A channel seen for the first time only
        sets its baseline; one no longer listed (closed) is forgotten, its last bytes uncounted
        (an underestimate for one interval)."""
        drained: dict[str, int] = {}
        waiting_since: dict[str, float] = {}
        moved = buffered = 0
        for link_id, sent, in_buffer in channels:
            out = sent - in_buffer
            before = self._drained.get(link_id)
            drained[link_id] = out
            moved += 0 if before is None else max(0, out - before)
            # The stall clock restarts when bytes left the buffer or it was empty before.
            progressed = before is None or out > before
            since = now if progressed else self._waiting_since.get(link_id, now)
            if in_buffer > 0:
                waiting_since[link_id] = since
            if now - since < self.config.stalled_s:
                buffered += in_buffer  # a stalled channel's bytes are not the link's backlog
        self._drained, self._waiting_since = drained, waiting_since
        last, self._last_at = self._last_at, now
        if last is not None and now <= last:
            return False
        self._peak(now, moved)
        since = now if last is None else last
        backlogged = last is not None and buffered >= self.config.backlog_bytes
        windowed = backlogged and self._window(now - since, moved)
        rate = self.rate_bytes_per_s
        if rate is None:
            return False
        raised = self._reported is not None and rate >= self._reported * (1 + self.config.peak_step)
        if windowed or raised:
            self._reported = rate
        return windowed or raised

    def _window(self, seconds: float, moved: int) -> bool:
        """A backlogged interval; True when it closed a window with a sample."""
        self._bytes += moved
        self._seconds += seconds
        if self._seconds < self.config.window_s:
            return False
        rate, window = self._bytes / self._seconds, self._seconds
        self._bytes, self._seconds = 0, 0.0
        if rate < self.config.floor_bytes_per_s:
            return False  # receivers' pace, not the link's (see the module docstring)
        self._sample(rate, window)
        return True

    def _peak(self, now: float, moved: int) -> None:
        """What left the buffers over the last peak_span_s (or a little more): the floor."""
        cfg = self.config
        self._left += moved
        self._span.append((now, self._left))
        while len(self._span) > 1 and self._span[1][0] <= now - cfg.peak_span_s:
            self._span.popleft()
        while self._peaks and now - self._peaks[0][0] > cfg.peak_memory_s:
            self._peaks.popleft()
        start, left_then = self._span[0]
        if now - start < cfg.peak_span_s:
            return
        rate = (self._left - left_then) / (now - start)
        while self._peaks and self._peaks[-1][1] <= rate:
            self._peaks.pop()
        self._peaks.append((now, rate))

    def _sample(self, rate: float, seconds: float) -> None:
        cfg = self.config
        if self._fast is None or self._slow is None:
            self._fast = self._slow = rate
            return
        fast = 0.5 ** (seconds / cfg.fast_half_life_s)
        slow = 0.5 ** (seconds / cfg.slow_half_life_s)
        self._fast = fast * self._fast + (1 - fast) * rate
        self._slow = slow * self._slow + (1 - slow) * rate
