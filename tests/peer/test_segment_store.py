"""The bounded segment store: only signed records and verified pieces get in."""

from __future__ import annotations

import dataclasses
import os

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from swarmcast.peer.segment_store import SegmentStore
from swarmcast.protocol.integrity import (
    BadSignature,
    IntegrityRecord,
    KeyIdMismatch,
    MalformedRecord,
    PieceHashMismatch,
    SizeMismatch,
    build_record,
    signing_key_of,
)

PRIVATE = Ed25519PrivateKey.generate()
KEY = signing_key_of(PRIVATE.public_key())
PIECE = 1024


def media(seq: int, size: int = 5000, *, rendition: str = "360p") -> tuple[bytes, IntegrityRecord]:
    data = os.urandom(size)
    record = build_record(
        stream="demo",
        rendition=rendition,
        kind="media",
        seq=seq,
        uri=f"seg-{seq}.m4s",
        data=data,
        private_key=PRIVATE,
        piece_size=PIECE,
    )
    return data, record


def pieces(data: bytes) -> list[bytes]:
    return [data[i : i + PIECE] for i in range(0, len(data), PIECE)]


def new_store(max_segments: int = 60) -> SegmentStore:
    return SegmentStore(KEY, "demo", "360p", max_segments=max_segments)


def test_verified_pieces_complete_a_segment() -> None:
    store = new_store()
    data, record = media(7)
    store.add_record(record)
    parts = pieces(data)
    for index in reversed(range(len(parts))):
        assert not store.is_complete(7)
        assert store.piece(7, index) is None  # incomplete segments are never served
        assert store.put_piece(7, index, parts[index]) is True
    assert store.is_complete(7)
    assert store.segment_bytes(7) == data
    assert store.piece(7, 4) == parts[4]
    assert store.put_piece(7, 0, parts[0]) is False  # duplicate
    assert store.complete_seqs() == [7]
    assert store.stats.pieces_verified == len(parts) + 1
    assert store.audit() == 0


def test_bad_piece_is_refused_and_counted() -> None:
    store = new_store()
    data, record = media(1)
    store.add_record(record)
    corrupted = bytearray(pieces(data)[2])
    corrupted[10] ^= 0xFF
    with pytest.raises(PieceHashMismatch):
        store.put_piece(1, 2, bytes(corrupted))
    with pytest.raises(SizeMismatch):
        store.put_piece(1, 2, pieces(data)[2] + b"x")
    with pytest.raises(PieceHashMismatch):
        store.put_piece(1, 99, b"x")
    assert store.missing(1) == list(range(len(pieces(data))))
    assert store.stats.verification_failures == 3
    with pytest.raises(KeyError):
        store.put_piece(2, 0, b"x")


def test_records_must_be_signed_by_the_pinned_key_for_our_swarm() -> None:
    store = new_store()
    _, record = media(3)
    forged = dataclasses.replace(record, size=record.size)  # same record, sanity
    store.check_record(forged)
    other_key = Ed25519PrivateKey.generate()
    other = build_record(
        stream="demo",
        rendition="360p",
        kind="media",
        seq=3,
        uri="seg-3.m4s",
        data=b"x" * 3000,
        private_key=other_key,
        piece_size=PIECE,
    )
    with pytest.raises(KeyIdMismatch):
        store.add_record(other)
    tampered = dataclasses.replace(record, seq=4)
    with pytest.raises(BadSignature):
        store.add_record(tampered)
    _, wrong_rendition = media(5, rendition="720p")
    with pytest.raises(MalformedRecord):
        store.add_record(wrong_rendition)
    assert store.seqs() == []


def test_window_is_bounded_oldest_first() -> None:
    store = new_store(max_segments=3)
    evicted: list[int] = []
    for seq in (10, 11, 12, 13, 14):
        _, record = media(seq, 2000)
        evicted += store.add_record(record)
    assert evicted == [10, 11]
    assert store.seqs() == [12, 13, 14]
    assert store.stats.segments_evicted == 2


def test_incremental_audit_reverifies_each_stored_piece_once() -> None:
    store = new_store()
    data, record = media(3)
    store.add_record(record)
    parts = pieces(data)
    store.put_piece(3, 0, parts[0])
    assert store.audit_new() == 0
    checked = store.stats.pieces_verified
    store.put_piece(3, 1, parts[1])
    # A stored piece that no longer matches its record (what the audit is there to catch):
    # the new piece is checked, the one audited before is not hashed again.
    entry = store._entries[3]
    # Flip the first byte (a fixed replacement byte equals a random first byte one time in 256).
    entry.pieces[1] = bytes([parts[1][0] ^ 0xFF]) + parts[1][1:]
    entry.pieces[0] = bytes([parts[0][0] ^ 0xFF]) + parts[0][1:]
    assert store.audit_new() == 1
    assert store.audit_new() == 1  # cumulative; nothing new to check
    assert store.audit() == 2  # the full audit still re-hashes everything
    assert store.stats.pieces_verified == checked + 1  # audits are not verifications
