"""What a P2P page's slow small requests waited behind (session 55).

behind.py EDGE_LOG RUN_DIR: for each P2P page, the small origin responses (playlists, records,
API; < 2.5 kB) whose first byte came more than 500 ms after nginx handed them to the socket
(`edge_wait.py`'s "down"), and what the page's own origin fetches were at that moment
(timeline http-start/http-end): "background" = a fetch of a segment the player had not asked
for yet (no frag-request for its seq before the moment), "asked" = one the player waits on,
and hls.js's own plain-HTTP loads (loader-http). Prints per page the slow count and how many
had a background fetch in flight, an asked one, a loader one, or none.
"""

from __future__ import annotations

import glob
import json
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from edge_wait import kind, load_edge  # noqa: E402
from pages import first_asks, p2p_pages  # noqa: E402


def main() -> None:
    edge = load_edge(sys.argv[1])
    for f, d, ev in p2p_pages(sys.argv[2]):
        asked = first_asks(ev)
        spans = []  # (start, end, seq, source)
        open_: dict[str, tuple[float, int, str]] = {}
        for e in ev:
            if e["kind"] in ("http-start", "loader-http-start"):
                open_[e["id"]] = (e["t"], e.get("seq"), "loader" if e["kind"].startswith("loader") else "engine")
            elif e["kind"] in ("http-end", "loader-http-end") and e.get("id") in open_:
                t0, seq, src = open_.pop(e["id"])
                spans.append((t0, e["t"], seq, src))
        counts = {"slow": 0, "background": 0, "asked": 0, "loader": 0, "none": 0}
        for r in d["resources"]:
            k = kind(r["path"])
            if k not in ("playlist", "record", "api") or r["queuedMs"] < 0:
                continue
            sent = r["t"] + r["queuedMs"]
            cands = [e for e in edge.get(r["path"], []) if -50 <= e[0] - sent <= 8000]
            if not cands:
                continue
            start, edge_ms, _cache, sent_bytes, _addr = min(cands, key=lambda e: e[0] - sent)
            if sent_bytes >= 2500:
                continue
            handed = start + edge_ms
            down = sent + r["ttfbMs"] - handed
            if down < 500:
                continue
            counts["slow"] += 1
            live = [s for s in spans if s[0] <= handed < s[1]]
            kinds = set()
            for t0, _t1, seq, src in live:
                if src == "loader":
                    kinds.add("loader")
                elif seq is not None and asked.get(seq, float("inf")) <= handed:
                    kinds.add("asked")
                else:
                    kinds.add("background")
            for k2 in kinds:
                counts[k2] += 1
            if not kinds:
                counts["none"] += 1
        print(f.split("/")[-1][:-5], counts)


if __name__ == "__main__":
    main()
