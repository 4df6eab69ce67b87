"""The swarm lab's pure parts: join/leave planning, metrics, targets and result files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from swarmcast.e2e.lab.aggregate import aggregate_cell, cell_targets, median_and_worst, run_figures
from swarmcast.e2e.lab.config import PhaseSpec
from swarmcast.e2e.lab.metrics import percentile, summarize, summarize_browser
from swarmcast.e2e.lab.netns import _owner_pid
from swarmcast.e2e.lab.report import matrix_markdown, write_results
from swarmcast.e2e.lab.schedule import plan_phase

T0 = 1_700_000_000_000.0  # a phase start, wall ms


def test_staggered_joins_are_even_and_on_distinct_slots() -> None:
    events = plan_phase(PhaseSpec("p2p", True, viewers=8, duration_s=60, join_window_s=14), 1)
    assert [e.action for e in events] == ["join"] * 8
    assert [e.at_s for e in events] == [i * 1.75 for i in range(8)]
    assert sorted(e.slot for e in events) == list(range(8))
    assert len({e.viewer for e in events}) == 8


def test_random_joins_stay_in_the_window_and_depend_only_on_the_seed() -> None:
    spec = PhaseSpec("p2p", True, viewers=8, duration_s=60, join_window_s=10, random_joins=True)
    first = plan_phase(spec, 7)
    assert first == plan_phase(spec, 7)
    assert first != plan_phase(spec, 8)
    assert all(0 <= e.at_s <= 10 for e in first)


def test_churn_replaces_a_third_every_period_and_keeps_the_audience_size() -> None:
    spec = PhaseSpec("p2p", True, viewers=9, duration_s=180, join_window_s=9, churn_every_s=30)
    events = plan_phase(spec, 1)
    leaves = [e for e in events if e.action == "leave"]
    # Churn at 39, 69, 99, 129, 159 s (none in the last 20 s): 3 leave each time.
    assert sorted({e.at_s for e in leaves}) == [39.0, 69.0, 99.0, 129.0, 159.0]
    assert len(leaves) == 15
    present: dict[int, str] = {}
    for event in events:
        if event.action == "join":
            assert event.slot not in present, "a slot hosts one viewer at a time"
            present[event.slot] = event.viewer
        else:
            assert present.pop(event.slot) == event.viewer
        assert len(present) <= 9
    assert len(present) == 9
    assert len({e.viewer for e in events}) == 9 + 15


def test_python_peers_get_their_own_slots() -> None:
    spec = PhaseSpec("p2p", True, viewers=4, duration_s=60, python_peers=26)
    events = plan_phase(spec, 1)
    peers = [e for e in events if e.kind == "python"]
    assert sorted(e.slot for e in peers) == list(range(26))


def test_owner_pid_is_read_from_lab_namespace_names_only() -> None:
    assert _owner_pid("swl1234xab12-r") == 1234
    assert _owner_pid("swl1234xab12-v3") == 1234
    assert _owner_pid("other-ns") is None
    assert _owner_pid("swlabc") is None


def _sample(wall: float, **fields: Any) -> dict[str, Any]:
    sample: dict[str, Any] = {
        "wall": wall,
        "navigationStart": T0 + 500,
        "firstFrameWall": T0 + 1500,
        "currentTime": (wall - T0 - 1500) / 1000,
        "bufferedAhead": 4.0,
        "stalls": [],
        "http": {"media": 0, "init": 0, "playlist": 0, "integrity": 0},
        "latency": 6.0,
        "shim": {"p2pBytes": 0, "httpBytes": 0, "uploadedBytes": 0, "verificationFailures": 0},
    }
    sample.update(fields)
    return sample


def _viewer(name: str, samples: list[dict[str, Any]], left: float) -> dict[str, Any]:
    return {
        "viewer": name,
        "kind": "browser",
        "phase": "p2p",
        "slot": 0,
        "address": "10.77.2.2",
        "joined_wall": T0,
        "left_wall": left,
        "samples": samples,
        "final": samples[-1],
        "console_errors": [],
        "errors": [],
    }


def test_browser_summary_counts_stalls_offload_and_latency() -> None:
    stalls = [
        {"start": T0 + 1000, "end": T0 + 1200, "cause": "waiting", "seeking": False},  # pre-start
        {"start": T0 + 10_000, "end": T0 + 12_000, "cause": "waiting", "seeking": False},
        {"start": T0 + 12_100, "end": T0 + 12_500, "cause": "waiting", "seeking": False},  # nudge
        {"start": T0 + 20_000, "end": T0 + 20_100, "cause": "waiting", "seeking": True},
        {"start": T0 + 29_000, "end": None, "cause": "frozen", "seeking": False},  # at leave
    ]
    samples = [
        _sample(T0 + 2000, latency=20.0),  # before the latency settles: ignored
        _sample(T0 + 15_000, latency=6.0),
        _sample(
            T0 + 30_000,
            latency=8.0,
            stalls=stalls,
            http={"media": 1_000_000, "init": 1000, "playlist": 5000, "integrity": 7000},
            shim={"p2pBytes": 3_003_000, "uploadedBytes": 2_000_000, "verificationFailures": 1},
        ),
    ]
    summary = summarize_browser(_viewer("p2p-b01", samples, T0 + 30_000), T0)
    assert summary["ttff_s"] == 1.0
    assert summary["stall_count"] == 2
    assert summary["stall_s"] == 3.5  # 2.5 s + the 1 s still open when the viewer left
    assert summary["seek_waits"] == 1
    assert summary["offload"] == 0.75
    assert summary["latency_median_s"] == 7.0
    assert summary["uploaded_bytes"] == 2_000_000
    assert summary["verification_failures"] == 1
    assert summary["plays"]


def test_long_main_thread_tasks_before_the_first_frame_are_counted_apart() -> None:
    # navigation at T0 + 500, first frame at T0 + 1500 (_sample's defaults)
    long_tasks = {
        "count": 3,
        "totalMs": 900,
        "startup": [[T0 + 600, 200], [T0 + 1400, 300], [T0 + 1600, 400]],
    }
    samples = [_sample(T0 + 5000, longTasks=long_tasks)]
    summary = summarize_browser(_viewer("p2p-b01", samples, T0 + 5000), T0)
    assert summary["main_thread_busy_startup_s"] == 0.5
    assert summary["main_thread_busy_s"] == 0.9
    samples = [_sample(T0 + 5000, firstFrameCallbackWall=T0 + 1750)]
    heard = summarize_browser(_viewer("p2p-b01", samples, T0 + 5000), T0)
    assert heard["first_frame_heard_after_s"] == 0.25
    # an older probe sent no long tasks: no figure rather than a zero
    summary = summarize_browser(_viewer("p2p-b01", [_sample(T0 + 5000)], T0 + 5000), T0)
    assert summary["main_thread_busy_startup_s"] is None


def test_a_viewer_without_a_first_frame_does_not_play() -> None:
    samples = [_sample(T0 + 5000, firstFrameWall=None, currentTime=0)]
    summary = summarize_browser(_viewer("p2p-b01", samples, T0 + 5000), T0)
    assert summary["ttff_s"] is None
    assert not summary["plays"]
    assert summary["stall_count"] == 0


def _raw(scenario: str, p2p_stalls: list[dict[str, Any]]) -> dict[str, Any]:
    def phase(name: str, p2p: bool, start: float, offload_bytes: int) -> dict[str, Any]:
        viewers = []
        for i in range(4):
            samples = [
                _sample(
                    start + t * 1000,
                    navigationStart=start + 500,
                    firstFrameWall=start + (1500 if p2p else 1400),
                    http={"media": t * 10_000, "init": 0},
                    shim={"p2pBytes": t * offload_bytes, "uploadedBytes": t * 1000},
                    stalls=p2p_stalls if p2p else [],
                    latency=7.0 if p2p else 6.5,
                )
                for t in range(1, 31)
            ]
            record = _viewer(f"{name}-b0{i}", samples, start + 30_000)
            record["joined_wall"] = start
            viewers.append(record)
        return {
            "spec": {"name": name, "p2p": p2p, "viewers": 4, "python_peers": 0},
            "start_wall": start,
            "end_wall": start + 30_000,
            "events": [],
            "viewers": viewers,
        }

    t1 = T0 + 40_000
    links = [{"wall": T0 + t * 1000, "hosts": {"0": [t * 50_000, 0]}} for t in range(0, 31)] + [
        {"wall": t1 + t * 1000, "hosts": {"0": [2e6 + t * 200_000, 0]}} for t in range(0, 31)
    ]
    return {
        "scenario": scenario,
        "started_wall": T0,
        "stream": {"target_duration_s": 2, "renditions": [{"name": "360p", "bandwidth": 900_000}]},
        "hosts": {"0": {"role": "origin"}, "1": {"role": "viewer"}},
        "phases": [phase("p2p", True, T0, 30_000), phase("cdn", False, t1, 0)],
        "links": links,
        "cpu": [{"wall": T0 + 5000, "machine": 50.0, "load1": 1.0, "roles": {"browsers": 80.0}}],
    }


def test_swarm_summary_series_and_targets() -> None:
    summary = summarize(_raw("steady", []))
    p2p, cdn = summary["phases"]
    assert p2p["offload"] == 0.75  # 30 kB from peers per 10 kB over HTTP
    assert p2p["offload_settled"] == 0.75
    assert p2p["bound"] == 0.75  # N = 4
    assert p2p["origin_egress_mbps"] == 0.4  # 50 kB/s
    assert cdn["origin_egress_mbps"] == 1.6
    assert p2p["playing"] == 4
    assert p2p["stalls"] == 0
    assert p2p["ttff_median_s"] == 1.0 and cdn["ttff_median_s"] == 0.9
    series = p2p["series"]
    assert series["bound"][0] == 0.75
    assert all(v == 0.75 for v in series["offload"] if v is not None)
    targets = {t["name"]: t["met"] for t in summary["targets"]}
    assert targets == {
        "offload": False,  # 75% < 85%
        "P2P stalls": True,
        "time to first frame": False,  # 1.0 s > 0.9 s * 1.1
        "live latency": True,  # 7.0 <= 6.5 + 2
    }


def test_result_files_and_summary_table(tmp_path: Path) -> None:
    stall = [{"start": T0 + 10_000, "end": T0 + 11_000, "cause": "waiting", "seeking": False}]
    raw = _raw("flash", stall)
    (tmp_path / "segmenter-20250101-000000.json").write_text('{"x_realtime": 5}')  # not ours
    paths = write_results(raw, summarize(raw), tmp_path, stamp="20250101-000000")
    assert paths["json"].name == "flash-20250101-000000.json"
    document = json.loads(paths["json"].read_text())
    assert document["summary"]["phases"][0]["stalls"] == 4
    assert paths["png"].stat().st_size < 150_000
    summary_md = (tmp_path / "SUMMARY.md").read_text()
    assert "| flash | p2p | 4 | 75.0% (75.0% settled) | 75.0% |" in summary_md
    assert document["summary"]["phases"][0]["playback_speed_median"] == 1.0
    assert "flash-crowd stalls" in summary_md


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.9) == 90.0
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 1.0) == 100.0
    assert percentile([3.0, 1.0, 2.0], 0.0) == 1.0
    assert percentile([], 0.5) is None


def test_stall_share_counts_frozen_time_including_hls_seek_waits_after_first_frame() -> None:
    stalls = [
        {"start": T0 + 1000, "end": T0 + 1400, "cause": "waiting", "seeking": False},  # pre-start
        {"start": T0 + 10_000, "end": T0 + 12_000, "cause": "waiting", "seeking": False},
        # hls.js jumps to the live edge out of the stall: the wait goes on while seeking.
        {"start": T0 + 12_100, "end": T0 + 15_000, "cause": "waiting", "seeking": True},
        {"start": T0 + 29_000, "end": None, "cause": "frozen", "seeking": False},  # at leave
    ]
    samples = [_sample(T0 + 2000), _sample(T0 + 30_000, stalls=stalls)]
    viewer = summarize_browser(_viewer("cdn-b01", samples, T0 + 30_000), T0)
    assert viewer["watch_s"] == 28.5  # first frame at 1.5 s to the last sample at 30 s
    assert viewer["stall_s"] == 3.0  # the seek wait is not a "stall" ...
    assert viewer["frozen_s"] == 6.0  # ... but the picture was frozen: 2 + 0.1 + 2.9 + 1
    assert viewer["stall_share"] == round(6.0 / 28.5, 4)


def test_phase_stall_share_is_frozen_over_watch_time_of_all_browsers_and_ttff_p50() -> None:
    stall = [{"start": T0 + 10_000, "end": T0 + 13_000, "cause": "waiting", "seeking": False}]
    p2p = summarize(_raw("flash", stall))["phases"][0]
    # 4 browsers, each watching 28.5 s (first frame 1.5 s in) and frozen 3 s of it.
    assert p2p["watch_s"] == 114.0 and p2p["frozen_s"] == 12.0
    assert p2p["stall_share"] == round(12 / 114, 4)
    assert p2p["ttff_p50_s"] == 1.0


def test_median_and_worst_depend_on_the_better_direction_and_skip_missing() -> None:
    assert median_and_worst([0.1, 0.5, 0.2, None], "low") == {"median": 0.2, "worst": 0.5, "n": 3}
    assert median_and_worst([0.8, 0.6], "high") == {"median": 0.7, "worst": 0.6, "n": 2}
    assert median_and_worst([None], "low") == {"median": None, "worst": None, "n": 0}


def test_cell_aggregate_over_runs_keeps_failed_runs_out_of_the_figures() -> None:
    def run(p2p_share: float, cdn_share: float, offload: float) -> dict[str, Any]:
        phases = [
            {"name": "p2p", "stall_share": p2p_share, "stalls": 2, "stall_s": 1.0,
             "offload": offload, "ttff_p50_s": 1.0, "latency_median_s": 8.0, "playing": 8,
             "browsers": 8},
            {"name": "cdn", "stall_share": cdn_share, "stalls": 9, "stall_s": 30.0,
             "offload": None, "ttff_p50_s": 3.0, "latency_median_s": 7.0, "playing": 8,
             "browsers": 8},
        ]  # fmt: skip
        figures = run_figures({"phases": phases})
        assert figures is not None
        return figures

    runs = [run(0.02, 0.5, 0.8), None, run(0.30, 0.6, 0.4), run(0.01, 0.4, 0.9)]
    agg = aggregate_cell(runs)
    assert agg["runs"] == 4 and agg["failed"] == 1
    assert agg["p2p"]["stall_share"] == {"median": 0.02, "worst": 0.3, "n": 3}
    assert agg["p2p"]["offload"] == {"median": 0.8, "worst": 0.4, "n": 3}
    assert agg["cdn"]["stall_share"]["worst"] == 0.6
    assert agg["cdn"]["offload"]["n"] == 0  # CDN-only has no offload
    table = matrix_markdown([{"name": "3x-10s", "aggregate": agg}])
    assert "| 3x-10s | 4 (1) | 2.0% / 30.0% | 50.0% / 60.0% |" in table
    assert run_figures(None) is None and run_figures({"phases": []}) is None


def test_cell_targets_are_judged_on_every_run() -> None:
    def run(share: float, cdn_share: float, offload: float, ttff: float) -> dict[str, Any]:
        return {
            "p2p": {"stall_share": share, "offload": offload, "ttff_p50_s": ttff},
            "cdn": {"stall_share": cdn_share, "offload": None, "ttff_p50_s": 2.0},
        }

    good, bad = run(0.01, 0.5, 0.8, 1.5), run(0.03, 0.5, 0.9, 2.5)
    assert [t["met"] for t in cell_targets(3.0, [good, good])] == [True, True, True]
    three = cell_targets(3.0, [good, bad, None])
    assert [(t["target"], t["met"]) for t in three] == [
        ("P2P stall share <= 2%", False), ("offload >= 75%", True),
        ("TTFF p50 <= CDN-only's", False),
    ]  # fmt: skip
    assert three[0]["worst"] == 0.03 and three[1]["worst"] == 0.8
    two = cell_targets(2.0, [run(0.04, 0.03, 0.5, 1.0)])
    assert [t["met"] for t in two] == [True, False]  # <= 5%, but more than CDN-only
    assert cell_targets(4.0, [good]) == [] and cell_targets(3.0, [None]) == []
    # A run whose origin published late says so beside the targets (any cap).
    late = run(0.0, 0.5, 0.8, 1.5)
    late["p2p"]["publish_delay_max_s"], late["cdn"]["publish_delay_max_s"] = 24.7, 0.6
    on_time = run(0.0, 0.5, 0.8, 1.5)
    on_time["p2p"]["publish_delay_max_s"] = on_time["cdn"]["publish_delay_max_s"] = 0.9
    assert cell_targets(4.0, [on_time, late])[-1] == {
        "target": "origin in real time (publish delay <= 4 s)", "worst": 24.7, "met": False,
    }  # fmt: skip
    assert cell_targets(3.0, [on_time])[-1]["met"] is True


def test_a_machine_pause_is_named_beside_the_late_origin() -> None:
    raw = _raw("steady", [])
    walls = [T0 + t * 2000 for t in range(16)]
    kept = [w for w in walls if not T0 + 4000 < w < T0 + 26000]  # 22 s without a sample
    cpu = [{"wall": w, "machine": 50.0, "load1": 6.8, "roles": {}} for w in kept]
    raw["cpu"] = cpu
    # one segment published 24 s after its capture ended, inside the P2P phase
    raw["origin_segments"] = [{
        "rendition": "360p", "seq": 5, "capture_end_wall": T0 + 2000,
        "published_wall": T0 + 26000, "delay_s": 24.0,
    }]  # fmt: skip
    summary = summarize(raw)
    assert summary["phases"][0]["cpu"]["sample_gap_max_s"] == 22.0
    assert summary["phases"][1]["cpu"] == {}  # no sample inside the CDN-only phase
    real_time = next(t for t in summary["targets"] if t["name"] == "origin in real time")
    assert real_time["measured"] == "p2p 24 s (no CPU sample for 22 s: the machine paused)"
    assert real_time["met"] is False
