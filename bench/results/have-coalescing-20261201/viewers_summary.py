"""Python viewers before/after (raw/viewers/viewers-*.json, from run_viewers.sh): per run and
per side (median / worst). HAVE_PIECES sent per PIECE sent normalises by how much a run relayed
(the bench's origin falls behind under the lab's load, so runs relay very different amounts).
Usage: python viewers_summary.py"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

RAW = Path(__file__).parent / "raw" / "viewers"


def figures(case: dict[str, Any], window_s: float) -> dict[str, float]:
    sent = {k[5:]: v for k, v in case["frames"].items() if k.startswith("sent ")}
    total = sum(sent.values())
    have_pieces = sent.get("HAVE_PIECES", 0)
    pieces = sent.get("PIECE", 0)
    per_s = case["viewers"] * window_s
    return {
        "offload": case["offload"],
        "stalls": case["stalls"],
        "CPU s per viewer per stream-s": case["cpu_per_viewer_per_stream_s"],
        "messages sent+received per viewer-s": case["frames_per_viewer_s"],
        "HAVE_PIECES sent per viewer-s": round(have_pieces / per_s, 2),
        "HAVE_PIECES share of sent": round(have_pieces / total, 3) if total else 0.0,
        "HAVE_PIECES sent per PIECE sent": round(have_pieces / pieces, 2) if pieces else 0.0,
    }


def main() -> None:
    sides: dict[str, list[dict[str, float]]] = {}
    rows = []
    for path in sorted(RAW.glob("viewers-*.json")):
        report = json.loads(path.read_text())
        window = float(report.get("settings", {}).get("duration_s", 30.0))
        for case in report["cases"]:
            if "error" in case:
                rows.append(f"| {report['label']} | failed: {case['error'][:60]} |")
                continue
            f = figures(case, window)
            sides.setdefault(report["label"].split("-round")[0], []).append(f)
            rows.append(f"| {report['label']} | " + " | ".join(str(v) for v in f.values()) + " |")
    keys = list(next(iter(sides.values()))[0]) if sides else []
    print("| run | " + " | ".join(keys) + " |")
    print("| --- | " + " | ".join("---" for _ in keys) + " |")
    print("\n".join(rows))
    print()
    print("| side | runs | " + " | ".join(f"{k} median (worst)" for k in keys) + " |")
    print("| --- | --- | " + " | ".join("---" for _ in keys) + " |")
    low_is_worse = {"offload"}
    for side, runs in sorted(sides.items(), reverse=True):
        cells = []
        for k in keys:
            values = [r[k] for r in runs]
            worst = min(values) if k in low_is_worse else max(values)
            cells.append(f"{statistics.median(values):g} ({worst:g})")
        print(f"| {side} | {len(runs)} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
