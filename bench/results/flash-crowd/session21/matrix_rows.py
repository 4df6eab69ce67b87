"""Per-run rows of a lab matrix directory, as the session's README tables them: P2P stall share
(stalls, stalled s) / offload / TTFF p50 P2P vs CDN-only / CDN-only stall share.
Usage: python matrix_rows.py RESULTS_DIR CELL[,CELL...]"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def run_row(run_dir: Path) -> str:
    summary = next(run_dir.glob("*-2026*.json"))
    with summary.open() as f:
        phases = {p["name"]: p for p in json.load(f)["summary"]["phases"]}
    p2p, cdn = phases["p2p"], phases.get("cdn")
    text = (
        f"{p2p['stall_share']:.1%} ({p2p['stalls']}, {p2p['stall_s']:.2f} s) / "
        f"{p2p['offload']:.1%} / {p2p['ttff_p50_s']:.2f} s"
    )
    if cdn:
        text += f" vs {cdn['ttff_p50_s']:.2f} s / {cdn['stall_share']:.1%}"
    return text


def main() -> None:
    root, cells = Path(sys.argv[1]), sys.argv[2].split(",")
    print("| cell | run 1 | run 2 | run 3 |\n| --- | --- | --- | --- |")
    for cell in cells:
        runs = sorted((root / cell).glob("run-*"))
        print("| " + " | ".join([cell, *(run_row(r) for r in runs)]) + " |")


if __name__ == "__main__":
    main()
