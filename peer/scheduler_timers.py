"""When the pure scheduler (`peer.piece_scheduler`) must run again without an event: the
earliest of every incomplete segment's timing rules (`peer.origin_gate`), its HTTP retry and
deadline, each neighbour's cooldown and silence, and the upload side's timers."""

from __future__ import annotations

from swarmcast.peer.deadline_clock import DeadlineClock
from swarmcast.peer.download_book import DownloadBook
from swarmcast.peer.download_state import RemotePeer
from swarmcast.peer.origin_gate import OriginGate
from swarmcast.peer.scheduler_config import SchedulerConfig
from swarmcast.peer.upload_scheduler import UploadScheduler

_NEVER = float("inf")


def next_timer(
    now: float,
    book: DownloadBook,
    clock: DeadlineClock,
    gate: OriginGate,
    upload: UploadScheduler,
    config: SchedulerConfig,
) -> float | None:
    """The earliest time > `now` at which something changes without an event (None: never).
    Runs after every event, so it keeps a running minimum instead of building lists."""
    best = _NEVER
    playhead = clock.playhead
    if playhead is not None and book.segments:
        playing = playhead.playing
        timers = gate.timers
        for segment in book.segments.values():
            if segment.have_count == len(segment.have):
                continue  # complete
            deadline = clock.deadline(segment)
            if deadline is None:
                continue
            for t in timers(now, segment, deadline):
                if now < t < best:
                    best = t
            t = segment.http_retry_at
            if now < t < best:
                best = t
            if playing and not segment.missed and now < deadline < best:
                best = deadline
    timeout = config.peer_silence_timeout_s
    for peer in book.peers.values():
        t = peer.cooldown_until
        if now < t < best:
            best = t
        if peer.requests:
            t = silent_at(peer, timeout)
            if now < t < best:
                best = t
    up = upload.next_timer(now)
    if up is not None and now < up < best:
        best = up
    return None if best == _NEVER else best


def silent_at(peer: RemotePeer, timeout: float) -> float:
    """When a neighbour owing us pieces counts as silent: `timeout` after its last piece or
    its oldest request in flight, whichever is later."""
    oldest = _NEVER
    for request in peer.requests.values():
        if request.sent_at < oldest:
            oldest = request.sent_at
    return max(peer.last_piece_at, oldest) + timeout
