"""Seed by seed, two runs of this directory (raw/<label>/sim-*.json): seeds whose stall share got
worse / better, identical decision digests, stalls, and the means of stall share, offload, TTFF
p50 and abandoned neighbours. Usage: python compare.py BEFORE_LABEL AFTER_LABEL"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

RAW = Path(__file__).parent / "raw"


def load(label: str) -> dict[str, Any]:
    path = next(p for p in sorted((RAW / label).glob("sim-*.json")) if "-seed" not in p.name)
    return dict(json.loads(path.read_text()))


def abandons(run: dict[str, Any]) -> int:
    return sum(n for kind, n in run["counts"].items() if kind.startswith("abandon"))


def main() -> None:
    base, other = sys.argv[1], sys.argv[2]
    a, b = load(base), load(other)
    for adapter in ("shim", "peer"):
        if adapter not in a["adapters"] or adapter not in b["adapters"]:
            continue
        ra = {r["seed"]: r for r in a["adapters"][adapter]["runs"]}
        rb = {r["seed"]: r for r in b["adapters"][adapter]["runs"]}
        seeds = [s for s in ra if s in rb]

        def mean(runs: dict[int, dict[str, Any]], key: str, seeds: list[int] = seeds) -> float:
            return sum(float(runs[s][key]) for s in seeds) / len(seeds)

        worse = sum(1 for s in seeds if rb[s]["stall_share"] > ra[s]["stall_share"])
        better = sum(1 for s in seeds if rb[s]["stall_share"] < ra[s]["stall_share"])
        same = sum(1 for s in seeds if rb[s]["digest"] == ra[s]["digest"])
        print(
            f"{other} vs {base} {adapter}: seeds {len(seeds)} stall worse {worse} better "
            f"{better} same-digest {same}; stalls {sum(ra[s]['stalls'] for s in seeds)} -> "
            f"{sum(rb[s]['stalls'] for s in seeds)}; mean stall share "
            f"{mean(ra, 'stall_share'):.5f} -> {mean(rb, 'stall_share'):.5f}; mean offload "
            f"{mean(ra, 'offload'):.4f} -> {mean(rb, 'offload'):.4f}; mean ttff p50 "
            f"{mean(ra, 'ttff_p50'):.2f} -> {mean(rb, 'ttff_p50'):.2f}; abandons "
            f"{sum(abandons(ra[s]) for s in seeds)} -> {sum(abandons(rb[s]) for s in seeds)}"
        )


if __name__ == "__main__":
    main()
