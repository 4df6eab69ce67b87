"""Viewer timelines of a lab run: summaries, the per-viewer plot and the files written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from swarmcast.e2e.lab.timeline_report import plot_timeline, summarize_timeline, write_timelines

T0 = 1_700_000_000_000.0  # the phase start, wall ms


def _event(at_s: float, kind: str, seq: int | None = None, **detail: Any) -> dict[str, Any]:
    event: dict[str, Any] = {"t": T0 + at_s * 1000, "kind": kind, **detail}
    if seq is not None:
        event["seq"] = seq
    return event


EVENTS = [
    _event(0.9, "announced", 5),
    _event(1.0, "frag-request", 5, start=10.0, p2p=True),
    _event(1.1, "segment-added", 5, start=10.0, size=200_000),
    _event(1.1, "decision", 5, why="election-wait", httpFirstInS=0.5),
    _event(1.6, "decision", 5, why="election-turn", dueS=2.0, holders=0),
    _event(1.6, "http-start", 5, id="http:1"),
    _event(4.6, "http-end", 5, id="http:1", t0=T0 + 1600, bytes=200_000, outcome="ok"),
    _event(2.0, "segment-added", 6, start=12.0, size=200_000),
    _event(2.5, "have-delta", 6, peer="p1"),
    _event(2.6, "decision", 6, why="peer-request", peer="p1"),
    _event(2.6, "peer-start", 6, id="req:p1:1"),
    _event(3.0, "peer-end", 6, id="req:p1:1", t0=T0 + 2600, bytes=100_000, outcome="ok"),
    _event(3.5, "peer-end", 6, id="req:p1:2", t0=T0 + 2600, bytes=0, outcome="cancelled"),
    _event(3.5, "decision", 6, why="fallback-takeover", dueS=0.4),
    _event(3.6, "decision", None, why="abandon-peer", peer="p1", reason="slow"),
    _event(3.0, "buffer", None, ahead=1.5, pos=10.5, paused=False),
    _event(4.0, "stall", None, phase="start", pos=11.9),
    _event(4.0, "buffer", None, ahead=0.0, pos=11.9, paused=False),
    _event(5.0, "stall", None, phase="end", pos=12.0, ms=1000),
    _event(5.0, "frag-served", 5, by="http"),
    _event(5.1, "frag-served", 6, by="mixed"),
    _event(5.2, "safety-net", 7, extensions=4),
    _event(5.3, "media", None, event="seeking", **{"from": 12.0, "to": 20.0}),
    _event(5.4, "frag-emergency-aborted", 8, level=2, bwEstimate=278_000),
    _event(5.4, "level-switching", None, level=0, bwEstimate=278_000),
    _event(7.0, "level-switching", None, level=1, bwEstimate=900_000),
]


def test_summary_counts_decisions_transfers_and_stalls() -> None:
    summary = summarize_timeline(EVENTS, T0)
    assert summary["decisions"] == {
        "election-wait": 1, "election-turn": 1, "peer-request": 1, "fallback-takeover": 1,
        "abandon-peer": 1,
    }  # fmt: skip
    assert summary["first_http_decision_s"] == 1.6
    assert summary["transfers"]["http"] == {
        "count": 1, "bytes": 200_000, "seconds": 3.0, "outcomes": {"ok": 1},
    }  # fmt: skip
    assert summary["transfers"]["peer"]["outcomes"] == {"ok": 1, "cancelled": 1}
    assert summary["transfers"]["peer"]["bytes"] == 100_000
    assert summary["served"] == {"http": 1, "mixed": 1}
    assert summary["safety_nets"] == 1
    assert summary["stalls"] == 1 and summary["stall_s"] == 1.0
    assert summary["seeks"] == [[5.3, 12.0, 20.0]]
    assert summary["rendition_switches"] == 2 and summary["emergency_aborts"] == 1


def test_summary_of_an_empty_timeline() -> None:
    summary = summarize_timeline([], T0)
    assert summary["events"] == 0 and summary["first_http_decision_s"] is None
    assert summary["transfers"] == {} and summary["stalls"] == 0


def test_plot_is_a_png(tmp_path: Path) -> None:
    path = tmp_path / "v.png"
    plot_timeline("v", EVENTS, T0, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_write_timelines_gives_json_and_plot_per_viewer_and_survives_a_missing_file(
    tmp_path: Path,
) -> None:
    good = tmp_path / "p2p-b01.json"
    probe = {
        "blocked": [{"t": T0 + 2500, "ms": 1400}],
        "resources": [{"path": "/live/demo/360p/index.m3u8", "t": T0, "queuedMs": 1545.0,
                       "ttfbMs": 79.0, "transferMs": 6.0, "bytes": 922}],
    }  # fmt: skip
    good.write_text(
        json.dumps({"capacity": 5000, "recorded": len(EVENTS), "events": EVENTS, **probe})
    )
    raw = {
        "phases": [
            {
                "spec": {"name": "p2p"},
                "start_wall": T0,
                "viewers": [
                    {"viewer": "p2p-b01", "timeline_path": str(good), "joined_wall": T0},
                    {"viewer": "p2p-b02", "timeline_path": str(tmp_path / "missing.json")},
                    {"viewer": "p2p-b03"},  # no timeline recorded
                ],
            }
        ]
    }
    out = write_timelines(raw, tmp_path / "out")
    assert out is not None
    assert sorted(p.name for p in out.iterdir()) == [
        "index.md", "p2p-b01.json", "p2p-b01.png", "p2p-b02.json", "swarm.md",
    ]  # fmt: skip
    swarm = (out / "swarm.md").read_text()
    assert "# Swarm view: p2p (1 viewers)" in swarm
    # seq 5: in the playlist at 0.9 s, fetched once from the origin at its election turn (3 s).
    assert "| 5 | 0.9 | - | 1 (election-turn 1) | 0 | 3.0-3.0 | http 1 |" in swarm
    assert "Origin transfers in flight across the swarm: 0 s: 0, 4 s: 1" in swarm
    document = json.loads((out / "p2p-b01.json").read_text())
    assert document["summary"]["decisions"]["election-turn"] == 1
    assert len(document["events"]) == len(EVENTS)
    assert document["blocked"] == probe["blocked"]  # the lab probe's figures are kept
    assert document["resources"] == probe["resources"]
    assert json.loads((out / "p2p-b02.json").read_text())["events"] == []
    index = (out / "index.md").read_text()
    assert "[p2p-b01](p2p-b01.png)" in index and "p2p-b02" in index


def test_no_timelines_no_directory(tmp_path: Path) -> None:
    raw = {"phases": [{"spec": {"name": "p2p"}, "start_wall": T0, "viewers": [{"viewer": "a"}]}]}
    assert write_timelines(raw, tmp_path / "out") is None
    assert not (tmp_path / "out").exists()
