"""Per-viewer critical path from the first player event to the first frame (3x-at-once lab runs).

    python critical_path.py RUN_DIR [RUN_DIR ...]   (-v: per-viewer rows)
Times in seconds from t0 = the viewer's first timeline event (what startup_breakdown.py calls the
start of `rest`).
"""
from __future__ import annotations
import gzip, json, statistics, sys
from pathlib import Path

def first(events, pred):
    return next((e for e in events if pred(e)), None)

def viewer_row(final, events):
    nav, ff = final.get("navigationStart"), final.get("firstFrameWall")
    if not nav or not ff or not events:
        return None
    t0 = events[0]["t"]
    rel = lambda e: None if e is None else (e["t"] - t0) / 1000
    r = {"start": (t0 - nav) / 1000, "rest": (ff - t0) / 1000}
    pl = first(events, lambda e: e["kind"] == "playlist")
    r["playlist"] = rel(pl)
    init = first(events, lambda e: e["kind"] == "frag-request" and "seq" not in e)
    r["init_req"] = rel(init)
    fr = first(events, lambda e: e["kind"] == "frag-request" and "seq" in e)
    if fr is None:
        return r
    seq = fr["seq"]
    r["seq"] = seq
    r["req"] = rel(fr)
    r["p2p"] = fr.get("p2p")
    lhs = first(events, lambda e: e["kind"] == "loader-http-start" and e.get("seq") == seq)
    r["hedged"] = lhs is not None and lhs["t"] - fr["t"] < 50
    j = first(events, lambda e: e["kind"] == "join")
    r["join"] = rel(j)
    if j:
        r["nbrs"] = j.get("neighbours"); r["startup"] = j.get("startup"); r["why"] = j.get("startupWhy")
        r["originMs"] = j.get("originMs"); r["recent"] = j.get("recentJoins"); r["size"] = j.get("swarmSize")
    ht = first(events, lambda e: e["kind"] in ("hedge-taken", "hedge-kept") and e.get("seq") == seq)
    r["hedge"] = None if ht is None else ht["kind"].split("-")[1]
    r["hedge_loaded"] = None if ht is None else ht.get("loaded")
    po = first(events, lambda e: e["kind"] == "peer-open")
    r["open1"] = rel(po)
    sa = first(events, lambda e: e["kind"] == "segment-added" and e.get("seq") == seq)
    r["seg_added"] = rel(sa)
    r["holders_at_add"] = None if sa is None else sa.get("holders")
    decs = [e for e in events if e["kind"] == "decision" and e.get("seq") == seq]
    r["decisions"] = []
    for d in decs:
        w = d["why"]
        if not r["decisions"] or r["decisions"][-1][0] != w:
            r["decisions"].append((w, rel(d)))
    pr = first(decs, lambda e: e["why"] == "peer-request")
    r["peer_req1"] = rel(pr)
    hs = first(events, lambda e: e["kind"] == "http-start" and e.get("seq") == seq)
    he = first(events, lambda e: e["kind"] == "http-end" and e.get("seq") == seq)
    r["eng_http"] = None if hs is None else (rel(hs), rel(he), he and he.get("outcome"))
    le = first(events, lambda e: e["kind"] == "loader-http-end" and e.get("seq") == seq)
    r["loader_http_end"] = None if le is None else (rel(le), le.get("outcome"), le.get("bytes"))
    fs = first(events, lambda e: e["kind"] == "frag-served" and e.get("seq") == seq)
    r["served"] = rel(fs)
    r["by"] = fs.get("by") if fs else ("http-loader" if le and le.get("outcome") == "ok" else None)
    r["waitedMs"] = fs.get("waitedMs") if fs else None
    if fs:
        r["bytes_at"] = rel(fs)
    elif le and le.get("outcome") == "ok":
        r["bytes_at"] = rel(le)
    else:
        r["bytes_at"] = None
    fb = first(events, lambda e: e["kind"] == "frag-buffered" and e.get("seq") == seq)
    r["buffered"] = rel(fb)
    fb2 = first(events, lambda e: e["kind"] == "frag-buffered" and e.get("seq") == seq + 1)
    r["buffered2"] = rel(fb2)
    fr2 = first(events, lambda e: e["kind"] == "frag-request" and e.get("seq") == seq + 1)
    r["req2"] = rel(fr2)
    sk = first(events, lambda e: e["kind"] == "media" and e.get("event") == "seeking")
    r["seeking"] = rel(sk)
    sd = first(events, lambda e: e["kind"] == "media" and e.get("event") == "seeked")
    r["seeked"] = rel(sd)
    r["ff"] = (ff - t0) / 1000
    return r

