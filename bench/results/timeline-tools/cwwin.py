"""Per page: windows where a neighbour assigned after its first links was still connecting
(another page joined its rendition swarm, the link to it not open yet), capped at 4 s (connect_wait_s).
Prints the share of P2P-phase time in such windows and the origin-fetch decisions made inside them."""
import json, glob, sys, os, collections
d = sys.argv[1]
pages = {}
for f in sorted(glob.glob(os.path.join(d, 'p2p-b*.json'))):
    pages[os.path.basename(f)[4:7]] = json.load(open(f))
ps = next(iter(pages.values()))['phase_start']
joins = []  # (t, page, swarm)
for p, dd in pages.items():
    for e in dd['events']:
        if e['kind'] == 'join':
            joins.append(((e['t'] - ps) / 1000, p, e['swarm']))
tot = collections.Counter(); inwin = collections.Counter(); wintime = 0; phase = 0
for p, dd in pages.items():
    ev = sorted(dd['events'], key=lambda e: e['t'])
    # this page's swarm membership intervals
    mine = [((e['t'] - ps) / 1000, e['swarm']) for e in ev if e['kind'] == 'join']
    opens = [((e['t'] - ps) / 1000, e['peer'], e['swarm']) for e in ev if e['kind'] == 'peer-open']
    wins = []
    for i, (jt, sw) in enumerate(mine):
        end = mine[i + 1][0] if i + 1 < len(mine) else 1e9
        # first links: the wait from own join until first open; later joins of others
        for (ot, op, osw) in joins:
            if op == p or osw != sw or not (jt + 0.5 < ot < end):
                continue
            # when did this page open a link in sw after ot? (approximate: next peer-open in sw)
            nxt = [t for (t, peer, s) in opens if s == sw and t >= ot]
            o = nxt[0] if nxt else end
            wins.append((ot, min(o, ot + 4.0, end)))
    for a, b in wins:
        wintime += b - a
    for e in ev:
        if e['kind'] != 'decision':
            continue
        why = e.get('why')
        if why not in ('election-turn', 'fallback-takeover', 'pace-takeover', 'race-takeover', 'catch-up', 'blocked-no-holder'):
            continue
        t = (e['t'] - ps) / 1000
        tot[why] += 1
        if any(a <= t < b for a, b in wins):
            inwin[why] += 1
print('window time (page-seconds):', round(wintime, 1), 'of', 8 * 120)
for k in tot:
    print(f"{k:18s} {tot[k]:4d}  in windows {inwin[k]:4d}")
