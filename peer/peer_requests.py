"""Asking neighbours for pieces: the part of `peer.piece_scheduler`'s plan that deals a
segment's free pieces over the neighbours that announced them (urgent first is decided by the
caller). Pure; requests go out through `DownloadBook.open_request`."""

from __future__ import annotations

import math

from swarmcast.peer.download_book import DownloadBook
from swarmcast.peer.download_state import UNASSIGNED, RemotePeer, SegmentState
from swarmcast.peer.election import election_unit
from swarmcast.peer.scheduler_actions import DecisionHook
from swarmcast.peer.scheduler_config import SchedulerConfig


def request_from_peers(
    book: DownloadBook,
    config: SchedulerConfig,
    now: float,
    segment: SegmentState,
    holders: list[RemotePeer],
    on_decision: DecisionHook | None = None,
    budget: list[int] | None = None,
    spread_as: str | None = None,
) -> None:
    """Deal the segment's free pieces in blocks to the least-loaded holders, each owing at most
    `paced_limit` pieces; a neighbour that holds part of it is asked only for pieces it
    announced. `budget` (one count, shared by a scheduling pass's calls): pieces that may still
    be asked for in all (`owed_budget`); None: no such bound. With `spread_as` (our peer id:
    `spread_single_holder`, a segment not yet urgent) and one holder announcing the segment,
    blocks start from an offset that id draws for the segment (`spread_run`); otherwise at the
    first free piece."""
    limit_per_peer = config.max_inflight_pieces_per_peer
    # Runs every pass for every segment in the horizon: skip at once what cannot yield a
    # request (nothing free, or a neighbour that has announced no piece yet).
    start = segment.free_run(0, 1)
    if start is None:
        return
    first_free = start[0]
    seq = segment.seq
    sources = announcing(holders, seq)
    if not _any_free_held(segment, first_free, sources):
        return  # the common relay case: every announced piece is ours or asked for already
    offset = None
    if spread_as is not None and len(sources) == 1:
        offset = int(election_unit(spread_as, seq) * segment.piece_count)
    while sources:
        if budget is not None and budget[0] <= 0:
            return
        loads = sorted((p.inflight_pieces(), p.peer_id, p) for p in sources)
        for load, _, peer in loads:
            if load >= limit_per_peer:
                return
            cap = paced_limit(config, peer)
            if load >= cap:
                continue  # a slow holder owes its `request_pace_s` already
            limit = min(
                config.request_block_pieces,
                peer.max_pieces_per_request,
                cap - load,
            )
            if budget is not None:
                limit = min(limit, budget[0])
            if offset is None:
                run = segment.free_run(first_free, limit, peer.held(seq))
            else:
                run = spread_run(segment, peer.held(seq), limit, offset)
            if run is not None:
                book.open_request(now, peer, segment, run[0], run[1])
                count = run[1] - run[0]
                if budget is not None:
                    budget[0] -= count
                if on_decision is not None:
                    detail = {"peer": peer.peer_id, "first_piece": run[0], "piece_count": count}
                    on_decision(now, segment.seq, "peer-request", detail)
                break
        else:
            return
        start = segment.free_run(first_free, 1)
        if start is None:
            return
        first_free = start[0]


def spread_run(
    segment: SegmentState, held: set[int] | None, limit: int, offset: int
) -> tuple[int, int] | None:
    """The run [first, end) of at most `limit` free pieces asked of a segment's one holder
    (announcing `held`; None: all): the first at or after `offset` (drawn per member and
    segment), else the first before it. Taken from the first free piece, every member asked a
    fresh copy's one holder for the same pieces first, none held a piece another lacked, and
    the holder's uplink carried every copy alone; started apart, members relay their pieces to
    each other while the holder is still sending."""
    return segment.free_run(offset, limit, held) or segment.free_run(0, limit, held)


def owed_budget(
    book: DownloadBook, config: SchedulerConfig, slow_link: bool, http_rate: float
) -> list[int] | None:
    """How many more pieces neighbours may be asked for in this pass (`slow_link_owed_s`): on a
    link slower than the origin, while an origin fetch of ours runs, what they owe us in all
    stays within that many seconds of our origin rate, at least one piece. None: not bounded."""
    owed_s = config.slow_link_owed_s
    if owed_s <= 0 or not slow_link or not book.fetches:
        return None
    piece = max((s.piece_size for s in book.segments.values()), default=0)
    if piece <= 0:
        return None
    allowed = max(1, math.floor(http_rate * owed_s / piece))
    owed = sum(p.inflight_pieces() for p in book.peers.values())
    return [allowed - owed]


def paced_limit(config: SchedulerConfig, peer: RemotePeer) -> int:
    """How many pieces `peer` may owe us: `request_pace_s` of them at the time per piece it has
    been taking (at least one), at most `max_inflight_pieces_per_peer`. A slow holder's pieces
    left unasked stay free for faster holders and, at the fallback point, for the origin."""
    limit = config.max_inflight_pieces_per_peer
    if config.request_pace_s <= 0 or peer.piece_time_s <= 0:
        return limit
    return min(limit, max(1, math.ceil(config.request_pace_s / peer.piece_time_s)))


def announcing(holders: list[RemotePeer], seq: int) -> list[RemotePeer]:
    """The holders that announced at least one piece of `seq` (a word of an origin fetch with
    no piece yet has nothing to ask for)."""
    return [p for p in holders if seq in p.haves or p.partial.get(seq)]


def free_piece_shares(book: DownloadBook, now: float, segment: SegmentState) -> dict[str, float]:
    """Per neighbour, how many of `segment`'s free pieces (missing, asked of nobody) it is
    expected to send: each piece it announced, split over the usable neighbours that announced
    it by their pace (1 / `piece_time_s`; a piece a neighbour not measured yet also holds counts
    for nobody: that neighbour is asked first). With `paced_limit` a slow holder owes only a few
    pieces and the rest of its copy stays free: the pace rule (`OriginGate.pace_takeover_at`)
    adds this share to what it owes, or a sole slow holder would look on pace until the
    deadline (small swarms on tight downlinks stalled)."""
    shares: dict[str, float] = {}
    if segment.free_count <= 0:
        return shares
    holders = announcing(book.usable_holders(now, segment.seq), segment.seq)
    if not holders:
        return shares
    have, owner = segment.have, segment.owner
    for index in range(len(have)):
        if have[index] or owner[index] != UNASSIGNED:
            continue
        with_piece = [p for p in holders if (held := p.held(segment.seq)) is None or index in held]
        if not with_piece or any(p.piece_time_s <= 0 for p in with_piece):
            continue
        total = sum(1.0 / p.piece_time_s for p in with_piece)
        for p in with_piece:
            shares[p.peer_id] = shares.get(p.peer_id, 0.0) + (1.0 / p.piece_time_s) / total
    return shares


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
