"""Median live latency per phase of lab runs (raw.json.gz): the probe's `latency`, wall clock
minus the playing position's EXT-X-PROGRAM-DATE-TIME (phase 0 = P2P, 1 = CDN-only)."""
import gzip, json, sys, glob, statistics as st
for d in sys.argv[1:]:
    f = glob.glob(f'{d}/run-1/raw.json.gz')[0]
    raw = json.load(gzip.open(f))
    out = []
    for ph in raw['phases']:
        lat = []
        for v in ph['viewers']:
            for s in v.get('samples', []):
                x = s.get('latency') if isinstance(s, dict) else None
                if isinstance(x, (int, float)): lat.append(x)
        out.append((ph.get('name') or ph.get('phase'), round(st.median(lat), 2) if lat else None, len(lat)))
    print(d.split('/')[-1], out)
