import json, sys, glob, os
for run in sys.argv[1:]:
    for f in sorted(glob.glob(f'{run}/*-timeline/p2p-*.json')):
        d=json.load(open(f)); ps=d['phase_start']
        starts={}; fetches=[]; stalls=[]
        for e in d['events']:
            t=(e['t']-ps)/1000
            if e['kind']=='http-start': starts[e['id']]=e
            elif e['kind']=='http-end' and e['id'] in starts:
                s=starts[e['id']]; t0=(e.get('t0',s['t'])-ps)/1000
                fetches.append((t0,t,e.get('bytes',0),s.get('httpRate',0),s.get('seq'),s.get('why'),s.get('dueS')))
            elif e['kind']=='stall' and e.get('phase')=='end': stalls.append((t-e['ms']/1000,e['ms']/1000))
        for (st,ms) in stalls:
            infl=[x for x in fetches if x[0]<st and x[1]>st]
            desc=[]
            for (t0,t1,b,r,seq,why,due) in infl:
                conc=sum(1 for y in fetches if y[0]<t1 and y[1]>t0)-1
                desc.append(f"seq{seq} dur={t1-t0:.2f} plan={b/r if r else 0:.2f} conc={conc} due={due} ends+{t1-st:.2f}")
            print(run[-6:],os.path.basename(f)[:-5],f"stall@{st:.1f} {ms:.2f}s |", '; '.join(desc) or 'no origin fetch in flight')
