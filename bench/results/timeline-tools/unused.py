import json, glob, sys
# unused.py TAG...: uploaded bytes no viewer kept, per run
for t in sys.argv[1:]:
    f = glob.glob(f'bench/results/realistic-{t}/run-1/realistic.json')
    v = json.load(open(f[0]))['phases']['p2p']['viewers']
    up = sum(x['uploaded_bytes'] for x in v); p = sum(x['p2p_bytes'] for x in v)
    print(t, f"uploaded {up/1e6:.1f} MB kept {p/1e6:.1f} MB unused {100*(1-p/up):.0f}%")
