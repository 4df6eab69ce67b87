"""Where a page's JavaScript time went: self time per function from DevTools CPU profiles.

The lab writes one `<viewer>.cpuprofile` per browser viewer when `SWARMCAST_LAB_CPU_PROFILE_DIR`
is set (e2e/lab/viewer_worker.py). This sums each profile's samples by function and script, over
the whole visit or a window of it, so P2P pages can be compared with CDN-only pages:

    python -m e2e.lab.cpu_profile DIR/p2p-*.cpuprofile --until 20 --top 25

(gzipped profiles, `*.cpuprofile.gz`, are read as they are.)
"""

from __future__ import annotations

import argparse
import gzip
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

# What V8 reports for time outside JavaScript: the page idle, the garbage collector, native code.
IDLE = "(idle)"


def self_times(
    profile: dict[str, Any], since_s: float = 0.0, until_s: float | None = None
) -> dict[str, float]:
    """Milliseconds of self time per "function (script)" in [since_s, until_s) of the profile."""
    frames: dict[int, str] = {}
    for node in profile.get("nodes", []):
        frame = node.get("callFrame", {})
        script = Path(str(frame.get("url") or "")).name or "-"
        frames[int(node["id"])] = f"{frame.get('functionName') or '(anonymous)'} ({script})"
    totals: dict[str, float] = defaultdict(float)
    at_us = 0.0
    samples = zip(profile.get("samples", []), profile.get("timeDeltas", []), strict=False)
    for node_id, delta in samples:
        at_us += float(delta)
        at_s = at_us / 1e6
        if at_s < since_s or (until_s is not None and at_s >= until_s):
            continue
        totals[frames.get(int(node_id), "?")] += float(delta) / 1000
    return totals


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("profiles", nargs="+", type=Path)
    parser.add_argument("--since", type=float, default=0.0, help="s after the profile started")
    parser.add_argument("--until", type=float, default=None)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    total: dict[str, float] = defaultdict(float)
    for path in args.profiles:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        times = self_times(json.loads(raw), args.since, args.until)
        busy = sum(ms for name, ms in times.items() if not name.startswith(IDLE))
        print(f"{path.name}: {busy / 1000:.2f} s busy")
        for name, ms in times.items():
            total[name] += ms
    busy_all = sum(ms for name, ms in total.items() if not name.startswith(IDLE))
    print(f"\nall {len(args.profiles)} profiles: {busy_all / 1000:.2f} s busy; top self time:")
    for name, ms in sorted(total.items(), key=lambda item: -item[1]):
        if name.startswith(IDLE):
            continue
        print(f"  {ms / 1000:8.2f} s  {100 * ms / max(busy_all, 1e-9):5.1f}%  {name}")
        args.top -= 1
        if args.top <= 0:
            break
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
