"""havelat.py TIMELINE_DIR... (timeline-tools README): how long a sender's HAVE (segment complete) took to reach each neighbour:
receiver's have-delta time minus the sender's http-end of that seq (sender = origin fetcher), by sender access."""
import sys, collections, statistics as st
from peer_ids import access_by_page, load_pages, resolve
for d in sys.argv[1:]:
    acc = access_by_page(d)
    pages = load_pages(d)
    byid = resolve(pages)
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
