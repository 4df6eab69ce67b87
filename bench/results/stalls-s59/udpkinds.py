"""udpkinds.py PCAP HOSTIP [BIN]: uplink/downlink UDP bytes per BIN s by payload kind (STUN, DTLS, SCTP-in-DTLS, via TURN: ChannelData/Send inner kinds)."""
import sys, subprocess, re, collections
pcap, me = sys.argv[1], sys.argv[2]; BIN = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
out = subprocess.run(['tcpdump', '-nn', '-tt', '-x', '-r', pcap, 'udp'], capture_output=True, text=True).stdout
pk = []; cur = None
for line in out.splitlines():
    if not line.startswith('\t'):
        m = re.match(r'^(\d+\.\d+) IP (\S+)\.(\d+) > (\S+)\.(\d+): UDP, length (\d+)', line)
        cur = [float(m[1]), m[2], m[4], int(m[6]), ''] if m else None
        if cur: pk.append(cur)
    elif cur: cur[4] += ''.join(line.split(':', 1)[1].split())
def kind(b):
    if not b: return '?'
    f = b[0]
    if f < 4: return 'stun'
    if 20 <= f <= 63: return 'dtls-hs' if f == 22 else ('dtls-data' if f == 23 else 'dtls-other')
    if 64 <= f <= 127: return 'chan:' + kind(b[4:])
    return 'other'
t0 = pk[0][0] if pk else 0
bins = collections.defaultdict(lambda: collections.Counter())
for t, s, d, n, hexs in pk:
    pay = bytes.fromhex(hexs)[28:]  # IP(20) + UDP(8)
    k = kind(pay)
    if k == 'stun' and len(pay) >= 2 and pay[0:2] == b'\x00\x16': k = 'turn-send'  # Send indication
    if k == 'stun' and len(pay) >= 2 and pay[0:2] == b'\x00\x17': k = 'turn-data'
    dirn = 'up' if s == me else 'down'
    bins[int((t - t0) / BIN)][dirn + ' ' + k] += n + 28
for b in sorted(bins):
    c = bins[b]
    print(f"{b*BIN:6.1f}", ' '.join(f"{k}={v*8/BIN/1000:.0f}" for k, v in sorted(c.items()) if v * 8 / BIN / 1000 >= 1))
