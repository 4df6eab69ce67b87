"""bufamt.py OUT.json [W...]: does a data channel's bufferedAmount cap the bytes in flight in Chromium?
Sender page in bxA (1264 kbit/s uplink), receiver in bxB (150 kbit/s uplink, optionally kept full by a UDP blast
so the sender's SACKs come back ~0.2 s late). Per window W (bytes kept in bufferedAmount) and blast off/on:
receiver goodput, and every 100 ms the sender's handed bytes, bufferedAmount, transport bytesSent, RTT."""
import asyncio, json, subprocess, sys
from playwright.async_api import async_playwright

FLAGS = ["--disable-features=WebRtcHideLocalIpsWithMdns", "--disable-background-timer-throttling",
         "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows"]
GATHER = "new Promise(r => { if (pc.iceGatheringState === 'complete') r(); pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') r(); }; })"
OFFER = """async () => { const pc = new RTCPeerConnection({iceServers: []}); window.pc = pc;
  const dc = pc.createDataChannel('swarm'); dc.binaryType = 'arraybuffer'; window.dc = dc;
  await pc.setLocalDescription(await pc.createOffer()); await %s; return pc.localDescription.sdp; }""" % GATHER
ANSWER = """async (sdp) => { const pc = new RTCPeerConnection({iceServers: []}); window.pc = pc; window.rx = 0;
  pc.ondatachannel = e => { e.channel.binaryType = 'arraybuffer'; e.channel.onmessage = m => { window.rx += m.data.byteLength; }; };
  await pc.setRemoteDescription({type: 'offer', sdp}); await pc.setLocalDescription(await pc.createAnswer());
  await %s; return pc.localDescription.sdp; }""" % GATHER
CONNECT = """async (sdp) => { await pc.setRemoteDescription({type: 'answer', sdp});
  if (dc.readyState !== 'open') await new Promise(r => dc.onopen = r); }"""
SEND = """async ([W, durS]) => { const piece = new Uint8Array(16384); let handed = 0; const log = [];
  dc.bufferedAmountLowThreshold = Math.floor(W / 2);
  const fill = () => { while (dc.bufferedAmount < W) { dc.send(piece); handed += piece.byteLength; } };
  dc.onbufferedamountlow = fill; fill(); const t0 = performance.now();
  while (performance.now() - t0 < durS * 1000) {
    await new Promise(r => setTimeout(r, 100));
    const st = await pc.getStats(); let wire = null, cur = null;
    st.forEach(s => { if (s.type === 'transport') wire = s.bytesSent;
      if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') cur = s.currentRoundTripTime; });
    log.push([performance.now() - t0, handed, dc.bufferedAmount, wire, cur]); }
  dc.onbufferedamountlow = null;
  while (dc.bufferedAmount > 0) await new Promise(r => setTimeout(r, 50));
  return log; }"""

async def main() -> None:
    out, windows = sys.argv[1], [int(w) for w in sys.argv[2:]] or [32768, 131072, 1048576]
    results = []
    async with async_playwright() as p:
        ba = await p.chromium.launch(executable_path="bench/results/uplink-s48/chromA.sh", args=FLAGS)
        bb = await p.chromium.launch(executable_path="bench/results/uplink-s48/chromB.sh", args=FLAGS)
        pa, pb = await ba.new_page(), await bb.new_page()
        offer = await pa.evaluate(OFFER)
        answer = await pb.evaluate(ANSWER, offer)
        await pa.evaluate(CONNECT, answer)
        import os
        block = os.environ.get("BLOCK")  # "ms,every_ms": busy the sender's main thread
        if block:
            b, e = block.split(",")
            await pa.evaluate("([b, e]) => { window.blocker = setInterval(() => { const t = performance.now(); while (performance.now() - t < b) {} }, e); }", [int(b), int(e)])
        for blast in ((False,) if os.environ.get("NOBLAST") else (False, True)):
            proc = None
            if blast:
                proc = subprocess.Popen(["ip", "netns", "exec", "bxB", "python3", "-c",
                    "import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nwhile True:\n s.sendto(b'x'*1200,('10.77.201.1',5999)); time.sleep(0.024)"])
                await asyncio.sleep(2)
            for w in windows:
                rx0 = await pb.evaluate("window.rx")
                log = await pa.evaluate(SEND, [w, 12])
                rx1 = await pb.evaluate("window.rx")
                results.append({"W": w, "blast": blast, "log": log, "rx": rx1 - rx0})
                steady = [r for r in log if r[0] > 3000]
                rate = (steady[-1][1] - steady[-1][2] - steady[0][1] + steady[0][2]) * 8 / (steady[-1][0] - steady[0][0])
                wrate = (steady[-1][3] - steady[0][3]) * 8 / (steady[-1][0] - steady[0][0])
                rtts = sorted(r[4] for r in steady if r[4] is not None)
                infl = sorted(r[3] - (r[1] - r[2]) for r in steady)
                print(f"W={w:>8} blast={blast!s:5} drained {rate:6.0f} kbit/s wire {wrate:6.0f} kbit/s rtt med {rtts[len(rtts)//2] if rtts else None} "
                      f"wire-drained {infl[0]//1000}-{infl[-1]//1000} KB", flush=True)
            if proc:
                proc.kill(); proc.wait()
        await ba.close(); await bb.close()
    json.dump(results, open(out, "w"))

if __name__ == "__main__":
    asyncio.run(main())
