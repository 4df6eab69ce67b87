"""Where a page's JavaScript time went: time per function from DevTools CPU profiles.

The lab writes one `<viewer>.cpuprofile` per browser viewer when `SWARMCAST_LAB_CPU_PROFILE_DIR`
is set (e2e/lab/viewer_worker.py). This sums each profile's samples by function and script, over
the whole visit or a window of it, so P2P pages can be compared with CDN-only pages:

    python -m e2e.lab.cpu_profile DIR/p2p-*.cpuprofile --until 20 --top 25
    python -m e2e.lab.cpu_profile DIR/p2p-*.cpuprofile --inclusive \\
        --source-map player-shim/dist/swarmcast.js.map

Self time is what a function ran itself; `--inclusive` counts every function on the stack (what
ran under it too: `drain [p2p/swarm_session.ts:212]` is the scheduler's actions and their work).
The shim's bundles are minified: `--source-map` names their frames by source file and line (the
served bundle's content hash, `swarmcast.<hash>.js`, is dropped to match `swarmcast.js.map`).
(gzipped profiles, `*.cpuprofile.gz`, are read as they are.)
"""

from __future__ import annotations

import argparse
import bisect
import gzip
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

# What V8 reports for time outside JavaScript: the page idle, the garbage collector, native code.
IDLE = "(idle)"
_BASE64 = {
    c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
}
_CONTENT_HASH = re.compile(r"\.[0-9a-f]{12}(?=\.js$)")


def _vlq(segment: str) -> list[int]:
    values: list[int] = []
    value = shift = 0
    for char in segment:
        digit = _BASE64[char]
        value += (digit & 31) << shift
        if digit & 32:
            shift += 5
            continue
        values.append(-(value >> 1) if value & 1 else value >> 1)
        value = shift = 0
    return values


class SourceMap:
    """A source map (v3) of one bundle: generated (line, column) -> "source:line"."""

    def __init__(self, doc: dict[str, Any], bundle: str) -> None:
        self.bundle = bundle
        sources = [
            str(s).replace("../src/", "").replace("../node_modules/", "") for s in doc["sources"]
        ]
        self._lines: list[tuple[list[int], list[str]]] = []
        source = line = column = 0
        for text in str(doc["mappings"]).split(";"):
            generated = 0
            columns: list[int] = []
            places: list[str] = []
            for segment in filter(None, text.split(",")):
                fields = _vlq(segment)
                generated += fields[0]
                if len(fields) >= 4:
                    source, line, column = source + fields[1], line + fields[2], column + fields[3]
                    columns.append(generated)
                    places.append(f"{sources[source]}:{line + 1}")
            self._lines.append((columns, places))

    @classmethod
    def read(cls, path: Path) -> SourceMap:
        bundle = path.name.removesuffix(".map")
        return cls(json.loads(path.read_text()), bundle)

    def covers(self, script_url: str) -> bool:
        return _CONTENT_HASH.sub("", Path(script_url).name) == self.bundle

    def place(self, line: int, column: int) -> str | None:
        """Where the code at 0-based (line, column) of the bundle came from."""
        if not 0 <= line < len(self._lines):
            return None
        columns, places = self._lines[line]
        at = bisect.bisect_right(columns, column) - 1
        return places[at] if at >= 0 else None


def _labels(profile: dict[str, Any], source_map: SourceMap | None) -> dict[int, str]:
    labels: dict[int, str] = {}
    for node in profile.get("nodes", []):
        frame = node.get("callFrame", {})
        url = str(frame.get("url") or "")
        name = frame.get("functionName") or "(anonymous)"
        place = None
        if source_map is not None and url and source_map.covers(url):
            place = source_map.place(
                int(frame.get("lineNumber", -1)), int(frame.get("columnNumber", -1))
            )
        labels[int(node["id"])] = (
            f"{name} [{place}]" if place else f"{name} ({Path(url).name or '-'})"
        )
    return labels


def _samples(
    profile: dict[str, Any], since_s: float, until_s: float | None
) -> list[tuple[int, float]]:
    """(node id, ms) of each sample in [since_s, until_s) of the profile."""
    out: list[tuple[int, float]] = []
    at_us = 0.0
    samples = zip(profile.get("samples", []), profile.get("timeDeltas", []), strict=False)
    for node_id, delta in samples:
        at_us += float(delta)
        at_s = at_us / 1e6
        if at_s < since_s or (until_s is not None and at_s >= until_s):
            continue
        out.append((int(node_id), float(delta) / 1000))
    return out


def self_times(
    profile: dict[str, Any],
    since_s: float = 0.0,
    until_s: float | None = None,
    source_map: SourceMap | None = None,
) -> dict[str, float]:
    """Milliseconds of self time per "function (script)" in [since_s, until_s) of the profile."""
    labels = _labels(profile, source_map)
    totals: dict[str, float] = defaultdict(float)
    for node_id, ms in _samples(profile, since_s, until_s):
        totals[labels.get(node_id, "?")] += ms
    return totals


def inclusive_times(
    profile: dict[str, Any],
    since_s: float = 0.0,
    until_s: float | None = None,
    source_map: SourceMap | None = None,
) -> dict[str, float]:
    """Milliseconds per function on the stack (once per sample, however deep it recurses)."""
    labels = _labels(profile, source_map)
    parent: dict[int, int] = {}
    for node in profile.get("nodes", []):
        for child in node.get("children", []):
            parent[int(child)] = int(node["id"])
    totals: dict[str, float] = defaultdict(float)
    for node_id, ms in _samples(profile, since_s, until_s):
        if labels.get(node_id, "").startswith(IDLE):
            totals[labels[node_id]] += ms
            continue
        seen: set[str] = set()
        at: int | None = node_id
        while at is not None and at in labels:
            if labels[at] not in seen:
                seen.add(labels[at])
                totals[labels[at]] += ms
            at = parent.get(at)
    return totals


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("profiles", nargs="+", type=Path)
    parser.add_argument("--since", type=float, default=0.0, help="s after the profile started")
    parser.add_argument("--until", type=float, default=None)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--inclusive", action="store_true", help="time under each function too")
    parser.add_argument("--source-map", type=Path, help="the shim bundle's .map (source lines)")
    args = parser.parse_args()
    source_map = SourceMap.read(args.source_map) if args.source_map else None
    total: dict[str, float] = defaultdict(float)
    busy_all = 0.0
    for path in args.profiles:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        profile = json.loads(raw)
        own = self_times(profile, args.since, args.until, source_map)
        busy = sum(ms for name, ms in own.items() if not name.startswith(IDLE))
        busy_all += busy
        print(f"{path.name}: {busy / 1000:.2f} s busy")
        times = (
            inclusive_times(profile, args.since, args.until, source_map) if args.inclusive else own
        )
        for name, ms in times.items():
            total[name] += ms
    kind = "inclusive" if args.inclusive else "self"
    print(f"\nall {len(args.profiles)} profiles: {busy_all / 1000:.2f} s busy; top {kind} time:")
    shown = 0
    for name, ms in sorted(total.items(), key=lambda item: -item[1]):
        if name.startswith(IDLE) or name.startswith("(root)"):
            continue
        print(f"  {ms / 1000:8.2f} s  {100 * ms / max(busy_all, 1e-9):5.1f}%  {name}")
        shown += 1
        if shown >= args.top:
            break
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
