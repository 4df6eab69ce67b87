"""Bounded store of the live window: only pieces verified against signed integrity records.

Nothing enters the store unverified: a record is accepted only with a valid signature from the
stream's pinned key (and for the expected stream/rendition), and a piece only if its SHA-256
matches that record. A complete segment is checked once more as a whole file. The store keeps
at most `max_segments` media segments; the oldest are evicted first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from swarmcast.protocol.integrity import (
    IntegrityError,
    IntegrityRecord,
    MalformedRecord,
    SigningKey,
    verify_file,
    verify_piece,
    verify_record_signature,
)


@dataclass
class _Entry:
    record: IntegrityRecord
    pieces: list[bytes | None]
    held: int = 0
    audited: set[int] = field(default_factory=set)  # indices `audit_new` re-verified

    @property
    def complete(self) -> bool:
        return self.held == len(self.pieces)


@dataclass
class StoreStats:
    pieces_verified: int = 0
    verification_failures: int = 0
    segments_completed: int = 0
    segments_evicted: int = 0
    audit_failures: int = 0  # stored pieces that failed `audit_new`, cumulative


@dataclass
class SegmentStore:
    """Media segments of one swarm (`<stream>/<rendition>`), keyed by sequence number."""

    key: SigningKey
    stream: str
    rendition: str
    max_segments: int = 60
    stats: StoreStats = field(default_factory=StoreStats)
    _entries: dict[int, _Entry] = field(default_factory=dict)

    # --- records --------------------------------------------------------------------------

    def check_record(self, record: IntegrityRecord) -> None:
        """Raise IntegrityError unless `record` is a signed media record of our swarm."""
        if record.kind != "media" or (record.stream, record.rendition) != (
            self.stream,
            self.rendition,
        ):
            raise MalformedRecord(
                f"record for {record.stream}/{record.rendition} {record.kind}, "
                f"expected {self.stream}/{self.rendition} media"
            )
        verify_record_signature(record, self.key)

    def add_record(self, record: IntegrityRecord) -> list[int]:
        """Track a segment (after `check_record`); returns the seqs evicted to make room."""
        self.check_record(record)
        if record.seq in self._entries:
            return []
        self._entries[record.seq] = _Entry(record, [None] * record.piece_count)
        return self._evict()

    def record(self, seq: int) -> IntegrityRecord | None:
        entry = self._entries.get(seq)
        return None if entry is None else entry.record

    # --- pieces ---------------------------------------------------------------------------

    def put_piece(self, seq: int, index: int, data: bytes) -> bool:
        """Verify and store one piece. Returns True if it was new. Raises IntegrityError for a
        piece that fails verification (nothing is stored) or KeyError for an unknown seq."""
        entry = self._entries[seq]
        try:
            verify_piece(entry.record, index, data)
        except IntegrityError:
            self.stats.verification_failures += 1
            raise
        self.stats.pieces_verified += 1
        if entry.pieces[index] is not None:
            return False
        entry.pieces[index] = bytes(data)
        entry.held += 1
        if entry.complete:
            self._finish(seq, entry)
        return True

    def _finish(self, seq: int, entry: _Entry) -> None:
        """Whole-file check: a signed record whose pieces disagree with its own SHA-256 (a
        segmenter bug) must not be served either; the segment is dropped and refetched."""
        try:
            verify_file(entry.record, b"".join(p for p in entry.pieces if p is not None))
        except IntegrityError:
            self.stats.verification_failures += 1
            entry.pieces = [None] * len(entry.pieces)
            entry.held = 0
            entry.audited.clear()
            raise
        self.stats.segments_completed += 1

    def missing(self, seq: int) -> list[int]:
        entry = self._entries.get(seq)
        if entry is None:
            return []
        return [i for i, piece in enumerate(entry.pieces) if piece is None]

    def has_piece(self, seq: int, index: int) -> bool:
        entry = self._entries.get(seq)
        return (
            entry is not None and 0 <= index < len(entry.pieces) and entry.pieces[index] is not None
        )

    def piece(self, seq: int, index: int) -> bytes | None:
        """A verified piece we hold, of a complete segment or of one still arriving (HAVE_PIECES
        announces those, for cut-through relay)."""
        entry = self._entries.get(seq)
        if entry is None or not 0 <= index < len(entry.pieces):
            return None
        return entry.pieces[index]

    def is_complete(self, seq: int) -> bool:
        entry = self._entries.get(seq)
        return entry is not None and entry.complete

    def segment_bytes(self, seq: int) -> bytes | None:
        entry = self._entries.get(seq)
        if entry is None or not entry.complete:
            return None
        return b"".join(p for p in entry.pieces if p is not None)

    def complete_seqs(self) -> list[int]:
        return sorted(seq for seq, entry in self._entries.items() if entry.complete)

    def seqs(self) -> list[int]:
        return sorted(self._entries)

    def held_bytes(self) -> int:
        return sum(len(p) for e in self._entries.values() for p in e.pieces if p is not None)

    def audit(self) -> int:
        """Re-verify every stored piece against its record; returns how many fail (tests and
        the stats JSON use it to show that the store holds verified bytes only)."""
        failures = 0
        for entry in self._entries.values():
            for index, data in enumerate(entry.pieces):
                if data is None:
                    continue
                try:
                    verify_piece(entry.record, index, data)
                except IntegrityError:
                    failures += 1
        return failures

    def audit_new(self) -> int:
        """`audit` for the pieces stored since the last call: each stored piece is re-verified
        once (stored pieces are immutable bytes), and the failures found so far are returned.
        The stats JSON asks every couple of seconds; re-hashing the whole window each time
        was about 5 % of a viewer's CPU (bench/results/peer-cpu-20261201)."""
        for entry in self._entries.values():
            if len(entry.audited) == entry.held:
                continue
            for index, data in enumerate(entry.pieces):
                if data is None or index in entry.audited:
                    continue
                entry.audited.add(index)
                try:
                    verify_piece(entry.record, index, data)
                except IntegrityError:
                    self.stats.audit_failures += 1
        return self.stats.audit_failures

    def _evict(self) -> list[int]:
        evicted: list[int] = []
        while len(self._entries) > self.max_segments:
            oldest = min(self._entries)
            del self._entries[oldest]
            self.stats.segments_evicted += 1
            evicted.append(oldest)
        return evicted

    def remove(self, seq: int) -> None:
        self._entries.pop(seq, None)


class CompleteView:
    """`seq in view` = the store holds seq complete (what the simulated player may play)."""

    def __init__(self, store: SegmentStore) -> None:
        self._store = store

    def __contains__(self, seq: object) -> bool:
        return isinstance(seq, int) and self._store.is_complete(seq)
