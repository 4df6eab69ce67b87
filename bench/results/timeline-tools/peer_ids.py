"""peer_ids.py: which page is behind each peer id of a run's timelines (the timelines name a
neighbour only by its id). A link opens at both of its ends within moments: when page X sees
peer P open while page Y alone sees peer Q open near then, P is Y and Q is X. Used by
`havelat.py` and `../stalls-s57/abandoned.py`."""
import collections, glob, json


def access_by_page(timeline_dir):
    """Page name -> access class (cable, dsl, mobile), from the run's realistic.json."""
    viewers = json.load(open(glob.glob(timeline_dir + '/../realistic.json')[0]))['phases']['p2p']['viewers']
    return {v['viewer']: v['access'] for v in viewers}


def load_pages(timeline_dir):
    """Page name -> its P2P timeline's events in time order."""
    pages = {}
    for f in sorted(glob.glob(timeline_dir + '/p2p-b*.json')):
        page = json.load(open(f))
        pages[page['viewer']] = sorted(page['events'], key=lambda e: e['t'])
    return pages


def resolve(pages):
    """Peer id -> page name, for the ids the link openings settle (a page never sees itself)."""
    seen = {p: {e['peer'] for e in ev if e['kind'] == 'peer-open'} for p, ev in pages.items()}
    opens = sorted((e['t'], p, e['peer']) for p, ev in pages.items() for e in ev if e['kind'] == 'peer-open')
    votes = collections.defaultdict(collections.Counter)
    for i, (t, x, pid) in enumerate(opens):
        near = [(y, q) for t2, y, q in opens[max(0, i - 20):i + 20] if y != x and abs(t2 - t) < 300]
        if len(near) == 1:
            y, q = near[0]
            votes[pid][y] += 1
            votes[q][x] += 1
    byid = {}
    for pid, count in votes.items():
        page = count.most_common(1)[0][0]
        if pid not in seen[page]:
            byid[pid] = page
    return byid
