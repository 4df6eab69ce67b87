"""seedcmp.py BASE_DIR NEW_DIR: per-seed stall share, how many seeds better / worse."""
import json, glob, sys
def load(d):
    j = json.load(open(glob.glob(d + '/*.json')[0]))
    a = next(iter(j['adapters'].values()))
    return {r['seed']: r['stall_share'] for r in a['runs']}
b, n = load(sys.argv[1]), load(sys.argv[2])
better = sum(1 for s in b if n[s] < b[s] - 0.001); worse = sum(1 for s in b if n[s] > b[s] + 0.001)
print(f"{sys.argv[2].split('/')[-1]}: better {better}, worse {worse}, same {len(b)-better-worse}; biggest loss {max(n[s]-b[s] for s in b):.4f}")
