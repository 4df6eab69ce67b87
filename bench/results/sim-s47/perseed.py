import json,glob,sys
for d in sys.argv[1:]:
    j=json.load(open(glob.glob(f'{d}/*.json')[0])); runs=j['adapters']['shim']['runs']
    print(d)
    for r in sorted(runs,key=lambda r:r['offload_of_bound']):
        print(f" seed {r['seed']:2} n {r['peers']} up {r['up_x']} bound {r['bound']:.3f} off {r['offload']:.3f} ofb {r['offload_of_bound']:.3f} copies {r['origin_copies_per_segment_mean']} stall {r['stall_share']:.4f} {r['counts']}")
