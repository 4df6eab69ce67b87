"""waste.py REALISTIC_JSON...: per browser slot, downloaded bytes (origin + peers) per watched second, P2P vs CDN-only, with rungs."""
import sys, json
for f in sys.argv[1:]:
    ph = json.load(open(f))['phases']
    cdn = {v['slot']: v for v in ph['cdn']['viewers'] if v['kind'] == 'browser'}
    print(f.split('/')[-3][-6:])
    for v in sorted((v for v in ph['p2p']['viewers'] if v['kind'] == 'browser'), key=lambda v: v['slot']):
        c = cdn[v['slot']]
        rp = (v['p2p_bytes'] + v['http_bytes']) * 8 / 1000 / max(1, v['watch_s'])
        rc = (c['p2p_bytes'] + c['http_bytes']) * 8 / 1000 / max(1, c['watch_s'])
        print(f"  b{v['slot']+1:02d} {v['access']:6s} down {v['down_kbit']:5d}  p2p {rp:5.0f} kbit/s ({v['rung']}, {v.get('rung_shares')})  cdn {rc:5.0f} ({c['rung']})  watch {v['watch_s']:.0f}/{c['watch_s']:.0f}")
