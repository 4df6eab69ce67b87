"""Per-seed comparison of two simulator result sets (session 15 of issue 8): a seed's audience,
cap and arrivals depend on the seed alone, so the same seed under two scheduler versions is a
paired sample.

    python bench/results/flash-crowd/sim-s15/paired.py \\
        'bench/results/flash-crowd/sim1000-20261201-s1[34]/*.json.gz' \\
        'bench/results/flash-crowd/sim-s15/origin-copy-rate-seeds1-150/*.json.gz'

The first set is the baseline (session 13's and 14's 1,000 seeds; their decision digests equal
65291e8's: `base-65291e8-seeds1-10/`).
"""

from __future__ import annotations

import glob
import gzip
import json
import statistics
import sys
from typing import Any


def runs(pattern: str) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for path in glob.glob(pattern):
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt") as handle:
            for run in json.load(handle)["adapters"]["shim"]["runs"]:
                out[run["seed"]] = run
    return out


def quantile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main(base_pattern: str, new_pattern: str) -> None:
    base, new = runs(base_pattern), runs(new_pattern)
    seeds = sorted(s for s in new if s in base)
    for key in ("stall_share", "offload", "origin_copies_per_segment_mean", "ttff_p50"):
        worst = min if key == "offload" else max
        for label, data in (("base", base), ("new", new)):
            values = [data[s][key] for s in seeds]
            print(
                f"{key} {label}: n {len(seeds)}, median {statistics.median(values):.4f}, "
                f"p95 {quantile(values, 0.05 if key == 'offload' else 0.95):.4f}, "
                f"worst {worst(values):.4f}"
            )
    change = sorted((new[s]["stall_share"] - base[s]["stall_share"], s) for s in seeds)
    print(
        "stall share lower by > 0.1 point:",
        sum(1 for d, _ in change if d < -0.001),
        "higher:",
        sum(1 for d, _ in change if d > 0.001),
        "within 0.1 point:",
        sum(1 for d, _ in change if abs(d) <= 0.001),
    )
    print(
        "largest rises (seed, base, new):",
        [(s, base[s]["stall_share"], new[s]["stall_share"]) for _, s in change[-5:]],
    )
    print(
        "largest falls (seed, base, new):",
        [(s, base[s]["stall_share"], new[s]["stall_share"]) for _, s in change[:5]],
    )
    print("collapses:", sum(1 for s in seeds if new[s]["collapsed"]))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
