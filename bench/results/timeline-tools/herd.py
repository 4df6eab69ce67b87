"""herd.py ARM=DIR,DIR ...: pre-first-frame fallback takeovers on P2P pages, before the player's seek and between seek and first frame."""
import json,glob,sys
for spec in sys.argv[1:]:
  arm,ds=spec.split('=')
  a=b=n=0
  for d in ds.split(','):
    for f in glob.glob(d+'/**/p2p-b*.json',recursive=True):
      n+=1
      ev=sorted(json.load(open(f))['events'],key=lambda e:e['t'])
      first=next((e['t'] for e in ev if e['kind']=='media' and e.get('event')=='playing'),None)
      seek=next((e['t'] for e in ev if e['kind']=='media' and e.get('event')=='seeking'),None)
      for e in ev:
        if e['kind']=='decision' and e['why']=='fallback-takeover' and (first is None or e['t']<=first):
          if seek and e['t']>=seek: b+=1
          else: a+=1
  print(f"{arm}: {n} pages; pre-first-frame fallback takeovers: before the seek {a}, seek to first frame {b}")
