"""The simulator's clock: a min-heap of (time, insertion order, callback, args)."""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any


class EventQueue:
    """Discrete-event loop. Ties run in insertion order, so runs are reproducible."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callable[..., None], tuple[Any, ...]]] = []
        self._order = 0
        self.now = 0.0
        self.events = 0

    def at(self, when: float, fn: Callable[..., None], *args: Any) -> None:
        self._order += 1
        heapq.heappush(self._heap, (when if when > self.now else self.now, self._order, fn, args))

    def run_until(self, end: float) -> None:
        heap = self._heap
        pop = heapq.heappop
        count = 0
        while heap and heap[0][0] <= end:
            when, _, fn, args = pop(heap)
            self.now = when
            fn(*args)
            count += 1
        self.events += count
        self.now = end
