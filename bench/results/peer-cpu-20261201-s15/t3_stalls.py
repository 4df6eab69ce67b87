"""Spurious T3 retransmissions against event-loop stalls (see raw/v1/t3_stalls.txt): both ends
in one process, control messages GAP_S apart, SACK delay DELAY_S on both.

    scripts/in-netns.sh .venv/bin/python \
        bench/results/peer-cpu-20261201-s15/t3_stalls.py DELAY_S GAP_S N
"""

import asyncio
import sys
import time

sys.path.insert(0, "tests/peer")
import test_sctp_delayed_sack as t


async def lag_monitor(out):
    loop = asyncio.get_running_loop()
    while True:
        t0 = loop.time()
        await asyncio.sleep(0.05)
        lag = loop.time() - t0 - 0.05
        if lag > 0.15:
            out.append((round(time.monotonic(), 3), round(lag, 3)))


async def main(delay, gap, n):
    a, _, b, inbox_b = await t.link_pair(delay, delay)
    snd = t.sctp_of(a)
    t3 = snd._t3_expired
    events = []

    def x():
        q = snd._sent_queue
        age = time.time() - q[0]._sent_time if q else None
        events.append(
            (
                "T3",
                round(time.monotonic(), 3),
                "age",
                age and round(age, 3),
                "rto",
                snd._rto,
                "srtt",
                snd._srtt and round(snd._srtt, 3),
            )
        )
        t3()

    snd._t3_expired = x
    lags = []
    mon = asyncio.ensure_future(lag_monitor(lags))
    count = t.WireCount(t.sctp_of(b))
    for i in range(n):
        a.send(t.control(i))
        await asyncio.sleep(gap)
    await inbox_b.until(n)
    await asyncio.sleep(0.6)
    mon.cancel()
    print(
        "delay",
        delay,
        "gap",
        gap,
        dict(count.received),
        dict(count.sent),
        "rto",
        snd._rto,
        "srtt",
        snd._srtt,
    )
    for e in events:
        print(e)
    print("stalls>150ms:", lags[:20], len(lags))
    await a.close("x")
    await b.close("y")


d, g, n = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
asyncio.run(main(d, g, n))
