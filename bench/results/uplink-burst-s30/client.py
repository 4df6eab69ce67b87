#!/usr/bin/env python3
"""Runs in ux-c. HLS-like fetcher: GET 130,000 B every 2.0 s (next starts immediately if late).
   client.py <persistent|fresh> <n_warm_seconds> <n_measured> <outfile.jsonl>"""
import http.client, json, socket, sys, time
mode, warm, nmeas, out = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
HOST = "10.77.199.2"
f = open(out, "w")
conn = None
t0 = time.monotonic(); k = 0; nm = 0
def newconn():
    c = http.client.HTTPConnection(HOST, 8080, timeout=60)
    c.connect(); c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return c
while nm < nmeas:
    target = t0 + 2.0 * k; k += 1
    now = time.monotonic()
    if target > now: time.sleep(target - now)
    warmup = (time.monotonic() - t0) < warm
    rec = {"k": k - 1, "warmup": warmup, "t_sched": target - t0}
    try:
        tc0 = time.monotonic()
        if mode == "fresh" or conn is None:
            if conn is not None: conn.close()
            conn = newconn()
        rec["lport"] = conn.sock.getsockname()[1]
        tr = time.monotonic()
        conn.request("GET", "/seg.ts")
        r = conn.getresponse(); tfb = time.monotonic()
        body = r.read(); te = time.monotonic()
        rec.update(t_conn=tc0 - t0, t_req=tr - t0, ttfb=tfb - tr, dur=te - tr, bytes=len(body),
                   kbps=len(body) * 8 / (te - tr) / 1000, kbps_incl_connect=len(body) * 8 / (te - tc0) / 1000)
        if mode == "fresh": conn.close(); conn = None
    except Exception as e:
        rec["error"] = repr(e); conn = None
    f.write(json.dumps(rec) + "\n"); f.flush()
    if not warmup: nm += 1
