import json, glob, sys
# wire_rate.py TIMELINE_DIR: per page, its uplink cap and the best 5-s wire rate of its links
caps = {}
rj = glob.glob(sys.argv[1] + '/../realistic.json')
for v in json.load(open(rj[0]))['phases']['p2p']['viewers']: caps[v['viewer']] = v['up_kbit']
for f in sorted(glob.glob(sys.argv[1] + '/p2p-b*.json')):
    d = json.load(open(f)); ps = d['phase_start']
    ev = [e for e in d['events'] if e['kind'] == 'uplink-wire']
    tot = []
    last = {}
    acc = 0
    for e in ev:
        for l in e['links']:
            w = l.get('wire') or 0
            acc += max(0, w - last.get(l['id'], 0)); last[l['id']] = w
        tot.append((e['t'], acc))
    best = 0
    for i in range(len(tot)):
        for j in range(i + 1, len(tot)):
            if tot[j][0] - tot[i][0] >= 5000:
                best = max(best, (tot[j][1] - tot[i][1]) * 8 / (tot[j][0] - tot[i][0])); break
    print(d['viewer'], 'cap', caps.get(d['viewer']), 'kbit; best 5-s wire', round(best), 'kbit')
