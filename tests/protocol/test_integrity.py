"""protocol.integrity: the shared vectors, plus sign/verify properties (every flip detected)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from swarmcast.protocol import integrity
from swarmcast.protocol.integrity import IntegrityError
from tests.protocol.integrity_vectors import SEED, VECTORS_PATH, build, pattern_bytes

VECTORS: dict[str, Any] = json.loads(VECTORS_PATH.read_text())
KEY = integrity.parse_signing_key(VECTORS["signing_key"])
RECORDS = {entry["name"]: entry for entry in VECTORS["records"]}


def error_code(call: Any, *args: Any) -> str | None:
    try:
        call(*args)
    except IntegrityError as exc:
        return exc.code
    return None


def test_vectors_file_is_up_to_date() -> None:
    """The committed file is what the builder makes (signatures are deterministic)."""
    assert build() == VECTORS


def test_signing_key_matches_seed() -> None:
    private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(VECTORS["private_key_seed"]))
    assert integrity.signing_key_of(private) == KEY
    assert integrity.signing_key_document(KEY) == VECTORS["signing_key"]


@pytest.mark.parametrize("entry", VECTORS["records"], ids=lambda entry: entry["name"])
def test_record_vectors(entry: dict[str, Any]) -> None:
    data = bytes.fromhex(entry["file"])
    record = integrity.parse_record(entry["document"])
    assert record.signing_input().hex() == entry["signing_input"]
    assert integrity.b64url_encode(record.signature) == entry["signature"]
    assert record.signing_input().startswith(b"swarmcast/integrity/v1\n")
    assert (record.stream, record.rendition, record.kind, record.seq, record.uri) == (
        entry["stream"],
        entry["rendition"],
        entry["kind"],
        entry["seq"],
        entry["uri"],
    )
    integrity.verify_record_signature(record, KEY)
    integrity.verify_file(record, data)
    for index in range(record.piece_count):
        integrity.verify_piece(record, index, data[slice(*record.piece_range(index))])
    # Re-signing the same bytes gives the identical published document.
    rebuilt = integrity.build_record(
        stream=entry["stream"],
        rendition=entry["rendition"],
        kind=entry["kind"],
        seq=entry["seq"],
        uri=entry["uri"],
        data=data,
        private_key=Ed25519PrivateKey.from_private_bytes(SEED),
        piece_size=entry["piece_size"],
    )
    assert rebuilt.to_json().decode() == entry["document"]


@pytest.mark.parametrize("case", VECTORS["documents"], ids=lambda case: case["name"])
def test_refused_document_vectors(case: dict[str, Any]) -> None:
    assert error_code(integrity.verify_document, case["document"], KEY) == case["code"]


@pytest.mark.parametrize("case", VECTORS["pieces"], ids=lambda case: f"{case['index']}")
def test_piece_vectors(case: dict[str, Any]) -> None:
    record = integrity.parse_record(RECORDS[case["record"]]["document"])
    code = error_code(integrity.verify_piece, record, case["index"], bytes.fromhex(case["data"]))
    assert code == case["code"]


@pytest.mark.parametrize("case", VECTORS["files"], ids=lambda case: str(case["code"]))
def test_file_vectors(case: dict[str, Any]) -> None:
    record = integrity.parse_record(RECORDS[case["record"]]["document"])
    assert error_code(integrity.verify_file, record, bytes.fromhex(case["data"])) == case["code"]


@pytest.mark.parametrize("case", VECTORS["signing_keys"], ids=lambda case: case["name"])
def test_signing_key_vectors(case: dict[str, Any]) -> None:
    assert error_code(integrity.parse_signing_key, case["document"]) == case["code"]


@pytest.mark.parametrize("case", VECTORS["mismatches"], ids=lambda case: str(case["want"]))
def test_mismatch_vectors(case: dict[str, Any]) -> None:
    """A validly signed record of another segment never stands in for the one asked for."""
    record = integrity.parse_record(RECORDS[case["record"]]["document"])
    assert error_code(lambda: integrity.check_record_is(record, **case["want"])) == case["code"]


def test_every_flipped_byte_is_detected_in_its_piece_and_the_file() -> None:
    key = Ed25519PrivateKey.from_private_bytes(SEED)
    data = pattern_bytes(3 * 1024 + 77, 7)
    record = integrity.build_record(
        stream="s", rendition="r", kind="media", seq=1, uri="seg-1.m4s", data=data,
        private_key=key, piece_size=1024,
    )  # fmt: skip
    for position in range(len(data)):
        corrupt = bytearray(data)
        corrupt[position] ^= 1 << (position % 8)
        index = position // 1024
        start, end = record.piece_range(index)
        assert error_code(integrity.verify_piece, record, index, bytes(corrupt[start:end])) == (
            "piece-hash"
        )
        assert error_code(integrity.verify_file, record, bytes(corrupt)) == "file-hash"
        # The untouched pieces still verify: a peer only refetches the bad one.
        other = (index + 1) % record.piece_count
        integrity.verify_piece(record, other, data[slice(*record.piece_range(other))])


def test_every_flipped_signature_or_signed_byte_is_refused() -> None:
    entry = RECORDS["media-partial-last-piece"]
    record = integrity.parse_record(entry["document"])
    for position in range(64):
        flipped = bytearray(record.signature)
        flipped[position] ^= 0x10
        doc = {**record.to_document(), "signature": integrity.b64url_encode(bytes(flipped))}
        assert error_code(integrity.verify_document, doc, KEY) == "signature"
    for position in range(32):
        sha = bytearray(record.sha256)
        sha[position] ^= 0x01
        assert error_code(integrity.verify_document, {**record.to_document(),
                          "sha256": bytes(sha).hex()}, KEY) == "signature"  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(
    data=st.binary(min_size=1, max_size=9000),
    piece_size=st.integers(min_value=1024, max_value=4096),
    seq=st.integers(min_value=0, max_value=integrity.MAX_SEQ),
    kind=st.sampled_from(["init", "media"]),
)
def test_round_trip(data: bytes, piece_size: int, seq: int, kind: integrity.Kind) -> None:
    key = Ed25519PrivateKey.from_private_bytes(SEED)
    record = integrity.build_record(
        stream="demo", rendition="720p", kind=kind, seq=seq, uri=f"f-{seq}", data=data,
        private_key=key, piece_size=piece_size,
    )  # fmt: skip
    assert record.piece_count == -(-len(data) // piece_size)
    parsed = integrity.verify_document(record.to_json(), KEY, data)
    assert parsed == record


@pytest.mark.parametrize(
    "overrides",
    [
        {"data": b""},
        {"piece_size": 1023},
        {"seq": -1},
        {"seq": integrity.MAX_SEQ + 1},
        {"stream": "bad name"},
        {"uri": "has space"},
    ],
)
def test_build_refuses_fields_outside_the_contract(overrides: dict[str, Any]) -> None:
    fields: dict[str, Any] = {
        "stream": "demo", "rendition": "720p", "kind": "media", "seq": 0, "uri": "seg-0.m4s",
        "data": b"x", "piece_size": 1024, **overrides,
    }  # fmt: skip
    with pytest.raises(ValueError):
        integrity.build_record(private_key=Ed25519PrivateKey.from_private_bytes(SEED), **fields)


def test_oversized_document_is_refused_before_parsing() -> None:
    blob = b" " * (integrity.MAX_DOCUMENT_BYTES + 1)
    assert error_code(integrity.parse_record, blob) == "limits"


def test_pinned_key_mismatch_and_bool_fields() -> None:
    record = integrity.parse_record(RECORDS["media-exact-pieces"]["document"])
    other = integrity.signing_key_of(Ed25519PrivateKey.from_private_bytes(bytes(32)))
    assert error_code(integrity.verify_record_signature, record, other) == "key-id"
    doc = {**record.to_document(), "version": True}
    assert error_code(integrity.parse_record, doc) == "malformed"  # not an integer at all
    doc = {**record.to_document(), "size": True}
    assert error_code(integrity.parse_record, doc) == "malformed"
