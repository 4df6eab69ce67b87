"""Asking neighbours for pieces: the part of `peer.piece_scheduler`'s plan that deals a
segment's free pieces over the neighbours that announced them (urgent first is decided by the
caller). Pure; requests go out through `DownloadBook.open_request`."""

from __future__ import annotations

from swarmcast.peer.download_book import DownloadBook
from swarmcast.peer.download_state import UNASSIGNED, RemotePeer, SegmentState
from swarmcast.peer.scheduler_actions import DecisionHook
from swarmcast.peer.scheduler_config import SchedulerConfig


def request_from_peers(
    book: DownloadBook,
    config: SchedulerConfig,
    now: float,
    segment: SegmentState,
    holders: list[RemotePeer],
    on_decision: DecisionHook | None = None,
) -> None:
    """Deal the segment's free pieces in blocks to the least-loaded holders; a neighbour
    that holds part of it is asked only for pieces it announced."""
    limit_per_peer = config.max_inflight_pieces_per_peer
    # Runs every pass for every segment in the horizon: skip at once what cannot yield a
    # request (nothing free, or a neighbour that has announced no piece yet).
    start = segment.free_run(0, 1)
    if start is None:
        return
    first_free = start[0]
    seq = segment.seq
    sources = [p for p in holders if seq in p.haves or p.partial.get(seq)]
    if not _any_free_held(segment, first_free, sources):
        return  # the common relay case: every announced piece is ours or asked for already
    while sources:
        loads = sorted((p.inflight_pieces(), p.peer_id, p) for p in sources)
        for load, _, peer in loads:
            if load >= limit_per_peer:
                return
            limit = min(
                config.request_block_pieces,
                peer.max_pieces_per_request,
                limit_per_peer - load,
            )
            run = segment.free_run(first_free, limit, peer.held(segment.seq))
            if run is not None:
                book.open_request(now, peer, segment, run[0], run[1])
                if on_decision is not None:
                    count = run[1] - run[0]
                    detail = {"peer": peer.peer_id, "first_piece": run[0], "piece_count": count}
                    on_decision(now, segment.seq, "peer-request", detail)
                break
        else:
            return
        start = segment.free_run(first_free, 1)
        if start is None:
            return
        first_free = start[0]


def _any_free_held(segment: SegmentState, first_free: int, sources: list[RemotePeer]) -> bool:
    """Whether some source announced a piece that is missing and nobody is fetching (what
    `SegmentState.free_run` would find for it): without one the dealing loop asks no one."""
    have, owner, seq = segment.have, segment.owner, segment.seq
    for peer in sources:
        if seq in peer.haves:
            return True  # a complete holder: `first_free` is free
        # Every free piece is at or after `first_free`; a relayed copy's announced pieces
        # usually all lie before it (what it has we asked for as it came).
        last = peer.partial_top[seq]
        if last < first_free:
            continue
        held = peer.partial[seq]
        for index in range(first_free, min(last + 1, len(have))):
            if index in held and not have[index] and owner[index] == UNASSIGNED:
                return True
    return False
