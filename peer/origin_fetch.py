"""The Python peer's origin downloads: a Range GET whose pieces are verified into the store and
reported to the scheduler one by one as their last byte arrives, so that neighbours can relay
an origin download (HAVE_PIECES) while it is still running on a slow origin."""

from __future__ import annotations

import logging
from collections.abc import Callable

from swarmcast.peer import scheduler_actions as act
from swarmcast.peer.origin_client import OriginClient, OriginError
from swarmcast.peer.piece_scheduler import PieceScheduler
from swarmcast.peer.segment_store import SegmentStore
from swarmcast.protocol.integrity import IntegrityError

log = logging.getLogger(__name__)


def verify_into_store(store: SegmentStore, seq: int, index: int, data: bytes) -> bool:
    """Store a piece if it matches the signed record; False (and a log line) if not."""
    try:
        store.put_piece(seq, index, data)
    except IntegrityError as exc:
        log.warning("segment %d piece %d failed verification: %s", seq, index, exc)
        return False
    return True


async def fetch_pieces(
    action: act.FetchHttp,
    *,
    origin: OriginClient,
    store: SegmentStore,
    sched: PieceScheduler,
    rendition: str,
    uri: str | None,
    now: Callable[[], float],
    pump: Callable[[], None],
) -> None:
    """Carry out one FetchHttp: every piece goes to `sched` as soon as it is complete."""
    record = store.record(action.seq)
    if record is None or uri is None:
        sched.http_failed(now(), action.fetch_id)
        return pump()
    start = action.first_piece * record.piece_size
    end = min((action.first_piece + action.piece_count) * record.piece_size, record.size)
    body = bytearray()
    index = action.first_piece
    try:
        async for chunk in origin.media_range(rendition, uri, start, end, record.size):
            body += chunk
            while index < action.first_piece + action.piece_count:
                piece_start, piece_end = record.piece_range(index)
                if piece_end - start > len(body):
                    break
                data = bytes(body[piece_start - start : piece_end - start])
                valid = verify_into_store(store, action.seq, index, data)
                sched.http_piece_received(now(), action.fetch_id, action.seq, index, valid)
                index += 1
                if not valid:  # the scheduler failed the whole fetch and retries it
                    return pump()
            pump()
    except OriginError as exc:
        log.warning("HTTP fetch of segment %d failed: %s", action.seq, exc)
        sched.http_failed(now(), action.fetch_id)
    pump()
