"""Processes of `bench/peer_bench.py`: one uploader (the real Python peer upload path: signed
segment store, `PieceScheduler` upload side, `PeerLink` with bufferedAmount backpressure) and
one process with N downloaders that keep requests in flight and count PIECE bytes. SDP goes
over a multiprocessing pipe between the two (no signaling server in the measurement)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from multiprocessing.connection import Connection
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from swarmcast.peer import scheduler_actions as act
from swarmcast.peer.channel_window import ChannelWindowConfig
from swarmcast.peer.peer_link import PeerLink
from swarmcast.peer.piece_scheduler import PieceScheduler
from swarmcast.peer.scheduler_config import SchedulerConfig
from swarmcast.peer.segment_store import SegmentStore
from swarmcast.protocol import wire
from swarmcast.protocol.integrity import build_record, signing_key_of

SWARM_ID = "bench/360p"
# A fixed 1 MiB mark: the links' default window follows the link; a CPU bench wants it full.
WINDOW = ChannelWindowConfig(min_bytes=1_048_576, max_bytes=1_048_576)


async def _pipe_messages(conn: Connection) -> Any:
    """Receive from a multiprocessing pipe without blocking the loop."""
    return await asyncio.get_running_loop().run_in_executor(None, conn.recv)


class Uploader:
    """Serves every REQUEST from a store of `segments` signed segments of `segment_size`."""

    def __init__(self, downloaders: int, piece_size: int, segments: int, size: int) -> None:
        self.loop = asyncio.get_running_loop()
        private = Ed25519PrivateKey.generate()
        self.piece_size = piece_size
        self.store = SegmentStore(signing_key_of(private.public_key()), "bench", "360p", segments)
        config = SchedulerConfig(upload_slots=downloaders, max_upload_queue_pieces=100_000)
        self.sched = PieceScheduler(config, "uploader", self.loop.time(), seeder=True)
        for seq in range(segments):
            data = os.urandom(size)
            record = build_record(
                stream="bench",
                rendition="360p",
                kind="media",
                seq=seq,
                uri=f"seg-{seq}.m4s",
                data=data,
                private_key=private,
                piece_size=piece_size,
            )
            self.store.add_record(record)
            self.sched.segment_added(
                self.loop.time(), seq, size=size, piece_size=piece_size, start=0, duration=2
            )
            for action in self.sched.pop_actions():
                if not isinstance(action, act.FetchHttp):
                    continue  # the previous segment's AnnounceHave
                for index in range(action.first_piece, action.first_piece + action.piece_count):
                    start, end = record.piece_range(index)
                    self.store.put_piece(seq, index, data[start:end])
                    self.sched.http_piece_received(
                        self.loop.time(), action.fetch_id, seq, index, True
                    )
        self.sched.pop_actions()
        self.links: dict[str, PeerLink] = {}

    def link_open(self, link: PeerLink) -> None:
        link.send(wire.Hello(wire.CAP_CAN_UPLOAD, self.piece_size, 4096, SWARM_ID))

    def link_message(self, link: PeerLink, message: wire.Message) -> None:
        now = self.loop.time()
        match message:
            case wire.Hello():
                self.sched.peer_connected(now, link.peer_id, capabilities=0)
            case wire.Request(request_id, seq, first, count):
                self.sched.upload_request(now, link.peer_id, request_id, seq, first, count)
            case wire.Cancel(request_id):
                self.sched.upload_cancel(now, link.peer_id, request_id)
        for action in self.sched.pop_actions():
            target = self.links.get(getattr(action, "peer", ""))
            if target is None:
                continue
            match action:
                case act.SendPiece(_, request_id, seq, index):
                    data = self.store.piece(seq, index)
                    assert data is not None
                    target.send(wire.Piece(request_id, seq, index, data))
                case act.SendHave(_, seqs):
                    target.send(wire.Have.from_seqs(0, len(seqs), set(seqs)))
                case act.Unchoke():
                    target.send(wire.Unchoke())
                case act.Choke():
                    target.send(wire.Choke())
                case act.RejectRequest(_, request_id, _):
                    target.send(wire.Reject(request_id, wire.RejectReason.BUSY))

    def link_closed(self, link: PeerLink, reason: str) -> None:
        self.sched.peer_closed(self.loop.time(), link.peer_id)

    def link_violation(self, link: PeerLink, reason: str) -> None:
        pass  # the link closes itself; a benchmark has no signaling to report to


async def _uploader(conn: Connection, downloaders: int, piece_size: int, size: int) -> None:
    uploader = Uploader(downloaders, piece_size, 8, size)
    conn.send(("ready",))
    while True:
        message = await _pipe_messages(conn)
        if message[0] == "stop":
            break
        _, name, sdp = message

        async def answer(kind: str, data: dict[str, Any], name: str = name) -> None:
            conn.send(("answer", name, data["sdp"]))

        link = PeerLink(
            name,
            initiator=False,
            ice_servers=(),
            send_signal=answer,
            handlers=uploader,
            window=WINDOW,
        )
        uploader.links[name] = link
        await link.on_signal("offer", {"type": "offer", "sdp": sdp})
    for link in list(uploader.links.values()):
        await link.close("bench over")


def uploader_main(conn: Connection, downloaders: int, piece_size: int, size: int) -> None:
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(_uploader(conn, downloaders, piece_size, size))


class Downloaders:
    """N links, each keeping `window` REQUESTs of `batch` pieces in flight."""

    def __init__(self, count: int, piece_size: int, size: int, window: int, batch: int) -> None:
        self.piece_size = piece_size
        self.pieces = -(-size // piece_size)
        self.batch = batch
        self.window = window
        self.bytes: dict[str, int] = {}
        self.pending: dict[tuple[str, int], int] = {}
        self.cursor: dict[str, int] = {}
        self.next_id = 1
        self.opened = asyncio.Event()
        self.count = count
        self.links: dict[str, PeerLink] = {}

    def link_open(self, link: PeerLink) -> None:
        link.send(wire.Hello(0, self.piece_size, 16, SWARM_ID))

    def _request(self, link: PeerLink) -> None:
        position = self.cursor.get(link.peer_id, 0)
        seq, first = divmod(position * self.batch, self.pieces)
        seq %= 8
        count = min(self.batch, self.pieces - first)
        self.cursor[link.peer_id] = position + 1
        request_id, self.next_id = self.next_id, self.next_id + 1
        self.pending[(link.peer_id, request_id)] = count
        link.send(wire.Request(request_id, seq, first, count))

    def link_message(self, link: PeerLink, message: wire.Message) -> None:
        match message:
            case wire.Hello():
                self.bytes[link.peer_id] = 0
                if len(self.bytes) == self.count:
                    self.opened.set()
                for _ in range(self.window):
                    self._request(link)
            case wire.Piece(request_id, _, _, data):
                self.bytes[link.peer_id] += len(data)
                key = (link.peer_id, request_id)
                self.pending[key] -= 1
                if self.pending[key] == 0:
                    del self.pending[key]
                    self._request(link)

    def link_closed(self, link: PeerLink, reason: str) -> None:
        pass

    def link_violation(self, link: PeerLink, reason: str) -> None:
        pass


async def _downloaders(
    conn: Connection, count: int, piece_size: int, size: int, duration: float, warmup: float
) -> dict[str, Any]:
    group = Downloaders(count, piece_size, size, window=4, batch=16)
    started = time.monotonic()
    for index in range(count):
        name = f"d{index}"

        async def offer(kind: str, data: dict[str, Any], name: str = name) -> None:
            conn.send(("offer", name, data["sdp"]))

        link = PeerLink(
            name,
            initiator=True,
            ice_servers=(),
            send_signal=offer,
            handlers=group,
            window=WINDOW,
        )
        group.links[name] = link
        await link.start()
        _, answered, sdp = await _pipe_messages(conn)
        await group.links[answered].on_signal("answer", {"type": "answer", "sdp": sdp})
    await asyncio.wait_for(group.opened.wait(), 30)
    setup_s = time.monotonic() - started
    await asyncio.sleep(warmup)
    before = dict(group.bytes)
    t0 = time.monotonic()
    await asyncio.sleep(duration)
    elapsed = time.monotonic() - t0
    per_link = [(group.bytes[n] - before[n]) / elapsed / 1e6 for n in sorted(group.bytes)]
    for link in list(group.links.values()):
        with contextlib.suppress(Exception):
            await link.close("bench over")
    return {
        "setup_s": round(setup_s, 3),
        "per_link_MBps": [round(x, 2) for x in per_link],
        "total_MBps": round(sum(per_link), 2),
        "measured_s": round(elapsed, 3),
    }


def downloader_main(
    conn: Connection,
    result: Connection,
    count: int,
    piece_size: int,
    size: int,
    duration: float,
    warmup: float,
) -> None:
    logging.basicConfig(level=logging.WARNING)
    result.send(asyncio.run(_downloaders(conn, count, piece_size, size, duration, warmup)))
