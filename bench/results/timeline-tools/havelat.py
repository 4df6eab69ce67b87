"""havelat.py TIMELINE_DIR... (timeline-tools README): how long a sender's HAVE (segment complete) took to reach each neighbour:
receiver's have-delta time minus the sender's http-end of that seq (sender = origin fetcher), by sender access."""
import json, glob, sys, collections, statistics as st
for d in sys.argv[1:]:
    acc = {}
    rj = glob.glob(d + '/../realistic.json')
    for v in json.load(open(rj[0]))['phases']['p2p']['viewers']: acc[v['viewer']] = v['access']
    pages = {}
    for f in sorted(glob.glob(d + '/p2p-b*.json')):
        J = json.load(open(f)); pages[J['viewer']] = sorted(J['events'], key=lambda e: e['t'])
    seen = {p: {e['peer'] for e in ev if e['kind'] == 'peer-open'} for p, ev in pages.items()}
    allids = set().union(*seen.values())
    # resolve ids: a page never sees itself; iterate elimination
    # a link opens at both ends within moments: X sees P open while Y sees Q open -> P is Y, Q is X
    opens = [(e['t'], p, e['peer']) for p, ev in pages.items() for e in ev if e['kind'] == 'peer-open']
    opens.sort()
    votes = collections.defaultdict(collections.Counter)  # id -> page votes
    for i, (t, x, pid) in enumerate(opens):
        near = [(abs(t2 - t), y, q) for t2, y, q in opens[max(0, i - 20):i + 20] if y != x and abs(t2 - t) < 300]
        if len(near) == 1:
            _, y, q = near[0]
            votes[pid][y] += 1; votes[q][x] += 1
    byid = {pid: c.most_common(1)[0][0] for pid, c in votes.items() if pid not in seen[c.most_common(1)[0][0]]}
    ident = set(byid.values())
    done = collections.defaultdict(dict)  # page -> seq -> http-end wall t (last)
    for p, ev in pages.items():
        for e in ev:
            if e['kind'] == 'http-end' and 'seq' in e and e.get('outcome') == 'ok':
                done[p][e['seq']] = e['t']
    lat = collections.defaultdict(list)
    for r, ev in pages.items():
        for e in ev:
            if e['kind'] == 'have-delta':
                x = byid.get(e['peer'])
                if x is None: continue
                t0 = done[x].get(e['seq'])
                if t0 is None or e['t'] < t0 or e['t'] - t0 > 15000: continue
                lat[acc[x]].append((e['t'] - t0) / 1000)
    print(d.split('/')[-1][:25], f"resolved {len(ident)}/{len(pages)}", ' | '.join(f"{a}: n {len(v)} median {st.median(v):.2f} p90 {sorted(v)[int(0.9*len(v))]:.2f} s" for a, v in sorted(lat.items())))
