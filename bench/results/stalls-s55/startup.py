"""Start-up of each browser page, P2P beside CDN-only (session 55).

startup.py RAW_JSON_GZ...: from a lab run's raw record (`run-1/raw.json.gz`), per slot and phase:
first media request, its response, the first frame (compositor), all from navigation start,
and the main thread's long-task time before the first frame (s).
"""

from __future__ import annotations

import gzip
import json
import sys


def main() -> None:
    for path in sys.argv[1:]:
        raw = json.load(gzip.open(path))
        rows: dict[int, dict[str, str]] = {}
        for phase in raw["phases"]:
            for v in phase["viewers"]:
                if v.get("kind") != "browser":
                    continue
                s = v["samples"][-1]
                nav = s["navigationStart"]
                ff = s["firstFrameWall"]
                req, resp = s["firstMediaRequestWall"], s["firstMediaResponseWall"]
                busy = sum(ms for _t, ms in s["longTasks"]["startup"] if ff is None or _t < ff) / 1000
                fmt = lambda x: f"{(x - nav) / 1000:5.2f}" if x else "  -  "  # noqa: E731
                rows.setdefault(v["slot"], {})[v["phase"]] = (
                    f"req {fmt(req)} resp {fmt(resp)} frame {fmt(ff)} busy {busy:4.2f}"
                )
        print(path)
        for slot in sorted(rows):
            print(f"  b0{slot + 1}  p2p {rows[slot].get('p2p')}  |  cdn {rows[slot].get('cdn')}")


if __name__ == "__main__":
    main()
