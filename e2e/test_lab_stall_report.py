"""stall_report: a realistic run's P2P stalls by class, and a page's lone origin fetch rates."""

from __future__ import annotations

import tarfile
from pathlib import Path
from typing import Any

from swarmcast.e2e.lab.stall_report import (
    _timeline_dir,
    late_takeovers,
    lone_fetch_kbit_s,
    stall_classes,
)

T0 = 1_700_000_000_000.0


def _at(s: float, kind: str, **detail: Any) -> dict[str, Any]:
    return {"t": T0 + s * 1000, "kind": kind, **detail}


def _wire(s: float, sent: int) -> dict[str, Any]:
    return _at(s, "uplink-wire", links=[{"id": "l0", "drained": 0, "buffered": 0, "wire": sent}])


def test_stalls_are_classed_by_the_upload_before_them_and_the_page_age() -> None:
    events = [
        _at(0.0, "media", event="playing"),
        _at(10.0, "stall", phase="start"),  # early, the uplink idle
        _at(11.0, "stall", phase="end", ms=1000),
        _wire(40.0, 0),
        *[_wire(40.0 + k, 12_500 * k) for k in range(1, 6)],  # 100 kbit/s for 5 s
        _at(45.0, "stall", phase="start"),  # uplink busy: 100 of 150 kbit/s
        _at(47.5, "stall", phase="end", ms=2500),
        _at(80.0, "stall", phase="start"),  # late, idle: other
        _at(80.5, "stall", phase="end", ms=500),
    ]
    assert stall_classes(events, up_kbit=150) == [
        ("early", 1.0),
        ("uplink-busy", 2.5),
        ("other", 0.5),
    ]
    # On a 250 kbit/s uplink the same 100 kbit/s is not busy.
    assert [k for k, _ in stall_classes(events, up_kbit=250)] == ["early", "other", "other"]


def test_lone_fetches_only() -> None:
    events = [
        _at(2.0, "http-end", t0=T0, bytes=100_000, outcome="ok"),  # 400 kbit/s, alone
        _at(5.0, "http-end", t0=T0 + 3000, bytes=100_000, outcome="ok"),  # overlaps the next
        _at(5.5, "loader-http-end", t0=T0 + 4000, bytes=100_000, outcome="ok"),
        _at(9.0, "http-end", t0=T0 + 8000, bytes=10_000, outcome="ok"),  # too small
        _at(12.0, "http-end", t0=T0 + 10_000, bytes=100_000, outcome="aborted"),
    ]
    assert lone_fetch_kbit_s(events) == [400.0]


def test_takeovers_late_when_their_fetches_end_past_the_deadline() -> None:
    events = [
        _at(1.0, "decision", seq=5, why="fallback-takeover", dueS=1.0),  # deadline 2.0
        _at(1.0, "http-start", seq=5, id="http:1"),
        _at(1.0, "http-start", seq=5, id="http:2"),
        _at(1.5, "http-end", seq=5, id="http:1", outcome="ok"),
        _at(2.2, "http-end", seq=5, id="http:2", outcome="ok"),  # the second run ends late
        _at(3.0, "decision", seq=6, why="pace-takeover", dueS=3.0),  # deadline 6.0
        _at(3.0, "http-start", seq=6, id="http:3"),
        _at(4.0, "http-end", seq=6, id="http:3", outcome="ok"),
        _at(4.0, "decision", seq=6, why="fallback-takeover", dueS=2.0),  # same segment: not again
        _at(5.0, "decision", seq=7, why="election-turn", dueS=0.1),  # not a takeover
        _at(5.0, "http-start", seq=7, id="http:4"),
        _at(9.0, "http-end", seq=7, id="http:4", outcome="ok"),
    ]
    assert late_takeovers(events) == {
        "fallback-takeover": 1,
        "fallback-takeover late": 1,
        "pace-takeover": 1,
    }


def test_each_results_archived_timeline_is_read_from_its_own_archive(tmp_path: Path) -> None:
    """Two results' run-1 archives are unpacked apart: unpacked into one scratch directory, the
    second result was read from the first one's timeline."""
    for result, marker in (("realistic-a", "first"), ("realistic-b", "second")):
        page = tmp_path / "src" / f"{result}-timeline" / "p2p-b01.json"
        page.parent.mkdir(parents=True)
        page.write_text(marker)
        run = tmp_path / result / "run-1"
        run.mkdir(parents=True)
        with tarfile.open(run / f"{result}-timeline.tar.gz", "w:gz") as tar:
            tar.add(page.parent, arcname=page.parent.name)
    scratch = tmp_path / "scratch"
    read = [
        _timeline_dir(tmp_path / result / "run-1", scratch)
        for result in ("realistic-a", "realistic-b")
    ]
    assert [(d / "p2p-b01.json").read_text() for d in read if d is not None] == ["first", "second"]
