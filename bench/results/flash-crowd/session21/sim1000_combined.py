"""The issue's 1,000 simulator seeds as one distribution: seeds 1-270 (session 20,
`../session20/sim1000-partial/`) and 271-1000 (`sim1000-flash/`), both on e980b58's scheduler.
Usage: python sim1000_combined.py"""

from __future__ import annotations

import gzip
import json
import statistics
from pathlib import Path

HERE = Path(__file__).parent
PARTS = (
    HERE.parent / "session20/sim1000-partial/sim-flash-20261202-150545.json.gz",
    HERE / "sim1000-flash/sim-flash-20261202-165037.json.gz",
)


def quantile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    runs = []
    for part in PARTS:
        with gzip.open(part) as f:
            runs += json.load(f)["adapters"]["shim"]["runs"]
    seeds = {r["seed"] for r in runs}
    offload = [r["offload"] for r in runs]
    stall = [r["stall_share"] for r in runs]
    print(f"{len(runs)} runs, seeds {min(seeds)}-{max(seeds)} ({len(seeds)} distinct)")
    print(
        f"offload median {statistics.median(offload):.1%} p5 {quantile(offload, 0.05):.1%} "
        f"worst {min(offload):.1%}"
    )
    print(
        f"stall share median {statistics.median(stall):.2%} p95 {quantile(stall, 0.95):.2%} "
        f"p99 {quantile(stall, 0.99):.2%} worst {max(stall):.2%}"
    )
    print(
        f"collapses {sum(r['collapsed'] for r in runs)}, never started "
        f"{sum(r['not_started'] for r in runs)} of {sum(r['peers'] for r in runs)} viewers"
    )
    print(
        f"seeds over 5% stalled: {sum(s > 0.05 for s in stall)}, "
        f"over 10%: {sum(s > 0.1 for s in stall)}"
    )
    print("worst seeds: seed peers cap stall-share offload origin-fetches/segment")
    for r in sorted(runs, key=lambda r: -r["stall_share"])[:8]:
        print(
            f"  {r['seed']} {r['peers']} {r['cap_x']}x {r['stall_share']:.1%} {r['offload']:.1%} "
            f"{r['origin_fetches_per_segment_mean']}"
        )


if __name__ == "__main__":
    main()
