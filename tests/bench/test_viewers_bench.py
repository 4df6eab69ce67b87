"""`swarmcast bench viewers`: the figures it derives from two snapshots of each viewer."""

from __future__ import annotations

import asyncio
import pstats
from pathlib import Path
from typing import Any

from swarmcast.bench import viewers_bench
from swarmcast.peer import cli as peer_cli


def snapshot(cpu: float, **stats: Any) -> dict[str, Any]:
    base = {
        "bytes_from_http": 0, "bytes_from_peers": 0, "bytes_uploaded": 0, "stalls": 0,
        "missed_deadlines": 0, "peers_connected": 3,
    }  # fmt: skip
    return {"cpu_s": cpu, "stats": {**base, **stats}}


def test_cpu_per_stream_second_per_mb_and_offload() -> None:
    start = [
        snapshot(1.0, bytes_from_http=100_000, frames={"sent": {"PIECE": 10}}),
        snapshot(2.0),  # older code: no frame counters yet
    ]
    end = [
        snapshot(
            2.5, bytes_from_http=600_000, bytes_from_peers=1_000_000, bytes_uploaded=500_000,
            frames={"sent": {"PIECE": 40, "HAVE_DELTA": 5}, "received": {"PIECE": 60}},
        ),
        snapshot(2.5, bytes_from_peers=1_500_000, bytes_uploaded=1_000_000, stalls=1),
    ]  # fmt: skip
    per_viewer = [viewers_bench._delta(e, s, 50.0) for s, e in zip(start, end, strict=True)]
    assert per_viewer[0]["frames"] == {
        "sent": {"HAVE_DELTA": 5, "PIECE": 30}, "received": {"PIECE": 60}
    }  # fmt: skip
    assert per_viewer[0]["cpu_per_stream_s"] == 0.03
    case = viewers_bench._case_figures(2, 1, 50.0, per_viewer, [0, 0])
    assert case["cpu_per_viewer_per_stream_s"] == 0.02  # 2 CPU s / (2 viewers x 50 s)
    assert case["cpu_s_per_MB_relayed"] == 0.5  # 2 CPU s / (2.5 MB in + 1.5 MB out)
    assert case["offload"] == 0.8333  # 2.5 MB from peers of 3 MB
    assert case["frames_per_viewer_s"] == 0.95  # 95 messages / (2 x 50 s)
    assert case["stalls"] == 1
    rows = viewers_bench.summarize(
        [case, {**case, "run": 2, "offload": 0.5}, {"viewers": 2, "error": "x"}]
    )
    assert rows[0]["runs"] == 2
    assert rows[0]["offload"] == {"median": 0.6666, "worst": 0.5}


def test_the_profile_switch_names_the_same_variable() -> None:
    assert viewers_bench.PROFILE_ENV == peer_cli.PROFILE_ENV


def test_profiled_run_writes_cpu_time_stats(tmp_path: Path) -> None:
    async def work() -> int:
        await asyncio.sleep(0)
        return sum(range(10_000)) and 0

    path = tmp_path / "viewer.prof"
    assert peer_cli._profiled(work(), path) == 0
    assert pstats.Stats(str(path)).total_calls > 0  # type: ignore[attr-defined]
