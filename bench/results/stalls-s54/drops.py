"""drops.py REALISTIC_JSON...: per browser slot, access-cap drops (up/down) in P2P beside CDN-only, with stalls."""
import sys, json
for f in sys.argv[1:]:
    d = json.load(open(f))
    ph = d['phases']
    print(f)
    cdn = {v['slot']: v for v in ph['cdn']['viewers'] if v['kind'] == 'browser'}
    for v in sorted((v for v in ph['p2p']['viewers'] if v['kind'] == 'browser'), key=lambda v: v['slot']):
        c = cdn.get(v['slot'], {})
        dp, dc = v.get('access_drops') or {}, c.get('access_drops') or {}
        print(f"  b{v['slot']+1:02d} {v['access']:6s} up {v['up_kbit']:5d} down {v['down_kbit']:5d} {v['rung']}/{c.get('rung')}  drops p2p up {dp.get('up')} down {dp.get('down')} | cdn up {dc.get('up')} down {dc.get('down')}  stalls {v['stalls']} ({v['stall_s']}) / {c.get('stalls')}  up MB {v['uploaded_bytes']/1e6:.1f} p2p {v['p2p_bytes']/max(1,v['p2p_bytes']+v['http_bytes']):.2f}")
    py = [v for v in ph['p2p']['viewers'] if v['kind'] != 'browser']
    print('  python drops p2p up', sum((v.get('access_drops') or {}).get('up', 0) for v in py), 'down', sum((v.get('access_drops') or {}).get('down', 0) for v in py))
    print('  offload', ph['p2p']['offload'], 'of bound', ph['p2p']['offload_of_bound'], 'stalls', ph['p2p']['browser_stalls'], ph['p2p']['browser_stall_s'], 'cdn', ph['cdn']['browser_stalls'])
