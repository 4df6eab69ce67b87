"""Where a page's origin requests wait behind the lab's page edge (session 55).

edge_wait.py EDGE_LOG RUN_DIR [KIND...]: joins each P2P/CDN page's resource timings (the run's
timeline, `realistic-TAG-timeline/*.json`) with the edge's access log
(`SWARMCAST_LAB_EDGE_LOG_DIR`, e2e/tls_edge.EDGE_TIMING_FORMAT) by URI and time, and splits each
request's time to first byte into: up (the request's header crossing the page's uplink: from
the page sending it to nginx reading it), edge (nginx: from reading it until its response
was fully handed to the socket, `$request_time`; small responses only, where that is the
first byte's wait), down (the rest: the response's first byte in the socket, the access link).
Prints per phase and request kind the medians / p90 of the three, for requests whose response
is under 2 kB (playlists, records, API) and separately the media requests' up and ttfb.
"""

from __future__ import annotations

import glob
import gzip
import json
import statistics
import sys
from collections import defaultdict


def kind(path: str) -> str:
    if path.endswith(".m4s"):
        return "media"
    if ".integrity.json" in path:
        return "record"
    if ".m3u8" in path:
        return "blocking" if "_HLS_msn" in path else "playlist"
    if path.startswith("/api/"):
        return "api"
    return "other"


def load_edge(path: str) -> dict[str, list[tuple[float, float, str, int, str]]]:
    by_uri: dict[str, list[tuple[float, float, str, int, str]]] = defaultdict(list)
    lines = gzip.open(path, "rt") if path.endswith(".gz") else open(path)
    for line in lines:
        f = line.split()
        if len(f) < 12:
            continue
        end, req_t = float(f[0]), float(f[1])
        start = end - req_t
        by_uri[f[11]].append((start * 1000, req_t * 1000, f[5], int(f[7]), f[10]))
    return by_uri


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def main() -> None:
    edge = load_edge(sys.argv[1])
    run = sys.argv[2]
    rows: dict[tuple[str, str, str], list[tuple[float, float, float, float]]] = defaultdict(list)
    unmatched = 0
    for f in sorted(glob.glob(run + "/*-timeline/*-b0*.json")):
        name = f.split("/")[-1][:-5]
        phase = name[:3]
        d = json.load(open(f))
        for r in d["resources"]:
            k = kind(r["path"])
            if k in ("blocking", "other") or r["queuedMs"] < 0:
                continue
            sent = r["t"] + r["queuedMs"]
            cands = [e for e in edge.get(r["path"], []) if -50 <= e[0] - sent <= 8000]
            if not cands:
                unmatched += 1
                continue
            start, edge_ms, cache, sent_bytes, addr = min(cands, key=lambda e: e[0] - sent)
            up = start - sent
            ttfb = r["ttfbMs"]
            small = sent_bytes < 2500
            down = ttfb - up - edge_ms if small else float("nan")
            cls = name[4:]
            rows[(phase, k, cls)].append((up, edge_ms if small else float("nan"), down, ttfb))
    print("unmatched", unmatched)
    for (phase, k, cls), v in sorted(rows.items()):
        up = [x[0] for x in v]
        ed = [x[1] for x in v if x[1] == x[1]]
        dn = [x[2] for x in v if x[2] == x[2]]
        tt = [x[3] for x in v]
        line = f"{phase} {cls} {k:7s} n{len(v):4d} ttfb med {statistics.median(tt):6.0f} p90 {pct(tt, .9):6.0f}"
        line += f" | up med {statistics.median(up):5.0f} p90 {pct(up, .9):5.0f}"
        if ed:
            line += f" | edge med {statistics.median(ed):5.0f} p90 {pct(ed, .9):5.0f}"
            line += f" | down med {statistics.median(dn):5.0f} p90 {pct(dn, .9):5.0f}"
        print(line)


if __name__ == "__main__":
    main()
