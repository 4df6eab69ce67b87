"""Session 12's msg_cost.py (../peer-cpu-20261201/) with the SACK delay as a parameter and an
optional packet count: CPU cost of one data-channel message and of one 16 KiB PIECE, both ends
in one process (two PeerLinks over aiortc), CPU clock, one message per wake-up 2 ms apart.

    scripts/in-netns.sh .venv/bin/python bench/results/peer-cpu-20261201-s15/msg_cost_sack.py \
        N PIECE SACK_DELAY_MS [GAP_MS] [--count]

SACK_DELAY_MS 0 = aiortc's SACK per packet (main's behaviour). GAP_MS: time between messages
(default 2, as session 12; 100 or 250 for a live link's sparser traffic). --count wraps each
end's DTLS send to count SCTP packets by first chunk type (DATA 0, SACK 3; aiortc never bundles), which
costs a little CPU: use it in separate runs from the CPU runs.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections import Counter as Tally
from typing import Any

from swarmcast.peer.peer_link import PeerLink
from swarmcast.protocol import wire

CHUNK_NAMES = {0: "DATA", 3: "SACK", 4: "HEARTBEAT", 5: "HEARTBEAT_ACK"}


class Counter:
    def __init__(self) -> None:
        self.opened = asyncio.Event()
        self.count = 0
        self.target = 0
        self.done = asyncio.Event()

    def link_open(self, link: PeerLink) -> None:
        self.opened.set()

    def link_message(self, link: PeerLink, message: wire.Message) -> None:
        self.count += 1
        if self.count >= self.target:
            self.done.set()

    def link_closed(self, link: PeerLink, reason: str) -> None:
        pass

    def link_violation(self, link: PeerLink, reason: str) -> None:
        pass


def count_packets(link: PeerLink, tally: Tally[str]) -> None:
    dtls = link._pc.sctp.transport  # type: ignore[union-attr]
    send = dtls._send_data

    async def counted(data: bytes) -> None:
        tally[CHUNK_NAMES.get(data[12], str(data[12]))] += 1
        await send(data)

    dtls._send_data = counted


async def measure(send: PeerLink, recv: Counter, frames: list[wire.Message], gap_s: float) -> float:
    recv.count, recv.target = 0, len(frames)
    recv.done.clear()
    t0 = time.process_time()
    for frame in frames:
        send.send(frame)
        await asyncio.sleep(gap_s)
    await asyncio.wait_for(recv.done.wait(), 300)
    return time.process_time() - t0


async def main(
    n: int, piece_size: int, sack_delay_s: float, count: bool, gap: float = 0.002
) -> dict[str, Any]:
    ha, hb = Counter(), Counter()
    links: dict[str, PeerLink] = {}

    async def to_b(kind: str, data: dict[str, Any]) -> None:
        await links["b"].on_signal(kind, data)

    async def to_a(kind: str, data: dict[str, Any]) -> None:
        await links["a"].on_signal(kind, data)

    common = {
        "ice_servers": (),
        "high_water": 1 << 20,
        "low_water": 1 << 18,
        "sack_delay_s": sack_delay_s,
    }
    links["a"] = PeerLink("b", initiator=True, send_signal=to_b, handlers=ha, **common)  # type: ignore[arg-type]
    links["b"] = PeerLink("a", initiator=False, send_signal=to_a, handlers=hb, **common)  # type: ignore[arg-type]
    await links["a"].start()
    await asyncio.wait_for(asyncio.gather(ha.opened.wait(), hb.opened.wait()), 60)
    sctp_classes = sorted({type(link._pc.sctp).__name__ for link in links.values()})
    tallies = {"a": Tally[str](), "b": Tally[str]()}
    await asyncio.sleep(1)
    idle0 = time.process_time()
    await asyncio.sleep(5)
    idle = (time.process_time() - idle0) / 5
    have = wire.HavePieces.from_pieces(7, range(5))
    if count:
        for name, link in links.items():
            count_packets(link, tallies[name])
    control = await measure(links["a"], hb, [have] * n, gap)
    control_packets = {k: dict(v) for k, v in tallies.items()}
    for tally in tallies.values():
        tally.clear()
    piece = wire.Piece(1, 7, 0, os.urandom(piece_size))
    pieces_n = max(1, n // 10)
    pieces = await measure(links["a"], hb, [piece] * pieces_n, gap)
    # let the last delayed SACK leave before the counts are read (it is counted, not timed)
    await asyncio.sleep(0.6)
    piece_packets = {k: dict(v) for k, v in tallies.items()}
    wall_control = n * gap
    wall_pieces = pieces_n * gap
    for link in links.values():
        await link.close("done")
    result: dict[str, Any] = {
        "sack_delay_ms": sack_delay_s * 1000,
        "gap_ms": gap * 1000,
        "sctp": sctp_classes,
        "messages": n,
        "idle_cpu_share_two_ends": round(idle, 5),
        "cpu_ms_per_control_message_two_ends": round(1e3 * (control - idle * wall_control) / n, 4),
        "pieces": pieces_n,
        "piece_size": piece_size,
        "cpu_ms_per_piece_two_ends": round(1e3 * (pieces - idle * wall_pieces) / pieces_n, 4),
        "cpu_s_per_MB_pieces_two_ends": round(
            (pieces - idle * wall_pieces) / (pieces_n * piece_size / 1e6), 4
        ),
        "counted": count,
    }
    if count:
        result["packets_sent_during_control"] = control_packets
        result["packets_sent_during_pieces"] = piece_packets
    return result


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    count_n = int(args[0]) if len(args) > 0 else 3000
    size = int(args[1]) if len(args) > 1 else 16384
    delay_ms = float(args[2]) if len(args) > 2 else 0.0
    gap_ms = float(args[3]) if len(args) > 3 else 2.0
    counting = "--count" in sys.argv
    print(json.dumps(asyncio.run(main(count_n, size, delay_ms / 1000, counting, gap_ms / 1000))))
