"""How many bytes a neighbour link hands its data channel ahead of the wire (pure;
player-shim/src/p2p/channel_window.ts is the same rule, shared cases in
tests/vectors/channel_window.json).

What a data channel has been handed is committed: a CANCEL cannot take it back, and HAVE, REQUEST
and CANCEL frames queue behind it. With a fixed 1 MiB high-water mark a browser on a 1.3 Mbit/s
uplink held 0.3-0.4 MB in its channels (2-3 s), and 24-46 % of the bytes uploaded in the realistic
lab reached a neighbour that had cancelled them (docs/open-work.md, session 36). So the mark
follows the link: about `buffer_s` of what left the channel while frames waited in the link's own
queue (the channel set the pace), between `min_bytes` and `max_bytes`; the rest waits in the
link's queue, where a CANCEL drops it (PeerLink.purge).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class ChannelWindowConfig:
    min_bytes: int = 32_768
    """The smallest high-water mark: two pieces keep a slow link busy between refills."""
    max_bytes: int = 1_048_576
    """The largest."""
    buffer_s: float = 0.25
    """Seconds of the link's measured pace the channel may hold."""
    sample_s: float = 0.5
    """Backlogged seconds that make one pace sample."""

    def __post_init__(self) -> None:
        if not (0 < self.min_bytes <= self.max_bytes and self.buffer_s > 0 and self.sample_s > 0):
            raise ValueError(
                "channel window: need 0 < min_bytes <= max_bytes, buffer_s > 0, sample_s > 0"
            )


class ChannelWindow:
    def __init__(self, config: ChannelWindowConfig | None = None) -> None:
        self.config = config or ChannelWindowConfig()
        self.high_water = self.config.min_bytes
        """Stop handing the channel frames at or above this many buffered bytes."""
        self._since: tuple[float, int] | None = None

    @property
    def low_water(self) -> int:
        """Resume handing frames below this (`bufferedamountlow`)."""
        return self.high_water // 2

    def observe(self, now: float, drained: int, backlogged: bool) -> None:
        """After each hand-over: `drained` is the bytes that have left the channel's buffer so
        far, `backlogged` whether frames still wait in the link's queue (the channel, not our
        demand, set the pace since the previous call if it did then too)."""
        if not backlogged:
            self._since = None
            return
        if self._since is None or drained < self._since[1]:
            self._since = (now, drained)
            return
        seconds = now - self._since[0]
        if seconds < self.config.sample_s:
            return
        pace = (drained - self._since[1]) / seconds
        cfg = self.config
        mark = min(cfg.max_bytes, max(cfg.min_bytes, pace * cfg.buffer_s))
        self.high_water = math.floor(mark + 0.5)  # the TypeScript port's Math.round
        self._since = (now, drained)
