"""pcap_bins.py PCAP HOSTIP TIMELINE_JSON [T0 T1] [BIN]: a lab host's downlink and uplink per BIN s (default 0.25)
by kind (edge TCP, TURN UDP, peer UDP), beside the page's timeline events (phase seconds), from `tcpdump -tt -r`."""
import sys, subprocess, re, collections, json
pcap, me, tl = sys.argv[1], sys.argv[2], sys.argv[3]
lo = float(sys.argv[4]) if len(sys.argv) > 4 else 0; hi = float(sys.argv[5]) if len(sys.argv) > 5 else 1e9
BIN = float(sys.argv[6]) if len(sys.argv) > 6 else 0.25
d = json.load(open(tl)); ps = d['phase_start'] / 1000
out = subprocess.run(['tcpdump', '-nn', '-tt', '-r', pcap], capture_output=True, text=True).stdout
rx = re.compile(r'^(\d+\.\d+) IP (\d+\.\d+\.\d+\.\d+)\.(\d+) > (\d+\.\d+\.\d+\.\d+)\.(\d+): (.*?)(?:length (\d+))?$')
down = collections.defaultdict(collections.Counter); up = collections.defaultdict(collections.Counter)
def kind(ip, proto):
    if ip == '10.77.240.10': return 'edge' if proto == 'tcp' else 'edge-udp'
    if ip == '10.77.240.3': return 'turn'
    return 'peer'
for line in out.splitlines():
    m = rx.match(line)
    if not m: continue
    t = float(m[1]) - ps
    if t < lo or t > hi: continue
    src, dst, rest = m[2], m[4], m[6]
    n = int(m[7] or 0)
    proto = 'udp' if rest.startswith('UDP') else 'tcp'
    n += 28 if proto == 'udp' else 40  # headers
    b = round(int(t / BIN) * BIN, 2)
    if src == me: up[b][kind(dst, proto)] += n
    elif dst == me: down[b][kind(src, proto)] += n
ev = collections.defaultdict(list)
for e in d['events']:
    t = e['t'] / 1000 - ps
    if lo <= t <= hi and e['kind'] in ('http-start', 'http-end', 'loader-http-start', 'loader-http-end', 'stall', 'level-switching', 'frag-request', 'frag-served', 'playlist', 'peer-start', 'peer-end'):
        ev[round(int(t / BIN) * BIN, 2)].append(e['kind'] + ':' + str(e.get('seq', e.get('level', ''))) + ('/' + str(e.get('bytes')) if 'bytes' in e else ''))
k = 8 / BIN / 1000
for b in sorted(set(down) | set(up) | set(ev)):
    dd, uu = down[b], up[b]
    print(f"{b:7.2f} down {sum(dd.values())*k:5.0f} [e{dd['edge']*k:4.0f} t{dd['turn']*k:4.0f} p{dd['peer']*k:4.0f}]  up {sum(uu.values())*k:4.0f} [e{uu['edge']*k:3.0f} t{uu['turn']*k:4.0f} p{uu['peer']*k:4.0f}]  {' '.join(ev[b])}")
