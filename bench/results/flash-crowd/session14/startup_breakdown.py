"""Where a lab viewer's first frame went (session 14 of issue 8), from a run directory's
`raw.json.gz` and its `*-timeline/` files:

    python bench/results/flash-crowd/session14/startup_breakdown.py RUN_DIR [RUN_DIR ...]
    python bench/results/flash-crowd/session14/startup_breakdown.py --run1 bench/results

Per phase (medians over the viewers): `start` = navigation to the page's first player event
(page load and hls.js start, before any P2P code runs), `rest` = from there to the first frame,
`ttff`; for P2P, `join` = first fragment request to the swarm's join ack and `open` = join ack
to the first open neighbour link. `--run1` counts, over every 3-run at-once set under the
directory, the sets whose run 1 had the highest P2P TTFF p50 of the three.
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
import sys
from pathlib import Path
from typing import Any


def _events(run: Path, viewer: str) -> list[dict[str, Any]]:
    for timeline in run.glob(f"*-timeline/{viewer}.json"):
        return list(json.loads(timeline.read_text())["events"])
    return []


def breakdown(run: Path) -> str:
    raw = json.loads(gzip.decompress((run / "raw.json.gz").read_bytes()))
    out = []
    for phase in raw["phases"]:
        rows: dict[str, list[float]] = {"start": [], "rest": [], "ttff": [], "join": [], "open": []}
        name = "?"
        for viewer in phase["viewers"]:
            final, events = viewer["final"], _events(run, viewer["viewer"])
            nav, frame = final.get("navigationStart"), final.get("firstFrameWall")
            if not nav or not frame or not events:
                continue
            name = viewer["viewer"].split("-")[0]
            start = (events[0]["t"] - nav) / 1000
            rows["start"].append(start)
            rows["rest"].append((frame - nav) / 1000 - start)
            rows["ttff"].append((frame - nav) / 1000)
            request = next((e["t"] for e in events if e["kind"] == "frag-request"), None)
            join = next((e["t"] for e in events if e["kind"] == "join"), None)
            opened = next((e["t"] for e in events if e["kind"] == "peer-open"), None)
            if request and join:
                rows["join"].append((join - request) / 1000)
            if join and opened:
                rows["open"].append((opened - join) / 1000)
        figures = " ".join(
            f"{key} {statistics.median(values):.2f}" for key, values in rows.items() if values
        )
        out.append(f"{name}: {figures}")
    return f"{run}: " + " | ".join(out)


def run1_worst(root: Path) -> str:
    sets: dict[Path, dict[int, float]] = {}
    for summary in root.glob("**/3x-at-once/run-*/SUMMARY.md"):
        rows = [line for line in summary.read_text().splitlines() if line.startswith("| flash")]
        if not rows:
            continue
        ttff = float(rows[0].split("|")[9].strip().rstrip(" s"))
        run = int(re.sub(r"\D", "", summary.parent.name))
        sets.setdefault(summary.parent.parent, {})[run] = ttff
    full = {key: runs for key, runs in sets.items() if set(runs) == {1, 2, 3}}
    worst = [key for key, runs in full.items() if runs[1] == max(runs.values())]
    lines = [f"{key}: {[runs[k] for k in (1, 2, 3)]}" for key, runs in sorted(full.items())]
    return "\n".join([*lines, f"run 1 highest P2P TTFF p50 in {len(worst)} of {len(full)} sets"])


if __name__ == "__main__":
    if sys.argv[1:2] == ["--run1"]:
        print(run1_worst(Path(sys.argv[2])))
    else:
        for argument in sys.argv[1:]:
            print(breakdown(Path(argument)))
