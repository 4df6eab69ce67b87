"""caps.py RUNDIR...: per run, offload of bound and the measured upload caps per page (slot:access true-up->cap range kbit/s)."""
import json,glob,sys,os,tarfile,tempfile
for d in sys.argv[1:]:
    R=json.load(open(glob.glob(d+'/run-1/realistic.json')[0]))
    vs={v['slot']:v for v in R['phases']['p2p']['viewers']}
    tl=glob.glob(d+'/run-1/*-timeline')
    if not tl:
        tmp=tempfile.mkdtemp(); tarfile.open(glob.glob(d+'/run-1/*-timeline.tar.gz')[0]).extractall(tmp); tl=glob.glob(tmp+'/*-timeline')
    out=[]; cable=0
    for f in sorted(glob.glob(tl[0]+'/p2p-b0*.json')):
        slot=int(f[-7:-5])-1
        ev=json.load(open(f))['events']
        caps=[e.get('rate') for e in ev if e['kind']=='upload-limits' and e.get('rate')]
        v=vs[slot]
        if caps:
            out.append(f"s{slot}:{v['access'][:3]} {v['up_kbit']}->{round(min(caps)*8/1000)}-{round(max(caps)*8/1000)}")
            cable+=v['access']=='cable'
    p=R['phases']['p2p']
    print(f"{d.split('/')[-1]} of-bound {p.get('offload_of_bound')} cable-capped {cable} | {'; '.join(out)}")
