"""duplicates_by_thin_lead.py TIMELINE_DIR...: per run, each cable page's median lead when it learned of a live 360p
segment and its thin-lead fetches, and the segments fetched both by an election turn and by a thin lead."""
import sys, glob, statistics, collections
import os
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'timeline-tools')); sys.path.insert(0, HERE)
from peer_ids import load_pages
from lead import in_swarm, viewers
for tdir in sys.argv[1:]:
    pages = load_pages(tdir); acc = {k: v['access'] for k, v in viewers(tdir).items()}
    leads = {}; thin = collections.Counter(); fetch = collections.defaultdict(list)
    for p, ev in pages.items():
        first = {}; L = []; last = {}
        for e in in_swarm(ev, '360p'):
            s = e.get('seq')
            if e['kind'] == 'segment-added' and e.get('liveEdge') and s not in first: first[s] = e['t']
            if e['kind'] == 'decision' and 'seq' in e:
                last[s] = e['why']
                if 'dueS' in e and s in first and s not in leads.get(p, {}): leads.setdefault(p, {})[s] = e['dueS'] + (e['t'] - first[s]) / 1000
                if e['why'] == 'thin-lead': thin[p] += 1
            if e['kind'] == 'http-start' and s is not None: fetch[s].append((p, last.get(s)))
    med = {p: statistics.median(v.values()) for p, v in leads.items() if len(v) > 10}
    dup = sum(1 for s, f in fetch.items() if any(w == 'election-turn' for _, w in f) and any(w == 'thin-lead' for _, w in f))
    cab = sorted((round(m, 1), p[-3:], thin[p]) for p, m in med.items() if acc[p] == 'cable')
    print(tdir.split('/')[-1][:25], 'cable lead@learn/thin:', cab, '| segments with an election turn and a thin lead:', dup, 'of', len(fetch))
