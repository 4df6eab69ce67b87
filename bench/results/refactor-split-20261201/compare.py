"""Compare two `swarmcast bench sim` result directories run by run: every per-run field (figures,
decision digest, event and message counts) but the CPU time must be equal.

Usage: python3 compare.py BEFORE_DIR AFTER_DIR (each holding one sim-*.json)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def load(directory: str) -> dict[str, Any]:
    path = sorted(Path(directory).glob("sim-*.json"))[-1]
    result: dict[str, Any] = json.loads(path.read_text())
    return result


def main(before_dir: str, after_dir: str) -> bool:
    before, after = load(before_dir), load(after_dir)
    same = True
    for adapter, runs in before["adapters"].items():
        other = after["adapters"][adapter]
        if len(runs["runs"]) != len(other["runs"]):
            print("DIFF", adapter, "run count")
            same = False
        for a, b in zip(runs["runs"], other["runs"], strict=False):
            for key, value in a.items():
                if key != "cpu_s" and value != b.get(key):
                    print("DIFF", adapter, "seed", a["seed"], key, value, b.get(key))
                    same = False
        if runs["summary"] != other["summary"]:
            print("DIFF", adapter, "summary")
            same = False
        digests = " ".join(run["digest"][:8] for run in runs["runs"])
        print(f"{adapter}: {len(runs['runs'])} runs, events {runs['events']} / {other['events']}")
        print(f"digests (first 8 hex, seeds in order): {digests}")
    print("IDENTICAL" if same else "DIFFERENT")
    return same


if __name__ == "__main__":
    sys.exit(0 if main(sys.argv[1], sys.argv[2]) else 1)
