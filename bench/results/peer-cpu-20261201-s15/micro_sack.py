"""Receiver-side CPU of aiortc's SCTP per received DATA packet, with and without the delayed
SACK, on a real transport fed packets by hand (no network, no DTLS: the packets it sends are
kept, as tests/peer/test_sctp_delayed_sack.py does). Two patterns:

- lone: each packet alone (a live link's sparse traffic, more than the delay apart; the
  transport's clock is moved by hand): one SACK per packet either way. Without the quiet-link
  rule (the first version, raw/v1) the delayed transport armed its timer, which fired (run by
  hand here) and sent the SACK from a task; with it (v2) the SACK goes at once.
- pairs: packets two at a time (clock frozen): one SACK per packet undelayed, one per pair
  delayed.

    .venv/bin/python bench/results/peer-cpu-20261201-s15/micro_sack.py [PACKETS [ROUNDS]]
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any, cast

from aiortc.rtcsctptransport import DataChunk, RTCSctpTransport, serialize_packet
from swarmcast.peer.sctp_delayed_sack import DelayedSackSctpTransport


class Below:
    state = "connected"

    def __init__(self) -> None:
        self.packets = 0

    async def _send_data(self, data: bytes) -> None:
        self.packets += 1


def make(cls: type[RTCSctpTransport]) -> tuple[RTCSctpTransport, Below]:
    below = Below()
    sctp = cls(cast(Any, below))
    sctp._association_state = RTCSctpTransport.State.ESTABLISHED
    sctp._remote_port = 5000
    sctp._last_received_tsn = 999
    if isinstance(sctp, DelayedSackSctpTransport):
        sctp._sack_seen_data = True
    return sctp, below


def packet(sctp: RTCSctpTransport, tsn: int) -> bytes:
    chunk = DataChunk(flags=0x03)
    chunk.tsn, chunk.stream_id, chunk.stream_seq, chunk.protocol = tsn, 1, (tsn - 1000) % 65536, 53
    chunk.user_data = b"x" * 20
    return serialize_packet(5000, 5000, sctp._local_verification_tag, chunk)


async def run(cls: type[RTCSctpTransport], pattern: str, n: int) -> tuple[float, int]:
    sctp, below = make(cls)
    packets = [packet(sctp, 1000 + i) for i in range(n)]
    clock = [0.0]
    if isinstance(sctp, DelayedSackSctpTransport):
        sctp._sack_clock = lambda: clock[0]
        sctp._sack_last_data_at = 0.0
    t0 = time.process_time()
    for data in packets:
        if pattern == "lone":
            clock[0] += 1.0
        await sctp._handle_data(data)
        lone = pattern == "lone" and isinstance(sctp, DelayedSackSctpTransport)
        if lone and sctp._sack_timer is not None:  # the first version: the timer sends it
            sctp._sack_timer.cancel()
            sctp._sack_timer_fired()
            assert sctp._sack_timer_task is not None
            await sctp._sack_timer_task
    cpu = time.process_time() - t0
    sctp._set_state(RTCSctpTransport.State.CLOSED)
    return cpu, below.packets


async def main(n: int, rounds: int) -> None:
    for r in range(rounds):
        for pattern in ("lone", "pairs"):
            for cls in (RTCSctpTransport, DelayedSackSctpTransport):
                cpu, sacks = await run(cls, pattern, n)
                print(json.dumps({
                    "round": r, "pattern": pattern, "sctp": cls.__name__, "packets": n,
                    "sacks": sacks, "us_per_packet": round(1e6 * cpu / n, 2),
                }), flush=True)  # fmt: skip


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    asyncio.run(main(count, rounds))
