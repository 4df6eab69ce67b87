"""peer/uplink_meter.py: the shared cases (tests/vectors/uplink_meter.json, also run by vitest
against player-shim/src/p2p/uplink_meter.ts) and the rule behind them."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from swarmcast.peer.uplink_meter import UplinkMeter, UplinkMeterConfig

VECTORS = json.loads(
    (Path(__file__).resolve().parents[1] / "vectors" / "uplink_meter.json").read_text()
)


def test_vector_config_is_the_default() -> None:
    cfg = UplinkMeterConfig()
    assert VECTORS["config"] == {
        "backlog_bytes": cfg.backlog_bytes,
        "window_s": cfg.window_s,
        "fast_half_life_s": cfg.fast_half_life_s,
        "slow_half_life_s": cfg.slow_half_life_s,
        "stalled_s": cfg.stalled_s,
        "floor_bytes_per_s": cfg.floor_bytes_per_s,
        "peak_span_s": cfg.peak_span_s,
        "peak_memory_s": cfg.peak_memory_s,
        "peak_step": cfg.peak_step,
    }


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c["name"][:60])
def test_uplink_meter_vectors(case: dict[str, object]) -> None:
    meter = UplinkMeter()
    for step in case["steps"]:  # type: ignore[attr-defined]
        channels = [(c[0], c[1], c[2]) for c in step["channels"]]
        assert meter.observe(step["at"], channels) == step["changed"], step
        expected = step["rate_bytes_per_s"]
        if expected is None:
            assert meter.rate_bytes_per_s is None, step
        else:
            assert meter.rate_bytes_per_s is not None, step
            assert math.isclose(meter.rate_bytes_per_s, expected, rel_tol=1e-6), step


def test_idle_sender_is_not_a_small_uplink() -> None:
    """The flaw this module removes: a viewer that uploads little (no demand) reports nothing,
    not its demand; a backlogged one reports its link's rate in bits/s."""
    idle = UplinkMeter()
    for i in range(100):  # 10 s of one 16 KiB piece per 0.1 s, each gone before the next
        idle.observe(i * 0.1, [("a", i * 16_384, 0)])
    assert idle.capacity_bps() is None
    busy = UplinkMeter()
    for i in range(11):  # 2 s at 250 kB/s with 200 KiB always waiting
        busy.observe(i * 0.2, [("a", 204_800 + i * 50_000, 204_800)])
    assert busy.capacity_bps() == 2_000_000


def test_below_the_backlog_threshold_nothing_counts() -> None:
    cfg = UplinkMeterConfig()
    meter = UplinkMeter(cfg)
    under = cfg.backlog_bytes - 1
    for i in range(30):
        assert not meter.observe(i * 0.5, [("a", under + i * 10_000, under)])
    assert meter.rate_bytes_per_s is None


def test_what_left_is_a_floor_under_demand_paced_windows() -> None:
    """The lab's misread (bench/results/uplink-s48/README.md): a fast link serving bursts of
    demand is backlogged at some observations only, so its windows read the demand. Once 3 s
    moved 150 kB/s, the estimate never reads below that for peak_memory_s; without the floor
    (peak_span_s infinite) the windows' reading is all there is."""

    def lab_like(meter: UplinkMeter) -> list[float | None]:
        sent, seen = 0, []
        for i in range(41):  # 0-3 s: 150 kB/s, 128 KiB waiting; then 20 kB/s, 70 KiB waiting
            at = i * 0.25
            waiting = 131_072 if at < 3 else 71_680
            meter.observe(at, [("a", sent + waiting, waiting)])
            sent += 37_500 if at < 3 else 5_000
            seen.append(meter.rate_bytes_per_s)
        return seen

    floored = lab_like(UplinkMeter())
    assert floored[-1] is not None and math.isclose(floored[-1], 150_000, rel_tol=0.02)
    averages = lab_like(UplinkMeter(UplinkMeterConfig(peak_span_s=math.inf)))
    assert averages[-1] is not None and averages[-1] < 100_000


def test_the_floor_raises_an_estimate_but_never_makes_one() -> None:
    meter = UplinkMeter()
    for i in range(21):  # 5 s at 100 kB/s with nothing waiting: no backlogged window
        meter.observe(i * 0.25, [("a", i * 25_000, 0)])
    assert meter.rate_bytes_per_s is None
    meter = UplinkMeter()
    changes = []
    for i in range(21):  # 1 s backlogged at 25 kB/s, then 100 kB/s with little waiting
        waiting = 100_000 if i <= 4 else 1_000
        sent = i * 6_250 if i <= 4 else 25_000 + (i - 4) * 25_000
        changes.append(meter.observe(i * 0.25, [("a", sent + waiting, waiting)]))
    assert changes[4]  # the window
    assert meter.rate_bytes_per_s is not None and meter.rate_bytes_per_s > 70_000
    assert sum(changes[5:]) >= 1  # the floor's rise was reported
