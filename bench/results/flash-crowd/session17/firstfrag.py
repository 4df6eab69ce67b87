"""Per P2P viewer of a lab run: the first fragment's path (s after the page's first event)."""
import json, glob, sys
for run in sys.argv[1:]:
    print(run)
    for f in sorted(glob.glob(run + '/*-timeline/p2p-b0*.json')):
        d = json.load(open(f)); ev = d['events']; t0 = ev[0]['t']
        rel = lambda e: round((e['t'] - t0) / 1000, 2)
        fr = next((e for e in ev if e['kind'] == 'frag-request' and e.get('seq') is not None), None)
        seq = fr.get('seq') if fr else None
        join = next((e for e in ev if e['kind'] == 'join'), None)
        hs = next((e for e in ev if e['kind'] == 'http-start' and e.get('seq') == seq), None)
        lh = next((e for e in ev if e['kind'] == 'loader-http-start' and e.get('seq') == seq), None)
        served = next((e for e in ev if e['kind'] == 'frag-served' and e.get('seq') == seq), None)
        opened = next((e for e in ev if e['kind'] == 'peer-open'), None)
        play = next((e for e in ev if e['kind'] == 'media' and e.get('event') == 'playing'), None)
        seg = next((e for e in ev if e['kind'] == 'segment-added' and e.get('seq') == seq), None)
        print(f"  {d['viewer']} page@{round((t0-d['phase_start'])/1000,1)} req {rel(fr) if fr else '-'} seq {seq} join {rel(join) if join else '-'} "
              f"({join.get('startupWhy') if join else ''}, nb {join.get('neighbours') if join else ''}, recent {join.get('recentJoins') if join else ''}) "
              f"seg-added {rel(seg) if seg else '-'} holders {seg.get('holders') if seg else '-'} open1 {rel(opened) if opened else '-'} "
              f"http {rel(hs) if hs else '-'} loader {rel(lh) if lh else '-'} served {rel(served) if served else '-'} by {served.get('by') if served else '-'} "
              f"play {rel(play) if play else '-'}")
