"""Segmenter speed: encode the default ladder from the synthetic source, unpaced.

Reports speed as x realtime (media seconds per wall second) and CPU: the process's CPU seconds per
media second, i.e. the share of the machine a live stream of this ladder costs. Results go to
`bench/results/segmenter-<timestamp>.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from swarmcast.segmenter.cli import add_encoding_arguments

    parser.add_argument("--seconds", type=float, default=30.0, help="media seconds to encode")
    parser.add_argument("--out", type=Path, help="output directory (default: a temporary one)")
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="where the JSON goes")
    add_encoding_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from swarmcast.segmenter.cli import config_from_args
    from swarmcast.segmenter.events import SegmentPublished, StreamEvent
    from swarmcast.segmenter.session import StreamSession
    from swarmcast.segmenter.sources import SyntheticSource

    config = config_from_args(args)
    segments: list[SegmentPublished] = []

    def collect(event: StreamEvent) -> None:
        if isinstance(event, SegmentPublished):
            segments.append(event)

    with tempfile.TemporaryDirectory(prefix="swarmcast-bench-") as scratch:
        out = args.out or Path(scratch)
        session = StreamSession("bench", out / "bench", config, emit=collect)
        session.prepare()
        source = SyntheticSource(
            width=config.top.width,
            height=config.top.height,
            fps=config.fps,
            sample_rate=config.audio_sample_rate,
            duration=args.seconds,
            realtime=False,
        )
        process = psutil.Process()
        load_before = os.getloadavg()
        cpu_before = process.cpu_times()
        started = time.perf_counter()
        session.run(source, threading.Event())
        wall = time.perf_counter() - started
        cpu_after = process.cpu_times()
        load_after = os.getloadavg()
    cpu_seconds = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    media = sum(segment.duration for segment in segments)
    cores = psutil.cpu_count() or 1
    result: dict[str, Any] = {
        "benchmark": "segmenter",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "ladder": [
            f"{r.name}:{r.width}x{r.height}@{r.video_bitrate // 1000}k" for r in config.renditions
        ],
        "preset": config.x264_preset,
        "fps": config.fps,
        "segment_duration": config.segment_duration,
        "media_seconds": round(media, 3),
        "segments": len(segments),
        "wall_seconds": round(wall, 3),
        "x_realtime": round(media / wall, 2) if wall else None,
        "cpu_seconds": round(cpu_seconds, 3),
        "cpu_cores_while_encoding": round(cpu_seconds / wall, 2) if wall else None,
        "cpu_cores_per_live_stream": round(cpu_seconds / media, 3) if media else None,
        "machine_share_per_live_stream": round(cpu_seconds / media / cores, 3) if media else None,
        # What x realtime would be with every core to ourselves: only an upper bound, since
        # the encode is not perfectly parallel; on a shared machine read it with the load.
        "x_realtime_if_all_cores_free": round(media / (cpu_seconds / cores), 2)
        if cpu_seconds
        else None,
        "cores": cores,
        "load_average_before": [round(value, 2) for value in load_before],
        "load_average_after": [round(value, 2) for value in load_after],
        "mean_segment_bytes": {
            name: round(sum(s.sizes[i] for s in segments) / len(segments))
            for i, name in enumerate(segments[0].renditions)
        }
        if segments
        else {},
    }
    args.results.mkdir(parents=True, exist_ok=True)
    path = args.results / f"segmenter-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"segmenter: {result['x_realtime']}x realtime ({media:.0f} s of media in {wall:.1f} s), "
        f"{result['cpu_cores_per_live_stream']} cores per live stream "
        f"({100 * (result['machine_share_per_live_stream'] or 0):.0f}% of {cores} cores; "
        f"<= {result['x_realtime_if_all_cores_free']}x with the cores to itself), "
        f"load {load_before[0]:.1f} -> {load_after[0]:.1f}; wrote {path}"
    )
    return 0 if segments else 1
