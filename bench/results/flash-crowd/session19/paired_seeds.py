"""Pair simulator runs of the same seeds from two result directories (one JSON per run or per
set) and print each seed's stall share and offload side by side, then the distribution.

    python paired_seeds.py DIR_A DIR_B
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path


def runs(directory: Path) -> dict[int, dict]:
    out: dict[int, dict] = {}
    for path in sorted(directory.glob("*.json")):
        for adapter in json.loads(path.read_text())["adapters"].values():
            for run in adapter["runs"]:
                out[run["seed"]] = run
    return out


def main() -> None:
    a, b = (runs(Path(p)) for p in sys.argv[1:3])
    seeds = sorted(set(a) & set(b))
    print("| seed | peers | cap | stall share A | stall share B | offload A | offload B | copies/seg A | copies/seg B |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for s in seeds:
        x, y = a[s], b[s]
        print(
            f"| {s} | {x['peers']} | {x['cap_x']} | {x['stall_share']:.2%} | {y['stall_share']:.2%} "
            f"| {x['offload']:.1%} | {y['offload']:.1%} | {x['origin_copies_per_segment_mean']} "
            f"| {y['origin_copies_per_segment_mean']} |"
        )
    for name, key in (("stall share", "stall_share"), ("offload", "offload")):
        va, vb = [a[s][key] for s in seeds], [b[s][key] for s in seeds]
        print(
            f"\n{name} over {len(seeds)} seeds: A median {statistics.median(va):.2%} worst "
            f"{(max if key == 'stall_share' else min)(va):.2%}; B median {statistics.median(vb):.2%} "
            f"worst {(max if key == 'stall_share' else min)(vb):.2%}; "
            f"A lower in {sum(1 for s in seeds if a[s][key] < b[s][key])}, "
            f"higher in {sum(1 for s in seeds if a[s][key] > b[s][key])}"
        )
    print(f"\ncollapses: A {sum(1 for s in seeds if a[s]['collapsed'])}, B {sum(1 for s in seeds if b[s]['collapsed'])}")


if __name__ == "__main__":
    main()
