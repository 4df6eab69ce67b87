"""The before/after table of this directory's simulator runs (raw/<label>/sim-*.json).
Usage: python summarize.py [RAW_DIR]"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path


def pct(value: float) -> str:
    return f"{100 * value:.2f}%"


def main() -> None:
    raw = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "raw")
    print(
        "| run | adapter | seeds | stall share median / worst | offload median / worst "
        "| HAVE_PIECES per viewer-s median / worst | all messages per viewer-s median "
        "| TTFF p50 median | collapses |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for path in sorted(raw.glob("*/sim-*.json")):
        if "-seed" in path.name:
            continue
        report = json.loads(path.read_text())
        for adapter, result in report["adapters"].items():
            s, runs = result["summary"], result["runs"]
            rates = [sum(r["messages"]["per_member_s"].values()) for r in runs]
            hp = s.get("have_pieces_per_member_s", {})
            print(
                f"| {path.parent.name} | {adapter} | {s['runs']} | "
                f"{pct(s['stall_share']['median'])} / {pct(s['stall_share']['worst'])} | "
                f"{pct(s['offload']['median'])} / {pct(s['offload']['worst'])} | "
                f"{hp.get('median', '-')} / {hp.get('worst', '-')} | "
                f"{statistics.median(rates):.3g} | "
                f"{s['ttff_p50']['median']} | {s['collapses']} |"
            )


if __name__ == "__main__":
    main()
