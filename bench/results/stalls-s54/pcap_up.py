"""pcap_up.py PCAP HOSTIP [T0 T1]: a lab host's uplink (packets it sent) per 0.5 s: bytes by destination kind
(origin TCP, TURN, peers UDP, other), against its cap; from `tcpdump -nn -tt -e -r`."""
import sys, subprocess, re, collections
pcap, me = sys.argv[1], sys.argv[2]
out = subprocess.run(['tcpdump', '-nn', '-tt', '-e', '-r', pcap], capture_output=True, text=True).stdout
rx = re.compile(r'^(\d+\.\d+) .*? length (\d+): (\d+\.\d+\.\d+\.\d+\.\d+) > (\S+?):')
bins = collections.defaultdict(collections.Counter); t0 = None
down = collections.defaultdict(collections.Counter)
for line in out.splitlines():
    m = rx.match(line)
    if not m: continue
    t, n, src, dst = float(m[1]), int(m[2]), m[3], m[4]
    t0 = t0 or t
    b = int((t - t0) * 2) / 2
    def kind(a):
        ip = a.rsplit('.', 1)[0]
        if ip == '10.77.240.10': return 'origin'
        if ip == '10.77.240.3': return 'turn'
        return 'peer'
    if src.startswith(me + '.'):
        k = kind(dst); k = 'tcp-origin' if k == 'origin' else k
        bins[b][k] += n
    elif dst.startswith(me + '.'):
        down[b][kind(src)] += n
lo = float(sys.argv[3]) if len(sys.argv) > 3 else 0; hi = float(sys.argv[4]) if len(sys.argv) > 4 else 1e9
for b in sorted(set(bins) | set(down)):
    if lo <= b <= hi:
        u, d = bins[b], down[b]
        print(f"{b:6.1f} up {sum(u.values())*2*8/1000:6.0f} kbit/s {dict(u)}   down {sum(d.values())*2*8/1000:6.0f} {dict(d)}")
