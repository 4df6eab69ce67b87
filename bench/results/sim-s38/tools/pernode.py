"""pernode.py SCEN SEED [--set k=v ...]: each viewer's downlink, arrival, TTFF and stalls
(ADAPTER=cdn for CDN-only)."""
import os, sys
from scenarios import run
scen = sys.argv[1]; seed = int(sys.argv[2]); extra = sys.argv[3:]
result = run(scen, seed, extra, adapter=os.environ.get('ADAPTER', 'shim'))
print('share', result['stall_share'])
for v in result['viewers']:
    st = [(e['t'], e['seq']) for e in result['trace'] if e['event'] == 'stall' and e['node'] == v['node']]
    print(v['node'], 'down', v.get('down_x'), 'arr', v['arrives_at'], 'ttff', v['ttff'], 'stalled', v['stalled_s'], st)
