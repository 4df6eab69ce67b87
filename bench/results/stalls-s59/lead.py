"""lead.py CMD TIMELINE_DIR...: where a 360p segment's lead goes (session 59). Commands:

  relay   per access class of the other pages, for segments whose first election turn was a cable
          page's: how each page got it (peer / mixed / http), the time from that turn's origin
          fetch to a peer-only page holding it, and when pages that went to the origin started
  turn    per segment the smallest election wait any page drew (`election-wait` httpFirstInS) and
          the first origin fetch's delay after the first page learned of the segment
  thin    each thin-lead decision on a cable page: seconds since it learned, the swarm's first
          origin fetch (page, class, seconds after this page learned), when it first heard of one
  copies  segments grouped by the class (and uplink) of the page whose election turn came first,
          with the origin share of the members' bytes
  slow    per page and swarm join: seconds to the first neighbour origin rate at least twice the
          page's (when `slow_link` can first hold) and stalls within 15 s of the join

TIMELINE_DIR: a run's unpacked `*-timeline` directory (beside its realistic.json)."""
import collections, json, glob, os, statistics, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'timeline-tools'))
from peer_ids import load_pages  # noqa: E402


def viewers(tdir):
    return {v['viewer']: v for v in json.load(open(glob.glob(tdir + '/../realistic.json')[0]))['phases']['p2p']['viewers']}


def in_swarm(events, swarm):
    """The page's events while it was in `swarm` (joins name it)."""
    current = None
    for e in events:
        if e['kind'] == 'join':
            current = e['swarm'].split('/')[-1]
        if current == swarm:
            yield e


def first_turns(pages, swarm='360p'):
    turn = {}
    for page, events in pages.items():
        for e in in_swarm(events, swarm):
            if e['kind'] == 'decision' and e['why'] == 'election-turn' and (e['seq'] not in turn or e['t'] < turn[e['seq']][0]):
                turn[e['seq']] = (e['t'], page)
    return turn


def relay(tdir):
    pages, acc = load_pages(tdir), {k: v['access'] for k, v in viewers(tdir).items()}
    learn, http, done = (collections.defaultdict(dict) for _ in range(3))
    for page, events in pages.items():
        for e in in_swarm(events, '360p'):
            s = e.get('seq')
            if s is None:
                continue
            if e['kind'] == 'segment-added': learn[s].setdefault(page, e['t'])
            if e['kind'] == 'http-start': http[s].setdefault(page, e['t'])
            if e['kind'] == 'frag-served': done[s].setdefault(page, (e['t'], e['by']))
    rows = collections.defaultdict(list)
    for s, (t0, fetcher) in first_turns(pages).items():
        if acc[fetcher] != 'cable':
            continue
        for page in learn[s]:
            if page != fetcher:
                served, origin = done[s].get(page), http[s].get(page)
                rows[acc[page]].append((served and served[1], served and (served[0] - t0) / 1000, origin and (origin - t0) / 1000))
    for a, r in sorted(rows.items()):
        peer = sorted(x[1] for x in r if x[0] == 'peer'); own = [x[2] for x in r if x[2] is not None]
        print(f"  {a:6s} n {len(r)} by {dict(collections.Counter(x[0] for x in r))} | peer-only in after the turn's fetch: med "
              f"{statistics.median(peer) if peer else 0:.2f} p90 {peer[int(.9 * len(peer))] if peer else 0:.2f} | own origin fetch med {statistics.median(own) if own else 0:.2f}")


def turn(tdir):
    pages = load_pages(tdir)
    waits, learn, fetch = collections.defaultdict(list), {}, {}
    for events in pages.values():
        for e in in_swarm(events, '360p'):
            s = e.get('seq')
            if e['kind'] == 'segment-added' and e.get('liveEdge'): learn[s] = min(learn.get(s, 1e18), e['t'])
            if e['kind'] == 'decision' and e['why'] == 'election-wait': waits[s].append(e['httpFirstInS'])
            if e['kind'] == 'http-start' and s is not None: fetch[s] = min(fetch.get(s, 1e18), e['t'])
    least = {s: min(w) for s, w in waits.items()}
    delays = sorted((fetch[s] - learn[s]) / 1000 for s in learn if s in fetch)
    print(f"  segments {len(least)}, no immediate turn {sum(1 for m in least.values() if m > 0.05)}; first fetch after the first page"
          f" learned: med {statistics.median(delays):.2f} p75 {delays[int(.75 * len(delays))]:.2f}; least waits"
          f" {collections.Counter(round(m, 1) for m in least.values()).most_common(6)}")


