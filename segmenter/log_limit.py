"""Log lines an attacker can trigger at will (refused connections, bad keys, fd exhaustion),
at most one per kind per interval; the next one says how many were left out."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


class RateLimitedLog:
    """`log(level, kind, msg, *args)`: like `logger.log`, but at most once per `interval_s` for
    each `kind` (a short fixed string, never attacker-chosen text, so the table stays small)."""

    def __init__(
        self,
        logger: logging.Logger,
        interval_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.interval_s = interval_s
        self._clock = clock
        self._next: dict[str, float] = {}
        self._left_out: dict[str, int] = {}

    def log(self, level: int, kind: str, msg: str, *args: object) -> bool:
        """True if the line was written."""
        now = self._clock()
        if now < self._next.get(kind, -float("inf")):
            self._left_out[kind] = self._left_out.get(kind, 0) + 1
            return False
        self._next[kind] = now + self.interval_s
        left_out = self._left_out.pop(kind, 0)
        if left_out:
            msg = f"{msg} (and {left_out} more like it in the last {self.interval_s:g} s)"
        self.logger.log(level, msg, *args)
        return True
