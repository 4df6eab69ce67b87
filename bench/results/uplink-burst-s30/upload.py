#!/usr/bin/env python3
"""Runs in ux-c. Upload generator.
  upload.py udp_smooth <rate_bps>            1200-byte datagrams evenly paced
  upload.py udp_burst  <rate_bps> <burst_B>  burst_B bytes as back-to-back 1200-B datagrams every burst_B*8/rate s
  upload.py tcp        <rate_bps> <chunk_B>  TCP (cubic), write chunk every chunk*8/rate s (token bucket, depth 1 chunk)
  upload.py tcp_unl                          TCP, unlimited
Rates are application payload bits/s."""
import socket, sys, time
DST = "10.77.199.2"
mode = sys.argv[1]
def sched(interval, fn):
    nxt = time.monotonic()
    while True:
        fn()
        nxt += interval
        now = time.monotonic()
        if nxt < now - interval:      # fell behind by more than one token: drop backlog (bucket depth = 1 chunk)
            nxt = now - interval
        if nxt > now:
            time.sleep(nxt - now)

if mode.startswith("udp"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((DST, 9001))
    rate = float(sys.argv[2])
    d = bytes(1200)
    def send(n):
        try: s.send(bytes(n) if n != 1200 else d)
        except OSError: pass          # ENOBUFS etc: datagram lost locally
    if mode == "udp_fill":
        # emulate a userspace loss-based sender (SCTP-like, no kernel TSQ): per chunk, prefill the
        # uplink tbf queue to near its limit, then keep it there by sending at the wire rate until the chunk is out
        chunk, prefill = int(sys.argv[3]), int(sys.argv[4])
        n = -(-chunk // 1200); npre = prefill // 1200
        wire_gap = (1200 + 28 + 14) * 8 / float(sys.argv[5])      # link rate in bit/s
        def c():
            for _ in range(npre): send(1200)
            for _ in range(n - npre):
                time.sleep(wire_gap); send(1200)
        sched(chunk * 8 / rate, c)
    elif mode == "udp_smooth":
        sched(1200 * 8 / rate, lambda: send(1200))
    else:
        burst = int(sys.argv[3])
        sizes = [1200] * (burst // 1200) + ([burst % 1200] if burst % 1200 else [])
        def b():
            for n in sizes: send(n)
        sched(burst * 8 / rate, b)
else:
    s = socket.socket()
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b"cubic")
    s.connect((DST, 9000))
    if mode == "tcp_unl":
        buf = bytes(65536)
        while True: s.sendall(buf)
    rate = float(sys.argv[2]); chunk = int(sys.argv[3])
    buf = bytes(chunk)
    sched(chunk * 8 / rate, lambda: s.sendall(buf))
