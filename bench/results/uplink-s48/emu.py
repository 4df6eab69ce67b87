"""emu.py LOG.json: the uplink meter's windows on a 50-ms log, sampled every 1 s as the feed does:
'ends' = waiting bytes at both ends of an interval (main), 'polls' = the least of every 50-ms poll in it."""
import json, sys, statistics as st
BACKLOG = 65536
def meter(rows, rule, step=20, phase=0):
    samples = rows[phase::step]
    fast = slow = None; wins = []; acc_b = acc_s = 0
    for i in range(1, len(samples)):
        a, b = samples[i - 1], samples[i]
        if rule == 'ends': waiting = min(a[2], b[2])
        else: waiting = min(r[2] for r in rows[phase + (i - 1) * step: phase + i * step + 1])
        if waiting < BACKLOG: continue
        acc_b += b[3] - a[3]; acc_s += (b[0] - a[0]) / 1000
        if acc_s < 1: continue
        rate = acc_b / acc_s; acc_b = acc_s = 0
        if rate < 16000: continue
        wins.append(rate * 8 / 1000)
        if fast is None: fast = slow = rate
        else:
            f, s = 0.5 ** (1 / 3), 0.5 ** (1 / 9); fast = f * fast + (1 - f) * rate; slow = s * slow + (1 - s) * rate
    return wins, (min(fast, slow) * 8 / 1000 if fast else None)
for run in json.load(open(sys.argv[1])):
    rows = run['log']
    dem = (rows[-1][1] - rows[0][1]) * 8 / (rows[-1][0] - rows[0][0])
    busy = sum(1 for r in rows if r[2] > 0) / len(rows)
    print(f"burst {run['n']} pieces / ~{run['period']} s: demand {dem:.0f} kbit/s, waiting>0 in {busy:.0%} of polls")
    for rule in ('ends', 'polls'):
        ests = []; nwin = []
        for ph in range(0, 20, 2):
            w, e = meter(rows, rule, phase=ph); ests.append(e); nwin.append(len(w))
        ok = [e for e in ests if e]
        print(f"   {rule:5}: estimate by sampling phase {sorted(round(e) for e in ok)} (windows {min(nwin)}-{max(nwin)}; none in {len(ests)-len(ok)} phases)")
