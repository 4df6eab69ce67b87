#!/usr/bin/env python3
"""Orchestrator (run as root in the root netns). Creates ux-c/ux-s, runs variants, writes raw/ + results.
usage: run.py [variant[:mode] ...]   (default: full plan)"""
import json, os, re, signal, statistics as st, subprocess as sp, sys, time
HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/work/main/.venv/bin/python"
RAW = os.path.join(HERE, "raw"); os.makedirs(RAW, exist_ok=True)
UP, DOWN = 154, 1062
R7 = 0.7 * UP * 1000
VARIANTS = {
    "A": None,
    "B": ["udp_smooth", R7],
    "C": ["udp_burst", R7, 16384],
    "D": ["tcp", R7, 16384],
    "E": ["tcp", 0.4 * UP * 1000, 16384],
    "F": ["tcp", R7, 4096],
    "G": ["tcp_unl"],
    "H": ["udp_smooth", 0.9 * UP * 1000],
    "D_ssai0": ["tcp", R7, 16384],
    "C_ssai0": ["udp_burst", R7, 16384],
    "I": ["udp_fill", R7, 16384, 8400, UP * 1000],
    "I_ssai0": ["udp_fill", R7, 16384, 8400, UP * 1000],
}
WARM, NMEAS = float(os.environ.get("WARM", 10)), int(os.environ.get("NMEAS", 20))
mine = []   # PIDs we started

def sh(cmd, check=True, **kw):
    return sp.run(cmd, shell=True, check=check, capture_output=True, text=True, **kw).stdout

def ns(n, cmd, check=True):
    return sh(f"ip netns exec {n} {cmd}", check=check)

def burst(kbit): return max(3028, kbit * 1000 // 8 // 50)

def shape():
    for n, dev, k in (("ux-c", "uxc0", UP), ("ux-s", "uxs0", DOWN)):
        ns(n, f"tc qdisc del dev {dev} root", check=False)   # del+add => zeroed counters, empty queue
        ns(n, f"tc qdisc replace dev {dev} root tbf rate {k}kbit burst {burst(k)} latency 200ms")

def setup():
    teardown()
    sh("ip netns add ux-c"); sh("ip netns add ux-s")
    sh("ip link add uxc0 netns ux-c type veth peer name uxs0 netns ux-s")
    ns("ux-c", "ip addr add 10.77.199.1/24 dev uxc0"); ns("ux-s", "ip addr add 10.77.199.2/24 dev uxs0")
    for n, d in (("ux-c", "uxc0"), ("ux-s", "uxs0")):
        ns(n, f"ip link set {d} up"); ns(n, "ip link set lo up")
        # ns default cc is inherited (bbr) and cubic is "restricted" for non-init netns -> EPERM;
        # cubic is set per socket instead (server listener, upload socket; root has CAP_NET_ADMIN)
        ns(n, "sysctl -qw net.ipv4.tcp_slow_start_after_idle=1")
    shape()

def teardown():
    for n in ("ux-c", "ux-s"):
        sh(f"ip netns del {n}", check=False)

def start(n, args, log):
    p = sp.Popen(["ip", "netns", "exec", n] + args, stdout=open(log, "w"), stderr=sp.STDOUT)
    mine.append(p); return p

def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try: p.wait(5)
        except sp.TimeoutExpired: p.kill(); p.wait()

def qstats():
    out = {}
    for n, dev in (("ux-c", "uxc0"), ("ux-s", "uxs0")):
        j = json.loads(ns(n, f"tc -s -j qdisc show dev {dev}"))[0]
        out[dev] = {k: j.get(k) for k in ("bytes", "packets", "drops", "overlimits", "backlog", "qlen")}
    return out

RX = {k: re.compile(k + r":([0-9.]+)") for k in ("rtt", "cwnd", "unacked", "minrtt", "ssthresh", "retrans", "bytes_acked", "lost")}
def parse_ss(txt):
    conns = []
    lines = txt.strip().splitlines()
    cur = None
    for l in lines:
        if not l.startswith((" ", "\t")):
            if l.startswith(("Recv-Q", "State")): continue
            cur = {"hdr": l.split()}; conns.append(cur)
        elif cur is not None:
            cur["info"] = l.strip()
            for k, r in RX.items():
                m = r.search(l)
                if m: cur[k] = float(m.group(1))
    return conns

def run(var, mode):
    name = f"{var}_{mode}"
    print(f"=== {name}  {time.strftime('%H:%M:%S')}", flush=True)
    shape()
    ssai = "0" if var.endswith("ssai0") else "1"
    ns("ux-s", f"sysctl -qw net.ipv4.tcp_slow_start_after_idle={ssai}")
    up = None
    if VARIANTS[var]:
        up = start("ux-c", [PY, os.path.join(HERE, "upload.py")] + [str(x) for x in VARIANTS[var]],
                   f"{RAW}/{name}.upload.log")
    fout = f"{RAW}/{name}.fetches.jsonl"
    cl = start("ux-c", [PY, os.path.join(HERE, "client.py"), mode, str(WARM), str(NMEAS), fout],
               f"{RAW}/{name}.client.log")
    samples = open(f"{RAW}/{name}.samples.jsonl", "w")
    t0 = time.monotonic(); deadline = t0 + 240
    q_at_warm = None
    while cl.poll() is None and time.monotonic() < deadline:
        t = time.monotonic() - t0
        rec = {"t": round(t, 2)}
        rec["http"] = parse_ss(ns("ux-s", "ss -tin state established '( sport = :8080 )'", check=False))
        rec["upl"] = parse_ss(ns("ux-c", "ss -tin state established '( dport = :9000 )'", check=False))
        rec["q"] = qstats()
        if q_at_warm is None and t >= WARM: q_at_warm = rec["q"]
        samples.write(json.dumps(rec) + "\n"); samples.flush()
        time.sleep(0.5)
    if cl.poll() is None: stop(cl); print("  client timeout!", flush=True)
    qend = qstats()
    if up: stop(up)
    ns("ux-s", "sysctl -qw net.ipv4.tcp_slow_start_after_idle=1")
    json.dump({"variant": var, "mode": mode, "upload": VARIANTS[var], "q_at_warmup": q_at_warm, "q_end": qend},
              open(f"{RAW}/{name}.qdisc.json", "w"), indent=1)
    time.sleep(3)   # drain

PLAN = [(v, "persistent") for v in VARIANTS] + [(v, "fresh") for v in "ABCDEFGH"]
if __name__ == "__main__":
    plan = [tuple((a.split(":") + ["persistent"])[:2]) for a in sys.argv[1:]] or PLAN
    try:
        setup()
        srv = start("ux-s", [PY, os.path.join(HERE, "server.py")], f"{RAW}/server.log")
        time.sleep(1.5)
        print("cc:", ns("ux-c", "sysctl -n net.ipv4.tcp_congestion_control").strip(),
              ns("ux-s", "sysctl -n net.ipv4.tcp_congestion_control").strip(), flush=True)
        print(ns("ux-c", "tc qdisc show dev uxc0"), ns("ux-s", "tc qdisc show dev uxs0"), flush=True)
        for v, m in plan:
            run(v, m)
    finally:
        for p in mine: stop(p)
        teardown()
        print("cleaned up", flush=True)
