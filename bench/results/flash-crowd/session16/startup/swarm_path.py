"""P2P viewers' first fragment: the join's decision, where the bytes came from, and the swarm path's
steps (request -> join -> record in (segment-added) -> bytes), pooled and per run."""
import sys, statistics, collections
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from critical_path import load, fmt

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None

allrows = []
for arg in sys.argv[1:]:
    raw, phases = load(Path(arg))
    rows = phases["p2p"]
    for r in rows:
        r["run"] = arg
    allrows += rows
    why = collections.Counter(f"{r.get('startup')}/{r.get('why')}" for r in rows)
    by = collections.Counter(f"{r.get('by')}{'/'+r['hedge'] if r.get('hedge') else ''}" for r in rows)
    print(arg.split("matrix-flash-")[-1], "join-req", fmt(med([r["join"] - r["req"] for r in rows if r.get("join")])),
          "originMs", med([r.get("originMs") for r in rows]), dict(why), dict(by))
print()
rows = allrows
print("pooled n", len(rows))
print("startup decisions:", collections.Counter(f"{r.get('startup')}/{r.get('why')}" for r in rows))
print("first-fragment source:", collections.Counter(f"{r.get('by')}{'/hedge-'+r['hedge'] if r.get('hedge') else ''}" for r in rows))
print("hedged at request:", collections.Counter(r.get("hedged") for r in rows))
print("join - request: median", fmt(med([r["join"] - r["req"] for r in rows if r.get("join")])), "p75", fmt(sorted(r["join"] - r["req"] for r in rows if r.get("join"))[3 * len(rows) // 4]))
print("originMs (slowest of API config / signing key):", fmt(med([r.get("originMs") for r in rows])), "p75", sorted(r.get("originMs") or 0 for r in rows)[3 * len(rows) // 4])
sw = [r for r in rows if r.get("startup") == "swarm"]
print(f"startup=swarm n={len(sw)}:")
for k, f in [("join-req", lambda r: r["join"] - r["req"]),
             ("segadd-join (record fetch)", lambda r: r["seg_added"] - r["join"] if r.get("seg_added") is not None else None),
             ("bytes-segadd", lambda r: r["bytes_at"] - r["seg_added"] if r.get("seg_added") is not None and r.get("bytes_at") is not None else None),
             ("bytes-req", lambda r: r["bytes_at"] - r["req"] if r.get("bytes_at") is not None else None),
             ("holders at add", lambda r: r.get("holders_at_add")),
             ("open1-join", lambda r: r["open1"] - r["join"] if r.get("open1") is not None else None)]:
    v = [f(r) for r in sw]; v = [x for x in v if x is not None]
    print(f"  {k}: median {fmt(med(v))} p25 {fmt(sorted(v)[len(v)//4])} p75 {fmt(sorted(v)[3*len(v)//4])} n {len(v)}")
peer = [r for r in rows if r.get("by") in ("peer", "mixed")]
print(f"served by peers/mixed n={len(peer)}: bytes-req {fmt(med([r['bytes_at']-r['req'] for r in peer]))}  waitedMs {med([r.get('waitedMs') for r in peer])}")
http = [r for r in rows if r.get("by") == "http-loader"]
print(f"served by hls.js HTTP n={len(http)}: bytes-req {fmt(med([r['bytes_at']-r['req'] for r in http]))}")
eng = [r for r in rows if r.get("by") == "http"]
print(f"served by the engine's origin fetch n={len(eng)}: bytes-req {fmt(med([r['bytes_at']-r['req'] for r in eng]))}")
# decisions seen on the first seq
c = collections.Counter()
for r in rows:
    for w in {w for w, _ in r.get("decisions", [])}:
        c[w] += 1
print("viewers with each decision on their first seq:", dict(c))