def thin(tdir):
    pages, acc = load_pages(tdir), {k: v['access'] for k, v in viewers(tdir).items()}
    first = {}
    for page, events in pages.items():
        for e in in_swarm(events, '360p'):
            if e['kind'] == 'http-start' and e.get('seq') is not None and (e['seq'] not in first or e['t'] < first[e['seq']][0]):
                first[e['seq']] = (e['t'], page)
    for page, events in pages.items():
        if acc[page] != 'cable':
            continue
        learn, heard = {}, {}
        for e in in_swarm(events, '360p'):
            s = e.get('seq')
            if e['kind'] == 'segment-added': learn.setdefault(s, e['t'])
            if e['kind'] in ('have-pieces', 'have-delta', 'have') and s is not None: heard.setdefault(s, e['t'])
            if e['kind'] == 'decision' and e['why'] == 'thin-lead' and s in learn:
                f = first.get(s)
                by = f"{f[1]}/{acc[f[1]]} {(f[0] - learn[s]) / 1000:+.2f}" if f else 'none'
                h = f"{(heard[s] - learn[s]) / 1000:+.2f}" if s in heard else 'never'
                print(f"  {page} seq {s} since learning {(e['t'] - learn[s]) / 1000:.2f} due {e['dueS']} first fetch {by} heard {h}")


def copies(tdir):
    pages, vs = load_pages(tdir), viewers(tdir)
    size, origin, members = {}, collections.Counter(), collections.defaultdict(set)
    turns = {}
    for swarm in ('360p', '240p'):
        for s, t in first_turns(pages, swarm).items():
            turns[(swarm, s)] = t
        for page, events in pages.items():
            for e in in_swarm(events, swarm):
                key = (swarm, e.get('seq'))
                if e['kind'] == 'segment-added': size[key] = e['size']; members[key].add(page)
                if e['kind'] in ('http-end', 'loader-http-end') and e.get('bytes'): origin[key] += e['bytes']
    groups = collections.defaultdict(list)
    for key, (_, page) in turns.items():
        if key in size and len(members[key]) >= 3:
            groups[(key[0], f"{vs[page]['access']}{vs[page]['up_kbit']}")].append(origin[key] / size[key] / len(members[key]))
    for (swarm, who), shares in sorted(groups.items()):
        print(f"  {swarm} first turn {who:12s} segments {len(shares):3d} origin share of the members' bytes {sum(shares) / len(shares):.2f}")


def slow(tdir):
    for page, events in load_pages(tdir).items():
        joins = [e for e in events if e['kind'] == 'join']
        out = []
        for i, join in enumerate(joins):
            end = joins[i + 1]['t'] if i + 1 < len(joins) else float('inf')
            rate, known = None, None
            for e in events:
                if not join['t'] <= e['t'] < end: continue
                if e['kind'] == 'decision' and e.get('httpRate'): rate = e['httpRate']
                if e['kind'] == 'have-pieces' and rate and e.get('originRate', 0) >= 2 * rate:
                    known = (e['t'] - join['t']) / 1000; break
            stalls = sum(1 for e in events if e['kind'] == 'stall' and e.get('phase') == 'start' and join['t'] <= e['t'] < min(end, join['t'] + 15000))
            out.append(f"{join['swarm'].split('/')[-1]}:{'-' if known is None else round(known, 1)}:{stalls}")
        print(f"  {page} {' '.join(out)}")


if __name__ == '__main__':
    command = {'relay': relay, 'turn': turn, 'thin': thin, 'copies': copies, 'slow': slow}[sys.argv[1]]
    for tdir in sys.argv[2:]:
        print(tdir.rstrip('/').split('/')[-1])
        command(tdir)
