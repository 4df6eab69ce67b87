"""mainthread.py TAG... (run from bench/results): per lab run, the P2P and CDN-only pages'
long tasks (count and seconds, from raw.json.gz) and the seconds by which the probe's 250-ms
timer ran at least 1 s late (the timelines' `blocked`, read from the timeline tarball)."""

import glob
import gzip
import json
import sys
import tarfile


def long_tasks(tag: str) -> list[tuple[int, float]]:
    with gzip.open(f"{tag}/run-1/raw.json.gz") as raw:
        record = json.load(raw)
    per_phase = []
    for phase in record["phases"]:
        count, total_ms = 0, 0
        for viewer in phase["viewers"]:
            samples = [s for s in viewer.get("samples", []) if "longTasks" in s]
            if samples:
                count += samples[-1]["longTasks"]["count"]
                total_ms += samples[-1]["longTasks"]["totalMs"]
        per_phase.append((count, total_ms / 1000))
    return per_phase


def late_timers(tag: str) -> dict[str, float]:
    late = {"p2p": 0.0, "cdn": 0.0}
    with tarfile.open(glob.glob(f"{tag}/run-1/*-timeline.tar.gz")[0]) as tar:
        for member in tar.getmembers():
            if member.name.endswith(".json") and "-b0" in member.name:
                timeline = json.load(tar.extractfile(member))
                phase = "p2p" if "/p2p-" in member.name else "cdn"
                late[phase] += sum(b["ms"] for b in timeline.get("blocked", [])) / 1000
    return late


for tag in sys.argv[1:]:
    (p2p_n, p2p_s), (cdn_n, cdn_s) = long_tasks(tag)[:2]
    late = late_timers(tag)
    print(
        f"{tag}: long tasks p2p {p2p_n} ({p2p_s:.0f} s) cdn {cdn_n} ({cdn_s:.0f} s); "
        f"timers >=1 s late p2p {late['p2p']:.0f} s cdn {late['cdn']:.0f} s"
    )
