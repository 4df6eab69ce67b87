"""peer/measured_cap.py: the shared cases (tests/vectors/measured_cap.json, also run by vitest
against player-shim/src/p2p/measured_cap.ts), the config's checks, and the peer applying it."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from swarmcast.peer.measured_cap import MeasuredCapConfig, MeasuredLimits, MeasuredUploadCap
from swarmcast.peer.operator_control import OperatorControl
from swarmcast.peer.queue_delay import QueueDelay
from swarmcast.peer.swarm_membership import SwarmMembership

VECTORS = json.loads(
    (Path(__file__).resolve().parents[1] / "vectors" / "measured_cap.json").read_text()
)


def test_vector_config_is_the_default() -> None:
    cfg = MeasuredCapConfig()
    assert VECTORS["config"] == {
        "share": cfg.share,
        "probe_every_s": cfg.probe_every_s,
        "probe_for_s": cfg.probe_for_s,
        "min_change": cfg.min_change,
        "small_below_x": cfg.small_below_x,
    }


@pytest.mark.parametrize("case", VECTORS["cases"], ids=lambda c: c["name"][:60])
def test_measured_cap_vectors(case: dict[str, Any]) -> None:
    cap = MeasuredUploadCap()
    for step in case["steps"]:
        if "measured" in step:
            cap.measured(step["at"], step["measured"])
            continue
        got = cap.at(step["at"], step["stream_bps"], step["queueing"])
        expected = step["expect"]
        if expected is None:
            assert got is None, step
            continue
        assert got is not None, step
        assert got.budget_bps == expected["budget_bps"], step
        if expected["rate_bytes_per_s"] is None:
            assert got.rate_bytes_per_s is None, step
        else:
            assert got.rate_bytes_per_s is not None, step
            assert math.isclose(got.rate_bytes_per_s, expected["rate_bytes_per_s"], rel_tol=1e-9)


def test_share_zero_caps_nothing() -> None:
    cap = MeasuredUploadCap(MeasuredCapConfig(share=0.0))
    cap.measured(0.0, 100_000)
    assert cap.at(1.0, 10_000_000, True) is None


@pytest.mark.parametrize(
    "kwargs", [{"share": 1.5}, {"share": -0.1}, {"probe_every_s": 0.0}, {"probe_for_s": -1.0}]
)
def test_config_refuses_nonsense(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        MeasuredCapConfig(**kwargs)


def test_limits_are_plain_values() -> None:
    cap = MeasuredUploadCap()
    cap.measured(0.0, 10_000)
    assert cap.at(0.0, 100_000, True) == MeasuredLimits(7_000.0, 56_000)


def test_the_scheduler_follows_the_measured_cap_and_hears_each_change_once() -> None:
    """SwarmMembership.apply_upload_limits: the configured limits until a measurement, then 0.7
    of it with the slots it buys, no rate cap while probing; unchanged limits are not re-sent
    (each restarts the scheduler's token bucket). The stream's bitrate comes from the
    scheduler (`stream_bitrate_bps`, the latest segment's); the cap engages once the links'
    SCTP round trips (sampled each second, `_sample_round_trips`) say the access link queues."""
    clock = [0.0]
    calls: list[tuple[float | None, int]] = []
    sched = SimpleNamespace(
        set_upload_limits=lambda _now, rate, slots: calls.append((rate, slots)),
        stream_bitrate_bps=300_000.0,
    )
    srtt = [0.01]
    link = SimpleNamespace(sctp_round_trip_s=lambda: srtt[0])
    node = SimpleNamespace(
        operator=OperatorControl("viewer-1"),
        upload_cap=MeasuredUploadCap(),
        queue_delay=QueueDelay(),
        _round_trips={},
        links={"A": link},
        _applied_limits=None,
        now=lambda: clock[0],
        sched=sched,
    )

    def apply() -> None:
        SwarmMembership.apply_upload_limits(cast(SwarmMembership, node))

    def sample() -> None:
        SwarmMembership._sample_round_trips(cast(SwarmMembership, node))

    apply()
    apply()
    assert calls == [(None, 8)]  # nothing measured: the configured limits, once
    node.upload_cap.measured(0.0, 18_750)  # 150 kbit/s, below the 300 kbit/s stream
    for _ in range(4):
        sample()
    apply()
    assert calls == [(None, 8)]  # the link does not queue: a receiver's backlog, no cap
    srtt[0] = 0.25
    for _ in range(3):
        sample()
    apply()
    assert calls[-1] == (pytest.approx(13_125), 1)
    clock[0] = 30.0
    apply()
    clock[0] = 31.0
    apply()
    assert calls[-1] == (None, 1) and len(calls) == 3  # probing: the slots stay
    clock[0] = 35.0
    apply()
    assert calls[-1] == (pytest.approx(13_125), 1)
