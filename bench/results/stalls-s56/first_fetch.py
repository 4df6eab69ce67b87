"""first_fetch.py RUN...: per rendition swarm, how long after its first page learned of a live
segment the swarm's first origin fetch began and its first copy was in, and the election turns
the members drew (RUN: a directory holding an unpacked `realistic-TAG-timeline`).

A page's rendition at an event is the level of its latest fragment request. Only segments
three or more pages of that rendition learned of count, after the first 20 s of the phase.
"""
import collections
import glob
import json
import os
import sys


def q(xs, p):
    xs = sorted(xs)
    return xs[int(p * (len(xs) - 1))] if xs else float("nan")


for run in sys.argv[1:]:
    learn = collections.defaultdict(dict)  # (level, seq) -> page -> t
    turn = collections.defaultdict(dict)  # (level, seq) -> page -> httpFirstInS
    start = collections.defaultdict(list)  # (level, seq) -> [(t, page)]
    end = collections.defaultdict(list)
    for f in sorted(glob.glob(os.path.join(run, "*-timeline", "p2p-b*.json"))):
        d = json.load(open(f))
        ps, page, level = d["phase_start"], d["viewer"][-1], None
        for e in sorted(d["events"], key=lambda e: e["t"]):
            t = (e["t"] - ps) / 1000
            if e["kind"] == "frag-request":
                level = e.get("level")
            key = (level, e.get("seq"))
            if e["kind"] == "segment-added" and e.get("liveEdge"):
                learn[key][page] = t
            elif e["kind"] == "decision" and e.get("why") == "election-wait":
                turn[key][page] = e["httpFirstInS"]
            elif e["kind"] == "http-start":
                start[key].append((t, page))
            elif e["kind"] == "http-end" and e.get("outcome") == "ok":
                end[key].append((t, page))
    for level in sorted({k[0] for k in learn if k[0] is not None}):
        first_start, first_end, no_zero, n = [], [], 0, 0
        for key, pages in learn.items():
            if key[0] != level or len(pages) < 3 or min(pages.values()) < 20 or not start[key]:
                continue
            n += 1
            t0 = min(pages.values())
            first_start.append(min(start[key])[0] - t0)
            if end[key]:
                first_end.append(min(end[key])[0] - t0)
            if turn[key] and min(turn[key].values()) > 0:
                no_zero += 1
        if n:
            print(
                f"{os.path.basename(run)} level {level}: {n} segments; first origin fetch began"
                f" {q(first_start, .5):.2f} / {q(first_start, .9):.2f} s (median / p90) after the"
                f" first page learned of it, first copy in {q(first_end, .5):.2f} / {q(first_end, .9):.2f} s;"
                f" no member with turn 0: {no_zero}"
            )
