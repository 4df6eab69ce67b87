"""stallpcap.py PCAP_DIR RUN_DIR...: per stall of the captured pages (b08 on h7, b03 on h2), their downlink and
uplink in the 3 s before it (kbit/s): from the edge, from peers (direct and TURN), sent. The capture of a run is the
one `capwatch.sh` started within 90 s after the run's start (PCAP_DIR/index.txt); RUN_DIR: a run-1 with its
timeline unpacked, named .../realistic-YYYYMMDD-HHMMSS/run-1."""
import subprocess, re, json, glob, sys, collections
import os
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'timeline-tools'))
from stall_events import stalls
PCAP = sys.argv[1]
idx = [l.split() for l in open(f'{PCAP}/index.txt')]
runs = {}
for d in sys.argv[2:]:
    d = d.rstrip('/')
    tag = d.split('/')[-2][-6:]
    runs[tag] = d
def pcap_for(run_tag):
    # the capture whose timestamp is within 90 s after the run's start
    t = int(run_tag[:2]) * 3600 + int(run_tag[2:4]) * 60 + int(run_tag[4:])
    best = None
    for ts, ns in idx:
        u = int(ts[:2]) * 3600 + int(ts[2:4]) * 60 + int(ts[4:])
        if 0 <= u - t <= 90 and (best is None or u < best[0]): best = (u, ts, ns)
    return best
ips = {'p2p-b08': ('h7', '10.77.207.2'), 'p2p-b03': ('h2', '10.77.202.2')}
for tag, d in sorted(runs.items()):
    b = pcap_for(tag)
    if not b: continue
    arm = os.path.basename(os.path.dirname(d))
    for s in stalls([d]):
        if s.page not in ips: continue
        h, ip = ips[s.page]
        pc = glob.glob(f'{PCAP}/{b[1]}-{b[2]}-{h}.pcap')
        if not pc: continue
        ps = json.load(open(glob.glob(f'{d}/*/{s.page}.json')[0]))['phase_start'] / 1000
        t1 = s.t / 1000; t0 = t1 - 3
        out = subprocess.run(['tcpdump', '-nn', '-tt', '-r', pc[0]], capture_output=True, text=True).stdout
        k = collections.Counter()
        for line in out.splitlines():
            m = re.match(r'^(\d+\.\d+) IP (\d+\.\d+\.\d+\.\d+)\.\d+ > (\d+\.\d+\.\d+\.\d+)\.\d+: (.*)$', line)
            if not m or not (t0 <= float(m[1]) <= t1): continue
            L = re.search(r'length (\d+)', m[4]); n = int(L[1]) if L else 0
            if m[3] == ip:
                k['edge' if m[2] == '10.77.240.10' else 'peer']  += n
            elif m[2] == ip:
                k['up'] += n
        print(arm, tag, s.page, 'stall', round(s.t / 1000 - ps, 1), round(s.ms / 1000, 2), 's | 3 s before: edge', round(k['edge'] * 8 / 3000), 'peer+turn', round(k['peer'] * 8 / 3000), 'up', round(k['up'] * 8 / 3000), 'kbit/s')