def load(run: Path):
    raw = json.loads(gzip.decompress((run / "raw.json.gz").read_bytes()))
    out = {}
    for phase in raw["phases"]:
        rows = []
        for v in phase["viewers"]:
            tl = next(iter(run.glob(f"*-timeline/{v['viewer']}.json")), None)
            if tl is None:
                continue
            events = json.loads(tl.read_text())["events"]
            row = viewer_row(v["final"], events)
            if row:
                row["viewer"] = v["viewer"]
                row["events"] = events
                row["t0"] = events[0]["t"]
                rows.append(row)
        out[phase["spec"]["name"]] = rows
    return raw, out

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None

def fmt(x):
    return "-" if x is None else (f"{x:.2f}" if isinstance(x, float) else str(x))

def origin_copies(rows, seq):
    """Viewers whose copy of `seq` (the first fragment) came at least partly from the origin."""
    full = partial = 0
    for r in rows:
        ev = r["events"]
        ok = any(e["kind"] in ("loader-http-end", "http-end") and e.get("seq") == seq and e.get("outcome") == "ok" for e in ev)
        ab = any(e["kind"] in ("hedge-taken",) and e.get("seq") == seq for e in ev)
        full += ok
        partial += (ab and not ok)
    return full, partial

if __name__ == "__main__":
    verbose = "-v" in sys.argv
    for arg in [a for a in sys.argv[1:] if a != "-v"]:
        run = Path(arg)
        raw, phases = load(run)
        print(f"== {run}")
        for name, rows in phases.items():
            if verbose:
                for r in rows:
                    keys = ["start","rest","playlist","init_req","seq","req","hedged","join","nbrs","startup","why","originMs","recent","size","hedge","hedge_loaded","open1","seg_added","holders_at_add","peer_req1","eng_http","loader_http_end","served","by","waitedMs","buffered","req2","buffered2","seeking","seeked","ff"]
                    print(r["viewer"], " ".join(f"{k}={fmt(r.get(k))}" for k in keys if k in r))
                    print("    decisions:", [(w, fmt(t)) for w, t in r.get("decisions", [])][:8])
            seqs = [r.get("seq") for r in rows]
            common = max(set(seqs), key=seqs.count) if seqs else None
            f, p = origin_copies(rows, common) if common is not None else (0, 0)
            print(f"  {name}: n={len(rows)} start {fmt(med([r['start'] for r in rows]))} rest {fmt(med([r['rest'] for r in rows]))} "
                  f"req {fmt(med([r.get('req') for r in rows]))} join {fmt(med([r.get('join') for r in rows]))} open1 {fmt(med([r.get('open1') for r in rows]))} "
                  f"bytes {fmt(med([r.get('bytes_at') for r in rows]))} buffered {fmt(med([r.get('buffered') for r in rows]))} "
                  f"ff {fmt(med([r['ff'] for r in rows]))} append->ff {fmt(med([r['ff']-r['bytes_at'] for r in rows if r.get('bytes_at') is not None]))} "
                  f"seqs {sorted(seqs)} by {[r.get('by') for r in rows]} origin copies of {common}: {f} full + {p} aborted")


def decompose(run: Path):
    """Pooled per-viewer intervals (s) and long-task ms in [t0, ff] / [bytes, ff]."""
    raw, phases = load(run)
    finals = {v["viewer"]: v["final"] for ph in raw["phases"] for v in ph["viewers"]}
    out = {}
    for name, rows in phases.items():
        res = []
        for r in rows:
            if r.get("bytes_at") is None or r.get("buffered") is None:
                continue
            t0 = r["t0"]
            lt = finals[r["viewer"]].get("longTasks", {}).get("startup", [])
            def lt_ms(a, b):
                a, b = t0 + a * 1000, t0 + b * 1000
                return sum(max(0, min(s + d, b) - max(s, a)) for s, d in lt)
            sk = r.get("seeking")
            res.append({
                "viewer": r["viewer"], "by": r.get("by"),
                "req": r["req"], "net": r["bytes_at"] - r["req"], "bytes": r["bytes_at"],
                "append": r["buffered"] - r["bytes_at"],
                "to_seek": (sk - r["buffered"]) if sk is not None else None,
                "seek_ff": (r["ff"] - sk) if sk is not None else None,
                "buf_ff": r["ff"] - r["buffered"],
                "ff": r["ff"],
                "lt_rest": lt_ms(0, r["ff"]), "lt_after_bytes": lt_ms(r["bytes_at"], r["ff"]),
            })
        out[name] = res
    cpu = raw.get("cpu", [])
    return out, cpu, raw
