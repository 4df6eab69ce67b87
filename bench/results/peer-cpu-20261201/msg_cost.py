"""CPU cost of one data-channel message and of one MB of pieces, both ends in one process
(two PeerLinks over aiortc), in CPU seconds (process_time: robust on a shared machine).
Paced like a live viewer's traffic (one message per wake-up), not a bulk transfer.

    scripts/in-netns.sh .venv/bin/python bench/results/peer-cpu-20261201/msg_cost.py [N [PIECE]]
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from typing import Any

from swarmcast.peer.peer_link import PeerLink
from swarmcast.protocol import wire


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


async def measure(send: PeerLink, recv: Counter, frames: list[wire.Message], gap_s: float) -> float:
    recv.count, recv.target = 0, len(frames)
    recv.done.clear()
    t0 = time.process_time()
    for frame in frames:
        send.send(frame)
        await asyncio.sleep(gap_s)
    await asyncio.wait_for(recv.done.wait(), 300)
    return time.process_time() - t0


async def main(n: int, piece_size: int) -> dict[str, Any]:
    ha, hb = Counter(), Counter()
    links: dict[str, PeerLink] = {}

    async def to_b(kind: str, data: dict[str, Any]) -> None:
        await links["b"].on_signal(kind, data)

    async def to_a(kind: str, data: dict[str, Any]) -> None:
        await links["a"].on_signal(kind, data)

    common = {"ice_servers": (), "high_water": 1 << 20, "low_water": 1 << 18}
    links["a"] = PeerLink("b", initiator=True, send_signal=to_b, handlers=ha, **common)  # type: ignore[arg-type]
    links["b"] = PeerLink("a", initiator=False, send_signal=to_a, handlers=hb, **common)  # type: ignore[arg-type]
    await links["a"].start()
    await asyncio.wait_for(asyncio.gather(ha.opened.wait(), hb.opened.wait()), 60)
    await asyncio.sleep(1)
    idle0 = time.process_time()
    await asyncio.sleep(5)
    idle = (time.process_time() - idle0) / 5
    gap = 0.002
    have = wire.HavePieces.from_pieces(7, range(5))
    control = await measure(links["a"], hb, [have] * n, gap)
    piece = wire.Piece(1, 7, 0, os.urandom(piece_size))
    pieces_n = max(1, n // 10)
    pieces = await measure(links["a"], hb, [piece] * pieces_n, gap)
    # subtract the idle loop's own CPU over the same wall time (timers, consent checks)
    wall_control = n * gap
    wall_pieces = pieces_n * gap
    for link in links.values():
        await link.close("done")
    return {
        "messages": n,
        "idle_cpu_share_two_ends": round(idle, 5),
        "cpu_ms_per_control_message_two_ends": round(1e3 * (control - idle * wall_control) / n, 4),
        "pieces": pieces_n,
        "piece_size": piece_size,
        "cpu_ms_per_piece_two_ends": round(1e3 * (pieces - idle * wall_pieces) / pieces_n, 4),
        "cpu_s_per_MB_pieces_two_ends": round(
            (pieces - idle * wall_pieces) / (pieces_n * piece_size / 1e6), 4
        ),
    }


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 16384
    print(json.dumps(asyncio.run(main(count, size))))
