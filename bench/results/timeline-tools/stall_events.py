"""What stallcat.py, eft.py and loaderstall.py share (session 49): every P2P stall of unpacked runs."""
import glob, json
from dataclasses import dataclass


@dataclass
class Stall:
    run: str
    page: str
    events: list  # the page's events, by time
    index: int  # of the stall's start event
    t: float  # its start (ms)
    ms: float  # how long it lasted
    req: dict | None  # the fragment request it waited on (the one whose media holds the position)
    early: bool  # within 30 s of the page's first frame

    def added(self):
        """The stalled segment's `segment-added` event (None: no fragment request, or none)."""
        if not self.req:
            return None
        seq, since = self.req['seq'], self.req['t'] - 20000
        return next((x for x in self.events if x['kind'] == 'segment-added' and x.get('seq') == seq and x['t'] >= since), None)

    def origin_fetches(self, added):
        """The scheduler's origin fetches (`http-start`) of the stalled segment from its arrival to the stall's end."""
        seq, end = self.req['seq'], self.t + self.ms
        return [x for x in self.events if x['kind'] == 'http-start' and x.get('seq') == seq and added['t'] - 100 <= x['t'] <= end]


def stalls(dirs):
    for d in dirs:
        for f in sorted(glob.glob(d + '/*/p2p-b0*.json')):
            ev = sorted(json.load(open(f))['events'], key=lambda e: e['t'])
            first = next((e['t'] for e in ev if e['kind'] == 'media' and e.get('event') == 'playing'), None)
            for i, e in enumerate(ev):
                if e['kind'] != 'stall' or e.get('phase') != 'start':
                    continue
                end = next((x for x in ev[i + 1:] if x['kind'] == 'stall' and x.get('phase') == 'end'), None)
                pos = e['pos']
                req = next((x for x in reversed(ev[:i]) if x['kind'] == 'frag-request' and x.get('seq') is not None
                            and x['start'] <= pos + 0.3 < x['start'] + 2.0), None)
                early = first is not None and e['t'] - first < 30000
                yield Stall(d, f.split('/')[-1][:-5], ev, i, e['t'], end['ms'] if end else 0, req, early)


def early_stalls(dirs):
    """The early stalls (a page's first 30 s of play) that waited on a known fragment request."""
    return (s for s in stalls(dirs) if s.req and s.early)
