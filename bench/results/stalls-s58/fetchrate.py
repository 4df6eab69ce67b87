"""fetchrate.py RUN_DIR...: per P2P page, its whole-segment origin fetches (> 100 kB; the shim's
and the player's own) and their rate, split by what else was on the page's links meanwhile:
alone (no other transfer on its downlink) with little upload (< 30 kbit/s on its uplink) or
uploading (>= 60), or beside another transfer. RUN_DIR: a run-1 with its timeline unpacked."""
import collections
import glob
import json
import statistics as st
import sys


def load(run, page):
    return sorted(json.load(open(glob.glob(f'{run}/*/{page}.json')[0]))['events'], key=lambda e: e['t'])


def spans(ev):
    """(start, end, bytes, 'http'|'peer', id, outcome) of the page's origin and peer transfers."""
    started, out = {}, []
    for e in ev:
        if e['kind'] in ('http-start', 'loader-http-start', 'peer-start'):
            started[e['id']] = e['t']
        elif e['kind'] in ('http-end', 'loader-http-end', 'peer-end') and e['id'] in started:
            kind = 'peer' if e['kind'] == 'peer-end' else 'http'
            out.append((started.pop(e['id']), e['t'], e.get('bytes', 0), kind, e['id'], e.get('outcome')))
    return out


def upload_series(ev):
    """(t, bytes its ICE transports sent so far) from the `uplink-wire` probe."""
    points, total = [], {}
    for e in ev:
        if e['kind'] == 'uplink-wire':
            for link in e['links']:
                total[link['id']] = max(total.get(link['id'], 0), link['wire'] or 0)
            points.append((e['t'], sum(total.values())))
    return points


def up_between(points, a, b):
    def at(t):
        prev = None
        for p in points:
            if p[0] > t:
                if prev is None:
                    return 0
                return prev[1] + (p[1] - prev[1]) * (t - prev[0]) / max(1, p[0] - prev[0])
            prev = p
        return prev[1] if prev else 0
    return at(b) - at(a)


def rows(runs):
    out = []
    for run in runs:
        for page in ['p2p-b0%d' % i for i in range(1, 9)]:
            ev = load(run, page)
            sp, up = spans(ev), upload_series(ev)
            for a, b, size, kind, ident, outcome in sp:
                if kind != 'http' or outcome != 'ok' or size < 100000:
                    continue
                other_http = other_peer = 0
                for a2, b2, size2, kind2, ident2, _ in sp:
                    if ident2 == ident or b2 <= a or a2 >= b or size2 <= 0:
                        continue
                    share = (min(b, b2) - max(a, a2)) / max(1, b2 - a2)
                    if kind2 == 'http':
                        other_http += size2 * share
                    else:
                        other_peer += size2 * share
                secs = (b - a) / 1000
                out.append((page[-3:], size * 8 / secs / 1000, other_http * 8 / secs / 1000,
                            other_peer * 8 / secs / 1000, up_between(up, a, b) * 8 / secs / 1000))
    return out


def main():
    by_page = collections.defaultdict(list)
    for r in rows(sys.argv[1:]):
        by_page[r[0]].append(r)

    def med(rs, i):
        return round(st.median([r[i] for r in rs])) if rs else None
    for page, rs in sorted(by_page.items()):
        alone = [r for r in rs if r[2] < 20 and r[3] < 20]
        quiet = [r for r in alone if r[4] < 30]
        uploading = [r for r in alone if r[4] >= 60]
        shared = [r for r in rs if r[2] >= 20 or r[3] >= 20]
        print(page, 'n', len(rs), 'kbit/s median', med(rs, 1),
              '| alone', len(alone), med(alone, 1), '(upload < 30:', len(quiet), med(quiet, 1),
              ' >= 60:', len(uploading), med(uploading, 1), ')',
              '| beside others', len(shared), med(shared, 1), '| upload median', med(rs, 4))


if __name__ == '__main__':
    main()
