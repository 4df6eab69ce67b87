"""signaling.beacons, pure: cumulative beacons, departures, restarts, figures and history."""

from __future__ import annotations

import pytest

from swarmcast.protocol.beacon_schema import (
    Beacon,
    Control,
    cohort_bucket,
    effective_mode,
    in_ramp,
    parse_beacon,
)
from swarmcast.signaling.beacons import BeaconBook, merge_summaries, upload_bound
from swarmcast.signaling.control import apply_changes
from tests.protocol.beacon_vectors import BEACON


def beacon(**changes: object) -> Beacon:
    return parse_beacon({**BEACON, **changes})


def test_totals_survive_departures_and_page_restarts() -> None:
    book = BeaconBook()
    book.record("demo", "a", beacon(http_bytes=100, p2p_bytes=300), 0.0)
    book.record("demo", "a", beacon(http_bytes=50, p2p_bytes=0), 1.0)
    book.record("demo", "b", beacon(http_bytes=10, p2p_bytes=0, p2p="off"), 1.0)
    book.departed("b")
    (summary,) = merge_summaries([book.raw(2.0)]).values()
    assert summary["totals"]["http_bytes"] == 160  # 100 before the restart, 50 since, b's 10
    assert summary["totals"]["p2p_bytes"] == 300
    assert summary["viewers"] == 1


def test_bound_ttff_and_stale_viewers() -> None:
    book = BeaconBook(stale_after_s=10)
    for i, ttff in enumerate([1000, 2000, 3000, 4000]):
        book.record("demo", f"v{i}", beacon(ttff_ms=ttff), 100.0)
    book.record("demo", "late", beacon(rendition="720p"), 0.0)
    summary = merge_summaries([book.raw(105.0)])["demo"]
    assert summary["viewers"] == 4  # "late" is stale: its totals count, its state does not
    assert summary["offload_bound"] == pytest.approx(3 / 4)
    assert summary["ttff_p95_ms"] == 4000 and summary["ttff_p50_ms"] == 2000
    book.sample({"demo": summary}, 105.0)
    book.sample({"demo": summary}, 110.0)
    points = book.history("demo")
    assert len(points) == 2 and points[1]["http_bps"] == 0


def test_upload_capacity_bound_per_rendition() -> None:
    """min(1, sum(u) / (N * r)) with r from bytes over media time (watched + behind the edge);
    only P2P members' capacity counts; a rendition with no estimate yet is left out."""
    viewers = [
        {**BEACON, "upload_capacity_bps": 500_000},
        {**BEACON, "upload_capacity_bps": 500_000},
        {**BEACON, "upload_capacity_bps": 9_000_000, "p2p": "off", "reason": "ramp-cohort"},
        {**BEACON, "rendition": "720p", "watch_ms": 1000},  # too early for a bitrate
        {**BEACON, "upload_capacity_bps": None},  # unknown: adds no capacity
    ]
    result = upload_bound(viewers)
    bitrate = (1_500_000 + 4_500_000) * 8 * 1000 / (30_000 + 6200)
    row = result["renditions"]["360p"]
    assert row["bitrate_bps"] == pytest.approx(bitrate)
    assert (row["viewers"], row["p2p_viewers"], row["capacity_bps"]) == (4, 2, 1_000_000)
    assert row["bound"] == pytest.approx(1_000_000 / (4 * bitrate))
    assert result["renditions"]["720p"]["bound"] is None
    assert result["bound"] == pytest.approx(row["bound"])
    rich = upload_bound([{**BEACON, "upload_capacity_bps": 10**9}])
    assert rich["bound"] == 1.0  # capped: capacity is not the limit there
    assert upload_bound([])["bound"] is None


def test_two_nodes_merge() -> None:
    a, b = BeaconBook(), BeaconBook()
    a.record("demo", "x", beacon(upload_capacity_bps=300_000), 0.0)
    b.record("demo", "y", beacon(upload_capacity_bps=500_000), 0.0)
    summary = merge_summaries([a.raw(0.0), b.raw(0.0)])["demo"]
    assert summary["viewers"] == 2
    assert summary["totals"]["p2p_bytes"] == 2 * BEACON["p2p_bytes"]
    # The upload bound sees both nodes' viewers (their beacons travel in the raw aggregates).
    bitrate = (BEACON["http_bytes"] + BEACON["p2p_bytes"]) * 8 * 1000 / (30_000 + 6200)
    assert summary["offload_upload_bound"] == pytest.approx(800_000 / (2 * bitrate))
    assert summary["upload_bound_by_rendition"]["360p"]["capacity_bps"] == 800_000


def test_ramp_is_stable_and_grows_monotonically() -> None:
    viewers = [f"viewer-{i}" for i in range(2000)]
    at = {p: {v for v in viewers if in_ramp(v, p)} for p in (0, 10, 50, 100)}
    assert at[0] == set() and at[100] == set(viewers)
    assert at[10] <= at[50]
    assert 0.4 < len(at[50]) / len(viewers) < 0.6
    assert all(0 <= cohort_bucket(v) < 10_000 for v in viewers[:50])


def test_effective_mode_page_can_only_opt_out() -> None:
    control = Control("demo", 1)
    assert effective_mode(control, "k", page_allows=False) == ("off", "page-opt-out")
    assert effective_mode(control, "k", page_allows=True) == ("on", None)
    off = apply_changes(control, {"p2p": False})
    assert off.version == 2 and effective_mode(off, "k", True) == ("off", "operator-off")
    shadow = apply_changes(control, {"shadow": True, "upload": {"cap_bps": 1000}})
    assert effective_mode(shadow, "k", True) == ("shadow", "shadow")
    assert shadow.upload.cap_bps == 1000 and shadow.upload.save_data is True


def test_live_edge_holders_count_viewers_per_segment() -> None:
    book = BeaconBook()
    book.record("demo", "a", beacon(have=[10, 11, 12]), 0.0)
    book.record("demo", "b", beacon(have=[11, 12]), 0.0)
    book.record("demo", "c", beacon(have=[12], rendition="720p"), 0.0)
    rows = merge_summaries([book.raw(0.0)])["demo"]["live_edge_holders"]
    assert rows == [
        {"rendition": "360p", "seq": 12, "holders": 2},
        {"rendition": "360p", "seq": 11, "holders": 2},
        {"rendition": "360p", "seq": 10, "holders": 1},
        {"rendition": "720p", "seq": 12, "holders": 1},
    ]
