"""floors.py RUNDIR... (FIELD=wire|drained|min, SPAN=seconds; defaults wire, 2): per capped page: true uplink,
first cap (time, kbit/s), the best SPAN-s rate of FIELD bytes (summed over its links) before it
(bytes really sent: a floor under the link's capacity), the meter's estimates before the cap."""
import json, glob, sys, tarfile, tempfile, os
FIELD = os.environ.get('FIELD', 'wire'); SPAN = float(os.environ.get('SPAN', '2')); WHOLE = os.environ.get('WHOLE') == '1'  # WHOLE=1: the whole run, not only before the cap
def best(rows, span=2.0):
    b = 0
    for i in range(len(rows)):
        for j in range(i + 1, len(rows)):
            if rows[j][0] - rows[i][0] >= span:
                b = max(b, (rows[j][1] - rows[i][1]) * 8 / (rows[j][0] - rows[i][0]) / 1000); break
    return round(b)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_dirs import realistic, timeline_dir
for d in sys.argv[1:]:
    R = realistic(d)
    vs = {v['viewer']: v for v in R['phases']['p2p']['viewers']}
    for f in sorted(glob.glob(timeline_dir(d) + '/p2p-b0*.json')):
        J = json.load(open(f)); ps = J['phase_start']; v = vs[J['viewer']]
        ev = sorted(J['events'], key=lambda e: e['t'])
        caps = [e for e in ev if e['kind'] == 'upload-limits' and e.get('rate')]
        if not caps: continue
        t0 = caps[0]['t']
        rows = []; last = {}; acc = 0
        for e in ev:
            if e['kind'] != 'uplink-wire' or (e['t'] > t0 and not WHOLE): continue
            for l in e['links']:
                if FIELD == 'min':  # per link and interval the lesser of what left the channel and what reached the wire
                    w = (l.get('drained'), l.get('wire'))
                    if None in w: continue
                    b = last.get(l['id'], w)
                    acc += max(0, min(w[0] - b[0], w[1] - b[1])); last[l['id']] = w
                    continue
                w = l.get(FIELD)
                if w is None: continue
                acc += max(0, w - last.get(l['id'], w)); last[l['id']] = w
            rows.append(((e['t'] - ps) / 1000, acc))
        ests = [round(e['bps'] / 1000) for e in ev if e['kind'] == 'uplink' and e['t'] <= t0]
        print(f"{d[-15:]} {J['viewer']} {v['access']:6} up {v['up_kbit']:5} cap@{(t0-ps)/1000:5.1f}s {round(caps[0]['rate']*8/1000):4} "
              f"best-before {best(rows, SPAN):5} est {ests}")
