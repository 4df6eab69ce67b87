"""arms.py: per arm in lab.log, each run's P2P browser stalls (s), CDN-only stalls, offload of the bound; median / worst."""
import json, glob, statistics, collections, sys
log = sys.argv[1] if len(sys.argv) > 1 else '/work/notes/s54/lab.log'
arms = collections.defaultdict(list)
for line in open(log):
    parts = line.split()
    if len(parts) < 3: continue
    arm, tag = parts[1], parts[2]
    f = glob.glob(f'/work/wt/*/bench/results/{tag}/run-1/realistic.json') + glob.glob(f'/work/main/bench/results/{tag}/run-1/realistic.json')
    if not f: continue
    d = json.load(open(f[0]))['phases']
    p, c = d['p2p'], d['cdn']
    arms[arm].append((tag[-6:], p['browser_stalls'], p['browser_stall_s'], c['browser_stalls'], p['offload_of_bound'], p['offload']))
for arm, runs in arms.items():
    print(arm, ' '.join(f"{t}:{s}({ss:.1f})/{cs} {ob:.3f}" for t, s, ss, cs, ob, o in runs))
    st = [r[1] for r in runs]; ss = [r[2] for r in runs]; ob = [r[4] for r in runs]
    print(f"   n={len(runs)} stalls med {statistics.median(st)} worst {max(st)} | stall s med {statistics.median(ss):.1f} worst {max(ss):.1f} | of-bound med {statistics.median(ob):.3f} worst {min(ob):.3f} | cdn stalls {sum(r[3] for r in runs)}")
