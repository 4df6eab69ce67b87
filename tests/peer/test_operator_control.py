"""swarmcast.peer.operator_control, pure: the newest control wins, the peer's mode and reason
match the shim's (`effective_mode`), the upload policy narrows the configured limits, and
shadow savings count only what a neighbour announced."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from swarmcast.peer.measured_cap import MeasuredLimits
from swarmcast.peer.operator_control import SLOT_BPS, OperatorControl, UploadLimits
from swarmcast.protocol.beacon_schema import Control, UploadPolicy, cohort_bucket

KEYS = [f"k{i}" for i in range(50)]
LOW = next(k for k in KEYS if cohort_bucket(k) < 5000)
HIGH = next(k for k in KEYS if cohort_bucket(k) >= 5000)


def control(version: int, **changes: object) -> Control:
    return dataclasses.replace(Control("demo", version), **changes)  # type: ignore[arg-type]


def test_modes_and_reasons_follow_the_newest_control() -> None:
    low, high = OperatorControl(LOW), OperatorControl(HIGH)
    for op in (low, high):
        assert op.apply(control(1, p2p=False))
        assert (op.mode, op.reason) == ("off", "operator-off")
        assert op.apply(control(3, ramp_percent=50))
        assert not op.apply(control(2, p2p=False))  # older: ignored
    assert (low.mode, low.reason) == ("on", None)
    assert (high.mode, high.reason) == ("off", "ramp-cohort")
    assert high.apply(control(4, shadow=True))
    assert (high.mode, high.reason) == ("shadow", "shadow")
    opted_out = OperatorControl(LOW, page_allows=False)
    opted_out.apply(control(5))
    assert (opted_out.mode, opted_out.reason) == ("off", "page-opt-out")  # never opted in


def test_upload_policy_narrows_the_configured_limits() -> None:
    op = OperatorControl(LOW, rate_bytes_per_s=1_000_000, slots=4)
    assert op.upload_limits() == UploadLimits(1_000_000, 4)
    assert op.budget_bps() == 8_000_000
    policy = UploadPolicy(cap_bps=2_400_000, save_data=True, background_percent=50)
    op.apply(control(1, upload=policy))
    assert op.upload_limits() == UploadLimits(300_000, 2)  # 2.4 Mbit/s: two 1 Mbit/s slots
    assert op.budget_bps() == 2_400_000
    op.apply(control(2, upload=dataclasses.replace(policy, cap_bps=0)))
    assert op.upload_limits() == UploadLimits(None, 0)  # leech only
    assert op.budget_bps() == 0


def test_upload_slots_follow_the_budget() -> None:
    """A low uplink serves few neighbours at once (each slot gets >= 1 Mbit/s), never none."""
    assert OperatorControl(LOW, rate_bytes_per_s=100_000, slots=8).upload_limits().slots == 1
    assert OperatorControl(LOW, rate_bytes_per_s=440_000, slots=8).upload_limits().slots == 3
    assert OperatorControl(LOW, rate_bytes_per_s=None, slots=8).upload_limits().slots == 8
    wish = OperatorControl(LOW, slots=8, budget_bps=2_000_000)
    assert wish.upload_limits() == UploadLimits(None, 2)
    assert wish.budget_bps() == 2_000_000
    capped = OperatorControl(LOW, rate_bytes_per_s=50_000, budget_bps=2_000_000)
    assert capped.budget_bps() == 400_000


def test_shadow_savings_count_what_a_neighbour_announced() -> None:
    op = OperatorControl(LOW)
    op.apply(control(1, shadow=True))
    op.neighbour_has("n1", [10, 11])
    op.fetched_from_origin(11, 5000)
    op.fetched_from_origin(12, 7000)  # nobody had it
    assert op.shadow_saved_bytes == 5000
    op.neighbour_gone("n1")
    op.fetched_from_origin(10, 5000)
    assert op.shadow_saved_bytes == 5000
    op.neighbour_has("n2", list(range(100)))  # bounded memory
    op.fetched_from_origin(0, 1)
    assert op.shadow_saved_bytes == 5000


def test_upload_limits_vectors() -> None:
    """tests/vectors/upload_limits.json, also run by vitest against the shim's uploadLimits."""
    vectors = json.loads(
        (Path(__file__).resolve().parents[1] / "vectors" / "upload_limits.json").read_text()
    )
    assert vectors["slot_bps"] == SLOT_BPS

    def configured(case: dict[str, Any]) -> OperatorControl:
        """The case's configured limits, under its operator cap if it has one."""
        op = OperatorControl(
            LOW,
            rate_bytes_per_s=case["rate_bytes_per_s"],
            slots=case["slots"],
            budget_bps=case["budget_bps"],
        )
        if case["cap_bps"] is not None:
            op.apply(control(1, upload=UploadPolicy(case["cap_bps"], True, 50)))
        return op

    for case in vectors["cases"]:
        op = configured(case)
        limits, expect = op.upload_limits(), case["expect"]
        assert (limits.rate_bytes_per_s, limits.slots, op.budget_bps()) == (
            expect["rate_bytes_per_s"],
            expect["slots"],
            expect["budget_bps"],
        ), case["name"]
    for case in vectors["measured_cases"]:
        op = configured(case)
        given = case["measured"]
        limits = op.upload_limits(MeasuredLimits(given["rate_bytes_per_s"], given["budget_bps"]))
        expect = case["expect"]
        assert (limits.rate_bytes_per_s, limits.slots) == (
            expect["rate_bytes_per_s"],
            expect["slots"],
        ), case["name"]
