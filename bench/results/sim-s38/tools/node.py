import json,sys
f=sys.argv[1]; node=int(sys.argv[2]); seqs=[int(x) for x in sys.argv[3].split(',')]
d=json.load(open(f)); run=d['run']; log=d['log']
vs={v['node']:v for v in run['viewers']}; v=vs[node]; pid=v['peer_id']
idx={vv['peer_id']:vv['node'] for vv in run['viewers']}
print('node',node,'down',v.get('down_x'),'arr',v['arrives_at'],'ttff',v['ttff'],'neigh',v['neighbours'])
ev=[]
for e in run['trace']:
    if e['node']==node and e.get('seq') in seqs: ev.append((e['t'],'TRACE',e))
for at,p,seq,kind,det in log:
    if p==pid and seq in seqs: ev.append((at,kind,det))
for t,k,x in sorted(ev,key=lambda z:z[0]):
    s=json.dumps(x)
    for q,n in idx.items(): s=s.replace(q,f'n{n}')
    print(f'{t:8.3f} {k:22s} {s[:200]}')
