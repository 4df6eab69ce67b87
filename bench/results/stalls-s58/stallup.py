"""stallup.py RUN_DIR...: for each P2P stall: the stalled segment's origin fetches (rate, upload kbps during them) and the page's upload in the 3 s before the stall."""
import os
import sys
here = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [here, os.path.join(here, '..', 'timeline-tools')]
from stall_events import stalls
from fetchrate import spans, upload_series, up_between
import statistics as st
rows=[]
for s in stalls(sys.argv[1:]):
    if not s.req: continue
    seq=s.req['seq']; ev=s.events; sp=spans(ev); up=upload_series(ev)
    f=[x for x in sp if x[3]=='http' and x[4].split(':')[1]!='' and any(e.get('id')==x[4] and e.get('seq')==seq for e in ev if e['kind'] in('http-start','loader-http-start')) and x[0]<=s.t+s.ms and x[1]>=s.req['t']-10000]
    u3=up_between(up,s.t-3000,s.t)*8/3/1000
    fr=[(round(x[2]*8/max(1,x[1]-x[0])), round(up_between(up,x[0],x[1])*8/max(1,x[1]-x[0]))) for x in f if x[2]>0]
    rows.append((s.page, round(s.ms/1000,2), round(u3), fr))
    print(s.run.split('-')[-1][:12], *rows[-1])
print('upload kbps in 3 s before stalls, median', st.median([r[2] for r in rows]))
