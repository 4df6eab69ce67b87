"""caps.py RUNDIR...: per run, offload of bound and the measured upload caps per page (slot:access true-up->cap range kbit/s)."""
import json,glob,sys,os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_dirs import realistic, timeline_dir
for d in sys.argv[1:]:
    R=realistic(d)
    vs={v['slot']:v for v in R['phases']['p2p']['viewers']}
    out=[]; cable=0
    for f in sorted(glob.glob(timeline_dir(d)+'/p2p-b0*.json')):
        slot=int(f[-7:-5])-1
        ev=json.load(open(f))['events']
        caps=[e.get('rate') for e in ev if e['kind']=='upload-limits' and e.get('rate')]
        v=vs[slot]
        if caps:
            out.append(f"s{slot}:{v['access'][:3]} {v['up_kbit']}->{round(min(caps)*8/1000)}-{round(max(caps)*8/1000)}")
            cable+=v['access']=='cable'
    p=R['phases']['p2p']
    print(f"{d.split('/')[-1]} of-bound {p.get('offload_of_bound')} cable-capped {cable} | {'; '.join(out)}")
