"""cmp.py BASE NEW: per seed offload-of-bound and stall share, better/worse counts."""
import json,glob,sys
def load(d):
    j=json.load(open(sorted(glob.glob(d+'/*.json'))[-1])); return {r['seed']:r for r in j['adapters']['shim']['runs']}
b,n=load(sys.argv[1]),load(sys.argv[2])
ob=sum(1 for s in b if n[s]['offload_of_bound']>b[s]['offload_of_bound']+0.005); ow=sum(1 for s in b if n[s]['offload_of_bound']<b[s]['offload_of_bound']-0.005)
sb=sum(1 for s in b if n[s]['stall_share']<b[s]['stall_share']-0.001); sw=sum(1 for s in b if n[s]['stall_share']>b[s]['stall_share']+0.001)
print(f"{sys.argv[2].split('/')[-1]} vs {sys.argv[1].split('/')[-1]}: offload/bound better {ob} worse {ow}; stall better {sb} worse {sw}")
if len(sys.argv)>3:
  for s in sorted(b):
    print(f"  seed {s:2} n {b[s]['peers']} ofb {b[s]['offload_of_bound']:.3f} -> {n[s]['offload_of_bound']:.3f}  stall {b[s]['stall_share']:.4f} -> {n[s]['stall_share']:.4f}  up {b[s]['up_x']}")
