"""cls.py SCEN N [--set k=v ...]: stall seconds, stalls, viewers and bytes by downlink class
(tight < 2x the bitrate, mid 2-3x, big >= 3x) over seeds 1..N."""
import sys, collections
from scenarios import run
scen = sys.argv[1]; seeds = range(1, int(sys.argv[2]) + 1); extra = sys.argv[3:]
tot = collections.Counter()
for seed in seeds:
    for v in run(scen, seed, extra)['viewers']:
        c = 'tight' if v.get('down_x', 9) < 2 else ('mid' if v.get('down_x', 9) < 3 else 'big')
        tot[c + '_s'] += v['stalled_s']; tot[c + '_n'] += v['stalls']; tot[c + '_watch'] += 1
        tot[c + '_origin'] += sum(v['origin_bytes'].values()); tot[c + '_peer'] += v['peer_bytes']
print({k: round(v, 1) for k, v in sorted(tot.items())})
