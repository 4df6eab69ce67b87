#!/usr/bin/env python3
import glob, json, os, statistics as st, sys
HERE = os.path.dirname(os.path.abspath(__file__)); RAW = os.path.join(HERE, "raw")
rows = []; base = {}
def q(x): return sorted(x)[int(len(x) * 0.9)] if x else None
for mode in ("persistent", "fresh"):
    for f in sorted(glob.glob(f"{RAW}/*_{mode}.fetches.jsonl")):
        name = os.path.basename(f)[:-len(".fetches.jsonl")]; var = name[:-len(mode) - 1]
        fe = [json.loads(l) for l in open(f)]
        m = [x for x in fe if not x["warmup"] and "kbps" in x]
        errs = sum(1 for x in fe if "error" in x)
        r = [x["kbps"] for x in m]
        ttfb = [x["ttfb"] * 1000 for x in m]
        xfer = [x["bytes"] * 8 / (x["dur"] - x["ttfb"]) / 1000 for x in m]
        qd = json.load(open(f"{RAW}/{name}.qdisc.json"))
        qw, qe = qd["q_at_warmup"] or {}, qd["q_end"]
        S = [json.loads(l) for l in open(f"{RAW}/{name}.samples.jsonl")]
        # RTT of HTTP connection: srtt while a transfer is in flight (unacked>0), post-warm-up
        rtt = [c["rtt"] for s in S if s["t"] >= 10 for c in s["http"] if c.get("unacked", 0) > 0 and "rtt" in c]
        cw = [c["cwnd"] for s in S if s["t"] >= 10 for c in s["http"] if c.get("unacked", 0) > 0 and "cwnd" in c]
        ub = [s["q"]["uxc0"]["backlog"] for s in S if s["t"] >= 10]
        Sm = [s for s in S if s["t"] >= 10]
        upk = (Sm[-1]["q"]["uxc0"]["bytes"] - Sm[0]["q"]["uxc0"]["bytes"]) * 8 / 1000 / (Sm[-1]["t"] - Sm[0]["t"]) if len(Sm) > 1 else None
        urtt = [c["rtt"] for s in S if s["t"] >= 10 for c in s["upl"] if "rtt" in c]
        med = st.median(r) if r else float("nan")
        if var == "A": base[mode] = med
        rows.append(dict(variant=var, mode=mode, n=len(r), errors=errs, med=med, min=min(r) if r else float("nan"),
                         mean_ttfb_ms=st.mean(ttfb) if ttfb else None, med_ttfb_ms=st.median(ttfb) if ttfb else None,
                         med_dur_ms=st.median([x["dur"] * 1000 for x in m]) if m else None,
                         med_xfer_kbps=st.median(xfer) if xfer else None,
                         drops_up=qe["uxc0"]["drops"], drops_dn=qe["uxs0"]["drops"],
                         drops_up_meas=qe["uxc0"]["drops"] - qw.get("uxc0", {}).get("drops", 0),
                         drops_dn_meas=qe["uxs0"]["drops"] - qw.get("uxs0", {}).get("drops", 0),
                         up_kbps=upk,
                         rtt_med=st.median(rtt) if rtt else None, rtt_p90=q(rtt),
                         cwnd_med=st.median(cw) if cw else None,
                         upq_med=st.median(ub) if ub else None, upq_max=max(ub) if ub else None,
                         upl_rtt_med=st.median(urtt) if urtt else None))
for r in rows: r["ratio"] = r["med"] / base.get(r["mode"], float("nan"))
json.dump(rows, open(os.path.join(HERE, "results.json"), "w"), indent=1)
hdr = ("| variant | conn | n | median kbit/s | min kbit/s | ratio to A | drops up / down (whole run) | drops up/down (after warm-up) "
       "| uplink tbf throughput kbit/s (after warm-up) | HTTP srtt in-flight ms med / p90 | HTTP cwnd med | uplink backlog B med / max | TTFB ms med / mean | median dur ms | median rate after 1st byte kbit/s |")
out = [hdr, "|" + "---|" * (hdr.count("|") - 1)]
f1 = lambda x, p=0: "-" if x is None else f"{x:.{p}f}"
for r in rows:
    out.append(f"| {r['variant']} | {r['mode']} | {r['n']} | {r['med']:.0f} | {r['min']:.0f} | {r['ratio']:.2f} | "
               f"{r['drops_up']} / {r['drops_dn']} | {r['drops_up_meas']} / {r['drops_dn_meas']} | {f1(r['up_kbps'])} | "
               f"{f1(r['rtt_med'])} / {f1(r['rtt_p90'])} | {f1(r['cwnd_med'])} | {f1(r['upq_med'])} / {f1(r['upq_max'])} | {f1(r['med_ttfb_ms'])} / {f1(r['mean_ttfb_ms'])} | {f1(r['med_dur_ms'])} | {f1(r['med_xfer_kbps'])} |")
open(os.path.join(HERE, "table.md"), "w").write("\n".join(out) + "\n")
print("\n".join(out))
