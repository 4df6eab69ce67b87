"""How long after the playlist showed a new live segment the P2P engine knew it (its signed
integrity record fetched and checked), per lab run (session 15 of issue 8):

    python bench/results/flash-crowd/session15/record_lag.py \
        bench/results/matrix-flash-20261201-200226

Reads each run's `*-timeline/p2p-*.json` (`--timeline`): per viewer and live-edge segment, the
`announced` event (hls.js saw it in the playlist) to `segment-added` (the scheduler learnt it).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def lags(run: Path) -> list[float]:
    out: list[float] = []
    for timeline in run.glob("*-timeline/p2p-*.json"):
        announced: dict[int, float] = {}
        added: dict[int, float] = {}
        for event in json.loads(timeline.read_text())["events"]:
            seq = event.get("seq")
            if seq is None:
                continue
            if event["kind"] == "announced":
                announced.setdefault(seq, event["t"])
            elif event["kind"] == "segment-added" and event.get("liveEdge"):
                added.setdefault(seq, event["t"])
        out += [(added[s] - announced[s]) / 1000 for s in added if s in announced]
    return sorted(out)


def main(base: str) -> None:
    for run in sorted(Path(base).glob("*/run-*")):
        values = lags(run)
        if not values:
            continue
        p50, p90 = (values[min(len(values) - 1, int(p * len(values)))] for p in (0.5, 0.9))
        print(
            f"{run.parent.name} {run.name}: n {len(values)}, p50 {p50:.2f} s, "
            f"p90 {p90:.2f} s, max {values[-1]:.2f} s"
        )


if __name__ == "__main__":
    main(sys.argv[1])
