"""burst.py OUT.json: bursty demand on the 1264-kbit/s sender (bxA -> bxB): N pieces of 16 KiB every P s
(handed to the channel within a 32 KiB window, the rest in a page-side queue, as the shim's links do);
log every 50 ms: handed-to-channel, page queue + bufferedAmount, transport bytesSent."""
import asyncio, json, sys
from playwright.async_api import async_playwright
sys.path.insert(0, "bench/results/uplink-s48")
from bufamt import FLAGS, OFFER, ANSWER, CONNECT  # noqa
RUN = """async ([n, period, durS]) => { const piece = new Uint8Array(16384); let handed = 0, queued = 0; const log = []; const W = 32768;
  dc.bufferedAmountLowThreshold = W / 2;
  const fill = () => { while (queued > 0 && dc.bufferedAmount < W) { dc.send(piece); handed += 16384; queued -= 16384; } };
  dc.onbufferedamountlow = fill;
  const t0 = performance.now(); let next = 0;
  while (performance.now() - t0 < durS * 1000) {
    const now = performance.now() - t0;
    if (now >= next) { queued += n * 16384; fill(); next += period * 1000 * (0.5 + Math.random()); }
    await new Promise(r => setTimeout(r, 50));
    const st = await pc.getStats(); let wire = null;
    st.forEach(s => { if (s.type === 'transport') wire = s.bytesSent; });
    log.push([performance.now() - t0, handed, queued + dc.bufferedAmount, wire]); }
  dc.onbufferedamountlow = null; return log; }"""
async def main():
    out = sys.argv[1]; res = []
    async with async_playwright() as p:
        ba = await p.chromium.launch(executable_path="bench/results/uplink-s48/chromA.sh", args=FLAGS)
        bb = await p.chromium.launch(executable_path="bench/results/uplink-s48/chromB.sh", args=FLAGS)
        pa, pb = await ba.new_page(), await bb.new_page()
        await pa.evaluate(CONNECT, await pb.evaluate(ANSWER, await pa.evaluate(OFFER)))
        for n, period in ((6, 0.8), (8, 1.0), (4, 0.5), (12, 2.0)):
            log = await pa.evaluate(RUN, [n, period, 40])
            res.append({"n": n, "period": period, "log": log}); print(n, period, len(log), flush=True)
            await asyncio.sleep(2)
        await ba.close(); await bb.close()
    json.dump(res, open(out, "w"))
asyncio.run(main())
