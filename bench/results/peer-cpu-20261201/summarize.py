"""Median and worst per code side and viewer count over the raw runs (raw/viewers-*.json).
Usage: python summarize.py [RAW_DIR]"""

from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

KEYS = (
    ("cpu_per_viewer_per_stream_s", "CPU s/viewer/stream-s", max),
    ("cpu_s_per_MB_relayed", "CPU s per MB relayed", max),
    ("offload", "offload", min),
    ("frames_per_viewer_s", "messages (sent+received)/viewer/s", max),
    ("stalls", "stalls", max),
    ("publish_delay_max_s", "origin publish delay max (s)", max),
)


def side_of(label: str) -> str:
    # "before-round2", "s2-after2-round1" -> series and side
    series = label[:2] if label[:2] in ("s2", "s3") else "s1"
    side = label.removeprefix(f"{series}-").split("-round")[0]
    return f"{series} {side}"


def main() -> None:
    raw = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "raw")
    groups: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for path in sorted(raw.glob("viewers-*.json")):
        report = json.loads(path.read_text())
        for case in report["cases"]:
            if "error" not in case:
                groups[(side_of(report["label"]), case["viewers"])].append(case)
    print("| code | viewers | runs | " + " | ".join(name for _, name, _ in KEYS) + " |")
    print("| --- | --- | --- | " + " | ".join("---" for _ in KEYS) + " |")
    for (side, count), cases in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        cells = []
        for key, _, worst in KEYS:
            values = [c[key] for c in cases if c.get(key) is not None]
            if not values:
                cells.append("-")
                continue
            cells.append(f"{statistics.median(values):.4g} ({worst(values):.4g})")
        print(f"| {side} | {count} | {len(cases)} | " + " | ".join(cells) + " |")
    print()
    print("| run | viewers | CPU s/viewer/stream-s | CPU s per MB relayed | offload | "
          "messages (sent+received)/viewer/s | HAVE_PIECES share of sent | load1 | origin CPU | publish delay max (s) |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for path in sorted(raw.glob("viewers-*.json"), key=lambda p: p.name.rsplit("-", 2)[-2:]):
        report = json.loads(path.read_text())
        for case in report["cases"]:
            name = f"{report['label']} ({path.stem.rsplit('-', 1)[-1]})"
            if "error" in case:
                print(f"| {name} | {case['viewers']} | failed: {case['error'][:60]} |")
                continue
            sent = {k: v for k, v in case["frames"].items() if k.startswith("sent ")}
            share = (
                f"{sent.get('sent HAVE_PIECES', 0) / sum(sent.values()):.1%}" if sent else "-"
            )
            print(
                f"| {name} | {case['viewers']} | {case['cpu_per_viewer_per_stream_s']} | "
                f"{case['cpu_s_per_MB_relayed']} | {case['offload']} | "
                f"{case['frames_per_viewer_s']} | {share} | "
                f"{case['load1_start']}-{case['load1_end']} | {case['origin_cpu_share']} | "
                f"{case['publish_delay_max_s']} |"
            )


if __name__ == "__main__":
    main()
