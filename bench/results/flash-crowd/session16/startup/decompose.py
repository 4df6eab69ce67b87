import sys, statistics
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))
from critical_path import decompose, fmt

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None

keys = ["req", "net", "bytes", "append", "to_seek", "seek_ff", "buf_ff", "ff", "lt_rest", "lt_after_bytes"]
pooled = {"p2p": [], "cdn": []}
for arg in sys.argv[1:]:
    out, cpu, raw = decompose(Path(arg))
    line = [arg.split("matrix-flash-")[-1]]
    for name in ("p2p", "cdn"):
        rows = out.get(name, [])
        pooled[name] += rows
        # machine CPU in the phase's first 12 s
        ph = next(p for p in raw["phases"] if p["spec"]["name"] == name)
        c = [s["machine"] for s in cpu if ph["start_wall"] <= s["wall"] <= ph["start_wall"] + 12000]
        line.append(f"{name}: " + " ".join(f"{k} {fmt(med([r[k] for r in rows]))}" for k in keys) + f" cpu0-12s {fmt(med(c))}")
    print(" | ".join(line))
for name, rows in pooled.items():
    print(f"POOLED {name} n={len(rows)}: " + " ".join(f"{k} {fmt(med([r[k] for r in rows]))}" for k in keys))
