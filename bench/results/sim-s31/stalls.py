import json, sys, collections
d = json.load(open(sys.argv[1])); run, log = d['run'], d['log']
V = {v['peer_id']: v for v in run['viewers']}
idx = {v['node']: v['peer_id'] for v in run['viewers']}
up = {}
for s in [e for e in run['trace'] if e['event'] == 'stall']:
    pid = idx[s['node']]
    print(f"--- stall t {s['t']} node {s['node']} seq {s['seq']} down {V[pid]['down_x']}")
    for at, p, seq, kind, det in log:
        if p == pid and (seq == s['seq'] or (kind == 'abandon-peer' and s['t'] - 6 < at < s['t'] + 1)) and at <= s['t'] + 2:
            dd = {k: v for k, v in det.items() if k not in ('piece_count',)}
            if 'peer' in dd: dd['peer'] = next((V[x]['node'] for x in V if x == dd['peer']), dd['peer'])
            print('  ', at, kind, dd)
