"""startup_pages.py DIR...: one line per P2P page of unpacked timelines: rung, first join (why, when), first frame, seek target past the first fragment's start, fallback takeovers before the first frame, stalls of 0.3 s or more (s after first frame, length)."""
import json,glob,sys
for d in sys.argv[1:]:
  print('==',d)
  for f in sorted(glob.glob(d+'/**/p2p-b*.json',recursive=True)):
    ev=sorted(json.load(open(f))['events'],key=lambda e:e['t']); t0=ev[0]['t']
    first=next((e['t'] for e in ev if e['kind']=='media' and e.get('event')=='playing'),None)
    seek=next((e for e in ev if e['kind']=='media' and e.get('event')=='seeking'),None)
    j=next((e for e in ev if e['kind']=='join'),None)
    req=next((e for e in ev if e['kind']=='frag-request' and e.get('seq') is not None),None)
    lvl=next((e['level'] for e in ev if e['kind']=='level-switching'),None)
    st=[(round((e['t']-first)/1000,1) if first else None, round(e['ms']/1000,1)) for e in ev if e['kind']=='stall' and e.get('phase')=='end']
    fb=sum(1 for e in ev if e['kind']=='decision' and e['why']=='fallback-takeover' and first and e['t']<first)
    print(f.split('/')[-1][:7], 'lvl',lvl,'why',j and j['startupWhy'],'join',j and round((j['t']-t0)/1000,1),'ttff',first and round((first-t0)/1000,1),'seekgap', seek and req and round(seek['to']-req['start'],2),'fbpre',fb,'stalls',[s for s in st if s[1]>=0.3])
