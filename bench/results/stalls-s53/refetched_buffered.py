"""Origin fetches by a P2P page's scheduler of a segment whose media the player had already
buffered from another rendition (hls.js's `frag-buffered` of the same seq at another level,
before the fetch began): bytes the page did not need, on its own downlink, right after an ABR
switch. usage: refetched_buffered.py RUN... (unpacked runs)"""
import glob, json, os, sys

count = 0; wasted = 0
for run in sys.argv[1:]:
    for f in sorted(glob.glob(f"{run}/*-timeline/p2p-*.json")):
        d = json.load(open(f)); ps = d["phase_start"]
        buffered = {}  # seq -> (time, level)
        for e in sorted(d["events"], key=lambda e: e["t"]):
            t = (e["t"] - ps) / 1000
            if e["kind"] == "frag-buffered":
                buffered.setdefault(e.get("seq"), (t, e.get("level")))
            elif e["kind"] == "http-start" and e.get("seq") in buffered:
                count += 1; wasted += e.get("bytes_wanted", 0)
                bt, level = buffered[e["seq"]]
                print(os.path.basename(run)[-6:], os.path.basename(f)[:-5], f"{t:.2f}", "seq", e["seq"],
                      f"buffered at level {level} at {bt:.2f}", "due", e.get("dueS"), "bytes", e.get("bytes_wanted"))
print("origin fetches of a segment already buffered:", count, "bytes", wasted)
