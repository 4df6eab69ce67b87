import asyncio, json, sys
from playwright.async_api import async_playwright
JS = r"""
async ([hw, total]) => {
  const a = new RTCPeerConnection(), b = new RTCPeerConnection();
  a.onicecandidate = e => e.candidate && b.addIceCandidate(e.candidate);
  b.onicecandidate = e => e.candidate && a.addIceCandidate(e.candidate);
  const ch = a.createDataChannel('x', {ordered: true});
  let got = 0; const log = [];
  b.ondatachannel = e => { e.channel.onmessage = m => { got += m.data.byteLength; }; };
  await a.setLocalDescription(await a.createOffer()); await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(await b.createAnswer()); await a.setRemoteDescription(b.localDescription);
  await new Promise(r => ch.onopen = r);
  const piece = new Uint8Array(16384); let handed = 0;
  const t0 = performance.now();
  const fill = () => { while (handed < total && ch.bufferedAmount < hw) { ch.send(piece); handed += piece.length; } };
  ch.bufferedAmountLowThreshold = hw / 4; ch.onbufferedamountlow = fill; fill();
  while (got < total && performance.now() - t0 < 40000) {
    await new Promise(r => setTimeout(r, 250));
    const st = await a.getStats(); let wire = 0;
    st.forEach(s => { if (s.type === 'transport') wire = s.bytesSent; });
    log.push([Math.round(performance.now() - t0), handed, ch.bufferedAmount, wire, got]);
  }
  return log;
}
"""
async def main():
    hw = int(sys.argv[1]); total = int(sys.argv[2])
    async with async_playwright() as p:
        br = await p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox","--disable-features=WebRtcHideLocalIpsWithMdns"])
        pg = await br.new_page()
        log = await pg.evaluate(JS, [hw, total])
        for row in log[::2]:
            t, handed, buf, wire, got = row
            print(f"t={t/1000:5.2f} handed={handed//1024:5d}k buffered={buf//1024:5d}k wire={wire//1024:5d}k got={got//1024:5d}k  inSCTP={(handed-buf-got)//1024}k")
        await br.close()
asyncio.run(main())
