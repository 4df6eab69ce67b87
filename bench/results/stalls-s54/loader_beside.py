"""loader_beside.py RUN...: per P2P stall on a fragment the player loaded itself (loader-http), the load's
time against bytes/httpRate, and the scheduler's origin fetches and peer transfers that overlapped it."""
import sys
sys.path.insert(0, '/work/main/bench/results/timeline-tools')
from stall_events import stalls

for s in stalls(sys.argv[1:]):
    if not s.req:
        continue
    ev, seq = s.events, s.req['seq']
    end = s.t + s.ms
    ld = next((x for x in ev if x['kind'] == 'loader-http-start' and x.get('seq') == seq and s.req['t'] - 100 <= x['t'] <= end), None)
    if not ld:
        continue
    le = next((x for x in ev if x['kind'] == 'loader-http-end' and x.get('id') == ld['id']), None)
    t0, t1 = ld['t'], (le['t'] if le else end)
    rate = next((x.get('httpRate') for x in reversed(ev) if x['kind'] == 'http-start' and x['t'] <= t0), None) or \
           next((x.get('httpRate') for x in ev if x['kind'] == 'http-start'), None)
    nb = le['bytes'] if le else None
    plan = nb / rate if (nb and rate) else None
    print(f"{s.run[-6:]} {s.page} stall {s.ms/1000:.2f}s seq {seq} lvl {ld.get('level')} load {(t1-t0)/1000:.2f}s bytes {nb} rate {rate} plan {plan and round(plan,2)} stall_at +{(s.t-t0)/1000:.2f}")
    for x in ev:
        if x['kind'] == 'http-end' and x['t0'] < t1 and x['t'] > t0:
            print(f"    http seq {x.get('seq')} {(x['t0']-t0)/1000:+.2f}..{(x['t']-t0)/1000:+.2f} bytes {x.get('bytes')} due {x.get('dueS')}")
        if x['kind'] == 'loader-http-end' and x['id'] != ld['id'] and x['t0'] < t1 and x['t'] > t0:
            print(f"    loader seq {x.get('seq')} {(x['t0']-t0)/1000:+.2f}..{(x['t']-t0)/1000:+.2f} bytes {x.get('bytes')}")
    peer = [x for x in ev if x['kind'] == 'peer-end' and x.get('t0', x['t']) < t1 and x['t'] > t0]
    if peer:
        print(f"    peer transfers overlapping: {len(peer)}, bytes {sum(x.get('bytes',0) or 0 for x in peer)}, seqs {sorted(set(x.get('seq') for x in peer))}")
    d = [x for x in ev if x['kind'] == 'decision' and t0 <= x['t'] <= t1 and x.get('why') != 'peer-request']
    print('    decisions during load:', [(x.get('why'), x.get('seq'), round((x['t']-t0)/1000,2)) for x in d][:12])
