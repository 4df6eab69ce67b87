"""The lab's origin publish delay (`e2e.lab.origin_publish`): read from the playlists and segment
files the origin wrote, and summarised per phase, so a run whose origin fell behind real time
says so next to its stalls."""

from __future__ import annotations

import os
from pathlib import Path

from swarmcast.e2e.lab.metrics import summarize
from swarmcast.e2e.lab.origin_publish import publish_delays, publish_summary

T0 = 1_796_090_000.0  # capture start of seq 10 (unix seconds)


def _write_stream(stream_dir: Path, late_by: dict[int, float]) -> None:
    """A 2-rendition stream of 2 s segments 10..14; each file's mtime = capture end + delay."""
    for rendition in ("360p", "144p"):
        folder = stream_dir / rendition
        folder.mkdir(parents=True)
        lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-TARGETDURATION:2",
                 "#EXT-X-MEDIA-SEQUENCE:10", '#EXT-X-MAP:URI="init-0.mp4"']  # fmt: skip
        for seq in range(10, 15):
            start = T0 + (seq - 10) * 2.0
            stamp = f"2026-12-01T{_clock(start)}Z"
            lines += [f"#EXT-X-PROGRAM-DATE-TIME:{stamp}", "#EXTINF:2.000,", f"seg-{seq}.m4s"]
            path = folder / f"seg-{seq}.m4s"
            if seq == 14 and rendition == "144p":
                continue  # listed but gone (a window slid past it): skipped
            path.write_bytes(b"x")
            published = start + 2.0 + late_by.get(seq, 0.5)
            os.utime(path, (published, published))
        (folder / "index.m3u8").write_text("\n".join(lines) + "\n")


def _clock(unix: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(unix, UTC).strftime("%H:%M:%S.%f")[:-3]


def test_publish_delays_from_files(tmp_path: Path) -> None:
    _write_stream(tmp_path, {12: 8.0, 13: 12.5})
    rows = publish_delays(tmp_path)
    assert len(rows) == 9
    by = {(r["rendition"], r["seq"]): r["delay_s"] for r in rows}
    assert by[("360p", 10)] == 0.5 and by[("360p", 12)] == 8.0 and by[("144p", 13)] == 12.5
    assert ("144p", 14) not in by
    assert publish_delays(tmp_path / "missing") == []
    # Per phase: only segments published within it.
    end_of_11 = (T0 + 4.0 + 0.5) * 1000
    assert publish_summary(rows, 0, end_of_11) == {"segments": 4, "median_s": 0.5, "max_s": 0.5}
    late = publish_summary(rows, end_of_11 + 1, 1e15)
    assert late["segments"] == 5 and late["max_s"] == 12.5
    assert publish_summary(rows, 0, 1) == {"segments": 0, "median_s": None, "max_s": None}


def _phase(name: str, start: float, end: float) -> dict[str, object]:
    spec = {"name": name, "p2p": name == "p2p"}
    return {"spec": spec, "start_wall": start, "end_wall": end, "viewers": [], "events": []}


def test_phase_summaries_carry_the_publish_delay() -> None:
    segments = [
        {"rendition": "360p", "seq": 1, "published_wall": 1500.0, "delay_s": 0.7},
        {"rendition": "360p", "seq": 2, "published_wall": 2500.0, "delay_s": 30.0},
    ]
    raw = {
        "scenario": "steady",
        "phases": [
            _phase("p2p", 2000.0, 3000.0),
            _phase("cdn", 1000.0, 1900.0),
        ],
        "origin_segments": segments,
    }
    phases = summarize(raw)["phases"]
    assert [p["origin_publish"]["max_s"] for p in phases] == [30.0, 0.7]


def test_a_run_whose_origin_fell_behind_says_so_in_its_targets() -> None:
    segments = [
        {"rendition": "360p", "seq": 1, "published_wall": 1500.0, "delay_s": 0.7},
        {"rendition": "360p", "seq": 2, "published_wall": 2500.0, "delay_s": 19.3},
    ]
    raw = {
        "scenario": "flash",
        "stream": {"target_duration_s": 2},
        "phases": [_phase("p2p", 2000.0, 3000.0), _phase("cdn", 1000.0, 1900.0)],
        "origin_segments": segments,
    }
    rows = {t["name"]: t for t in summarize(raw)["targets"]}
    real_time = rows["origin in real time"]
    assert real_time["met"] is False
    assert real_time["measured"] == "p2p 19.3 s, cdn 0.7 s"
    raw["origin_segments"] = [dict(segments[0]), dict(segments[1], delay_s=3.9)]
    rows = {t["name"]: t for t in summarize(raw)["targets"]}
    assert rows["origin in real time"]["met"] is True
