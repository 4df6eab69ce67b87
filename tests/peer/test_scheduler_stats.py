"""The scheduler's counters as the stats JSON lists them."""

from __future__ import annotations

import dataclasses

from swarmcast.peer.scheduler_stats import SchedulerStats


def test_stats_json_lists_every_counter_in_order() -> None:
    stats = SchedulerStats(bytes_from_http=5, segments_completed=2)
    assert stats.to_json() == dataclasses.asdict(stats)
    assert list(stats.to_json()) == [f.name for f in dataclasses.fields(SchedulerStats)]
