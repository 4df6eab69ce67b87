"""How fast P2P viewers' media clocks ran at each playbackRate the latency hold set, and how long
after a segment's announcement each phase's viewers had it buffered (session 18).

    python bench/results/flash-crowd/session18/hold_speed.py RUN_DIR   # a run-<k> dir of a lab run with --timeline
"""

from __future__ import annotations

import glob
import gzip
import json
import statistics
import sys
from pathlib import Path


def main(run_dir: Path) -> None:
    raw = json.loads(gzip.decompress((run_dir / "raw.json.gz").read_bytes()))
    timeline = Path(glob.glob(str(run_dir / "*-timeline"))[0])
    per_rate: dict[float, list[float]] = {}
    gaps: dict[str, list[float]] = {"p2p": [], "cdn": []}
    for phase in raw["phases"]:
        for viewer in phase["viewers"]:
            name = viewer["viewer"]
            events = json.loads((timeline / f"{name}.json").read_text())["events"]
            kind = "p2p" if name.startswith("p2p") else "cdn"
            announced = {e["seq"]: e["t"] for e in events if e.get("kind") == "announced"}
            for e in events:
                if e.get("kind") == "frag-buffered" and e.get("seq") in announced:
                    gaps[kind].append((e["t"] - announced[e["seq"]]) / 1000)
            if kind != "p2p":
                continue
            rates = [(e["t"], e["rate"]) for e in events if e.get("kind") == "media" and e.get("event") == "ratechange"]

            def rate_at(t: float, rates: list[tuple[float, float]] = rates) -> float:
                current = 1.0
                for at, rate in rates:
                    if at > t:
                        break
                    current = rate
                return current

            samples = [s for s in viewer["samples"] if s.get("firstFrameWall") and s.get("currentTime")]
            for a, b in zip(samples, samples[1:]):
                rate = rate_at(a["wall"])
                if rate_at(b["wall"]) != rate:
                    continue
                wall_media = per_rate.setdefault(rate, [0.0, 0.0])
                wall_media[0] += b["wall"] - a["wall"]
                wall_media[1] += (b["currentTime"] - a["currentTime"]) * 1000
    print("P2P viewers: playbackRate asked -> wall s at it, media s per wall s")
    for rate, (wall, media) in sorted(per_rate.items()):
        print(f"  {rate:.2f}: {wall / 1000:.0f} s, {media / wall:.3f}x")
    for kind, values in gaps.items():
        values.sort()
        if values:
            print(
                f"{kind}: announced -> buffered median {statistics.median(values):.2f} s, "
                f"p90 {values[int(len(values) * 0.9)]:.2f} s ({len(values)} segments)"
            )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
