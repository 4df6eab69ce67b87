"""Finding 2 of issue 9 as a standing test: a few thousand connections from one address that
never finish their headers, against `swarmcast serve` (segmenter in the same process) whose
descriptor limit is lowered to 1024. No live segment is lost, no `Too many open files`, and
at least 99% of a viewer's requests are served. The 20,000-connection figure is
`swarmcast bench slowloris` (bench/slowloris_bench.py)."""

from __future__ import annotations

import asyncio
import resource
from pathlib import Path

import pytest

from swarmcast.bench.slowloris_bench import attack, live_origin

pytestmark = [pytest.mark.netns, pytest.mark.slow]

FD_LIMIT = 1024
CONNECTIONS = 3000


def test_slow_connections_lose_no_segment_and_starve_no_viewer(tmp_path: Path) -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # The attacker (a child process) needs a descriptor per connection too.
    connections = min(CONNECTIONS, hard - 256) if hard != resource.RLIM_INFINITY else CONNECTIONS
    assert connections > 2 * FD_LIMIT, f"hard descriptor limit {hard} too low for this test"
    with live_origin(tmp_path, FD_LIMIT) as origin:
        outcome = asyncio.run(attack(origin, connections, attack_s=12.0))
    print(outcome, f"served {outcome.served_fraction:.1%}")
    assert outcome.opened >= connections
    assert outcome.emfile_lines == 0
    assert outcome.segments_missing == 0
    assert outcome.segments_published >= 5  # the segmenter kept publishing meanwhile
    # The viewer asks serially for 8 s (attack_s - 4), each request on a fresh connection with a
    # 5 s timeout: that every one is served (below) is the behaviour. How many it gets through
    # is the speed of a machine whose two cores also run the 3000-connection attacker: 17 in a
    # fresh-clone CI of session 23, 7 (all served) in one of session 46. The floor only says the
    # viewer kept getting answers (a playlist and a segment every 4 s).
    assert outcome.requests >= 4
    assert outcome.served_fraction >= 0.99
    assert outcome.origin_log_lines < 200  # refusals are rate-limited, not one line each
